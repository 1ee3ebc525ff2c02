"""Kernel density estimation: exact log-densities in bounded memory, six kernels."""

import math
import warnings
from functools import partial
from numbers import Real

import numpy as np
from scipy.special import gammaln
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

from ..base import BaseGenerative, ExactQuestionsMixin
from ..utils import chunk_rows, gen_batches_by_memory

__all__ = ["KernelDensity"]

KERNELS = ("gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine")

# Kernels with unbounded support: summed in log space (log-sum-exp).
_INFINITE_SUPPORT = ("gaussian", "exponential")

# Blocks of query rows x training rows evaluated at once: at most 512K float64
# (4 MiB), small enough to stay in cache, big enough that Python overhead is
# negligible. With fewer training rows a block holds more query rows. A smaller
# working_memory (skgen.config) shrinks the blocks further.
_QUERY_CHUNK = 256
_TRAIN_CHUNK = 2048
# float64 arrays of a block's size alive at once while scoring (the product
# buffer, the kernel values and their weighted or shifted copies).
_BLOCK_COPIES = 4

# A row whose plain kernel sum falls below this is recomputed with a running
# maximum (log-sum-exp), so that it never underflows.
_UNDERFLOW = 1e-280

# Rows whose worst-case rounding-error bound exceeds _RTOL * max(1, |log p|)
# are recomputed from directly computed distances.
_RTOL = 1e-11

# For kernels of the distance r (not r^2), pairs with r^2 below this (in units of
# the bandwidth) get their distance recomputed from differences: sqrt amplifies
# the absolute error of a tiny squared distance.
_FIX_SQ_DIST = 1e-2

_EPS = np.finfo(np.float64).eps


# --------------------------------------------------------------- normalization
def _log_ball_volume(d):
    """Log volume of the unit ball in ``d`` dimensions."""
    return 0.5 * d * math.log(math.pi) - gammaln(0.5 * d + 1)


def _log_sphere_area(d):
    """Log surface area of the unit sphere in ``d`` dimensions (``S^{d-1}``)."""
    return math.log(2.0) + 0.5 * d * math.log(math.pi) - gammaln(0.5 * d)


def _cosine_radial_integral(d):
    """``int_0^1 r^(d-1) cos(pi r / 2) dr``, accurate for every ``d >= 1``.

    With ``t = 1 - r`` the integrand is ``(1-t)^(d-1) sin(pi t / 2)``; expanding
    the sine gives ``sum_k (-1)^k a^(2k+1) Gamma(d) / Gamma(d+2k+2)``, ``a = pi/2``,
    whose terms shrink at least as fast as ``a^2 / ((d+2k+2)(d+2k+3))``.
    """
    a = 0.5 * math.pi
    term = a / (d * (d + 1.0))
    total, k = 0.0, 0
    while abs(term) > 1e-18 * abs(total) or k == 0:
        total += term
        term *= -a * a / ((d + 2 * k + 2.0) * (d + 2 * k + 3.0))
        k += 1
    return total


def _log_kernel_norm(kernel, d):
    """Log of ``int K(|u|) du`` over ``R^d`` for the unit-bandwidth kernel.

    The unnormalized kernels are those of :class:`sklearn.neighbors.KernelDensity`
    (``r`` is the distance in bandwidths): gaussian ``exp(-r^2/2)``, tophat
    ``1[r<1]``, epanechnikov ``(1-r^2) 1[r<1]``, exponential ``exp(-r)``, linear
    ``(1-r) 1[r<1]``, cosine ``cos(pi r/2) 1[r<1]``.

    Parameters
    ----------
    kernel : str
    d : int

    Returns
    -------
    float
    """
    if kernel == "gaussian":
        return 0.5 * d * math.log(2 * math.pi)
    if kernel == "tophat":
        return _log_ball_volume(d)
    if kernel == "epanechnikov":
        return _log_ball_volume(d) + math.log(2.0 / (d + 2.0))
    if kernel == "exponential":
        return _log_sphere_area(d) + gammaln(d)
    if kernel == "linear":
        return _log_ball_volume(d) - math.log(d + 1.0)
    if kernel == "cosine":
        return _log_sphere_area(d) + math.log(_cosine_radial_integral(d))
    raise ValueError(f"Unknown kernel {kernel!r}.")  # pragma: no cover


# Bound on |error in the summed term| per unit error of M = -r^2/2 (see
# ``_score_block_rows``): gaussian log-kernel is M; exponential -sqrt(-2M) once
# pairs closer than sqrt(_FIX_SQ_DIST) are recomputed; compact kernels bound
# the absolute error of the kernel value, which is in [0, 1]. The tophat's
# indicator has no such bound (an error in M can move a pair across r = 1), so
# its rows are checked as the gaussian's are.
_ERROR_GAIN = {
    "gaussian": 1.0,
    "exponential": 2.0 / math.sqrt(_FIX_SQ_DIST),
    "tophat": 1.0,
    "epanechnikov": 2.0,
    "linear": 2.0 / math.sqrt(_FIX_SQ_DIST),
    "cosine": math.pi**2 / 4,
}


# ---------------------------------------------------- kernels on a torch block
def _kernel_values(M, kernel, torch):
    """Kernel values (compact kernels) or log-kernel values (others) of a block.

    Parameters
    ----------
    M : torch.Tensor of shape (n_query, n_train)
        ``-r^2 / 2``, ``r`` the distance in bandwidths; overwritten.
    kernel : str

    Returns
    -------
    torch.Tensor of shape (n_query, n_train)
        ``log K(r)`` for gaussian and exponential, ``K(r)`` otherwise.
    """
    if kernel == "gaussian":
        return M
    if kernel == "tophat":
        return M > -0.5  # booleans sum to counts
    if kernel == "epanechnikov":
        return M.mul_(2.0).add_(1.0).clamp_(min=0.0)
    if kernel == "cosine":
        inside = M > -0.5
        r = M.mul_(-2.0).clamp_(0.0, 1.0).sqrt_()
        return r.mul_(0.5 * math.pi).cos_().mul_(inside)
    r = M.mul_(-2.0).clamp_(min=0.0).sqrt_()
    if kernel == "exponential":
        return r.neg_()
    return r.neg_().add_(1.0).clamp_(min=0.0)  # linear


def _fix_close_pairs(M, q, t, torch, max_pairs=2**16):
    """Recompute ``M = -r^2/2`` from differences where ``r^2 < _FIX_SQ_DIST``.

    Parameters
    ----------
    M : torch.Tensor of shape (n_query, n_train), modified in place.
    q : torch.Tensor of shape (n_query, d)
    t : torch.Tensor of shape (n_train, d)
    """
    rows, cols = torch.nonzero(M > -0.5 * _FIX_SQ_DIST, as_tuple=True)
    for start in range(0, rows.numel(), max_pairs):
        r, c = rows[start : start + max_pairs], cols[start : start + max_pairs]
        diff = q[r] - t[c]
        M[r, c] = -0.5 * (diff * diff).sum(1)


def _tensor(torch, array):
    """``torch.from_numpy`` without torch's warning on a read-only array.

    Arrays that reach the scorer may be read-only (``X.setflags(write=False)``,
    a memory map, the training set of a model loaded from disk); torch shares
    memory only with writable arrays, so those are copied.
    """
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(array)


class _Scorer:
    """Chunked exact KDE evaluation on torch float64 tensors.

    Coordinates are centred on the training mean and divided by the
    bandwidth; ``M = -r^2/2`` of a block comes from one matrix product of the
    augmented rows ``[q, -|q|^2/2, 1]`` and ``[t, 1, -|t|^2/2]``.
    """

    def __init__(self, est, torch):
        self.torch = torch
        self.kernel = est.kernel
        self.h = est.bandwidth_
        self.center = est._center
        self.X_raw = _tensor(torch, est._fit_Z)  # rows in the metric's coordinates
        self.T = _tensor(torch, est._fit_aug)  # (n, d + 2)
        self.d = est._fit_Z.shape[1]
        self.b_max = est._sq_norm_max
        self.fix = self.kernel in ("exponential", "linear")
        weights = getattr(est, "_fit_weights", None)
        self.w = None if weights is None else torch.from_numpy(weights)
        self.log_w = None if weights is None else torch.from_numpy(np.log(weights))
        self.log_total = math.log(self.T.shape[0] if weights is None else weights.sum())
        # entries per block: the cache-sized default, or fewer within the budget
        block = chunk_rows(8 * _BLOCK_COPIES, max_rows=_QUERY_CHUNK * _TRAIN_CHUNK)
        self.train_chunk = min(_TRAIN_CHUNK, block)
        self.query_chunk = max(min(_QUERY_CHUNK, block // self.train_chunk),
                               block // min(self.T.shape[0], self.train_chunk))
        self.buffer = torch.empty(block, dtype=torch.float64)

    def augment(self, X):
        torch = self.torch
        Q = _tensor(torch, (X - self.center) / self.h)
        a = (Q * Q).sum(1, keepdim=True)
        return torch.cat([Q, -0.5 * a, torch.ones_like(a)], 1), a[:, 0]

    def blocks(self, q, direct_rows=None):
        """Yield the kernel values (log-kernel values for unbounded kernels) of
        the query rows against each chunk of training rows.

        ``q`` are augmented query rows; with ``direct_rows`` (raw query
        coordinates) distances are computed from differences instead.
        """
        torch, d, step = self.torch, self.d, self.train_chunk
        for j in range(0, self.T.shape[0], step):
            t = self.T[j : j + step]
            if direct_rows is None:
                M = self.buffer[: q.shape[0] * t.shape[0]].view(q.shape[0], t.shape[0])
                torch.mm(q, t.T, out=M)
                if self.fix:
                    _fix_close_pairs(M, q[:, :d], t[:, :d], torch)
            else:  # distances from differences of the raw coordinates
                dist = torch.cdist(
                    direct_rows,
                    self.X_raw[j : j + step],
                    compute_mode="donot_use_mm_for_euclid_dist",
                )
                M = dist.div_(self.h).square_().mul_(-0.5)
            vals = _kernel_values(M, self.kernel, torch)
            if self.w is not None:  # weighted sum: log w added, or w multiplied
                if self.kernel in _INFINITE_SUPPORT:
                    vals = vals.add_(self.log_w[j : j + step])
                else:
                    vals = vals * self.w[j : j + step]
            yield vals

    def log_sum_fast(self, q):
        """``log sum_j K`` per row by plain summation (may underflow)."""
        torch = self.torch
        total = torch.zeros(q.shape[0], dtype=torch.float64)
        for vals in self.blocks(q):
            if self.kernel in _INFINITE_SUPPORT:
                vals = vals.exp_()
            total += vals.sum(1)
        return total.log_()

    def log_sum_careful(self, q, direct_rows=None):
        """``log sum_j K`` per row with a running maximum (never underflows)."""
        torch = self.torch
        n = q.shape[0] if direct_rows is None else direct_rows.shape[0]
        if self.kernel not in _INFINITE_SUPPORT:
            total = torch.zeros(n, dtype=torch.float64)
            for vals in self.blocks(q, direct_rows):
                total += vals.sum(1)
            return total.log_()
        run_max = torch.full((n,), -math.inf, dtype=torch.float64)
        run_sum = torch.zeros(n, dtype=torch.float64)
        for vals in self.blocks(q, direct_rows):
            block_max = vals.amax(1)
            block_max = torch.where(block_max > -math.inf, block_max, 0.0)
            block_sum = vals.sub_(block_max[:, None]).exp_().sum(1)
            new_max = torch.maximum(run_max, block_max)
            run_sum = run_sum * torch.exp(run_max - new_max) + block_sum * torch.exp(
                block_max - new_max
            )
            run_max = new_max
        return run_sum.log_() + run_max

    def score(self, X):
        torch = self.torch
        offset = (
            _log_kernel_norm(self.kernel, self.d)
            + self.d * math.log(self.h)
            + self.log_total
        )
        gain = _ERROR_GAIN[self.kernel]
        out = np.empty(X.shape[0])
        for i in range(0, X.shape[0], self.query_chunk):
            rows = slice(i, i + self.query_chunk)
            q, a = self.augment(X[rows])
            log_sum = self.log_sum_fast(q)
            if self.kernel in _INFINITE_SUPPORT:
                low = log_sum < math.log(_UNDERFLOW)
                if bool(low.any()):
                    log_sum[low] = self.log_sum_careful(q[low])
            log_p = log_sum - offset
            # Worst-case rounding error of M from the expanded product, against
            # |log p| where it is finite: an infinite log p (an overflowed or
            # underflowed sum) is only trusted when the error bound is tiny.
            err = gain * (self.d + 4) * _EPS * (a + self.b_max)
            size = torch.where(torch.isfinite(log_p), log_p.abs(), 0.0).clamp_(min=1.0)
            bad = ~(err <= _RTOL * size)  # NaN: bad
            if bool(bad.any()):
                raw = _tensor(torch, np.ascontiguousarray(X[rows]))[bad]
                log_p[bad] = self.log_sum_careful(q[bad], direct_rows=raw) - offset
            out[rows] = log_p.numpy()
        return out


# ------------------------------------------------------------------- sampling
def _sample_radius(kernel, d, n, rng):
    """Distances (in bandwidths) of kernel draws: density ``r^(d-1) K(r)``.

    Returns
    -------
    ndarray of shape (n,)
    """
    if kernel == "tophat":
        return rng.uniform(size=n) ** (1.0 / d)
    if kernel == "epanechnikov":  # r^2 ~ Beta(d/2, 2)
        return np.sqrt(rng.beta(0.5 * d, 2.0, size=n))
    if kernel == "exponential":
        return rng.gamma(d, size=n)
    if kernel == "linear":
        return rng.beta(d, 2.0, size=n)
    if kernel == "cosine":
        # Rejection from Beta(d, 2) ~ r^(d-1) (1-r): cos(pi r/2) <= (pi/2)(1-r),
        # accepted with probability sinc((1-r)/2) >= 2/pi.
        out = np.empty(0)
        while out.size < n:
            m = int(1.6 * (n - out.size)) + 8
            r = rng.beta(d, 2.0, size=m)
            keep = rng.uniform(size=m) < np.sinc(0.5 * (1.0 - r))
            out = np.concatenate([out, r[keep]])
        return out[:n]
    raise ValueError(f"Unknown kernel {kernel!r}.")  # pragma: no cover


def _kernel_coordinate_variance(kernel, d):
    """Variance along one coordinate of the unit-bandwidth kernel in ``d`` dimensions.

    ``E[r^2] / d`` for the radial law with density proportional to
    ``r^(d-1) K(r)``.

    Returns
    -------
    float
    """
    if kernel == "gaussian":
        return 1.0
    if kernel == "tophat":
        return 1.0 / (d + 2)
    if kernel == "epanechnikov":
        return 1.0 / (d + 4)
    if kernel == "exponential":
        return float(d + 1)
    if kernel == "linear":
        return (d + 1) / ((d + 2) * (d + 3))
    from scipy.integrate import quad

    num = quad(lambda r: r ** (d + 1) * np.cos(np.pi * r / 2), 0, 1)[0]
    den = quad(lambda r: r ** (d - 1) * np.cos(np.pi * r / 2), 0, 1)[0]
    return num / den / d


# ------------------------------------------------------------------ metrics
METRICS = ("euclidean", "standardized", "whitened")


def _feature_scales(X, w=None):
    """Per-feature standard deviations, and which features are constant.

    A feature counts as constant as in :class:`sklearn.preprocessing.StandardScaler`:
    its variance is below the rounding error of computing it; its scale is 1.
    With frequency weights ``w`` the statistics are those of the rows repeated.

    Returns
    -------
    scale : ndarray of shape (d,)
    constant : ndarray of shape (d,) of bool
    """
    n = X.shape[0] if w is None else float(np.sum(w))
    mean = np.average(X, axis=0, weights=w)
    var = np.average((X - mean) ** 2, axis=0, weights=w)
    constant = ~(var > n * _EPS * var + (n * mean * _EPS) ** 2)
    return np.where(constant, 1.0, np.sqrt(var)), constant


def _metric_map(X, metric, w=None):
    """The linear map ``z = x @ A`` under which ``metric`` is the Euclidean distance.

    Constant features keep scale 1 (the units of ``X``) and, for
    ``"whitened"``, no correlation with the others.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Training data.
    metric : {"euclidean", "standardized", "whitened"}
    w : ndarray of shape (n,) or None
        Frequency weights of the rows.

    Returns
    -------
    back : None, ndarray of shape (d,) or ndarray of shape (d, d)
        ``x = z * back`` (a per-feature scale) or ``x = z @ back`` (``back``
        upper triangular); ``None`` for the identity. ``back.T @ back`` is the
        covariance the metric whitens.
    """
    if metric == "euclidean":
        return None
    scale, constant = _feature_scales(X, w)
    if metric == "standardized":
        return scale
    corr = np.atleast_2d(np.cov(X / scale, rowvar=False, bias=True, aweights=w))
    corr[constant, :] = 0.0
    corr[:, constant] = 0.0
    corr[constant, constant] = 1.0
    eig = np.linalg.eigvalsh(corr)
    if not eig[0] > 1e-10 * eig[-1]:
        n, d = X.shape
        fewer = f" (n_samples={n} <= n_features={d})" if n <= d else ""
        raise ValueError(
            "metric='whitened' needs a covariance of full rank, but the features of X "
            f"are (nearly) linearly dependent{fewer}: a feature is a combination of "
            "others. Use metric='standardized' (or 'euclidean'), or drop the redundant "
            "features."
        )
    chol = np.linalg.cholesky(corr)  # corr = L L^T
    return chol.T * scale  # x = z @ (L^T diag(scale))


def _to_metric(X, back):
    """Coordinates in which the metric is Euclidean: ``X @ back^-1``."""
    if back is None:
        return X
    if back.ndim == 1:
        return X / back
    # z = x @ back^-1, i.e. back^T z^T = x^T, with back upper triangular
    from scipy.linalg import solve_triangular

    return np.ascontiguousarray(solve_triangular(back, X.T, trans="T", lower=False).T)


def _from_metric(Z, back):
    """Back to the units of the data: ``Z @ back``."""
    if back is None:
        return Z
    if back.ndim == 1:
        return Z * back
    return Z @ back


def _log_abs_det(back):
    """``log |det back|``: the log-volume of a unit cell of the metric."""
    if back is None:
        return 0.0
    diag = back if back.ndim == 1 else np.diag(back)
    return float(np.sum(np.log(np.abs(diag))))


def _weighted_percentile(X, q, w):
    """``np.percentile(X, q, axis=0)`` (linear method) of rows repeated ``w`` times.

    Exact for integer ``w``; for other weights the same rule on the cumulative
    weights.

    Returns
    -------
    ndarray of shape (len(q), d)
    """
    if w is None:
        return np.percentile(X, q, axis=0)
    order = np.argsort(X, axis=0, kind="stable")
    out = np.empty((len(q), X.shape[1]))
    for j in range(X.shape[1]):
        v, c = X[order[:, j], j], np.cumsum(w[order[:, j]])
        for k, p in enumerate(q):
            pos = p / 100.0 * (c[-1] - 1.0)
            lo = np.floor(pos)
            i0 = min(np.searchsorted(c, lo, side="right"), v.size - 1)
            i1 = min(np.searchsorted(c, lo + 1.0, side="right"), v.size - 1)
            out[k, j] = v[i0] + (pos - lo) * (v[i1] - v[i0])
    return out


def _rule_of_thumb_bandwidth(X, rule, kernel, w=None):
    """Scott's or Silverman's bandwidth for an isotropic kernel on raw data.

    The Gaussian-kernel rule ``h = factor * sigma`` with
    ``factor = n^(-1/(d+4))`` (Scott) or ``(n (d+2) / 4)^(-1/(d+4))``
    (Silverman), ``sigma`` the geometric mean of the per-feature spreads
    (standard deviations; Silverman uses ``min(std, IQR / 1.349)``), then
    rescaled so that every kernel has the Gaussian rule's per-coordinate
    variance.

    Returns
    -------
    float
    """
    n, d = X.shape
    if w is not None:  # frequency weights: the rows repeated
        n = float(np.sum(w))
    mean = np.average(X, axis=0, weights=w)
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=w))
    if rule == "scott":
        factor = n ** (-1.0 / (d + 4))
        spread = std
    else:
        factor = (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))
        q75, q25 = _weighted_percentile(X, [75, 25], w)
        iqr = (q75 - q25) / 1.349
        spread = np.where(iqr > 0, np.minimum(std, iqr), std)
    spread = spread[spread > 0]
    sigma = float(np.exp(np.mean(np.log(spread)))) if spread.size else 1.0
    return factor * sigma / np.sqrt(_kernel_coordinate_variance(kernel, d))


def _sample_kernel(kernel, d, n, rng):
    """``n`` draws from the unit-bandwidth kernel in ``d`` dimensions.

    Returns
    -------
    ndarray of shape (n, d)
    """
    z = rng.standard_normal(size=(n, d))
    if kernel == "gaussian":
        return z
    norms = np.sqrt(np.einsum("ij,ij->i", z, z))
    norms[norms == 0] = 1.0  # probability zero; keeps the direction finite
    return z * (_sample_radius(kernel, d, n, rng) / norms)[:, None]


# ------------------------------------------------ cross-validated bandwidth
#: Candidates of ``bandwidth="cv"``: multiples of Scott's rule.
_CV_FACTORS = np.geomspace(1.0 / 16.0, 2.0, 20)
_CV_FOLDS = 5
# Working memory of one block of squared distances and its kernel values.
_CV_MAX_BYTES = 2**26


def _kfold_index(n, n_splits=_CV_FOLDS):
    """Fold of each row: ``KFold(n_splits, shuffle=True, random_state=0)``.

    Returns
    -------
    ndarray of shape (n,) of int
    """
    from sklearn.model_selection import KFold

    fold = np.empty(n, dtype=np.int64)
    for k, (_, test) in enumerate(KFold(n_splits, shuffle=True, random_state=0).split(
            np.empty((n, 1)))):
        fold[test] = k
    return fold


def _block_kernel(D2, h, kernel, buf, torch):
    """Kernel values ``K(r / h)`` of a block of squared distances ``D2``.

    Parameters
    ----------
    D2 : torch.Tensor of shape (m, p)
    h : float
    buf : torch.Tensor of shape (m, p), overwritten (and possibly returned)

    Returns
    -------
    torch.Tensor of shape (m, p)
    """
    vals = _kernel_values(torch.mul(D2, -0.5 / h**2, out=buf), kernel, torch)
    if kernel in _INFINITE_SUPPORT:
        return vals.exp_()
    return vals.to(torch.float64) if vals.dtype == torch.bool else vals


def _cv_log_likelihoods(Z, grid, kernel, fold, w=None, *, max_bytes=_CV_MAX_BYTES):
    """Mean held-out log-density of each candidate bandwidth by K-fold CV.

    Row ``i`` of fold ``a`` is scored by the KDE of the rows of the other
    folds. Squared distances are computed once per pair of folds ``(a, b)``,
    ``a < b``, in blocks of at most ``max_bytes``, and serve every bandwidth
    and both directions (rows of ``a`` held out against ``b``, and those of
    ``b`` against ``a``). Sums that underflow (far rows, small bandwidths) are
    recomputed in log space.

    Parameters
    ----------
    Z : ndarray of shape (n, d)
        Rows in the metric's coordinates.
    grid : ndarray of shape (m,)
        Candidate bandwidths.
    kernel : str
    fold : ndarray of shape (n,) of int
        Fold of each row, ``0 .. k-1``.
    w : ndarray of shape (n,) or None
        Positive row weights (a weighted KDE, scored by a weighted mean).

    Returns
    -------
    ndarray of shape (m,)
        Per candidate, the mean over folds of the (weighted) mean held-out
        log-density of the fold's rows.
    """
    import torch

    n, d = Z.shape
    grid = np.asarray(grid, dtype=np.float64)
    k = int(fold.max()) + 1
    order = np.argsort(fold, kind="stable")
    fold = fold[order]
    bounds = np.searchsorted(fold, np.arange(k + 1))
    T = torch.from_numpy(np.ascontiguousarray(Z[order] - Z.mean(axis=0)))
    sq = (T * T).sum(1)
    w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)[order]
    W = torch.from_numpy(np.ascontiguousarray(w))
    S = torch.zeros((grid.size, n), dtype=torch.float64)  # kernel sums per row
    for a in range(k):
        for b in range(a + 1, k):
            cols = slice(int(bounds[b]), int(bounds[b + 1]))
            width = cols.stop - cols.start
            for r in gen_batches_by_memory(bounds[a + 1] - bounds[a], 16 * width,
                                           max_bytes=max_bytes):
                rows = slice(int(bounds[a]) + r.start, int(bounds[a]) + r.stop)
                D2 = torch.mm(T[rows], T[cols].T).mul_(-2.0)
                D2.add_(sq[rows, None]).add_(sq[None, cols]).clamp_(min=0.0)
                buf = torch.empty_like(D2)
                for g, h in enumerate(grid):
                    K = _block_kernel(D2, float(h), kernel, buf, torch)
                    S[g, rows] += torch.mv(K, W[cols])
                    S[g, cols] += torch.mv(K.T, W[rows])
    with np.errstate(divide="ignore"):
        log_S = np.log(S.numpy())
    if kernel in _INFINITE_SUPPORT:  # underflowed sums: log-sum-exp where they did
        low = (S < _UNDERFLOW).numpy()  # (m, n): only these pairs are recomputed
        for f in range(k):
            idx = np.flatnonzero(low.any(0) & (fold == f))
            train = torch.from_numpy(np.flatnonzero(fold != f))
            for r in gen_batches_by_memory(idx.size, 16 * train.numel(), max_bytes=max_bytes):
                rows = idx[r]
                D2 = torch.cdist(T[rows], T[train]).square_()
                for g, h in enumerate(grid):
                    sel = low[g, rows]
                    if not sel.any():
                        continue
                    M = _kernel_values(D2[torch.from_numpy(sel)].mul_(-0.5 / h**2),
                                       kernel, torch)
                    top = M.amax(1, keepdim=True)
                    total = torch.mv(M.sub_(top).exp_(), W[train])
                    log_S[g, rows[sel]] = (total.log_() + top[:, 0]).numpy()
    fold_weight = np.bincount(fold, weights=w, minlength=k)
    log_p = (log_S - np.log(fold_weight.sum() - fold_weight)[fold]
             - _log_kernel_norm(kernel, d) - d * np.log(grid)[:, None])
    wl = np.where(np.isneginf(log_p), -np.inf, log_p * w)  # no 0 * inf
    per_fold = np.stack([wl[:, fold == f].sum(1) for f in range(k)], 1) / fold_weight
    return per_fold.mean(1)


class KernelDensity(ExactQuestionsMixin, BaseGenerative):
    """Kernel density estimate with exact, underflow-free log-densities.

    The density is ``p(x) = 1/(n |H|^(1/2)) sum_i K(|H^(-1/2) (x - x_i)|)``,
    ``K`` a normalized kernel and ``H = h^2 S`` the bandwidth matrix: a
    mixture of one kernel bump per training row, of width ``h`` in the
    ``metric`` that ``S`` defines (``S = I`` for ``metric="euclidean"``, the
    one density of :class:`sklearn.neighbors.KernelDensity`). Kernels and
    bandwidth rules are those of scikit-learn, so with
    ``metric="euclidean"`` and the same bandwidth both define the same density
    (except scikit-learn's cosine kernel in even dimensions, see Notes); skgen
    differs in how it is computed and what it returns:

    - :meth:`score_samples` sums over every training row (no tree, no
      tolerance), in chunks of bounded memory, and in log space where
      needed: points far from all data get a finite, correct log-density
      with the gaussian and exponential kernels instead of ``-inf``.
      Compact kernels give ``-inf`` exactly outside their support.
    - :meth:`sample` works for all six kernels.
    - :meth:`score` is the mean log-likelihood, not the sum.
    - By default the kernels follow the shape of the data
      (``metric="whitened"``, as :func:`scipy.stats.gaussian_kde` does), so
      raw features of different units need no scaling first.

    Parameters
    ----------
    bandwidth : float, {"scott", "silverman", "cv"} or array-like, default="scott"
        Kernel width ``h`` (> 0) in the units of ``metric`` (for
        ``"euclidean"`` the units of ``X``; for ``"standardized"`` and
        ``"whitened"`` standard deviations, like the factor ``bw_method`` of
        :func:`scipy.stats.gaussian_kde`), or a rule of thumb resolved at
        ``fit`` into ``bandwidth_``. ``"scott"`` gives
        ``n ** (-1 / (d + 4)) * sigma`` and ``"silverman"``
        ``(n * (d + 2) / 4) ** (-1 / (d + 4)) * sigma``, where ``sigma`` is the
        geometric mean of the features' standard deviations in the metric's
        coordinates (Silverman: ``min(std, IQR / 1.349)``; ``sigma = 1`` for
        Scott's rule in the standardized and whitened metrics), divided by the
        kernel's per-coordinate standard deviation so that every kernel is as
        wide as the Gaussian rule's. Unlike scikit-learn, whose rules omit
        ``sigma`` and assume standardized features, the rules follow the scale
        of the data. ``"cv"`` picks, of 20 multiples of Scott's rule from 1/16
        to 2 (geometric), the one with the best mean held-out log-likelihood
        in 5-fold cross-validation (``KFold(5, shuffle=True,
        random_state=0)``, in the metric fixed from all rows); an array of
        candidate bandwidths is cross-validated the same way. The choice is
        that of :class:`~sklearn.model_selection.GridSearchCV` over the same
        candidates and folds, many times faster: squared distances are
        computed once per pair of folds, in blocks of bounded memory, and
        serve every candidate (see ``cv_scores_``).
    kernel : {"gaussian", "tophat", "epanechnikov", "exponential", "linear", \
"cosine"}, default="gaussian"
        Kernel shape as a function of the distance ``r`` in bandwidths:
        ``exp(-r^2/2)``, ``1``, ``1 - r^2``, ``exp(-r)``, ``1 - r``,
        ``cos(pi r / 2)``; the compact ones are zero for ``r >= 1``.
    metric : {"whitened", "standardized", "euclidean"}, default="whitened"
        How distances between rows are measured, fixed at ``fit`` from the
        training data:

        - ``"whitened"``: the Mahalanobis distance of the training covariance
          (divided by ``n``): ``S`` is that covariance, as in
          :func:`scipy.stats.gaussian_kde`. Needs a covariance of full rank;
          linearly dependent features (or ``n_samples <= n_features``) raise a
          ``ValueError`` that suggests ``"standardized"``.
        - ``"standardized"``: each feature divided by its standard deviation
          (a diagonal ``S``), the same as a ``StandardScaler`` in front.
        - ``"euclidean"``: distances in the units of ``X`` (``S = I``), as
          :class:`sklearn.neighbors.KernelDensity`; only sensible when the
          features share one scale.

        Constant features keep scale 1 (the units of ``X``) in every metric.
        The default measured best: in 5-fold cross-validation (Scott's rule,
        mean held-out log-likelihood per row) on raw tables it scored wine
        -19.4 (standardized -19.8, euclidean -168), iris -2.3 (-3.2, -3.0),
        breast cancer 29.5 (7.3, -67354) and diabetes 20.5 (18.0, 18.0), and
        tied the others on 2-D data (``make_world_map``, ``make_banana``,
        ``make_two_spirals``).
    random_state : int, RandomState instance or None, default=None
        Seed for :meth:`sample`.

    Attributes
    ----------
    bandwidth_ : float
        The bandwidth used, ``h``: ``bandwidth``, or the value of its rule,
        in the units of ``metric``.
    cv_bandwidths_ : ndarray of shape (n_candidates,)
        The candidates of ``bandwidth="cv"`` (or the array given), only then.
    cv_scores_ : ndarray of shape (n_candidates,)
        Their mean held-out log-likelihood per row (mean over folds), in the
        units of ``X``.
    bandwidth_matrix_ : ndarray of shape (n_features, n_features)
        ``H = bandwidth_ ** 2 * S`` in the units of ``X``: the covariance of
        each bump for the gaussian kernel.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    sklearn.neighbors.KernelDensity : the tree-based estimator with the same
        kernels (``metric="euclidean"``).
    scipy.stats.gaussian_kde : the gaussian kernel with ``metric="whitened"``
        (its covariance is divided by ``n - 1``).
    skgen.classical.GaussianMixture : a mixture with few, fitted components.

    Notes
    -----
    Scoring costs ``O(n_query * n_train * d)`` time and a fixed few MiB of
    memory. It runs on torch (CPU, float64) in the metric's coordinates
    (``z = x S^(-1/2)``, the log-density corrected by ``-log |S|^(1/2)``): a
    block of squared distances is one matrix product of centred,
    bandwidth-scaled data, then one pass of the kernel. Results are exact to
    rounding: rows whose rounding-error bound is not small relative to
    ``|log p|`` (data far from their mean in bandwidth units; any row whose
    sum overflows or underflows to an infinite log-density) and distances
    below a tenth of a bandwidth for the ``exponential`` and ``linear``
    kernels are recomputed from coordinate differences, and rows whose plain
    kernel sum underflows are recomputed with a running maximum.

    ``fit`` keeps a copy of the training rows: changing ``X`` afterwards does
    not change the model.

    scikit-learn's cosine kernel normalization is wrong in even dimensions
    (its density does not integrate to 1 there); skgen's is the exact one,
    and agrees with scikit-learn's in odd dimensions.

    Sampling draws a training row uniformly, then adds ``h`` times a draw from
    the kernel mapped back by ``S^(1/2)``: a direction uniform on the sphere
    and a radius with density ``r^(d-1) K(r)`` (a Beta or Gamma variable, or
    rejection for the cosine).

    Missing values, marginals and conditionals are exact for the gaussian
    kernel only, in every ``metric``: each bump is then the Gaussian
    ``N(x_i, H)``, whose marginal on kept features is ``N(x_iA, H_AA)`` and
    whose conditional is a Gaussian (Schur complement). ``H_AA`` is the
    bandwidth matrix a KDE fitted on the kept features alone would have with
    the same ``bandwidth_`` (the metric's covariance restricted to them), so
    :meth:`marginal` is that KDE (``bandwidth=bandwidth_``; a rule of thumb
    would pick another width in fewer dimensions). ``score_samples`` with NaN
    scores each row by the marginal of its observed features; ``fit`` refuses
    NaN. :meth:`conditional` is a full-covariance
    :class:`~skgen.classical.GaussianMixture`: one bump per training row,
    reweighted by the density of the observed values. The other kernels are
    radial functions of the distance in the metric: a marginal of a radial
    kernel other than the Gaussian is not a kernel of the same shape (a
    uniform ball's marginal is not uniform), nor is it a product over
    features, so they refuse NaN, ``marginal`` and ``conditional`` with an
    error; ``sample(given=...)`` then uses the approximate sampler.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import KernelDensity
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> kde = KernelDensity(bandwidth="scott", kernel="epanechnikov").fit(X)
    >>> round(kde.bandwidth_, 3)  # in standard deviations
    1.137
    >>> kde.score_samples([[0.0, 0.0], [50.0, 50.0]]).round(2)
    array([-2.17,  -inf])

    With the gaussian kernel a far point keeps a finite log-density:

    >>> KernelDensity(bandwidth=0.5).fit(X).score_samples([[50.0, 50.0]]).round(1)
    array([-9197.8])
    >>> kde.sample(3, random_state=0).shape
    (3, 2)

    The bandwidth by 5-fold cross-validated likelihood, and weighted rows:

    >>> kde_cv = KernelDensity(bandwidth="cv").fit(X)
    >>> round(kde_cv.bandwidth_, 3), kde_cv.cv_scores_.shape
    (0.448, (20,))
    >>> w = np.arange(100) % 3  # frequency weights: rows repeated 0, 1 or 2 times
    >>> kde_w = KernelDensity().fit(X, sample_weight=w)
    >>> bool(np.allclose(kde_w.score_samples(X),
    ...                  KernelDensity().fit(np.repeat(X, w, axis=0)).score_samples(X)))
    True

    Features on different scales need no scaling first:

    >>> X_raw = X * [1e-3, 1e3]
    >>> kde_raw = KernelDensity().fit(X_raw)
    >>> bool(np.allclose(kde_raw.score_samples(X_raw),
    ...                  KernelDensity().fit(X).score_samples(X) - np.log(1e-3 * 1e3)))
    True
    """

    likelihood_kind = "exact"

    # Models pickled before ``metric`` existed measured Euclidean distances.
    _added_parameters = {"metric": "euclidean"}

    _parameter_constraints = {
        "bandwidth": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"scott", "silverman", "cv"}),
            "array-like",
        ],
        "kernel": [StrOptions(set(KERNELS))],
        "metric": [StrOptions(set(METRICS))],
        "random_state": ["random_state"],
    }

    def __init__(
        self, *, bandwidth="scott", kernel="gaussian", metric="whitened",
        random_state=None,
    ):
        self.bandwidth = bandwidth
        self.kernel = kernel
        self.metric = metric
        self.random_state = random_state

    def fit(self, X, y=None, sample_weight=None):
        """Fit the kernel density estimate on ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data: the centres of the kernels.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights of the rows (not all zero): row
            ``i`` weighs as ``sample_weight[i]`` copies of itself in the
            density, in :meth:`sample`, in the metric and in the bandwidth
            rules, so integer weights give the model of the rows repeated.
            Rows of weight zero are dropped. ``bandwidth="cv"`` splits the
            rows (not their copies) into folds.

        Returns
        -------
        self : KernelDensity
            The fitted estimator.
        """
        return self._fit_with(partial(self._fit, sample_weight=sample_weight), X, y)

    def _fit(self, X, y, sample_weight=None):
        # A private copy: the caller may change X after fit.
        X = np.array(X, dtype=np.float64, order="C", copy=True)
        w = None
        if sample_weight is not None:
            w = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                     ensure_non_negative=True)
            if not w.sum() > 0:
                raise ValueError("sample_weight sums to zero: give some rows a "
                                 "positive weight.")
            X, w = np.ascontiguousarray(X[w > 0]), w[w > 0]
        n, d = X.shape
        back = _metric_map(X, self.metric, w)
        Z = _to_metric(X, back)
        self._fit_weights = w
        if isinstance(self.bandwidth, str) and self.bandwidth != "cv":
            self.bandwidth_ = float(
                _rule_of_thumb_bandwidth(Z, self.bandwidth, self.kernel, w))
        elif isinstance(self.bandwidth, Real):
            self.bandwidth_ = float(self.bandwidth)
        else:
            self.bandwidth_ = self._cross_validate_bandwidth(Z, w, back)
        cov = np.eye(d) if back is None else (
            np.diag(back**2) if back.ndim == 1 else back.T @ back)
        self.bandwidth_matrix_ = self.bandwidth_**2 * cov
        self._fit_X = X
        self._fit_Z = X if back is None else np.ascontiguousarray(Z)
        self._metric_back = back
        self._log_det_metric = _log_abs_det(back)
        self._center = self._fit_Z.mean(axis=0)
        T = (self._fit_Z - self._center) / self.bandwidth_
        sq = np.einsum("ij,ij->i", T, T)
        self._fit_aug = np.hstack([T, np.ones((n, 1)), -0.5 * sq[:, None]])
        self._sq_norm_max = float(sq.max())
        return self

    def _cross_validate_bandwidth(self, Z, w, back):
        """The candidate with the best 5-fold held-out likelihood; sets ``cv_*_``."""
        n = Z.shape[0]
        if isinstance(self.bandwidth, str):  # "cv": multiples of Scott's rule
            grid = _rule_of_thumb_bandwidth(Z, "scott", self.kernel, w) * _CV_FACTORS
        else:
            grid = np.asarray(self.bandwidth, dtype=np.float64)
            if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid) & (grid > 0)):
                raise ValueError(
                    "bandwidth must be a positive float, 'scott', 'silverman', 'cv' or a "
                    f"1-D array of positive candidates, got {self.bandwidth!r}.")
        if n < _CV_FOLDS:
            raise ValueError(f"bandwidth={self.bandwidth!r} selects the bandwidth by "
                             f"{_CV_FOLDS}-fold cross-validation, which needs at least "
                             f"{_CV_FOLDS} rows of positive weight; got {n}. Use "
                             "bandwidth='scott'.")
        scores = _cv_log_likelihoods(Z, grid, self.kernel, _kfold_index(n), w)
        self.cv_bandwidths_ = grid
        self.cv_scores_ = scores - _log_abs_det(back)
        best = int(np.argmax(scores))
        if grid.size > 1 and grid[best] in (grid.min(), grid.max()):
            end = "smallest" if grid[best] == grid.min() else "largest"
            warnings.warn(
                f"The cross-validated bandwidth {grid[best]:.4g} is the {end} candidate; "
                "the best may lie beyond it. Pass a wider grid of candidates as "
                "bandwidth=[...].", UserWarning, stacklevel=4)
        return float(grid[best])

    def _marginalizes_nan(self):
        return self.kernel == "gaussian"

    def _not_exact_reason(self):
        return (f"Only the gaussian kernel has exact marginals and conditionals; the "
                f"{self.kernel!r} kernel's marginal is not a kernel of its own shape. "
                "Use kernel='gaussian', or impute missing values first.")

    def _validate_X(self, X, *, reset):
        X = super()._validate_X(X, reset=reset)
        if reset and np.isnan(X).any():
            raise ValueError(
                "Input X contains NaN. KernelDensity marginalizes missing values in "
                "score_samples (gaussian kernel) but fits on complete rows only; drop "
                "incomplete rows, or fit skgen.classical.Gaussian or GaussianMixture "
                "(EM with missing values)."
            )
        return X

    def _marginal(self, cols):
        return KernelDensity(bandwidth=self.bandwidth_, kernel=self.kernel,
                             metric=self.metric, random_state=self.random_state
                             ).fit(self._fit_X[:, cols],
                                   sample_weight=getattr(self, "_fit_weights", None))

    def _bump_conditional(self, A, B):
        """Whitening of the observed block and the regression of the bumps."""
        from scipy import linalg

        H = self.bandwidth_matrix_
        chol = linalg.cholesky(H[np.ix_(A, A)], lower=True)
        regression = linalg.cho_solve((chol, True), H[np.ix_(A, B)]).T  # (|B|, |A|)
        cov = H[np.ix_(B, B)] - regression @ H[np.ix_(A, B)]
        return chol, regression, 0.5 * (cov + cov.T)

    def _log_bump_weights(self, chol, A, a, zx=None):
        """``log w_j N(a_i; x_jA, H_AA)`` up to a constant per row, shape ``(m, n)``.

        ``zx``: the whitened training rows ``chol^-1 x_jA``, when already computed.
        """
        from scipy import linalg

        za = linalg.solve_triangular(chol, a.T, lower=True).T
        if zx is None:
            zx = linalg.solve_triangular(chol, self._fit_X[:, A].T, lower=True).T
        sq = (np.sum(za**2, 1)[:, None] + np.sum(zx**2, 1)[None, :] - 2 * za @ zx.T)
        out = -0.5 * np.maximum(sq, 0.0)
        w = getattr(self, "_fit_weights", None)
        return out if w is None else out + np.log(w)[None, :]

    def _conditional(self, A, B, a):
        from scipy.special import logsumexp

        from ._mixture import _mixture_like

        chol, regression, cov = self._bump_conditional(A, B)
        log_w = self._log_bump_weights(chol, A, a[None, :])[0]
        weights = np.exp(log_w - logsumexp(log_w))
        means = self._fit_X[:, B] + (a - self._fit_X[:, A]) @ regression.T
        covs = np.broadcast_to(cov, (means.shape[0],) + cov.shape)
        return _mixture_like(self, weights, means, covs)

    def _sample_given_pattern(self, A, B, a, rng):
        from scipy import linalg

        chol, regression, cov = self._bump_conditional(A, B)
        cov_chol = np.linalg.cholesky(cov)
        n = self._fit_X.shape[0]
        zx = linalg.solve_triangular(chol, self._fit_X[:, A].T, lower=True).T
        # the draws first, so that the chunks of rows below do not change them
        u = rng.uniform(size=(a.shape[0], 1))
        z = rng.standard_normal(size=(a.shape[0], B.size))
        out = np.empty((a.shape[0], B.size))
        # (rows, n) weights: a few float64 copies per row, within skgen.config's budget
        for rows in gen_batches_by_memory(a.shape[0], 8 * 4 * n):
            log_w = self._log_bump_weights(chol, A, a[rows], zx)
            top = log_w.max(axis=1, keepdims=True)
            cdf = np.cumsum(np.exp(log_w - np.where(np.isfinite(top), top, 0.0)), axis=1)
            j = np.minimum((cdf < u[rows] * cdf[:, -1:]).sum(axis=1), n - 1)  # j ~ weights
            mean = self._fit_X[j][:, B] + (a[rows] - self._fit_X[j][:, A]) @ regression.T
            out[rows] = mean + z[rows] @ cov_chol.T
        return out

    def _score_samples(self, X, y):
        if np.isnan(X).any():
            return self._score_missing(X)
        import torch

        Z = np.ascontiguousarray(_to_metric(X, self._metric_back))
        return _Scorer(self, torch).score(Z) - self._log_det_metric

    def _sample(self, n_samples, rng, y):
        n, d = self._fit_X.shape
        w = getattr(self, "_fit_weights", None)
        idx = rng.randint(n, size=n_samples) if w is None else rng.choice(
            n, size=n_samples, p=w / w.sum())
        noise = _sample_kernel(self.kernel, d, n_samples, rng)
        return self._fit_X[idx] + _from_metric(self.bandwidth_ * noise, self._metric_back)

    def __setstate__(self, state):
        if "_fit_X" in state and "_fit_Z" not in state:
            state["_fit_Z"] = state["_fit_X"]
            state["_metric_back"] = None
            state["_log_det_metric"] = 0.0
            d = state["_fit_X"].shape[1]
            state["bandwidth_matrix_"] = state["bandwidth_"] ** 2 * np.eye(d)
        super().__setstate__(state)
