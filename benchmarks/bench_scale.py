"""Scale: Dask inference, a LocalCluster against serial, partial_fit, bandwidth CV.

Each part runs in a fresh Python process, so that its peak resident memory
(``ru_maxrss``) is its own. Parts:

``dask``
    ``score_samples`` of a fitted Gaussian over N rows x 10 columns from a
    Dask array (generated chunk by chunk, never whole in memory): peak RSS
    against the data size + 500 MB, rows per second beside the in-memory call
    (a separate process holding the whole array). N = 1 million by default,
    10 million with ``--full``.
``cluster``
    ``GridSearchCV`` of skgen's KernelDensity over 20 bandwidths x 5 folds
    (20,000 rows, so that a fit is worth sending), serial against loopback
    ``LocalCluster``s of 1 and 2 worker processes (joblib's Dask backend), one
    thread per fit everywhere: wall-time ratio, same ``best_params_``, and a
    projection for more workers from the 1- and 2-worker times (Amdahl's law).
``partial_fit``
    ``partial_fit`` over 10 chunks against ``fit`` on all rows: the largest
    gap in mean log-likelihood (nat) for Gaussian, Histogram (fixed grid) and
    GenerativeClassifier(Gaussian); and, on 20,000 rows, the held-out gap of
    TabularMixture (one pass of incremental EM over a customer table) and of
    MAF (as many passes over the chunks as ``fit`` ran epochs).
``bandwidth``
    ``KernelDensity(bandwidth="cv")`` (5-fold CV over its 20 candidates, Scott's
    rule x 1/16 .. 2; n = 5,000, 2-D, gaussian kernel, Euclidean metric) against
    scikit-learn's
    ``GridSearchCV(sklearn.neighbors.KernelDensity(), {"bandwidth": grid},
    cv=KFold(5, shuffle=True, random_state=0))``, the same folds: wall-time
    ratio on one core each (torch set to one thread, as the serial search) and
    the bandwidth each chose; skgen's time with torch's default threads is
    printed too.

Usage::

    python benchmarks/bench_scale.py                 # every part, N = 1e6
    python benchmarks/bench_scale.py --full          # N = 1e7
    python benchmarks/bench_scale.py --parts dask bandwidth
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

D = 10
CHUNK_ROWS = 250_000


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _fitted_gaussian():
    from skgen.classical import Gaussian

    rng = np.random.RandomState(0)
    return Gaussian().fit(rng.normal(size=(10_000, D)) @ rng.normal(size=(D, D)))


def part_dask_lazy(n):
    import dask
    import dask.array as da

    from skgen.utils import score_samples_dask

    est = _fitted_gaussian()
    X = da.random.RandomState(1).normal(size=(n, D), chunks=(CHUNK_ROWS, D))
    rss0 = _peak_rss_mb()
    t = time.perf_counter()
    with dask.config.set(scheduler="threads", num_workers=2):
        total = score_samples_dask(est, X).sum().compute()
    wall = time.perf_counter() - t
    return {"rows": n, "wall_s": wall, "rows_per_s": n / wall, "sum": float(total),
            "rss_before_mb": rss0, "peak_rss_mb": _peak_rss_mb()}


def part_dask_memory(n):
    import dask.array as da

    est = _fitted_gaussian()
    X = da.random.RandomState(1).normal(size=(n, D), chunks=(CHUNK_ROWS, D)).compute()
    t = time.perf_counter()
    out = est.score_samples(X)
    wall = time.perf_counter() - t
    return {"rows": n, "wall_s": wall, "rows_per_s": n / wall, "sum": float(out.sum()),
            "peak_rss_mb": _peak_rss_mb()}


def _grid():
    return np.geomspace(0.02, 2.0, 20)


def part_cluster(n):
    import os

    os.environ["OMP_NUM_THREADS"] = "1"  # one core per fit, here and in the workers
    import torch
    from joblib import parallel_config
    from sklearn.model_selection import GridSearchCV, KFold
    from threadpoolctl import threadpool_limits

    from skgen.classical import KernelDensity

    torch.set_num_threads(1)
    X = np.random.RandomState(2).normal(size=(n, 2))
    cv = KFold(5, shuffle=True, random_state=0)

    def search(**kwargs):
        return GridSearchCV(KernelDensity(metric="euclidean"), {"bandwidth": _grid()}, cv=cv,
                            **kwargs)

    with threadpool_limits(1):
        t = time.perf_counter()
        serial = search().fit(X).best_params_["bandwidth"]
        t_serial = time.perf_counter() - t
    from distributed import Client, LocalCluster

    times, best = {}, {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster, \
                Client(cluster):
            t = time.perf_counter()
            with parallel_config(backend="dask"):
                best[workers] = search(n_jobs=-1).fit(X).best_params_["bandwidth"]
            times[workers] = time.perf_counter() - t
    return {"rows": n, "serial_s": t_serial, "one_worker_s": times[1],
            "two_workers_s": times[2], "best_serial": serial,
            "best_one_worker": best[1], "best_two_workers": best[2]}


def part_partial_fit(n):
    from sklearn.base import clone

    from skgen.classical import Gaussian, Histogram
    from skgen.conditional import GenerativeClassifier

    rng = np.random.RandomState(3)
    X = rng.normal(size=(n, 3)) @ rng.normal(size=(3, 3)) + 10.0
    y = (X[:, 0] > 10.0).astype(int)
    chunks = np.array_split(np.arange(n), 10)
    out = {}
    lo, hi = X.min(0) - 1, X.max(0) + 1
    for name, est, kwargs in [
        ("Gaussian", Gaussian(), {}),
        ("Histogram(fixed grid)", Histogram(bins=12, range=list(zip(lo, hi)), alpha=1.0), {}),
        ("GenerativeClassifier(Gaussian)", GenerativeClassifier(Gaussian()),
         {"classes": [0, 1]}),
    ]:
        full = clone(est).fit(X, y) if kwargs else clone(est).fit(X)
        for rows in chunks:
            if kwargs:
                est.partial_fit(X[rows], y[rows], **kwargs)
            else:
                est.partial_fit(X[rows])
        gap = abs(float(np.mean(est.score_samples(X)) - np.mean(full.score_samples(X))))
        out[name] = gap
    return {"rows": n, "chunks": 10, "gaps_nat": out}


def part_partial_fit_models(n):
    """Models whose partial_fit approximates fit: held-out gap after streaming."""
    from skgen.datasets import make_customer_table
    from skgen.flows import MAF
    from skgen.tabular import TabularMixture

    out = {}
    # tabular mixture: one pass of incremental EM over 10 chunks, held-out rows
    df = make_customer_table(n + n // 2, random_state=0)
    train, test = df.iloc[:n], df.iloc[n:]
    start = time.perf_counter()
    full = TabularMixture(n_components=6, random_state=0).fit(train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    inc = TabularMixture(n_components=6, random_state=0)
    for part in np.array_split(np.arange(n), 10):
        inc.partial_fit(train.iloc[part])
    out["TabularMixture (1 pass)"] = {
        "gap": float(full.score(test) - inc.score(test)), "fit_s": fit_s,
        "partial_s": time.perf_counter() - start, "passes": 1}
    # a flow: as many passes over the 10 chunks as fit's epochs
    rng = np.random.RandomState(4)
    X = rng.multivariate_normal([0.0, 1.0, 2.0], [[1, .6, .3], [.6, 1, .5], [.3, .5, 1]],
                                size=n + n // 2)
    X[:, 1] += 0.5 * X[:, 0] ** 2
    X_train, X_test = X[:n], X[n:]
    start = time.perf_counter()
    full = MAF(random_state=0).fit(X_train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    inc = MAF(random_state=0)
    for _ in range(full.n_epochs_):
        for part in np.array_split(X_train, 10):
            inc.partial_fit(part)
    out["MAF"] = {"gap": float(full.score(X_test) - inc.score(X_test)), "fit_s": fit_s,
                  "partial_s": time.perf_counter() - start, "passes": full.n_epochs_}
    return {"rows": n, "chunks": 10, "models": out}


def part_bandwidth(n):
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.neighbors import KernelDensity as SkKernelDensity

    from skgen.classical import KernelDensity

    X = np.random.RandomState(4).normal(size=(n, 2)) * [1.0, 2.0]
    X[: n // 3] += [4.0, 0.0]
    import torch

    t = time.perf_counter()
    kde = KernelDensity(bandwidth="cv", metric="euclidean").fit(X)
    t_threads = time.perf_counter() - t
    # one core each: scikit-learn's search runs serially (n_jobs=None)
    torch.set_num_threads(1)
    t = time.perf_counter()
    kde = KernelDensity(bandwidth="cv", metric="euclidean").fit(X)
    t_ours = time.perf_counter() - t
    ours, grid = kde.bandwidth_, kde.cv_bandwidths_
    t = time.perf_counter()
    search = GridSearchCV(SkKernelDensity(), {"bandwidth": grid},
                          cv=KFold(5, shuffle=True, random_state=0)).fit(X)
    t_sklearn = time.perf_counter() - t
    return {"rows": n, "skgen_s": t_ours, "sklearn_s": t_sklearn, "ratio": t_sklearn / t_ours,
            "skgen_default_threads_s": t_threads,
            "skgen_bandwidth": ours, "sklearn_bandwidth": search.best_params_["bandwidth"]}


PARTS = {"dask_lazy": part_dask_lazy, "dask_memory": part_dask_memory,
         "cluster": part_cluster, "partial_fit": part_partial_fit,
         "partial_fit_models": part_partial_fit_models,
         "bandwidth": part_bandwidth}


def _run(part, n):
    res = subprocess.run([sys.executable, __file__, "--inner", part, "--rows", str(n)],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="10 million rows (dask part)")
    parser.add_argument("--parts", nargs="+", default=["dask", "cluster", "partial_fit",
                                                        "bandwidth"])
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        print(json.dumps(PARTS[args.inner](args.rows)))
        return
    if "dask" in args.parts:
        n = 10_000_000 if args.full else 1_000_000
        lazy, mem = _run("dask_lazy", n), _run("dask_memory", n)
        data_mb = n * D * 8 / 2**20
        print(f"[dask] score_samples over {n:,} rows x {D} columns (Gaussian)")
        print(f"  Dask array (chunks of {CHUNK_ROWS:,} rows): {lazy['rows_per_s']:,.0f} rows/s, "
              f"peak RSS {lazy['peak_rss_mb']:.0f} MB (data {data_mb:.0f} MB; bound data + 500 "
              f"= {data_mb + 500:.0f} MB: {'OK' if lazy['peak_rss_mb'] < data_mb + 500 else 'OVER'})")
        print(f"  in memory (whole array): {mem['rows_per_s']:,.0f} rows/s, "
              f"peak RSS {mem['peak_rss_mb']:.0f} MB; same sum: "
              f"{np.isclose(lazy['sum'], mem['sum'], rtol=1e-10)}")
    if "cluster" in args.parts:
        r = _run("cluster", 20_000)
        ratio = r["serial_s"] / r["two_workers_s"]
        print(f"[cluster] GridSearchCV(KernelDensity) 20 bandwidths x 5 folds, n={r['rows']:,}, "
              "one core per fit")
        print(f"  serial {r['serial_s']:.1f} s; LocalCluster 1 worker {r['one_worker_s']:.1f} s, "
              f"2 workers {r['two_workers_s']:.1f} s: speed-up {ratio:.2f}x over serial; same "
              f"best_params_: {r['best_serial'] == r['best_two_workers'] == r['best_one_worker']}"
              f" ({r['best_serial']:.4g})")
        # Amdahl from the 1- and 2-worker runs: t(w) = s + p / w
        p = max(2 * (r["one_worker_s"] - r["two_workers_s"]), 0.0)
        s = max(r["one_worker_s"] - p, 0.0)
        proj = ", ".join(f"{w}: {r['serial_s'] / (s + p / w):.1f}x" for w in (4, 8, 16, 100))
        print(f"  projection (Amdahl from 1 and 2 workers: fixed part {s:.1f} s, parallel part "
              f"{p:.1f} s; 100 fits at most) over serial: {proj}")
    if "partial_fit" in args.parts:
        r = _run("partial_fit", 100_000)
        print(f"[partial_fit] 10 chunks of {r['rows'] // 10:,} rows against fit on all rows: "
              "gap in mean log-likelihood")
        for name, gap in r["gaps_nat"].items():
            print(f"  {name}: {gap:.2e} nat")
        r = _run("partial_fit_models", 20_000)
        print(f"  held-out mean log-likelihood, fit on {r['rows']:,} rows minus partial_fit "
              "over 10 chunks (goal: within 0.02 nat)")
        for name, m in r["models"].items():
            print(f"  {name}: gap {m['gap']:+.4f} nat after {m['passes']} pass(es); fit "
                  f"{m['fit_s']:.1f} s, partial_fit {m['partial_s']:.1f} s "
                  f"({m['partial_s'] / m['fit_s']:.2f}x)")
    if "bandwidth" in args.parts:
        r = _run("bandwidth", 5000)
        print(f"[bandwidth] 5-fold CV over 20 bandwidths, n={r['rows']}, 2-D, gaussian kernel")
        print(f"  one core each: skgen KernelDensity(bandwidth='cv') {r['skgen_s']:.2f} s "
              f"(torch's default threads: {r['skgen_default_threads_s']:.2f} s), scikit-learn "
              f"GridSearchCV {r['sklearn_s']:.2f} s: {r['ratio']:.1f}x faster; bandwidth "
              f"{r['skgen_bandwidth']:.4g} vs {r['sklearn_bandwidth']:.4g} "
              f"(same: {r['skgen_bandwidth'] == r['sklearn_bandwidth']})")


if __name__ == "__main__":
    main()
