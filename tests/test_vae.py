"""Variational autoencoder (skgen.vae): the bound against exact marginals."""

import copy
import itertools
import pickle

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.special import logsumexp
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgen.classical import FactorAnalysis, ProbabilisticPCA
from skgen.testing import check_generative_estimator
from skgen.vae import VAE

torch.set_num_threads(1)

SMALL = dict(hidden_sizes=(8,), max_epochs=3, n_importance_samples=10, random_state=0)
D, M = 5, 2
W_TRUE = np.array([[1.5, -1.0, 0.5, 2.0, 0.0], [0.0, 1.0, 1.5, -0.5, 1.0]])
PSI_TRUE = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
SHIFT = np.array([1.0, -2.0, 0.5, 3.0, 0.0])


def _linear_gaussian(n, seed):
    rng = np.random.RandomState(seed)
    return (rng.normal(size=(n, M)) @ W_TRUE + SHIFT
            + rng.normal(size=(n, D)) * np.sqrt(PSI_TRUE))


@pytest.fixture(scope="module")
def linear():
    """A linear VAE fitted to linear-Gaussian data, with held-out rows."""
    X, X_test = _linear_gaussian(2000, 0), _linear_gaussian(1000, 1)
    vae = VAE(n_components=M, hidden_sizes=(), learning_rate=1e-2, batch_size=64,
              random_state=0).fit(X)
    return vae, X, X_test


def _decoder(vae):
    """Loadings, offset (standardized units) and noise variances of a linear decoder."""
    net = vae.module_
    layer = net.decoder.layers[0]
    A = layer.weight.detach().double().numpy()  # (d, m)
    b = layer.bias.detach().double().numpy()
    psi = np.exp(net.decoder_log_var().detach().double().numpy())
    return A, b, psi


def _exact_log_marginal(vae, X):
    """log p(x) of a linear decoder: N(b, A A^T + diag(psi)) in standardized units."""
    A, b, psi = _decoder(vae)
    Xs = (X - vae._x_shift) / vae._x_scale
    logp = stats.multivariate_normal(b, A @ A.T + np.diag(psi)).logpdf(Xs)
    return logp - np.sum(np.log(vae._x_scale))


def _mean_and_se(values):
    return values.mean(), values.std(ddof=1) / np.sqrt(len(values))


def _bounds(vae, X, ks):
    out = {}
    for k in ks:
        vae.set_params(n_importance_samples=k)
        out[k] = vae.score_samples(X)
    return out


# ----------------------------------------------------------------- oracle
def test_importance_bound_approaches_exact_marginal_of_linear_vae(linear):
    vae, _, X_test = linear
    vae = copy.deepcopy(vae)
    exact = _exact_log_marginal(vae, X_test)
    bounds = _bounds(vae, X_test, [1, 10, 100, 1000])
    for k, b in bounds.items():
        gap, se = _mean_and_se(exact - b)
        # A lower bound in expectation (float32 arithmetic: 1e-3 slack).
        assert gap > -3 * se - 1e-3, (k, gap, se)
    for k1, k2 in itertools.pairwise(bounds):
        diff, se = _mean_and_se(bounds[k2] - bounds[k1])
        assert diff > -3 * se - 1e-4, (k1, k2, diff, se)
    gap, _ = _mean_and_se(exact - bounds[1000])
    assert abs(gap) < 5e-3


def test_importance_bound_closes_the_gap_of_a_poor_encoder(linear):
    """A shifted, widened q: the ELBO is far below log p(x); more draws close the gap."""
    vae, _, X_test = linear
    vae = copy.deepcopy(vae)
    with torch.no_grad():
        bias = vae.module_.encoder.layers[0].bias
        bias[:M] += 0.5   # latent means off by 0.5
        bias[M:] += 1.0   # variances e times too large
    exact = _exact_log_marginal(vae, X_test)
    bounds = _bounds(vae, X_test, [1, 10, 100, 1000])
    gaps = {k: _mean_and_se(exact - b) for k, b in bounds.items()}
    assert gaps[1][0] > 0.3
    for k1, k2 in itertools.pairwise(bounds):
        diff, se = _mean_and_se(bounds[k2] - bounds[k1])
        assert diff > 3 * se, (k1, k2, diff, se)
    for gap, se in gaps.values():
        assert gap > -3 * se - 1e-3
    assert gaps[1000][0] < 0.05 * gaps[1][0]
    # The ELBO (exact KL) is below the one-draw bound's expectation and the k-draw bounds.
    elbo = vae.elbo(X_test)
    diff, se = _mean_and_se(bounds[1] - elbo)
    assert abs(diff) < 4 * se + 1e-3
    assert np.mean(elbo) < np.mean(bounds[10])


def test_linear_vae_matches_linear_gaussian_models(linear):
    """The linear VAE's exact marginal is a factor analyser's: compare held-out scores."""
    vae, X, X_test = linear
    exact = _exact_log_marginal(vae, X_test).mean()
    fa = FactorAnalysis(n_components=M, random_state=0).fit(X).score(X_test)
    ppca = ProbabilisticPCA(n_components=M).fit(X).score(X_test)
    assert exact == pytest.approx(fa, abs=0.1)
    assert exact == pytest.approx(ppca, abs=0.1)


def test_transform_is_the_exact_posterior_mean_of_a_linear_vae(linear):
    """For a Gaussian posterior, the best diagonal q has the exact posterior mean."""
    vae, _, X_test = linear
    A, b, psi = _decoder(vae)
    Xs = (X_test - vae._x_shift) / vae._x_scale
    precision = np.eye(M) + A.T @ (A / psi[:, None])
    exact = np.linalg.solve(precision, (A / psi[:, None]).T @ (Xs - b).T).T
    Z = vae.transform(X_test)
    assert Z.shape == (len(X_test), M)
    assert np.sqrt(np.mean((Z - exact) ** 2)) < 0.05


def test_sample_draws_from_the_marginal_noise_included(linear):
    vae, _, _ = linear
    A, b, psi = _decoder(vae)
    S = np.diag(vae._x_scale)
    mean = vae._x_shift + vae._x_scale * b
    cov = S @ (A @ A.T + np.diag(psi)) @ S
    samples = vae.sample(20000, random_state=0)
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(samples.mean(0) - mean) < 4 * sd / np.sqrt(20000))
    assert np.abs(np.cov(samples.T) - cov).max() < 0.05 * np.abs(cov).max()
    # decoder means of prior draws lack the noise: smaller variance
    means = vae.inverse_transform(np.random.RandomState(0).normal(size=(20000, M)))
    np.testing.assert_array_less(means.var(0), samples.var(0))
    np.testing.assert_allclose(means.var(0), np.diag(S @ A @ A.T @ S), rtol=0.05)


def test_inverse_transform_undoes_the_standardization(linear):
    vae, X, _ = linear
    A, b, _ = _decoder(vae)
    Z = np.random.RandomState(1).normal(size=(7, M))
    np.testing.assert_allclose(vae.inverse_transform(Z), (Z @ A.T + b) * vae._x_scale
                               + vae._x_shift, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(vae.inverse_transform(np.zeros((1, M)))[0], X.mean(0),
                               atol=0.1 * X.std(0).max())
    with pytest.raises(ValueError, match="latent coordinates"):
        vae.inverse_transform(np.zeros((2, M + 1)))


def test_score_includes_the_standardization_jacobian():
    X = _linear_gaussian(300, 2)
    params = dict(n_components=M, hidden_sizes=(8,), max_epochs=5, random_state=0)
    a = VAE(**params).fit(X)
    b = VAE(**params).fit(10.0 * X - 3.0)
    np.testing.assert_allclose(b.score_samples(10.0 * X[:50] - 3.0),
                               a.score_samples(X[:50]) - D * np.log(10.0), atol=2e-3)


# -------------------------------------------------------------- bernoulli
def _binary_data(n, seed):
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n, 1))
    logits = z @ np.array([[2.0, -2.0, 1.0, 0.0, 1.5, -1.0]]) + [0.0, 0.5, -0.5, 1.0, 0.0, 0.0]
    return (rng.uniform(size=logits.shape) < 1 / (1 + np.exp(-logits))).astype(float)


@pytest.fixture(scope="module")
def bernoulli():
    X = _binary_data(1000, 0)
    vae = VAE(n_components=2, distribution="bernoulli", hidden_sizes=(16,), max_epochs=30,
              n_importance_samples=1000, random_state=0).fit(X)
    return vae, X


def _quadrature_log_pmf(vae, X):
    """log P(x) = log int p(x | z) N(z) dz on a 2-D grid over the latent space."""
    t = np.linspace(-7, 7, 281)
    Z = np.stack(np.meshgrid(t, t), -1).reshape(-1, 2)
    log_prior = stats.norm.logpdf(Z).sum(1) + 2 * np.log(t[1] - t[0])
    net = vae.module_
    with torch.no_grad():
        logits = net.decode(torch.as_tensor(Z, dtype=torch.float32)).double().numpy()
    log_p1, log_p0 = -np.logaddexp(0, -logits), -np.logaddexp(0, logits)
    log_lik = X @ log_p1.T + (1 - X) @ log_p0.T  # (n, grid)
    return logsumexp(log_lik + log_prior, axis=1)


def test_bernoulli_vae_is_a_normalized_pmf_bounded_by_the_score(bernoulli):
    vae, X = bernoulli
    assert np.all(vae._x_scale == 1.0) and np.all(vae._x_shift == 0.0)  # not standardized
    patterns = np.array(list(itertools.product([0.0, 1.0], repeat=6)))
    exact = _quadrature_log_pmf(vae, patterns)
    assert np.exp(logsumexp(exact)) == pytest.approx(1.0, abs=1e-4)
    bound = vae.score_samples(patterns)
    assert np.all(bound <= 0)
    diff, se = _mean_and_se(exact - bound)
    assert -3 * se - 1e-4 < diff < 0.05
    # samples are binary and follow the pmf (chi-square over the 64 patterns)
    S = vae.sample(20000, random_state=0)
    assert set(np.unique(S)) <= {0.0, 1.0}
    counts = np.bincount((S @ 2 ** np.arange(5, -1, -1)).astype(int), minlength=64)
    expected = 20000 * np.exp(exact)
    keep = expected > 5
    chi2 = np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep])
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4
    # decoder means are probabilities
    P = vae.inverse_transform(np.zeros((3, 2)))
    assert np.all((P > 0) & (P < 1))


def test_bernoulli_vae_rejects_data_outside_unit_interval(bernoulli):
    vae, X = bernoulli
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        VAE(distribution="bernoulli").fit(X + 1.0)
    rows = np.vstack([X[:2], [[0, 1, 0, 1, 0, 1.5]]])
    out = vae.score_samples(rows)
    assert np.isfinite(out[:2]).all() and out[2] == -np.inf


# ------------------------------------------------------------ conditional
def test_conditional_vae_samples_and_scores_by_class():
    rng = np.random.RandomState(0)
    means = np.array([[3.0, 0.0, 0.0], [-3.0, 1.0, 2.0]])
    y = np.repeat(["a", "b"], 300)
    X = means[(y == "b").astype(int)] + rng.normal(size=(600, 3))
    vae = VAE(n_components=2, hidden_sizes=(32,), max_epochs=60, learning_rate=3e-3,
              random_state=0).fit(X, y)
    for label, mean in zip("ab", means):
        S = vae.sample(400, y=label, random_state=0)
        own = np.linalg.norm(S.mean(0) - mean)
        other = np.linalg.norm(S.mean(0) - means[1 - "ab".index(label)])
        assert own < 0.5 < other
    right = vae.score_samples(X, y=y)
    wrong = vae.score_samples(X, y=np.where(y == "a", "b", "a"))
    assert np.mean(right > wrong) > 0.95
    marginal = vae.score_samples(X[:20])
    per_class = [vae.score_samples(X[:20], y=c) + np.log(0.5) for c in "ab"]
    np.testing.assert_allclose(marginal, logsumexp(per_class, axis=0), rtol=1e-6)
    # latent space: with and without labels
    assert vae.transform(X[:5], y=y[:5]).shape == (5, 2)
    assert vae.transform(X[:5]).shape == (5, 2)
    Z = np.zeros((2, 2))
    np.testing.assert_allclose(
        vae.inverse_transform(Z),
        0.5 * vae.inverse_transform(Z, y="a") + 0.5 * vae.inverse_transform(Z, y="b"))
    with pytest.raises(ValueError, match="not seen in fit"):
        vae.sample(2, y="c")


# ------------------------------------------------------------- protocol
def test_score_is_deterministic_per_row_and_seeded():
    X = _linear_gaussian(200, 3)
    a = VAE(**SMALL).fit(X)
    b = VAE(**SMALL).fit(X)
    full = a.score_samples(X)
    np.testing.assert_array_equal(full, b.score_samples(X))
    # float32 matrix products may round differently for other batch shapes
    np.testing.assert_allclose(full[7:12], a.score_samples(X[7:12]), rtol=1e-6)
    np.testing.assert_allclose(full[::-1], a.score_samples(X[::-1]), rtol=1e-6)
    np.testing.assert_array_equal(a.sample(5, random_state=1), b.sample(5, random_state=1))
    c = VAE(**{**SMALL, "random_state": 1}).fit(X)
    assert not np.array_equal(full, c.score_samples(X))
    loaded = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(loaded.score_samples(X), full)
    np.testing.assert_array_equal(loaded.transform(X), a.transform(X))


def test_history_and_parameters():
    X = _linear_gaussian(200, 4)
    vae = VAE(**SMALL).fit(X)
    assert len(vae.history_) == vae.n_epochs_ == 3
    assert {"epoch", "train_loss", "valid_log_likelihood"} <= set(vae.history_[0])
    assert vae.get_feature_names_out().tolist() == ["vae0", "vae1"]
    with pytest.raises(ValueError, match="decoder_variance"):
        VAE(decoder_variance="fixed").fit(X)
    with pytest.raises(ValueError, match="NaN"):
        VAE(**SMALL).fit(np.where(np.eye(200, 5) > 0, np.nan, X))
    fixed = VAE(decoder_variance=0.5, **SMALL).fit(X)
    var = np.exp(fixed.module_.decoder_log_var().detach().numpy())
    np.testing.assert_allclose(var, 0.5, rtol=1e-6)


def test_generative_battery():
    check_generative_estimator(VAE(**SMALL))


@parametrize_with_checks([VAE(**SMALL)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_deprecated_likelihood_alias_of_distribution():
    X = (np.random.RandomState(0).rand(80, 3) > 0.5).astype(float)
    old = VAE(likelihood="bernoulli", hidden_sizes=(8,), max_epochs=2, random_state=0)
    with pytest.warns(FutureWarning, match="renamed 'distribution'"):
        old.fit(X)
    new = VAE(distribution="bernoulli", hidden_sizes=(8,), max_epochs=2, random_state=0).fit(X)
    assert old.distribution_ == new.distribution_ == "bernoulli"
    np.testing.assert_array_equal(old.score_samples(X[:5]), new.score_samples(X[:5]))
