"""Elementwise monotone maps parametrized by a network's output.

Each map is a small object with ``n_params`` (numbers per feature) and
``__call__(x, params, inverse=False) -> (y, ladj)`` where ``x`` has shape
``(n, m)``, ``params`` shape ``(n, m, n_params)`` and ``ladj`` is the
elementwise ``log |dy/dx|`` of the forward map, shape ``(n, m)``. Zero
parameters give the identity, so flows whose last layers start at zero start
as the identity map. A coupling or autoregressive transform is handed one of
these; the flow families differ only in which one.
"""

import functools
import math

import torch
from torch.nn import functional as F

__all__ = ["Affine", "RationalQuadraticSpline", "rational_quadratic_spline"]


class Affine:
    """``y = x * exp(a) + b`` with ``a`` softly bounded to ``[-bound, bound]``.

    With ``tail_bound``, the map is that on ``[-tail_bound, tail_bound]``
    only and continues with slope 1 outside (``ladj = 0`` there), as the
    splines do: a stretch learned where the data are is not applied to a row
    far from them, whose log-density would otherwise fall with the square of
    that stretch compounded over the layers.

    Parameters
    ----------
    bound : float, default=3.0
        Largest absolute log-scale per map; ``a = bound * tanh(raw / bound)``
        keeps one layer from blowing up while staying smooth.
    tail_bound : float or None, default=None
        Half-width of the interval where the map scales; ``None``: everywhere.
    """

    n_params = 2
    tail_bound = None  # maps pickled before it existed scale everywhere

    def __init__(self, bound=3.0, tail_bound=None):
        self.bound = float(bound)
        self.tail_bound = None if tail_bound is None else float(tail_bound)

    def __call__(self, x, params, inverse=False):
        b, raw = params[..., 0], params[..., 1]
        a = self.bound * torch.tanh(raw / self.bound)
        tail = self.tail_bound
        if tail is None:
            if inverse:
                return (x - b) * torch.exp(-a), a
            return x * torch.exp(a) + b, a
        scale = torch.exp(a)
        if inverse:  # the interval's image is [b - tail * scale, b + tail * scale]
            yc = torch.minimum(torch.maximum(x, b - tail * scale), b + tail * scale)
            return (yc - b) / scale + (x - yc), torch.where(x == yc, a, 0.0)
        xc = x.clamp(-tail, tail)
        return xc * scale + b + (x - xc), torch.where(x == xc, a, 0.0)


class RationalQuadraticSpline:
    """Monotone rational-quadratic spline on ``[-bound, bound]``, identity outside.

    The spline of Durkan et al. (2019) with ``bins`` bins; at the ends its
    slope is 1, matching the linear (identity) tails.

    Parameters
    ----------
    bins : int, default=8
    bound : float, default=5.0
    min_bin_width, min_bin_height, min_derivative : float, default=1e-3
    """

    def __init__(self, bins=8, bound=5.0, min_bin_width=1e-3, min_bin_height=1e-3,
                 min_derivative=1e-3):
        self.bins = int(bins)
        self.bound = float(bound)
        self.min_bin_width = min_bin_width
        self.min_bin_height = min_bin_height
        self.min_derivative = min_derivative

    @property
    def n_params(self):
        return 3 * self.bins - 1

    def __call__(self, x, params, inverse=False):
        K = self.bins
        p = params.movedim(-1, 0).contiguous()  # one copy: every bin op below is contiguous
        return _spline(
            x, p[:2 * K].unflatten(0, (2, K)), p[2 * K:], inverse=inverse, bound=self.bound,
            min_bin_width=self.min_bin_width, min_bin_height=self.min_bin_height,
            min_derivative=self.min_derivative,
        )


@functools.lru_cache(maxsize=64)
def _knot_matrix(bins, bound, min_bin_width, min_bin_height, dtype, device):
    """Matrices taking softmaxed bin sizes to knot positions, shape (2, K + 1, K).

    Row ``k`` of ``M @ softmax(raw)`` is the ``k``-th knot
    ``-bound + 2 bound (k m + (1 - K m) sum_{j<k} softmax_j)`` with ``m`` the
    minimum bin size; the constant part is multiplied by ``sum_j softmax_j = 1``.
    One small matrix product replaces a cumsum, a scaling and a concatenation.
    """
    with torch.inference_mode(False):  # cached: must also serve autograd later
        k = torch.arange(bins + 1, dtype=torch.float64)[:, None]
        below = (torch.arange(bins, dtype=torch.float64)[None, :] < k).double()
        mats = [-bound + 2 * bound * (m * k + (1 - m * bins) * below)
                for m in (min_bin_width, min_bin_height)]
        return torch.stack(mats).to(dtype=dtype, device=device)


def rational_quadratic_spline(x, widths, heights, derivatives, *, inverse=False,
                              bound=5.0, min_bin_width=1e-3, min_bin_height=1e-3,
                              min_derivative=1e-3):
    """Monotone rational-quadratic spline with identity tails (Durkan et al., 2019).

    Parameters
    ----------
    x : tensor of shape (...)
        Inputs (outputs of the forward map when ``inverse``).
    widths, heights : tensor of shape (..., K)
        Unconstrained bin widths and heights (softmax-normalized).
    derivatives : tensor of shape (..., K - 1)
        Unconstrained derivatives at the interior knots; 0 gives slope 1.
    inverse : bool, default=False
        Apply the inverse map.
    bound : float, default=5.0
        The spline acts on ``[-bound, bound]``, the identity outside.
    min_bin_width, min_bin_height, min_derivative : float, default=1e-3

    Returns
    -------
    y : tensor of shape (...)
    ladj : tensor of shape (...)
        ``log |dy/dx|`` of the forward map at the input (forward) or at the
        output (inverse).
    """
    wh = torch.stack([widths.movedim(-1, 0), heights.movedim(-1, 0)])
    return _spline(x, wh, derivatives.movedim(-1, 0), inverse=inverse, bound=bound,
                   min_bin_width=min_bin_width, min_bin_height=min_bin_height,
                   min_derivative=min_derivative)


def _spline(x, wh, derivatives, *, inverse, bound, min_bin_width, min_bin_height,
            min_derivative):
    """:func:`rational_quadratic_spline` with the bin axis first.

    ``wh`` has shape ``(2, K, *x.shape)`` (raw widths, raw heights) and
    ``derivatives`` shape ``(K - 1, *x.shape)``: every operation then runs on
    contiguous arrays of ``x``'s shape. Only the two knots around each input
    are gathered, and the derivative map is evaluated at those two only.
    """
    K = wh.shape[1]
    shape = x.shape
    M = _knot_matrix(K, bound, min_bin_width, min_bin_height, x.dtype, x.device)
    knots = torch.matmul(M, F.softmax(wh, dim=1).flatten(2))  # (2, K + 1, N)
    knots[:, 0] = -bound  # exact ends (the product gives them to rounding)
    knots[:, K] = bound
    xk, yk = knots.unbind(0)

    x = x.reshape(-1)
    inside = (x >= -bound) & (x <= bound)
    xc = x.clamp(-bound, bound)  # keep the unused branch finite for gradients
    idx = (xc >= (yk if inverse else xk)[1:K]).sum(0)  # bin 0..K-1
    first, last = idx == 0, idx == K - 1
    pair = torch.stack([idx, idx + 1])  # the bin's two knots
    x0, x1 = xk.gather(0, pair)
    y0, y1 = yk.gather(0, pair)
    # derivatives at the two knots; the end knots have slope 1 (identity tails)
    raw = F.pad(derivatives.reshape(K - 1, -1), (0, 0, 1, 1)).gather(0, pair)
    shift = math.log(math.expm1(1 - min_derivative))
    d0, d1 = (min_derivative + F.softplus(raw + shift)).unbind(0)
    d0 = torch.where(first, 1.0, d0)
    d1 = torch.where(last, 1.0, d1)

    wk, hk = x1 - x0, y1 - y0
    s = hk / wk
    c2 = d0 + d1 - 2 * s
    if inverse:
        dy = xc - y0
        a = hk * (s - d0) + dy * c2
        b = hk * d0 - dy * c2
        c = -s * dy
        disc = (b * b - 4 * a * c).clamp_min(0)
        theta = (2 * c) / (-b - torch.sqrt(disc))
        out = x0 + theta * wk
    else:
        theta = (xc - x0) / wk
    t1 = theta * (1 - theta)
    den = s + c2 * t1
    if not inverse:
        out = y0 + hk * (s * theta * theta + d0 * t1) / den
    deriv = s * s * (d1 * theta * theta + 2 * s * t1 + d0 * (1 - theta) ** 2) / (den * den)
    ladj = torch.log(deriv)
    return (torch.where(inside, out, x).reshape(shape),
            torch.where(inside, ladj, 0.0).reshape(shape))
