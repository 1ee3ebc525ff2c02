"""The lecture's biscuit tins: images that vary only in height and width."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from ..base import _check_n_samples

__all__ = ["make_biscuit_tins", "render_biscuit_tins"]

_BODY, _LID = 0.7, 1.0


def _coverage(low, high, size):
    """Share of each unit pixel ``[i, i + 1)`` covered by ``[low, high]``.

    Parameters
    ----------
    low, high : ndarray of shape (n,)
    size : int

    Returns
    -------
    ndarray of shape (n, size), values in [0, 1]
    """
    i = np.arange(size)
    return np.clip(np.minimum(high[:, None], i + 1) - np.maximum(low[:, None], i), 0, 1)


def render_biscuit_tins(height, width, *, image_size=32):
    """Draw front views of biscuit tins with the given heights and widths.

    A tin is a grey body standing on the bottom edge, centred horizontally,
    under a brighter lid slightly wider than the body. Edges are
    anti-aliased (a pixel's value is the share of it the shape covers), so
    the images change smoothly with ``height`` and ``width``.

    Parameters
    ----------
    height, width : array-like of shape (n,)
        Sizes as fractions of the image side, in ``(0, 1]``; the height
        includes the lid.
    image_size : int, default=32
        Side of the square images, in pixels.

    Returns
    -------
    images : ndarray of shape (n, image_size * image_size)
        Flattened row-major images, pixel values in ``[0, 1]`` (0 is the
        background).

    Examples
    --------
    >>> from skgen.datasets import render_biscuit_tins
    >>> img = render_biscuit_tins([0.5], [0.5], image_size=8).reshape(8, 8)
    >>> float(img[-1, 3])   # the body, bottom row
    0.7
    >>> float(img[0, 3])    # above the tin
    0.0
    """
    h = np.asarray(height, dtype=float).ravel() * image_size
    w = np.asarray(width, dtype=float).ravel() * image_size
    s = float(image_size)
    lid = 0.1 * s
    body_cols = _coverage(s / 2 - w / 2, s / 2 + w / 2, image_size)
    lid_cols = _coverage(s / 2 - w / 2 - 0.04 * s, s / 2 + w / 2 + 0.04 * s, image_size)
    # rows are counted from the top of the image; the tin stands on the bottom
    body_rows = _coverage(s - h + lid, np.full_like(h, s), image_size)
    lid_rows = _coverage(s - h, s - h + lid, image_size)
    img = (_BODY * body_rows[:, :, None] * body_cols[:, None, :]
           + _LID * lid_rows[:, :, None] * lid_cols[:, None, :])
    return np.clip(img, 0, 1).reshape(len(h), -1)


def make_biscuit_tins(n_samples=500, *, image_size=32, height_range=(0.35, 0.9),
                      width_range=(0.3, 0.85), noise=0.0, random_state=None):
    """Grey-scale images of biscuit tins that differ only in height and width.

    The lecture's example of representation learning: each image has
    ``image_size**2`` pixels, yet two numbers describe it fully, so a 2-D latent
    space should capture it. Height and width are drawn independently and
    uniformly from their ranges.

    Parameters
    ----------
    n_samples : int, default=500
        Number of images.
    image_size : int, default=32
        Side of the square images, in pixels (at least 8).
    height_range, width_range : (float, float)
        Ranges of the tins' height and width, as fractions of the image side.
    noise : float, default=0.0
        Standard deviation of Gaussian pixel noise added before clipping to
        ``[0, 1]``; ``0`` gives noise-free images on an exact 2-D manifold.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, image_size * image_size)
        Flattened images, pixel values in ``[0, 1]``.
    factors : ndarray of shape (n_samples, 2)
        The true ``(height, width)`` of each tin, as fractions of the side.

    Examples
    --------
    >>> from skgen.datasets import make_biscuit_tins
    >>> X, factors = make_biscuit_tins(100, image_size=16, random_state=0)
    >>> X.shape, factors.shape
    ((100, 256), (100, 2))
    >>> bool(X.min() >= 0 and X.max() <= 1)
    True
    """
    n_samples = _check_n_samples(n_samples)
    if not isinstance(image_size, Integral) or image_size < 8:
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}.")
    for name, (lo, hi) in (("height_range", height_range), ("width_range", width_range)):
        if not (0 < lo <= hi <= 1):
            raise ValueError(f"{name} must satisfy 0 < low <= high <= 1, got {(lo, hi)}.")
    if not isinstance(noise, Real) or noise < 0:
        raise ValueError(f"noise must be a non-negative number, got {noise!r}.")
    rng = check_random_state(random_state)
    factors = np.column_stack([rng.uniform(*height_range, n_samples),
                               rng.uniform(*width_range, n_samples)])
    X = render_biscuit_tins(factors[:, 0], factors[:, 1], image_size=image_size)
    if noise > 0:
        X = np.clip(X + noise * rng.standard_normal(X.shape), 0, 1)
    return X, factors
