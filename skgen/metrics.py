"""Metrics for generative models: likelihoods and sample quality.

Two questions from the lecture's Hello World organise the sample-quality
metrics. *Point A*: the model generates it, the data never would (a point at
sea) — measured by :func:`impossible_sample_fraction`. *Point B*: the data
contain it, the model never can (a point outside the box) — measured by
:func:`missed_data_fraction`. A good model has both near zero.
"""

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from sklearn.metrics import roc_auc_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from .base import get_likelihood_kind

__all__ = [
    "bits_per_dimension",
    "classifier_two_sample_auc",
    "energy_distance",
    "impossible_sample_fraction",
    "mean_log_likelihood",
    "missed_data_fraction",
]


def mean_log_likelihood(estimator, X, y=None):
    """Mean log-likelihood of ``X`` under a fitted estimator, in nats per row.

    Parameters
    ----------
    estimator : fitted estimator with ``score_samples``
        Its ``likelihood_kind`` must not be ``"none"``.
    X : array-like of shape (n_samples, n_features)
        Held-out data.
    y : array-like of shape (n_samples,), default=None
        Labels, for conditional models.

    Returns
    -------
    mean_log_likelihood : float
        ``mean(score_samples(X))``; ``-inf`` when any row has zero density.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import Gaussian
    >>> from skgen.metrics import mean_log_likelihood
    >>> X = np.random.RandomState(0).normal(size=(1000, 1))
    >>> round(mean_log_likelihood(Gaussian().fit(X), X), 2)
    -1.41
    """
    if get_likelihood_kind(estimator) == "none":
        raise ValueError(
            f"{type(estimator).__name__} defines no density (likelihood_kind='none'); "
            "use sample-quality metrics such as classifier_two_sample_auc instead."
        )
    scores = estimator.score_samples(X) if y is None else estimator.score_samples(X, y=y)
    return float(np.mean(scores))


def bits_per_dimension(log_likelihood, n_features, *, n_levels=None):
    """Convert a mean log-likelihood in nats per row to bits per dimension.

    Parameters
    ----------
    log_likelihood : float or array-like
        Mean log-likelihood per row, in nats (``score``). For discrete data
        modelled through dequantization, the continuous log-density of the
        dequantized data scaled to ``[0, 1]``.
    n_features : int
        Number of dimensions per row.
    n_levels : int, default=None
        When data with ``n_levels`` discrete values per dimension were scaled
        to ``[0, 1]`` before modelling (``x / n_levels``), pass it to undo the
        scaling's Jacobian: ``log p(x_int) = log p(x_scaled) - d log(n_levels)``.

    Returns
    -------
    bpd : float or ndarray
        ``-log_likelihood / (n_features * log 2)``, after the correction.

    Examples
    --------
    >>> from skgen.metrics import bits_per_dimension
    >>> bits_per_dimension(-8 * 0.6931471805599453, 8)
    1.0
    """
    ll = np.asarray(log_likelihood, dtype=float)
    if n_levels is not None:
        ll = ll - n_features * np.log(n_levels)
    out = -ll / (n_features * np.log(2.0))
    return float(out) if out.ndim == 0 else out


def impossible_sample_fraction(p_data, samples):
    """Share of model samples that the true distribution could never produce.

    The lecture's *point A*: the model generates it, the data never would.
    Counts samples where the true density is zero (``score_samples == -inf``),
    for example points at sea when the data are uniform on land.

    Parameters
    ----------
    p_data : object with ``score_samples``
        The true distribution, such as :class:`skgen.datasets.WorldMap`.
    samples : array-like of shape (n_samples, n_features)
        Samples drawn from the model.

    Returns
    -------
    fraction : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import UniformBox
    >>> from skgen.metrics import impossible_sample_fraction
    >>> truth = UniformBox().fit([[0.0], [1.0]])
    >>> impossible_sample_fraction(truth, [[0.5], [2.0], [0.1], [-1.0]])
    0.5
    """
    samples = check_array(samples)
    return float(np.mean(np.isneginf(p_data.score_samples(samples))))


def missed_data_fraction(model, X):
    """Share of (held-out) data that the model can never generate.

    The lecture's *point B*: the data contain it, the model gives it density
    zero (``score_samples == -inf``), for example a point outside the fitted
    box. Such a point makes the held-out log-likelihood ``-inf``.

    Parameters
    ----------
    model : fitted estimator with ``score_samples``
    X : array-like of shape (n_samples, n_features)
        Data from the true distribution, not used for fitting.

    Returns
    -------
    fraction : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import UniformBox
    >>> from skgen.metrics import missed_data_fraction
    >>> box = UniformBox().fit([[0.0], [1.0]])
    >>> missed_data_fraction(box, [[0.5], [1.5]])
    0.5
    """
    if get_likelihood_kind(model) == "none":
        raise ValueError(
            f"{type(model).__name__} defines no density, so no point has density zero "
            "under it; compare samples with classifier_two_sample_auc instead."
        )
    return float(np.mean(np.isneginf(model.score_samples(X))))


def classifier_two_sample_auc(X_real, X_generated, *, classifier=None, cv=5,
                              random_state=None):
    """Classifier two-sample test: cross-validated ROC AUC of real vs generated.

    A classifier is trained to tell real rows from generated ones; its
    held-out AUC is 0.5 when the two samples come from the same distribution
    and approaches 1 when they are easy to tell apart.

    Parameters
    ----------
    X_real : array-like of shape (n_real, n_features)
    X_generated : array-like of shape (n_generated, n_features)
    classifier : classifier with ``predict_proba``, default=None
        ``None`` uses a k-nearest-neighbours classifier on standardized
        features with ``k = sqrt(n)``.
    cv : int, default=5
        Number of stratified folds.
    random_state : int, RandomState instance or None, default=None
        Seed for the fold split.

    Returns
    -------
    auc : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.metrics import classifier_two_sample_auc
    >>> rng = np.random.RandomState(0)
    >>> a, b = rng.normal(size=(500, 2)), rng.normal(size=(500, 2))
    >>> classifier_two_sample_auc(a, b, random_state=0) < 0.6
    True
    >>> classifier_two_sample_auc(a, b + 3, random_state=0) > 0.95
    True
    """
    X_real, X_generated = check_array(X_real), check_array(X_generated)
    if X_real.shape[1] != X_generated.shape[1]:
        raise ValueError(
            f"X_real has {X_real.shape[1]} features but X_generated has "
            f"{X_generated.shape[1]}."
        )
    X = np.vstack([X_real, X_generated])
    y = np.r_[np.zeros(len(X_real)), np.ones(len(X_generated))]
    if classifier is None:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        k = max(1, int(np.sqrt(len(X))))
        classifier = make_pipeline(StandardScaler(), KNeighborsClassifier(k))
    rng = check_random_state(random_state)
    folds = StratifiedKFold(cv, shuffle=True, random_state=rng.randint(2**31 - 1))
    proba = cross_val_predict(classifier, X, y, cv=folds, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, proba))


def energy_distance(X, Y):
    """Energy distance between two samples (Székely & Rizzo).

    ``2 E|X - Y| - E|X - X'| - E|Y - Y'|`` with Euclidean norms; zero when the
    two distributions are equal, positive otherwise. Quadratic in the sample
    sizes: subsample large inputs.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
    Y : array-like of shape (m, n_features)

    Returns
    -------
    distance : float

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.metrics import energy_distance
    >>> rng = np.random.RandomState(0)
    >>> energy_distance(rng.normal(size=(300, 2)), rng.normal(size=(300, 2))) < 0.05
    True
    """
    from scipy.spatial.distance import cdist

    X, Y = check_array(X), check_array(Y)
    xy = cdist(X, Y).mean()
    xx = cdist(X, X).mean()
    yy = cdist(Y, Y).mean()
    return float(2 * xy - xx - yy)
