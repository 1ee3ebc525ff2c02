"""Hypothesis strategies for skgen's tests: data sets and estimator parameters.

Data strategies draw well-conditioned float arrays (no constant columns, no
duplicate rows, moderate magnitudes), so that a property that fails points at
the estimator and not at degenerate input. Parameter strategies draw keyword
arguments for an estimator class; :func:`estimators` draws whole instances.

This module needs `hypothesis <https://hypothesis.readthedocs.io>`_.
"""

import inspect

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.utils._param_validation import StrOptions

__all__ = [
    "data_arrays",
    "data_frames",
    "estimator_params",
    "estimators",
    "hostile_data",
]

_FLOATS = dict(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def data_arrays(draw, *, min_samples=10, max_samples=60, min_features=1, max_features=4):
    """Strategy for well-conditioned training data.

    Each array is ``loc + scale * (base + noise)``: ``base`` has hypothesis-drawn
    entries in ``[-10, 10]`` (so that examples shrink), ``noise`` is standard
    normal from a drawn seed (so that no column is constant and no two rows are
    equal), ``loc`` is in ``[-100, 100]`` and ``scale`` in ``[0.1, 10]`` per
    feature.

    Parameters
    ----------
    min_samples, max_samples : int, default=10, 60
        Range of the number of rows.
    min_features, max_features : int, default=1, 4
        Range of the number of columns.

    Returns
    -------
    strategy : hypothesis strategy of ndarray of shape (n_samples, n_features)
        Float64 arrays.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from skgen.testing.strategies import data_arrays
    >>> @settings(max_examples=10, database=None, deadline=None)
    ... @given(X=data_arrays(max_features=2))
    ... def test_shape(X):
    ...     assert X.ndim == 2 and 1 <= X.shape[1] <= 2 and X.std(axis=0).min() > 0
    >>> test_shape()
    """
    n = draw(st.integers(min_samples, max_samples))
    d = draw(st.integers(min_features, max_features))
    base = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-10, 10, **_FLOATS)))
    seed = draw(st.integers(0, 2**32 - 1))
    noise = np.random.default_rng(seed).standard_normal((n, d))
    loc = draw(hnp.arrays(np.float64, d, elements=st.floats(-100, 100, **_FLOATS)))
    log_scale = draw(hnp.arrays(np.float64, d, elements=st.floats(-1, 1, **_FLOATS)))
    return loc + 10.0**log_scale * (base + noise)


def data_frames(**kwargs):
    """Strategy for :func:`data_arrays` as DataFrames with columns ``x0, x1, ...``.

    Parameters
    ----------
    **kwargs
        Passed to :func:`data_arrays`.

    Returns
    -------
    strategy : hypothesis strategy of pandas.DataFrame

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from skgen.testing.strategies import data_frames
    >>> @settings(max_examples=5, database=None, deadline=None)
    ... @given(df=data_frames(min_features=2, max_features=2))
    ... def test_columns(df):
    ...     assert list(df.columns) == ["x0", "x1"]
    >>> test_columns()
    """
    import pandas as pd

    return data_arrays(**kwargs).map(
        lambda X: pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    )


@st.composite
def hostile_data(draw, *, max_samples=40, max_features=5):
    """Strategy for the awkward data real tables contain, to fuzz estimators with.

    Columns of scales from ``1e-8`` to ``1e12`` with offsets up to ``1e12``,
    duplicated columns, constant columns, one to three rows or more features
    than rows, float16/float32/float64, integer or boolean dtypes, and
    DataFrames. Every value is finite: an estimator must fit it and give
    finite log-densities to its training rows, or refuse it with a clear
    ``ValueError``.

    Parameters
    ----------
    max_samples, max_features : int, default=40, 5
        Largest number of rows and columns.

    Returns
    -------
    strategy : hypothesis strategy of ndarray or DataFrame

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from skgen.testing.strategies import hostile_data
    >>> @settings(max_examples=20, database=None, deadline=None)
    ... @given(X=hostile_data())
    ... def test_finite(X):
    ...     assert np.isfinite(np.asarray(X, dtype=float)).all()
    >>> test_finite()
    """
    import pandas as pd

    shape = draw(st.sampled_from(["tall", "tiny", "wide"]))
    if shape == "tiny":
        n, d = draw(st.integers(1, 3)), draw(st.integers(1, max_features))
    elif shape == "wide":
        d = draw(st.integers(3, max_features + 3))
        n = draw(st.integers(2, d - 1))
    else:
        n, d = draw(st.integers(10, max_samples)), draw(st.integers(1, max_features))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.standard_normal((n, d))
    log_scale = draw(hnp.arrays(np.float64, d, elements=st.sampled_from([-8.0, -3.0, 0.0,
                                                                          3.0, 8.0, 12.0])))
    offset = draw(hnp.arrays(np.float64, d, elements=st.sampled_from([0.0, 1.0, -1e3, 1e6,
                                                                       1e12])))
    X = offset + 10.0**log_scale * X
    if d > 1 and draw(st.booleans()):  # a duplicated column
        X[:, -1] = X[:, 0]
    if draw(st.booleans()):  # a constant column
        X[:, draw(st.integers(0, d - 1))] = draw(st.sampled_from([0.0, 3.0, 0.1, 1e9 + 0.1,
                                                                   1e-4, 1e20]))
    kind = draw(st.sampled_from(["float64", "float32", "float16", "int", "bool"]))
    if kind == "int":
        X = np.clip(np.round(X), -2**62, 2**62).astype(np.int64)
    elif kind == "bool":
        X = X > np.median(X, axis=0)
    elif kind != "float64":
        with np.errstate(over="ignore"):
            X = X.astype(kind)
        X = np.where(np.isfinite(X), X, np.finfo(kind).max / 2).astype(kind)
    if draw(st.booleans()):
        return pd.DataFrame(X, columns=[f"c{j}" for j in range(d)])
    return X


def _options(cls, name):
    """The string options of parameter ``name`` in ``cls._parameter_constraints``."""
    for constraint in getattr(cls, "_parameter_constraints", {}).get(name, []):
        if isinstance(constraint, StrOptions):
            return sorted(constraint.options - set(getattr(constraint, "deprecated", ())))
    return []


def _seeds():
    return st.integers(0, 2**31 - 2)


def _reg_covar():
    return st.floats(1e-8, 1e-2, **_FLOATS)


def _kernel_density_params(cls):
    params = {}
    kernels = _options(cls, "kernel")
    if kernels:
        params["kernel"] = st.sampled_from(kernels)
    if "bandwidth" in getattr(cls, "_parameter_constraints", {}):
        rules = _options(cls, "bandwidth")
        numbers = st.floats(0.05, 5.0, **_FLOATS)
        params["bandwidth"] = st.one_of(numbers, st.sampled_from(rules)) if rules else numbers
    return params


# Class name -> function of the class returning {parameter: strategy}.
_PARAMS = {
    "UniformBox": lambda cls: {
        "min_width": st.one_of(st.just(0.0), st.floats(0.01, 10.0, **_FLOATS)),
    },
    "Gaussian": lambda cls: {
        "covariance_type": st.sampled_from(["full", "diag", "spherical"]),
        "reg_covar": _reg_covar(),
    },
    "GaussianMixture": lambda cls: {
        "n_components": st.integers(1, 3),
        "covariance_type": st.sampled_from(["full", "tied", "diag", "spherical"]),
        "reg_covar": _reg_covar(),
        "n_init": st.integers(1, 2),
    },
    "Histogram": lambda cls: {
        "bins": st.one_of(st.just("scott"), st.integers(1, 12)),
        "alpha": st.one_of(st.just(0.0), st.floats(0.01, 2.0, **_FLOATS)),
    },
    "KernelDensity": _kernel_density_params,
}


def estimator_params(estimator_class):
    """Strategy for constructor keyword arguments of ``estimator_class``.

    Classes skgen knows get meaningful ranges for their main parameters (for
    example ``covariance_type`` and ``reg_covar`` of
    :class:`~skgen.classical.Gaussian`, ``bins`` and ``alpha`` of
    :class:`~skgen.classical.Histogram`); every class with a
    ``random_state`` parameter gets a drawn integer seed. Other parameters keep
    their defaults.

    Parameters
    ----------
    estimator_class : type
        An estimator class.

    Returns
    -------
    strategy : hypothesis strategy of dict
        Keyword arguments for ``estimator_class``.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from skgen.classical import Gaussian
    >>> from skgen.testing.strategies import estimator_params
    >>> @settings(max_examples=10, database=None)
    ... @given(params=estimator_params(Gaussian))
    ... def test_params(params):
    ...     assert params["covariance_type"] in ("full", "diag", "spherical")
    ...     Gaussian(**params)
    >>> test_params()
    """
    maker = _PARAMS.get(estimator_class.__name__)
    params = dict(maker(estimator_class)) if maker is not None else {}
    if "random_state" in inspect.signature(estimator_class).parameters:
        params["random_state"] = _seeds()
    return st.fixed_dictionaries(params)


def estimators(classes=None):
    """Strategy for estimator instances with drawn parameters.

    Parameters
    ----------
    classes : sequence of type or None, default=None
        Classes to draw from; ``None`` uses the classical estimators of
        :mod:`skgen.classical`.

    Returns
    -------
    strategy : hypothesis strategy of estimator instances
        Unfitted instances built with :func:`estimator_params`.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from skgen.testing.strategies import estimators
    >>> @settings(max_examples=10, database=None)
    ... @given(est=estimators())
    ... def test_has_sample(est):
    ...     assert hasattr(est, "sample")
    >>> test_has_sample()
    """
    if classes is None:
        from ..utils import all_estimators

        classes = [cls for _, cls in all_estimators(type_filter="density")
                   if cls.__module__.startswith("skgen.classical")]
    return st.one_of(
        [estimator_params(cls).map(lambda kw, cls=cls: cls(**kw)) for cls in classes]
    )
