"""Oracle tests for the closed-form classical estimators."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn import mixture as sk_mixture
from sklearn.model_selection import GridSearchCV

from skgen.classical import Gaussian, GaussianMixture, Histogram, UniformBox


@pytest.fixture
def X2():
    rng = np.random.RandomState(0)
    return rng.multivariate_normal([1.0, -2.0], [[2.0, 0.6], [0.6, 0.5]], size=400)


# ------------------------------------------------------------------ UniformBox
def test_uniform_box_is_the_mle_box(X2):
    box = UniformBox().fit(X2)
    np.testing.assert_array_equal(box.low_, X2.min(axis=0))
    np.testing.assert_array_equal(box.high_, X2.max(axis=0))
    vol = np.prod(X2.max(axis=0) - X2.min(axis=0))
    np.testing.assert_allclose(box.score_samples(X2), -np.log(vol))
    # Any smaller box loses a training point; any larger one has lower likelihood.
    assert box.score(X2) > UniformBox(min_width=0).fit(np.vstack([X2, X2.max(0) + 1])).score(X2)


def test_uniform_box_outside_is_minus_inf(X2):
    box = UniformBox().fit(X2)
    out = box.score_samples(np.array([[X2[:, 0].max() + 1e-9, 0.0], [0.0, -100.0]]))
    assert np.all(np.isneginf(out))


def test_uniform_box_constant_feature():
    X = np.column_stack([np.arange(5.0), np.ones(5)])
    with pytest.raises(ValueError, match="constant"):
        UniformBox().fit(X)
    box = UniformBox(min_width=0.5).fit(X)
    np.testing.assert_allclose(box.high_ - box.low_, [4.0, 0.5])
    assert np.all(np.isfinite(box.score_samples(X)))


def test_uniform_box_samples_fill_box(X2):
    box = UniformBox().fit(X2)
    S = box.sample(20000, random_state=0)
    assert np.all((S >= box.low_) & (S <= box.high_))
    for j in range(2):
        u = (S[:, j] - box.low_[j]) / (box.high_[j] - box.low_[j])
        assert stats.kstest(u, "uniform").pvalue > 1e-3


# -------------------------------------------------------------------- Gaussian
@pytest.mark.parametrize("cov_type", ["full", "diag", "spherical"])
def test_gaussian_matches_scipy(X2, cov_type):
    g = Gaussian(covariance_type=cov_type, reg_covar=0).fit(X2)
    C = np.cov(X2.T, bias=True)
    if cov_type == "diag":
        C = np.diag(np.diag(C))
    elif cov_type == "spherical":
        C = np.eye(2) * np.trace(C) / 2
    np.testing.assert_allclose(g.covariance_, C, rtol=1e-12)
    expected = stats.multivariate_normal(X2.mean(0), C).logpdf(X2)
    np.testing.assert_allclose(g.score_samples(X2), expected, rtol=1e-10)


def test_gaussian_sample_moments(X2):
    g = Gaussian().fit(X2)
    S = g.sample(40000, random_state=1)
    np.testing.assert_allclose(S.mean(0), g.mean_, atol=0.03)
    np.testing.assert_allclose(np.cov(S.T), g.covariance_, atol=0.05)


def test_gaussian_singular_covariance_message():
    X = np.column_stack([np.arange(10.0), 2 * np.arange(10.0)])
    with pytest.raises(ValueError, match="reg_covar"):
        Gaussian(reg_covar=0).fit(X)


@settings(max_examples=25, deadline=None)
@given(d=st.integers(1, 4), seed=st.integers(0, 10_000),
       cov_type=st.sampled_from(["full", "diag", "spherical"]))
def test_gaussian_mle_beats_perturbed(d, seed, cov_type):
    """The MLE has the highest training likelihood among nearby parameters."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(60, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d)
    g = Gaussian(covariance_type=cov_type, reg_covar=0).fit(X)
    best = g.score(X)
    g.mean_ = g.mean_ + 0.05
    assert g.score(X) < best


# ------------------------------------------------------------- GaussianMixture
def test_gaussian_mixture_same_density_as_sklearn(X2):
    ours = GaussianMixture(3, random_state=0).fit(X2)
    ref = sk_mixture.GaussianMixture(3, random_state=0).fit(X2)
    np.testing.assert_allclose(ours.score_samples(X2), ref.score_samples(X2))
    assert ours.score(X2) == pytest.approx(ref.score(X2))


@pytest.mark.parametrize("cov_type", ["full", "tied", "diag", "spherical"])
def test_gaussian_mixture_samples_shuffled_and_right(cov_type):
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(-5, 1, (300, 2)), rng.normal(5, 0.5, (300, 2))])
    gm = GaussianMixture(2, covariance_type=cov_type, random_state=0).fit(X)
    S = gm.sample(4000, random_state=3)
    left = S[:, 0] < 0
    # shuffled: the first and second halves both contain both components
    assert 0.3 < left[:2000].mean() < 0.7 and 0.3 < left[2000:].mean() < 0.7
    # moments per component match the fitted parameters
    k_left = int(np.argmin(gm.means_[:, 0]))
    se = np.sqrt(np.diag(np.cov(X[X[:, 0] < 0].T)) / left.sum())
    assert np.all(np.abs(S[left].mean(0) - gm.means_[k_left]) < 5 * se)
    assert left.mean() == pytest.approx(gm.weights_[k_left], abs=0.03)


def test_gaussian_mixture_per_call_seed_and_dataframe(X2):
    df = pd.DataFrame(X2, columns=["u", "v"])
    gm = GaussianMixture(2, random_state=0).fit(df)
    a = gm.sample(5, random_state=7)
    assert isinstance(a, pd.DataFrame) and list(a.columns) == ["u", "v"]
    pd.testing.assert_frame_equal(a, gm.sample(5, random_state=7))
    assert not np.allclose(gm.sample(5).values, gm.sample(5).values)


def test_gaussian_mixture_too_few_rows():
    with pytest.raises(ValueError, match="n_components"):
        GaussianMixture(5).fit(np.random.RandomState(0).normal(size=(3, 2)))


def test_grid_search_selects_by_heldout_likelihood():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(-4, 1, (200, 1)), rng.normal(4, 1, (200, 1))])
    gs = GridSearchCV(GaussianMixture(random_state=0), {"n_components": [1, 2, 6]}, cv=3)
    gs.fit(X)
    assert gs.best_params_["n_components"] == 2


# ------------------------------------------------------------------- Histogram
def test_histogram_matches_numpy_density():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 1))
    h = Histogram(bins=12).fit(X)
    dens, edges = np.histogram(X[:, 0], bins=12, density=True)
    centres = (edges[:-1] + edges[1:]) / 2
    np.testing.assert_allclose(np.exp(h.score_samples(centres[:, None])), dens, rtol=1e-12)
    # the right-most edge belongs to the last bin, like numpy
    assert np.exp(h.score_samples([[X.max()]]))[0] == pytest.approx(dens[-1])


def test_histogram_2d_normalized_and_support():
    rng = np.random.RandomState(1)
    X = rng.uniform(size=(500, 2)) ** 2
    h = Histogram(bins=(5, 7)).fit(X)
    vol = np.outer(np.diff(h.edges_[0]), np.diff(h.edges_[1]))
    assert np.sum(np.exp(h.log_density_) * vol) == pytest.approx(1.0)
    assert np.isneginf(h.score_samples([[X[:, 0].max() + 0.01, 0.5]]))[0]


def test_histogram_empty_bins_and_smoothing():
    X = np.array([[0.1], [0.15], [0.9]])
    h = Histogram(bins=4, range=[(0, 1)]).fit(X)
    with pytest.warns(UserWarning, match="alpha"):
        assert np.isneginf(h.score_samples([[0.4]]))[0]
    hs = Histogram(bins=4, range=[(0, 1)], alpha=1.0).fit(X)
    # (0 + 1) / (3 + 4) / 0.25
    assert np.exp(hs.score_samples([[0.4]]))[0] == pytest.approx(1 / 7 / 0.25)
    # samples never land in empty bins without smoothing
    S = h.sample(2000, random_state=0)
    assert np.all(np.isfinite(h.score_samples(S)))


def test_histogram_warns_when_most_rows_fall_in_empty_bins():
    # In 13 dimensions almost every bin is empty: every cross-validation fold
    # scored -inf without a word. The warning names alpha, the fix.
    from sklearn.model_selection import cross_val_score

    X = np.random.RandomState(0).normal(size=(300, 13))
    with pytest.warns(UserWarning, match=r"rows fall in empty bins.*alpha > 0"):
        scores = cross_val_score(Histogram(), X, cv=3)
    assert np.isneginf(scores).all()
    with pytest.warns(UserWarning, match="empty bins") as record:
        Histogram().fit(X[:200]).score_samples(X[200:])
    assert record[0].filename == __file__  # points at the caller of score_samples
    # With alpha > 0 the empty bins get a positive density: no warning, and
    # rows inside the grid are finite.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = Histogram(alpha=1.0).fit(X[:200])
        scores = h.score_samples(X[200:])
        _, inside = h._bin_index(X[200:])
        assert np.isfinite(scores[inside]).all()
        # a minority of rows in empty bins is not worth a warning either
        Histogram().fit(X[:200]).score_samples(X[:200])


def test_histogram_sample_frequencies():
    rng = np.random.RandomState(2)
    X = rng.exponential(size=(800, 1))
    h = Histogram(bins=8).fit(X)
    S = h.sample(50000, random_state=0)
    counts, _ = np.histogram(S[:, 0], bins=h.edges_[0])
    expected = np.exp(h.log_density_) * np.diff(h.edges_[0]) * len(S)
    keep = expected > 5
    assert stats.chisquare(counts[keep], expected[keep] * counts[keep].sum()
                           / expected[keep].sum()).pvalue > 1e-4


def test_histogram_too_many_bins():
    X = np.random.RandomState(0).normal(size=(50, 8))
    with pytest.raises(ValueError, match="bins"):
        Histogram(bins=100).fit(X)


def test_histogram_bad_range():
    with pytest.raises(ValueError, match="range"):
        Histogram(range=[(1, 0)]).fit([[0.5], [0.7]])
