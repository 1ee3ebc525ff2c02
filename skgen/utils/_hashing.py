"""Monte Carlo noise that is a function of the row it is drawn for.

Shared by the families that score by Monte Carlo (the VAE's importance
samples, the diffusion bound and probability-flow estimate).

The diffusion bound and the probability-flow estimate average over random
noise. Drawing it from a generator would make ``score_samples`` depend on the
other rows of the batch and on the call; instead each row's noise is derived
from a hash of the row's values and a seed fixed at ``fit`` (counter-based
random numbers, as in Salmon et al., "Parallel random numbers: as easy as 1,
2, 3", 2011). A row's estimate is then a deterministic function of the row:
the same in any batch, any order, any call, and after pickling, while over
seeds it is the usual unbiased Monte Carlo estimate.
"""

import numpy as np

__all__ = ["hashed_normal", "hashed_rademacher", "hashed_uniform", "row_keys"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z):
    """SplitMix64's finalizer on a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def row_keys(X, seed):
    """One 64-bit key per row, a hash of the row's float32 bits and ``seed``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    seed : int

    Returns
    -------
    keys : ndarray of shape (n,) of uint64
    """
    with np.errstate(over="ignore"):  # beyond float32's range a row hashes as inf
        bits = np.ascontiguousarray(X, dtype=np.float32).view(np.uint32).astype(np.uint64)
    keys = _mix(np.full(bits.shape[0], np.uint64(seed % 2**64)))
    for j in range(bits.shape[1]):  # a loop over features, not rows
        keys = _mix(keys ^ bits[:, j])
    return keys


def _bits(keys, stream, counters):
    """uint64 words of shape ``(n, len(counters))`` for stream ``stream`` of each key."""
    counters = np.asarray(counters, dtype=np.uint64) + np.uint64(stream) * np.uint64(2**40)
    return _mix(_mix(keys[:, None] ^ _mix(counters)[None, :]))


def _to_unit(words):
    return ((words >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def hashed_uniform(keys, stream, size, offset=0):
    """Uniform numbers in ``(0, 1)`` of shape ``(n, size)``.

    Numbers ``offset .. offset + size - 1`` of the stream: drawing a stream in
    pieces gives the same numbers as drawing it at once.
    """
    return _to_unit(_bits(keys, stream, np.arange(offset, offset + size)))


def hashed_normal(keys, stream, size, offset=0):
    """Standard normal numbers of shape ``(n, size)`` (Box-Muller), see :func:`hashed_uniform`."""
    idx = 2 * np.arange(offset, offset + size)
    u1 = _to_unit(_bits(keys, stream, idx))
    u2 = _to_unit(_bits(keys, stream, idx + 1))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def hashed_rademacher(keys, stream, size, offset=0):
    """Random signs ``+-1`` of shape ``(n, size)``, see :func:`hashed_uniform`."""
    words = _bits(keys, stream, np.arange(offset, offset + size))
    return np.where(words >> np.uint64(63), 1.0, -1.0)
