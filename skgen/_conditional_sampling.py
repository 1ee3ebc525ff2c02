"""``sample(given=...)``: completing rows by draws from ``p(x_missing | x_observed)``.

Estimators with exact conditionals (:class:`skgen.base.ExactQuestionsMixin`)
draw each missingness pattern with their own ``_sample_given_pattern``. Every
other estimator with a density goes through :func:`importance_resample`, an
approximate sampler.
"""

import warnings

import numpy as np
from scipy.special import logsumexp

from .base import ConditionalSamplingWarning, _validate_given, get_likelihood_kind

__all__ = ["ConditionalSamplingWarning", "importance_resample", "sample_given"]

#: Proposals drawn per completed row by :func:`importance_resample`.
N_PROPOSALS = 1000
#: Model samples the proposal mixture is fitted to.
N_PILOT = 2000
#: Below this effective sample size (per row) a warning is raised.
MIN_ESS = 20.0
#: Rows scored at once (proposals x rows).
_SCORE_CHUNK = 200_000


def sample_given(estimator, given, n_samples, rng):
    """Complete each row of ``given`` (NaN: to draw) from the fitted ``estimator``.

    Returns
    -------
    ndarray of shape (len(given), n_features)
    """
    from .base import ExactQuestionsMixin
    from .classical._conditioning import missing_patterns

    X = np.array(_validate_given(estimator, given), dtype=np.float64)
    if np.isinf(X).any():
        raise ValueError("given holds infinite values; observed values must be finite.")
    if n_samples not in (1, X.shape[0]):
        raise ValueError(
            f"sample(given=...) draws one completion per row of given ({X.shape[0]} "
            f"rows), so n_samples must be 1 or {X.shape[0]}, got {n_samples!r}. For "
            "several draws per row, repeat the rows of given (np.repeat)."
        )
    exact = isinstance(estimator, ExactQuestionsMixin) and estimator._marginalizes_nan()
    approximate = []
    for rows, observed in missing_patterns(X):
        A, B = np.flatnonzero(observed), np.flatnonzero(~observed)
        if B.size == 0:
            continue
        if A.size == 0:
            X[rows] = estimator._sample(rows.size, rng, None)
        elif exact:
            X[np.ix_(rows, B)] = estimator._sample_given_pattern(A, B, X[np.ix_(rows, A)], rng)
        else:
            approximate.append((rows, A, B))
    if approximate:
        ess = np.full(X.shape[0], np.nan)
        proposal = _pilot_mixture(estimator, rng)
        for rows, A, B in approximate:
            X[np.ix_(rows, B)], ess[rows] = importance_resample(
                estimator, proposal, A, B, X[np.ix_(rows, A)], rng)
        estimator.given_ess_ = ess
        low = np.nanmin(ess)
        if low < MIN_ESS:
            warnings.warn(
                f"{type(estimator).__name__}.sample(given=...) is approximate (importance "
                f"resampling); the smallest effective sample size was {low:.1f} of "
                f"{N_PROPOSALS} proposals (per-row values in given_ess_), so some draws "
                "may be poor. Observed values far from the training data make it small.",
                ConditionalSamplingWarning, stacklevel=3)
    return X


def _pilot_mixture(estimator, rng):
    """A Gaussian mixture fitted to the model's own samples, the proposal's base."""
    from .classical import GaussianMixture

    pilot = np.asarray(estimator._sample(N_PILOT, rng, None), dtype=np.float64)
    pilot = pilot[np.isfinite(pilot).all(axis=1)]
    scale = pilot.std(axis=0).mean() if pilot.size else 1.0
    return GaussianMixture(n_components=min(10, max(1, len(pilot) // 50)),
                           reg_covar=1e-4 * scale**2 + 1e-12,
                           random_state=rng.randint(2**31 - 1)).fit(pilot)


def importance_resample(estimator, proposal, A, B, a, rng, n_proposals=N_PROPOSALS):
    """Approximate draws of ``x_B | x_A = a`` by sampling importance resampling.

    For each row, ``n_proposals`` values ``x_B`` are drawn from ``q``, the
    exact conditional of ``proposal`` (a Gaussian mixture fitted to the
    model's own samples) mixed half-and-half with the same conditional of
    covariance times 4 (heavier tails, so that the weights stay bounded); each
    is weighted by ``p(a, x_B) / q(x_B)`` with ``p`` the model's
    ``score_samples``, and one is kept with probability proportional to its
    weight. Since ``p(a, x_B)`` is proportional to ``p(x_B | a)``, the draw
    follows the model's conditional as ``n_proposals`` grows (for a finite
    number it is biased towards ``q``); the normalizer of an unnormalized model
    cancels. A ``lower_bound`` or ``estimate`` score gives weights of that
    quality. The effective sample size ``(sum w)^2 / sum w^2`` of each row
    says how many proposals effectively counted.

    Parameters
    ----------
    estimator : fitted estimator with ``_score_samples``
    proposal : fitted :class:`skgen.classical.GaussianMixture` over all features
    A, B : int arrays, observed and drawn coordinates.
    a : ndarray of shape (m, len(A))
    rng : numpy RandomState
    n_proposals : int, default=1000

    Returns
    -------
    draws : ndarray of shape (m, len(B))
    ess : ndarray of shape (m,)
    """
    from .classical._conditioning import gaussian_conditional, mixture_log_joint
    from .classical._mixture import _full_covariances

    if get_likelihood_kind(estimator) == "none":
        raise ValueError(
            f"{type(estimator).__name__} has no density, so sample(given=...) cannot "
            "weight its draws; use a model with a density.")
    weights = proposal.weights_
    means = proposal.means_
    covs = _full_covariances(proposal.mixture_)
    m, k, M = a.shape[0], weights.size, n_proposals
    log_joint = mixture_log_joint(weights, means, covs, A, a)  # (m, k)
    resp = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))
    cond = [gaussian_conditional(means[j], covs[j], A, B, a) for j in range(k)]
    cond_means = np.stack([c[0] for c in cond], axis=1)  # (m, k, |B|)
    chols = np.stack([np.linalg.cholesky(c[1]) for c in cond])  # (k, |B|, |B|)
    # component (k of them, times two widths) of each proposal
    u = rng.uniform(size=(m, M, 1))
    comp = np.minimum((np.cumsum(resp, axis=1)[:, None, :] < u).sum(-1), k - 1)
    wide = rng.uniform(size=(m, M)) < 0.5
    z = rng.standard_normal(size=(m, M, B.size))
    xb = cond_means[np.arange(m)[:, None], comp] + np.einsum(
        "mnij,mnj->mni", chols[comp], z) * np.where(wide, 2.0, 1.0)[..., None]
    # log q(x_B): the two-width mixture
    log_q = np.empty((m, M, 2 * k))
    for j in range(k):
        diff = xb - cond_means[:, j][:, None, :]
        sol = np.linalg.solve(chols[j], diff.reshape(-1, B.size).T).T.reshape(m, M, B.size)
        maha = np.sum(sol**2, axis=-1)
        half_logdet = np.sum(np.log(np.diag(chols[j])))
        base = np.log(resp[:, j] + 1e-300)[:, None] - 0.5 * B.size * np.log(2 * np.pi)
        log_q[..., j] = base + np.log(0.5) - half_logdet - 0.5 * maha
        log_q[..., k + j] = (base + np.log(0.5) - half_logdet - B.size * np.log(2.0)
                             - 0.125 * maha)
    log_q = logsumexp(log_q, axis=-1)
    full = np.empty((m, M, A.size + B.size))
    full[..., A] = a[:, None, :]
    full[..., B] = xb
    full = full.reshape(m * M, -1)
    log_p = np.concatenate([
        np.asarray(estimator._score_samples(full[i:i + _SCORE_CHUNK], None), dtype=float)
        for i in range(0, full.shape[0], _SCORE_CHUNK)]).reshape(m, M)
    log_w = np.where(np.isfinite(log_p), log_p - log_q, -np.inf)
    top = log_w.max(axis=1, keepdims=True)
    if not np.all(np.isfinite(top)):
        raise ValueError("Every proposal has density zero under the model for some rows "
                         "of given: their observed values lie outside its support.")
    w = np.exp(log_w - top)
    ess = w.sum(axis=1) ** 2 / np.sum(w**2, axis=1)
    u = rng.uniform(size=(m, 1)) * w.sum(axis=1, keepdims=True)
    pick = np.minimum((np.cumsum(w, axis=1) < u).sum(axis=1), M - 1)
    return xb[np.arange(m), pick], ess
