"""Regression tests for the silent failures of the issue "Trust", item by item.

Each reproducer was run on main when the issue was filed; each test fails on
that code and passes now.
"""

import warnings

import numpy as np
import pytest

from skgen.adversarial import GAN
from skgen.autoregressive import MADE, CharacterLanguageModel
from skgen.diffusion import DiffusionModel
from skgen.flows import MAF, RealNVP
from skgen.nn import TrainingWarning


# ----------------------------------------------- 1. divergence is never silent
_DIVERGING = {
    "DiffusionModel": lambda: DiffusionModel(
        n_timesteps=20, n_sampling_steps=5, hidden_sizes=(16, 16), max_epochs=5,
        learning_rate=1e3, random_state=0),
    "MADE": lambda: MADE(hidden_sizes=(32,), learning_rate=1e3, max_epochs=5, random_state=0),
    "GAN": lambda: GAN(hidden_sizes=(32,), learning_rate=1e2, max_epochs=5, random_state=0),
    "MAF": lambda: MAF(hidden_sizes=(32,), learning_rate=1e3, max_epochs=5, random_state=0),
    "RealNVP": lambda: RealNVP(hidden_sizes=(32,), learning_rate=1e3, max_epochs=5,
                               random_state=0),
}


@pytest.mark.parametrize("name", sorted(_DIVERGING))
def test_divergence_raises_or_keeps_sane_weights(name):
    X = np.random.RandomState(0).normal(size=(200, 2))
    model = _DIVERGING[name]()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(X)
        except FloatingPointError as exc:
            assert "learning_rate" in str(exc)
            assert not hasattr(model, "module_")  # nothing half-fitted is left
            return
    # kept: only with a warning, and then the model is sane
    assert any(issubclass(w.category, TrainingWarning) for w in caught)
    S = model.sample(1000, random_state=0)
    assert np.isfinite(S).all() and np.abs(S).max() < 1e3
    if hasattr(model, "score_samples"):
        assert np.isfinite(model.score_samples(X)).all()


def test_character_model_divergence_is_an_error():
    # the loss ended at 5,317 nats per character, silently
    texts = ["abcab", "bca", "cab"] * 30
    with pytest.raises(FloatingPointError, match="diverged"):
        CharacterLanguageModel(learning_rate=1e3, max_epochs=5, random_state=0).fit(texts)


def test_sample_never_returns_nan():
    X = np.random.RandomState(0).normal(size=(100, 2))
    model = MAF(hidden_sizes=(8,), max_epochs=2, random_state=0).fit(X)
    with np.errstate(all="ignore"):
        for p in model.module_.parameters():
            p.data.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match="NaN or infinite"):
        model.sample(5, random_state=0)


# --------------------------------------------------- honest model selection
def _wine():
    from sklearn.datasets import load_wine

    return load_wine(as_frame=True).data


def test_cross_val_score_refuses_an_unnormalized_energy():
    from sklearn.model_selection import cross_val_score
    from sklearn.preprocessing import StandardScaler

    from skgen.energy import EnergyModel
    from skgen.pipeline import make_density_pipeline

    X = _wine()
    pipe = make_density_pipeline(StandardScaler(),
                                 EnergyModel(hidden_sizes=(16,), max_epochs=2, random_state=0))
    with pytest.raises(ValueError, match="estimate_log_normalizer"):
        cross_val_score(pipe, X, error_score="raise")
    # by default scikit-learn records the refusal as a failed fold, never a score
    with pytest.warns(UserWarning, match="unnormalized"):
        scores = cross_val_score(pipe, X)
    assert np.isnan(scores).all()


def test_grid_search_over_kinds_refuses_energy_and_warns_on_the_bound():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from skgen.base import LikelihoodKindWarning
    from skgen.classical import Gaussian
    from skgen.energy import EnergyModel
    from skgen.vae import VAE

    X = _wine().to_numpy()
    pipe = Pipeline([("scale", StandardScaler()), ("model", Gaussian())])
    grid = {"model": [Gaussian(), VAE(hidden_sizes=(16,), max_epochs=3, random_state=0),
                      EnergyModel(hidden_sizes=(16,), max_epochs=2, random_state=0)]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search = GridSearchCV(pipe, grid, cv=3).fit(X)
    messages = [str(w.message) for w in caught]
    assert any(issubclass(w.category, LikelihoodKindWarning) and "lower_bound" in str(w.message)
               and "exact" in str(w.message) for w in caught)
    assert any("unnormalized" in m for m in messages)
    assert np.isnan(search.cv_results_["mean_test_score"][2])  # the energy model: no score
    assert type(search.best_params_["model"]).__name__ != "EnergyModel"


# ----------------------------- 7. a huge constant column, values beyond float32
def _deep(name):
    from skgen.energy import EnergyModel
    from skgen.vae import VAE

    small = dict(hidden_sizes=(16,), max_epochs=5, random_state=0)
    return {
        "MAF": lambda: MAF(**small),
        "MADE": lambda: MADE(**small),
        "VAE": lambda: VAE(**small),
        "DiffusionModel": lambda: DiffusionModel(n_timesteps=20, **small),
        "EnergyModel": lambda: EnergyModel(**small),
    }[name]()


@pytest.mark.parametrize("name", ["MAF", "MADE", "VAE", "DiffusionModel", "EnergyModel"])
def test_huge_constant_column_and_values_beyond_float32(name):
    z = np.random.RandomState(0).normal(size=200)
    X = np.c_[z, np.full(200, 1e20)]
    model = _deep(name).fit(X)
    # the constant column reaches the network as exact zeros
    np.testing.assert_array_equal(model._standardize_X(X)[:, 1], 0.0)
    scores = model.score_samples(X[:20])
    assert np.isfinite(scores).all() and np.abs(scores).max() < 1e3  # was -1.4e11
    far = np.c_[[0.0, 1.0], [1e39, 1e39]]
    try:  # a clear error, or a finite value computed in a safe range; never NaN
        out = model.score_samples(far)
    except ValueError as exc:
        assert "float32" in str(exc)
    else:
        assert not np.isnan(out).any() and not np.isposinf(out).any()


# ----------------------------------------- 8. labels of deep conditional models
@pytest.mark.parametrize("y, match", [
    (np.random.RandomState(0).rand(100), "class labels"),
    (np.r_[np.zeros(99), np.nan], "missing labels"),
    (np.array([1] * 50 + ["a"] * 50, dtype=object), "mixes strings and numbers"),
], ids=["continuous", "nan", "mixed"])
def test_labels_of_deep_conditional_models_are_validated(y, match):
    X = np.random.RandomState(0).normal(size=(100, 2))
    model = MAF(hidden_sizes=(8,), max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)
    assert not hasattr(model, "module_")
