"""Probabilistic PCA and factor analysis against closed forms, scipy and scikit-learn."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import decomposition as skd

from skgen.classical import FactorAnalysis, Gaussian, ProbabilisticPCA


@pytest.fixture
def X():
    """Three latent factors in six dimensions, with unequal noise."""
    rng = np.random.RandomState(0)
    W = rng.normal(size=(3, 6)) * [3.0, 2.0, 1.0, 1.0, 0.5, 2.0]
    noise = rng.normal(size=(500, 6)) * [0.3, 0.5, 0.2, 0.8, 0.4, 0.6]
    return rng.normal(size=(500, 3)) @ W + noise + rng.normal(size=6)


# --------------------------------------------------------------------- PPCA
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_ppca_is_the_tipping_bishop_closed_form(X, k):
    ppca = ProbabilisticPCA(n_components=k).fit(X)
    n, d = X.shape
    S = np.cov(X.T, bias=True)  # the MLE covariance
    lam, U = np.linalg.eigh(S)
    lam, U = lam[::-1], U[:, ::-1]
    sigma2 = lam[k:].mean()
    assert ppca.noise_variance_ == pytest.approx(sigma2, rel=1e-10)
    np.testing.assert_allclose(ppca.explained_variance_, lam[:k], rtol=1e-10)
    C = U[:, :k] @ np.diag(lam[:k] - sigma2) @ U[:, :k].T + sigma2 * np.eye(d)
    np.testing.assert_allclose(ppca.get_covariance(), C, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ppca.get_precision() @ C, np.eye(d), atol=1e-8)
    expected = stats.multivariate_normal(X.mean(axis=0), C).logpdf(X)
    np.testing.assert_allclose(ppca.score_samples(X), expected, rtol=1e-10)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_ppca_matches_sklearn_pca_score_samples(X, k):
    """scikit-learn's PCA scores the same model with the n - 1 covariance convention."""
    n = X.shape[0]
    ppca = ProbabilisticPCA(n_components=k).fit(X)
    pca = skd.PCA(n_components=k).fit(X)
    # sklearn's own score with its variances rescaled to the MLE convention
    pca.explained_variance_ = pca.explained_variance_ * (n - 1) / n
    pca.noise_variance_ = pca.noise_variance_ * (n - 1) / n
    np.testing.assert_allclose(ppca.score_samples(X), pca.score_samples(X), rtol=1e-10)
    # as fitted, sklearn's model is not the maximum-likelihood one: skgen's scores higher
    assert ppca.score(X) > skd.PCA(n_components=k).fit(X).score(X)


def test_ppca_with_all_components_is_the_full_gaussian(X):
    ppca = ProbabilisticPCA().fit(X)
    assert ppca.n_components_ == X.shape[1] and ppca.noise_variance_ == 0
    np.testing.assert_allclose(ppca.score_samples(X),
                               Gaussian(reg_covar=0).fit(X).score_samples(X), rtol=1e-10)
    # transform whitens and inverse_transform undoes it exactly
    Z = ppca.transform(X)
    np.testing.assert_allclose(np.cov(Z.T, bias=True), np.eye(X.shape[1]), atol=1e-10)
    np.testing.assert_allclose(ppca.inverse_transform(Z), X, rtol=1e-10)


@pytest.mark.parametrize("Model, kwargs", [
    (ProbabilisticPCA, {}),
    (FactorAnalysis, {"random_state": 0}),
])
def test_transform_is_the_posterior_mean_and_decoder_the_conditional_mean(X, Model, kwargs):
    model = Model(n_components=2, **kwargs).fit(X)
    W, mu = model.components_, model.mean_
    C = model.get_covariance()
    # joint Gaussian of (z, x): Cov(z, x) = W, so E[z | x] = W C^{-1} (x - mu)
    expected = (X - mu) @ np.linalg.solve(C, W.T)
    np.testing.assert_allclose(model.transform(X), expected, rtol=1e-8, atol=1e-10)
    Z = np.random.RandomState(1).normal(size=(7, 2))
    np.testing.assert_allclose(model.inverse_transform(Z), Z @ W + mu)
    assert model.get_feature_names_out().tolist() == [
        f"{Model.__name__.lower()}{i}" for i in range(2)
    ]


@pytest.mark.parametrize("Model", [ProbabilisticPCA, FactorAnalysis])
def test_sample_covariance_matches_the_model(X, Model):
    model = Model(n_components=2, random_state=0).fit(X)
    S = model.sample(40000, random_state=0)
    C = model.get_covariance()
    sd = np.sqrt(np.diag(C))
    np.testing.assert_allclose(S.mean(axis=0), model.mean_, atol=0.03 * sd.max())
    np.testing.assert_allclose(np.cov(S.T) / np.outer(sd, sd), C / np.outer(sd, sd), atol=0.02)
    # mean log-density of the samples equals minus the model's entropy
    entropy = stats.multivariate_normal(model.mean_, C).entropy()
    assert model.score(S) == pytest.approx(-entropy, abs=0.03)
    np.testing.assert_array_equal(model.sample(5, random_state=3),
                                  model.sample(5, random_state=3))


# ------------------------------------------------------------ factor analysis
def test_factor_analysis_matches_sklearn_and_scipy(X):
    params = dict(n_components=3, random_state=0, tol=1e-4)
    fa = FactorAnalysis(**params).fit(X)
    # skgen fits scikit-learn's model on standardized features (scale-equivariant)
    scale = X.std(axis=0)
    sk = skd.FactorAnalysis(**params).fit(X / scale)
    np.testing.assert_allclose(fa.score_samples(X),
                               sk.score_samples(X / scale) - np.sum(np.log(scale)), rtol=1e-10)
    np.testing.assert_allclose(fa.transform(X), sk.transform(X / scale), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fa.get_covariance(),
                               sk.get_covariance() * np.outer(scale, scale), rtol=1e-10)
    C = fa.components_.T @ fa.components_ + np.diag(fa.noise_variance_)
    expected = stats.multivariate_normal(fa.mean_, C).logpdf(X)
    np.testing.assert_allclose(fa.score_samples(X), expected, rtol=1e-10)
    # one noise variance per feature fits this heteroscedastic data better than PPCA
    assert fa.score(X) > ProbabilisticPCA(n_components=3).fit(X).score(X) + 0.2
    assert fa.n_iter_ == sk.n_iter_ and len(fa.loglike_) == fa.n_iter_


def test_rotation_does_not_change_the_density(X):
    plain = FactorAnalysis(n_components=2, random_state=0).fit(X)
    rotated = FactorAnalysis(n_components=2, rotation="varimax", random_state=0).fit(X)
    np.testing.assert_allclose(plain.score_samples(X), rotated.score_samples(X), rtol=1e-8)


# -------------------------------------------------------------------- errors
@pytest.mark.parametrize("Model", [ProbabilisticPCA, FactorAnalysis])
def test_errors(Model, X):
    with pytest.raises(ValueError, match="n_components=7 must be at most"):
        Model(n_components=7).fit(X)
    with pytest.raises(ValueError, match="n_samples = 1"):
        Model(n_components=1).fit(X[:1])
    model = Model(n_components=2).fit(X)
    with pytest.raises(ValueError, match="Z has 3 latent coordinates"):
        model.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="features"):
        model.transform(X[:, :4])
    with pytest.raises(ValueError, match="NaN"):  # scoring marginalizes NaN; these refuse it
        model.transform(np.full((1, 6), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        Model(n_components=2).fit(np.where(X > 2, np.nan, X))
    assert model.score_samples(np.full((1, 6), np.nan))[0] == pytest.approx(0.0, abs=1e-12)


def test_ppca_refuses_data_in_a_subspace():
    rng = np.random.RandomState(0)
    flat = rng.normal(size=(100, 2)) @ rng.normal(size=(2, 4))
    with pytest.raises(ValueError, match="noise variance is zero"):
        ProbabilisticPCA(n_components=2).fit(flat)
    assert np.isfinite(ProbabilisticPCA(n_components=1).fit(flat).score(flat))


def test_dataframe_round_trip(X):
    frame = pd.DataFrame(X, columns=list("abcdef"))
    model = ProbabilisticPCA(n_components=2).fit(frame)
    S = model.sample(3, random_state=0)
    assert isinstance(S, pd.DataFrame) and list(S.columns) == list("abcdef")
    np.testing.assert_allclose(model.transform(frame),
                               ProbabilisticPCA(n_components=2).fit(X).transform(X))


@pytest.mark.parametrize("model", [ProbabilisticPCA(n_components=1),
                                   FactorAnalysis(n_components=1, random_state=0)],
                         ids=["ppca", "fa"])
def test_check_generative_estimator(model):
    from skgen.testing import check_generative_estimator

    check_generative_estimator(model)
