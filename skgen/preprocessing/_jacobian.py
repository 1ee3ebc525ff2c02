"""The invertible-step protocol and the Jacobians of scikit-learn's transformers.

A step ``T`` of a :class:`skgen.pipeline.DensityPipeline` is a fitted
transformer that is a bijection between open subsets of ``R^d`` and supplies

- ``transform(X)`` and ``inverse_transform(Z)``;
- ``log_abs_det_jacobian(X)``: ``log |det dT/dx|`` at each row ``x`` of ``X``,
  the step's *input*, an array of shape ``(n,)``; ``-inf`` marks rows outside
  the domain of ``T``, where the density in the original units is zero.

skgen's own transformers implement the method. For scikit-learn transformers
whose Jacobian is known, a registry supplies it: :func:`log_abs_det_jacobian`
dispatches on the exact class, :func:`check_invertible` says why a fitted
transformer is not a bijection (a PCA that keeps fewer components, a clipping
``MinMaxScaler``), and :func:`register_log_abs_det_jacobian` adds a class.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_array, check_is_fitted

__all__ = [
    "Invertible",
    "check_invertible",
    "log_abs_det_jacobian",
    "register_log_abs_det_jacobian",
]

# exact class -> (ladj(fitted, X ndarray) -> (n,), problem(fitted) -> str | None,
#                 image(fitted, Z ndarray) -> bool (n,) or None)
_REGISTRY = {}


def register_log_abs_det_jacobian(cls, func, *, check=None, image=None):
    """Teach skgen the log-|det Jacobian| of a transformer class.

    After registration, instances of exactly ``cls`` (not subclasses, whose
    ``transform`` may differ) are accepted as steps of a
    :class:`~skgen.pipeline.DensityPipeline` and by :class:`Invertible`.

    Parameters
    ----------
    cls : type
        A transformer class with ``transform`` and ``inverse_transform``.
    func : callable
        ``func(fitted_transformer, X)`` with ``X`` a float ndarray of shape
        ``(n, d)`` (the transformer's input) returns ``log |det dT/dx|`` per
        row, shape ``(n,)``; ``-inf`` outside the domain.
    check : callable, default=None
        ``check(fitted_transformer)`` returns ``None`` when the fitted
        transformer is a bijection, or a sentence saying why it is not.
    image : callable, default=None
        For a transformer whose range is not all of ``R^d`` (a Box-Cox
        transform), ``image(fitted_transformer, Z)`` returns a boolean array
        of shape ``(n,)``: whether each row of the *output* space ``Z`` is in
        the range. ``None`` means the range is ``R^d``.

    Returns
    -------
    cls : type
        The class, so the function can be used as a decorator helper.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator, TransformerMixin
    >>> from skgen.preprocessing import log_abs_det_jacobian, register_log_abs_det_jacobian
    >>> class Doubler(TransformerMixin, BaseEstimator):
    ...     def fit(self, X, y=None):
    ...         self.n_features_in_ = np.shape(X)[1]
    ...         return self
    ...     def transform(self, X):
    ...         return 2.0 * np.asarray(X)
    ...     def inverse_transform(self, Z):
    ...         return np.asarray(Z) / 2.0
    >>> _ = register_log_abs_det_jacobian(
    ...     Doubler, lambda t, X: np.full(X.shape[0], X.shape[1] * np.log(2.0)))
    >>> log_abs_det_jacobian(Doubler().fit([[1.0, 2.0]]), [[1.0, 2.0]])  # log 4
    array([1.38629436])
    """
    if not isinstance(cls, type):
        raise TypeError(f"cls must be a class, got {cls!r}.")
    if not callable(func) or (check is not None and not callable(check)):
        raise TypeError("func and check must be callables.")
    if image is not None and not callable(image):
        raise TypeError("image must be a callable.")
    _REGISTRY[cls] = (func, check, image)
    return cls


def _as_float(X):
    return check_array(X, dtype=np.float64, ensure_all_finite=True, input_name="X")


def _static_problem(transformer):
    """Why an (unfitted) transformer can never be a step, or None."""
    if transformer is None or (isinstance(transformer, str) and transformer == "passthrough"):
        return None
    if hasattr(transformer, "log_abs_det_jacobian"):
        return None
    if type(transformer) is Pipeline:
        for name, step in transformer.steps:
            reason = _static_problem(step)
            if reason is not None:
                return f"its step {name!r}: {reason}"
        return None
    if type(transformer) in _REGISTRY:
        return None
    return (
        f"skgen does not know the log-determinant of the Jacobian of "
        f"{type(transformer).__name__}, so it cannot give a density in the original "
        "units. Use an invertible transformer from skgen.preprocessing (or a "
        "scikit-learn scaler, PowerTransformer or full-rank PCA), or teach skgen its "
        "Jacobian with skgen.preprocessing.register_log_abs_det_jacobian."
    )


def _fitted_problem(transformer):
    """Why a fitted transformer is not a usable bijection, or None."""
    reason = _static_problem(transformer)
    if reason is not None or transformer is None or isinstance(transformer, str):
        return reason
    if hasattr(transformer, "log_abs_det_jacobian"):
        if not hasattr(transformer, "inverse_transform"):
            return f"{type(transformer).__name__} has no inverse_transform."
        return None
    if type(transformer) is Pipeline:
        for name, step in transformer.steps:
            reason = _fitted_problem(step)
            if reason is not None:
                return f"its step {name!r}: {reason}"
        return None
    check_is_fitted(transformer)
    check = _REGISTRY[type(transformer)][1]
    return None if check is None else check(transformer)


def check_invertible(transformer):
    """Raise if a fitted transformer is not a bijection with a known Jacobian.

    Parameters
    ----------
    transformer : estimator
        A fitted transformer, ``None`` or ``"passthrough"``.

    Returns
    -------
    transformer : estimator
        The same object, when it is usable.

    Raises
    ------
    TypeError
        If skgen does not know the transformer's Jacobian.
    ValueError
        If the fitted transformer is not invertible (it drops dimensions or
        clips).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skgen.preprocessing import check_invertible
    >>> X = np.random.RandomState(0).normal(size=(50, 3))
    >>> check_invertible(PCA(n_components=2).fit(X))
    Traceback (most recent call last):
    ...
    ValueError: PCA keeps 2 of 3 dimensions...
    """
    static = _static_problem(transformer)
    if static is not None:
        raise TypeError(static)
    reason = _fitted_problem(transformer)
    if reason is not None:
        raise ValueError(reason)
    return transformer


def log_abs_det_jacobian(transformer, X):
    """``log |det dT/dx|`` of a fitted transformer ``T`` at each row of ``X``.

    Parameters
    ----------
    transformer : estimator
        A fitted transformer that implements ``log_abs_det_jacobian`` or whose
        class is registered (scikit-learn's ``StandardScaler``,
        ``MinMaxScaler``, ``MaxAbsScaler``, ``RobustScaler``,
        ``PowerTransformer``, full-rank ``PCA`` and ``Pipeline`` of those),
        ``None`` or ``"passthrough"`` (identity, zero).
    X : array-like of shape (n_samples, n_features)
        Input of the transformer (not its output).

    Returns
    -------
    log_det : ndarray of shape (n_samples,)
        ``-inf`` for rows outside the transformer's domain.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgen.preprocessing import log_abs_det_jacobian
    >>> X = np.array([[0.0, 0.0], [2.0, 4.0]])
    >>> log_abs_det_jacobian(StandardScaler().fit(X), X)  # -log(1 * 2)
    array([-0.69314718, -0.69314718])
    """
    check_invertible(transformer)
    if transformer is None or isinstance(transformer, str):
        return np.zeros(_as_float(X).shape[0])
    if hasattr(transformer, "log_abs_det_jacobian"):
        return np.asarray(transformer.log_abs_det_jacobian(X), dtype=np.float64)
    if type(transformer) is Pipeline:
        out = 0.0
        Xt = X
        for _, step in transformer.steps:
            if step is None or (isinstance(step, str) and step == "passthrough"):
                continue
            out = out + log_abs_det_jacobian(step, Xt)
            Xt = step.transform(Xt)
        return out + np.zeros(_as_float(X).shape[0])
    check_is_fitted(transformer)
    Xa = _as_float(X)
    return np.asarray(_REGISTRY[type(transformer)][0](transformer, Xa), dtype=np.float64)


def _in_image(transformer, Z):
    """Whether each row of ``Z`` is in the range of a fitted step, or None.

    ``None`` means the range is all of ``R^d`` (every row is inside). A
    transformer of skgen's protocol whose range may be smaller defines
    ``_in_image(Z)`` with the same contract (:class:`Invertible` does, for
    the transformer it wraps).
    """
    if transformer is None or isinstance(transformer, str):
        return None
    if hasattr(transformer, "_in_image"):
        return transformer._in_image(Z)
    if type(transformer) is Pipeline:
        steps = [
            step for _, step in transformer.steps
            if not (step is None or (isinstance(step, str) and step == "passthrough"))
        ]
        n = _num_rows(Z)
        if not any(_in_image(step, np.empty((0, _n_out(step)))) is not None
                   for step in steps):
            return None
        rows = np.arange(n)
        for step in reversed(steps):
            here = _in_image(step, Z)
            if here is not None and not here.all():
                keep = np.flatnonzero(here)
                rows, Z = rows[keep], _safe_indexing(Z, keep)
            if rows.size == 0:
                break
            Z = step.inverse_transform(Z)
        out = np.zeros(n, dtype=bool)
        out[rows] = True
        return out
    entry = _REGISTRY.get(type(transformer))
    if entry is None or entry[2] is None:
        return None
    out = entry[2](transformer, _as_float_or_empty(Z))
    return None if out is None else np.asarray(out, dtype=bool)


def _num_rows(Z):
    return Z.shape[0]


def _n_out(step):
    n = getattr(step, "n_features_in_", None)
    return 0 if n is None else n


def _as_float_or_empty(Z):
    Z = np.asarray(Z, dtype=np.float64)
    return Z if Z.shape[0] == 0 else _as_float(Z)


def _has_bounded_image(transformer):
    """Whether a fitted step's range may be smaller than ``R^d``."""
    if transformer is None or isinstance(transformer, str):
        return False
    d = _n_out(transformer)
    return _in_image(transformer, np.empty((0, d))) is not None


# ------------------------------------------------------- scikit-learn scalers
def _constant(X, value):
    return np.full(X.shape[0], float(value))


def _ladj_divide_by_scale(t, X):
    scale = getattr(t, "scale_", None)
    return _constant(X, 0.0 if scale is None else -np.sum(np.log(scale)))


def _ladj_minmax(t, X):
    return _constant(X, np.sum(np.log(t.scale_)))


def _check_minmax(t):
    if t.clip:
        return (
            "MinMaxScaler(clip=True) maps every value outside the training range onto "
            "the boundary, which is not invertible; use clip=False."
        )
    return None


register_log_abs_det_jacobian(StandardScaler, _ladj_divide_by_scale)
register_log_abs_det_jacobian(MaxAbsScaler, _ladj_divide_by_scale)
register_log_abs_det_jacobian(RobustScaler, _ladj_divide_by_scale)
register_log_abs_det_jacobian(MinMaxScaler, _ladj_minmax, check=_check_minmax)


# ------------------------------------------------------------- power transform
def _yeo_johnson_log_derivative(X, lambdas):
    """Elementwise ``log d/dx yeojohnson(x, lambda)``: ``(lambda-1) sign(x) log1p|x|``."""
    return (lambdas - 1.0) * np.sign(X) * np.log1p(np.abs(X))


def _ladj_power(t, X):
    with np.errstate(divide="ignore", invalid="ignore"):
        if t.method == "box-cox":
            positive = np.all(X > 0, axis=1)
            logd = (t.lambdas_ - 1.0) * np.log(np.where(X > 0, X, 1.0))
        else:
            positive = np.ones(X.shape[0], dtype=bool)
            logd = _yeo_johnson_log_derivative(X, t.lambdas_)
    out = logd.sum(axis=1)
    if t.standardize:
        out = out - np.sum(np.log(t._scaler.scale_))
    return np.where(positive, out, -np.inf)


def _power_image_bounds(t):
    """Open interval ``(low, high)`` per feature: the range of a fitted PowerTransformer."""
    lam = np.asarray(t.lambdas_, dtype=np.float64)
    low = np.full(lam.shape, -np.inf)
    high = np.full(lam.shape, np.inf)
    tiny = np.spacing(1.0)
    with np.errstate(divide="ignore"):
        if t.method == "box-cox":  # (x^lam - 1) / lam over x > 0
            low = np.where(lam > tiny, -1.0 / lam, low)
            high = np.where(lam < -tiny, -1.0 / lam, high)
        else:  # Yeo-Johnson: bounded above for lam < 0, below for lam > 2
            high = np.where(lam < -tiny, -1.0 / lam, high)
            low = np.where(lam - 2.0 > tiny, -1.0 / (lam - 2.0), low)
    if t.standardize:
        low = (low - t._scaler.mean_) / t._scaler.scale_
        high = (high - t._scaler.mean_) / t._scaler.scale_
    return low, high


def _power_image(t, Z):
    low, high = _power_image_bounds(t)
    if np.all(np.isinf(low)) and np.all(np.isinf(high)):
        return None
    return np.all((Z > low) & (Z < high), axis=1)


def _check_power(t):
    if t.standardize and not hasattr(getattr(t, "_scaler", None), "scale_"):
        return (
            "this scikit-learn version does not expose the standardization step of "
            "PowerTransformer; use standardize=False followed by a StandardScaler."
        )
    return None


register_log_abs_det_jacobian(
    PowerTransformer, _ladj_power, check=_check_power, image=_power_image
)


# ------------------------------------------------------------------------ PCA
def _ladj_pca(t, X):
    _, logdet = np.linalg.slogdet(t.components_)
    if t.whiten:
        scale = np.sqrt(t.explained_variance_)
        scale = np.maximum(scale, np.finfo(scale.dtype).eps)  # as PCA.transform does
        logdet = logdet - np.sum(np.log(scale))
    return _constant(X, logdet)


def _check_pca(t):
    k, d = t.components_.shape
    if k < d:
        return (
            f"PCA keeps {k} of {d} dimensions: a map onto fewer dimensions has no "
            "density in the original space. Use PCA(n_components=None) fitted on more "
            "samples than features, or a latent model such as "
            "skgen.classical.ProbabilisticPCA."
        )
    if t.whiten and np.any(t.explained_variance_ <= 0):
        return (
            "PCA(whiten=True) found components with zero variance (the data lie in a "
            "subspace); whitening them is not invertible. Drop redundant features."
        )
    return None


register_log_abs_det_jacobian(PCA, _ladj_pca, check=_check_pca)


# ----------------------------------------------------------------- the adapter
class Invertible(TransformerMixin, BaseEstimator):
    """Wrap a scikit-learn transformer as an invertible step with a known Jacobian.

    The wrapped transformer does all the work (``transform``,
    ``inverse_transform``); the wrapper adds :meth:`log_abs_det_jacobian` from
    skgen's registry and refuses, when fitted, a transformer that is not a
    bijection. A :class:`~skgen.pipeline.DensityPipeline` accepts the known
    scikit-learn transformers directly; the wrapper is for using them
    elsewhere, where the method itself is needed.

    Parameters
    ----------
    transformer : estimator
        One of ``StandardScaler``, ``MinMaxScaler`` (``clip=False``),
        ``MaxAbsScaler``, ``RobustScaler``, ``PowerTransformer`` (Yeo-Johnson
        or Box-Cox, standardized or not), ``PCA`` keeping all components
        (whitening or not), a ``Pipeline`` of those, or a class added with
        :func:`register_log_abs_det_jacobian`. Cloned at ``fit``.

    Attributes
    ----------
    transformer_ : estimator
        The fitted clone.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import PowerTransformer
    >>> from skgen.preprocessing import Invertible
    >>> X = np.random.RandomState(0).lognormal(size=(100, 2))
    >>> t = Invertible(PowerTransformer(method="box-cox")).fit(X)
    >>> t.log_abs_det_jacobian(X[:3]).shape
    (3,)
    >>> np.allclose(t.inverse_transform(t.transform(X)), X)
    True
    """

    _parameter_constraints = {"transformer": [object]}

    def __init__(self, transformer):
        self.transformer = transformer

    def fit(self, X, y=None):
        """Fit the wrapped transformer and check that it is a bijection.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : Invertible
        """
        static = _static_problem(self.transformer)
        if static is not None:
            raise TypeError(static)
        _as_float(X)
        transformer = clone(self.transformer).fit(X, y)
        reason = _fitted_problem(transformer)
        if reason is not None:
            raise ValueError(reason)
        self.transformer_ = transformer
        self.n_features_in_ = _as_float(X).shape[1]
        if hasattr(transformer, "feature_names_in_"):
            self.feature_names_in_ = transformer.feature_names_in_
        return self

    def transform(self, X):
        """Apply the wrapped transformer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        _as_float(X)  # no NaN or inf: the density would be meaningless
        return self.transformer_.transform(X)

    def inverse_transform(self, Z):
        """Apply the wrapped transformer's inverse.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        return self.transformer_.inverse_transform(Z)

    def log_abs_det_jacobian(self, X):
        """``log |det dT/dx|`` at each row of the input ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_det : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return log_abs_det_jacobian(self.transformer_, X)

    def _in_image(self, Z):
        """Whether each row of ``Z`` is in the range of the wrapped transformer, or None.

        The hook :func:`_in_image` reads on skgen's steps: a wrapped Box-Cox
        ``PowerTransformer`` maps onto a half-line, and a
        :class:`~skgen.pipeline.DensityPipeline` must renormalize by the final
        estimator's mass there, as it does for the bare transformer.
        """
        check_is_fitted(self)
        return _in_image(self.transformer_, Z)

    def get_feature_names_out(self, input_features=None):
        """Output feature names of the wrapped transformer.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str
        """
        check_is_fitted(self)
        return self.transformer_.get_feature_names_out(input_features)
