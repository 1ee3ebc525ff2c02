"""Benchmark: skgen.tabular against the truth and against SDV, in one run.

Three parts, each printing its figures:

1. **The known network** (:class:`skgen.datasets.CustomerNetwork`): held-out
   log-likelihood of ``TabularMixture`` and ``TabularAutoregressive`` beside
   the true one (goal: within 0.05 nat/row).
2. **Missing values**: 20% of cells missing at random in training and
   held-out rows; the held-out log-likelihood of EM on every row against a
   fit on the complete rows only.
3. **Real tables against SDV** (GaussianCopula, CTGAN, TVAE; SDV is a
   benchmark-only dependency): detection AUC (lower is better; 0.5 means the
   classifier cannot tell synthetic from held-out real rows), column shapes
   and pair trends (1 is best), fit and sample time, on tables that installed
   packages ship: ``vega_datasets``' cars and seattle-weather, scikit-learn's
   wine and diabetes with a column made categorical. Goals: TabularMixture
   beats GaussianCopula's detection AUC at no more than its fit time;
   TabularAutoregressive beats CTGAN's and TVAE's at no more than a third of
   their fit time. The ratios are printed.

Usage::

    python benchmarks/bench_tabular.py            # SDV's defaults (several minutes)
    python benchmarks/bench_tabular.py --quick    # small network, CTGAN/TVAE 30 epochs
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from skgen.datasets import CustomerNetwork, make_customer_table
from skgen.metrics import column_shapes, detection_auc, pair_trends
from skgen.tabular import TabularMixture

try:
    from skgen.tabular import TabularAutoregressive
except ImportError:  # not in this version
    TabularAutoregressive = None


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _skgen_models(seed):
    models = {"TabularMixture": lambda: TabularMixture(random_state=seed)}
    if TabularAutoregressive is not None:
        models["TabularAutoregressive"] = lambda: TabularAutoregressive(random_state=seed)
    return models


# ------------------------------------------------------------- 1 and 2
def known_network(n_train, seed):
    print(f"\n== 1. CustomerNetwork: {n_train} training rows, 10000 held-out rows ==")
    train = make_customer_table(n_train, random_state=seed)
    test = make_customer_table(10000, random_state=seed + 1)
    truth = CustomerNetwork().score_samples(test).mean()
    print(f"{'model':<24}{'held-out loglik':>16}{'gap to truth':>14}{'fit s':>8}")
    print(f"{'truth':<24}{truth:16.4f}{0:14.4f}{0:8.2f}")
    for name, make in _skgen_models(seed).items():
        model, fit_s = _timed(lambda: make().fit(train))
        ll = model.score(test)
        print(f"{name:<24}{ll:16.4f}{truth - ll:14.4f}{fit_s:8.2f}")


def missing_values(n_train, seed):
    print(f"\n== 2. 20% of cells missing at random ({n_train} training rows) ==")
    train = make_customer_table(n_train, missing_rate=0.2, random_state=seed)
    test = make_customer_table(10000, missing_rate=0.2, random_state=seed + 1)
    truth = CustomerNetwork().score_samples(test).mean()
    complete = train.dropna()
    print(f"complete training rows: {len(complete)} of {len(train)}; true held-out "
          f"log-likelihood of the observed cells {truth:.4f}")
    print(f"{'model':<24}{'every row (EM)':>16}{'complete rows':>15}{'gain':>8}")
    for name, make in _skgen_models(seed).items():
        every = make().fit(train).score(test)
        dropped = make().fit(complete).score(test)
        print(f"{name:<24}{every:16.4f}{dropped:15.4f}{every - dropped:8.4f}")


# ------------------------------------------------------------------ 3
def _real_tables():
    from sklearn.datasets import load_diabetes, load_wine
    from vega_datasets import local_data

    cars = local_data.cars().drop(columns=["Name"])
    cars["Year"] = cars["Year"].dt.year.astype("int64")
    cars["Origin"] = cars["Origin"].astype("category")
    cars["Cylinders"] = cars["Cylinders"].astype("int64")
    weather = local_data.seattle_weather().drop(columns=["date"])
    weather["weather"] = weather["weather"].astype("category")
    wine = load_wine(as_frame=True).frame
    wine["target"] = pd.Categorical.from_codes(wine["target"], ["class_0", "class_1",
                                                               "class_2"])
    wine["magnesium"] = wine["magnesium"].astype("int64")
    wine["proline"] = wine["proline"].astype("int64")
    diabetes = load_diabetes(as_frame=True, scaled=False).frame
    diabetes["sex"] = diabetes["sex"].map({1.0: "F", 2.0: "M"}).astype("category")
    diabetes["age"] = diabetes["age"].astype("int64")
    diabetes["target"] = diabetes["target"].astype("int64")
    return {"cars": cars, "seattle-weather": weather, "wine": wine, "diabetes": diabetes}


def _sdv_models(df, quick, seed):
    from sdv.metadata import Metadata
    from sdv.single_table import (
        CTGANSynthesizer,
        GaussianCopulaSynthesizer,
        TVAESynthesizer,
    )

    import sdv

    sdv_2 = int(sdv.__version__.split(".")[0]) >= 2  # tables passed as {name: frame}
    plain = df.astype({c: object for c in df.columns
                       if isinstance(df[c].dtype, pd.CategoricalDtype)})
    metadata = Metadata.detect_from_dataframes({"table": plain}, infer_keys=None)
    epochs = {"epochs": 30} if quick else {}

    class _SDV:
        def __init__(self, cls, **kwargs):
            self.synth = cls(metadata, **kwargs)

        def fit(self, X):
            # SDV refuses pandas categories: give it object columns
            X = X.astype({c: object for c in X.columns
                          if isinstance(X[c].dtype, pd.CategoricalDtype)})
            self.synth.fit({"table": X} if sdv_2 else X)
            return self

        def sample(self, n, random_state=None):
            out = self.synth.sample(num_rows=n)
            return out["table"] if isinstance(out, dict) else out

    return {
        "SDV GaussianCopula": lambda: _SDV(GaussianCopulaSynthesizer),
        "SDV CTGAN": lambda: _SDV(CTGANSynthesizer, **epochs),
        "SDV TVAE": lambda: _SDV(TVAESynthesizer, **epochs),
    }


def real_tables(quick, seed):
    print("\n== 3. Real tables: skgen.tabular against SDV ==")
    print("detection AUC: held-out real rows against as many synthetic rows "
          "(lower is better, 0.5 = indistinguishable)")
    rows = []
    for table, df in _real_tables().items():
        rng = np.random.RandomState(seed)
        order = rng.permutation(len(df))
        cut = len(df) // 2
        train, holdout = df.iloc[order[:cut]], df.iloc[order[cut:]]
        makers = {**_skgen_models(seed), **_sdv_models(train, quick, seed)}
        for name, make in makers.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model, fit_s = _timed(lambda: make().fit(train))
                synthetic, sample_s = _timed(lambda: model.sample(len(holdout),
                                                                   random_state=seed))
            synthetic = synthetic[list(df.columns)].astype(df.dtypes.to_dict())
            rows.append(dict(
                table=table, model=name, fit_s=fit_s, sample_s=sample_s,
                detection_auc=detection_auc(holdout, synthetic, random_state=seed),
                column_shapes=column_shapes(holdout, synthetic)["score"].mean(),
                pair_trends=pair_trends(holdout, synthetic)["score"].mean(),
            ))
            r = rows[-1]
            print(f"{table:<16}{name:<24}AUC {r['detection_auc']:.3f}  shapes "
                  f"{r['column_shapes']:.3f}  trends {r['pair_trends']:.3f}  fit "
                  f"{fit_s:7.2f} s  sample {sample_s:6.2f} s", flush=True)
    results = pd.DataFrame(rows)
    print("\nMeans over the tables:")
    summary = results.groupby("model")[["detection_auc", "column_shapes", "pair_trends",
                                        "fit_s", "sample_s"]].mean()
    print(summary.round(3).to_string())
    _goals(results)
    return results


def _goals(results):
    by = results.set_index(["table", "model"])
    print("\nGoals, table by table (AUC difference: negative = skgen better; "
          "time ratio: skgen fit / SDV fit):")
    pairs = [("TabularMixture", "SDV GaussianCopula", 1.0)]
    if TabularAutoregressive is not None:
        pairs += [("TabularAutoregressive", "SDV CTGAN", 1 / 3),
                  ("TabularAutoregressive", "SDV TVAE", 1 / 3)]
    for ours, theirs, time_goal in pairs:
        for table in results["table"].unique():
            a, b = by.loc[(table, ours)], by.loc[(table, theirs)]
            d_auc = a["detection_auc"] - b["detection_auc"]
            ratio = a["fit_s"] / b["fit_s"]
            met = d_auc < 0 and ratio <= time_goal
            print(f"  {table:<16}{ours} vs {theirs:<20} AUC {d_auc:+.3f}  time ratio "
                  f"{ratio:6.2f} (goal <= {time_goal:.2f})  {'met' if met else 'MISSED'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller run (smoke test)")
    parser.add_argument("--skip-sdv", action="store_true", help="parts 1 and 2 only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n_train = 2000 if args.quick else 20000
    known_network(n_train, args.seed)
    missing_values(n_train // 4, args.seed)
    if not args.skip_sdv:
        real_tables(args.quick, args.seed)


if __name__ == "__main__":
    main()
