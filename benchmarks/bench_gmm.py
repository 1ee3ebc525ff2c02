"""Benchmark: skgen GaussianMixture.score_samples against scikit-learn's.

skgen's GaussianMixture wraps :class:`sklearn.mixture.GaussianMixture`, so
scoring throughput should match (ratio ~1x); the difference is skgen's input
validation.

Usage::

    python benchmarks/bench_gmm.py            # 200 000 rows scored
    python benchmarks/bench_gmm.py --quick    # 20 000 rows
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skgen.classical import GaussianMixture


def _best_time(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows (smoke run)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # fit is not timed
    n_score = 20_000 if args.quick else 200_000
    n_fit = 2_000

    print(f"GaussianMixture.score_samples on {n_score} rows (best of {args.repeat})")
    print(f"{'d':>3} {'k':>3} {'cov':>9} {'skgen rows/s':>13} {'sklearn rows/s':>15} "
          f"{'sklearn/skgen time':>19} {'max |diff|':>11}")
    for d, k, cov in [(2, 8, "full"), (8, 8, "full"), (32, 8, "full"), (32, 8, "diag")]:
        rng = np.random.RandomState(d)
        X_fit = rng.normal(size=(n_fit, d)) + rng.randint(0, 4, size=(n_fit, 1))
        X = rng.normal(size=(n_score, d))
        ours = GaussianMixture(k, covariance_type=cov, max_iter=10, random_state=0).fit(X_fit)
        theirs = ours.mixture_  # the same fitted scikit-learn model
        t_ours = _best_time(lambda: ours.score_samples(X), args.repeat)
        t_sk = _best_time(lambda: theirs.score_samples(X), args.repeat)
        diff = np.max(np.abs(ours.score_samples(X) - theirs.score_samples(X)))
        print(f"{d:>3} {k:>3} {cov:>9} {n_score / t_ours:>13.3g} {n_score / t_sk:>15.3g} "
              f"{t_sk / t_ours:>18.2f}x {diff:>11.1e}")


if __name__ == "__main__":
    main()
