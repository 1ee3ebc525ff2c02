"""The denoiser network and the maths of DDPM: bound, samplers, probability flow.

Everything works on standardized rows (tensors of shape ``(n, d)``) and a
function ``eps_fn(x, s)`` that predicts the noise in ``x_s`` at continuous
time ``s in [0, 1]`` (the classifier-free-guided prediction for a
conditional model). Discrete step ``t = 1..T`` of the chain is at time
``disc["s"][t]`` (see ``_schedules``).
"""

import math

import numpy as np
import torch
from torch import nn

from ..nn import MLP, hashed_normal, hashed_rademacher, hashed_uniform, label_embedding

__all__ = [
    "Denoiser",
    "ancestral_sample",
    "ddim_sample",
    "error_control_coefficients",
    "gaussian_eps",
    "guided_eps",
    "probability_flow_log_prob",
    "variational_bound",
]

_LOG_2PI = math.log(2 * math.pi)
#: Rows times timesteps evaluated by the network at once.
_EVAL_BLOCK = 1 << 15
# Streams of the per-row hashed noise.
_STREAM_EPS, _STREAM_T, _STREAM_RECON, _STREAM_PROBE, _STREAM_PILOT = 1, 2, 3, 4, 5
#: Octaves of the Fourier features of the noisy row.
_N_OCTAVES = 5


class SinusoidalEmbedding(nn.Module):
    """``s -> [sin(w_k s), cos(w_k s)]`` with ``w_k`` geometric in ``[1, 1000]``.

    Parameters
    ----------
    dim : int
        Output size (even).
    """

    def __init__(self, dim, max_frequency=1000.0):
        super().__init__()
        half = dim // 2
        freqs = torch.exp(torch.linspace(0.0, math.log(max_frequency), half))
        self.register_buffer("frequencies", freqs)

    def forward(self, s):
        angles = s[:, None] * self.frequencies
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


class Denoiser(nn.Module):
    """MLP ``(x_s, embed(x_s), embed(s), embed(y)) -> eps``: predicts the noise.

    The noisy row enters with Fourier features ``sin(2^k x), cos(2^k x)``,
    ``k = 0..4``, of each coordinate (standardized units), which lets a small
    MLP represent the sharp structure of the denoiser at low noise levels.
    The last layer starts at zero: the estimator adds :func:`gaussian_eps`,
    so that the untrained model is the standard normal (in the network's
    units) and the network learns the correction.

    Parameters
    ----------
    n_features : int
    n_classes : int
        0 for an unconditional model; otherwise labels ``0..n_classes-1`` and
        the null label ``n_classes`` (classifier-free guidance) are embedded.
    hidden_sizes : tuple of int
    time_dim : int, default=32
        Size of the sinusoidal time embedding.
    """

    def __init__(self, n_features, n_classes, hidden_sizes, time_dim=32):
        super().__init__()
        self.n_classes = int(n_classes)
        self.time_embedding = SinusoidalEmbedding(time_dim)
        # labels 0..n_classes-1 and the null label n_classes
        self.label_embedding, label_dim = label_embedding(n_classes + 1 if n_classes else 0)
        self.register_buffer("x_frequencies", 2.0 ** torch.arange(_N_OCTAVES, dtype=torch.float32))
        n_in = n_features * (1 + 2 * _N_OCTAVES) + 2 * (time_dim // 2) + label_dim
        self.net = MLP(n_in, n_features, tuple(hidden_sizes), activation=nn.SiLU,
                       zero_last=True)

    def forward(self, x, s, y=None):
        s = torch.as_tensor(s, dtype=x.dtype, device=x.device)
        if s.dim() == 0:
            s = s.expand(x.shape[0])
        angles = (x[:, :, None] * self.x_frequencies).flatten(1)
        parts = [x, torch.sin(angles), torch.cos(angles), self.time_embedding(s)]
        if self.label_embedding is not None:
            if y is None:
                y = torch.full((x.shape[0],), self.n_classes, dtype=torch.long,
                               device=x.device)
            parts.append(self.label_embedding(y))
        return self.net(torch.cat(parts, dim=-1))


def gaussian_eps(schedule, x, s):
    """The best noise prediction for data ``x_0 ~ N(0, I)``: ``sqrt(1 - a(s)) x_s``.

    Then ``x_s = sqrt(a) x_0 + sqrt(1 - a) eps`` is ``N(0, I)`` as well, and
    ``E[eps | x_s] = sqrt(1 - a) x_s``.

    Parameters
    ----------
    schedule : Schedule
    x : tensor of shape (n, d)
        Noisy rows ``x_s``.
    s : float or tensor of shape (n,)
        Continuous times.

    Returns
    -------
    tensor of shape (n, d)
    """
    s = torch.as_tensor(s, dtype=x.dtype, device=x.device)
    c = torch.sqrt(-torch.expm1(schedule.log_alpha_bar(s)))
    return (c[:, None] if c.dim() == 1 else c) * x


def guided_eps(module, x, s, y, guidance_scale):
    """Noise prediction with classifier-free guidance.

    ``eps = eps(x, s, null) + w (eps(x, s, y) - eps(x, s, null))``; ``w = 1``
    is the conditional model itself, ``w = 0`` the unconditional one.
    """
    if y is None or guidance_scale == 1.0:
        return module(x, s, y)
    s = torch.as_tensor(s, dtype=x.dtype, device=x.device)
    if s.dim() == 0:
        s = s.expand(x.shape[0])
    null = torch.full_like(y, module.n_classes)
    both = module(torch.cat([x, x]), torch.cat([s, s]), torch.cat([y, null]))
    cond, uncond = both.chunk(2)
    return uncond + guidance_scale * (cond - uncond)


# ------------------------------------------------------------------- bound
def _bound_slots(T, n_bound_samples, u):
    """Timesteps and weights of the estimate of ``sum_{t=2}^T KL_t``.

    With ``n_bound_samples=None`` every ``t`` once (weight 1). Otherwise the
    ``T - 1`` steps are cut into ``K`` strata of (nearly) equal size and one
    ``t`` is drawn uniformly in each (``u`` of shape ``(n, K)``), weighted by
    the stratum's size: an unbiased estimate of the sum.

    Returns
    -------
    t : ndarray of shape (n, K) of int
    weight : ndarray of shape (K,)
    """
    n = u.shape[0]
    if n_bound_samples is None or n_bound_samples >= T - 1:
        t = np.broadcast_to(np.arange(2, T + 1), (n, T - 1))
        return t, np.ones(T - 1)
    K = int(n_bound_samples)
    edges = np.round(np.linspace(2, T + 1, K + 1)).astype(int)
    sizes = np.diff(edges)
    t = edges[:-1] + np.minimum(np.floor(u * sizes).astype(int), sizes - 1)
    return t, sizes.astype(np.float64)


def _squared_errors(eps_fn, x0, disc, t, noise, rows):
    """``|eps - eps_hat(x_t)|^2`` for noise ``(n, b, d)`` at timesteps ``t`` ``(n, b)``."""
    n, b, d = noise.shape
    opts = dict(dtype=x0.dtype, device=x0.device)
    a = disc["alpha_bar"]
    sa = torch.as_tensor(np.sqrt(a[t]), **opts)[..., None]
    sb = torch.as_tensor(np.sqrt(1.0 - a[t]), **opts)[..., None]
    xt = (sa * x0[:, None, :] + sb * noise).reshape(n * b, d)
    s = torch.as_tensor(disc["s"][t].reshape(-1), **opts)
    e_hat = eps_fn(xt, s, rows=np.repeat(rows, b)).reshape(n, b, d)
    return ((noise - e_hat) ** 2).sum(dim=2)


def error_control_coefficients(eps_fn, x0, disc, keys):
    """Control-variate coefficients ``c_t`` of the bound's noise terms, ``t = 1..T``.

    Where the noise cannot be predicted from ``x_t`` (low noise levels),
    ``|eps - eps_hat|^2`` follows ``|eps|^2``, whose mean ``d`` is known, so
    ``|eps - eps_hat|^2 - c_t (|eps|^2 - d)`` has the same mean and a much
    smaller variance. ``c_t`` is the least-squares slope of the first on the
    second over pilot rows ``x0`` (training rows): fixed before scoring, it
    keeps the estimate unbiased.

    Returns
    -------
    c : ndarray of shape (T,)
        ``c[t - 1]`` for timestep ``t``.
    """
    n, d = x0.shape
    T = len(disc["alpha_bar"]) - 1
    rows = np.arange(n)
    out = np.zeros(T)
    block = max(1, _EVAL_BLOCK // max(n, 1))
    for k0 in range(0, T, block):
        t = np.broadcast_to(np.arange(k0 + 1, min(T, k0 + block) + 1), (n, min(T, k0 + block) - k0))
        noise = hashed_normal(keys, _STREAM_PILOT, t.shape[1] * d, offset=k0 * d)
        noise = torch.as_tensor(noise.reshape(n, t.shape[1], d), dtype=x0.dtype, device=x0.device)
        err = _squared_errors(eps_fn, x0, disc, t, noise, rows).double().cpu().numpy()
        q = (noise**2).sum(dim=2).double().cpu().numpy() - d
        out[k0:k0 + t.shape[1]] = ((err - err.mean(0)) * q).sum(0) / np.maximum((q**2).sum(0),
                                                                                1e-12)
    return out


def variational_bound(eps_fn, x0, disc, keys, n_bound_samples=None, *, n_noise_pairs=None,
                      control=None):
    """DDPM's variational lower bound on ``log p(x_0)``, per row.

    ``log p(x_0) >= E_q[log p(x_0 | x_1)] - sum_{t=2}^T KL(q(x_{t-1} | x_t, x_0)
    || p(x_{t-1} | x_t)) - KL(q(x_T | x_0) || N(0, I))`` with reverse steps
    of variance ``posterior_var`` (the KL terms reduce to
    ``0.5 (SNR_{t-1} / SNR_t - 1) |eps - eps_hat(x_t, t)|^2``) and the
    Gaussian decoder ``p(x_0 | x_1) = N(x_hat_0(x_1), (1 - a_1) / a_1 I)``.
    The expectations over ``x_t`` use the per-row hashed noise (see
    :mod:`skgen.nn`), so the result is an unbiased estimate of the bound.

    Parameters
    ----------
    eps_fn : callable ``(x, s) -> eps``
    x0 : tensor of shape (n, d)
        Standardized rows.
    disc : dict
        :meth:`Schedule.discrete` arrays.
    keys : ndarray of shape (n,) of uint64
        Row keys of the hashed noise.
    n_bound_samples : int or None
        Timesteps drawn (stratified) for the sum; ``None``: all of them.
    n_noise_pairs : int or None, keyword-only
        ``None``: one noise draw per timestep. An integer ``m``: ``m``
        antithetic pairs ``(eps, -eps)`` per timestep, which cancel the part
        of each error that is linear in the noise.
    control : ndarray of shape (T,) or None, keyword-only
        Control-variate coefficients (:func:`error_control_coefficients`);
        ``None`` uses none.

    Returns
    -------
    bound : tensor of shape (n,)
    """
    n, d = x0.shape
    T = len(disc["alpha_bar"]) - 1
    opts = dict(dtype=x0.dtype, device=x0.device)
    log_snr = disc["log_snr"]
    a_T = disc["alpha_bar"][T]
    rows = np.arange(n)
    draws = 1 if n_noise_pairs is None else 2 * int(n_noise_pairs)
    c = np.zeros(T) if control is None else np.asarray(control, dtype=np.float64)

    def mean_error(t, stream, offset):
        """Mean over the draws of ``|eps - eps_hat|^2 - c_t (|eps|^2 - d)``, ``(n, b)``."""
        b = t.shape[1]
        half = max(1, draws // 2)
        raw = hashed_normal(keys, stream, half * b * d, offset=offset * half * d)
        # counters of slot k are [k * half * d, (k + 1) * half * d): a row's draws do
        # not depend on how the timesteps are blocked (which depends on n)
        raw = torch.as_tensor(raw.reshape(n, b, half, d), **opts).permute(0, 2, 1, 3)
        noise = raw if draws == 1 else torch.cat([raw, -raw], dim=1)
        tt = np.repeat(t[:, None, :], noise.shape[1], axis=1).reshape(n, -1)
        err = _squared_errors(eps_fn, x0, disc, tt, noise.reshape(n, -1, d), rows)
        q = (noise.reshape(n, -1, d) ** 2).sum(dim=2) - d
        cc = torch.as_tensor(c[tt - 1], **opts)
        return (err - cc * q).reshape(n, noise.shape[1], b).mean(dim=1)

    # prior term, closed form
    prior_kl = 0.5 * (a_T * (x0**2 - 1.0) - math.log1p(-a_T)).sum(dim=1)

    # reconstruction term at t = 1, Gaussian decoder with variance exp(-log_snr_1)
    t1 = np.ones((n, 1), dtype=int)
    err1 = mean_error(t1, _STREAM_RECON, 0)[:, 0]
    recon = -0.5 * d * _LOG_2PI + 0.5 * d * log_snr[1] - 0.5 * err1

    # sum of the KL terms t = 2..T
    kl = torch.zeros(n, **opts)
    if T >= 2:
        K = (T - 1) if n_bound_samples is None else min(int(n_bound_samples), T - 1)
        u = hashed_uniform(keys, _STREAM_T, K)
        t_all, sizes = _bound_slots(T, n_bound_samples, u)
        weights_t = np.r_[np.nan, 0.5 * np.expm1(log_snr[1:-1] - log_snr[2:])]  # [t-1]: KL_t
        block = max(1, _EVAL_BLOCK // max(n * draws, 1))
        for k0 in range(0, K, block):
            k1 = min(K, k0 + block)
            t = np.ascontiguousarray(t_all[:, k0:k1])  # (n, b)
            err = mean_error(t, _STREAM_EPS, k0)
            w = torch.as_tensor(weights_t[t - 1] * sizes[None, k0:k1], **opts)
            kl = kl + (w * err).sum(dim=1)
    return recon - kl - prior_kl


# ----------------------------------------------------------------- sampling
@torch.no_grad()
def ancestral_sample(eps_fn, n, d, disc, generator, *, dtype, device):
    """DDPM ancestral sampling: ``T`` reverse Gaussian steps from ``N(0, I)``.

    Reverse steps have variance ``posterior_var``; the last one draws from the
    decoder ``N(x_hat_0, (1 - a_1) / a_1 I)``, so samples come from the very
    model whose density :func:`variational_bound` bounds.
    """
    T = len(disc["alpha_bar"]) - 1
    opts = dict(dtype=dtype, device=device)
    x = torch.randn(n, d, generator=generator, **opts)
    for t in range(T, 0, -1):
        e = eps_fn(x, torch.full((n,), disc["s"][t], **opts))
        if t > 1:
            coef = disc["beta"][t] / math.sqrt(1.0 - disc["alpha_bar"][t])
            mean = (x - coef * e) / math.sqrt(disc["alpha"][t])
            std = math.sqrt(disc["posterior_var"][t])
        else:
            a1 = disc["alpha_bar"][1]
            mean = (x - math.sqrt(1.0 - a1) * e) / math.sqrt(a1)
            std = math.exp(-0.5 * disc["log_snr"][1])
        x = mean + std * torch.randn(n, d, generator=generator, **opts)
    return x


@torch.no_grad()
def ddim_sample(eps_fn, n, d, disc, n_steps, generator, *, dtype, device):
    """DDIM's deterministic sampler (``eta = 0``) on ``n_steps`` of the ``T`` steps.

    From ``x_T ~ N(0, I)``, each step predicts ``x_hat_0`` and moves to an
    earlier step along the predicted noise,
    ``x_{t'} = sqrt(a_{t'}) x_hat_0 + sqrt(1 - a_{t'}) eps_hat``; the last step
    returns ``x_hat_0``. It is a discretization of the probability-flow ODE.
    """
    T = len(disc["alpha_bar"]) - 1
    a = disc["alpha_bar"]
    opts = dict(dtype=dtype, device=device)
    times = np.unique(np.round(np.linspace(0, T, min(n_steps, T) + 1)).astype(int))[::-1]
    x = torch.randn(n, d, generator=generator, **opts)
    for t, t_next in zip(times[:-1], times[1:]):
        e = eps_fn(x, torch.full((n,), disc["s"][t], **opts))
        x0_hat = (x - math.sqrt(1.0 - a[t]) * e) / math.sqrt(a[t])
        x = math.sqrt(a[t_next]) * x0_hat + math.sqrt(1.0 - a[t_next]) * e
    return x


# ---------------------------------------------------------- probability flow
def probability_flow_log_prob(eps_fn, x0, schedule, keys, *, n_steps, n_probes):
    """``log p_0(x_0)`` by the probability-flow ODE with Hutchinson traces.

    Integrates ``dx/ds = -beta(s) / 2 (x - eps(x, s) / sigma(s))`` from 0
    (the finest noise level) to 1 with ``n_steps`` classical Runge-Kutta
    steps, and along it the divergence ``-beta / 2 (d - tr(d eps / dx) / sigma)``;
    ``log p_0(x_0) = log N(x_1; 0, I) + int div ds``. The trace is
    Hutchinson's estimate ``mean_k v_k^T (d eps / dx) v_k`` with
    ``n_probes`` Rademacher vectors per row (hashed: fixed along the path).

    Returns
    -------
    log_prob : tensor of shape (n,)
        ``-inf`` where the integration overflowed (far from the data).
    """
    n, d = x0.shape
    opts = dict(dtype=x0.dtype, device=x0.device)
    probes = torch.as_tensor(
        hashed_rademacher(keys, _STREAM_PROBE, n_probes * d).reshape(n, n_probes, d), **opts)

    def field(x, s):
        beta = float(schedule.beta(np.float64(s)))
        sigma = math.sqrt(-math.expm1(float(schedule.log_alpha_bar(np.float64(s)))))
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            e = eps_fn(x, torch.full((n,), s, **opts))
            trace = torch.zeros(n, **opts)
            for k in range(n_probes):
                v = probes[:, k]
                (vjp,) = torch.autograd.grad(e, x, v, retain_graph=k < n_probes - 1)
                trace = trace + (vjp * v).sum(dim=1)
        trace = trace / n_probes
        velocity = -0.5 * beta * (x.detach() - e.detach() / sigma)
        divergence = -0.5 * beta * (d - trace / sigma)
        return velocity, divergence

    x = x0.clone()
    integral = torch.zeros(n, **opts)
    grid = np.linspace(0.0, 1.0, n_steps + 1)
    for s, s_next in zip(grid[:-1], grid[1:]):
        h = s_next - s
        v1, g1 = field(x, s)
        v2, g2 = field(x + 0.5 * h * v1, s + 0.5 * h)
        v3, g3 = field(x + 0.5 * h * v2, s + 0.5 * h)
        v4, g4 = field(x + h * v3, s_next)
        x = x + h / 6.0 * (v1 + 2 * v2 + 2 * v3 + v4)
        integral = integral + h / 6.0 * (g1 + 2 * g2 + 2 * g3 + g4)
    log_prior = -0.5 * (d * _LOG_2PI + (x**2).sum(dim=1))
    out = log_prior + integral
    return torch.where(torch.isfinite(out), out, torch.full_like(out, -math.inf))
