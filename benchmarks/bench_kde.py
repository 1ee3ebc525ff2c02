"""Benchmark: skgen KernelDensity.score_samples against scikit-learn's.

Both compute the exact estimate (scikit-learn with ``rtol=0, atol=0``), gaussian
kernel, bandwidth 0.5, on standard normal data with ``n_train = n_query``.
Accuracy is measured against a float64 brute force (distances from coordinate
differences, ``scipy.special.logsumexp`` over all training rows) on a subset
of query rows.

Usage::

    python benchmarks/bench_kde.py            # n = 20000, d = 2, 8, 32
    python benchmarks/bench_kde.py --quick    # n = 2000, smoke run
"""

import argparse
import math
import time

import numpy as np
from scipy.special import logsumexp
from sklearn.neighbors import KernelDensity as SkKernelDensity

from skgen.classical import KernelDensity

BANDWIDTH = 0.5


def brute_force_gaussian_kde(X, Y, h, chunk=64):
    """Exact gaussian KDE log-density of rows ``Y``; float64, every pair."""
    n, d = X.shape
    out = np.empty(len(Y))
    for i in range(0, len(Y), chunk):
        diff = Y[i : i + chunk, None, :] - X[None, :, :]
        log_k = -0.5 * np.einsum("ijk,ijk->ij", diff, diff) / h**2
        out[i : i + chunk] = logsumexp(log_k, axis=1)
    return out - math.log(n) - 0.5 * d * math.log(2 * math.pi) - d * math.log(h)


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run(n, dims, sk_rows, check_rows, seed=0):
    rows = []
    for d in dims:
        rng = np.random.RandomState(seed + d)
        X = rng.normal(size=(n, d))
        Y = rng.normal(size=(n, d))

        # metric="euclidean": the density scikit-learn computes (distances in the
        # units of X), so both estimate the same thing.
        ours = KernelDensity(bandwidth=BANDWIDTH, metric="euclidean").fit(X)
        ours_out, t_ours = _timed(lambda: ours.score_samples(Y))

        sk = SkKernelDensity(bandwidth=BANDWIDTH, rtol=0, atol=0).fit(X)
        m = min(sk_rows, n)
        sk_out, t_sk_part = _timed(lambda: sk.score_samples(Y[:m]))
        t_sk = t_sk_part * n / m  # queries are independent: linear in rows

        k = min(check_rows, m)
        exact = brute_force_gaussian_kde(X, Y[:k], BANDWIDTH)
        err_ours = np.max(np.abs(ours_out[:k] - exact))
        err_sk = np.max(np.abs(sk_out[:k] - exact))
        off_sk = np.mean(np.abs(sk_out[:k] - exact) > 1.0)
        rows.append((d, t_ours, t_sk, m, err_ours, err_sk, off_sk))
        print(f"  d={d}: ours {t_ours:.2f} s, scikit-learn {t_sk:.2f} s", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 2000 (smoke run)")
    parser.add_argument("--n", type=int, default=None, help="n_train = n_query")
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 8, 32])
    parser.add_argument(
        "--sk-rows", type=int, default=None,
        help="time scikit-learn on this many query rows and extrapolate linearly "
        "(default: all rows)",
    )
    parser.add_argument("--check-rows", type=int, default=200,
                        help="query rows compared with the brute force")
    parser.add_argument(
        "--threads", type=int, default=1,
        help="torch threads for skgen (scikit-learn's KDE is single-threaded); "
        "0 keeps torch's default",
    )
    args = parser.parse_args()
    n = args.n or (2000 if args.quick else 20000)
    sk_rows = args.sk_rows or n

    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    print(f"KernelDensity.score_samples, gaussian kernel, bandwidth {BANDWIDTH}, "
          f"n_train = n_query = {n}, torch threads = {torch.get_num_threads()}")
    rows = run(n, args.dims, sk_rows, args.check_rows)

    print()
    print(f"{'d':>3} {'skgen (s)':>10} {'sklearn (s)':>12} {'speed-up':>9} "
          f"{'max |err| skgen':>16} {'max |err| sklearn':>18} {'sklearn >1 nat off':>19}")
    for d, t_ours, t_sk, m, err_ours, err_sk, off_sk in rows:
        mark = "*" if m < n else " "
        print(f"{d:>3} {t_ours:>10.2f} {t_sk:>11.2f}{mark} {t_sk / t_ours:>8.1f}x "
              f"{err_ours:>16.2e} {err_sk:>18.2e} {off_sk:>18.0%}")
    print(f"\nErrors: max |log p - brute force| (nats) over the first "
          f"{min(args.check_rows, sk_rows, n)} query rows.")
    if sk_rows < n:
        print(f"* scikit-learn timed on {sk_rows} of {n} query rows, extrapolated "
              "linearly in the number of rows.")


if __name__ == "__main__":
    main()
