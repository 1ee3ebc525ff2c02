"""Bounded-memory iteration over rows."""

__all__ = ["gen_batches_by_memory"]


def gen_batches_by_memory(n_rows, bytes_per_row, *, max_bytes=2**27):
    """Yield slices over ``n_rows`` so each chunk uses at most ``max_bytes``.

    Parameters
    ----------
    n_rows : int
        Number of rows to cover.
    bytes_per_row : int
        Working memory one row needs (for example ``8 * n_train`` for a row of
        float64 kernel values).
    max_bytes : int, default=2**27
        Memory budget per chunk (128 MiB). At least one row per chunk.

    Yields
    ------
    slice

    Examples
    --------
    >>> from skgen.utils import gen_batches_by_memory
    >>> list(gen_batches_by_memory(5, 8, max_bytes=16))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    step = max(1, int(max_bytes // max(int(bytes_per_row), 1)))
    for start in range(0, int(n_rows), step):
        yield slice(start, min(start + step, int(n_rows)))

