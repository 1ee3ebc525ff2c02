"""A d-dimensional histogram read as a piecewise-constant density."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseGenerative, ExactQuestionsMixin

__all__ = ["Histogram"]

# Cells of the grid: each array over the grid (counts, log-densities, bin
# probabilities) holds this many float64 at most (400 MB).
_MAX_BINS = 50_000_000

# A feature whose training values span at most this fraction of their magnitude
# is constant (up to rounding): it gets one bin of width max(1, _MIN_REL_WIDTH * |value|).
_MIN_REL_WIDTH = 1e-9


def _flat_features(low, high):
    """Features whose range is at most ``_MIN_REL_WIDTH`` times their magnitude.

    Returns
    -------
    ndarray of shape (d,) of bool
    """
    return high - low <= _MIN_REL_WIDTH * np.maximum(np.abs(low), np.abs(high))


def _widen_flat(low, high, flat):
    """One bin of width ``max(1, _MIN_REL_WIDTH * |centre|)`` around each flat feature.

    Returns
    -------
    low, high : ndarray of shape (d,)
    """
    centre = 0.5 * (low + high)
    half = 0.5 * np.maximum(1.0, _MIN_REL_WIDTH * np.abs(centre))
    return np.where(flat, centre - half, low), np.where(flat, centre + half, high)


def _scott_bins(X, low, high):
    """Number of bins per feature from Scott's multivariate rule.

    Bin width ``h_j = 3.5 sigma_j n^(-1/(d+2))`` (Scott, 1992, section 3.4).
    Features without spread get one bin.

    Returns
    -------
    ndarray of shape (d,) of int
    """
    n, d = X.shape
    h = 3.5 * X.std(axis=0) * n ** (-1.0 / (d + 2))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = np.ceil((high - low) / h)
    # capped before the cast, so that the guard sees the real (huge) count
    return np.where(np.isfinite(k) & (k >= 1), np.minimum(k, 2.0**62), 1).astype(np.int64)


def _warn_if_mostly_empty(in_empty_bin, outside, n_bins):
    """Warn when more than half the scored rows fall in empty bins (``-inf``).

    Parameters
    ----------
    in_empty_bin : ndarray of bool, shape (n,)
        Rows inside the grid whose bin is empty (log-density ``-inf``).
    outside : ndarray of bool, shape (n,)
        Rows outside the grid (also ``-inf``; ``alpha`` does not change them).
    n_bins : int
        Number of bins of the grid.
    """
    n = in_empty_bin.shape[0]
    k = int(in_empty_bin.sum())
    if not (n and k > n / 2):
        return
    n_out = int(outside.sum())
    also = (
        f" ({n_out} more lie outside the grid, where the density is zero whatever "
        "alpha; widen it with range=)" if n_out else ""
    )
    warnings.warn(
        f"{k} of {n} rows fall in empty bins of the Histogram ({n_bins:.3g} bins), so "
        f"their log-density is -inf and so is the mean score{also}. With many features "
        "almost every bin is empty: set alpha > 0 (a pseudo-count that gives every bin "
        "inside the grid a positive density), use fewer bins, or a smoother density "
        "(KernelDensity, GaussianMixture).",
        UserWarning,
        stacklevel=5,  # the caller of score_samples
    )


class Histogram(ExactQuestionsMixin, BaseGenerative):
    """Piecewise-constant density on a grid of bins.

    ``log p(x) = log(count(b) + alpha) - log(n + alpha * n_bins) - log(vol(b))``
    for the bin ``b`` holding ``x``; ``-inf`` outside the grid, and in empty
    bins when ``alpha=0``.

    Parameters
    ----------
    bins : int, sequence of int or "scott", default="scott"
        Number of bins per feature (one int for all, or one per feature).
        ``"scott"`` uses Scott's multivariate rule, width
        ``3.5 * std * n ** (-1 / (d + 2))`` per feature. The grid may hold at
        most 5e7 bins in all; more raise a ``ValueError``.
    range : sequence of (low, high) pairs or None, default=None
        Extent of the grid per feature; ``None`` uses the data's min and max.
        Points outside have density zero. With ``None``, a constant feature
        (one whose values span at most ``1e-9`` times their magnitude, so
        also one constant up to rounding) gets a single bin of width
        ``max(1, 1e-9 * |value|)`` centred on its value, whatever ``bins``.
    alpha : float, default=0.0
        Pseudo-count added to every bin (additive smoothing), so that empty
        bins inside the grid get a positive density. With ``alpha=0``,
        :meth:`score_samples` warns when more than half the rows it scores
        fall in empty bins (common beyond a few features).
    random_state : int, RandomState instance or None, default=None
        Seed for :meth:`sample`.

    Attributes
    ----------
    edges_ : list of ndarray
        Bin edges per feature.
    log_density_ : ndarray of shape (n_bins_1, ..., n_bins_d)
        Log-density in each bin.
    n_features_in_ : int
        Number of features seen during fit.
    n_samples_seen_ : int
        Rows counted by ``fit`` and the ``partial_fit`` calls since.

    Notes
    -----
    Missing values (NaN) in ``score_samples`` are marginalized exactly: a row
    scores the histogram summed over the bins of its missing features.
    :meth:`marginal` is that summed histogram (its bin probabilities include
    ``alpha``); :meth:`conditional` is the slice through the bin holding the
    observed values, renormalized. ``fit`` refuses NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import Histogram
    >>> X = np.array([[0.1], [0.2], [0.7]])
    >>> h = Histogram(bins=2, range=[(0, 1)]).fit(X)
    >>> np.exp(h.score_samples([[0.25], [0.75], [1.5]])).round(3)
    array([1.333, 0.667, 0.   ])

    Streaming, on a grid fixed by ``range`` and ``bins``:

    >>> h2 = Histogram(bins=2, range=[(0, 1)]).partial_fit(X[:2]).partial_fit(X[2:])
    >>> bool(np.array_equal(h2.log_density_, h.log_density_))
    True
    """

    _parameter_constraints = {
        "bins": [Interval(Integral, 1, None, closed="left"), "array-like",
                 StrOptions({"scott"})],
        "range": ["array-like", None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, bins="scott", range=None, alpha=0.0, random_state=None):
        self.bins = bins
        self.range = range
        self.alpha = alpha
        self.random_state = random_state

    def _fit(self, X, y):
        n, d = X.shape
        if self.range is None:
            low, high = X.min(axis=0), X.max(axis=0)
            flat = _flat_features(low, high)
            low, high = _widen_flat(low, high, flat)
        else:
            rng = np.asarray(self.range, dtype=float)
            if rng.shape != (d, 2) or np.any(rng[:, 1] <= rng[:, 0]):
                raise ValueError(
                    f"range must be {d} (low, high) pairs with low < high, got {self.range!r}."
                )
            low, high = rng[:, 0], rng[:, 1]
            flat = np.zeros(d, dtype=bool)
        if isinstance(self.bins, str):
            nbins = _scott_bins(X, low, high)
        else:
            nbins = np.broadcast_to(np.asarray(self.bins, dtype=np.int64), (d,)).copy()
            if np.any(nbins < 1):
                raise ValueError(f"bins must be positive, got {self.bins!r}.")
        nbins[flat] = 1  # no spread to split
        cells = float(np.prod(nbins.astype(float)))
        if cells > _MAX_BINS:
            raise ValueError(
                f"The grid would have {cells:.3g} bins (more than {_MAX_BINS:.0e}); use "
                "fewer bins per feature or a smoother density (KernelDensity, "
                "GaussianMixture) in high dimension."
            )
        self.edges_ = [np.linspace(lo, hi, k + 1) for lo, hi, k in zip(low, high, nbins)]
        self._counts = np.zeros(tuple(nbins))
        self.n_samples_seen_ = 0
        return self._add_counts(X)

    def partial_fit(self, X, y=None):
        """Add a chunk of rows to the counts of a grid fixed on the first call.

        The first call (on an unfitted model) fixes the grid as :meth:`fit`
        does, from ``range`` and ``bins`` or, where they are ``None`` or
        ``"scott"``, from that first chunk alone; later calls only add counts.
        Rows of later chunks outside the grid are counted in the nearest edge
        bin, as :meth:`fit` does with rows outside ``range``. So give
        ``range`` and integer ``bins`` for the model of :meth:`fit` on all
        rows (then equal to it); :class:`dask_ml.wrappers.Incremental` calls
        ``partial_fit`` once per block of a Dask collection.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A chunk of complete training rows.
        y : None
            Ignored.

        Returns
        -------
        self : Histogram
        """
        if not hasattr(self, "_counts"):
            return self._fit_with(self._fit, X, y, reset=True)
        return self._fit_with(self._partial_fit, X, y, reset=False)

    def _partial_fit(self, X, y):
        if np.isnan(X).any():
            raise ValueError("partial_fit needs complete rows (no NaN); drop incomplete "
                             "rows first.")
        return self._add_counts(X)

    def _add_counts(self, X):
        """Count the rows of ``X`` in the grid; update the density and bin probabilities."""
        d = len(self.edges_)
        shape = self._counts.shape
        idx, _ = self._bin_index(X)
        flat_idx = np.ravel_multi_index(idx, shape)
        counts = self._counts + np.bincount(
            flat_idx, minlength=self._counts.size).astype(float).reshape(shape)
        self._counts, self.n_samples_seen_ = counts, self.n_samples_seen_ + X.shape[0]
        widths = [np.diff(e) for e in self.edges_]
        log_vol = sum(np.log(w).reshape([-1 if j == i else 1 for j in range(d)])
                      for i, w in enumerate(widths))
        total = self.n_samples_seen_ + self.alpha * counts.size
        with np.errstate(divide="ignore"):
            self.log_density_ = np.log(counts + self.alpha) - np.log(total) - log_vol
        self._bin_prob = ((counts + self.alpha) / total).ravel()
        return self

    def _bin_index(self, X):
        idx, inside = [], np.ones(X.shape[0], dtype=bool)
        for j, e in enumerate(self.edges_):
            inside &= (X[:, j] >= e[0]) & (X[:, j] <= e[-1])
            i = np.searchsorted(e, X[:, j], side="right") - 1
            idx.append(np.clip(i, 0, e.size - 2))
        return tuple(idx), inside

    def _validate_X(self, X, *, reset):
        X = super()._validate_X(X, reset=reset)
        if reset and np.isnan(X).any():
            raise ValueError(
                "Input X contains NaN. Histogram marginalizes missing values in "
                "score_samples but fits on complete rows only; drop incomplete rows, or "
                "fit skgen.classical.Gaussian or GaussianMixture (EM with missing values)."
            )
        return X

    def _from_bin_probabilities(self, prob, cols):
        """A fitted Histogram over features ``cols`` with bin probabilities ``prob``."""
        out = Histogram(**{**self.get_params(), "bins": [e.size - 1 for e in
                                                         (self.edges_[c] for c in cols)]})
        out.edges_ = [self.edges_[c] for c in cols]
        d = len(cols)
        log_vol = sum(np.log(np.diff(e)).reshape([-1 if j == i else 1 for j in range(d)])
                      for i, e in enumerate(out.edges_))
        with np.errstate(divide="ignore"):
            out.log_density_ = np.log(prob) - log_vol
        out._bin_prob = prob.ravel()
        return out

    def _marginal(self, cols):
        prob = self._bin_prob.reshape(self.log_density_.shape)
        drop = tuple(j for j in range(prob.ndim) if j not in set(cols.tolist()))
        kept = [c for c in range(prob.ndim) if c not in drop]
        prob = prob.sum(axis=drop) if drop else prob
        # axes of the sum follow the kept features in increasing order
        prob = np.transpose(prob, [kept.index(c) for c in cols])
        return self._from_bin_probabilities(prob, cols)

    def _conditional(self, A, B, a):
        idx, inside = self._bin_index_of(A, a[None, :])
        prob = self._bin_prob.reshape(self.log_density_.shape)
        slicer = [slice(None)] * prob.ndim
        for j, i in zip(A, idx):
            slicer[j] = int(i[0])
        prob = prob[tuple(slicer)]
        total = prob.sum()
        if not (inside[0] and total > 0):
            raise ValueError("The given values fall outside the grid or in an empty bin, "
                             "where the density is zero: no conditional exists.")
        return self._from_bin_probabilities(prob / total, B)

    def _bin_index_of(self, features, X):
        idx, inside = [], np.ones(X.shape[0], dtype=bool)
        for col, j in enumerate(features):
            e = self.edges_[j]
            inside &= (X[:, col] >= e[0]) & (X[:, col] <= e[-1])
            i = np.searchsorted(e, X[:, col], side="right") - 1
            idx.append(np.clip(i, 0, e.size - 2))
        return tuple(idx), inside

    def _score_samples(self, X, y):
        if np.isnan(X).any():
            return self._score_missing(X)
        idx, inside = self._bin_index(X)
        out = np.where(inside, self.log_density_[idx], -np.inf)
        _warn_if_mostly_empty(inside & (out == -np.inf), ~inside, self.log_density_.size)
        return out

    def _sample(self, n_samples, rng, y):
        flat = rng.choice(self._bin_prob.size, size=n_samples, p=self._bin_prob)
        cells = np.unravel_index(flat, self.log_density_.shape)
        u = rng.uniform(size=(n_samples, len(self.edges_)))
        cols = [e[c] + u[:, j] * (e[c + 1] - e[c])
                for j, (e, c) in enumerate(zip(self.edges_, cells))]
        return np.column_stack(cols)
