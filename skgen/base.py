"""The generative protocol shared by every skgen estimator.

Every estimator is a scikit-learn estimator with four methods:

``fit(X, y=None)``
    learn ``p(x)`` (or ``p(x | y)`` for conditional models); returns ``self``.
``score_samples(X, y=None)``
    ``log p(x)`` per row, natural log, shape ``(n,)``; ``-inf`` where the density
    is zero, never NaN.
``score(X, y=None)``
    the *mean* of ``score_samples`` over rows, so that ``cross_val_score`` and
    ``GridSearchCV`` select models by held-out log-likelihood.
``sample(n_samples=1, *, y=None, random_state=None)``
    ``n_samples`` new rows, shuffled, of the same kind as the training ``X`` (a
    DataFrame with the training columns when fit on one).

What ``score_samples`` means is declared by :attr:`likelihood_kind`, one of
:data:`LIKELIHOOD_KINDS`.

Subclasses fill small hooks: ``_fit(X, y)``, ``_score_samples(X, y)`` and
``_sample(n_samples, rng, y)``; :class:`BaseGenerative` owns validation,
random states, the DataFrame round trip and leaving a fitted model unchanged
when a call fails.
"""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "LIKELIHOOD_KINDS",
    "BaseGenerative",
    "GenerativeMixin",
    "LatentMixin",
    "check_likelihood_kinds_comparable",
]

#: The meanings ``score_samples`` can have, see :attr:`GenerativeMixin.likelihood_kind`.
LIKELIHOOD_KINDS = ("exact", "lower_bound", "estimate", "unnormalized", "none")

_NO_DENSITY_HELP = {
    "none": (
        "{name} is an implicit generative model: it defines no density, so it has no "
        "'{attr}'. Use sample() to draw from it and skgen.metrics sample-quality "
        "metrics to evaluate it, or choose an estimator with an explicit density "
        "(likelihood_kind 'exact', 'lower_bound' or 'estimate'), e.g. "
        "skgen.flows.NSF or skgen.classical.KernelDensity."
    ),
}


class _DensityMethod:
    """Descriptor for methods that exist only on models that define a density.

    Like :func:`sklearn.utils.available_if`: ``hasattr(est, "score_samples")`` is
    False when ``est.likelihood_kind == "none"``, but the ``AttributeError`` says
    why and what to use instead.
    """

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        self.__wrapped__ = fn

    def __set_name__(self, owner, name):
        self.attribute_name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.fn
        kind = getattr(obj, "likelihood_kind", "exact")
        if kind == "none":
            raise AttributeError(
                _NO_DENSITY_HELP["none"].format(
                    name=type(obj).__name__, attr=self.attribute_name
                )
            )
        return self.fn.__get__(obj, owner)


def check_likelihood_kinds_comparable(estimators, *, allowed=("exact",)):
    """Check that several estimators' log-likelihoods may be compared.

    Tools that rank models by likelihood call this so that an exact density is
    never silently ranked against a bound, an estimate or an unnormalized
    energy.

    Parameters
    ----------
    estimators : iterable of estimators
        Objects with a ``likelihood_kind`` attribute (a missing attribute is
        read as ``"exact"``, the meaning of scikit-learn's ``score_samples``).
    allowed : tuple of str, default=("exact",)
        Kinds accepted. All estimators must also share a single kind.

    Returns
    -------
    kind : str
        The common kind.

    Raises
    ------
    ValueError
        If a kind is not allowed or the kinds differ.

    Examples
    --------
    >>> from skgen.base import check_likelihood_kinds_comparable
    >>> from skgen.classical import Gaussian, KernelDensity
    >>> check_likelihood_kinds_comparable([Gaussian(), KernelDensity()])
    'exact'
    """
    kinds = {getattr(e, "likelihood_kind", "exact") for e in estimators}
    bad = kinds - set(allowed)
    if bad:
        raise ValueError(
            f"Cannot compare log-likelihoods of kind {sorted(bad)}; allowed kinds are "
            f"{list(allowed)}. A lower bound, an estimate and an unnormalized "
            "log-density are not comparable with an exact one."
        )
    if len(kinds) > 1:
        raise ValueError(
            f"Estimators report different likelihood kinds {sorted(kinds)}; "
            "their log-likelihoods are not comparable."
        )
    return kinds.pop() if kinds else "exact"


class GenerativeMixin:
    """Mixin for generative estimators: ``score``, tags and ``likelihood_kind``.

    Attributes
    ----------
    likelihood_kind : {"exact", "lower_bound", "estimate", "unnormalized", "none"}
        What :meth:`score_samples` returns: a normalized log-density
        (``"exact"``), a lower bound on it (``"lower_bound"``), a consistent
        estimate (``"estimate"``), a log-density up to an unknown additive
        constant (``"unnormalized"``), or nothing at all (``"none"``, in which
        case ``score_samples`` and ``score`` are absent). Readable on the class
        and on unfitted instances.
    """

    likelihood_kind = "exact"
    #: Whether ``fit``/``score_samples``/``sample`` accept ``y`` to model ``p(x | y)``.
    _conditional = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "density_estimator"
        return tags

    @_DensityMethod
    def score(self, X, y=None):
        """Mean log-likelihood of ``X`` (natural log, per row).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to score.
        y : array-like of shape (n_samples,), default=None
            Conditioning labels for conditional models; ignored otherwise
            (accepted so that cross-validation tools can pass labels).

        Returns
        -------
        score : float
            ``mean(score_samples(X))``. Its meaning follows
            :attr:`likelihood_kind`.
        """
        y = y if self._conditional else None
        return float(np.mean(self.score_samples(X, y=y)))


class LatentMixin(TransformerMixin):
    """Mixin for latent-variable models.

    They add ``transform(X)`` (encode rows to latent coordinates) and
    ``inverse_transform(Z)`` (decode latent coordinates to rows) to the
    generative protocol, and are scikit-learn transformers, so they can reduce
    dimension inside a :class:`sklearn.pipeline.Pipeline`.
    """


def _check_n_samples(n_samples):
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral):
        raise TypeError(
            f"n_samples must be a positive integer, got {n_samples!r} "
            f"of type {type(n_samples).__name__}."
        )
    if n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples}.")
    return int(n_samples)


class BaseGenerative(GenerativeMixin, BaseEstimator):
    """Base class of skgen's estimators: validation and the protocol's driver.

    Subclasses implement

    - ``_fit(self, X, y)``: learn from validated float64 ``X`` (and ``y`` for
      conditional models); set fitted attributes ending in ``_``;
    - ``_score_samples(self, X, y)``: log-density of validated rows;
    - ``_sample(self, n_samples, rng, y)``: a float64 array of ``n_samples``
      rows, drawn with the :class:`numpy.random.RandomState` ``rng``.

    The driver validates input the scikit-learn way, restores the previous
    fitted state when ``fit`` fails, resolves random states (a per-call
    ``random_state`` overrides the estimator's), and returns a DataFrame from
    ``sample`` when the model was fit on one.
    """

    _parameter_constraints = {}

    # Validation options passed to ``validate_data`` for ``X``.
    _validate_kwargs = {"dtype": np.float64}

    # ----------------------------------------------------------------- fit
    def fit(self, X, y=None):
        """Fit the model to ``X`` by maximum likelihood (or its family's objective).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,), default=None
            Labels for conditional models (learn ``p(x | y)``); ignored by
            unconditional ones.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        backup = dict(self.__dict__)
        try:
            self._validate_params()
            X = self._validate_X(X, reset=True)
            if self._conditional and y is not None:
                y = self._validate_y_fit(X, y)
            else:
                y = None
            self._sampling_rng = check_random_state(getattr(self, "random_state", None))
            self._fit(X, y)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(backup)
            raise
        return self

    def _validate_X(self, X, *, reset):
        columns = X.columns if isinstance(X, pd.DataFrame) else None
        X = validate_data(self, X, reset=reset, **self._validate_kwargs)
        if reset:
            self._train_columns = columns
        return X

    def _validate_y_fit(self, X, y):
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"y must be 1-D with one label per row of X ({X.shape[0]}), "
                f"got shape {y.shape}."
            )
        return y

    # --------------------------------------------------------------- score
    @_DensityMethod
    def score_samples(self, X, y=None):
        """Log-density of each row of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to score.
        y : array-like of shape (n_samples,), default=None
            Conditioning labels, for conditional models only.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``log p(x)`` (natural log); ``-inf`` where the density is zero. Its
            meaning follows :attr:`likelihood_kind`.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        y = self._check_y_call(y, X.shape[0])
        out = np.asarray(self._score_samples(X, y), dtype=np.float64)
        if np.isnan(out).any():  # a defect, never silently returned
            raise FloatingPointError(
                f"{type(self).__name__} produced NaN log-densities; please report this."
            )
        return out

    def _check_y_call(self, y, n_rows):
        if y is None:
            return None
        if not self._conditional:
            raise ValueError(
                f"{type(self).__name__} is not a conditional model: it does not "
                "accept y. Use skgen.conditional.GenerativeClassifier to model p(x|y)."
            )
        y = np.asarray(y)
        if y.ndim == 0:
            y = np.full(n_rows, y.item())
        if y.ndim != 1 or y.shape[0] != n_rows:
            raise ValueError(
                f"y must be a single label or have one label per row ({n_rows}), "
                f"got shape {y.shape}."
            )
        return y

    # -------------------------------------------------------------- sample
    def sample(self, n_samples=1, *, y=None, random_state=None):
        """Draw new rows from the fitted model.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw (at least 1).
        y : label or array-like of shape (n_samples,), default=None
            For conditional models: draw from ``p(x | y)``.
        random_state : int, RandomState instance or None, default=None
            Seed for this call; overrides the estimator's ``random_state``.
            With ``None``, successive calls continue one random stream seeded
            at ``fit`` from the estimator's ``random_state``, so they differ,
            while refitting with the same seed repeats them.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, n_features)
            New rows in random order; a DataFrame with the training columns
            when the model was fit on a DataFrame.
        """
        check_is_fitted(self)
        n_samples = _check_n_samples(n_samples)
        y = self._check_y_call(y, n_samples)
        rng = (
            self._sampling_rng
            if random_state is None
            else check_random_state(random_state)
        )
        X = np.asarray(self._sample(n_samples, rng, y), dtype=np.float64)
        return self._wrap_output(X)

    def _wrap_output(self, X):
        columns = getattr(self, "_train_columns", None)
        if columns is not None:
            return pd.DataFrame(X, columns=columns)
        return X

    # --------------------------------------------------------------- hooks
    def _fit(self, X, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def _score_samples(self, X, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample(self, n_samples, rng, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def __sklearn_is_fitted__(self):
        return hasattr(self, "n_features_in_")
