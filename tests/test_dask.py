"""Scale: Dask adapters, Incremental over partial_fit, model selection on a LocalCluster."""

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")

from skgen.classical import Gaussian, GaussianMixture, KernelDensity  # noqa: E402
from skgen.utils import sample_dask, score_samples_dask  # noqa: E402

X_TRAIN = np.random.RandomState(0).normal(size=(300, 3)) @ [[1, 0.5, 0], [0, 1, 0], [0, 0, 2]]


@pytest.mark.parametrize("estimator", [
    Gaussian(),
    KernelDensity(bandwidth=0.4),
    GaussianMixture(n_components=3, random_state=0),
], ids=lambda e: type(e).__name__)
def test_score_samples_dask_is_lazy_and_equals_in_memory(estimator):
    est = estimator.fit(X_TRAIN)
    X = np.random.RandomState(1).normal(size=(1003, 3)) * 2
    calls = []
    original = est.score_samples

    def counting(rows):
        calls.append(len(rows))
        return original(rows)

    est.score_samples = counting  # instance attribute: travels with the estimator
    lazy = score_samples_dask(est, da.from_array(X, chunks=(250, 2)))  # split columns
    assert isinstance(lazy, da.Array) and calls == []  # nothing computed yet
    out = lazy.compute(scheduler="sync")
    assert sorted(calls) == [3, 250, 250, 250, 250]  # block by block, whole rows
    del est.score_samples
    # equal row for row (a BLAS product may round the last bit by block size)
    np.testing.assert_allclose(out, est.score_samples(X), rtol=1e-14)


def test_score_samples_dask_dataframe_keeps_the_index():
    cols = ["a", "b", "c"]
    est = Gaussian().fit(pd.DataFrame(X_TRAIN, columns=cols))
    df = pd.DataFrame(np.random.RandomState(2).normal(size=(500, 3)), columns=cols,
                      index=np.arange(500) * 2)
    ddf = dd.from_pandas(df, npartitions=4)
    lazy = score_samples_dask(est, ddf)
    assert isinstance(lazy, dd.Series)
    out = lazy.compute()
    np.testing.assert_array_equal(out.to_numpy(), est.score_samples(df))
    np.testing.assert_array_equal(out.index, df.index)


def test_sample_dask_is_reproducible_and_chunks_independent():
    est = Gaussian().fit(X_TRAIN)
    S = sample_dask(est, 10_000, chunks=3_000, random_state=42)
    assert S.chunks == ((3000, 3000, 3000, 1000), (3,))
    a = S.compute(scheduler="threads")
    np.testing.assert_array_equal(a, sample_dask(est, 10_000, chunks=3_000,
                                                 random_state=42).compute(scheduler="sync"))
    # each chunk has its own stream (SeedSequence.spawn): no chunk repeats another
    seeds = np.random.SeedSequence(42).spawn(4)
    first = est.sample(3000, random_state=np.random.RandomState(np.random.MT19937(seeds[0])))
    np.testing.assert_array_equal(a[:3000], first)
    assert not np.allclose(a[:1000], a[3000:4000])
    # the draws follow the model
    np.testing.assert_allclose(a.mean(0), est.mean_, atol=0.1)
    assert not np.array_equal(a, sample_dask(est, 10_000, chunks=3_000,
                                             random_state=43).compute())


def test_sample_dask_dataframe():
    est = Gaussian().fit(pd.DataFrame(X_TRAIN, columns=["a", "b", "c"]))
    S = sample_dask(est, 1000, chunks=400, random_state=0)
    assert isinstance(S, dd.DataFrame) and S.npartitions == 3
    out = S.compute()
    assert list(out.columns) == ["a", "b", "c"] and len(out) == 1000
    with pytest.raises(ValueError, match="at least 1"):
        sample_dask(est, 0)


def test_incremental_trains_a_gaussian_over_a_dask_array():
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X = np.random.RandomState(3).normal(size=(2000, 3)) + 5.0
    inc = wrappers.Incremental(Gaussian()).fit(da.from_array(X, chunks=(200, 3)))
    full = Gaussian().fit(X)
    assert inc.estimator_.n_samples_seen_ == 2000
    np.testing.assert_allclose(inc.estimator_.covariance_, full.covariance_, rtol=1e-10)
    np.testing.assert_allclose(inc.estimator_.mean_, full.mean_, rtol=1e-12)


def test_gridsearchcv_on_a_two_worker_local_cluster():
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config
    from sklearn.model_selection import GridSearchCV, KFold

    X = np.random.RandomState(4).normal(size=(400, 2))
    grid = {"bandwidth": np.geomspace(0.1, 1.0, 6)}
    cv = KFold(5, shuffle=True, random_state=0)
    serial = GridSearchCV(KernelDensity(), grid, cv=cv).fit(X)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert all(addr.startswith("tcp://127.0.0.1:")
                   for addr in client.scheduler_info()["workers"])
        with parallel_config(backend="dask"):
            search = GridSearchCV(KernelDensity(), grid, cv=cv, n_jobs=-1).fit(X)
    assert search.best_params_ == serial.best_params_
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               serial.cv_results_["mean_test_score"], rtol=1e-12)
