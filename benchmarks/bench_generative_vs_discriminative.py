"""Generative and discriminative classifiers side by side, on the same splits.

Generative: ``GenerativeClassifier`` around a Gaussian (full and diagonal
covariance), a kernel density (bandwidth chosen by held-out ``log p(x|y)``
with ``log_likelihood_scorer``) and, when ``skgen.flows`` is installed, a
masked autoregressive flow. Discriminative: scikit-learn's
``LogisticRegression`` and ``MLPClassifier``.

Each is scored on the held-out rows by accuracy, log-loss, Brier score and
expected calibration error (ECE), and asked whether it can ``sample``. Only
the generative side can: a perfect discriminator still cannot paint.

Data: wine, breast cancer and digits (shipped with scikit-learn; digits
reduced to 20 principal components). Features are standardized (and
projected) on each training split, then shared by every model, so all models
see the same inputs; generative samples live in that feature space.

Run: ``python benchmarks/bench_generative_vs_discriminative.py [--splits 3]``.
"""

import os

# Small problems: BLAS and torch threads only fight each other.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_wine  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedShuffleSplit  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skgen.classical import Gaussian, KernelDensity  # noqa: E402
from skgen.conditional import GenerativeClassifier, log_likelihood_scorer  # noqa: E402

try:  # the flows are optional (they need torch)
    import torch

    from skgen.flows import MAF

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - depends on the installation
    MAF = None


def _kde_by_likelihood(X, y):
    """Bandwidth chosen by held-out log p(x|y), not by accuracy."""
    search = GridSearchCV(
        GenerativeClassifier(KernelDensity()),
        {"estimator__bandwidth": [0.2, 0.35, 0.5, 0.7, 1.0, 1.4]},
        scoring=log_likelihood_scorer,
        cv=3,
    )
    return search.fit(X, y).best_estimator_


MODELS = {
    "Gen: Gaussian full": lambda X, y: GenerativeClassifier(
        Gaussian(covariance_type="full", reg_covar=1e-2)).fit(X, y),
    "Gen: Gaussian diag": lambda X, y: GenerativeClassifier(
        Gaussian(covariance_type="diag", reg_covar=1e-2)).fit(X, y),
    "Gen: KDE (bw by loglik)": _kde_by_likelihood,
    "Disc: LogisticRegression": lambda X, y: LogisticRegression(max_iter=5000).fit(X, y),
    "Disc: MLP (64)": lambda X, y: MLPClassifier(
        hidden_layer_sizes=(64,), alpha=1e-3, max_iter=2000, random_state=0).fit(X, y),
}
if MAF is not None:
    # Early stopping on 10% of a few dozen rows per class is too noisy to be
    # useful; a short fixed budget with weight decay is used instead.
    MODELS["Gen: flow (MAF)"] = lambda X, y: GenerativeClassifier(MAF(
        n_transforms=3, hidden_sizes=(32, 32), max_epochs=50, batch_size=32,
        weight_decay=1e-4, early_stopping=False, random_state=0)).fit(X, y)
    # Keep the discriminative rows last.
    MODELS = dict(sorted(MODELS.items(), key=lambda kv: kv[0].startswith("Disc")))


def load_datasets():
    """``name -> (X, y, n_components)``; ``n_components`` for PCA or None."""
    return {
        "wine": (*load_wine(return_X_y=True), None),
        "breast cancer": (*load_breast_cancer(return_X_y=True), None),
        "digits (PCA 20)": (*load_digits(return_X_y=True), 20),
    }


def brier(y_true, proba, classes):
    """Multiclass Brier score: mean over rows of sum_k (p_k - [y = k])^2."""
    onehot = (y_true[:, None] == classes[None, :]).astype(float)
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def expected_calibration_error(y_true, proba, classes, n_bins=10):
    """Top-label ECE: |accuracy - confidence| averaged over equal-width bins."""
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in np.unique(bins):
        in_bin = bins == b
        ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def evaluate(X, y, n_components, n_splits):
    """Metrics of every model over ``n_splits`` stratified 70/30 splits."""
    splitter = StratifiedShuffleSplit(n_splits=n_splits, test_size=0.3, random_state=0)
    rows = {name: [] for name in MODELS}
    can_sample = {}
    for train, test in splitter.split(X, y):
        steps = [StandardScaler()]
        if n_components:
            steps += [PCA(n_components, random_state=0), StandardScaler()]
        prep = make_pipeline(*steps).fit(X[train])
        X_train, X_test = prep.transform(X[train]), prep.transform(X[test])
        for name, fit in MODELS.items():
            t0 = time.perf_counter()
            model = fit(X_train, y[train])
            seconds = time.perf_counter() - t0
            proba = model.predict_proba(X_test)
            classes = model.classes_
            rows[name].append([
                accuracy_score(y[test], model.predict(X_test)),
                log_loss(y[test], proba, labels=classes),
                brier(y[test], proba, classes),
                expected_calibration_error(y[test], proba, classes),
                seconds,
            ])
            can_sample[name] = hasattr(model, "sample")
            if can_sample[name]:  # and it works: one new row per class
                new = model.sample(len(classes), y=classes, random_state=0)
                assert new.shape == (len(classes), X_train.shape[1])
    return {name: np.asarray(r) for name, r in rows.items()}, can_sample


def format_table(name, X, y, results, can_sample, n_splits):
    lines = [f"{name}: n={len(y)}, d={X.shape[1]}, {np.unique(y).size} classes; "
             f"mean (sd) over {n_splits} stratified 70/30 splits"]
    lines.append(f"{'model':26s} {'accuracy':>13s} {'log-loss':>13s} {'Brier':>13s} "
                 f"{'ECE':>13s} {'fit s':>6s} {'sample?':>8s}")
    for model, r in results.items():
        mean, sd = r.mean(axis=0), r.std(axis=0, ddof=1) if len(r) > 1 else 0 * r[0]
        cells = " ".join(f"{mean[k]:>6.3f} ({sd[k]:.3f})" for k in range(4))
        lines.append(f"{model:26s} {cells} {mean[4]:>6.2f} "
                     f"{'yes' if can_sample[model] else 'no':>8s}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=3, help="random train/test splits")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, (X, y, n_components) in load_datasets().items():
            results, can_sample = evaluate(X, y, n_components, args.splits)
            print(format_table(name, X, y, results, can_sample, args.splits) + "\n")
    print("log-loss and Brier: lower is better; ECE: expected calibration error "
          "(10 bins, top label).")
    print(f"Total {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
