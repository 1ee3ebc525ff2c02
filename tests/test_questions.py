"""Questions a density answers: missing values, marginals, conditionals, completions.

Closed forms against oracles: the Gaussian conditional against the textbook
formula, a GMM conditional against a brute-force grid, the KDE marginal against
a KDE fitted on the kept columns, NaN scores against ``marginal`` scores for
every exact family, and EM with missing values against its naive rivals.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.integrate import trapezoid
from sklearn.utils import get_tags

from skgen.classical import (
    FactorAnalysis,
    Gaussian,
    GaussianMixture,
    Histogram,
    KernelDensity,
    ProbabilisticPCA,
    UniformBox,
)

_rng = np.random.RandomState(0)
COV = np.array([[1.0, 0.5, 0.2], [0.5, 2.0, 0.3], [0.2, 0.3, 1.0]])
X3 = _rng.multivariate_normal([0.0, 1.0, 2.0], COV, size=400)
X3_NAN = X3.copy()
X3_NAN[_rng.rand(*X3.shape) < 0.25] = np.nan

EXACT = [
    Gaussian(), Gaussian(covariance_type="diag"),
    GaussianMixture(3, random_state=0), GaussianMixture(2, covariance_type="tied", random_state=0),
    ProbabilisticPCA(2), ProbabilisticPCA(1), FactorAnalysis(1, random_state=0),
    KernelDensity(), KernelDensity(metric="euclidean", bandwidth=0.4),
    KernelDensity(metric="standardized"),
    Histogram(bins=4, alpha=0.5), UniformBox(),
]
IDS = [f"{type(e).__name__}-{i}" for i, e in enumerate(EXACT)]


@pytest.fixture(scope="module", params=range(len(EXACT)), ids=IDS)
def fitted(request):
    return pickle.loads(pickle.dumps(EXACT[request.param])).fit(X3)


def test_allow_nan_tag(fitted):
    assert get_tags(fitted).input_tags.allow_nan
    assert not get_tags(KernelDensity(kernel="tophat")).input_tags.allow_nan


def test_nan_score_equals_marginal_score(fitted):
    scores = fitted.score_samples(X3_NAN)
    assert np.all(~np.isnan(scores))
    for pattern in ([0, 2], [1], [2, 1]):
        rows = np.all(~np.isnan(X3_NAN[:, pattern]), axis=1) & (
            np.isnan(X3_NAN).sum(axis=1) == 3 - len(pattern))
        if rows.any():
            expected = fitted.marginal(pattern).score_samples(X3_NAN[rows][:, pattern])
            np.testing.assert_allclose(scores[rows], expected, rtol=1e-9, atol=1e-9)
    complete = ~np.isnan(X3_NAN).any(axis=1)
    np.testing.assert_allclose(scores[complete], fitted.score_samples(X3[complete]),
                               rtol=1e-12)
    all_missing = np.full((1, 3), np.nan)
    assert fitted.score_samples(all_missing)[0] == pytest.approx(0.0, abs=1e-12)


def test_marginal_and_conditional_protocol(fitted):
    marg = fitted.marginal([2, 0])
    assert marg.n_features_in_ == 2 and marg.sample(5, random_state=0).shape == (5, 2)
    cond = fitted.conditional([0.2, np.nan, np.nan])
    assert cond.n_features_in_ == 2
    draws = cond.sample(7, random_state=0)
    assert draws.shape == (7, 2) and np.isfinite(cond.score_samples(draws)).all()
    completed = fitted.sample(given=X3_NAN[:20], random_state=0)
    assert not np.isnan(completed).any()
    observed = ~np.isnan(X3_NAN[:20])
    np.testing.assert_array_equal(completed[observed], X3_NAN[:20][observed])


def test_conditional_density_integrates_to_one(fitted):
    cond = fitted.conditional([0.1, np.nan, 2.0])
    grid = np.linspace(-12, 14, 4001)[:, None]
    mass = trapezoid(np.exp(cond.score_samples(grid)), grid[:, 0])
    assert mass == pytest.approx(1.0, abs=2e-3)


def test_gaussian_conditional_closed_form():
    g = Gaussian().fit(X3)
    a = np.array([0.7])
    cond = g.conditional([0.7, np.nan, np.nan])
    S = g.covariance_
    mean = g.mean_[1:] + S[1:, :1] @ np.linalg.inv(S[:1, :1]) @ (a - g.mean_[:1])
    cov = S[1:, 1:] - S[1:, :1] @ np.linalg.inv(S[:1, :1]) @ S[:1, 1:]
    np.testing.assert_allclose(cond.mean_, mean, atol=1e-10, rtol=0)
    np.testing.assert_allclose(cond.covariance_, cov, atol=1e-10, rtol=0)
    marg = g.marginal([2, 0])
    np.testing.assert_array_equal(marg.mean_, g.mean_[[2, 0]])
    np.testing.assert_array_equal(marg.covariance_, S[np.ix_([2, 0], [2, 0])])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(2, 5))
def test_gaussian_chain_rule(seed, d):
    """log p(a) + log p(b | a) = log p(a, b) for random covariances."""
    rng = np.random.RandomState(seed)
    L = rng.normal(size=(d, d))
    X = rng.normal(size=(60, d)) @ L + rng.normal(size=d)
    g = Gaussian().fit(X)
    row = rng.normal(size=d) * 2
    A = np.sort(rng.choice(d, size=rng.randint(1, d), replace=False))
    B = np.setdiff1d(np.arange(d), A)
    given_row = row.copy()
    given_row[B] = np.nan
    lhs = (g.marginal(A).score_samples(row[None, A])[0]
           + g.conditional(given_row).score_samples(row[None, B])[0])
    # rounding grows with the covariance's condition number (seed 2147: 7e5)
    rel = max(1e-10, 1e-15 * np.linalg.cond(g.covariance_))
    assert lhs == pytest.approx(g.score_samples(row[None])[0], rel=rel, abs=1e-8)


def test_gmm_conditional_against_grid():
    rng = np.random.RandomState(1)
    X = np.vstack([rng.multivariate_normal([-2, 0], [[1, 0.8], [0.8, 1]], 300),
                   rng.multivariate_normal([2, 1], [[1, -0.5], [-0.5, 0.5]], 300)])
    gm = GaussianMixture(2, random_state=0).fit(X)
    cond = gm.conditional([0.3, np.nan])
    grid = np.linspace(-10, 10, 40001)
    joint = np.exp(gm.score_samples(np.c_[np.full_like(grid, 0.3), grid]))
    brute = joint / trapezoid(joint, grid)
    np.testing.assert_allclose(np.exp(cond.score_samples(grid[:, None])), brute,
                               atol=1e-8, rtol=1e-6)
    draws = cond.sample(4000, random_state=0)[:, 0]
    cdf = np.cumsum(brute) * (grid[1] - grid[0])
    assert stats.kstest(draws, lambda x: np.interp(x, grid, cdf)).pvalue > 1e-3


def test_gmm_sample_given_matches_conditional():
    gm = GaussianMixture(3, random_state=0).fit(X3)
    given_rows = np.tile([0.5, np.nan, 2.5], (3000, 1))
    draws = gm.sample(given=given_rows, random_state=0)[:, 1]
    ref = gm.conditional([0.5, np.nan, 2.5])
    grid = np.linspace(-10, 12, 20001)
    cdf = np.cumsum(np.exp(ref.score_samples(grid[:, None]))) * (grid[1] - grid[0])
    assert stats.kstest(draws, lambda x: np.interp(x, grid, cdf)).pvalue > 1e-3


@pytest.mark.parametrize("metric", ["whitened", "standardized", "euclidean"])
def test_kde_marginal_equals_kde_on_kept_columns(metric):
    kde = KernelDensity(metric=metric).fit(X3)
    direct = KernelDensity(bandwidth=kde.bandwidth_, metric=metric).fit(X3[:, [2, 0]])
    marg = kde.marginal([2, 0])
    np.testing.assert_allclose(marg.bandwidth_matrix_, direct.bandwidth_matrix_, rtol=1e-12)
    np.testing.assert_allclose(marg.score_samples(X3[:50, [2, 0]]),
                               direct.score_samples(X3[:50, [2, 0]]), rtol=1e-10)
    np.testing.assert_allclose(kde.bandwidth_matrix_[np.ix_([2, 0], [2, 0])],
                               marg.bandwidth_matrix_, rtol=1e-10)


def test_kde_with_sample_weight_nan_score_and_conditional():
    w = np.random.RandomState(5).uniform(0.1, 3.0, size=X3.shape[0])
    kde = KernelDensity().fit(X3, sample_weight=w)
    direct = KernelDensity(bandwidth=kde.bandwidth_).fit(X3[:, [0, 2]], sample_weight=w)
    rows = np.c_[X3[:20, 0], np.full(20, np.nan), X3[:20, 2]]
    np.testing.assert_allclose(kde.score_samples(rows), direct.score_samples(X3[:20, [0, 2]]),
                               rtol=1e-10)
    cond = kde.conditional([0.1, np.nan, 2.0])
    grid = np.linspace(-12, 14, 4001)
    joint = np.exp(kde.score_samples(np.c_[np.full_like(grid, 0.1), grid,
                                           np.full_like(grid, 2.0)]))
    np.testing.assert_allclose(np.exp(cond.score_samples(grid[:, None])),
                               joint / trapezoid(joint, grid), rtol=1e-5, atol=1e-8)


def test_kde_non_gaussian_kernel_refuses_nan():
    kde = KernelDensity(kernel="epanechnikov").fit(X3)
    with pytest.raises(ValueError, match="NaN.*KernelDensity \\(kernel='gaussian'\\)"):
        kde.score_samples(X3_NAN)
    with pytest.raises(ValueError, match="gaussian kernel"):
        kde.marginal([0])
    with pytest.raises(ValueError, match="gaussian kernel"):
        kde.conditional([0.0, np.nan, np.nan])


def test_histogram_marginal_sums_bins():
    h = Histogram(bins=[3, 4, 5]).fit(X3)
    marg = h.marginal([1])
    w = [np.diff(e) for e in h.edges_]
    full = np.exp(h.log_density_) * np.multiply.outer(np.multiply.outer(w[0], w[1]), w[2])
    np.testing.assert_allclose(np.exp(marg.log_density_) * np.diff(marg.edges_[0]),
                               full.sum(axis=(0, 2)))


def test_uniform_box_marginal_and_slice():
    box = UniformBox().fit(X3)
    np.testing.assert_array_equal(box.marginal([2, 1]).low_, box.low_[[2, 1]])
    with pytest.raises(ValueError, match="outside the box"):
        box.conditional([1e6, np.nan, np.nan])


def _held_out_ll(est_cls, kwargs, X_train, X_test):
    return est_cls(**kwargs).fit(X_train).score(X_test)


@pytest.mark.parametrize("est_cls, kwargs", [
    (Gaussian, {}), (GaussianMixture, {"n_components": 2, "random_state": 0}),
])
def test_fit_with_missing_beats_dropping_and_mean_imputation(est_cls, kwargs):
    rng = np.random.RandomState(3)
    d = 5
    L = rng.normal(size=(d, d))
    shift = np.where(rng.rand(600, 1) < 0.5, 2.0, -2.0)
    X = rng.normal(size=(600, d)) @ L + shift
    train, test = X[:300], X[300:]
    holes = train.copy()
    holes[rng.rand(*train.shape) < 0.2] = np.nan
    em = _held_out_ll(est_cls, kwargs, holes, test)
    dropped = _held_out_ll(est_cls, kwargs, holes[~np.isnan(holes).any(axis=1)], test)
    imputed = _held_out_ll(est_cls, kwargs,
                           np.where(np.isnan(holes), np.nanmean(holes, axis=0), holes), test)
    print(f"{est_cls.__name__}: EM {em:.3f}, drop rows {dropped:.3f}, mean impute {imputed:.3f}")
    assert em > dropped and em > imputed


def test_gaussian_em_without_nan_is_unchanged():
    a = Gaussian().fit(X3)
    assert a.n_iter_ == 0
    np.testing.assert_array_equal(a.mean_, X3.mean(axis=0))


def test_dataframe_names_flow_through():
    df = pd.DataFrame(X3, columns=["a", "b", "c"])
    g = Gaussian().fit(df)
    marg = g.marginal(["c", "a"])
    assert list(marg.sample(2, random_state=0).columns) == ["c", "a"]
    cond = g.conditional({"a": 0.5})
    assert list(cond.sample(2, random_state=0).columns) == ["b", "c"]
    cond2 = g.conditional(pd.DataFrame({"a": [0.5], "b": [np.nan], "c": [np.nan]}))
    np.testing.assert_allclose(cond.mean_, cond2.mean_)
    out = g.sample(given=pd.DataFrame(X3_NAN[:4], columns=["a", "b", "c"]), random_state=0)
    assert list(out.columns) == ["a", "b", "c"] and not out.isna().any().any()


def test_bad_given_raises_and_leaves_model_unchanged():
    g = Gaussian().fit(pd.DataFrame(X3, columns=["a", "b", "c"]))
    before = pickle.dumps(g)
    with pytest.raises(ValueError, match="no column"):
        g.conditional([np.nan, np.nan, np.nan])
    with pytest.raises(ValueError, match="every column"):
        g.conditional([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Unknown column 'z'"):
        g.conditional({"z": 1.0})
    with pytest.raises(ValueError, match="feature names"):
        g.conditional(pd.DataFrame({"a": [1.0], "x": [np.nan], "c": [np.nan]}))
    with pytest.raises(ValueError, match="one row"):
        g.conditional(np.ones((2, 3)))
    with pytest.raises(ValueError, match="n_samples must be 1 or 4"):
        g.sample(3, given=pd.DataFrame(X3_NAN[:4], columns=["a", "b", "c"]))
    with pytest.raises(ValueError, match="Unknown column"):
        g.marginal(["q"])
    assert pickle.dumps(g) == before


def test_nan_refused_elsewhere_names_the_accepting_estimators():
    pytest.importorskip("torch")
    from skgen.flows import MAF

    with pytest.raises(ValueError, match="NaN.*MAF does not accept.*Gaussian, GaussianMixture"):
        MAF().fit(X3_NAN)


def test_fit_refuses_nan_where_only_scoring_marginalizes():
    for est in (ProbabilisticPCA(1), FactorAnalysis(1), Histogram(), UniformBox(),
                KernelDensity()):
        with pytest.raises(ValueError, match="NaN.*Gaussian or GaussianMixture"):
            est.fit(X3_NAN)
    with pytest.raises(ValueError, match="cannot transform"):
        ProbabilisticPCA(1).fit(X3).transform(X3_NAN)


def test_importance_resampling_matches_exact_conditional():
    """The approximate sampler, run on a Gaussian, against its exact conditional."""
    from skgen._conditional_sampling import _pilot_mixture, importance_resample

    g = Gaussian(random_state=0).fit(X3)
    rng = np.random.RandomState(0)
    proposal = _pilot_mixture(g, rng)
    a = np.tile([[0.5, 2.5]], (200, 1))
    draws, ess = importance_resample(g, proposal, np.array([0, 2]), np.array([1]), a, rng)
    exact = g.conditional([0.5, np.nan, 2.5])
    sd = np.sqrt(exact.covariance_[0, 0])
    print(f"importance resampling on a Gaussian: median ESS {np.median(ess):.0f} of 1000")
    assert np.median(ess) > 100
    assert stats.kstest(draws[:, 0], stats.norm(exact.mean_[0], sd).cdf).pvalue > 1e-3


def test_flow_sample_given_against_grid_conditional():
    """A flow's completions against its own conditional computed on a grid."""
    pytest.importorskip("torch")
    from skgen.datasets import make_banana
    from skgen.flows import MAF

    X = make_banana(1500, random_state=0)
    X = np.asarray(X[0] if isinstance(X, tuple) else X)
    flow = MAF(max_epochs=15, n_transforms=2, hidden_sizes=(16, 16), device="cpu",
               random_state=0).fit(X)
    x0 = float(np.median(X[:, 0]))
    given_rows = np.tile([[x0, np.nan]], (300, 1))
    draws = flow.sample(given=given_rows, random_state=0)[:, 1]
    grid = np.linspace(X[:, 1].min() - 3, X[:, 1].max() + 3, 4001)
    dens = np.exp(flow.score_samples(np.c_[np.full_like(grid, x0), grid]))
    cdf = np.cumsum(dens) / dens.sum()
    print(f"flow sample(given=): median ESS {np.median(flow.given_ess_):.0f} of 1000")
    assert stats.kstest(draws, lambda x: np.interp(x, grid, cdf)).pvalue > 1e-3


def test_sample_given_accepts_a_dict_or_series_row():
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(200, 3)), columns=list("abc"))
    g = Gaussian().fit(X)
    from_dict = g.sample(given={"a": 1.0}, random_state=0)
    from_row = g.sample(given=pd.DataFrame([[1.0, np.nan, np.nan]], columns=list("abc")),
                        random_state=0)
    np.testing.assert_array_equal(np.asarray(from_dict), np.asarray(from_row))
    from_series = g.sample(given=pd.Series({"a": 1.0, "b": 0.5}), random_state=0)
    assert from_series.shape == (1, 3) and from_series.iloc[0, 1] == 0.5
    with pytest.raises(ValueError, match="'z'"):
        g.sample(given={"z": 1.0})


def test_gaussian_em_warns_when_it_stops_before_converging(monkeypatch):
    from sklearn.exceptions import ConvergenceWarning

    from skgen.classical import _gaussian

    monkeypatch.setattr(_gaussian, "_EM_MAX_ITER", 2)
    with pytest.warns(ConvergenceWarning, match="did not converge in 2 iterations"):
        g = Gaussian().fit(X3_NAN)
    assert g.n_iter_ == 2
