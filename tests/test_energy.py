"""Energy-based model (skgen.energy): normalizer estimates, Langevin sampling, kinds."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgen.datasets import make_eight_gaussians
from skgen.energy import EnergyModel
from skgen.energy._mcmc import langevin, log_mean_exp_with_stderr
from skgen.testing import check_generative_estimator

torch.set_num_threads(1)

SMALL = dict(hidden_sizes=(16,), max_epochs=2, n_mcmc_steps=5, random_state=0)


def _grid(low, high, n):
    axis = np.linspace(low, high, n + 1)
    mids = (axis[:-1] + axis[1:]) / 2
    cell = (axis[1] - axis[0]) ** 2
    return np.stack(np.meshgrid(mids, mids), axis=-1).reshape(-1, 2), cell


@pytest.fixture(scope="module")
def eight():
    """A small energy model of the eight-Gaussians toy (trained once)."""
    X = make_eight_gaussians(1000, random_state=0)
    model = EnergyModel(hidden_sizes=(64, 64), max_epochs=40, learning_rate=3e-3,
                        n_mcmc_steps=100, random_state=0).fit(X)
    return X, model


# An unnormalized model refuses ``score`` (it is no held-out log-likelihood);
# these scikit-learn checks call it.
_REFUSES_SCORE = {
    check: "score of an unnormalized density raises: call estimate_log_normalizer first"
    for check in ("check_fit_score_takes_y", "check_pipeline_consistency")
}


@parametrize_with_checks([EnergyModel(**SMALL)],
                         expected_failed_checks=lambda est: _REFUSES_SCORE)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_generative_battery():
    check_generative_estimator(EnergyModel(**SMALL))


def test_likelihood_kind_transitions(eight):
    X, fitted = eight
    assert EnergyModel.likelihood_kind == "unnormalized"
    model = clone(fitted).set_params(max_epochs=2).fit(X)
    assert model.likelihood_kind == "unnormalized"
    assert not hasattr(model, "log_normalizer_")
    raw = model.score_samples(X[:20])
    assert model.estimate_log_normalizer(2000, random_state=0) is model
    assert model.likelihood_kind == "estimate"
    assert "likelihood_kind" in model.__dict__  # an instance attribute only
    assert EnergyModel.likelihood_kind == "unnormalized"
    np.testing.assert_allclose(model.score_samples(X[:20]), raw - model.log_normalizer_)
    # pickling keeps the normalizer; cloning and refitting forget it
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.likelihood_kind == "estimate"
    np.testing.assert_array_equal(loaded.score_samples(X[:20]), model.score_samples(X[:20]))
    assert clone(model).likelihood_kind == "unnormalized"
    model.fit(X)
    assert model.likelihood_kind == "unnormalized"
    assert not hasattr(model, "log_normalizer_")
    np.testing.assert_array_equal(model.score_samples(X[:20]), raw)


@pytest.mark.parametrize("method, n_samples", [("importance", 20000), ("ais", 2000)])
def test_normalized_density_integrates_to_one(eight, method, n_samples):
    """After estimate_log_normalizer, exp(score_samples) integrates to 1 within its error."""
    X, fitted = eight
    model = pickle.loads(pickle.dumps(fitted))
    model.estimate_log_normalizer(n_samples, method=method, n_annealing_steps=100,
                                  random_state=1)
    stderr = model.log_normalizer_stderr_
    assert 0 < stderr < 0.05
    # midpoint rule on a box well beyond the data (radius 2, std 0.2); doubling the
    # resolution moves the integral by < 1e-4, so 4 standard errors dominate.
    grid, cell = _grid(-7, 7, 500)
    integral = np.exp(model.score_samples(grid)).sum() * cell
    assert abs(np.log(integral)) < 4 * stderr + 2e-3, (integral, stderr)
    # the unnormalized density integrates to exp(log Z)
    raw = model.score_samples(grid) + model.log_normalizer_
    log_raw_integral = np.log(np.exp(raw).sum() * cell)
    assert log_raw_integral == pytest.approx(np.log(integral) + model.log_normalizer_)


def test_log_normalizer_of_a_gaussian_energy():
    """IS and AIS recover a known normalizer: a zero network leaves E = |z|^2 / (2 s^2)."""
    X = np.random.RandomState(0).normal(size=(200, 2))
    model = EnergyModel(hidden_sizes=(8,), max_epochs=1, base_scale=0.7, random_state=0).fit(X)
    with torch.no_grad():
        for p in model.module_.parameters():
            p.zero_()
    exact = np.log(2 * np.pi * 0.7**2)  # standardized units, so also the units of X
    for method in ("importance", "ais"):
        model.estimate_log_normalizer(4000, method=method, n_annealing_steps=20,
                                      random_state=0)
        assert abs(model.log_normalizer_ - exact) < 4 * model.log_normalizer_stderr_ + 1e-9


def test_langevin_samples_match_gaussian_moments():
    rng = np.random.RandomState(0)
    cov = np.array([[1.0, 0.6], [0.6, 0.5]])
    X = rng.multivariate_normal([3.0, -1.0], cov, size=2000)
    model = EnergyModel(hidden_sizes=(32, 32), max_epochs=30, learning_rate=3e-3,
                        random_state=0).fit(X)
    S = model.sample(2000, random_state=0)
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(S.mean(axis=0) - X.mean(axis=0)) < 0.1 * sd)
    np.testing.assert_allclose(np.cov(S.T), np.cov(X.T), atol=0.12 * np.outer(sd, sd).max())


def test_mala_leaves_target_invariant():
    """MALA on a known energy: N(1, 0.25) in each coordinate."""
    def energy(z):
        return 2.0 * ((z - 1.0) ** 2).sum(dim=1)

    g = torch.Generator().manual_seed(0)
    z = 1.0 + 0.5 * torch.randn(5000, 2, generator=g, dtype=torch.float64)
    z, acceptance = langevin(energy, z, 50, 0.2, g)
    assert 0.3 < acceptance < 1.0
    z = z.numpy()
    np.testing.assert_allclose(z.mean(axis=0), 1.0, atol=0.03)
    np.testing.assert_allclose(z.std(axis=0), 0.5, atol=0.02)
    # unadjusted Langevin with the same large step is visibly biased
    z0 = 1.0 + 0.5 * torch.randn(5000, 2, generator=g, dtype=torch.float64)
    biased, _ = langevin(energy, z0, 50, 0.2, g, metropolis=False)
    assert biased.numpy().std(axis=0).min() > 0.6


def test_log_mean_exp_with_stderr():
    log_w = np.log(np.random.RandomState(0).exponential(size=100000))
    log_z, se = log_mean_exp_with_stderr(log_w)
    assert abs(log_z) < 4 * se
    assert se == pytest.approx(1 / np.sqrt(100000), rel=0.05)


def test_same_seed_same_model():
    X = make_eight_gaussians(300, random_state=0)
    a = EnergyModel(**SMALL).fit(X)
    b = EnergyModel(**SMALL).fit(X)
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    np.testing.assert_array_equal(a.sample(10, random_state=3), b.sample(10, random_state=3))
    a.estimate_log_normalizer(1000)
    b.estimate_log_normalizer(1000)
    assert a.log_normalizer_ == b.log_normalizer_


def test_pcd_training_learns_the_data_region():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 2)) * [1.0, 0.5] + [2.0, 0.0]
    model = EnergyModel(method="pcd", hidden_sizes=(32, 32), max_epochs=15,
                        n_pcd_steps=10, mcmc_step_size=0.05, random_state=0).fit(X)
    inside = model.score_samples(X).mean()
    outside = model.score_samples(X + [0.0, 3.0]).mean()
    assert inside > outside + 1.0
    S = model.sample(500, random_state=0)
    assert np.all(np.abs(S.mean(axis=0) - X.mean(axis=0)) < [0.3, 0.15])


def test_bad_arguments():
    X = np.random.RandomState(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match="method"):
        EnergyModel(method="cd").fit(X)
    model = EnergyModel(**SMALL).fit(X)
    with pytest.raises(ValueError, match="method"):
        model.estimate_log_normalizer(100, method="bridge")
    with pytest.raises(ValueError, match="n_samples"):
        model.estimate_log_normalizer(1)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        EnergyModel().estimate_log_normalizer(100)
