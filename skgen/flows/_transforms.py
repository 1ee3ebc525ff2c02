"""Invertible transforms and the flow that composes them.

Every transform maps data ``x`` towards the base space ``z``: calling it
returns ``(z, ladj)`` with ``ladj = log |det dz/dx|`` per row, and
``inverse(z)`` maps back. A :class:`Flow` is a list of transforms over a
standard normal base, ``log p(x) = log N(z; 0, I) + sum(ladj)``. The coupling
and autoregressive transforms are each handed an elementwise map from
:mod:`._univariate` (affine or spline): that choice, not a subclass, makes
RealNVP, MAF or NSF.
"""

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..nn import MLP, MaskedMLP

__all__ = ["AutoregressiveTransform", "CouplingTransform", "Flow", "Permutation"]

_LOG_2PI = math.log(2 * math.pi)


class Transform(nn.Module):
    """An invertible map ``x -> z`` with its log-|det Jacobian|.

    Subclasses implement ``forward(x, context=None) -> (z, ladj)`` and
    ``inverse(z, context=None) -> x``; ``ladj`` has shape ``(n,)``.
    """

    def inverse(self, z, context=None):  # pragma: no cover - abstract
        raise NotImplementedError


class Permutation(Transform):
    """Reorders the features; ``log |det J| = 0``.

    Parameters
    ----------
    permutation : array-like of int
        ``z[:, i] = x[:, permutation[i]]``.
    """

    def __init__(self, permutation):
        super().__init__()
        perm = torch.as_tensor(np.asarray(permutation), dtype=torch.long)
        self.register_buffer("perm", perm)
        self.register_buffer("inv_perm", torch.argsort(perm))

    def forward(self, x, context=None):
        return x[:, self.perm], x.new_zeros(x.shape[0])

    def inverse(self, z, context=None):
        return z[:, self.inv_perm]


class CouplingTransform(Transform):
    """Coupling layer: features ``b`` move by a map conditioned on features ``a``.

    ``z_a = x_a`` and ``z_b = f(x_b; θ(x_a, context))`` with ``f`` an
    elementwise monotone map and ``θ`` an MLP; the Jacobian is triangular, so
    both directions cost one network pass (Dinh et al., 2017).

    Parameters
    ----------
    n_features : int
    transformed : array-like of int
        Indices ``b`` of the features this layer moves; the others condition.
    univariate : Affine or RationalQuadraticSpline
        The elementwise map ``f``.
    hidden_sizes : tuple of int
    context_features : int, default=0
    """

    def __init__(self, n_features, transformed, univariate, hidden_sizes, *,
                 context_features=0):
        super().__init__()
        b = np.asarray(transformed, dtype=int)
        a = np.setdiff1d(np.arange(n_features), b)
        self.register_buffer("idx_a", torch.as_tensor(a, dtype=torch.long))
        self.register_buffer("idx_b", torch.as_tensor(b, dtype=torch.long))
        self.univariate = univariate
        self.net = MLP(len(a) + context_features, len(b) * univariate.n_params,
                       hidden_sizes, zero_last=True)

    def _params(self, xa, context):
        h = xa if context is None else torch.cat([xa, context], dim=-1)
        return self.net(h).reshape(xa.shape[0], len(self.idx_b), self.univariate.n_params)

    def forward(self, x, context=None):
        xa = x[:, self.idx_a]
        zb, ladj = self.univariate(x[:, self.idx_b], self._params(xa, context))
        z = x.index_copy(1, self.idx_b, zb)
        return z, ladj.sum(-1)

    def inverse(self, z, context=None):
        za = z[:, self.idx_a]
        xb, _ = self.univariate(z[:, self.idx_b], self._params(za, context), inverse=True)
        return z.index_copy(1, self.idx_b, xb)


class AutoregressiveTransform(Transform):
    """Masked autoregressive layer: ``z_i = f(x_i; θ(x_<i, context))``.

    ``θ`` is a MADE network (:class:`skgen.nn.MaskedMLP`), so the density
    direction costs one network pass and the inverse (sampling) ``d`` passes
    (Papamakarios et al., 2017); each inverse pass evaluates the output layer
    and the elementwise map for the one feature it fixes.

    Parameters
    ----------
    n_features : int
    univariate : Affine or RationalQuadraticSpline
    hidden_sizes : tuple of int
    context_features : int, default=0
    order : array-like of shape (n_features,), default=None
        ``order[i]`` is the position of feature ``i`` in the autoregressive
        order; ``None`` means ``0..d-1``.
    """

    def __init__(self, n_features, univariate, hidden_sizes, *, context_features=0,
                 order=None):
        super().__init__()
        self.univariate = univariate
        self.net = MaskedMLP(n_features, univariate.n_params, hidden_sizes,
                             context_features=context_features, order=order,
                             zero_last=True)

    def forward(self, x, context=None):
        z, ladj = self.univariate(x, self.net(x, context))
        return z, ladj.sum(-1)

    def inverse(self, z, context=None):
        # Pass k fixes the k-th feature of the order, which depends only on the
        # features fixed before it. Each pass needs that feature's parameters
        # alone: the hidden layers run in full, the output layer for its
        # n_params rows only, and the elementwise map on one column.
        net, n_params = self.net, self.univariate.n_params
        *hidden, last = net.layers
        weight = last.weight * last.mask
        x = torch.zeros_like(z)
        for k, i in enumerate(torch.argsort(net.order).tolist()):
            # the first feature sees no other: without a context its
            # parameters are the same for every row, computed once
            h = x[:1] if k == 0 and context is None else x
            if context is not None:
                h = torch.cat([h, context], dim=-1)
            for layer in hidden:
                h = layer(h)
            rows = slice(i * n_params, (i + 1) * n_params)
            params = F.linear(h, weight[rows], last.bias[rows]).expand(z.shape[0], -1)
            xi, _ = self.univariate(z[:, i:i + 1], params[:, None, :], inverse=True)
            x = x.index_copy(1, net.order.new_tensor([i]), xi)
        return x


class Flow(nn.Module):
    """A normalizing flow: transforms over a standard normal base.

    Parameters
    ----------
    transforms : list of Transform
        Applied in order from data to base space.
    n_features : int
    n_classes : int, default=0
        With ``n_classes > 0`` class codes are embedded (``nn.Embedding``) and
        handed to every transform as context.
    embedding_dim : int, default=0
        Size of that embedding (must match the transforms' ``context_features``).
    """

    def __init__(self, transforms, n_features, *, n_classes=0, embedding_dim=0):
        super().__init__()
        self.transforms = nn.ModuleList(transforms)
        self.n_features = int(n_features)
        self.embedding = nn.Embedding(n_classes, embedding_dim) if n_classes else None

    def _context(self, y):
        if self.embedding is None or y is None:
            return None
        return self.embedding(y)

    def forward(self, x, y=None):
        """Map ``x`` to the base space: ``(z, sum of ladj)``."""
        context = self._context(y)
        total = x.new_zeros(x.shape[0])
        for t in self.transforms:
            x, ladj = t(x, context)
            total = total + ladj
        return x, total

    def log_prob(self, x, y=None):
        z, ladj = self(x, y)
        return -0.5 * (z.shape[1] * _LOG_2PI + (z * z).sum(-1)) + ladj

    def inverse(self, z, y=None):
        context = self._context(y)
        for t in reversed(self.transforms):
            z = t.inverse(z, context)
        return z

    def sample(self, n_samples, y=None, generator=None):
        p = next(self.parameters(), None)
        ref = p if p is not None else next(self.buffers())
        z = torch.randn(n_samples, self.n_features, generator=generator,
                        device=ref.device, dtype=ref.dtype)
        return self.inverse(z, y)
