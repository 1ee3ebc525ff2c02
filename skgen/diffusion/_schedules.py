"""Noise schedules of the variance-preserving diffusion, in continuous time.

A schedule is a decreasing log signal-to-noise ratio ``lambda(s)`` on
``s in [0, 1]``; the noised data are ``x_s = sqrt(a(s)) x + sqrt(1 - a(s)) eps``
with ``a(s) = sigmoid(lambda(s))`` ("alpha bar"). Every schedule runs from
``lambda(0) = 9.2`` (noise of standard deviation 0.01 in standardized units,
the finest level the model resolves) to ``lambda(1) = -10`` (``a ~ 4.5e-5``:
``x_1`` is standard normal up to a negligible prior term). The discrete DDPM
chain with ``T`` steps uses step ``t = 1..T`` at time ``s = (t - 1) / (T - 1)``
and ``t = 0`` for the data themselves; the probability-flow ODE uses the
continuous functions and the rate ``beta(s) = -d log a(s) / ds``.

``"cosine"``
    ``lambda(s) = -2 log tan(c s + b)`` (Nichol and Dhariwal's cosine
    schedule, with finite end points).
``"linear"``
    the rate ``beta = 0.1 + 19.9 u`` of DDPM's linear betas (1e-4 to 0.02 over
    1000 steps), ``u`` running linearly from the point where
    ``lambda = lambda(0)`` to 1.
``"log_snr"``
    ``lambda`` linear in ``s``: equal steps in log signal-to-noise ratio,
    which makes the discrete bound tightest for a given ``T``.

Every function takes and returns float64 numpy arrays or torch tensors.
"""

import math

import numpy as np
import torch

__all__ = ["SCHEDULES", "Schedule"]

LOG_SNR_MAX = 2 * math.log(100.0)  # finest noise: std 0.01
LOG_SNR_MIN = -10.0
_BETA_MIN, _BETA_MAX = 0.1, 20.0
SCHEDULES = ("cosine", "linear", "log_snr")


def _lib(s):
    return torch if isinstance(s, torch.Tensor) else np


def _log_sigmoid(lam):
    if isinstance(lam, torch.Tensor):
        return torch.nn.functional.logsigmoid(lam)
    return -np.logaddexp(0.0, -lam)


class Schedule:
    """A named noise schedule: ``log_snr(s)``, ``log_alpha_bar(s)``, ``beta(s)``.

    Parameters
    ----------
    kind : {"cosine", "linear", "log_snr"}
    n_timesteps : int
        Steps ``T`` of the discrete chain (at least 2).
    """

    def __init__(self, kind, n_timesteps):
        if kind not in SCHEDULES:
            raise ValueError(f"Unknown noise schedule {kind!r}.")
        self.kind = kind
        self.n_timesteps = int(n_timesteps)
        self._b = math.atan(math.exp(-LOG_SNR_MAX / 2))
        self._c = math.atan(math.exp(-LOG_SNR_MIN / 2)) - self._b
        # linear betas: log a(u) = -(0.1 u + 9.95 u^2); start where a = sigmoid(max)
        big_b = math.log1p(math.exp(-LOG_SNR_MAX))
        half = 0.5 * (_BETA_MAX - _BETA_MIN)
        self._u0 = (-_BETA_MIN + math.sqrt(_BETA_MIN**2 + 4 * half * big_b)) / (2 * half)

    def _u(self, s):
        return self._u0 + s * (1.0 - self._u0)

    # ------------------------------------------------------------ continuous
    def log_snr(self, s):
        """``lambda(s) = log(a / (1 - a))``, decreasing in ``s``."""
        xp = _lib(s)
        if self.kind == "cosine":
            return -2.0 * xp.log(xp.tan(self._c * s + self._b))
        if self.kind == "log_snr":
            return LOG_SNR_MAX + s * (LOG_SNR_MIN - LOG_SNR_MAX)
        log_a = self.log_alpha_bar(s)
        return log_a - xp.log(-xp.expm1(log_a))

    def log_alpha_bar(self, s):
        """``log a(s)``."""
        if self.kind == "linear":
            u = self._u(s)
            return -(_BETA_MIN * u + 0.5 * (_BETA_MAX - _BETA_MIN) * u**2)
        return _log_sigmoid(self.log_snr(s))

    def alpha_bar(self, s):
        """``a(s)``, the signal's share of the variance of ``x_s``."""
        return _lib(s).exp(self.log_alpha_bar(s))

    def beta(self, s):
        """``beta(s) = -d log a / ds``, the rate of the forward SDE."""
        xp = _lib(s)
        if self.kind == "linear":
            return (_BETA_MIN + (_BETA_MAX - _BETA_MIN) * self._u(s)) * (1.0 - self._u0)
        one_minus_a = xp.exp(_log_sigmoid(-self.log_snr(s)))
        if self.kind == "log_snr":
            return one_minus_a * (LOG_SNR_MAX - LOG_SNR_MIN)
        theta = self._c * s + self._b
        return one_minus_a * 4.0 * self._c / xp.sin(2.0 * theta)

    # -------------------------------------------------------------- discrete
    def times(self):
        """Times ``s_t`` of steps ``t = 1..T`` (index 0 is unused, NaN)."""
        T = self.n_timesteps
        return np.r_[np.nan, np.arange(T) / (T - 1)]

    def discrete(self):
        """Quantities of the ``T``-step chain, float64 arrays indexed by ``t = 0..T``.

        Returns
        -------
        dict
            ``s`` (time of step ``t``, NaN at 0), ``alpha_bar`` (``a_0 = 1``),
            ``log_snr`` (``+inf`` at 0), ``beta`` and ``alpha = 1 - beta``
            (NaN at 0), ``posterior_var`` ``= beta_t (1 - a_{t-1}) / (1 - a_t)``,
            the variance of ``q(x_{t-1} | x_t, x_0)`` (0 at ``t = 1``, NaN at 0).
        """
        s = self.times()
        log_a = np.r_[0.0, self.log_alpha_bar(s[1:])]
        log_snr = np.r_[np.inf, self.log_snr(s[1:])]
        step = np.r_[np.nan, log_a[1:] - log_a[:-1]]
        alpha = np.exp(step)
        beta = -np.expm1(step)
        one_minus = -np.expm1(log_a)
        posterior_var = np.r_[np.nan, beta[1:] * one_minus[:-1] / one_minus[1:]]
        return {
            "s": s,
            "alpha_bar": np.exp(log_a),
            "log_snr": log_snr,
            "alpha": alpha,
            "beta": beta,
            "posterior_var": posterior_var,
        }
