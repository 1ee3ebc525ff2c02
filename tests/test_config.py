"""skgen.config: the working-memory budget, and chunked inference that respects it."""

import threading
import tracemalloc
import warnings
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skgen.classical import (
    FactorAnalysis,
    GaussianMixture,
    KernelDensity,
    ProbabilisticPCA,
)
from skgen.conditional import GenerativeClassifier
from skgen.config import config_context, get_config, set_config
from skgen.utils import chunk_rows, gen_batches_by_memory

#: A budget small enough that every path below goes through many chunks.
TINY = 0.01  # MiB, about 10 kB


# ----------------------------------------------------------------- settings
def test_defaults_and_copy():
    config = get_config()
    assert config == {"working_memory": 256}
    config["working_memory"] = 1  # a copy: changes nothing
    assert get_config()["working_memory"] == 256


@pytest.mark.parametrize("bad", [0, -1, 0.0, float("nan"), float("inf"), "64", True, [1]])
def test_invalid_working_memory_is_refused(bad):
    with pytest.raises(ValueError, match="working_memory must be a positive"):
        set_config(working_memory=bad)
    with pytest.raises(ValueError, match="working_memory must be a positive"):
        with config_context(working_memory=bad):
            pass  # pragma: no cover
    assert get_config()["working_memory"] == 256


def test_set_config_none_keeps_the_value():
    try:
        set_config(working_memory=32.5)
        set_config()
        set_config(working_memory=None)
        assert get_config()["working_memory"] == 32.5
    finally:
        set_config(working_memory=256)
    assert get_config()["working_memory"] == 256


def test_context_restores_also_on_exception_and_nests():
    with config_context(working_memory=8):
        assert get_config()["working_memory"] == 8
        with config_context():  # None: unchanged
            assert get_config()["working_memory"] == 8
        with config_context(working_memory=1):
            assert get_config()["working_memory"] == 1
        assert get_config()["working_memory"] == 8
    assert get_config()["working_memory"] == 256
    with pytest.raises(KeyError):
        with config_context(working_memory=2):
            raise KeyError("boom")
    assert get_config()["working_memory"] == 256


def test_context_restores_a_set_config_inside_it():
    with config_context(working_memory=8):
        set_config(working_memory=3)
        assert get_config()["working_memory"] == 3
    assert get_config()["working_memory"] == 256


def test_settings_are_per_thread():
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def worker():
        seen["start"] = get_config()["working_memory"]  # defaults, not the caller's
        with config_context(working_memory=5):
            inside.set()
            release.wait(10)
            seen["inside"] = get_config()["working_memory"]
        seen["end"] = get_config()["working_memory"]

    with config_context(working_memory=64):
        thread = threading.Thread(target=worker)
        thread.start()
        assert inside.wait(10)
        assert get_config()["working_memory"] == 64  # the worker's context stays there
        release.set()
        thread.join(10)
        assert get_config()["working_memory"] == 64
    assert seen == {"start": 256, "inside": 5, "end": 256}


def test_chunking_follows_the_budget():
    assert chunk_rows(8) == 256 * 2**20 // 8
    with config_context(working_memory=1):
        assert chunk_rows(1024) == 1024
        assert chunk_rows(1024, max_rows=100) == 100
        assert chunk_rows(10 * 2**20) == 1  # at least one row
        assert chunk_rows(1024, max_bytes=4096) == 4  # an explicit budget wins
        slices = list(gen_batches_by_memory(3000, 1024))
    assert [s.stop - s.start for s in slices] == [1024, 1024, 952]
    assert list(gen_batches_by_memory(0, 8)) == []


# ------------------------------------------------- chunked = unchunked
@lru_cache(maxsize=None)
def _mixture(covariance_type):
    X = np.random.RandomState(0).normal(size=(400, 3)) * [1.0, 3.0, 0.5]
    return GaussianMixture(n_components=6, covariance_type=covariance_type,
                           random_state=0).fit(X)


@settings(max_examples=30, deadline=None)
@given(covariance_type=st.sampled_from(["full", "tied", "diag", "spherical"]),
       n_rows=st.integers(1, 600), seed=st.integers(0, 2**16),
       budget=st.floats(1e-4, 0.05), missing=st.booleans())
def test_mixture_scores_do_not_depend_on_the_budget(covariance_type, n_rows, seed, budget,
                                                    missing):
    gm = _mixture(covariance_type)
    rng = np.random.RandomState(seed)
    X = rng.normal(scale=3.0, size=(n_rows, 3))
    if missing:
        X[rng.uniform(size=X.shape) < 0.3] = np.nan
    expected = gm.score_samples(X)
    with config_context(working_memory=budget):
        got = gm.score_samples(X)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_mixture_criteria_and_conditional_draws_do_not_depend_on_the_budget():
    gm = _mixture("full")
    rng = np.random.RandomState(1)
    X = rng.normal(size=(3000, 3))
    given_rows = X[:500].copy()
    given_rows[:, 1] = np.nan
    expected = (gm.bic(X), gm.aic(X),
                gm.sample(500, given=given_rows, random_state=2))
    with config_context(working_memory=TINY):
        got = (gm.bic(X), gm.aic(X),
               gm.sample(500, given=given_rows, random_state=2))
    assert got[0] == pytest.approx(gm.mixture_.bic(X), rel=1e-12)
    assert got[1] == pytest.approx(gm.mixture_.aic(X), rel=1e-12)
    assert got[:2] == pytest.approx(expected[:2], rel=1e-12)
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel", ["gaussian", "tophat", "epanechnikov", "exponential",
                                    "linear", "cosine"])
@pytest.mark.parametrize("weighted", [False, True])
def test_kde_scores_do_not_depend_on_the_budget(kernel, weighted):
    rng = np.random.RandomState(3)
    X = rng.normal(size=(3000, 2))
    w = rng.uniform(0.1, 1.0, size=3000) if weighted else None
    kde = KernelDensity(bandwidth=0.4, kernel=kernel).fit(X, sample_weight=w)
    Q = np.vstack([rng.normal(scale=2.0, size=(600, 2)), X[:5], [[40.0, 40.0]]])
    expected = kde.score_samples(Q)
    with config_context(working_memory=TINY):
        got = kde.score_samples(Q)
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-12, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(n_train=st.integers(1, 400), n_query=st.integers(1, 80), seed=st.integers(0, 2**16),
       budget=st.floats(1e-4, 0.02))
def test_kde_chunks_any_shape(n_train, n_query, seed, budget):
    rng = np.random.RandomState(seed)
    kde = KernelDensity(bandwidth=0.5, metric="euclidean").fit(rng.normal(size=(n_train, 2)))
    Q = rng.normal(size=(n_query, 2))
    expected = kde.score_samples(Q)
    with config_context(working_memory=budget):
        got = kde.score_samples(Q)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_kde_conditional_draws_do_not_depend_on_the_budget():
    rng = np.random.RandomState(4)
    kde = KernelDensity(bandwidth=0.3).fit(rng.normal(size=(2000, 3)))
    given_rows = rng.normal(size=(300, 3))
    given_rows[:, [0, 2]] = np.nan
    expected = kde.sample(300, given=given_rows, random_state=5)
    with config_context(working_memory=TINY):
        got = kde.sample(300, given=given_rows, random_state=5)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)  # BLAS rounding
    # the observed column is kept, the others drawn near the training rows
    np.testing.assert_array_equal(got[:, 1], given_rows[:, 1])
    assert np.isfinite(got).all()


@pytest.mark.parametrize("model", [ProbabilisticPCA(n_components=2),
                                   FactorAnalysis(n_components=2, random_state=0)])
def test_linear_latent_scores_do_not_depend_on_the_budget(model):
    X = np.random.RandomState(5).normal(size=(2000, 5))
    model.fit(X)
    expected = model.score_samples(X)
    with config_context(working_memory=TINY):
        got = model.score_samples(X)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_classifier_posteriors_do_not_depend_on_the_budget():
    rng = np.random.RandomState(6)
    X = np.vstack([rng.normal(size=(300, 2)), rng.normal(2.0, size=(300, 2))])
    y = np.repeat([0, 1], 300)
    clf = GenerativeClassifier(GaussianMixture(n_components=2, random_state=0)).fit(X, y)
    X[0] = 1e4  # zero density under both classes: the prior
    expected = clf.predict_proba(X), clf.score_samples(X)
    with config_context(working_memory=1e-4):
        got = clf.predict_proba(X), clf.score_samples(X)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-12)


def test_tabular_mixture_does_not_depend_on_the_budget():
    from skgen.datasets import make_customer_table
    from skgen.tabular import TabularMixture

    table = make_customer_table(1500, random_state=0)
    model = TabularMixture(n_components=4, random_state=0).fit(table)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = model.score_samples(table), model.predict_proba(table)
        with config_context(working_memory=TINY):
            got = model.score_samples(table), model.predict_proba(table)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------- memory
def test_mixture_scoring_memory_stays_within_the_budget():
    rng = np.random.RandomState(7)
    gm = GaussianMixture(n_components=20, random_state=0).fit(rng.normal(size=(500, 4)))
    X = rng.normal(size=(200_000, 4))  # 6.1 MiB; unchunked, each (n, 20) array is 31 MiB
    gm.score_samples(X[:10])
    budget = 4  # MiB
    with config_context(working_memory=budget):
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            out = gm.score_samples(X)
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
    # the result, a validated copy of X, and one chunk's temporaries (+ margin)
    assert peak < out.nbytes + X.nbytes + (budget + 4) * 2**20, peak / 2**20
    np.testing.assert_allclose(out[:10], gm.score_samples(X[:10]), rtol=1e-12)


def test_kde_blocks_fit_the_budget():
    # torch's buffers escape tracemalloc: check the block sizes instead
    import torch

    from skgen.classical._kde import _BLOCK_COPIES, _Scorer

    kde = KernelDensity(bandwidth=0.3).fit(np.random.RandomState(8).normal(size=(20_000, 2)))
    default = _Scorer(kde, torch)
    assert default.query_chunk * default.train_chunk == default.buffer.numel() == 2**19
    with config_context(working_memory=0.25):
        small = _Scorer(kde, torch)
    assert small.buffer.numel() * 8 * _BLOCK_COPIES <= 0.25 * 2**20
    assert small.query_chunk * small.train_chunk <= small.buffer.numel()


def test_deep_inference_follows_the_budget_and_draws_do_not_depend_on_it():
    from skgen.vae import VAE

    X = np.random.RandomState(0).normal(size=(400, 2))
    vae = VAE(hidden_sizes=(8,), max_epochs=2, random_state=0).fit(X)
    scores, draws = vae.score_samples(X), vae.sample(5000, random_state=0)
    default_chunk = vae._score_chunk_size(vae.module_, vae._inference_dtype)
    with config_context(working_memory=0.05):  # 50 KiB: a few rows per chunk
        small_chunk = vae._score_chunk_size(vae.module_, vae._inference_dtype)
        np.testing.assert_allclose(vae.score_samples(X), scores, rtol=1e-12)
    with config_context(working_memory=4096):
        np.testing.assert_array_equal(vae.sample(5000, random_state=0), draws)
    assert small_chunk < 50 < default_chunk  # importance draws count in the budget
