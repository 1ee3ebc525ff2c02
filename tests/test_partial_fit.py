"""partial_fit: streaming fits equal (or close to) fit on all rows."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skgen.classical import Gaussian, Histogram, KernelDensity


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_gaussian_partial_fit_equals_fit_on_the_concatenation(covariance_type):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 4)) @ rng.normal(size=(4, 4)) + 1e3  # far from 0
    chunks = np.array_split(X, [7, 100, 101, 450, 600, 700, 800, 900, 990])
    est = Gaussian(covariance_type=covariance_type, random_state=0)
    for chunk in chunks:
        assert est.partial_fit(chunk) is est
    full = clone(est).fit(X)
    assert est.n_samples_seen_ == full.n_samples_seen_ == 1000
    np.testing.assert_allclose(est.mean_, full.mean_, rtol=1e-12)
    np.testing.assert_allclose(est.covariance_, full.covariance_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(est.score_samples(X), full.score_samples(X), rtol=1e-10)


def test_gaussian_partial_fit_continues_fit_and_checks_columns():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(300, 3))
    est = Gaussian().fit(X[:100]).partial_fit(X[100:])
    np.testing.assert_allclose(est.covariance_, Gaussian().fit(X).covariance_, rtol=1e-10)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :2])
    np.testing.assert_allclose(est.covariance_, Gaussian().fit(X).covariance_, rtol=1e-10)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    g = Gaussian().partial_fit(df.iloc[:50]).partial_fit(df.iloc[50:])
    assert list(g.sample(2, random_state=0).columns) == ["a", "b", "c"]


def test_gaussian_partial_fit_refuses_missing_values():
    X = np.random.RandomState(2).normal(size=(50, 2))
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="complete rows"):
        Gaussian().partial_fit(X).partial_fit(X_nan)
    with pytest.raises(ValueError, match="missing values"):
        Gaussian().fit(X_nan).partial_fit(X)


def test_histogram_partial_fit_equals_fit_with_a_fixed_grid():
    rng = np.random.RandomState(3)
    X = rng.uniform(size=(500, 2))
    est = Histogram(bins=[4, 5], range=[(0, 1), (0, 1)], alpha=0.5)
    for chunk in np.array_split(X, 10):
        est.partial_fit(chunk)
    full = clone(est).fit(X)
    np.testing.assert_array_equal(est.log_density_, full.log_density_)
    assert est.n_samples_seen_ == 500
    Q = rng.uniform(-0.1, 1.1, size=(50, 2))
    np.testing.assert_array_equal(est.score_samples(Q), full.score_samples(Q))


def test_histogram_partial_fit_fixes_the_grid_on_the_first_call():
    rng = np.random.RandomState(4)
    X = rng.normal(size=(400, 1))
    est = Histogram(bins=8).partial_fit(X[:200])
    edges = est.edges_[0].copy()
    est.partial_fit(X[200:] * 3)  # wider rows: counted in the edge bins
    np.testing.assert_array_equal(est.edges_[0], edges)
    assert est.n_samples_seen_ == 400
    total = np.sum(np.exp(est.log_density_) * np.diff(edges))
    assert total == pytest.approx(1.0)


def test_generative_classifier_partial_fit():
    from skgen.conditional import GenerativeClassifier

    rng = np.random.RandomState(5)
    X = rng.normal(size=(600, 2))
    y = np.where(X[:, 0] > 0.3, "b", "a")
    X[y == "b"] += 2.0
    clf = GenerativeClassifier(Gaussian())
    assert hasattr(clf, "partial_fit")
    assert not hasattr(GenerativeClassifier(KernelDensity()), "partial_fit")
    with pytest.raises(ValueError, match="classes must be passed"):
        clone(clf).partial_fit(X, y)
    for rows in np.array_split(np.arange(600), 6):
        clf.partial_fit(X[rows], y[rows], classes=["a", "b"])
    full = GenerativeClassifier(Gaussian()).fit(X, y)
    np.testing.assert_array_equal(clf.class_count_, full.class_count_)
    np.testing.assert_allclose(clf.predict_proba(X), full.predict_proba(X), rtol=1e-9)
    np.testing.assert_allclose(clf.score_samples(X), full.score_samples(X), rtol=1e-10)
    with pytest.raises(ValueError, match="not seen"):
        clf.partial_fit(X[:5], ["c"] * 5)


def test_incremental_trains_a_generative_classifier():
    pytest.importorskip("dask_ml")
    import dask.array as da
    from dask_ml.wrappers import Incremental

    from skgen.conditional import GenerativeClassifier

    rng = np.random.RandomState(6)
    X = rng.normal(size=(1000, 2))
    y = (X[:, 1] > 0).astype(int)
    inc = Incremental(GenerativeClassifier(Gaussian()))
    inc.fit(da.from_array(X, chunks=(100, 2)), da.from_array(y, chunks=100),
            classes=[0, 1])
    full = GenerativeClassifier(Gaussian()).fit(X, y)
    np.testing.assert_allclose(inc.estimator_.predict_proba(X), full.predict_proba(X),
                               rtol=1e-9)
