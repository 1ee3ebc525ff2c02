"""partial_fit of the deep families: passes over chunks, optimizer state kept."""

import pickle

import numpy as np
import pytest
from scipy import stats

from skgen import io
from skgen.adversarial import GAN
from skgen.autoregressive import MADE
from skgen.diffusion import DiffusionModel
from skgen.energy import EnergyModel
from skgen.flows import MAF, NSF, RealNVP
from skgen.vae import VAE

SMALL = dict(hidden_sizes=(8,), batch_size=64, random_state=0)
FAMILIES = [MADE, MAF, RealNVP, NSF, VAE, DiffusionModel, EnergyModel, GAN]


def _data(n=600, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.multivariate_normal([0.0, 3.0], [[1.0, 0.7], [0.7, 1.0]], size=n)
    return X * [1.0, 10.0]  # unequal scales: the first chunk fixes the standardization


@pytest.mark.parametrize("cls", FAMILIES, ids=lambda c: c.__name__)
def test_partial_fit_trains_pass_by_pass(cls):
    X = _data()
    model = cls(**SMALL)
    for chunk in np.array_split(X, 3):
        model = model.partial_fit(chunk)
    assert len(model.history_) == model.n_epochs_ == 3
    assert all(np.isfinite(v) for r in model.history_ for v in r.values())
    # one optimizer step per batch_size rows, counted over every call
    assert model._stream.step == sum(-(-len(c) // 64) for c in np.array_split(X, 3))
    S = model.sample(200, random_state=0)
    assert S.shape == (200, 2) and np.isfinite(S).all()
    if model.likelihood_kind != "none":
        assert np.isfinite(model.score_samples(X)).all()
    # the standardization is that of the first chunk
    np.testing.assert_allclose(model._x_shift, X[:200].mean(axis=0))


def test_passes_over_chunks_reach_the_fit_on_all_rows():
    """Several passes of partial_fit over 10 chunks score new rows as fit does."""
    rng = np.random.RandomState(1)
    X = rng.multivariate_normal([0.0, 1.0], [[1.0, 0.8], [0.8, 1.0]], size=2000)
    X[:, 1] += 0.5 * X[:, 0] ** 2
    X_train, X_test = X[:1500], X[1500:]
    params = dict(hidden_sizes=(16,), random_state=0)
    full = MAF(**params).fit(X_train)
    streamed = MAF(**params)
    first_pass = None
    for epoch in range(full.n_epochs_):
        for chunk in np.array_split(X_train, 10):
            streamed.partial_fit(chunk)
        if first_pass is None:
            first_pass = streamed.score(X_test)
    assert streamed.score(X_test) > first_pass + 0.1  # the passes learn
    assert streamed.score(X_test) == pytest.approx(full.score(X_test), abs=0.05)


def test_partial_fit_continues_a_fit_and_keeps_its_columns():
    X = _data()
    model = MAF(**SMALL).fit(X)
    before = model.score(X)
    model.partial_fit(X)
    assert len(model.history_) == model.n_epochs_  # one record more than fit's
    assert model.score(X) != before
    weights = [p.detach().clone() for p in model.module_.parameters()]
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(np.ones((10, 3)))
    for old, new in zip(weights, model.module_.parameters()):
        assert torch_equal(old, new)


def test_fit_after_partial_fit_starts_afresh():
    X = _data()
    model = MAF(**SMALL).partial_fit(X[:300]).fit(X)
    assert not hasattr(model, "_stream")
    model.partial_fit(X[:300])  # continues the network fit made, not the old run
    assert len(model.history_) == model.n_epochs_ and model._stream.step == 5


def torch_equal(a, b):
    return bool((a == b).all())


def test_a_diverging_pass_raises_and_leaves_the_model_as_it_was():
    X = _data()
    model = MAF(**SMALL).partial_fit(X[:300])
    scores = model.score_samples(X)
    history = list(model.history_)
    for p in model._stream.module.parameters():  # the network being trained goes bad
        p.data.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match="left as it was"):
        model.partial_fit(X[300:])
    np.testing.assert_array_equal(model.score_samples(X), scores)
    assert model.history_ == history
    assert not hasattr(model, "_stream")  # the next call starts from module_
    model.partial_fit(X[300:])
    assert np.isfinite(model.score_samples(X)).all()


def test_conditional_partial_fit_counts_the_classes():
    rng = np.random.RandomState(2)
    X = rng.normal(size=(600, 2))
    y = np.where(np.arange(600) < 450, "a", "b")
    X[y == "b"] += 4.0
    order = rng.permutation(600)
    X, y = X[order], y[order]
    model = MAF(**SMALL)
    model.partial_fit(X[:50][y[:50] == "a"], y[:50][y[:50] == "a"], classes=["a", "b"])
    for rows in np.array_split(np.arange(50, 600), 5):
        model.partial_fit(X[rows], y[rows])
    seen = np.r_[y[:50][y[:50] == "a"], y[50:]]
    np.testing.assert_allclose(model.class_prior_, [np.mean(seen == "a"), np.mean(seen == "b")])
    with pytest.raises(ValueError, match="not seen in fit"):
        model.partial_fit(X[:5], np.array(["c"] * 5))
    with pytest.raises(ValueError, match="pass y"):
        model.partial_fit(X[:5])
    _, labels = model.sample(2000, random_state=0, return_y=True)
    counts = [np.sum(labels == c) for c in ["a", "b"]]
    assert stats.chisquare(counts, 2000 * model.class_prior_).pvalue > 1e-3


@pytest.mark.parametrize("save", ["pickle", "skgen.io"])
def test_saved_models_resume_partial_fit(tmp_path, save):
    X = _data()
    model = VAE(**SMALL).partial_fit(X[:300])
    if save == "pickle":
        loaded = pickle.loads(pickle.dumps(model))
    else:
        io.save(model, tmp_path / "m.skgen")
        loaded = io.load(tmp_path / "m.skgen")
    assert not hasattr(loaded, "_stream")  # the optimizer is not part of the model
    np.testing.assert_allclose(loaded.score_samples(X), model.score_samples(X))
    loaded.partial_fit(X[300:])
    assert len(loaded.history_) == 2 and np.isfinite(loaded.score_samples(X)).all()


def test_tabular_and_text_models_offer_no_partial_fit():
    from skgen.autoregressive import CharacterLanguageModel
    from skgen.tabular import TabularAutoregressive

    assert not hasattr(TabularAutoregressive(), "partial_fit")
    assert not hasattr(CharacterLanguageModel(), "partial_fit")


def test_incremental_trains_a_flow_over_a_dask_array():
    pytest.importorskip("dask_ml")
    import dask.array as da
    from dask_ml.wrappers import Incremental

    X = _data(1200)
    inc = Incremental(MAF(**SMALL)).fit(da.from_array(X, chunks=(300, 2)))
    assert len(inc.estimator_.history_) == 4
    assert np.isfinite(inc.estimator_.score_samples(X)).all()


@pytest.mark.parametrize("bad, message", [
    (np.array([[np.nan, 1.0]] * 10), "NaN"),
    (np.array([[np.inf, 1.0]] * 10), "infinity"),
    (np.ones((0, 2)), "0 sample"),
    (np.ones(10), "2D array"),
])
def test_bad_chunks_raise_and_leave_the_model_unchanged(bad, message):
    model = MAF(**SMALL).partial_fit(_data()[:300])
    scores, step = model.score_samples(_data()), model._stream.step
    with pytest.raises(ValueError, match=message):
        model.partial_fit(bad)
    np.testing.assert_array_equal(model.score_samples(_data()), scores)
    assert model._stream.step == step
