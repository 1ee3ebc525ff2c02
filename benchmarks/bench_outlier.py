"""Benchmark: DensityOutlierDetector against scikit-learn's outlier detectors.

Anomaly setups from scikit-learn's bundled data (``load_*``, no download):

- breast cancer: benign rows are normal, malignant ones the anomalies;
- digits: digit 0 is the rare class, the other nine digits are normal;
- wine: cultivars 0 and 1 are normal, cultivar 2 the anomalies;
- iris: setosa and versicolor are normal, virginica the anomalies.

Each detector is trained on normal rows only (60%), then scored on the held-out
normal rows plus all anomalies: ROC AUC (anomalies as positives, ranked by
``-decision_function``), and the realized false-alarm rate at
``contamination=0.05`` (share of held-out *normal* rows flagged), the promise
of ``DensityOutlierDetector``. Each figure is the mean over ``--repeats``
random splits. Baselines get the same standardization (a pipeline with
``StandardScaler``); ``OneClassSVM`` uses ``nu=0.05``.

Usage::

    python benchmarks/bench_outlier.py             # 5 splits per setup
    python benchmarks/bench_outlier.py --quick     # 2 splits, smoke run
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from skgen.classical import GaussianMixture
from skgen.outlier import DensityOutlierDetector
from skgen.pipeline import make_density_pipeline

CONTAMINATION = 0.05


def setups():
    """``{name: (X_normal, X_anomaly)}``."""
    out = {}
    X, y = load_breast_cancer(return_X_y=True)
    out["breast cancer (malignant)"] = (X[y == 1], X[y == 0])
    X, y = load_digits(return_X_y=True)
    out["digits (digit 0)"] = (X[y != 0], X[y == 0])
    X, y = load_wine(return_X_y=True)
    out["wine (cultivar 2)"] = (X[y != 2], X[y == 2])
    X, y = load_iris(return_X_y=True)
    out["iris (virginica)"] = (X[y != 2], X[y == 2])
    return out


def detectors(seed):
    scaled = lambda est: make_pipeline(StandardScaler(), est)  # noqa: E731
    return {
        "Density (default: KDE)": DensityOutlierDetector(
            contamination=CONTAMINATION, random_state=seed),
        "Density (GMM, 2 comp.)": DensityOutlierDetector(
            make_density_pipeline(StandardScaler(),
                                  GaussianMixture(2, covariance_type="diag",
                                                  random_state=seed)),
            contamination=CONTAMINATION, random_state=seed),
        "IsolationForest": scaled(IsolationForest(contamination=CONTAMINATION,
                                                  random_state=seed)),
        "LOF(novelty)": scaled(LocalOutlierFactor(novelty=True,
                                                  contamination=CONTAMINATION)),
        "OneClassSVM": scaled(OneClassSVM(nu=CONTAMINATION, gamma="scale")),
    }


def run(repeats):
    names = list(detectors(0))
    results = {}
    for setup, (normal, anomaly) in setups().items():
        auc = {n: [] for n in names}
        fa = {n: [] for n in names}
        secs = {n: 0.0 for n in names}
        for seed in range(repeats):
            train, test = train_test_split(normal, train_size=0.6, random_state=seed)
            X_test = np.vstack([test, anomaly])
            is_anomaly = np.r_[np.zeros(len(test)), np.ones(len(anomaly))]
            for name, det in detectors(seed).items():
                start = time.perf_counter()
                det.fit(train)
                decision = det.decision_function(X_test)
                secs[name] += time.perf_counter() - start
                auc[name].append(roc_auc_score(is_anomaly, -decision))
                fa[name].append(np.mean(det.predict(test) == -1))
        results[setup] = {n: (np.mean(auc[n]), np.mean(fa[n]), secs[n] / repeats,
                              len(train), len(test), len(anomaly)) for n in names}
    return names, results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 splits per setup")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    repeats = 2 if args.quick else args.repeats
    names, results = run(repeats)
    width = max(map(len, names)) + 2
    for setup, rows in results.items():
        n_train, n_test, n_anom = next(iter(rows.values()))[3:]
        print(f"\n{setup}: train {n_train} normal, test {n_test} normal + {n_anom} "
              f"anomalies, {repeats} splits")
        print(f"  {'detector':<{width}}{'ROC AUC':>9}{'false alarms':>14}{'fit+score s':>13}")
        for name in names:
            auc, fa, secs = rows[name][:3]
            print(f"  {name:<{width}}{auc:>9.3f}{fa:>13.1%}{secs:>13.2f}")
    print(f"\nROC AUC ratio, default density / baseline (>1: the density ranks better); "
          f"false-alarm rate at contamination={CONTAMINATION}")
    base = names[0]
    header = "".join(f"{n[:16]:>18}" for n in names[1:])
    print(f"  {'setup':<28}{header}{'FA density':>12}{'|FA-5%|<=2pt':>14}")
    ratios = []
    for setup, rows in results.items():
        r = [rows[base][0] / rows[n][0] for n in names[1:]]
        ratios.append(r)
        fa = rows[base][1]
        ok = abs(fa - CONTAMINATION) <= 0.02
        print(f"  {setup:<28}" + "".join(f"{x:>18.3f}" for x in r)
              + f"{fa:>12.1%}{'yes' if ok else 'NO':>14}")
    geo = np.exp(np.mean(np.log(ratios), axis=0))
    print(f"  {'geometric mean':<28}" + "".join(f"{x:>18.3f}" for x in geo))


if __name__ == "__main__":
    main()
