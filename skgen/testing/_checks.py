"""The battery of checks every generative estimator must pass.

:func:`check_generative_estimator` fits clones of an estimator and tests the
promises of skgen's protocol (see ``skgen.base``) with real statistics: an
``"exact"`` density must integrate to one, and its sampler must draw from that
very density (moments, expected log-density, a chi-square test on a grid and
Kolmogorov-Smirnov tests of the marginals, or importance sampling above two
dimensions). Every random draw is seeded, so a verdict is reproducible.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ..base import LIKELIHOOD_KINDS, LikelihoodKindWarning, is_conditional
from ._consistency import check_exact_density

__all__ = ["check_generative_estimator"]

# Kinds whose score_samples is a function of x alone (repeated calls agree).
_DETERMINISTIC_KINDS = ("exact", "unnormalized")


class _Context:
    """What every check needs: the estimator's name, a template and seeds."""

    def __init__(self, estimator, random_state):
        self.name = type(estimator).__name__
        self.template = clone(estimator)
        params = self.template.get_params(deep=False)
        self.has_random_state = "random_state" in params
        if self.has_random_state and params["random_state"] is None:
            self.template.set_params(random_state=random_state)
        self._seeds = np.random.RandomState(random_state)

    def seed(self):
        return int(self._seeds.randint(2**31 - 1))

    def require(self, condition, message):
        if not condition:
            raise AssertionError(f"{self.name}: {message}")

    def fit(self, X, y=None):
        """Fit a clone; ``y`` is passed to conditional estimators only."""
        estimator = clone(self.template)
        if y is None or not is_conditional(estimator):
            return estimator.fit(X)
        return estimator.fit(X, y)


def _default_data(n_features, random_state, n_samples=300):
    """Two sheared Gaussian blobs: a small, non-trivial data set.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    labels : ndarray of shape (n_samples,) of int, the blob of each row.
    """
    rng = np.random.RandomState(random_state)
    d = n_features
    labels = np.arange(n_samples) % 2
    centers = np.zeros((2, d))
    centers[:, 0] = [-2.0, 2.0]
    if d > 1:
        centers[:, 1] = [0.5, -0.5]
    X = np.empty((n_samples, d))
    for k, (scales, shear) in enumerate([((0.8, 0.5), 0.4), ((0.6, 0.9), -0.3)]):
        chol = np.diag(np.linspace(*scales, d)) + shear * np.tril(np.ones((d, d)), -1)
        rows = labels == k
        X[rows] = centers[k] + rng.standard_normal((rows.sum(), d)) @ chol.T
    return X, labels


# --------------------------------------------------------------- wrappers
def _log_density(ctx, estimator, Z, where, y=None):
    """``score_samples`` checked for shape, dtype, NaN and ``+inf``."""
    try:
        out = estimator.score_samples(Z) if y is None else estimator.score_samples(Z, y=y)
    except FloatingPointError as exc:
        raise AssertionError(f"{ctx.name}: score_samples failed on {where}: {exc}") from exc
    out = np.asarray(out)
    ctx.require(
        out.shape == (len(Z),),
        f"score_samples on {where} returned shape {out.shape}; expected ({len(Z)},), "
        "one log-density per row.",
    )
    ctx.require(
        np.issubdtype(out.dtype, np.floating),
        f"score_samples must return floats, got dtype {out.dtype}.",
    )
    ctx.require(
        not np.isnan(out).any(),
        f"score_samples returned NaN for {int(np.isnan(out).sum())} of {len(Z)} rows "
        f"of {where}; a log-density is -inf where the density is zero, never NaN.",
    )
    ctx.require(
        not np.isposinf(out).any(),
        f"score_samples returned +inf for {int(np.isposinf(out).sum())} rows of {where}.",
    )
    return out.astype(np.float64)


def _draw(ctx, estimator, n_samples, n_features, random_state, y=None):
    """``sample`` checked for shape, numeric dtype and finiteness."""
    kwargs = {"random_state": random_state}
    if y is not None:
        kwargs["y"] = y
    try:
        out = estimator.sample(n_samples, **kwargs)
    except FloatingPointError as exc:  # skgen's sample refuses non-finite draws
        ctx.require(False, f"sample() drew NaN or infinite values: {exc}")
    try:
        arr = np.asarray(out)
    except ValueError:
        arr = None
    ctx.require(
        arr is not None and arr.shape == (n_samples, n_features),
        f"sample({n_samples}) must return an array of shape "
        f"{(n_samples, n_features)}, got {type(out).__name__}"
        + (f" of shape {arr.shape}." if arr is not None else "."),
    )
    ctx.require(
        np.issubdtype(arr.dtype, np.number),
        f"sample() must return numbers, got dtype {arr.dtype}.",
    )
    arr = arr.astype(np.float64)
    ctx.require(np.isfinite(arr).all(), "sample() returned NaN or infinite values.")
    return arr


def _params_equal(a, b):
    """Parameter equality as ``clone`` promises it (estimators by their parameters)."""
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(_params_equal(u, v) for u, v in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_params_equal(a[k], b[k]) for k in a)
    if hasattr(a, "get_params") and type(a) is type(b):
        pa, pb = a.get_params(deep=False), b.get_params(deep=False)
        return pa.keys() == pb.keys() and all(_params_equal(pa[k], pb[k]) for k in pa)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    try:
        equal = a == b
        if isinstance(equal, (bool, np.bool_)) and equal:
            return True
    except Exception:  # noqa: BLE001 - any failure just means "not equal"
        pass
    try:  # e.g. RandomState instances: equal when their states are equal
        return pickle.dumps(a) == pickle.dumps(b)
    except Exception:  # noqa: BLE001
        return False


# ----------------------------------------------------------- protocol checks
def _check_kind_declared(ctx, estimator):
    kinds = list(LIKELIHOOD_KINDS)
    cls_kind = getattr(type(estimator), "likelihood_kind", None)
    ctx.require(
        isinstance(cls_kind, str) and cls_kind in LIKELIHOOD_KINDS,
        f"the class attribute likelihood_kind must be one of {kinds}, got "
        f"{cls_kind!r}. It declares what score_samples means (skgen.base.LIKELIHOOD_KINDS).",
    )
    kind = getattr(ctx.template, "likelihood_kind", None)
    ctx.require(
        kind in LIKELIHOOD_KINDS,
        f"an unfitted instance's likelihood_kind must be one of {kinds}, got {kind!r}.",
    )
    if kind == "none":
        _check_no_density(ctx, ctx.template, "an unfitted instance")


def _fitted_kind(ctx, estimator):
    kind = getattr(estimator, "likelihood_kind", None)
    ctx.require(
        kind in LIKELIHOOD_KINDS,
        f"a fitted instance's likelihood_kind must be one of {list(LIKELIHOOD_KINDS)}, "
        f"got {kind!r}.",
    )
    return kind


def _check_no_density(ctx, estimator, which):
    for attr in ("score_samples", "score"):
        message = ""
        ctx.require(
            not hasattr(estimator, attr),
            f"likelihood_kind is 'none' but {which} has {attr!r}; a model without a "
            "density must not offer it (hasattr must be False).",
        )
        try:
            getattr(estimator, attr)
        except AttributeError as exc:
            message = str(exc)
        ctx.require(
            attr in message and ("density" in message.lower()
                                 or "likelihood" in message.lower()),
            f"accessing {attr!r} on a model without a density must raise an "
            f"AttributeError that names it and says the model has no density; got "
            f"{message!r}.",
        )


def _check_sampling_random_state(ctx, estimator, d):
    one = np.asarray(estimator.sample())
    ctx.require(one.shape == (1, d), f"sample() must return 1 row by default, got {one.shape}.")
    seed = ctx.seed()
    a = _draw(ctx, estimator, 50, d, seed)
    b = _draw(ctx, estimator, 50, d, seed)
    ctx.require(
        np.array_equal(a, b),
        f"sample(50, random_state={seed}) twice gave different arrays; a per-call "
        "seed must make sampling reproducible.",
    )
    c = _draw(ctx, estimator, 50, d, seed + 1)
    ctx.require(not np.array_equal(a, c), "sample() ignores its random_state argument.")
    r1 = _draw(ctx, estimator, 50, d, np.random.RandomState(seed))
    r2 = _draw(ctx, estimator, 50, d, np.random.RandomState(seed))
    ctx.require(
        np.array_equal(r1, r2),
        "sample() with equal RandomState instances gave different arrays.",
    )
    u1 = _draw(ctx, estimator, 50, d, None)
    u2 = _draw(ctx, estimator, 50, d, None)
    ctx.require(
        not np.array_equal(u1, u2),
        "two calls of sample() without a per-call random_state returned the same "
        "rows; successive calls must continue one random stream.",
    )


def _check_score_is_mean(ctx, estimator, X, s1, s2, deterministic):
    if estimator.likelihood_kind == "unnormalized":  # no held-out log-likelihood
        try:
            estimator.score(X)
        except ValueError:
            return
        ctx.require(False, "score of an unnormalized model must raise a ValueError.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LikelihoodKindWarning)
        score = estimator.score(X)
    ctx.require(np.ndim(score) == 0, f"score must return a scalar, got {score!r}.")
    score = float(score)
    mean = float(np.mean(s1))
    if deterministic:
        close = (score == mean) or np.isclose(score, mean, rtol=1e-9, atol=1e-12)
    else:  # a stochastic bound or estimate: allow for its noise
        spread = abs(mean - float(np.mean(s2)))
        close = abs(score - mean) <= 10 * spread + 1e-6 * (1 + abs(mean))
    hint = ""
    if not close and np.isclose(score, float(np.sum(s1)), rtol=1e-6):
        hint = " It equals the sum: score must be the mean over rows."
    ctx.require(
        close,
        f"score(X) = {score!r} but mean(score_samples(X)) = {mean!r}.{hint}",
    )


def _check_refit(ctx, X, y, estimator, first_draw, deterministic, kind):
    """Fitting again with the same ``random_state`` repeats the model."""
    again = ctx.fit(X, y)
    ctx.require(
        np.array_equal(_draw(ctx, again, len(first_draw), X.shape[1], None), first_draw),
        "two fits with the same random_state gave different sample() streams; "
        "fitting with a fixed random_state must be reproducible.",
    )
    if kind != "none" and deterministic:
        s_a = _log_density(ctx, estimator, X, "the training data")
        s_b = _log_density(ctx, again, X, "the training data")
        ctx.require(
            np.allclose(s_a, s_b, rtol=1e-9, atol=1e-12, equal_nan=False)
            or np.array_equal(s_a, s_b),
            "two fits with the same random_state gave different score_samples.",
        )


def _check_clone_and_pickle(ctx, estimator, X, d, deterministic, kind):
    fresh = clone(estimator)
    ctx.require(type(fresh) is type(estimator), "clone changed the class.")
    ctx.require(
        _params_equal(fresh, estimator),
        "clone(estimator) does not have the same parameters as the estimator.",
    )
    try:
        check_is_fitted(fresh)
        fitted = True
    except NotFittedError:
        fitted = False
    ctx.require(not fitted, "clone of a fitted estimator must be unfitted.")

    loaded = pickle.loads(pickle.dumps(estimator))
    ctx.require(
        getattr(loaded, "likelihood_kind", None) == estimator.likelihood_kind,
        "pickling changed likelihood_kind.",
    )
    seed = ctx.seed()
    ctx.require(
        np.array_equal(_draw(ctx, loaded, 20, d, seed), _draw(ctx, estimator, 20, d, seed)),
        "after a pickle round trip, sample() with a fixed random_state differs.",
    )
    if kind != "none":
        rows = X[:50]
        before = _log_density(ctx, estimator, rows, "the training data")
        after = _log_density(ctx, loaded, rows, "the training data")
        if deterministic:
            ctx.require(
                np.array_equal(before, after),
                "after a pickle round trip, score_samples differs.",
            )
        else:
            ctx.require(
                np.allclose(np.mean(before), np.mean(after), rtol=0.05, atol=0.05),
                "after a pickle round trip, score_samples differs beyond its noise.",
            )


def _check_dataframe(ctx, estimator, X, y, deterministic, kind):
    d = X.shape[1]
    columns = [f"feature_{j}" for j in range(d)]
    frame = pd.DataFrame(X, columns=columns)
    fitted = ctx.fit(frame, y)
    seed = ctx.seed()
    out = fitted.sample(5, random_state=seed)
    ctx.require(
        isinstance(out, pd.DataFrame),
        f"fit on a DataFrame, sample() must return a DataFrame, got {type(out).__name__}.",
    )
    ctx.require(
        list(out.columns) == columns and out.shape == (5, d),
        f"sample() must return the training columns {columns}, got {list(out.columns)}.",
    )
    if ctx.has_random_state:
        ctx.require(
            np.allclose(out.to_numpy(dtype=float),
                        np.asarray(estimator.sample(5, random_state=seed), dtype=float)),
            "fit on a DataFrame and on its values with the same random_state, the "
            "models sample differently.",
        )
    if kind != "none":
        s_frame = _log_density(ctx, fitted, frame.iloc[:50], "a DataFrame")
        if ctx.has_random_state and deterministic:
            s_array = _log_density(ctx, estimator, X[:50], "the training data")
            ctx.require(
                np.allclose(s_frame, s_array, rtol=1e-6, atol=1e-9),
                "fit on a DataFrame and on its values, the models' score_samples differ.",
            )


def _check_fitted_model(ctx, estimator, X, kind, what, y=None):
    """Samples and log-densities of one fitted model (optionally given ``y``)."""
    d = X.shape[1]

    def draw(n, seed):
        labels = None if y is None else np.full(n, y)
        return _draw(ctx, estimator, n, d, seed, y=labels)

    def logp(Z, where):
        labels = None if y is None else np.full(len(Z), y)
        return _log_density(ctx, estimator, Z, f"{where} ({what})", y=labels)

    own = draw(200, ctx.seed())
    if kind == "none":
        return
    own_logp = logp(own, "the model's own samples")
    ctx.require(
        np.isfinite(own_logp).all(),
        f"{what}: score_samples is -inf at {int(np.isinf(own_logp).sum())} of 200 of the "
        "model's own samples; -inf is only for points outside the support.",
    )
    scale = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    far = X.mean(axis=0) + 1e3 * scale * np.vstack([np.eye(d), -np.eye(d), np.ones(d)])
    logp(far, "points far from the data")
    if kind == "exact":
        check_exact_density(ctx, logp, draw, X, what)


# ----------------------------------------------------------------- battery
def _takes_tables(estimator):
    """Whether the estimator models 2-D numeric arrays (scikit-learn input tags)."""
    try:
        return bool(get_tags(estimator).input_tags.two_d_array)
    except Exception:  # noqa: BLE001 - a duck-typed estimator without tags
        return True


def check_generative_estimator(estimator, X=None, *, y=None, random_state=0):
    """Run skgen's battery of checks on a generative estimator.

    The estimator (one of skgen's, or any object following the protocol of
    ``skgen.base``) is cloned and fitted, and the checks below are run on the
    fitted clones. The first failure raises an ``AssertionError`` whose message
    names the estimator and the broken promise.

    - ``likelihood_kind`` is declared on the class and on instances, and is one
      of :data:`skgen.base.LIKELIHOOD_KINDS`. With ``"none"``, ``score_samples``
      and ``score`` are absent (``hasattr`` is False) and accessing them raises
      an ``AttributeError`` that explains why; only sampling is checked.
    - ``score_samples`` returns floats of shape ``(n,)``, never NaN or
      ``+inf``, also far from the data; it is finite at the model's own samples;
      ``score`` is its mean, not its sum (except for classifiers, whose
      ``score`` is their accuracy).
    - For ``"exact"`` kinds, the density integrates to one and ``sample`` draws
      from it: in 1-D and 2-D by midpoint quadrature on a grid that covers the
      data and samples generously (tolerance ``3e-3`` and ``2e-2``), comparing
      the samples' mean, covariance and mean log-density with the density's,
      with a chi-square test of counts on blocks of the grid and
      Kolmogorov-Smirnov tests of the marginals; in 3 to 8 dimensions by
      importance sampling from a broad Student-t (``|Z - 1| < 4 SE + 0.01``),
      comparing means and mean log-density.
    - Random states: ``sample(n, random_state=s)`` repeats, two calls without a
      per-call seed differ, two fits with the same ``random_state`` parameter
      give the same model and sample stream.
    - ``clone`` gives an unfitted estimator with equal parameters; a pickle
      round trip keeps ``score_samples`` exactly and seeded samples.
    - Fit on a DataFrame, ``sample`` returns a DataFrame with its columns, and
      the model equals the one fitted on the values.
    - A conditional estimator (:func:`skgen.base.is_conditional`) is fitted with labels
      when there are some; ``p(x)`` is checked as above and ``p(x | y)`` for
      each label too.
    - With the default data, the checks of a fitted model are repeated on 1-D
      and 3-D data (skipped for an estimator that refuses those dimensions with
      ``ValueError``, ``TypeError`` or ``NotImplementedError``).

    ``score_samples`` must be deterministic for the kinds ``"exact"`` and
    ``"unnormalized"``; a stochastic bound or estimate is compared within its
    noise.

    Parameters
    ----------
    estimator : estimator instance
        The estimator to check; it is not modified. A ``random_state``
        parameter left at ``None`` is set to ``random_state`` in the clones.
    X : array-like of shape (n_samples, n_features), default=None
        Training data. ``None`` uses two sheared Gaussian blobs in 2-D (300
        rows, labelled by blob) and also checks 1-D and 3-D versions of them.
    y : array-like of shape (n_samples,), default=None
        Labels of ``X`` for conditional estimators; ignored otherwise.
    random_state : int, default=0
        Seed of the data, of the estimator's clones (see above) and of every
        draw the checks make, so that a verdict is reproducible.

    Raises
    ------
    AssertionError
        On the first broken promise, with a message naming it.
    ValueError
        If the estimator's input tags say it does not model 2-D numeric arrays
        (text models, for example).

    Examples
    --------
    >>> from skgen.classical import Gaussian
    >>> from skgen.testing import check_generative_estimator
    >>> check_generative_estimator(Gaussian())

    scikit-learn's own kernel density does not follow the protocol:

    >>> from sklearn.neighbors import KernelDensity
    >>> check_generative_estimator(KernelDensity())
    Traceback (most recent call last):
    ...
    AssertionError: KernelDensity: the class attribute likelihood_kind must be one of ...
    """
    if not _takes_tables(estimator):
        raise ValueError(
            f"check_generative_estimator checks models of numeric tables (2-D arrays); "
            f"{type(estimator).__name__} declares other input (its input tags)."
        )
    ctx = _Context(estimator, random_state)
    _check_kind_declared(ctx, estimator)
    default_data = X is None
    if default_data:
        X, y = _default_data(2, random_state)
    else:
        X = np.asarray(X, dtype=np.float64)
        ctx.require(X.ndim == 2, f"X must be 2-D, got shape {X.shape}.")
        y = None if y is None else np.asarray(y)
    conditional = is_conditional(ctx.template) and y is not None
    y = y if conditional else None
    d = X.shape[1]

    fitted = ctx.fit(X, y)
    first_draw = _draw(ctx, fitted, 20, d, None)
    kind = _fitted_kind(ctx, fitted)
    _check_sampling_random_state(ctx, fitted, d)

    deterministic = True
    if kind == "none":
        _check_no_density(ctx, fitted, "the fitted model")
    else:
        s1 = _log_density(ctx, fitted, X, "the training data")
        s2 = _log_density(ctx, fitted, X, "the training data")
        deterministic = np.array_equal(s1, s2)
        ctx.require(
            deterministic or kind not in _DETERMINISTIC_KINDS,
            f"likelihood_kind is {kind!r} but two calls of score_samples on the same "
            "rows differ; the log-density must be a function of x.",
        )
        if not is_classifier(fitted):  # a classifier's score is its accuracy
            own = _draw(ctx, fitted, 200, d, ctx.seed())
            _check_score_is_mean(ctx, fitted, own, _log_density(ctx, fitted, own, "samples"),
                                 _log_density(ctx, fitted, own, "samples"), deterministic)
    _check_fitted_model(ctx, fitted, X, kind, f"fitted on {d}-D data")
    if conditional:
        for label in np.unique(y):
            _check_fitted_model(ctx, fitted, X[y == label], kind,
                                f"p(x | y={label!r}) fitted on {d}-D data", y=label)

    if ctx.has_random_state:
        _check_refit(ctx, X, y, fitted, first_draw, deterministic, kind)
    _check_clone_and_pickle(ctx, fitted, X, d, deterministic, kind)
    _check_dataframe(ctx, fitted, X, y, deterministic, kind)

    if default_data:
        for n_features in (1, 3):
            X_other, y_other = _default_data(n_features, random_state)
            try:
                other = ctx.fit(X_other, y_other if conditional else None)
            except (ValueError, TypeError, NotImplementedError):
                continue  # the estimator does not model this dimension
            _check_fitted_model(ctx, other, X_other, _fitted_kind(ctx, other),
                                f"fitted on {n_features}-D data")
