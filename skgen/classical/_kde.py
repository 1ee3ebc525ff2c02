"""Kernel density estimation: exact log-densities in bounded memory, six kernels."""

import math
from numbers import Real

import numpy as np
from scipy.special import gammaln
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseGenerative

__all__ = ["KernelDensity"]

KERNELS = ("gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine")

# Kernels with unbounded support: summed in log space (log-sum-exp).
_INFINITE_SUPPORT = ("gaussian", "exponential")

# Blocks of query rows x training rows evaluated at once: at most 512K float64
# (4 MiB), small enough to stay in cache, big enough that Python overhead is
# negligible. With fewer training rows a block holds more query rows.
_QUERY_CHUNK = 256
_TRAIN_CHUNK = 2048

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
# the absolute error of the kernel value, which is in [0, 1].
_ERROR_GAIN = {
    "gaussian": 1.0,
    "exponential": 2.0 / math.sqrt(_FIX_SQ_DIST),
    "tophat": 0.0,
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
        self.X_raw = _tensor(torch, est._fit_X)
        self.T = _tensor(torch, est._fit_aug)  # (n, d + 2)
        self.d = est._fit_X.shape[1]
        self.b_max = est._sq_norm_max
        self.fix = self.kernel in ("exponential", "linear")
        block = _QUERY_CHUNK * _TRAIN_CHUNK
        self.query_chunk = max(_QUERY_CHUNK, block // min(self.T.shape[0], _TRAIN_CHUNK))
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
        torch, d = self.torch, self.d
        for j in range(0, self.T.shape[0], _TRAIN_CHUNK):
            t = self.T[j : j + _TRAIN_CHUNK]
            if direct_rows is None:
                M = self.buffer[: q.shape[0] * t.shape[0]].view(q.shape[0], t.shape[0])
                torch.mm(q, t.T, out=M)
                if self.fix:
                    _fix_close_pairs(M, q[:, :d], t[:, :d], torch)
            else:  # distances from differences of the raw coordinates
                dist = torch.cdist(
                    direct_rows,
                    self.X_raw[j : j + _TRAIN_CHUNK],
                    compute_mode="donot_use_mm_for_euclid_dist",
                )
                M = dist.div_(self.h).square_().mul_(-0.5)
            yield _kernel_values(M, self.kernel, torch)

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
        n_train = self.T.shape[0]
        offset = (
            _log_kernel_norm(self.kernel, self.d)
            + self.d * math.log(self.h)
            + math.log(n_train)
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
            # Worst-case rounding error of M from the expanded product.
            err = gain * (self.d + 4) * _EPS * (a + self.b_max)
            bad = ~(err <= _RTOL * torch.clamp(log_p.abs(), min=1.0))  # NaN: bad
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


def _rule_of_thumb_bandwidth(X, rule, kernel):
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
    if rule == "scott":
        factor = n ** (-1.0 / (d + 4))
        spread = X.std(axis=0)
    else:
        factor = (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))
        q75, q25 = np.percentile(X, [75, 25], axis=0)
        std = X.std(axis=0)
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


class KernelDensity(BaseGenerative):
    """Kernel density estimate with exact, underflow-free log-densities.

    The density is ``p(x) = 1/(n h^d) sum_i K(|x - x_i| / h)``, ``K`` a
    normalized kernel: a mixture of one kernel bump per training row. Kernels
    and bandwidth rules are those of :class:`sklearn.neighbors.KernelDensity`,
    so for the same bandwidth both define the same density (except scikit-learn's
    cosine kernel in even dimensions, see Notes); skgen differs in how it is
    computed and what it returns:

    - :meth:`score_samples` sums over every training row (no tree, no
      tolerance), in chunks of bounded memory, and in log space where
      needed: points far from all data get a finite, correct log-density
      with the gaussian and exponential kernels instead of ``-inf``.
      Compact kernels give ``-inf`` exactly outside their support.
    - :meth:`sample` works for all six kernels.
    - :meth:`score` is the mean log-likelihood, not the sum.

    Parameters
    ----------
    bandwidth : float or {"scott", "silverman"}, default="scott"
        Kernel width ``h`` (> 0), in the units of ``X``, or a rule of thumb
        resolved at ``fit`` into ``bandwidth_``. ``"scott"`` gives
        ``n ** (-1 / (d + 4)) * sigma`` and ``"silverman"``
        ``(n * (d + 2) / 4) ** (-1 / (d + 4)) * sigma``, where ``sigma`` is the
        geometric mean of the features' standard deviations (Silverman:
        ``min(std, IQR / 1.349)``), divided by the kernel's per-coordinate
        standard deviation so that every kernel is as wide as the Gaussian
        rule's. Unlike scikit-learn, whose rules omit ``sigma`` and assume
        standardized features, the rules follow the scale of the data. For
        the best held-out likelihood, select a float bandwidth with
        :class:`~sklearn.model_selection.GridSearchCV`.
    kernel : {"gaussian", "tophat", "epanechnikov", "exponential", "linear", \
"cosine"}, default="gaussian"
        Kernel shape as a function of ``r = |x - x_i| / h``:
        ``exp(-r^2/2)``, ``1``, ``1 - r^2``, ``exp(-r)``, ``1 - r``,
        ``cos(pi r / 2)``; the compact ones are zero for ``r >= 1``.
    random_state : int, RandomState instance or None, default=None
        Seed for :meth:`sample`.

    Attributes
    ----------
    bandwidth_ : float
        The bandwidth used: ``bandwidth``, or the value of its rule.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    sklearn.neighbors.KernelDensity : the tree-based estimator with the same
        kernels.
    skgen.classical.GaussianMixture : a mixture with few, fitted components.

    Notes
    -----
    Scoring costs ``O(n_query * n_train * d)`` time and a fixed few MiB of
    memory. It runs on torch (CPU, float64): a block of squared distances is
    one matrix product of centred, bandwidth-scaled data, then one pass of
    the kernel. Results are exact to rounding: rows whose rounding-error
    bound is not small relative to ``|log p|`` (data far from their mean in
    bandwidth units) and distances below a tenth of a bandwidth for the
    ``exponential`` and ``linear`` kernels are recomputed from coordinate
    differences, and rows whose plain kernel sum underflows are recomputed
    with a running maximum.

    scikit-learn's cosine kernel normalization is wrong in even dimensions
    (its density does not integrate to 1 there); skgen's is the exact one,
    and agrees with scikit-learn's in odd dimensions.

    Sampling draws a training row uniformly, then adds ``h`` times a draw from
    the kernel: a direction uniform on the sphere and a radius with density
    ``r^(d-1) K(r)`` (a Beta or Gamma variable, or rejection for the cosine).

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import KernelDensity
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> kde = KernelDensity(bandwidth="scott", kernel="epanechnikov").fit(X)
    >>> round(kde.bandwidth_, 3)
    1.158
    >>> kde.score_samples([[0.0, 0.0], [50.0, 50.0]]).round(2)
    array([-2.17,  -inf])

    With the gaussian kernel a far point keeps a finite log-density:

    >>> KernelDensity(bandwidth=0.5).fit(X).score_samples([[50.0, 50.0]]).round(1)
    array([-9318.])
    >>> kde.sample(3, random_state=0).shape
    (3, 2)
    """

    likelihood_kind = "exact"

    _parameter_constraints = {
        "bandwidth": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"scott", "silverman"}),
        ],
        "kernel": [StrOptions(set(KERNELS))],
        "random_state": ["random_state"],
    }

    def __init__(self, *, bandwidth="scott", kernel="gaussian", random_state=None):
        self.bandwidth = bandwidth
        self.kernel = kernel
        self.random_state = random_state

    def _fit(self, X, y):
        n, d = X.shape
        if isinstance(self.bandwidth, str):
            self.bandwidth_ = float(_rule_of_thumb_bandwidth(X, self.bandwidth, self.kernel))
        else:
            self.bandwidth_ = float(self.bandwidth)
        X = np.require(X, requirements=["C", "W"])  # copies a read-only X once
        self._fit_X = X
        self._center = X.mean(axis=0)
        T = (X - self._center) / self.bandwidth_
        sq = np.einsum("ij,ij->i", T, T)
        self._fit_aug = np.hstack([T, np.ones((n, 1)), -0.5 * sq[:, None]])
        self._sq_norm_max = float(sq.max())
        return self

    def _score_samples(self, X, y):
        import torch

        return _Scorer(self, torch).score(np.ascontiguousarray(X))

    def _sample(self, n_samples, rng, y):
        n, d = self._fit_X.shape
        idx = rng.randint(n, size=n_samples)
        noise = _sample_kernel(self.kernel, d, n_samples, rng)
        return self._fit_X[idx] + self.bandwidth_ * noise
