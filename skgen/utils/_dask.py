"""Dask adapters: log-densities and samples of a fitted estimator, chunk by chunk.

dask-ml's :class:`~dask_ml.wrappers.ParallelPostFit` maps ``predict``,
``transform`` and ``score`` over the blocks of a Dask collection; these two
functions do the same for the generative protocol's ``score_samples`` and
``sample``, for any fitted skgen (or scikit-learn) density. Dask is imported on
first use only.
"""

import numpy as np

__all__ = ["sample_dask", "score_samples_dask"]


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The Dask adapters need dask: pip install 'skgen[dask]'."
        ) from exc
    return dask, da


def _score_block(X, estimator):
    return np.asarray(estimator.score_samples(X), dtype=np.float64)


def _score_partition(df, estimator):
    import pandas as pd

    return pd.Series(_score_block(df, estimator), index=df.index, dtype=np.float64)


def score_samples_dask(estimator, X):
    """Lazy ``estimator.score_samples(X)`` over a Dask array or DataFrame.

    Each block (partition) of rows is scored on its own by the fitted
    ``estimator`` (``map_blocks`` / ``map_partitions``), so the result equals
    the in-memory ``score_samples`` row for row while only a few blocks are in
    memory at a time. The estimator enters the task graph once.

    Parameters
    ----------
    estimator : fitted estimator
        Anything with ``score_samples`` (every skgen density, a scikit-learn
        density such as :class:`sklearn.mixture.GaussianMixture`, a pipeline).
    X : dask.array.Array of shape (n_samples, n_features) or dask.dataframe.DataFrame
        Rows to score. An array chunked along its columns is rechunked to
        whole rows first. A numpy array or a pandas DataFrame is scored in
        memory.

    Returns
    -------
    log_density : dask.array.Array of shape (n_samples,) or dask.dataframe.Series
        Not computed: call ``.compute()``, or keep composing (``.mean()``).
        One chunk (partition) per block of rows of ``X``.

    See Also
    --------
    sample_dask : samples as a Dask array, chunk by chunk.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from skgen.classical import Gaussian
    >>> from skgen.utils import score_samples_dask
    >>> X = np.random.RandomState(0).normal(size=(1000, 3))
    >>> g = Gaussian().fit(X)
    >>> lazy = score_samples_dask(g, da.from_array(X, chunks=(250, 3)))
    >>> lazy.chunks
    ((250, 250, 250, 250),)
    >>> bool(np.array_equal(lazy.compute(), g.score_samples(X)))
    True
    """
    dask, da = _import_dask()
    if not hasattr(X, "dask"):  # in memory
        return estimator.score_samples(X)
    est = dask.delayed(estimator, pure=True)
    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D Dask array, got {X.ndim} dimensions.")
        if X.numblocks[1] != 1:
            X = X.rechunk({1: -1})
        return X.map_blocks(_score_block, est, dtype=np.float64, drop_axis=1,
                            meta=np.empty((0,), dtype=np.float64))
    import pandas as pd

    return X.map_partitions(_score_partition, est,
                            meta=pd.Series(dtype=np.float64))


def _sample_chunk(estimator, n, seed):
    rng = np.random.RandomState(np.random.MT19937(seed))
    out = estimator.sample(n, random_state=rng)
    return out if hasattr(out, "columns") else np.asarray(out, dtype=np.float64)


def sample_dask(estimator, n_samples, *, chunks=100_000, random_state=None):
    """``n_samples`` rows from a fitted estimator, as a lazy Dask collection.

    The rows are drawn in chunks of ``chunks`` rows, each with its own random
    stream: :meth:`numpy.random.SeedSequence.spawn` of ``random_state`` gives
    one independent seed per chunk, so the result depends on
    ``(random_state, chunks)`` only, not on the scheduler or the order in
    which chunks run, and no chunk waits for another.

    Parameters
    ----------
    estimator : fitted estimator
        Anything with ``sample(n, random_state=...)``.
    n_samples : int
        Number of rows (at least 1).
    chunks : int, default=100_000
        Rows per chunk (the last may be shorter).
    random_state : int, numpy.random.SeedSequence or None, default=None
        Root of the per-chunk seeds; ``None`` draws fresh entropy (results
        then differ between calls, but a computed collection is fixed).

    Returns
    -------
    X_new : dask.array.Array of shape (n_samples, n_features) or dask.dataframe.DataFrame
        A Dask DataFrame when the estimator samples DataFrames (it was fit on
        one), with one partition per chunk.

    See Also
    --------
    score_samples_dask : lazy log-densities of a Dask collection.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import Gaussian
    >>> from skgen.utils import sample_dask
    >>> g = Gaussian().fit(np.random.RandomState(0).normal(size=(100, 2)))
    >>> S = sample_dask(g, 10_000, chunks=4_000, random_state=0)
    >>> S.chunks
    ((4000, 4000, 2000), (2,))
    >>> bool(np.array_equal(S.compute(), sample_dask(g, 10_000, chunks=4_000,
    ...                                              random_state=0).compute()))
    True
    """
    dask, da = _import_dask()
    n_samples, chunks = int(n_samples), int(chunks)
    if n_samples < 1 or chunks < 1:
        raise ValueError(f"n_samples and chunks must be at least 1, got {n_samples} "
                         f"and {chunks}.")
    root = (random_state if isinstance(random_state, np.random.SeedSequence)
            else np.random.SeedSequence(random_state))
    sizes = [min(chunks, n_samples - start) for start in range(0, n_samples, chunks)]
    seeds = root.spawn(len(sizes))
    est = dask.delayed(estimator, pure=True)
    parts = [dask.delayed(_sample_chunk, pure=True)(est, n, s) for n, s in zip(sizes, seeds)]
    meta = _sample_chunk(estimator, 1, np.random.SeedSequence(0))
    if hasattr(meta, "columns"):
        import dask.dataframe as dd

        return dd.from_delayed(parts, meta=meta.iloc[:0], verify_meta=False)
    d = meta.shape[1]
    return da.concatenate([da.from_delayed(p, shape=(n, d), dtype=np.float64)
                           for p, n in zip(parts, sizes)], axis=0)
