"""Bounded-memory iteration over rows."""

__all__ = ["chunk_rows", "gen_batches_by_memory"]


def _budget_bytes(max_bytes):
    """``max_bytes``, or the configured ``working_memory`` (MiB) in bytes when None."""
    if max_bytes is None:
        from ..config import get_config

        return get_config()["working_memory"] * 2**20
    return max_bytes


def chunk_rows(bytes_per_row, *, max_rows=None, max_bytes=None):
    """Rows per chunk such that a chunk's working memory stays under a budget.

    Parameters
    ----------
    bytes_per_row : int
        Working memory one row needs (for example ``8 * n_train`` for a row of
        float64 kernel values).
    max_rows : int, default=None
        Upper bound on the result (for example a chunk size that keeps the
        temporaries in cache); no bound when None.
    max_bytes : int, default=None
        Memory budget per chunk in bytes. When None, the ``working_memory``
        setting of :mod:`skgen.config` (in MiB).

    Returns
    -------
    n_rows : int
        At least 1, at most ``max_rows``.

    Examples
    --------
    >>> from skgen.config import config_context
    >>> from skgen.utils import chunk_rows
    >>> chunk_rows(8, max_bytes=100)
    12
    >>> with config_context(working_memory=1):  # 1 MiB
    ...     chunk_rows(8 * 1024)
    128
    >>> chunk_rows(8, max_rows=4096)
    4096
    """
    rows = max(1, int(_budget_bytes(max_bytes) // max(int(bytes_per_row), 1)))
    return rows if max_rows is None else max(1, min(rows, int(max_rows)))


def gen_batches_by_memory(n_rows, bytes_per_row, *, max_bytes=None):
    """Yield slices over ``n_rows`` so each chunk uses at most ``max_bytes``.

    Parameters
    ----------
    n_rows : int
        Number of rows to cover.
    bytes_per_row : int
        Working memory one row needs (for example ``8 * n_train`` for a row of
        float64 kernel values).
    max_bytes : int, default=None
        Memory budget per chunk in bytes; at least one row per chunk. When
        None, the ``working_memory`` setting of :mod:`skgen.config` (in MiB,
        256 unless changed).

    Yields
    ------
    slice

    See Also
    --------
    chunk_rows : the number of rows per chunk alone.

    Examples
    --------
    >>> from skgen.utils import gen_batches_by_memory
    >>> list(gen_batches_by_memory(5, 8, max_bytes=16))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    step = chunk_rows(bytes_per_row, max_bytes=max_bytes)
    for start in range(0, int(n_rows), step):
        yield slice(start, min(start + step, int(n_rows)))
