"""Benchmark: DensityImputer against scikit-learn's imputers.

Real tables bundled with scikit-learn (``load_*``, no download): diabetes,
wine, breast cancer, iris. Each table is standardized (so every column counts
alike), then 10% or 30% of its cells are removed completely at random; each
imputer fills them, and the RMSE over the removed cells (in standard
deviations) is the mean over ``--repeats`` random masks. Imputers:
``DensityImputer`` with a Gaussian and with a 3-component Gaussian mixture
(both fitted by EM on the incomplete table, conditional mean),
``IterativeImputer`` (BayesianRidge, 10 rounds), ``KNNImputer`` (5
neighbours) and ``SimpleImputer`` (column mean).

Usage::

    python benchmarks/bench_impute.py            # 3 masks per setup
    python benchmarks/bench_impute.py --quick    # 1 mask
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (enables it)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.preprocessing import StandardScaler

from skgen.classical import Gaussian, GaussianMixture
from skgen.impute import DensityImputer

TABLES = {"diabetes": load_diabetes, "wine": load_wine,
          "breast cancer": load_breast_cancer, "iris": load_iris}
RATES = (0.1, 0.3)


def imputers(seed):
    return {
        "Density (Gaussian)": DensityImputer(Gaussian()),
        "Density (GMM 3)": DensityImputer(GaussianMixture(3, random_state=seed)),
        "IterativeImputer": IterativeImputer(max_iter=10, random_state=seed),
        "KNNImputer": KNNImputer(),
        "SimpleImputer": SimpleImputer(),
    }


def run(repeats):
    names = list(imputers(0))
    results = {}
    for table, load in TABLES.items():
        X = StandardScaler().fit_transform(load(return_X_y=True)[0])
        for rate in RATES:
            errs = {n: [] for n in names}
            secs = dict.fromkeys(names, 0.0)
            for seed in range(repeats):
                rng = np.random.RandomState(seed)
                M = X.copy()
                M[rng.rand(*X.shape) < rate] = np.nan
                empty = np.isnan(M).all(axis=1)
                M[empty, 0] = X[empty, 0]  # keep one cell of rows left empty
                for name, imp in imputers(seed).items():
                    start = time.perf_counter()
                    F = imp.fit_transform(M)
                    secs[name] += time.perf_counter() - start
                    errs[name].append(np.sqrt(np.mean((F - X)[np.isnan(M)] ** 2)))
            results[(table, rate)] = {n: (np.mean(errs[n]), secs[n] / repeats)
                                      for n in names}
    return names, results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 mask per setup")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    names, results = run(repeats)
    short = [n.replace("Density ", "D.").replace("Imputer", "")[:14] for n in names]
    print(f"Standardized RMSE over the removed cells (mean of {repeats} masks); "
          "seconds to fit+transform in brackets")
    print(f"  {'table':<22}" + "".join(f"{s:>20}" for s in short))
    for (table, rate), row in results.items():
        print(f"  {f'{table} {rate:.0%}':<22}"
              + "".join(f"{row[n][0]:>12.3f} ({row[n][1]:>4.1f})" for n in names))
    best = min(names[:2], key=lambda n: np.mean([r[n][0] for r in results.values()]))
    print(f"\nRMSE ratio, {best} / baseline (<1: the density imputes better)")
    base = names[2:]
    print(f"  {'table':<22}" + "".join(f"{n:>18}" for n in base))
    ratios = []
    for (table, rate), row in results.items():
        r = [row[best][0] / row[n][0] for n in base]
        ratios.append(r)
        print(f"  {f'{table} {rate:.0%}':<22}" + "".join(f"{x:>18.3f}" for x in r))
    ratios = np.array(ratios)
    print(f"  {'geometric mean':<22}"
          + "".join(f"{x:>18.3f}" for x in np.exp(np.log(ratios).mean(axis=0))))
    print(f"  beats IterativeImputer on {int(np.sum(ratios[:, 0] < 1))} of {len(ratios)} setups")


if __name__ == "__main__":
    main()
