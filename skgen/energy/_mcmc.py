"""Langevin MCMC and estimators of the normalizer of an energy model.

The energies here are functions ``E(z)`` of standardized rows (tensors of
shape ``(n, d)``) returning shape ``(n,)``; the density is
``exp(-E(z)) / Z``.
"""

import math

import numpy as np
import torch

from ..utils import chunk_rows

__all__ = [
    "Proposal",
    "annealed_importance_log_normalizer",
    "importance_log_normalizer",
    "importance_resample",
    "langevin",
    "log_mean_exp_with_stderr",
]

_LOG_2PI = math.log(2 * math.pi)


def _energy_and_grad(energy_fn, x):
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        e = energy_fn(x)
        (g,) = torch.autograd.grad(e.sum(), x)
    return e.detach(), g.detach()


def langevin(energy_fn, x, n_steps, step_size, generator, *, metropolis=True):
    """Run Langevin chains ``x <- x - h grad E(x) + sqrt(2 h) xi``.

    With ``metropolis=True`` each move is accepted with the Metropolis-
    Hastings probability (MALA), so ``exp(-E)`` is exactly invariant; without
    it (unadjusted Langevin) the chains are biased by ``O(h)``.

    Parameters
    ----------
    energy_fn : callable, tensor (n, d) -> tensor (n,)
    x : tensor of shape (n, d)
        Starting points.
    n_steps : int
    step_size : float
        ``h``.
    generator : torch.Generator
    metropolis : bool, default=True

    Returns
    -------
    x : tensor of shape (n, d)
    acceptance : float
        Mean acceptance rate (1 without ``metropolis``).
    """
    h = float(step_size)
    e, g = _energy_and_grad(energy_fn, x)
    accepted = 0.0
    for _ in range(n_steps):
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        proposal = x - h * g + math.sqrt(2 * h) * noise
        e_new, g_new = _energy_and_grad(energy_fn, proposal)
        if not metropolis:
            x, e, g = proposal, e_new, g_new
            accepted += 1.0
            continue
        log_forward = -0.5 * (noise**2).sum(dim=1)
        log_backward = -((x - proposal + h * g_new) ** 2).sum(dim=1) / (4 * h)
        log_ratio = e - e_new + log_backward - log_forward
        u = torch.rand(x.shape[0], generator=generator, device=x.device, dtype=x.dtype)
        accept = torch.log(u) < torch.nan_to_num(log_ratio, nan=-math.inf)
        x = torch.where(accept[:, None], proposal, x)
        e = torch.where(accept, e_new, e)
        g = torch.where(accept[:, None], g_new, g)
        accepted += float(accept.double().mean())
    return x, accepted / max(n_steps, 1)


def log_mean_exp_with_stderr(log_w):
    """``log mean(w)`` and its standard error by the delta method.

    ``se(log Z_hat) ~ std(w) / (sqrt(n) mean(w))``, the relative standard error
    of the mean weight.

    Parameters
    ----------
    log_w : ndarray of shape (n,)

    Returns
    -------
    log_z : float
    stderr : float
    """
    log_w = np.asarray(log_w, dtype=np.float64)
    n = log_w.size
    top = np.max(log_w)
    w = np.exp(log_w - top)
    mean = w.mean()
    log_z = float(top + np.log(mean))
    stderr = float(w.std(ddof=1) / (np.sqrt(n) * mean)) if n > 1 else math.inf
    return log_z, stderr


def _gaussian_log_density(z, scale):
    d = z.shape[1]
    return -0.5 * ((z / scale) ** 2).sum(dim=1) - d * (math.log(scale) + 0.5 * _LOG_2PI)


class Proposal:
    """A defensive mixture: kernel density of training rows and a broad Gaussian.

    ``q = (KDE(reference, bandwidth) + N(0, base_scale^2 I)) / 2``. The kernel
    part puts draws where the model's mass is; the Gaussian covers the tails,
    so that the weights ``exp(-E) / q`` have finite variance (the model's
    energy contains the same Gaussian factor).

    Parameters
    ----------
    reference : tensor of shape (m, d)
    bandwidth : float
    base_scale : float
    """

    def __init__(self, reference, bandwidth, base_scale):
        self.reference = reference
        self.bandwidth = float(bandwidth)
        self.base_scale = float(base_scale)

    def sample(self, n_kde, n_base, generator):
        """``n_kde`` draws from the kernel part and ``n_base`` from the Gaussian."""
        ref = self.reference
        d = ref.shape[1]
        opts = dict(dtype=ref.dtype, device=ref.device)
        pick = torch.randint(ref.shape[0], (n_kde,), generator=generator, device=ref.device)
        z_kde = ref[pick] + self.bandwidth * torch.randn(n_kde, d, generator=generator, **opts)
        z_base = self.base_scale * torch.randn(n_base, d, generator=generator, **opts)
        return z_kde, z_base

    def log_density(self, z, chunk=None):
        """``log q(z)``, shape ``(n,)``, in chunks of ``chunk`` rows.

        By default at most 4096 rows, fewer when the ``(rows, m)`` distances
        and their kernel values would exceed skgen.config's ``working_memory``.
        """
        ref, h = self.reference, self.bandwidth
        d = ref.shape[1]
        if chunk is None:
            chunk = chunk_rows(3 * ref.element_size() * ref.shape[0], max_rows=4096)
        out = []
        for i in range(0, z.shape[0], chunk):
            zb = z[i:i + chunk]
            sq = torch.cdist(zb, ref) ** 2
            log_kde = (torch.logsumexp(-0.5 * sq / h**2, dim=1) - math.log(ref.shape[0])
                       - d * (math.log(h) + 0.5 * _LOG_2PI))
            log_base = _gaussian_log_density(zb, self.base_scale)
            out.append(torch.logaddexp(log_kde, log_base) - math.log(2))
        return torch.cat(out)


def _log_weights(energy_fn, proposal, z, chunk=4096):
    with torch.no_grad():
        energy = torch.cat([energy_fn(z[i:i + chunk]) for i in range(0, z.shape[0], chunk)])
        return -energy - proposal.log_density(z)


def importance_log_normalizer(energy_fn, proposal, n_samples, generator):
    """``log Z`` by importance sampling from a :class:`Proposal`.

    Half the draws come from each component of the mixture (stratified), and
    ``Z_hat = (mean(w_kde) + mean(w_base)) / 2`` with ``w = exp(-E(z)) / q(z)``
    is unbiased.

    Returns
    -------
    log_z : float
    stderr : float
        Standard error of ``log Z_hat`` (delta method).
    ess : float
        Effective sample size of the weights.
    """
    n_kde = n_samples // 2
    n_base = n_samples - n_kde
    z_kde, z_base = proposal.sample(n_kde, n_base, generator)
    lw_kde = _log_weights(energy_fn, proposal, z_kde).cpu().numpy()
    lw_base = _log_weights(energy_fn, proposal, z_base).cpu().numpy()
    top = max(lw_kde.max(), lw_base.max())
    w_kde, w_base = np.exp(lw_kde - top), np.exp(lw_base - top)
    mean = 0.5 * (w_kde.mean() + w_base.mean())
    var = 0.25 * (w_kde.var(ddof=1) / n_kde + w_base.var(ddof=1) / n_base)
    w = np.concatenate([w_kde, w_base])
    ess = float(w.sum() ** 2 / np.sum(w**2))
    return float(top + np.log(mean)), float(np.sqrt(var) / mean), ess


def importance_resample(energy_fn, proposal, n_samples, generator, *, oversampling=10):
    """Sampling-importance-resampling: approximate draws from ``exp(-E) / Z``.

    Draws ``oversampling * n_samples`` points from the proposal (a random
    component each) and keeps ``n_samples`` of them with replacement, with
    probabilities proportional to ``exp(-E(z)) / q(z)``.

    Returns
    -------
    z : tensor of shape (n_samples, d)
    """
    m = oversampling * n_samples
    u = torch.rand(m, generator=generator, device=proposal.reference.device)
    n_kde = int((u < 0.5).sum())
    z = torch.cat(proposal.sample(n_kde, m - n_kde, generator))
    log_w = _log_weights(energy_fn, proposal, z)
    probs = torch.softmax(log_w, dim=0)
    pick = torch.multinomial(probs, n_samples, replacement=True, generator=generator)
    return z[pick]


def annealed_importance_log_normalizer(residual_fn, base_scale, n_features, n_samples,
                                       n_steps, step_size, generator, *, dtype, device):
    """``log Z`` by annealed importance sampling (Neal, 2001).

    The energy is ``E(z) = |z|^2 / (2 base_scale^2) + f(z)``, so the path
    ``pi_b(z) ~ exp(-|z|^2 / (2 base_scale^2) - b f(z))`` runs from the Gaussian
    ``N(0, base_scale^2 I)`` (``b = 0``, normalizer known) to the model
    (``b = 1``). Chains start from the Gaussian; at each of ``n_steps``
    temperatures ``b_k = (k / n_steps)^4`` the log-weight gains
    ``-(b_k - b_{k-1}) f(z)`` and the chain takes one MALA step that leaves
    ``pi_{b_k}`` invariant, with a step size shrinking geometrically from
    ``base_scale^2 / 2`` to ``step_size``. ``mean(w) Z_0`` is unbiased for ``Z``.

    Parameters
    ----------
    residual_fn : callable
        ``f``, tensor (n, d) -> tensor (n,).

    Returns
    -------
    log_z : float
    stderr : float
    ess : float
    """
    b = float(base_scale)
    x = b * torch.randn(n_samples, n_features, generator=generator, dtype=dtype,
                        device=device)
    betas = (np.arange(n_steps + 1) / n_steps) ** 4
    h0, h1 = 0.5 * b * b, float(step_size)
    log_w = torch.zeros(n_samples, dtype=dtype, device=device)
    with torch.no_grad():
        f = residual_fn(x)
    for k in range(1, n_steps + 1):
        log_w = log_w - (betas[k] - betas[k - 1]) * f
        beta = float(betas[k])

        def energy(z, beta=beta):
            return 0.5 * ((z / b) ** 2).sum(dim=1) + beta * residual_fn(z)

        h = math.exp((1 - beta) * math.log(h0) + beta * math.log(h1))
        x, _ = langevin(energy, x, 1, h, generator)
        with torch.no_grad():
            f = residual_fn(x)
    log_z0 = 0.5 * n_features * (_LOG_2PI + 2 * math.log(b))
    lw = log_w.cpu().numpy()
    log_mean, stderr = log_mean_exp_with_stderr(lw)
    w = np.exp(lw - lw.max())
    ess = float(w.sum() ** 2 / np.sum(w**2))
    return log_z0 + log_mean, stderr, ess
