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

Three sections, each printing its figures and ratios:

1. **Numeric tables** (above): RMSE of DensityImputer against the three
   scikit-learn imputers.
2. **Mixed tables** with categorical columns: iris with ``species``, wine
   with ``class``, diabetes with ``sex`` as a category, and
   ``skgen.datasets.make_customer_table`` (categorical, boolean, count and
   log-normal columns). 10% or 30% of all cells (categorical ones included)
   are removed completely at random. ``DensityImputer(TabularMixture())``
   (``strategy="mean"``: for each incomplete row, 200 conditional draws; the
   mean of the draws fills a numeric cell, the most frequent draw a
   categorical one) against ``IterativeImputer`` and ``KNNImputer`` applied
   to an ordinal-coded table (categories and booleans as integer codes,
   every column standardized; imputed codes rounded and clipped to the
   valid range, integer columns rounded) and ``SimpleImputer`` (mean for
   numbers, most frequent for categories). Reported: RMSE over the removed
   numeric cells, in standard deviations of the complete column, and the
   accuracy over the removed categorical cells.
3. **Fitting with missing cells**: each numeric table (standardized) is split
   in half (train / test) several times; 20% of the training cells are
   removed completely at random; ``Gaussian()`` and ``GaussianMixture(2)``
   (defaults, fixed ``random_state``) are fitted three ways: EM on every row
   with its NaN cells (skgen's own fit), on the complete rows only (skipped
   when fewer than ``2 * n_components * n_features`` rows are complete), and on
   the mean-imputed rows. Printed: the mean log-likelihood of the (complete)
   test rows, the differences EM minus each alternative, and the fit on the
   full training data (no cells removed) as the ceiling.

Usage::

    python benchmarks/bench_impute.py              # 3 masks / seeds per setup
    python benchmarks/bench_impute.py --quick      # 1 mask / seed, smaller tables
    python benchmarks/bench_impute.py --sections 23

``--quick`` leaves out breast cancer at 30% in section 1 (the EM of the
Gaussian alone takes minutes there) and uses 500 rows of the customer
table instead of 1000.

Full run time (2 shared cores, ``nice``): 24.5 minutes, of which section 1
takes about 18 (breast cancer at 30%: over 3 minutes per mask for the
Gaussian's EM), section 2 about 1 and section 3 about 5. ``--quick``: 3.5 minutes.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (enables it)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.preprocessing import StandardScaler

from skgen.classical import Gaussian, GaussianMixture
from skgen.datasets import make_customer_table
from skgen.impute import DensityImputer
from skgen.tabular import TabularMixture

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


def run(repeats, quick=False):
    names = list(imputers(0))
    results = {}
    for table, load in TABLES.items():
        X = StandardScaler().fit_transform(load(return_X_y=True)[0])
        for rate in RATES:
            if quick and table == "breast cancer" and rate == 0.3:
                continue
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


def numeric_section(repeats, quick):
    print("== 1. Numeric tables: DensityImputer against scikit-learn's imputers ==")
    names, results = run(repeats, quick)
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


# ------------------------------------------------------------------ 2
def mixed_tables(quick):
    """Tables with categorical columns: scikit-learn's, and the customer table."""
    tables = {}
    for name, load, target in (("iris", load_iris, "species"), ("wine", load_wine, "class")):
        bunch = load(as_frame=True)
        df = bunch.data.astype(np.float64)
        df[target] = pd.Categorical.from_codes(bunch.target, list(bunch.target_names))
        tables[name] = df
    diabetes = load_diabetes(as_frame=True, scaled=False).frame.astype(np.float64)
    diabetes["sex"] = pd.Categorical(diabetes["sex"].map({1.0: "F", 2.0: "M"}))
    tables["diabetes"] = diabetes
    tables["customer"] = make_customer_table(500 if quick else 1000, random_state=0)
    return tables


def _is_categorical(col):
    return isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(col)


def _codes(df, truth):
    """Float array of ``df``: categories and booleans as codes (those of ``truth``),
    NaN where missing."""
    out = np.empty(df.shape)
    for j, c in enumerate(df.columns):
        col = df[c]
        if isinstance(truth[c].dtype, pd.CategoricalDtype):
            codes = pd.Categorical(col, categories=truth[c].cat.categories).codes
            out[:, j] = np.where(codes < 0, np.nan, codes)
        else:
            out[:, j] = col.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _knock_out(df, rate, rng):
    """``df`` with cells removed completely at random (each row keeps one)."""
    holes = rng.rand(*df.shape) < rate
    holes[holes.all(axis=1), 0] = False
    out = df.copy()
    for j, c in enumerate(df.columns):
        col = out[c]
        if pd.api.types.is_bool_dtype(col):
            col = col.astype("boolean")
        elif pd.api.types.is_integer_dtype(col):
            col = col.astype("Int64")
        out[c] = col.mask(holes[:, j])
    return out, holes


def _ordinal_imputers(seed):
    return {
        "IterativeImputer": IterativeImputer(max_iter=10, random_state=seed),
        "KNNImputer": KNNImputer(),
    }


def impute_mixed(truth, masked, seed):
    """Filled code arrays, one per imputer, and seconds of each."""
    cat = np.array([_is_categorical(truth[c]) for c in truth.columns])
    integer = np.array([pd.api.types.is_integer_dtype(truth[c]) and not cat[j]
                        for j, c in enumerate(truth.columns)])
    n_levels = np.array([len(truth[c].cat.categories) if isinstance(
        truth[c].dtype, pd.CategoricalDtype) else 2 for c in truth.columns])
    T = _codes(truth, truth)
    Z = _codes(masked, truth)
    filled, secs = {}, {}

    start = time.perf_counter()
    density = DensityImputer(TabularMixture(random_state=seed), random_state=seed)
    filled["Density (TabMix)"] = _codes(density.fit_transform(masked), truth)
    secs["Density (TabMix)"] = time.perf_counter() - start
    k = density.estimator_.n_components_

    mu, sd = np.nanmean(Z, axis=0), np.nanstd(Z, axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    for name, imp in _ordinal_imputers(seed).items():
        start = time.perf_counter()
        F = imp.fit_transform((Z - mu) / sd) * sd + mu
        F[:, cat] = np.clip(np.round(F[:, cat]), 0, n_levels[cat] - 1)
        F[:, integer] = np.round(F[:, integer])
        filled[name] = F
        secs[name] = time.perf_counter() - start
    start = time.perf_counter()
    F = Z.copy()
    if (~cat).any():
        F[:, ~cat] = SimpleImputer().fit_transform(Z[:, ~cat])
        F[:, integer] = np.round(F[:, integer])
    F[:, cat] = SimpleImputer(strategy="most_frequent").fit_transform(Z[:, cat])
    filled["SimpleImputer"] = F
    secs["SimpleImputer"] = time.perf_counter() - start
    return T, filled, secs, cat, k


def mixed_section(repeats, quick):
    print("\n== 2. Mixed tables: numeric RMSE and categorical accuracy ==")
    names = ["Density (TabMix)", "IterativeImputer", "KNNImputer", "SimpleImputer"]
    results = {}
    for table, df in mixed_tables(quick).items():
        cat = np.array([_is_categorical(df[c]) for c in df.columns])
        scale = _codes(df, df)[:, ~cat].std(axis=0)
        for rate in RATES:
            sq = {n: [] for n in names}
            hit = {n: [] for n in names}
            secs = dict.fromkeys(names, 0.0)
            ks = []
            for seed in range(repeats):
                rng = np.random.RandomState(seed)
                masked, holes = _knock_out(df, rate, rng)
                T, filled, s, cat, k = impute_mixed(df, masked, seed)
                ks.append(k)
                for n in names:
                    F = filled[n]
                    assert not np.isnan(F).any(), n
                    err = ((F - T)[:, ~cat] / scale)[holes[:, ~cat]]
                    sq[n].append(np.mean(err**2))
                    hit[n].append(np.mean((F == T)[:, cat][holes[:, cat]]))
                    secs[n] += s[n]
            results[(table, rate)] = {
                n: (np.sqrt(np.mean(sq[n])), np.mean(hit[n]), secs[n] / repeats)
                for n in names}
            results[(table, rate)]["k"] = ks
        print(f"  {table}: {len(df)} rows; numeric columns "
              f"{', '.join(c for c, x in zip(df.columns, cat) if not x)}; categorical "
              f"{', '.join(c for c, x in zip(df.columns, cat) if x)}", flush=True)
    print(f"\nStandardized RMSE over the removed numeric cells / accuracy over the removed "
          f"categorical cells (mean of {repeats} masks); seconds in brackets; TabMix "
          "components chosen by BIC in the last column")
    short = [n.replace("Density ", "D.").replace("Imputer", "") for n in names]
    print(f"  {'table':<16}" + "".join(f"{s:>24}" for s in short) + "      k")
    for (table, rate), row in results.items():
        print(f"  {f'{table} {rate:.0%}':<16}"
              + "".join(f"{row[n][0]:>9.3f} / {row[n][1]:.3f} ({row[n][2]:>4.1f})"
                        for n in names) + f"  {','.join(map(str, row['k']))}")
    base = names[1:]
    print("\nDensity (TabMix) against each baseline: RMSE ratio (<1: density better) / "
          "accuracy difference (>0: density better)")
    print(f"  {'table':<16}" + "".join(f"{n:>24}" for n in base))
    ratios, diffs = [], []
    for (table, rate), row in results.items():
        r = [row[names[0]][0] / row[n][0] for n in base]
        a = [row[names[0]][1] - row[n][1] for n in base]
        ratios.append(r)
        diffs.append(a)
        print(f"  {f'{table} {rate:.0%}':<16}"
              + "".join(f"{x:>15.3f} / {y:+.3f}" for x, y in zip(r, a)))
    ratios, diffs = np.array(ratios), np.array(diffs)
    print(f"  {'geo/arith mean':<16}" + "".join(
        f"{x:>15.3f} / {y:+.3f}"
        for x, y in zip(np.exp(np.log(ratios).mean(axis=0)), diffs.mean(axis=0))))
    for j, n in enumerate(base):
        print(f"  against {n}: lower RMSE on {int(np.sum(ratios[:, j] < 1))} of "
              f"{len(ratios)} setups, higher accuracy on {int(np.sum(diffs[:, j] > 0))}, "
              f"equal on {int(np.sum(diffs[:, j] == 0))}")


# ------------------------------------------------------------------ 3
def _held_out(make, train, test):
    """Mean log-likelihood of ``test`` under ``make()`` fitted to ``train``, and the
    fit's seconds; NaN (with the error) when the fit fails."""
    start = time.perf_counter()
    try:
        model = make().fit(train)
    except (ValueError, np.linalg.LinAlgError) as exc:
        print(f"    fit failed on {train.shape[0]} rows: {exc}")
        return np.nan, time.perf_counter() - start
    return model.score(test), time.perf_counter() - start


def missing_fit_section(repeats, quick, rate=0.2):
    print(f"\n== 3. Fitting with {rate:.0%} of the training cells missing: held-out "
          "mean log-likelihood (nats/row) ==")
    models = {"Gaussian": (1, lambda seed: (lambda: Gaussian())),
              "GMM 2": (2, lambda seed: (lambda: GaussianMixture(2, random_state=seed)))}
    ways = ("full data", "EM", "complete rows", "mean-imputed")
    rows = []
    for table, load in TABLES.items():
        X = StandardScaler().fit_transform(load(return_X_y=True)[0])
        n, d = X.shape
        for name, (k, factory) in models.items():
            scores = {w: [] for w in ways}
            n_complete, em_secs = [], 0.0
            for seed in range(repeats):
                rng = np.random.RandomState(seed)
                order = rng.permutation(n)
                train, test = X[order[: n // 2]], X[order[n // 2:]]
                M = train.copy()
                M[rng.rand(*M.shape) < rate] = np.nan
                empty = np.isnan(M).all(axis=1)
                M[empty, 0] = train[empty, 0]
                complete = ~np.isnan(M).any(axis=1)
                n_complete.append(int(complete.sum()))
                make = factory(seed)
                scores["full data"].append(_held_out(make, train, test)[0])
                ll, secs = _held_out(make, M, test)
                scores["EM"].append(ll)
                em_secs += secs
                scores["complete rows"].append(
                    _held_out(make, M[complete], test)[0]
                    if complete.sum() >= 2 * k * d else np.nan)
                scores["mean-imputed"].append(
                    _held_out(make, SimpleImputer().fit_transform(M), test)[0])
            s = {w: np.array(v) for w, v in scores.items()}
            ok = ~np.isnan(s["complete rows"])
            rows.append(dict(
                table=table, model=name, d=d, n_train=n // 2,
                n_complete=np.mean(n_complete), seeds_dropped=int(ok.sum()),
                **{w: np.nanmean(v) if (~np.isnan(v)).any() else np.nan
                   for w, v in s.items()},
                em_minus_drop=np.mean((s["EM"] - s["complete rows"])[ok]) if ok.any()
                else np.nan,
                em_minus_mean=np.mean(s["EM"] - s["mean-imputed"]),
                em_secs=em_secs / repeats))
            r = rows[-1]
            print(f"  {table:<14}{name:<9} done (EM fit {r['em_secs']:.1f} s)", flush=True)
    print(f"\nMean over {repeats} splits; train = test = half the rows; 'complete rows' "
          "needs at least 2 * n_components * n_features complete training rows, "
          "'skip' otherwise")
    print(f"  {'table':<14}{'model':<9}{'complete':>10}{'full data':>11}{'EM':>11}"
          f"{'complete':>11}{'mean-imp':>11}{'EM-compl':>11}{'EM-mean':>11}{'EM-full':>11}")

    def f(x, fmt="11.3f"):
        return f"{x:{fmt}}" if np.isfinite(x) else f"{'skip' if np.isnan(x) else x:>11}"

    for r in rows:
        share = f"{r['n_complete']:.0f}/{r['n_train']}"
        print(f"  {r['table']:<14}{r['model']:<9}{share:>10}{f(r['full data'])}"
              f"{f(r['EM'])}{f(r['complete rows'])}{f(r['mean-imputed'])}"
              f"{f(r['em_minus_drop'], '+11.3f')}{f(r['em_minus_mean'], '+11.3f')}"
              f"{f(r['EM'] - r['full data'], '+11.3f')}")
    dm = np.array([r["em_minus_mean"] for r in rows])
    dd = np.array([r["em_minus_drop"] for r in rows])
    dd = dd[~np.isnan(dd)]
    print(f"  EM beats mean imputation on {int(np.sum(dm > 0))} of {len(dm)} (table, model) "
          f"pairs; beats dropping incomplete rows on {int(np.sum(dd > 0))} of {len(dd)} pairs "
          f"where enough rows were complete ({len(rows) - len(dd)} pairs skipped)")
    print("  (EM-full: the cost of the missing cells against the full-data ceiling)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="1 mask / split per setup, smaller tables")
    parser.add_argument("--repeats", type=int, default=3, help="masks / splits per setup")
    parser.add_argument("--sections", default="123", help="which sections to run, e.g. 23")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    # IterativeImputer's "Early stopping criterion not reached": its 10 rounds are the setting
    warnings.filterwarnings("ignore", message=r"\[IterativeImputer\]")
    start = time.perf_counter()
    if "1" in args.sections:
        numeric_section(repeats, args.quick)
    if "2" in args.sections:
        mixed_section(repeats, args.quick)
    if "3" in args.sections:
        missing_fit_section(repeats, args.quick)
    print(f"\nTotal time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
