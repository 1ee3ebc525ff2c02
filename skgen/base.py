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

Glossary
--------
One word, one meaning, in every module of skgen:

log-density, ``score_samples``
    ``log p(x)`` of rows in the units of the user's ``X``, a numpy array.
    The hook behind it is ``_score_samples(X, y)`` on validated float64 rows,
    for every estimator and true distribution.
``log_prob``
    The same quantity inside a torch network: ``_log_prob(module, X, y)`` of a
    deep family maps a batch of *standardized* rows (a tensor) to a tensor of
    shape ``(n,)``; the driver adds the standardization's Jacobian.
``sample``
    New rows; the hook is ``_sample(n_samples, rng, y)`` with a numpy
    ``RandomState`` (``y`` is ``None`` for unconditional models). A deep
    family draws standardized rows in ``_sample_module(module, n_samples, y,
    generator)`` with a torch generator.
``likelihood_kind``
    What ``score_samples`` means, one of :data:`LIKELIHOOD_KINDS`, ordered
    from most to least trustworthy; :func:`get_likelihood_kind` reads it from
    any estimator.
``n_components``
    The size of a latent space (PPCA, FA, VAE, GAN), or the number of
    components of a mixture (:class:`~skgen.classical.GaussianMixture`), as in
    scikit-learn. A deep model's mixture *per conditional* is
    ``n_mixture_components`` (MADE).
``distribution``
    The family of a network's output distribution, ``p(x | z)`` or
    ``p(x_i | x_<i)``: ``"gaussian"``, ``"bernoulli"``, ``"categorical"``,
    ``"gaussian_mixture"`` (VAE, MADE).
``score_method``
    How a model whose density is not tractable computes ``score_samples``
    (the diffusion model's ``"bound"`` or ``"ode"``).
``ema_decay``
    Decay of the exponential moving average of a network's weights
    (:class:`skgen.nn.MovingAverage`), updated after each optimizer step of
    the averaged network.
conditional
    An estimator that accepts ``y`` in ``fit``, ``score_samples`` and
    ``sample`` to model ``p(x | y)``; it declares the generative tag
    ``conditional`` (see :func:`is_conditional`).
"""

import copy
import inspect
import warnings
from dataclasses import dataclass, field, fields
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import Tags, check_random_state, get_tags
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

__all__ = [
    "LIKELIHOOD_KINDS",
    "BaseGenerative",
    "ConditionalMixin",
    "ConditionalSamplingWarning",
    "ExactQuestionsMixin",
    "GenerativeMixin",
    "GenerativeTags",
    "LatentMixin",
    "LikelihoodKindWarning",
    "check_likelihood_kinds_comparable",
    "get_likelihood_kind",
    "is_conditional",
]

#: The meanings ``score_samples`` can have, see :attr:`GenerativeMixin.likelihood_kind`,
#: from the most to the least trustworthy.
LIKELIHOOD_KINDS = ("exact", "lower_bound", "estimate", "unnormalized", "none")


def get_likelihood_kind(estimator):
    """What ``estimator.score_samples`` means: one of :data:`LIKELIHOOD_KINDS`.

    Parameters
    ----------
    estimator : estimator
        Any estimator. One without a ``likelihood_kind`` (a scikit-learn
        density such as :class:`sklearn.mixture.GaussianMixture`) is
        ``"exact"``, the meaning of scikit-learn's ``score_samples``.

    Returns
    -------
    kind : str

    Examples
    --------
    >>> from sklearn.neighbors import KernelDensity
    >>> from skgen.base import get_likelihood_kind
    >>> from skgen.vae import VAE
    >>> get_likelihood_kind(KernelDensity()), get_likelihood_kind(VAE())
    ('exact', 'lower_bound')
    """
    kind = getattr(estimator, "likelihood_kind", "exact")
    return kind if kind in LIKELIHOOD_KINDS else "exact"


class ConditionalSamplingWarning(UserWarning):
    """An approximate ``sample(given=...)`` draw rests on few effective proposals.

    Models without closed-form conditionals complete rows by importance
    resampling; their ``given_ess_`` holds each row's effective sample size.
    """


class LikelihoodKindWarning(UserWarning):
    """A score of one likelihood kind may be ranked against scores of another.

    Raised by ``score`` of models whose ``likelihood_kind`` is
    ``"lower_bound"`` or ``"estimate"``, the number model selection ranks.
    Silence it (``warnings.simplefilter("ignore", LikelihoodKindWarning)``)
    when every candidate has the same kind.
    """


def _check_score_comparable(estimator):
    """Refuse an unnormalized ``score``, warn for a bound or an estimate."""
    kind = get_likelihood_kind(estimator)
    name = type(estimator).__name__
    if kind == "unnormalized":
        inner = getattr(estimator, "_final_estimator", estimator)  # a pipeline's model
        hint = (f" Call {type(inner).__name__}.estimate_log_normalizer() first: the model "
                "is then normalized (kind 'estimate') and can be scored."
                if hasattr(inner, "estimate_log_normalizer") else "")
        raise ValueError(
            f"{name}.score_samples is a log-density up to an unknown additive constant "
            "(likelihood_kind='unnormalized'), so its mean is not a held-out "
            "log-likelihood and cannot rank models (cross_val_score, GridSearchCV)."
            + hint
        )
    if kind in ("lower_bound", "estimate"):
        what = "a lower bound on" if kind == "lower_bound" else "an estimate of"
        warnings.warn(
            f"{name}.score is {what} the mean log-likelihood "
            f"(likelihood_kind={kind!r}): ranked against 'exact' log-likelihoods of "
            "other models (GridSearchCV, cross_val_score) it is not like with like"
            + (" and always looks worse" if kind == "lower_bound" else "")
            + ". Compare models of one kind, or silence LikelihoodKindWarning when "
            "all candidates share it.",
            LikelihoodKindWarning,
            stacklevel=3,
        )


def _weakest_kind(kinds):
    """The least trustworthy of several kinds (``"exact"`` for none)."""
    return max(kinds, key=LIKELIHOOD_KINDS.index, default="exact")


@dataclass(slots=True)
class GenerativeTags:
    """skgen's estimator tags, ``get_tags(estimator).generative_tags``.

    Parameters
    ----------
    conditional : bool, default=False
        The estimator accepts labels ``y`` in ``fit``, ``score_samples`` and
        ``sample`` and then models ``p(x | y)``.

    Examples
    --------
    >>> from sklearn.utils import get_tags
    >>> from skgen.flows import NSF
    >>> get_tags(NSF()).generative_tags.conditional
    True
    """

    conditional: bool = False


@dataclass(slots=True)
class _Tags(Tags):
    """scikit-learn's tags plus :class:`GenerativeTags`."""

    generative_tags: GenerativeTags = field(default_factory=GenerativeTags)


def is_conditional(estimator):
    """Whether ``estimator`` models ``p(x | y)`` when given labels.

    Reads the ``conditional`` generative tag; estimators without skgen's
    tags (scikit-learn's densities) are not conditional.

    Parameters
    ----------
    estimator : estimator instance

    Returns
    -------
    bool

    Examples
    --------
    >>> from skgen.base import is_conditional
    >>> from skgen.classical import Gaussian
    >>> from skgen.flows import NSF
    >>> is_conditional(NSF()), is_conditional(Gaussian())
    (True, False)
    """
    try:
        tags = get_tags(estimator)
    except Exception:  # not an estimator, or tags that cannot be computed
        return False
    generative = getattr(tags, "generative_tags", None)
    return bool(generative is not None and generative.conditional)


def _sample_from(estimator, n_samples, random_state=None, **kwargs):
    """``estimator.sample(n_samples, **kwargs)`` for any fitted density estimator, seeded.

    Works with skgen estimators and with duck-typed scikit-learn ones
    (``KernelDensity.sample(n, random_state=...)``; ``GaussianMixture.sample(n)``
    has no per-call seed and returns ``(X, component)``: a shallow copy with
    its ``random_state`` parameter set to the seed draws instead, so the draw
    is reproducible). With ``random_state=None`` the estimator continues its
    own random stream. Returns the rows (an array or a DataFrame), or
    ``(rows, labels)`` when ``kwargs`` asks for ``return_y``.

    Raises
    ------
    TypeError
        When a seed is given but the estimator can take it neither per call
        nor as a parameter.
    """
    if random_state is not None:
        try:
            params = inspect.signature(estimator.sample).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins
            params = {}
        if "random_state" in params or any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            kwargs["random_state"] = random_state
        elif "random_state" in getattr(estimator, "get_params", dict)():
            estimator = copy.copy(estimator)  # shallow: fitted arrays are shared
            estimator.random_state = check_random_state(random_state).randint(2**31 - 1)
        else:
            raise TypeError(
                f"{type(estimator).__name__}.sample takes no random_state and the "
                "estimator has no random_state parameter, so this draw cannot be "
                "seeded; call sample() without random_state."
            )
    draw = estimator.sample(n_samples, **kwargs)
    if isinstance(draw, tuple) and not kwargs.get("return_y", False):
        draw = draw[0]  # scikit-learn mixtures: (X, component)
    return draw


def _renamed_in_state(state, old, new, *, fitted=None):
    """Update the pickled ``state`` of an estimator saved before ``old`` became ``new``.

    The value moves to ``new`` (and to the fitted attribute ``fitted``, when
    the estimator resolves it at ``fit``); ``old`` becomes ``"deprecated"``.
    """
    if old in state and new not in state:
        state[new] = state[old]
        state[old] = "deprecated"
        if fitted is not None and "n_features_in_" in state:
            state.setdefault(fitted, state[new])


def _renamed_parameter(estimator, old, new):
    """The value of parameter ``new``, or of its deprecated alias ``old`` when set.

    Setting the alias warns with a ``FutureWarning``; deprecated aliases stay
    for one release.
    """
    value = getattr(estimator, old)
    if isinstance(value, str) and value == "deprecated":
        return getattr(estimator, new)
    warnings.warn(
        f"{type(estimator).__name__}: the parameter {old!r} was renamed {new!r} in "
        f"skgen 0.2 and will be removed in 0.3; use {new}={value!r}.",
        FutureWarning,
        stacklevel=4,
    )
    return value

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
        if get_likelihood_kind(obj) == "none":
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
    kinds = {get_likelihood_kind(e) for e in estimators}
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if not isinstance(tags, _Tags):
            tags = _Tags(**{f.name: getattr(tags, f.name) for f in fields(tags)})
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

        Raises
        ------
        ValueError
            When ``likelihood_kind`` is ``"unnormalized"``: a log-density up to
            an unknown constant cannot be a held-out log-likelihood, and model
            selection (``cross_val_score``, ``GridSearchCV``) would rank it
            against normalized densities by accident.

        Warns
        -----
        LikelihoodKindWarning
            When ``likelihood_kind`` is ``"lower_bound"`` or ``"estimate"``:
            the number ranks against exact log-likelihoods only approximately
            (a bound always looks worse).
        """
        y = y if is_conditional(self) else None
        scores = self.score_samples(X, y=y)  # validation errors come first
        _check_score_comparable(self)
        return float(np.mean(scores))


class ConditionalMixin:
    """Mixin for conditional generative estimators: sets the ``conditional`` tag.

    Put it first among the bases. The estimator then accepts labels ``y`` in
    ``fit``, ``score_samples`` and ``sample`` (validated by
    :class:`BaseGenerative`) and models ``p(x | y)``; tools such as
    :func:`skgen.conditional.log_likelihood_scorer` read the tag with
    :func:`is_conditional`.

    Examples
    --------
    >>> from skgen.base import ConditionalMixin, is_conditional
    >>> from skgen.classical import Gaussian
    >>> class MyConditional(ConditionalMixin, Gaussian):
    ...     pass
    >>> is_conditional(MyConditional())
    True
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.generative_tags.conditional = True
        return tags


class LatentMixin(TransformerMixin):
    """Mixin for latent-variable models.

    They add ``transform(X)`` (encode rows to latent coordinates) and
    ``inverse_transform(Z)`` (decode latent coordinates to rows) to the
    generative protocol, and are scikit-learn transformers, so they can reduce
    dimension inside a :class:`sklearn.pipeline.Pipeline`.
    """


def _check_numeric_columns(estimator, X):
    """Refuse a DataFrame's non-numeric columns by name, pointing to skgen.tabular."""
    bad = [f"{name!r} ({dtype})" for name, dtype in X.dtypes.items()
           if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))]
    if bad:
        raise ValueError(
            f"{type(estimator).__name__} models numeric tables, but column"
            f"{'s' if len(bad) > 1 else ''} {', '.join(bad)} "
            f"{'are' if len(bad) > 1 else 'is'} not numeric. Model mixed tables (categories, "
            "booleans, counts, missing cells) with skgen.tabular.TabularMixture or "
            "TabularAutoregressive, or encode the column as numbers first."
        )


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
    #: ``(old, new, fitted attribute or None)`` of parameters renamed in this
    #: release: a model pickled before the rename still loads.
    _renamed_parameters = ()
    #: ``{name: value}`` of parameters added in this release, with the value
    #: that reproduces the previous behaviour: a model pickled before gets it.
    _added_parameters = {}

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
            if y is not None and is_conditional(self):
                y = self._validate_y_fit(X, y)
            else:
                y = None
            self._sampling_rng = check_random_state(getattr(self, "random_state", None))
            self._fit(X, y)
            self._check_fitted()
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(backup)
            raise
        return self

    def _validate_X(self, X, *, reset):
        # a plain list: safe persistence (skops) holds it, a pandas Index it cannot
        columns = X.columns.tolist() if isinstance(X, pd.DataFrame) else None
        if columns is not None and self._validate_kwargs.get("dtype") is not None:
            _check_numeric_columns(self, X)
        kwargs = self._validate_kwargs
        if _accepts_nan(self):
            kwargs = {**kwargs, "ensure_all_finite": "allow-nan"}
        try:
            X = validate_data(self, X, reset=reset, **kwargs)
        except ValueError as exc:
            if "contains NaN" not in str(exc):
                raise
            raise ValueError(f"Input X contains NaN. {_nan_help(self)}") from None
        if reset:
            self._train_columns = columns
        return X

    def _given_rows(self, given):
        """Rows of ``given`` (``conditional``, ``sample(given=...)``) as float64, NaN allowed.

        ``given`` is an array or DataFrame of rows, a Series or a dict
        ``{column: value}`` (one row; absent columns are the ones to model).
        Models of mixed tables override this to read labels.
        """
        if isinstance(given, pd.Series):
            given = given.to_dict()
        if isinstance(given, dict):
            row = np.full((1, self.n_features_in_), np.nan)
            if given:
                row[0, _column_indices(self, list(given))] = np.asarray(
                    list(given.values()), dtype=np.float64)
            return row
        if not isinstance(given, pd.DataFrame):
            given = np.asarray(given, dtype=np.float64)
            given = given[None, :] if given.ndim == 1 else given
        return validate_data(self, given, reset=False, dtype=np.float64,
                             ensure_all_finite="allow-nan")

    def _validate_y_fit(self, X, y):
        """Class labels of a conditional model: 1-D, one per row, discrete, no NaN."""
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"y must be 1-D with one label per row of X ({X.shape[0]}), "
                f"got shape {y.shape}."
            )
        if pd.isna(y).any():
            raise ValueError(
                f"y holds {int(pd.isna(y).sum())} missing labels (NaN or None); a "
                f"conditional {type(self).__name__} needs a class for every row: drop "
                "those rows or give them a class of their own."
            )
        strings = {isinstance(v, str) for v in y} if y.dtype == object else {False}
        if len(strings) > 1:
            raise ValueError(
                "y mixes strings and numbers as labels; use one type for all labels "
                "(e.g. y.astype(str))."
            )
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        numbers = y.dtype == object and strings == {False}
        try:
            target = type_of_target(y.astype(np.float64) if numbers else y)
        except (TypeError, ValueError):
            target = "unknown"
        if target not in ("binary", "multiclass"):
            raise ValueError(
                f"y must hold class labels for a conditional {type(self).__name__}, got "
                f"{target} values ({len(np.unique(y))} distinct). To condition "
                "on a continuous variable, bin it first (e.g. pandas.qcut)."
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
        return self._score_with(self._score_samples, X, y)

    def _score_with(self, score_fn, X, y):
        """Validate ``X`` and ``y`` as ``score_samples`` does, then ``score_fn(X, y)``."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        y = self._check_y_call(y, X.shape[0])
        out = np.asarray(score_fn(X, y), dtype=np.float64)
        if np.isnan(out).any():  # a defect, never silently returned
            raise FloatingPointError(
                f"{type(self).__name__} produced NaN log-densities; please report this."
            )
        return out

    def _check_y_call(self, y, n_rows):
        if y is None:
            return None
        if not is_conditional(self):
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
    def sample(self, n_samples=1, *, y=None, random_state=None, return_y=False,
               given=None):
        """Draw new rows from the fitted model.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw (at least 1). With ``given``, one row is
            drawn per row of ``given``: ``n_samples`` must be 1 (the default)
            or ``len(given)``; repeat rows of ``given`` for several draws each.
        y : label or array-like of shape (n_samples,), default=None
            For conditional models: draw from ``p(x | y)``. A conditional model
            fit with labels and called without ``y`` draws each row's label
            from ``class_prior_`` first.
        random_state : int, RandomState instance or None, default=None
            Seed for this call; overrides the estimator's ``random_state``.
            With ``None``, successive calls continue one random stream seeded
            at ``fit`` from the estimator's ``random_state``, so they differ,
            while refitting with the same seed repeats them.
        return_y : bool, default=False
            Conditional models only: also return the label of each row (the
            given ``y``, or the labels drawn from ``class_prior_``), for a
            labelled synthetic table in one call.
        given : array-like or DataFrame of shape (n_given, n_features), default=None
            Rows to complete: NaN marks each value to draw, the other entries
            are kept. Row ``i`` of the result is ``given[i]`` completed by a
            draw from ``p(x_missing | x_observed)``: exactly for the
            estimators with ``marginal`` and ``conditional`` (the closed-form
            families), by importance resampling otherwise (see
            :func:`skgen._conditional_sampling.importance_resample`, which
            sets ``given_ess_`` and warns when the effective sample size is
            small). Not combined with ``y``.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, n_features)
            New rows in random order (in the order of ``given`` when given);
            a DataFrame with the training columns when the model was fit on
            a DataFrame. Values are floats even where a training column held
            integers: a density over real numbers draws real numbers, and
            rounding them would change the distribution the log-likelihoods
            describe. The models of :mod:`skgen.tabular` treat integer
            columns as counts and return them with their dtype.
        y_new : ndarray of shape (n_samples,)
            Their labels, only when ``return_y=True``.

        Examples
        --------
        >>> import numpy as np
        >>> from skgen.classical import Gaussian
        >>> X = np.random.RandomState(0).normal(size=(200, 2))
        >>> g = Gaussian().fit(X)
        >>> out = g.sample(given=[[0.5, np.nan], [np.nan, -1.0]], random_state=0)
        >>> out[0, 0], out[1, 1]
        (np.float64(0.5), np.float64(-1.0))
        """
        check_is_fitted(self)
        if given is not None:
            if y is not None or return_y:
                raise ValueError("sample(given=...) cannot be combined with y or return_y.")
            from ._conditional_sampling import sample_given

            rng = (self._sampling_rng if random_state is None
                   else check_random_state(random_state))
            X = sample_given(self, given, n_samples, rng)
            if not np.isfinite(X).all():
                raise FloatingPointError(
                    f"{type(self).__name__} completed rows with NaN or infinite values."
                )
            return self._wrap_output(X)
        n_samples = _check_n_samples(n_samples)
        y = self._check_y_call(y, n_samples)
        labelled = hasattr(self, "classes_") and is_conditional(self)
        if return_y and not labelled:
            raise ValueError(
                f"return_y=True needs a conditional model fit with labels; this "
                f"{type(self).__name__} models p(x) only."
            )
        rng = (
            self._sampling_rng
            if random_state is None
            else check_random_state(random_state)
        )
        if y is None and labelled:
            y = self.classes_[rng.choice(len(self.classes_), size=n_samples,
                                         p=self.class_prior_)]
        X = np.asarray(self._sample(n_samples, rng, y), dtype=np.float64)
        if not np.isfinite(X).all():  # never returned silently
            raise FloatingPointError(
                f"{type(self).__name__} drew {int(np.sum(~np.isfinite(X).all(axis=1)))} "
                f"of {n_samples} rows with NaN or infinite values: the fitted model is "
                "numerically broken (for a deep model, training probably diverged). "
                "Refit with a lower learning_rate, or check the data for extreme values."
            )
        X = self._wrap_output(X)
        return (X, y) if return_y else X

    def _wrap_output(self, X):
        columns = getattr(self, "_train_columns", None)
        if columns is not None:
            return pd.DataFrame(X, columns=columns)
        return X

    # --------------------------------------------------------------- hooks
    def _fit(self, X, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_fitted(self):
        """Called at the end of ``fit``; raise to refuse the fitted model (no-op)."""

    def _score_samples(self, X, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample(self, n_samples, rng, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def __setstate__(self, state):
        for old, new, fitted in self._renamed_parameters:
            _renamed_in_state(state, old, new, fitted=fitted)
        for name, value in self._added_parameters.items():
            state.setdefault(name, value)
        super().__setstate__(state)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "n_features_in_")

    # ------------------------------------- weighted and streaming fits (scale)
    def _fit_with(self, fit_fn, X, y=None, *, reset=True):
        """The driver of :meth:`fit` around another hook: ``fit_fn(X, y)``.

        For fits that take more than ``X`` and ``y`` (``sample_weight``:
        ``functools.partial(self._fit, sample_weight=w)``) and for
        ``partial_fit`` (``reset=False`` after the first call: ``X`` must then
        have the columns seen first). Validation, the random stream and the
        rollback of a failed call are those of :meth:`fit`.
        """
        backup = dict(self.__dict__)
        try:
            self._validate_params()
            X = self._validate_X(X, reset=reset)
            if y is not None and is_conditional(self):
                y = self._validate_y_fit(X, y)
            else:
                y = None
            if reset:
                self._sampling_rng = check_random_state(getattr(self, "random_state", None))
            fit_fn(X, y)
            self._check_fitted()
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(backup)
            raise
        return self


# ------------------------------------------------ questions beyond p(x)
# Missing values, marginals and conditionals (DESIGN.md, "Questions beyond p(x)").
# The maths lives with each family; these helpers parse columns and ``given``
# rows and dress a sub-model up as a fitted estimator over its columns.

#: The estimators whose ``score_samples`` marginalizes NaN exactly.
_NAN_ESTIMATORS = (
    "skgen.classical.Gaussian, GaussianMixture, ProbabilisticPCA, FactorAnalysis, "
    "KernelDensity (kernel='gaussian'), Histogram, UniformBox; skgen.tabular."
    "TabularMixture and TabularAutoregressive"
)


def _accepts_nan(estimator):
    """Whether ``estimator`` declares scikit-learn's ``allow_nan`` input tag."""
    return bool(get_tags(estimator).input_tags.allow_nan)


def _nan_help(estimator):
    return (
        f"{type(estimator).__name__} does not accept missing values (NaN). The "
        f"estimators that marginalize NaN exactly are {_NAN_ESTIMATORS}; or impute "
        "first (sklearn.impute), or drop incomplete rows."
    )


def _column_indices(estimator, columns):
    """Positions of ``columns`` (names of the training DataFrame, or integers)."""
    d = estimator.n_features_in_
    names = getattr(estimator, "_train_columns", None) or []
    items = [columns] if np.isscalar(columns) else list(columns)
    out = []
    for c in items:
        if isinstance(c, (Integral, np.integer)) and not isinstance(c, bool) and (
                c not in names):
            if not -d <= c < d:
                raise ValueError(f"Column index {c} is out of range for {d} features.")
            out.append(int(c) % d)
        elif c in names:
            out.append(names.index(c))
        else:
            raise ValueError(
                f"Unknown column {c!r}; the model's columns are "
                f"{names if names else list(range(d))}."
            )
    if not out or len(set(out)) != len(out):
        raise ValueError(f"columns must name at least one column, each once; got {columns!r}.")
    return np.array(out, dtype=np.intp)


def _validate_given(estimator, given):
    """Rows of ``given`` as float64 with NaN allowed, checked against the training columns."""
    check_is_fitted(estimator)
    return estimator._given_rows(given)


def _parse_given(estimator, given):
    """One conditioning row as a float array of ``n_features_in_`` (NaN: to model).

    ``given`` is a 1-D array, a one-row 2-D array or DataFrame, a Series, or a
    dict ``{column: value}`` whose absent columns are the ones to model.
    """
    rows = _validate_given(estimator, given)
    if rows.shape[0] != 1:
        raise ValueError(
            f"conditional takes one row of given values, got {rows.shape[0]}; "
            "for one draw per row use sample(given=...)."
        )
    row = rows[0]
    if np.isinf(row).any():
        raise ValueError("given holds infinite values; observed values must be finite.")
    missing = np.isnan(row)
    if missing.all():
        raise ValueError(
            "given observes no column (all NaN): there is nothing to condition on. "
            "Use the model itself, or marginal(columns)."
        )
    if not missing.any():
        raise ValueError(
            "given observes every column: nothing is left to model. Mark the columns "
            "to model with NaN (or leave them out of a dict)."
        )
    return row


def _as_submodel(estimator, sub, cols):
    """``sub``, a fitted model over ``estimator``'s columns ``cols``, with their names."""
    sub.n_features_in_ = len(cols)
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        sub.feature_names_in_ = np.asarray(names)[cols]
    elif hasattr(sub, "feature_names_in_"):
        del sub.feature_names_in_
    train = getattr(estimator, "_train_columns", None)
    sub._train_columns = None if train is None else [train[c] for c in cols]
    sub._sampling_rng = check_random_state(getattr(sub, "random_state", None))
    return sub


class ExactQuestionsMixin:
    """Exact missing values, marginals and conditionals of a closed-form density.

    Put it first among the bases. The estimator declares scikit-learn's
    ``allow_nan`` input tag (when :meth:`_marginalizes_nan` says so) and fills
    two hooks on validated positions:

    - ``_marginal(cols)``: a fitted estimator of the same protocol over
      ``cols`` (feature names and sampling seeds are set here);
    - ``_conditional(A, B, a)``: a fitted estimator of ``x_B | x_A = a``.

    ``score_samples`` on rows with NaN then scores each group of rows with
    one missingness pattern by ``_marginal`` of its observed columns
    (``_score_missing``; families override it with a faster equivalent), and
    ``sample(given=...)`` draws each pattern's rows with
    ``_sample_given_pattern`` (by default one ``_conditional`` per row).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._marginalizes_nan()
        return tags

    def _marginalizes_nan(self):
        """Whether this configuration has exact marginals (default: always)."""
        return True

    def _check_exact(self, what):
        check_is_fitted(self)
        if not self._marginalizes_nan():
            raise ValueError(f"{type(self).__name__}: {what} is not exact here. "
                             + self._not_exact_reason())

    def _not_exact_reason(self):  # pragma: no cover - overridden where needed
        return ""

    def marginal(self, columns):
        """The fitted marginal density of some columns.

        Parameters
        ----------
        columns : int, str or sequence of them
            Positions, or names of the training DataFrame's columns, to keep
            (in the order given).

        Returns
        -------
        estimator : fitted estimator
            A density over ``columns`` with ``score_samples`` and ``sample``
            (a DataFrame with those columns when the model was fit on one).

        Examples
        --------
        >>> import numpy as np
        >>> from skgen.classical import Gaussian
        >>> X = np.random.RandomState(0).normal(size=(300, 3))
        >>> g = Gaussian().fit(X)
        >>> g.marginal([2, 0]).mean_.round(2)
        array([-0.13,  0.  ])
        """
        self._check_exact("marginal")
        cols = _column_indices(self, columns)
        return _as_submodel(self, self._marginal(cols), cols)

    def conditional(self, given):
        """The fitted conditional density ``p(x_B | x_A = a)``.

        Parameters
        ----------
        given : array-like of shape (n_features,), dict, Series or one-row DataFrame
            The observed values ``a``, with NaN on the columns ``B`` to model
            (a dict ``{column: value}`` leaves them out).

        Returns
        -------
        estimator : fitted estimator
            A density over the NaN columns of ``given`` with
            ``score_samples`` and ``sample``.

        Raises
        ------
        ValueError
            When ``given`` has the wrong columns, observes none or all of
            them, or has density zero.

        Examples
        --------
        >>> import numpy as np
        >>> from skgen.classical import Gaussian
        >>> X = np.random.RandomState(0).multivariate_normal(
        ...     [0, 0], [[1, 0.8], [0.8, 1]], size=2000)
        >>> cond = Gaussian().fit(X).conditional([1.0, np.nan])
        >>> cond.mean_.round(1), cond.covariance_.round(1)
        (array([0.8]), array([[0.3]]))
        """
        self._check_exact("conditional")
        row = _parse_given(self, given)
        B = np.flatnonzero(np.isnan(row))
        A = np.flatnonzero(~np.isnan(row))
        return _as_submodel(self, self._conditional(A, B, row[A]), B)

    def _score_missing(self, X):
        """Log-density of the observed entries of rows with NaN, per pattern."""
        from .classical._conditioning import missing_patterns

        out = np.empty(X.shape[0])
        for rows, observed in missing_patterns(X):
            A = np.flatnonzero(observed)
            if A.size == 0:
                out[rows] = 0.0  # nothing observed: probability one
            elif A.size == X.shape[1]:
                out[rows] = self._score_samples(X[rows], None)
            else:
                out[rows] = self._marginal(A)._score_samples(X[np.ix_(rows, A)], None)
        return out

    def _sample_given_pattern(self, A, B, a, rng):
        """Draws of ``x_B`` for rows ``a`` of one pattern, shape ``(len(a), len(B))``."""
        return np.vstack([self._conditional(A, B, row)._sample(1, rng, None) for row in a])
