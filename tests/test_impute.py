"""DensityImputer: conditional means against the closed form, pipelines, draws."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skgen.classical import Gaussian, GaussianMixture
from skgen.impute import DensityImputer

COV = np.array([[1.0, 0.8, 0.3], [0.8, 1.0, 0.5], [0.3, 0.5, 1.0]])


def _mcar(n=1500, rate=0.2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.multivariate_normal([0.0, 1.0, 2.0], COV, size=n)
    M = X.copy()
    M[rng.rand(*X.shape) < rate] = np.nan
    M[np.isnan(M).all(axis=1), 0] = X[np.isnan(M).all(axis=1), 0]  # no empty rows
    return X, M


def _rmse(F, X, M):
    return float(np.sqrt(np.mean((F - X)[np.isnan(M)] ** 2)))


def test_conditional_mean_equals_the_closed_form():
    X, M = _mcar()
    imp = DensityImputer(Gaussian()).fit(M)
    F = imp.transform(M)
    mu, S = imp.estimator_.mean_, imp.estimator_.covariance_
    expected = M.copy()
    for i in np.flatnonzero(np.isnan(M).any(axis=1)):
        b = np.isnan(M[i])
        a = ~b
        expected[i, b] = mu[b] + S[np.ix_(b, a)] @ np.linalg.solve(
            S[np.ix_(a, a)], M[i, a] - mu[a])
    np.testing.assert_allclose(F, expected, rtol=0, atol=1e-10)
    observed = ~np.isnan(M)
    np.testing.assert_array_equal(F[observed], M[observed])


def test_mixture_conditional_mean_equals_the_conditional_estimator():
    _, M = _mcar(n=600)
    imp = DensityImputer(GaussianMixture(2, random_state=0)).fit(M)
    F = imp.transform(M)
    for i in np.flatnonzero(np.isnan(M).any(axis=1))[:25]:
        cond = imp.estimator_.conditional(M[i])
        np.testing.assert_allclose(F[i, np.isnan(M[i])], cond.weights_ @ cond.means_,
                                   atol=1e-10)


def test_beats_simple_imputer():
    X, M = _mcar()
    ours = _rmse(DensityImputer().fit_transform(M), X, M)
    simple = _rmse(SimpleImputer().fit_transform(M), X, M)
    assert ours < 0.85 * simple


@pytest.mark.parametrize("strategy", ["median", "mode"])
def test_median_and_mode_of_a_gaussian_are_its_mean(strategy):
    _, M = _mcar(n=300)
    mean = DensityImputer(Gaussian()).fit(M).transform(M)
    other = DensityImputer(Gaussian(), strategy=strategy).fit(M).transform(M)
    np.testing.assert_allclose(other, mean)


def test_monte_carlo_median_and_mode_of_a_mixture_are_close_to_its_mean():
    X, M = _mcar(n=200, seed=3)
    M = M[:40]
    imp = DensityImputer(GaussianMixture(2, random_state=0), strategy="median",
                         n_samples=400, random_state=0).fit(M)
    mean = DensityImputer(GaussianMixture(2, random_state=0)).fit(M).transform(M)
    assert np.max(np.abs(imp.transform(M) - mean)) < 0.5


def test_sample_draws_differ_and_have_the_conditional_variance():
    rng = np.random.RandomState(0)
    rho = 0.8
    X = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=4000)
    M = X.copy()
    M[: 2000, 1] = np.nan
    imp = DensityImputer(Gaussian(), strategy="sample", random_state=0).fit(M)
    first = imp.transform(M)
    second = imp.set_params(random_state=1).transform(M)
    assert not np.allclose(first[:2000, 1], second[:2000, 1])
    np.testing.assert_array_equal(first[2000:], M[2000:])
    g = imp.estimator_
    resid = first[:2000, 1] - (g.mean_[1] + g.covariance_[1, 0] / g.covariance_[0, 0]
                               * (M[:2000, 0] - g.mean_[0]))
    expected_var = g.covariance_[1, 1] - g.covariance_[1, 0] ** 2 / g.covariance_[0, 0]
    assert np.var(resid) == pytest.approx(expected_var, rel=0.1)
    assert expected_var == pytest.approx(1 - rho**2, rel=0.15)


def test_in_a_pipeline_and_cross_val_score():
    X, y = load_diabetes(return_X_y=True)
    X = X.copy()
    X[np.random.RandomState(0).rand(*X.shape) < 0.1] = np.nan
    pipe = make_pipeline(DensityImputer(Gaussian()), Ridge(alpha=0.01))
    scores = cross_val_score(pipe, X, y, cv=3)
    baseline = cross_val_score(make_pipeline(SimpleImputer(), Ridge(alpha=0.01)), X, y, cv=3)
    assert np.all(np.isfinite(scores))
    assert scores.mean() > baseline.mean() - 0.02


def test_refuses_an_estimator_without_conditionals():
    from sklearn.neighbors import KernelDensity

    with pytest.raises(ValueError, match="estimator"):
        DensityImputer(KernelDensity()).fit(np.zeros((5, 2)))


def test_wrong_number_of_features():
    _, M = _mcar(n=100)
    imp = DensityImputer(Gaussian()).fit(M)
    with pytest.raises(ValueError, match="features"):
        imp.transform(np.zeros((2, 4)))
