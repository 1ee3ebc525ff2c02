"""The protocol of skgen.base: likelihood kinds, random states, DataFrames, y, discovery."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from skgen.base import (
    LIKELIHOOD_KINDS,
    BaseGenerative,
    check_likelihood_kinds_comparable,
)
from skgen.classical import Gaussian, GaussianMixture, Histogram, KernelDensity, UniformBox
from skgen.testing import check_generative_estimator, estimator_test_instances
from skgen.utils import all_estimators

CLASSICAL = [UniformBox, Gaussian, GaussianMixture, Histogram, KernelDensity]


def _data(n=200, seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 2)) @ np.array([[1.0, 0.8], [0.0, 0.6]])


class ToyGAN(BaseGenerative):
    """An implicit model: a learned shift of Gaussian noise, no density."""

    likelihood_kind = "none"
    _parameter_constraints = {"random_state": ["random_state"]}

    def __init__(self, *, random_state=None):
        self.random_state = random_state

    def _fit(self, X, y):
        self.shift_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)

    def _sample(self, n_samples, rng, y):
        return self.shift_ + self.scale_ * rng.standard_normal((n_samples, self.shift_.size))


class NaNDensity(Gaussian):
    def _score_samples(self, X, y):
        out = super()._score_samples(X, y)
        out[0] = np.nan
        return out


# ------------------------------------------------------------ likelihood kinds
def test_likelihood_kinds():
    assert LIKELIHOOD_KINDS == ("exact", "lower_bound", "estimate", "unnormalized", "none")


@pytest.mark.parametrize("cls", CLASSICAL, ids=lambda c: c.__name__)
def test_classical_kinds_are_exact_on_class_and_instance(cls):
    assert cls.likelihood_kind == "exact"
    assert cls().likelihood_kind == "exact"


def test_model_without_density_has_no_score_methods():
    for gan in (ToyGAN(), ToyGAN(random_state=0).fit(_data())):
        assert ToyGAN.likelihood_kind == gan.likelihood_kind == "none"
        assert not hasattr(gan, "score_samples")
        assert not hasattr(gan, "score")
        for attr in ("score_samples", "score"):
            with pytest.raises(AttributeError, match=f"defines no density, so it has no '{attr}'"):
                getattr(gan, attr)
        with pytest.raises(AttributeError, match=r"Use sample\(\)"):
            gan.score_samples(_data())
    # Sampling still works.
    assert ToyGAN(random_state=0).fit(_data()).sample(4).shape == (4, 2)


def test_battery_accepts_a_correct_model_without_density():
    check_generative_estimator(ToyGAN())


def test_nan_log_density_is_an_error_not_an_answer():
    est = NaNDensity().fit(_data())
    with pytest.raises(FloatingPointError, match="NaN"):
        est.score_samples(_data(5))


@pytest.mark.parametrize(
    "estimators, allowed, expected",
    [
        ([Gaussian(), KernelDensity()], ("exact",), "exact"),
        ([Gaussian(), object()], ("exact",), "exact"),  # no attribute: read as exact
        ([], ("exact",), "exact"),
    ],
)
def test_check_likelihood_kinds_comparable_accepts(estimators, allowed, expected):
    assert check_likelihood_kinds_comparable(estimators, allowed=allowed) == expected


def _with_kind(kind):
    est = Gaussian()
    est.likelihood_kind = kind  # an instance may change its own kind
    return est


def test_check_likelihood_kinds_comparable_refuses():
    with pytest.raises(ValueError, match=r"kind \['lower_bound'\].*not comparable"):
        check_likelihood_kinds_comparable([Gaussian(), _with_kind("lower_bound")])
    with pytest.raises(ValueError, match="different likelihood kinds"):
        check_likelihood_kinds_comparable(
            [Gaussian(), _with_kind("lower_bound")], allowed=("exact", "lower_bound")
        )
    with pytest.raises(ValueError, match="none"):
        check_likelihood_kinds_comparable([ToyGAN()], allowed=LIKELIHOOD_KINDS[:-1])
    assert check_likelihood_kinds_comparable(
        [_with_kind("lower_bound")] * 2, allowed=("lower_bound",)
    ) == "lower_bound"


# --------------------------------------------------------------- random states
def test_per_call_random_state_overrides_the_estimators():
    X = _data()
    a = Gaussian(random_state=0).fit(X)
    b = Gaussian(random_state=123).fit(X)
    np.testing.assert_array_equal(a.sample(5, random_state=7), b.sample(5, random_state=7))
    rs_a, rs_b = np.random.RandomState(7), np.random.RandomState(7)
    np.testing.assert_array_equal(a.sample(5, random_state=rs_a),
                                  b.sample(5, random_state=rs_b))
    assert not np.array_equal(a.sample(5), b.sample(5))


def test_unseeded_calls_continue_one_stream_that_refitting_repeats():
    X = _data()
    est = UniformBox(random_state=3).fit(X)
    first, second = est.sample(5), est.sample(5)
    assert not np.array_equal(first, second)
    est.sample(5, random_state=0)  # a seeded call does not touch the stream
    third = est.sample(5)
    est.fit(X)
    np.testing.assert_array_equal(est.sample(5), first)
    np.testing.assert_array_equal(est.sample(5), second)
    np.testing.assert_array_equal(est.sample(5), third)


# ------------------------------------------------------------------ DataFrames
@pytest.mark.parametrize("cls", CLASSICAL, ids=lambda c: c.__name__)
def test_sample_returns_dataframe_with_training_columns(cls):
    frame = pd.DataFrame(_data(), columns=["height", "width"])
    est = cls().fit(frame)
    out = est.sample(6, random_state=0)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["height", "width"]
    assert out.shape == (6, 2)
    assert list(est.feature_names_in_) == ["height", "width"]
    assert np.isfinite(est.score_samples(out)).all()


def test_sample_returns_array_when_fit_on_array_after_dataframe():
    est = Gaussian().fit(pd.DataFrame(_data(), columns=["a", "b"]))
    est.fit(_data())
    assert isinstance(est.sample(2, random_state=0), np.ndarray)


def test_sample_accepts_defaults_and_numpy_integers():
    est = Gaussian(random_state=0).fit(_data())
    assert est.sample().shape == (1, 2)
    assert est.sample(np.int32(4)).shape == (4, 2)


# ------------------------------------------------------------------------ y
@pytest.mark.parametrize("cls", CLASSICAL, ids=lambda c: c.__name__)
def test_unconditional_models_refuse_y_in_sample_and_score_samples(cls):
    X = _data()
    est = cls().fit(X)
    with pytest.raises(ValueError, match="not a conditional model"):
        est.sample(3, y=np.zeros(3))
    with pytest.raises(ValueError, match="not a conditional model"):
        est.score_samples(X, y=np.zeros(len(X)))


@pytest.mark.parametrize("cls", CLASSICAL, ids=lambda c: c.__name__)
def test_unconditional_models_accept_and_ignore_y_in_fit_and_score(cls):
    X = _data()
    y = np.arange(len(X)) % 3
    with_y = cls(random_state=0).fit(X, y)
    without = cls(random_state=0).fit(X)
    np.testing.assert_array_equal(with_y.score_samples(X), without.score_samples(X))
    assert with_y.score(X, y) == without.score(X) == pytest.approx(
        np.mean(without.score_samples(X))
    )


def test_cross_val_score_with_labels_is_held_out_mean_log_likelihood():
    X = _data(300)
    y = (X[:, 0] > 0).astype(int)
    cv = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(Gaussian(), X, y, cv=cv)
    expected = [
        Gaussian().fit(X[train]).score_samples(X[test]).mean()
        for train, test in cv.split(X)
    ]
    np.testing.assert_allclose(scores, expected, rtol=1e-12)


def test_grid_search_selects_by_held_out_log_likelihood():
    X = _data(300)  # strongly correlated features: a full covariance fits best
    cv = KFold(4, shuffle=True, random_state=0)
    grid = {"covariance_type": ["spherical", "diag", "full"]}
    search = GridSearchCV(Gaussian(), grid, cv=cv).fit(X)
    assert search.best_params_ == {"covariance_type": "full"}
    for kind, score in zip(search.cv_results_["param_covariance_type"],
                           search.cv_results_["mean_test_score"]):
        held_out = [
            Gaussian(covariance_type=kind).fit(X[train]).score_samples(X[test]).mean()
            for train, test in cv.split(X)
        ]
        assert score == pytest.approx(np.mean(held_out), rel=1e-12)
    # Uncorrelated features with unequal variances: diag beats spherical.
    Z = np.random.RandomState(1).normal(size=(300, 2)) * [1.0, 5.0]
    search = GridSearchCV(Gaussian(), {"covariance_type": ["spherical", "diag"]}, cv=cv)
    assert search.fit(Z).best_params_ == {"covariance_type": "diag"}


# ------------------------------------------------------------------ discovery
def test_all_estimators_lists_the_classical_models():
    found = dict(all_estimators())
    for cls in CLASSICAL:
        assert found[cls.__name__] is cls
    assert [name for name, _ in all_estimators()] == sorted(found)


def test_all_estimators_type_filter():
    density = dict(all_estimators(type_filter="density"))
    assert {cls.__name__ for cls in CLASSICAL} <= set(density)
    assert all(hasattr(cls, "sample") for cls in density.values())
    for kind, method in [("transformer", "transform"), ("classifier", "predict_proba")]:
        listed = dict(all_estimators(type_filter=kind))
        assert all(hasattr(cls, method) for cls in listed.values())
        assert not {cls.__name__ for cls in CLASSICAL} & set(listed)
    with pytest.raises(ValueError, match="type_filter must be one of"):
        all_estimators(type_filter="regressor")


def test_test_instances_are_seeded_and_unfitted():
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    for est in estimator_test_instances(type_filter="density"):
        if "random_state" in est.get_params():
            assert est.get_params()["random_state"] is not None
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
