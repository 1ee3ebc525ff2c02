"""KernelDensity: cross-validated bandwidth (bandwidth="cv") and sample_weight."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KernelDensity as SkKernelDensity

from skgen.classical import KernelDensity
from skgen.classical._kde import KERNELS, _cv_log_likelihoods, _kfold_index


def _naive_cv(X, grid, kernel, fold, w=None):
    """Oracle: one KernelDensity per fold and bandwidth, scored on the held-out fold."""
    out = []
    for h in grid:
        per_fold = []
        for f in np.unique(fold):
            train, test = fold != f, fold == f
            kde = KernelDensity(bandwidth=h, kernel=kernel, metric="euclidean")
            kde.fit(X[train], sample_weight=None if w is None else w[train])
            s = kde.score_samples(X[test])
            per_fold.append(np.average(s, weights=None if w is None else w[test]))
        out.append(np.mean(per_fold))
    return np.array(out)


@pytest.mark.parametrize("kernel", KERNELS)
def test_cv_scores_match_a_loop_over_folds(kernel):
    X = np.random.RandomState(0).normal(size=(60, 2))
    grid = np.geomspace(0.2, 2.0, 4)
    fold = _kfold_index(60)
    fast = _cv_log_likelihoods(X, grid, kernel, fold)
    np.testing.assert_allclose(fast, _naive_cv(X, grid, kernel, fold), rtol=1e-9)


def test_cv_scores_weighted_and_in_tiny_chunks():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(50, 3))
    w = rng.uniform(0.1, 3.0, size=50)
    grid = np.array([0.3, 0.7, 1.5])
    fold = _kfold_index(50)
    expected = _naive_cv(X, grid, "gaussian", fold, w)
    np.testing.assert_allclose(_cv_log_likelihoods(X, grid, "gaussian", fold, w),
                               expected, rtol=1e-9)
    np.testing.assert_allclose(
        _cv_log_likelihoods(X, grid, "gaussian", fold, w, max_bytes=1), expected, rtol=1e-9)


@pytest.mark.parametrize("kernel", ["gaussian", "exponential"])
def test_cv_scores_do_not_underflow(kernel):
    # a far row and tiny bandwidths: plain kernel sums underflow to 0
    X = np.vstack([np.random.RandomState(2).normal(size=(40, 2)), [[60.0, 60.0]]])
    grid = np.array([0.01, 0.05])
    fold = _kfold_index(41)
    fast = _cv_log_likelihoods(X, grid, kernel, fold)
    assert np.all(np.isfinite(fast))
    np.testing.assert_allclose(fast, _naive_cv(X, grid, kernel, fold), rtol=1e-9)


def test_same_bandwidth_as_gridsearchcv_of_scikit_learn():
    X = np.random.RandomState(3).normal(size=(400, 2)) * [1.0, 3.0]
    grid = np.geomspace(0.05, 2.0, 20)
    kde = KernelDensity(bandwidth=grid, metric="euclidean").fit(X)
    search = GridSearchCV(SkKernelDensity(), {"bandwidth": grid},
                          cv=KFold(5, shuffle=True, random_state=0)).fit(X)
    assert kde.bandwidth_ == search.best_params_["bandwidth"]
    # scikit-learn's score is the sum over the held-out fold (80 rows each); its
    # tree loses accuracy at the smallest bandwidths, where far rows underflow
    np.testing.assert_allclose(kde.cv_scores_[6:] * 80,
                               search.cv_results_["mean_test_score"][6:], rtol=1e-7)


def test_bandwidth_cv_default_grid_and_attributes():
    X = np.random.RandomState(4).normal(size=(300, 2)) * [1e-3, 1e3]
    kde = KernelDensity(bandwidth="cv").fit(X)
    assert kde.cv_bandwidths_.shape == kde.cv_scores_.shape == (20,)
    assert kde.bandwidth_ == kde.cv_bandwidths_[np.argmax(kde.cv_scores_)]
    assert kde.bandwidth == "cv"  # the parameter is not overwritten
    # scores are in the units of X: the whitened metric's log-det is included
    best = KernelDensity(bandwidth=kde.bandwidth_).fit(X)
    assert abs(kde.cv_scores_.max() - best.score(X)) < 1.0
    assert clone(kde).get_params()["bandwidth"] == "cv"


def test_bandwidth_cv_warns_at_the_edge_and_refuses_bad_input():
    X = np.random.RandomState(5).normal(size=(100, 1))
    with pytest.warns(UserWarning, match="largest candidate"):
        KernelDensity(bandwidth=[1e-3, 2e-3]).fit(X)
    with pytest.raises(ValueError, match="at least 5 rows"):
        KernelDensity(bandwidth="cv").fit(X[:4])
    with pytest.raises(ValueError, match="positive candidates"):
        KernelDensity(bandwidth=[0.1, -1.0]).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KernelDensity(bandwidth=[0.1, 0.3, 3.0]).fit(X)


# ------------------------------------------------------------------ sample_weight
@pytest.mark.parametrize("metric", ["whitened", "standardized", "euclidean"])
@pytest.mark.parametrize("bandwidth", ["scott", "silverman", 0.4])
@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov", "exponential", "tophat"])
def test_integer_weights_equal_repeated_rows(metric, bandwidth, kernel):
    rng = np.random.RandomState(6)
    X = rng.normal(size=(30, 2)) @ [[1.0, 0.5], [0.0, 2.0]]
    w = rng.randint(0, 4, size=30)
    w[0] = 2
    Q = rng.normal(size=(25, 2)) * 1.5
    weighted = KernelDensity(bandwidth=bandwidth, kernel=kernel, metric=metric)
    weighted.fit(X, sample_weight=w)
    repeated = KernelDensity(bandwidth=bandwidth, kernel=kernel, metric=metric)
    repeated.fit(np.repeat(X, w, axis=0))
    assert weighted.bandwidth_ == pytest.approx(repeated.bandwidth_, rel=1e-12)
    np.testing.assert_allclose(weighted.bandwidth_matrix_, repeated.bandwidth_matrix_,
                               rtol=1e-10)
    np.testing.assert_allclose(weighted.score_samples(Q), repeated.score_samples(Q),
                               rtol=1e-9, atol=1e-9)


def test_weighted_sampling_follows_the_weights():
    X = np.array([[0.0], [10.0], [20.0]])
    kde = KernelDensity(bandwidth=0.1, kernel="tophat", metric="euclidean")
    kde.fit(X, sample_weight=[0.0, 1.0, 3.0])
    S = kde.sample(4000, random_state=0)[:, 0]
    assert not np.any(np.abs(S) < 1.0)  # a row of weight zero is never drawn
    assert np.mean(np.abs(S - 20.0) < 1.0) == pytest.approx(0.75, abs=0.03)
    # repeatable, and an unweighted fit samples as before
    np.testing.assert_array_equal(S, kde.sample(4000, random_state=0)[:, 0])


def test_sample_weight_is_validated():
    X = np.random.RandomState(7).normal(size=(10, 2))
    kde = KernelDensity()
    with pytest.raises(ValueError, match="[Nn]egative"):
        kde.fit(X, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="sums to zero|non-zero"):
        kde.fit(X, sample_weight=np.zeros(10))
    with pytest.raises(ValueError):
        kde.fit(X, sample_weight=np.ones(9))
    assert not hasattr(kde, "bandwidth_")  # failed fits leave it unfitted
    kde.fit(X, sample_weight=np.ones(10))
    np.testing.assert_allclose(kde.score_samples(X), KernelDensity().fit(X).score_samples(X))


def test_weighted_bandwidth_cv():
    rng = np.random.RandomState(8)
    X = rng.normal(size=(80, 2))
    kde = KernelDensity(bandwidth="cv", metric="euclidean").fit(X, sample_weight=np.ones(80))
    assert kde.bandwidth_ == KernelDensity(bandwidth="cv", metric="euclidean").fit(X).bandwidth_
