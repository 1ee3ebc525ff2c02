"""Learning curves of a generative classifier and its discriminative partner.

After Ng & Jordan (2001), "On discriminative vs. generative classifiers: a
comparison of logistic regression and naive Bayes". Their claim: the
generative model (naive Bayes) approaches its asymptotic error with fewer
training rows -- O(log d) rather than O(d) -- while the discriminative model
(logistic regression) has the lower (or equal) asymptotic error, so the curves
often cross.

The pair compared here:

- generative: ``GenerativeClassifier(Gaussian(covariance_type="diag"))``, i.e.
  Gaussian naive Bayes, with ``reg_covar=1e-2`` (a variance floor of 1% of each
  standardized feature's variance, so that a pixel constant in a small
  training class does not get a zero variance; ``--reg-covar`` changes it);
- discriminative: ``LogisticRegression`` with scikit-learn's default ``C=1``
  and nearly unregularized (``C=1e4``, closer to the paper's setting).

All three see features standardized on their own training rows. Data:
breast cancer, wine and digits (shipped with scikit-learn), and a synthetic
case where the diagonal Gaussian is the true model (two classes, equal
priors, shared diagonal covariance, so logistic regression is well specified
too and both share the Bayes error).

For each repeat, 30% of the data (stratified) is held out for testing;
training sets of increasing size ``m`` are nested subsets of the rest, each
starting with two rows of every class. Errors are averaged over repeats.

Run: ``python benchmarks/bench_learning_curves.py [--repeats 20] [--output PATH]
[--reg-covar 0.01]``.
"""

import os

# Tiny problems: BLAS threads only fight each other (and other processes).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import norm  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_wine  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skgen.classical import Gaussian  # noqa: E402
from skgen.conditional import GenerativeClassifier  # noqa: E402

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "learning_curves.png"

#: Variance floor of naive Bayes, in units of each standardized feature's variance.
REG_COVAR = 1e-2

MODELS = {
    "naive Bayes (diag Gaussian)": lambda: make_pipeline(
        StandardScaler(),
        GenerativeClassifier(Gaussian(covariance_type="diag", reg_covar=REG_COVAR)),
    ),
    "logistic (C=1)": lambda: make_pipeline(
        StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)
    ),
    "logistic (C=1e4)": lambda: make_pipeline(
        StandardScaler(), LogisticRegression(C=1e4, max_iter=2000)
    ),
}


def make_well_specified(n_samples=4000, n_features=30, mahalanobis=2.5, random_state=0):
    """Two classes, ``x | y ~ N(mu_y, diag(sigma^2))`` with a shared ``sigma``.

    The diagonal-Gaussian generative model is the true model; the Bayes
    classifier is linear, so logistic regression is well specified too. The
    classes are ``mahalanobis`` apart, so the Bayes error is
    ``Phi(-mahalanobis / 2)``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    bayes_error : float
    """
    rng = np.random.RandomState(random_state)
    sigma = rng.uniform(0.5, 3.0, size=n_features)
    direction = rng.uniform(0.2, 1.0, size=n_features)  # every feature a bit informative
    direction *= mahalanobis / np.linalg.norm(direction)
    y = rng.randint(2, size=n_samples)
    X = rng.normal(size=(n_samples, n_features)) * sigma + np.outer(y, direction * sigma)
    return X, y, float(norm.cdf(-mahalanobis / 2))


def load_datasets():
    """``name -> (X, y, note)``."""
    data = {}
    for name, loader in [("breast cancer", load_breast_cancer), ("wine", load_wine),
                         ("digits", load_digits)]:
        X, y = loader(return_X_y=True)
        data[name] = (X.astype(float), y, "")
    X, y, bayes = make_well_specified()
    data["synthetic (NB well specified)"] = (X, y, f"Bayes error {bayes:.3f}")
    return data


def training_sizes(n_pool, n_classes, n_sizes=9):
    """Geometric grid from two rows per class to the whole training pool."""
    sizes = np.geomspace(2 * n_classes, n_pool, n_sizes)
    return np.unique(np.round(sizes).astype(int))


def nested_order(y_pool, rng):
    """A permutation of the pool that starts with two rows of every class."""
    order = rng.permutation(len(y_pool))
    first = np.concatenate([order[y_pool[order] == c][:2] for c in np.unique(y_pool)])
    rest = order[~np.isin(order, first)]
    return np.concatenate([rng.permutation(first), rest])


def learning_curves(X, y, *, n_repeats, test_size=0.3, max_pool=None):
    """Test error of each model, shape ``(n_models, n_repeats, n_sizes)``, and the sizes."""
    n_classes = np.unique(y).size
    n_pool = int(round(len(y) * (1 - test_size)))
    if max_pool is not None:
        n_pool = min(n_pool, max_pool)
    sizes = training_sizes(n_pool, n_classes)
    errors = np.empty((len(MODELS), n_repeats, sizes.size))
    for r in range(n_repeats):
        X_pool, X_test, y_pool, y_test = train_test_split(
            X, y, test_size=test_size, stratify=y, random_state=r
        )
        order = nested_order(y_pool, np.random.RandomState(1000 + r))[:n_pool]
        for j, m in enumerate(sizes):
            idx = order[:m]
            for i, make in enumerate(MODELS.values()):
                model = make().fit(X_pool[idx], y_pool[idx])
                errors[i, r, j] = 1.0 - model.score(X_test, y_test)
    return sizes, errors


def format_table(name, note, X, y, sizes, errors, n_repeats):
    n_classes = np.unique(y).size
    lines = [f"{name}: n={len(y)}, d={X.shape[1]}, {n_classes} classes; "
             f"test error, mean ± s.e. over {n_repeats} splits"
             + (f"; {note}" if note else "")]
    header = f"{'m':>6} " + " ".join(f"{label:>28}" for label in MODELS)
    lines.append(header)
    mean = errors.mean(axis=1)
    sem = errors.std(axis=1, ddof=1) / np.sqrt(errors.shape[1])
    for j, m in enumerate(sizes):
        cells = " ".join(f"{mean[i, j]:>21.3f} ± {sem[i, j]:.3f}" for i in range(len(MODELS)))
        lines.append(f"{m:>6d} {cells}")
    return "\n".join(lines)


def summarize(name, sizes, errors):
    """Which model is ahead at each size, from the paired per-split differences.

    ``NB`` / ``LR``: naive Bayes / logistic regression (C=1) has the lower
    error by more than two standard errors of the paired difference; ``=``:
    within that.
    """
    diff = errors[0] - errors[1]  # > 0: logistic regression better
    mean = diff.mean(axis=0)
    sem = diff.std(axis=0, ddof=1) / np.sqrt(diff.shape[0])
    verdict = np.where(mean > 2 * sem, "LR", np.where(mean < -2 * sem, "NB", "="))
    avg = errors.mean(axis=1)
    cells = " ".join(f"{m}:{v}" for m, v in zip(sizes, verdict))
    return (f"{name:32s} NB {avg[0, 0]:.3f}->{avg[0, -1]:.3f}  "
            f"LR(C=1) {avg[1, 0]:.3f}->{avg[1, -1]:.3f}  "
            f"LR(C=1e4) {avg[2, 0]:.3f}->{avg[2, -1]:.3f}\n{'':32s} ahead (m:who) {cells}")


def plot(results, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    for ax, (name, (sizes, errors, note)) in zip(axes.ravel(), results.items()):
        mean = errors.mean(axis=1)
        sem = errors.std(axis=1, ddof=1) / np.sqrt(errors.shape[1])
        for i, label in enumerate(MODELS):
            ax.errorbar(sizes, mean[i], yerr=sem[i], marker="o", ms=3, capsize=2,
                        label=label, ls="-" if i < 2 else ":")
        if note.startswith("Bayes error"):
            ax.axhline(float(note.split()[-1]), color="gray", lw=0.8, ls="--",
                       label="Bayes error")
        ax.set_xscale("log")
        ax.set_title(name)
        ax.set_xlabel("training rows m")
        ax.set_ylabel("test error")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Generative (naive Bayes) vs discriminative (logistic regression), "
                 "after Ng & Jordan (2001)")
    fig.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=110)
    plt.close(fig)


def main(argv=None):
    global REG_COVAR
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="random splits per size")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where to save the plot (PNG)")
    parser.add_argument("--reg-covar", type=float, default=REG_COVAR,
                        help="naive Bayes variance floor (standardized units)")
    args = parser.parse_args(argv)
    REG_COVAR = args.reg_covar

    start = time.perf_counter()
    results = {}
    summaries = []
    with warnings.catch_warnings():
        # Nearly unregularized logistic regression on separable small sets does not
        # converge (its weights grow without bound); its error is still defined.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, (X, y, note) in load_datasets().items():
            t0 = time.perf_counter()
            max_pool = 2000 if name.startswith("synthetic") else None
            sizes, errors = learning_curves(X, y, n_repeats=args.repeats, max_pool=max_pool)
            results[name] = (sizes, errors, note)
            print(format_table(name, note, X, y, sizes, errors, args.repeats))
            print(f"({time.perf_counter() - t0:.1f} s)\n")
            summaries.append(summarize(name, sizes, errors))
    print("Summary: mean error at the smallest -> largest training set, and who is ahead\n"
          "(NB vs LR C=1, paired over splits, '=' within two standard errors):")
    print("\n".join(summaries))
    plot(results, args.output)
    print(f"\nnaive Bayes reg_covar={REG_COVAR:g}. Plot saved to {args.output}; "
          f"total {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
