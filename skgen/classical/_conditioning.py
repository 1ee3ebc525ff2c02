"""Missing values, marginals and conditionals of Gaussians and Gaussian mixtures.

Pure functions on mixture parameters ``weights (k,)``, ``means (k, d)`` and
full covariances ``covs (k, d, d)``; a single Gaussian is ``k = 1``. A marginal
drops rows and columns of each covariance; a conditional on ``x_A = a`` is,
per component, the Gaussian with the Schur complement as covariance, and the
components are reweighted by ``w_k N(a; mu_kA, S_kAA)``.
"""

import numpy as np
from threadpoolctl import threadpool_limits
from scipy import linalg
from scipy.special import logsumexp

from ..utils import gen_batches_by_memory
from ._gaussian import _gaussian_log_density_chol

_EPS = 10 * np.finfo(np.float64).eps


def missing_patterns(X):
    """Rows of ``X`` grouped by which entries are NaN.

    Parameters
    ----------
    X : ndarray of shape (n, d)

    Returns
    -------
    list of (rows, observed)
        ``rows`` an int array of row positions, ``observed`` a bool mask of
        shape ``(d,)``; groups in a fixed order (that of :func:`numpy.unique`).
    """
    missing = np.isnan(X)
    patterns, inverse = np.unique(missing, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(patterns) + 1))
    return [(order[bounds[p]:bounds[p + 1]], ~patterns[p]) for p in range(len(patterns))]


def _chol(cov):
    """Lower Cholesky factor, with a clear error for a singular block."""
    try:
        return linalg.cholesky(cov, lower=True)
    except linalg.LinAlgError:
        raise ValueError(
            "A covariance block is singular, so the marginal or conditional density "
            "is degenerate. Refit with a larger reg_covar."
        ) from None


def gaussian_conditional(mean, cov, A, B, a):
    """``x_B | x_A = a`` of ``N(mean, cov)``.

    Parameters
    ----------
    mean : ndarray of shape (d,)
    cov : ndarray of shape (d, d)
    A, B : int arrays, the observed and the modelled coordinates.
    a : ndarray of shape (m, len(A))

    Returns
    -------
    means : ndarray of shape (m, len(B))
        ``mean_B + S_BA S_AA^-1 (a - mean_A)``.
    cond_cov : ndarray of shape (len(B), len(B))
        The Schur complement ``S_BB - S_BA S_AA^-1 S_AB``.
    """
    if A.size == 0:
        return np.broadcast_to(mean[B], (a.shape[0], B.size)).copy(), cov[np.ix_(B, B)]
    S_BA = cov[np.ix_(B, A)]
    regression = linalg.cho_solve((_chol(cov[np.ix_(A, A)]), True), S_BA.T).T
    cond_cov = cov[np.ix_(B, B)] - regression @ S_BA.T
    cond_cov = 0.5 * (cond_cov + cond_cov.T)
    return mean[B] + (a - mean[A]) @ regression.T, cond_cov


def mixture_log_joint(weights, means, covs, A, a):
    """``log w_k + log N(a; mu_kA, S_kAA)`` for each row and component.

    Returns
    -------
    ndarray of shape (m, k)
    """
    k = weights.size
    with np.errstate(divide="ignore"):
        out = np.repeat(np.log(weights)[None, :], a.shape[0], axis=0)
    if A.size:
        for j in range(k):
            chol = _chol(covs[j][np.ix_(A, A)])
            out[:, j] += _gaussian_log_density_chol(a, means[j, A], chol)
    return out


def mixture_score_missing(weights, means, covs, X):
    """Log-density of the observed entries of each row (NaN = unobserved).

    Returns
    -------
    ndarray of shape (n,)
    """
    out = np.empty(X.shape[0])
    for rows, observed in missing_patterns(X):
        A = np.flatnonzero(observed)
        for chunk in gen_batches_by_memory(rows.size, _row_bytes(weights.size, A.size)):
            part = rows[chunk]
            out[part] = logsumexp(
                mixture_log_joint(weights, means, covs, A, X[np.ix_(part, A)]), axis=1)
    return out


def _row_bytes(k, d):
    """Working memory per row of ``mixture_log_joint`` and a softmax over its
    ``k`` columns: a few ``(rows, k)`` and ``(rows, d)`` float64 arrays."""
    return 8 * (6 * k + 4 * d)


def mixture_conditional(weights, means, covs, A, B, a):
    """Parameters of ``x_B | x_A = a`` for one row ``a``.

    Returns
    -------
    weights : ndarray of shape (k,)
    means : ndarray of shape (k, len(B))
    covs : ndarray of shape (k, len(B), len(B))

    Raises
    ------
    ValueError
        When ``a`` has density zero under every component.
    """
    log_joint = mixture_log_joint(weights, means, covs, A, a[None, :])[0]
    total = logsumexp(log_joint)
    if not np.isfinite(total):
        raise ValueError("The observed values have density zero: no conditional exists.")
    cond = [gaussian_conditional(means[j], covs[j], A, B, a[None, :])
            for j in range(weights.size)]
    return (np.exp(log_joint - total), np.array([m[0] for m, _ in cond]),
            np.array([c for _, c in cond]))


def mixture_sample_given(weights, means, covs, A, B, a, rng):
    """One draw of ``x_B | x_A = a_i`` per row of ``a``.

    Returns
    -------
    ndarray of shape (m, len(B))
    """
    # the draws first, so that the chunks of rows below do not change them
    u = rng.uniform(size=(a.shape[0], 1))
    z = rng.standard_normal(size=(a.shape[0], B.size))
    labels = np.empty(a.shape[0], dtype=np.intp)
    for rows in gen_batches_by_memory(a.shape[0], _row_bytes(weights.size, A.size)):
        log_joint = mixture_log_joint(weights, means, covs, A, a[rows])
        resp = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))
        labels[rows] = np.minimum((np.cumsum(resp, axis=1) < u[rows]).sum(axis=1),
                                  weights.size - 1)
    out = np.empty_like(z)
    for j in np.unique(labels):
        rows = labels == j
        mean, cov = gaussian_conditional(means[j], covs[j], A, B, a[rows])
        out[rows] = mean + z[rows] @ _chol(cov).T
    return out


def _project_covariances(S, counts, covariance_type, reg_covar):
    """The M-step covariance of a constrained type from full per-component ones."""
    k, d, _ = S.shape
    if covariance_type == "tied":
        S = np.broadcast_to(np.tensordot(counts / counts.sum(), S, axes=1), S.shape).copy()
    elif covariance_type == "diag":
        S = np.einsum("kd,de->kde", np.einsum("kdd->kd", S), np.eye(d))
    elif covariance_type == "spherical":
        S = np.einsum("kdd->k", S)[:, None, None] / d * np.eye(d)
    return S + reg_covar * np.eye(d)


def mixture_em_missing(X, weights, means, covs, *, covariance_type, reg_covar, max_iter,
                       tol):
    """EM for a Gaussian mixture on rows with NaN (missing at random).

    The E-step completes each row per component with the conditional mean of
    its missing entries and adds the conditional covariance (the Schur
    complement) to the second moments; the M-step is the usual one on these
    expected sufficient statistics, projected on ``covariance_type``
    (``"full"``, ``"tied"``, ``"diag"``, ``"spherical"``).

    Returns
    -------
    weights, means, covs, converged, n_iter, mean_log_likelihood
    """
    # many small solves, one per pattern and component: BLAS threads only
    # add synchronization (10x slower on a busy 2-core machine)
    with threadpool_limits(limits=1, user_api="blas"):
        return _mixture_em_missing(X, weights, means, covs, covariance_type=covariance_type,
                                   reg_covar=reg_covar, max_iter=max_iter, tol=tol)


def _mixture_em_missing(X, weights, means, covs, *, covariance_type, reg_covar, max_iter,
                        tol):
    n, d = X.shape
    k = weights.size
    groups = [(rows, np.flatnonzero(obs), np.flatnonzero(~obs))
              for rows, obs in missing_patterns(X)]
    previous, converged, mean_ll = -np.inf, False, -np.inf
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        log_joint = np.empty((n, k))
        completed = np.repeat(X[None], k, axis=0)
        corrections = []  # (rows, B, j, conditional covariance)
        for rows, A, B in groups:
            a = X[np.ix_(rows, A)]
            log_joint[rows] = mixture_log_joint(weights, means, covs, A, a)
            if B.size:
                for j in range(k):
                    cond_mean, cond_cov = gaussian_conditional(means[j], covs[j], A, B, a)
                    completed[j][np.ix_(rows, B)] = cond_mean
                    corrections.append((rows, B, j, cond_cov))
        row_ll = logsumexp(log_joint, axis=1)
        resp = np.exp(log_joint - row_ll[:, None])
        mean_ll = float(row_ll.mean())
        counts = resp.sum(axis=0) + _EPS
        means = np.einsum("nk,knd->kd", resp, completed) / counts[:, None]
        S = np.empty((k, d, d))
        for j in range(k):
            diff = completed[j] - means[j]
            S[j] = (resp[:, j, None] * diff).T @ diff
        for rows, B, j, cond_cov in corrections:
            S[j][np.ix_(B, B)] += resp[rows, j].sum() * cond_cov
        covs = _project_covariances(S / counts[:, None, None], counts, covariance_type,
                                    reg_covar)
        weights = counts / counts.sum()
        if abs(mean_ll - previous) < tol:
            converged = True
            break
        previous = mean_ll
    return weights, means, covs, converged, n_iter, mean_ll


def check_observed_columns(X):
    """Refuse a training table with a column that is never observed."""
    empty = np.flatnonzero(np.all(np.isnan(X), axis=0))
    if empty.size:
        raise ValueError(
            f"Column(s) {empty.tolist()} hold only NaN: nothing can be learned about "
            "them. Drop them before fitting."
        )
