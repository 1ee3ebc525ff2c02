"""Regression tests of the issue "Trust" for the classical models, preprocessing and
pipelines: one test per item, named after the item number."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from skgen.classical import (
    FactorAnalysis,
    Gaussian,
    Histogram,
    KernelDensity,
    ProbabilisticPCA,
)
from skgen.pipeline import make_density_pipeline
from skgen.preprocessing import Dequantizer


def _gaussian_kde_oracle(X, Y, H):
    """Gaussian KDE with bandwidth matrix ``H``, from coordinate differences."""
    L = np.linalg.cholesky(H)
    diff = np.linalg.solve(L, (Y[:, None, :] - X[None, :, :]).reshape(-1, X.shape[1]).T)
    maha = (diff**2).sum(0).reshape(len(Y), len(X))
    d = X.shape[1]
    return (logsumexp(-0.5 * maha, axis=1) - np.log(len(X))
            - 0.5 * d * np.log(2 * np.pi) - np.sum(np.log(np.diag(L))))


# ------------------------------------------------------------------- item 2
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("metric", ["whitened", "standardized", "euclidean"])
def test_item2_kde_is_finite_and_exact_on_features_of_very_different_scales(seed, metric):
    X = np.random.RandomState(seed).normal(size=(20, 3)) * [1e-20, 10, 1e8]
    kde = KernelDensity(metric=metric).fit(X)
    scores = kde.score_samples(X[:3])
    assert np.all(np.isfinite(scores))
    # In the units of X the scale matrix of a bump is bandwidth_matrix_.
    Z = X / [1e-20, 10, 1e8]  # the oracle works on rescaled rows, then corrects
    H = kde.bandwidth_matrix_ / np.outer([1e-20, 10, 1e8], [1e-20, 10, 1e8])
    oracle = _gaussian_kde_oracle(Z, Z[:3], H) - np.log(1e-20 * 10 * 1e8)
    assert_allclose(scores, oracle, rtol=1e-9)
    if metric != "euclidean":  # a bump as wide as each feature: the density varies
        assert np.ptp(kde.score_samples(X)) > 0.5


@pytest.mark.parametrize("kernel", ["tophat", "epanechnikov"])
def test_item2_compact_kernel_rows_outside_the_support_are_checked(kernel):
    # Huge coordinates in bandwidth units: the expanded product cannot tell
    # -inf (outside every bump) from a bump's inside; the direct recomputation can.
    X = np.random.RandomState(1).normal(size=(20, 3)) * [1e-20, 10, 1e8]
    for h in (1e-4, 1e-2):
        kde = KernelDensity(metric="euclidean", kernel=kernel, bandwidth=h).fit(X)
        assert np.all(np.isfinite(kde.score_samples(X)))  # each row is in its own bump


# ------------------------------------------------------------------- item 3
def test_item3_kde_keeps_its_own_copy_of_the_training_rows():
    X = np.random.RandomState(0).normal(size=(50, 2))
    kde = KernelDensity(random_state=0).fit(X)
    before = kde.score_samples(X[:5].copy())
    sample = kde.sample(4, random_state=0)
    query = X[:5].copy()
    X += 100  # the caller reuses its array
    assert_allclose(kde.score_samples(query), before, rtol=0, atol=0)
    assert_allclose(kde.sample(4, random_state=0), sample, rtol=0, atol=0)


# ------------------------------------------------------------------- item 4
@pytest.mark.parametrize("c, n", [(3.0, 200), (1e9 + 0.1, 200), (0.1, 200), (1e-4, 20),
                                  (1e20, 200), (-7.5, 200), (0.0, 200)])
def test_item4_histogram_constant_column_gets_one_bin_of_documented_width(c, n):
    z = np.random.RandomState(0).normal(size=n)
    X = np.c_[z, np.full(n, c)]
    hist = Histogram().fit(X)
    edges = hist.edges_[1]
    assert edges.size == 2  # one bin
    width = max(1.0, 1e-9 * abs(c))
    assert edges[1] - edges[0] == pytest.approx(width, rel=1e-6)
    assert edges[0] < c < edges[1]
    # the density is the 1-D histogram of z divided by the width of that bin
    one_d = Histogram(bins=hist.edges_[0].size - 1).fit(z[:, None])
    log_width = np.log(edges[1] - edges[0])
    assert_allclose(hist.score_samples(X), one_d.score_samples(z[:, None]) - log_width,
                    rtol=1e-9)
    S = hist.sample(20, random_state=0)
    assert np.all(np.isfinite(hist.score_samples(S)))
    # also with a fixed number of bins: the constant feature still gets one
    assert Histogram(bins=4).fit(X).edges_[1].size == 2


def test_item4_histogram_near_constant_column_does_not_depend_on_rounding_noise():
    z = np.random.RandomState(0).normal(size=200)
    c = 1e9 + 0.1
    wobble = c * (1 + 1e-15 * np.random.RandomState(1).normal(size=200))
    a = Histogram().fit(np.c_[z, np.full(200, c)])
    b = Histogram().fit(np.c_[z, wobble])
    assert a.log_density_.shape == b.log_density_.shape == (a.edges_[0].size - 1, 1)


def test_item4_histogram_guard_counts_the_cells_it_allocates():
    X = np.random.RandomState(0).normal(size=(10, 20))
    hist = Histogram(bins=2, alpha=0.1).fit(X)  # 2**20 cells, a few MiB
    assert hist.log_density_.size == 2**20
    assert np.all(np.isfinite(hist.score_samples(X)))
    with pytest.raises(ValueError, match=r"3\.49e\+09 bins.*fewer bins"):
        Histogram(bins=3).fit(X)
    # a failed fit leaves a fitted model as it was
    with pytest.raises(ValueError):
        hist.set_params(bins=3).fit(X)
    assert hist.log_density_.size == 2**20


# ------------------------------------------------------------------- item 5
def test_item5_factor_analysis_is_scale_equivariant():
    X = np.random.RandomState(0).normal(size=(200, 2))
    small = FactorAnalysis(random_state=0).fit(X)
    big = FactorAnalysis(random_state=0).fit(X * 1e8)
    scores = big.score_samples(X[:4] * 1e8)
    assert_allclose(scores, small.score_samples(X[:4]) - 2 * np.log(1e8), rtol=1e-6)
    assert_allclose(big.noise_variance_, small.noise_variance_ * 1e16, rtol=1e-6)
    # the density is that of the model's own covariance (scipy as the oracle)
    from scipy.stats import multivariate_normal

    oracle = multivariate_normal(big.mean_ / 1e8, big.get_covariance() / 1e16).logpdf(X[:4])
    assert_allclose(scores, oracle - 2 * np.log(1e8), rtol=1e-9)
    assert_allclose(big.loglike_[-1], small.loglike_[-1] - 200 * 2 * np.log(1e8), rtol=1e-6)


def test_item5_factor_analysis_with_more_features_than_rows():
    X = np.random.RandomState(0).normal(size=(8, 20))
    fa = FactorAnalysis(random_state=0).fit(X)
    assert fa.n_components_ == fa.components_.shape[0] <= 8
    assert fa.sample(3, random_state=0).shape == (3, 20)
    assert fa.transform(X).shape == (8, fa.n_components_)
    assert np.all(np.isfinite(fa.score_samples(X)))
    with pytest.raises(ValueError, match="n_components=9 must be at most"):
        FactorAnalysis(n_components=9).fit(X)


# ------------------------------------------------------------------- item 6
def test_item6_ppca_rank_test_is_scale_invariant():
    X = np.random.RandomState(0).normal(size=(200, 2))
    scaled = X * [1e-6, 1e6]
    ppca = ProbabilisticPCA().fit(scaled)  # full rank: accepted
    ref = ProbabilisticPCA().fit(X)
    assert_allclose(ppca.score_samples(scaled), ref.score_samples(X), rtol=1e-6)
    # k < d with a tiny but positive noise variance
    X3 = np.c_[X, X[:, 0] + 1e-3 * np.random.RandomState(1).normal(size=200)] * [1e-6, 1e6, 1e-6]
    fit = ProbabilisticPCA(n_components=2).fit(X3)
    assert fit.noise_variance_ > 0 and np.all(np.isfinite(fit.score_samples(X3)))
    # data really in a subspace are still refused
    with pytest.raises(ValueError, match="subspace"):
        ProbabilisticPCA().fit(np.c_[scaled, scaled[:, 1] * 3])
    with pytest.raises(ValueError, match="subspace"):
        ProbabilisticPCA(n_components=2).fit(np.c_[scaled, scaled[:, 1] * 3])


# ------------------------------------------------------------------ item 10
def test_item10_dequantizer_noise_is_a_function_of_the_row():
    X = np.random.RandomState(0).randint(0, 8, size=(100, 3)).astype(float)
    dq = Dequantizer(random_state=0).fit(X)
    full = dq.transform(X)
    assert_allclose(dq.transform(X[10:20]), full[10:20], rtol=0, atol=0)
    assert_allclose(dq.transform(X[::-1]), full[::-1], rtol=0, atol=0)
    assert np.all((full * dq.n_levels_ >= X) & (full * dq.n_levels_ < X + 1))
    # repeated training rows are still spread over their cell when fitting
    Xt = dq.fit_transform(X[[0] * 50])
    assert np.unique(Xt[:, 0]).size == 50
    pipe = make_density_pipeline(Dequantizer(random_state=0), Gaussian()).fit(X)
    assert_allclose(pipe.score_samples(X[10:20]), pipe.score_samples(X)[10:20], rtol=0, atol=0)
    # without a seed: one noise, fixed at fit
    free = Dequantizer().fit(X)
    assert_allclose(free.transform(X[:5]), free.transform(X)[:5], rtol=0, atol=0)


def test_item10_dequantizer_declares_positive_input():
    from sklearn.utils.estimator_checks import check_positive_only_tag_during_fit

    assert get_tags(Dequantizer()).input_tags.positive_only
    check_positive_only_tag_during_fit("Dequantizer", Dequantizer())


# ------------------------------------------------------------------ item 11
class _Drop(TransformerMixin, BaseEstimator):
    """A custom step that claims a Jacobian but maps 3 columns to 2."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float)[:, :2]

    def inverse_transform(self, Z):
        Z = np.asarray(Z, dtype=float)
        return np.c_[Z, Z[:, :1]]

    def log_abs_det_jacobian(self, X):
        return np.zeros(np.shape(X)[0])


def test_item11_pipeline_refuses_a_step_that_changes_the_dimension():
    X = np.random.RandomState(0).normal(size=(50, 3))
    pipe = make_density_pipeline(_Drop(), Gaussian())
    with pytest.raises(ValueError, match=r"Step '_drop' \(_Drop\) maps 3 features to 2"):
        pipe.fit(X)
    good = make_density_pipeline(StandardScaler(), Gaussian()).fit(X)
    assert np.isfinite(good.score_samples(X)).all()
    good.steps[0] = ("standardscaler", _Drop().fit(X))  # a step swapped after fit
    with pytest.raises(ValueError, match="maps 3 features to 2"):
        good.score_samples(X)


def test_item11_pipeline_computes_in_float64():
    X = np.random.RandomState(0).normal(size=(200, 3)) * [1.0, 30.0, 0.01] + [5, -100, 0]
    X16 = X.astype(np.float16)
    X64 = X16.astype(np.float64)  # the same values
    pipe = make_density_pipeline(StandardScaler(), Gaussian()).fit(X16)
    ref = make_density_pipeline(StandardScaler(), Gaussian()).fit(X64)
    assert_allclose(pipe.score_samples(X16), ref.score_samples(X64), rtol=1e-12)
    assert_allclose(pipe.score_samples(X16.astype(np.float32)), ref.score_samples(X64),
                    rtol=1e-12)


# ------------------------------------------------------------------ item 12
def test_item12_default_kde_is_as_good_on_raw_data_as_after_scaling():
    from sklearn.datasets import load_wine
    from sklearn.model_selection import KFold, cross_val_score

    X = load_wine(as_frame=True).data
    cv = KFold(5, shuffle=True, random_state=0)
    raw = cross_val_score(KernelDensity(), X, cv=cv).mean()
    scaled = cross_val_score(
        make_density_pipeline(StandardScaler(), KernelDensity(metric="euclidean")), X, cv=cv
    ).mean()
    assert raw > scaled - 0.5  # was -168 against -19.8
    assert raw > -25


def test_item12_metrics_and_bandwidth_semantics():
    X = np.random.RandomState(0).normal(size=(80, 2)) @ [[2.0, 0.0], [1.5, 0.1]]
    # a float bandwidth is in units of the metric; "euclidean" is scikit-learn's
    from sklearn.neighbors import KernelDensity as SkKernelDensity

    eu = KernelDensity(metric="euclidean", bandwidth=0.3).fit(X)
    sk = SkKernelDensity(bandwidth=0.3).fit(X)
    assert_allclose(eu.score_samples(X), sk.score_samples(X), rtol=1e-9)
    # "standardized" is a StandardScaler in front
    st = KernelDensity(metric="standardized", bandwidth=0.3).fit(X)
    pipe = make_density_pipeline(StandardScaler(), KernelDensity(metric="euclidean",
                                                                 bandwidth=0.3)).fit(X)
    assert_allclose(st.score_samples(X), pipe.score_samples(X), rtol=1e-9)
    # "whitened" is scipy's gaussian_kde with a covariance divided by n
    wh = KernelDensity(bandwidth="scott").fit(X)
    assert_allclose(wh.bandwidth_matrix_, np.cov(X.T, bias=True) * wh.bandwidth_**2)
    assert_allclose(wh.score_samples(X[:5]), _gaussian_kde_oracle(X, X[:5], wh.bandwidth_matrix_),
                    rtol=1e-9)
    S = KernelDensity(bandwidth=0.5, random_state=0).fit(X).sample(40000)
    assert_allclose(np.cov(S.T, bias=True), np.cov(X.T, bias=True) * 1.25, rtol=0.05, atol=0.01)
    # linearly dependent features: a clear error naming the alternative
    with pytest.raises(ValueError, match="metric='standardized'"):
        KernelDensity().fit(np.c_[X, X[:, 0] - X[:, 1]])
    assert np.isfinite(KernelDensity(metric="standardized").fit(np.c_[X, X[:, 0]]).score(X[:, [0, 1, 0]]))
    # a constant feature is fine in every metric
    Xc = np.c_[X, np.full(80, 4.0)]
    for metric in ("whitened", "standardized", "euclidean"):
        assert np.isfinite(KernelDensity(metric=metric).fit(Xc).score(Xc))


def test_item12_old_pickles_measure_euclidean_distances():
    import pickle

    X = np.random.RandomState(0).normal(size=(30, 2)) * [1.0, 5.0]
    kde = KernelDensity(metric="euclidean", bandwidth=0.4).fit(X)
    state = kde.__dict__.copy()
    for key in ("metric", "_fit_Z", "_metric_back", "_log_det_metric", "bandwidth_matrix_"):
        del state[key]  # what a model pickled by skgen 0.1 holds
    old = KernelDensity.__new__(KernelDensity)
    old.__setstate__(state)
    assert old.get_params()["metric"] == "euclidean"
    assert_allclose(pickle.loads(pickle.dumps(old)).score_samples(X), kde.score_samples(X))
