"""The testing kit itself: the battery catches broken estimators, strategies are sound."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from sklearn.base import clone

from skgen.base import BaseGenerative
from skgen.classical import Gaussian, GaussianMixture, Histogram, UniformBox
from skgen.testing import check_generative_estimator
from skgen.testing.strategies import data_arrays, data_frames, estimator_params, estimators


# ------------------------------------------------- broken estimators to catch
class SumScore(Gaussian):
    def score(self, X, y=None):
        return float(np.sum(self.score_samples(X)))


class Unnormalized(Gaussian):
    """Off by 5% in every dimension (off by one ``dim`` only when ``dim`` is set)."""

    def __init__(self, *, dim=None, offset=0.05, random_state=None):
        super().__init__(random_state=random_state)
        self.dim = dim
        self.offset = offset

    def _score_samples(self, X, y):
        off = self.offset if self.dim in (None, X.shape[1]) else 0.0
        return super()._score_samples(X, y) + off


class ScaledSampler(Gaussian):
    """Samples spread ``factor`` times too wide (in ``dim`` dimensions only if set)."""

    def __init__(self, *, factor=1.1, dim=None, random_state=None):
        super().__init__(random_state=random_state)
        self.factor = factor
        self.dim = dim

    def _sample(self, n_samples, rng, y):
        out = super()._sample(n_samples, rng, y)
        f = self.factor if self.dim in (None, self.mean_.size) else 1.0
        return self.mean_ + f * (out - self.mean_)


class ShiftedSampler(Gaussian):
    def _sample(self, n_samples, rng, y):
        return super()._sample(n_samples, rng, y) + 0.1 * np.sqrt(np.diag(self.covariance_))


class IndependentSampler(Gaussian):
    """Ignores the correlation of the fitted covariance when sampling."""

    def _sample(self, n_samples, rng, y):
        z = rng.standard_normal((n_samples, self.mean_.size))
        return self.mean_ + z * np.sqrt(np.diag(self.covariance_))


class CentredHistogram(Histogram):
    """Puts every sample at the centre of its bin."""

    def _sample(self, n_samples, rng, y):
        cells = np.unravel_index(
            rng.choice(self._bin_prob.size, size=n_samples, p=self._bin_prob),
            self.log_density_.shape,
        )
        return np.column_stack([(e[c] + e[c + 1]) / 2 for e, c in zip(self.edges_, cells)])


class LargerBox(UniformBox):
    def _sample(self, n_samples, rng, y):
        pad = 0.01 * (self.high_ - self.low_)
        return rng.uniform(self.low_ - pad, self.high_ + pad, (n_samples, self.low_.size))


class SwappedWeights(GaussianMixture):
    """Samples with mixture weights 0.45/0.55 swapped against the fitted ones."""

    def _sample(self, n_samples, rng, y):
        weights = self.weights_
        self.weights_ = np.where(weights > weights.mean(), 0.45, 0.55)
        try:
            return super()._sample(n_samples, rng, y)
        finally:
            self.weights_ = weights


class IgnoresPerCallSeed(Gaussian):
    def sample(self, n_samples=1, *, y=None, random_state=None):
        return super().sample(n_samples)


class RepeatsItself(Gaussian):
    def sample(self, n_samples=1, *, y=None, random_state=None):
        seed = self.random_state if random_state is None else random_state
        return super().sample(n_samples, random_state=seed)


class ForgetsColumns(Gaussian):
    def sample(self, n_samples=1, *, y=None, random_state=None):
        return np.asarray(super().sample(n_samples, random_state=random_state))


class NoisyExactDensity(Gaussian):
    def _score_samples(self, X, y):
        noise = np.random.default_rng().normal(0.0, 1e-6, len(X))
        return super()._score_samples(X, y) + noise


class GlobalRandomFit(Gaussian):
    """Uses the global random state while fitting: not reproducible."""

    def _fit(self, X, y):
        super()._fit(X + 1e-3 * np.random.standard_normal(X.shape), y)


class ReturnsLabels(Gaussian):
    """scikit-learn's GaussianMixture convention: ``(X, labels)``."""

    def sample(self, n_samples=1, *, y=None, random_state=None):
        return super().sample(n_samples, random_state=random_state), np.zeros(n_samples)


class NaNSamples(Gaussian):
    def _sample(self, n_samples, rng, y):
        out = super()._sample(n_samples, rng, y)
        out[0, 0] = np.nan
        return out


class UnknownKind(Gaussian):
    likelihood_kind = "approximate"


class _DuckGAN(BaseGenerative):
    likelihood_kind = "none"
    _parameter_constraints = {"random_state": ["random_state"]}

    def __init__(self, *, random_state=None):
        self.random_state = random_state

    def _fit(self, X, y):
        self.mean_ = X.mean(axis=0)

    def _sample(self, n_samples, rng, y):
        return self.mean_ + rng.standard_normal((n_samples, self.mean_.size))


class GANWithScore(_DuckGAN):
    """Declares no density yet offers score_samples."""

    def __getattribute__(self, name):
        if name == "score_samples":
            return lambda X, y=None: np.zeros(len(X))
        return super().__getattribute__(name)


BROKEN = [
    (SumScore(), "It equals the sum"),
    (Unnormalized(), "integrates to 1.05"),
    (Unnormalized(dim=1, offset=0.01), "fitted on 1-D data: exp.* integrates to 1.01"),
    (Unnormalized(dim=3), "fitted on 3-D data: .*importance sampling"),
    (ScaledSampler(), "sampler does not draw"),
    (ScaledSampler(dim=3), "fitted on 3-D data: .*sampler does not draw"),
    (ShiftedSampler(), "the mean of sample"),
    (IndependentSampler(), "the covariance of sample"),
    (CentredHistogram(), "chi-square"),
    (LargerBox(), "-inf at .* of the model's own samples"),
    (SwappedWeights(n_components=2), "sampler does not draw"),
    (IgnoresPerCallSeed(), "per-call seed must make sampling reproducible"),
    (RepeatsItself(), "must continue one random stream"),
    (ForgetsColumns(), "must return a DataFrame"),
    (NoisyExactDensity(), "must be a function of x"),
    (GlobalRandomFit(), "two fits with the same random_state"),
    (ReturnsLabels(), r"must return an array of shape \(20, 2\)"),
    (NaNSamples(), "NaN or infinite"),
    (UnknownKind(), "likelihood_kind must be one of"),
    (GANWithScore(), "must not offer it"),
]


@pytest.mark.parametrize("estimator, match", BROKEN, ids=[type(e).__name__ for e, _ in BROKEN])
def test_battery_catches_broken_estimator(estimator, match):
    with pytest.raises(AssertionError, match=match):
        check_generative_estimator(estimator)


def test_battery_catches_scikit_learn_kernel_density():
    from sklearn.neighbors import KernelDensity

    with pytest.raises(AssertionError, match="class attribute likelihood_kind"):
        check_generative_estimator(KernelDensity())

    class Declared(KernelDensity):  # with a kind, its score is still a sum
        likelihood_kind = "exact"

    with pytest.raises(AssertionError, match="It equals the sum"):
        check_generative_estimator(Declared())


def test_battery_requires_an_explanation_for_missing_density():
    class Plain:  # a duck-typed GAN that merely lacks the methods
        likelihood_kind = "none"

        def get_params(self, deep=True):
            return {}

        def set_params(self, **params):
            return self

        def fit(self, X, y=None):
            self.n_features_in_ = np.shape(X)[1]
            return self

        def sample(self, n_samples=1, *, random_state=None):
            return np.zeros((n_samples, self.n_features_in_))

    with pytest.raises(AssertionError, match="says the model has no density"):
        check_generative_estimator(Plain())


# ----------------------------------------------------------- correct models
def test_battery_leaves_the_estimator_alone():
    est = GaussianMixture(n_components=2)
    check_generative_estimator(est)
    assert not hasattr(est, "means_")
    assert est.random_state is None


@pytest.mark.parametrize("d", [1, 3, 5])
def test_battery_on_user_data_of_any_dimension(d):
    X = np.random.RandomState(d).standard_t(df=5, size=(200, d))
    check_generative_estimator(Gaussian(), X)
    check_generative_estimator(UniformBox(), X, random_state=1)


def test_battery_on_dataframe_input():
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(100, 2)), columns=["u", "v"])
    check_generative_estimator(Histogram(bins=6), X)


def test_battery_refuses_non_table_models():
    class TextModel(Gaussian):
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.input_tags.two_d_array = False
            tags.input_tags.string = True
            return tags

    with pytest.raises(ValueError, match="numeric tables"):
        check_generative_estimator(TextModel())


# ---------------------------------------------------------------- strategies
@settings(max_examples=40, deadline=None, database=None)
@given(X=data_arrays(min_samples=5, max_samples=30, min_features=2, max_features=3))
def test_data_arrays_are_well_conditioned(X):
    assert X.dtype == np.float64 and np.isfinite(X).all()
    assert 5 <= X.shape[0] <= 30 and 2 <= X.shape[1] <= 3
    assert (X.std(axis=0) > 0).all()
    assert len(np.unique(X, axis=0)) == len(X)
    assert np.abs(X).max() < 1e4


@settings(max_examples=10, deadline=None, database=None)
@given(df=data_frames(max_features=2))
def test_data_frames_have_named_columns(df):
    assert list(df.columns) == [f"x{j}" for j in range(df.shape[1])]


@pytest.mark.parametrize("cls", [UniformBox, Gaussian, GaussianMixture, Histogram])
def test_estimator_params_are_valid(cls):
    @settings(max_examples=20, deadline=None, database=None)
    @given(params=estimator_params(cls))
    def check(params):
        est = cls(**params)
        assert "random_state" in params
        est._validate_params()
        assert clone(est).get_params() == est.get_params()

    check()


@settings(max_examples=15, deadline=None, database=None)
@given(est=estimators([Gaussian, Histogram]))
def test_estimators_draws_instances_of_the_given_classes(est):
    assert type(est) in (Gaussian, Histogram)
