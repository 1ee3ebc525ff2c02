"""One exponential moving average of a network's weights, for every family.

Averaging the weights seen along training (Polyak averaging) smooths out the
noise of the last steps: diffusion models sample markedly better from an
average (Ho et al., 2020), and GANs from an averaged generator (Yazici et al.,
2019). The families share this one definition of ``ema_decay``.
"""

import torch

__all__ = ["MovingAverage"]


class MovingAverage:
    """Exponential moving average of the floating-point tensors of a module.

    After the ``k``-th call of :meth:`update`, the average is
    ``avg <- decay_k * avg + (1 - decay_k) * weights`` with the warm-up
    ``decay_k = min(decay, (1 + k) / (10 + k))``, so that early averages do
    not remember the random initialization. Integer buffers are copied.

    Parameters
    ----------
    source : torch.nn.Module
        The network being trained.
    decay : float in [0, 1)
        ``ema_decay`` of the estimators. 0 keeps the last weights.
    target : torch.nn.Module, default=None
        A module with the same state-dict keys that holds the average (for
        example a GAN's averaged generator, which samples are drawn from). By
        default the average is kept in tensors of its own, see :meth:`state_dict`.

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import MovingAverage
    >>> net = torch.nn.Linear(1, 1)
    >>> avg = MovingAverage(net, decay=0.5)
    >>> with torch.no_grad():
    ...     _ = net.weight.fill_(1.0)
    >>> avg.update()
    >>> bool(torch.equal(avg.state_dict()["weight"], net.weight.detach()))
    False
    """

    def __init__(self, source, decay, *, target=None):
        self.source = source
        self.decay = float(decay)
        self.count = 0
        if target is None:
            self._state = {k: v.detach().clone() for k, v in source.state_dict().items()}
        else:
            target.load_state_dict(source.state_dict())
            self._state = target.state_dict(keep_vars=False)

    @torch.no_grad()
    def update(self):
        """Move the average towards the source's current weights."""
        self.count += 1
        decay = min(self.decay, (1 + self.count) / (10 + self.count))
        for key, value in self.source.state_dict().items():
            avg = self._state[key]
            if value.is_floating_point():
                avg.lerp_(value.detach(), 1.0 - decay)
            else:
                avg.copy_(value)

    def state_dict(self):
        """A copy of the averaged weights, loadable into the source's type."""
        return {k: v.detach().clone() for k, v in self._state.items()}
