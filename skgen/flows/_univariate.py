"""Elementwise monotone maps parametrized by a network's output.

Each map is a small object with ``n_params`` (numbers per feature) and
``__call__(x, params, inverse=False) -> (y, ladj)`` where ``x`` has shape
``(n, m)``, ``params`` shape ``(n, m, n_params)`` and ``ladj`` is the
elementwise ``log |dy/dx|`` of the forward map, shape ``(n, m)``. Zero
parameters give the identity, so flows whose last layers start at zero start
as the identity map. A coupling or autoregressive transform is handed one of
these; the flow families differ only in which one.
"""

import math

import torch
from torch.nn import functional as F

__all__ = ["Affine", "RationalQuadraticSpline", "rational_quadratic_spline"]


class Affine:
    """``y = x * exp(a) + b`` with ``a`` softly bounded to ``[-bound, bound]``.

    Parameters
    ----------
    bound : float, default=3.0
        Largest absolute log-scale per map; ``a = bound * tanh(raw / bound)``
        keeps one layer from blowing up while staying smooth.
    """

    n_params = 2

    def __init__(self, bound=3.0):
        self.bound = float(bound)

    def __call__(self, x, params, inverse=False):
        b, raw = params[..., 0], params[..., 1]
        a = self.bound * torch.tanh(raw / self.bound)
        if inverse:
            return (x - b) * torch.exp(-a), a
        return x * torch.exp(a) + b, a


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
        return rational_quadratic_spline(
            x, params[..., :K], params[..., K:2 * K], params[..., 2 * K:],
            inverse=inverse, bound=self.bound, min_bin_width=self.min_bin_width,
            min_bin_height=self.min_bin_height, min_derivative=self.min_derivative,
        )


def _knots(raw, bound, min_size):
    """Knot positions on ``[-bound, bound]`` from unconstrained bin sizes.

    Returns
    -------
    knots : tensor of shape (..., K + 1), from ``-bound`` to ``bound``.
    """
    K = raw.shape[-1]
    sizes = min_size + (1 - min_size * K) * F.softmax(raw, dim=-1)
    inner = 2 * bound * torch.cumsum(sizes[..., :-1], dim=-1) - bound
    edge = torch.full_like(inner[..., :1], bound)
    return torch.cat([-edge, inner, edge], dim=-1)  # exact ends


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
    inside = (x >= -bound) & (x <= bound)
    xc = x.clamp(-bound, bound)  # keep the unused branch finite for gradients
    xk = _knots(widths, bound, min_bin_width)
    yk = _knots(heights, bound, min_bin_height)
    shift = math.log(math.expm1(1 - min_derivative))
    d = F.pad(min_derivative + F.softplus(derivatives + shift), (1, 1), value=1.0)

    knots = yk if inverse else xk
    idx = (xc[..., None] >= knots[..., 1:-1]).sum(-1, keepdim=True)  # bin 0..K-1
    idx = torch.cat([idx, idx + 1], dim=-1)  # its two knots
    x0, x1 = xk.gather(-1, idx).unbind(-1)
    y0, y1 = yk.gather(-1, idx).unbind(-1)
    d0, d1 = d.gather(-1, idx).unbind(-1)
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
    return torch.where(inside, out, x), torch.where(inside, ladj, 0.0)
