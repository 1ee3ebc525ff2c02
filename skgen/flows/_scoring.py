"""Batch-invariant float32 scoring: a fitted flow evaluated in fixed-size blocks.

A float32 matrix product does not promise that a row's result is independent
of the other rows: the BLAS picks kernels, blocking and summation order from
the shapes (and may from the alignment) of its operands, and elementwise
kernels treat a vector-width tail differently. :func:`block_log_prob` removes
those sources of variation: rows are copied into a work array of exactly
``block`` rows (the last block padded with zeros), so every product, every
elementwise kernel and every reduction runs on operands of one shape and
layout whatever the size of the call; ``block`` is a power of two, so no
vectorized loop has a tail. A row's log-density then depends only on the row
(and, in principle, on its position in the block, which the tests check does
not matter either: a row scored alone, first, last or anywhere in a large
call gets the same bits, with one torch thread or two).

:class:`BlockScorer` is the fast path: the flow's networks compiled once into
plain weight matrices (masks applied, a conditional flow's label embedding
folded into a per-class bias table of the first layer, the output rows
grouped by parameter so that each parameter of every feature is one
contiguous slice). The features are kept feature-major, a ``(n_features,
block)`` array moved in place layer after layer, so the elementwise maps read
contiguous slices and the final sum over features is vectorized over rows;
hidden activations are ``(block, hidden)`` arrays updated in place (bias,
ReLU); work arrays are made once per call. It computes the same function as
:meth:`Flow.log_prob` to float32 rounding (the affine maps' soft bound
``b tanh(r / b)`` is evaluated as ``2 b sigmoid(2 r / b) - b``, about three
times faster; with a ``tail_bound`` the scale applies inside it, slope 1 outside).
"""

import itertools
import math
import weakref

import torch
from torch import nn

from ._transforms import AutoregressiveTransform, CouplingTransform, Flow
from ._univariate import Affine, RationalQuadraticSpline, _spline

__all__ = ["BlockScorer", "block_log_prob", "block_scorer"]

_LOG_2PI = math.log(2 * math.pi)
#: Fitted flow -> (stamp of its tensors, its BlockScorer or None).
_SCORERS = weakref.WeakKeyDictionary()


def _stamp(module):
    return tuple(
        (id(t), t.data_ptr(), t._version, t.dtype, t.device)
        for t in itertools.chain(module.parameters(), module.buffers())
    )


def block_scorer(flow):
    """The :class:`BlockScorer` of ``flow``, cached while its tensors are unchanged.

    ``None`` when the flow holds a transform, map or activation the compiler
    does not know (the caller then evaluates ``flow.log_prob`` on the blocks).
    """
    stamp = _stamp(flow)
    cached = _SCORERS.get(flow)
    if cached is None or cached[0] != stamp:
        cached = _SCORERS[flow] = (stamp, BlockScorer.compile(flow))
    return cached[1]


@torch.no_grad()
def block_log_prob(flow, X, y, block):
    """``flow.log_prob(X, y)`` evaluated in blocks of exactly ``block`` rows.

    Parameters
    ----------
    flow : Flow
    X : tensor of shape (n, d)
        Standardized rows.
    y : tensor of shape (n,) or None
        Class codes (conditional flows).
    block : int
        Rows per block; the last block is padded with zero rows (class 0).

    Returns
    -------
    log_prob : tensor of shape (n,), ``X.dtype``
    """
    scorer = block_scorer(flow)
    n, d = X.shape
    out = X.new_empty(n)
    buffers = {}  # this call's work arrays, reused from block to block
    for start in range(0, n, block):
        m = min(block, n - start)
        yb = None
        if y is not None:
            yb = y.new_zeros(block)
            yb[:m] = y[start:start + m]
        if scorer is not None:
            z = _buffer(buffers, "z", d, block, X)  # feature-major
            z[:, :m] = X[start:start + m].T
            z[:, m:] = 0
            out[start:start + m] = scorer(z, yb, buffers)[:m]
        else:
            xb = X.new_zeros((block, d))
            xb[:m] = X[start:start + m]
            out[start:start + m] = flow.log_prob(xb, yb)[:m]
    return out


def _buffer(buffers, key, rows, cols, like):
    """A ``(rows, cols)`` work array of this call, made on first use."""
    buf = buffers.get((key, rows, cols))
    if buf is None:
        buf = buffers[key, rows, cols] = like.new_empty((rows, cols))
    return buf


def _linears(net):
    """``(weight, bias)`` of each linear layer of an MLP, masks applied; ``None``
    when an activation is not ReLU."""
    out = []
    for layer in net.layers:
        if isinstance(layer, nn.Linear):
            w = layer.weight
            mask = getattr(layer, "mask", None)
            out.append((w if mask is None else w * mask, layer.bias))
        elif not isinstance(layer, nn.ReLU):
            return None
    return out


class _Step:
    """One transform: its network as plain matrices and its elementwise map.

    ``layers`` holds each linear layer as ``(W, b)``; the first reads the
    features ``inputs`` (``None``: all, in order) and, for a conditional
    flow, takes its bias from ``table`` (``(n_classes, hidden)``, or
    ``(out, n_classes)`` without hidden layers: the label embedding times the
    context's columns, plus the bias). Hidden activations
    are ``(block, hidden)`` arrays (``W`` stored transposed, ``(in, out)``);
    the output layer writes ``(out, block)``, its rows grouped by parameter,
    so that each parameter of the moved features is one contiguous
    ``(n_moved, block)`` slice.
    """

    def __init__(self, layers, table, univariate, inputs, moved):
        self.layers, self.table = layers, table
        self.univariate = univariate
        self.inputs = inputs  # features the network reads (None: all, in order)
        self.moved = moved  # features the layer moves (None: all, in order)

    def network(self, z, y, buffers):
        block = z.shape[1]
        h = z if self.inputs is None else z.index_select(0, self.inputs)
        h = h.T  # (block, inputs)
        last = len(self.layers) - 1
        for i, (w, b) in enumerate(self.layers):
            if i == last:  # (out, block)
                out = _buffer(buffers, "params", w.shape[0], block, z)
                if i == 0 and self.table is not None:
                    torch.index_select(self.table, 1, y, out=out)
                    b = out
                return torch.addmm(b, w, h.T, out=out)
            out = _buffer(buffers, ("hidden", i), block, w.shape[1], z)
            if i == 0 and self.table is not None:
                torch.index_select(self.table, 0, y, out=out)
                b = out
            torch.addmm(b, h, w, out=out).relu_()
            h = out

    def __call__(self, z, y, ladj, buffers):
        """Move ``z`` (``(n_features, block)``) in place and add the log-|det|
        to ``ladj`` (same shape)."""
        univariate, moved = self.univariate, self.moved
        d, block = ladj.shape
        m = d if moved is None else len(moved)
        p = self.network(z, y, buffers).view(univariate.n_params, m, block)
        if isinstance(univariate, Affine):
            shift, a = p
            # bound * tanh(raw / bound) as 2 bound sigmoid(2 raw / bound) - bound:
            # the same function, and sigmoid runs about 3x faster than tanh
            bound = univariate.bound
            a.mul_(2 / bound).sigmoid_().mul_(2 * bound).sub_(bound)
            tail = univariate.tail_bound
            if tail is not None:  # scaled on [-tail, tail], slope 1 outside
                xs = z if moved is None else z.index_select(0, moved)
                xc = xs.clamp(-tail, tail)
                zs = xc * a.exp() + shift + (xs - xc)
                a.masked_fill_(xs != xc, 0.0)
                if moved is None:
                    ladj.add_(a)
                    z.copy_(zs)
                else:
                    ladj.index_add_(0, moved, a)
                    z.index_copy_(0, moved, zs)
                return
            if moved is None:
                ladj.add_(a)
                z.mul_(a.exp_()).add_(shift)
            else:
                ladj.index_add_(0, moved, a)
                z.index_copy_(0, moved, z.index_select(0, moved).mul_(a.exp_()).add_(shift))
            return
        K = univariate.bins
        xs = z if moved is None else z.index_select(0, moved)
        zs, la = _spline(
            xs, p[:2 * K].unflatten(0, (2, K)), p[2 * K:], inverse=False,
            bound=univariate.bound, min_bin_width=univariate.min_bin_width,
            min_bin_height=univariate.min_bin_height,
            min_derivative=univariate.min_derivative,
        )
        if moved is None:
            ladj.add_(la)
            z.copy_(zs)
        else:
            ladj.index_add_(0, moved, la)
            z.index_copy_(0, moved, zs)


class BlockScorer:
    """A :class:`Flow`'s log-density compiled for feature-major blocks.

    Build with :meth:`compile`; call with ``z`` of shape ``(n_features,
    block)`` (standardized rows as columns; it is overwritten), class codes
    ``y`` of shape ``(block,)`` or ``None`` and a dict that keeps the work
    arrays from block to block; returns the ``(block,)`` log-densities.
    """

    def __init__(self, steps, n_features):
        self.steps = steps
        self.n_features = n_features

    @classmethod
    @torch.no_grad()
    def compile(cls, flow):
        """The scorer of ``flow``, or ``None`` if it holds an unknown piece."""
        if not isinstance(flow, Flow):
            return None
        d = flow.n_features
        emb = None if flow.embedding is None else flow.embedding.weight.detach()
        steps = []
        for t in flow.transforms:
            if isinstance(t, CouplingTransform):
                inputs, moved = t.idx_a, t.idx_b
            elif isinstance(t, AutoregressiveTransform):
                inputs, moved = None, None
            else:
                return None
            univariate = t.univariate
            if not isinstance(univariate, (Affine, RationalQuadraticSpline)):
                return None
            layers = _linears(t.net)
            if layers is None:
                return None
            layers = [(w.detach(), b.detach()) for w, b in layers]
            # output rows (moved feature, parameter) -> (parameter, moved feature)
            w, b = layers[-1]
            P = univariate.n_params
            m = b.numel() // P
            layers[-1] = (w.reshape(m, P, -1).transpose(0, 1).reshape(m * P, -1),
                          b.reshape(m, P).T.reshape(-1))
            # first layer: the context's columns become a per-class bias table
            w, b = layers[0]
            k = d if inputs is None else len(inputs)
            table = None
            if emb is not None and w.shape[1] > k:
                table = (emb @ w[:, k:].T + b).contiguous()
                layers[0] = (w[:, :k], b)
            *hidden, (w, b) = layers
            mats = [(w.T.contiguous(), b) for w, b in hidden]
            mats.append((w.contiguous(), b[:, None].contiguous()))
            if table is not None and not hidden:  # the output layer's layout
                table = table.T.contiguous()
            steps.append(_Step(mats, table, univariate, inputs, moved))
        return cls(steps, d)

    def __call__(self, z, y, buffers):
        d, block = z.shape
        ladj = _buffer(buffers, "ladj", d, block, z)
        ladj.zero_()
        for step in self.steps:
            step(z, y, ladj, buffers)
        return ladj.addcmul_(z, z, value=-0.5).sum(0).sub_(0.5 * d * _LOG_2PI)
