"""Bad input gets a clear error, and never changes a fitted model.

Every generative estimator of skgen (anything with ``sample`` that models
numeric tables) is run through the same list of wrong inputs: NaN, infinity,
empty and wrongly shaped arrays, non-numeric columns, a wrong number of
features, bad ``n_samples``, and use before ``fit``. Transformers are covered
by scikit-learn's own checks in ``test_common.py``.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags

from skgen.base import is_conditional
from skgen.testing import estimator_test_instances

ESTIMATORS = [
    est for est in estimator_test_instances(type_filter="density")
    if get_tags(est).input_tags.two_d_array
]
IDS = [type(est).__name__ for est in ESTIMATORS]

_rng = np.random.RandomState(0)
X_GOOD = np.vstack([_rng.normal(-1.0, 0.5, (30, 2)), _rng.normal(1.0, 0.7, (30, 2))])
Y_GOOD = np.repeat([0, 1], 30)


def _has_density(est):
    return getattr(est, "likelihood_kind", "exact") != "none"


def _has_likelihood_score(est):
    """``score`` is the mean log-likelihood (a classifier's is its accuracy)."""
    return _has_density(est) and not is_classifier(est)


def _accepts(est, case):
    """Whether a table of this bad case is valid input for ``est`` (its tags say so):
    missing cells for models that marginalize them, text and categories for
    models of mixed tables."""
    tags = get_tags(est).input_tags
    return {"nan": tags.allow_nan, "strings": tags.string,
            "categorical": tags.categorical}.get(case, False)


def _fit(est, X):
    """Fit, with labels for conditional models (which need them to learn p(x|y))."""
    if is_conditional(est):
        n_rows = np.shape(X)[0] if np.ndim(X) >= 1 else 1
        return est.fit(X, Y_GOOD[:n_rows])
    return est.fit(X)


def _snapshot(est):
    """What must not change: seeded samples, log-densities, and the random stream."""
    twin = pickle.loads(pickle.dumps(est))
    snap = {
        "n_features_in_": est.n_features_in_,
        "sample": np.asarray(est.sample(5, random_state=0)),
        "stream": np.asarray(twin.sample(5)),  # what the next unseeded call returns
    }
    if _has_density(est):
        snap["score_samples"] = est.score_samples(X_GOOD)
    return snap


def _assert_unchanged(est, snap):
    assert est.n_features_in_ == snap["n_features_in_"]
    np.testing.assert_array_equal(np.asarray(est.sample(5, random_state=0)), snap["sample"])
    if "score_samples" in snap:
        np.testing.assert_array_equal(est.score_samples(X_GOOD), snap["score_samples"])
    np.testing.assert_array_equal(np.asarray(est.sample(5)), snap["stream"])


@pytest.fixture(scope="module", params=ESTIMATORS, ids=IDS)
def fitted(request):
    return _fit(pickle.loads(pickle.dumps(request.param)), X_GOOD)


@pytest.fixture
def fitted_copy(fitted):
    """A private copy, for tests that call fit or might change the model."""
    return pickle.loads(pickle.dumps(fitted))


def _with(value, where=(3, 1)):
    X = X_GOOD.copy()
    X[where] = value
    return X


BAD_TABLES = {
    "nan": (_with(np.nan), ValueError, "NaN"),
    "inf": (_with(np.inf), ValueError, "infinity"),
    "-inf": (_with(-np.inf), ValueError, "infinity"),
    "empty": (X_GOOD[:0], ValueError, "0 sample"),
    "1-D": (X_GOOD[:, 0], ValueError, "2D array"),
    "3-D": (X_GOOD[None], ValueError, "dim 3"),
    "scalar": (3.0, ValueError, "2D array"),
    "strings": (
        pd.DataFrame({"a": X_GOOD[:, 0], "b": ["low", "high"] * 30}),
        ValueError, "column 'b' .* not numeric.*skgen.tabular|could not convert string",
    ),
    "categorical": (
        pd.DataFrame({"a": X_GOOD[:, 0], "b": pd.Categorical(["u", "v"] * 30)}),
        ValueError,
        "column 'b' \\(category\\) is not numeric.*skgen.tabular|could not convert string",
    ),
    "complex": (X_GOOD + 1j, ValueError, "[Cc]omplex"),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_fit_rejects_bad_tables(estimator, case):
    if _accepts(estimator, case):
        pytest.skip(f"{case} is valid input for {type(estimator).__name__}")
    X, error, match = BAD_TABLES[case]
    with pytest.raises(error, match=match):
        _fit(pickle.loads(pickle.dumps(estimator)), X)


@pytest.mark.filterwarnings("ignore:X has feature names")
@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_score_samples_rejects_bad_tables(fitted, case):
    if not _has_density(fitted):
        pytest.skip("no density")
    if _accepts(fitted, case):
        pytest.skip(f"{case} is valid input for {type(fitted).__name__}")
    X, error, match = BAD_TABLES[case]
    with pytest.raises(error, match=match):
        fitted.score_samples(X)


@pytest.mark.parametrize("n_features", [1, 3])
def test_wrong_number_of_features(fitted, n_features):
    if not _has_density(fitted):
        pytest.skip("no density")
    X = np.ones((4, n_features))
    with pytest.raises(ValueError, match=f"{n_features} features.*expecting 2"):
        fitted.score_samples(X)
    if _has_likelihood_score(fitted):
        with pytest.raises(ValueError, match="features"):
            fitted.score(X)


@pytest.mark.parametrize(
    "n_samples, error, match",
    [
        (0, ValueError, "n_samples must be a positive integer, got 0"),
        (-1, ValueError, "n_samples must be a positive integer, got -1"),
        (1.5, TypeError, "n_samples must be a positive integer.*float"),
        (2.0, TypeError, "n_samples must be a positive integer.*float"),
        ("3", TypeError, "n_samples must be a positive integer.*str"),
        (True, TypeError, "n_samples must be a positive integer.*bool"),
        (None, TypeError, "n_samples must be a positive integer"),
    ],
)
def test_sample_rejects_bad_n_samples(fitted, n_samples, error, match):
    with pytest.raises(error, match=match):
        fitted.sample(n_samples)


def test_sample_accepts_numpy_integers(fitted):
    assert np.asarray(fitted.sample(np.int64(3), random_state=0)).shape == (3, 2)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_unfitted_use_raises_not_fitted(estimator):
    est = pickle.loads(pickle.dumps(estimator))
    with pytest.raises(NotFittedError):
        est.sample(3)
    with pytest.raises(NotFittedError):
        est.sample(3, random_state=0)
    if _has_density(est):
        with pytest.raises(NotFittedError):
            est.score_samples(X_GOOD)
    if _has_likelihood_score(est):
        with pytest.raises(NotFittedError):
            est.score(X_GOOD)


@pytest.mark.parametrize("case", ["nan", "inf", "empty", "strings", "1-D"])
def test_failed_fit_leaves_model_unchanged(fitted_copy, case):
    if _accepts(fitted_copy, case):
        pytest.skip(f"{case} is valid input for {type(fitted_copy).__name__}")
    snap = _snapshot(fitted_copy)
    X, error, _ = BAD_TABLES[case]
    with pytest.raises(error):
        _fit(fitted_copy, X)
    _assert_unchanged(fitted_copy, snap)


def test_failed_calls_leave_model_unchanged(fitted_copy):
    snap = _snapshot(fitted_copy)
    for bad in (0, -1, 1.5):
        with pytest.raises((ValueError, TypeError)):
            fitted_copy.sample(bad)
    if _has_density(fitted_copy):
        bad_tables = [np.ones((3, 5)), X_GOOD[:0]]
        if not _accepts(fitted_copy, "nan"):
            bad_tables.append(BAD_TABLES["nan"][0])
        for X in bad_tables:
            with pytest.raises(ValueError):
                fitted_copy.score_samples(X)
            if _has_likelihood_score(fitted_copy):
                with pytest.raises(ValueError):
                    fitted_copy.score(X)
    _assert_unchanged(fitted_copy, snap)


# A failure inside a model's own fitting code (not in input validation) must
# also leave the previous fit in place.
FAILING_FITS = {
    "UniformBox": (np.c_[X_GOOD[:, 0], np.ones(60)], "constant"),
    "GaussianMixture": (X_GOOD[:1], "n_components=2"),
    "Histogram": (X_GOOD, "range must be"),
}


@pytest.mark.parametrize("name", sorted(FAILING_FITS))
def test_failure_inside_fit_leaves_model_unchanged(name):
    est = next(e for e in ESTIMATORS if type(e).__name__ == name)
    est = _fit(pickle.loads(pickle.dumps(est)), X_GOOD)
    snap = _snapshot(est)
    X, match = FAILING_FITS[name]
    if name == "Histogram":  # an invalid range only fails once the data's shape is known
        est.set_params(range=[(0.0, 1.0)])
    with pytest.raises(ValueError, match=match):
        est.fit(X)
    if name == "Histogram":
        est.set_params(range=None)
    _assert_unchanged(est, snap)
