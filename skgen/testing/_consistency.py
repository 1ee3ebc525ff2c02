"""Does a density integrate to one, and does its sampler draw from it?

Statistics behind the ``"exact"`` part of
:func:`skgen.testing.check_generative_estimator`. Each check receives
``logp(Z, where)``, the validated log-density of rows ``Z``, and
``draw(n, seed)``, ``n`` validated samples, so that the same code checks
``p(x)`` and ``p(x | y)``; ``ctx`` supplies seeds and ``ctx.require``.
"""

import warnings

import numpy as np
from scipy import stats

__all__ = ["check_exact_density"]

# Significance level of the goodness-of-fit tests. All draws are seeded, so a
# correct estimator passes or fails the same way every time.
_P_VALUE = 1e-4
_N_BOX = 2000  # samples that locate the model's mass
_N_TEST = 4000  # samples compared with the density
_N_IMPORTANCE = 20000  # proposal draws for the importance-sampling integral
_MAX_IMPORTANCE_DIM = 8  # above this the integral cannot be estimated reliably
# Grid quadrature: (cells per axis, cells per block of the chi-square test,
# tolerance on the integral, on moments (relative to the std) and on the
# expected log-density (nats)).
_GRIDS = {
    1: dict(cells=40000, block=400, tol=3e-3, moment_tol=5e-3, entropy_tol=5e-3),
    2: dict(cells=300, block=30, tol=2e-2, moment_tol=2e-2, entropy_tol=3e-2),
}


def _cover(points, pad=0.5):
    """A box around ``points``, widened by ``pad`` times its span on each side."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return lo - pad * span, hi + pad * span


def _chi_square_pvalue(observed, expected):
    """Pearson's test; cells expecting fewer than 5 counts are pooled."""
    observed, expected = np.ravel(observed), np.ravel(expected)
    small = expected < 5
    if small.any():
        observed = np.append(observed[~small], observed[small].sum())
        expected = np.append(expected[~small], expected[small].sum())
    empty = expected <= 0
    if np.any(observed[empty] > 0):
        return 0.0  # samples where the density has no mass
    observed, expected = observed[~empty], expected[~empty]
    if expected.size < 2:
        return 1.0
    statistic = np.sum((observed - expected) ** 2 / expected)
    return float(stats.chi2.sf(statistic, expected.size - 1))


def _check_moments(ctx, points, weights, samples, rel_tol, what):
    """Sample mean and covariance against the density-weighted ones."""
    n = len(samples)
    mu_q = weights @ points
    centred = points - mu_q
    cov_q = centred.T @ (centred * weights[:, None])
    sd = np.sqrt(np.diag(cov_q))
    mu_s = samples.mean(axis=0)
    dev = samples - mu_s
    cov_s = dev.T @ dev / n
    se_mu = samples.std(axis=0) / np.sqrt(n)
    ctx.require(
        np.all(np.abs(mu_s - mu_q) <= 5 * se_mu + rel_tol * sd),
        f"{what}: the mean of sample() is {mu_s.round(4)} but the density's mean is "
        f"{mu_q.round(4)} (standard error {se_mu.round(4)}): the sampler does not "
        "draw from score_samples' density.",
    )
    products = dev[:, :, None] * dev[:, None, :]
    se_cov = products.std(axis=0) / np.sqrt(n)
    ctx.require(
        np.all(np.abs(cov_s - cov_q) <= 5 * se_cov + rel_tol * np.outer(sd, sd)),
        f"{what}: the covariance of sample() is {cov_s.round(4).tolist()} but the "
        f"density's is {cov_q.round(4).tolist()}: the sampler does not draw from "
        "score_samples' density.",
    )


def _check_expected_log_density(ctx, expected, se_expected, sample_logp, tol, what):
    """Mean log-density of the samples against ``E_p[log p]`` (minus the entropy)."""
    mean = float(np.mean(sample_logp))
    se = float(np.std(sample_logp)) / np.sqrt(len(sample_logp))
    bound = 5 * np.hypot(se, se_expected) + tol
    ctx.require(
        abs(mean - expected) <= bound,
        f"{what}: the mean log-density of the model's own samples is {mean:.4f} but "
        f"E_p[log p] computed from score_samples is {expected:.4f} (allowed "
        f"difference {bound:.4f}): the sampler does not draw from the density.",
    )


def _check_exact_on_grid(ctx, logp, X, box_samples, samples, sample_logp, what):
    """Normalization and sampler agreement by midpoint quadrature (1-D, 2-D)."""
    d = X.shape[1]
    cfg = _GRIDS[d]
    cells, block = cfg["cells"], cfg["block"]
    lo, hi = _cover(np.vstack([X, box_samples]))
    edges = [np.linspace(a, b, cells + 1) for a, b in zip(lo, hi)]
    mids = [(e[:-1] + e[1:]) / 2 for e in edges]
    volume = float(np.prod([e[1] - e[0] for e in edges]))
    grid = np.stack(np.meshgrid(*mids, indexing="ij"), axis=-1).reshape(-1, d)
    lp = logp(grid, f"a {cells}^{d} quadrature grid")
    with np.errstate(over="ignore"):
        mass = np.exp(lp) * volume
    total = float(mass.sum())
    box = ", ".join(f"[{a:.3g}, {b:.3g}]" for a, b in zip(lo, hi))
    ctx.require(
        np.isfinite(total) and abs(total - 1) < cfg["tol"],
        f"{what}: exp(score_samples) integrates to {total:.5f}, not 1 (midpoint rule, "
        f"{cells} cells per axis over {box}; tolerance {cfg['tol']}). An 'exact' "
        "likelihood_kind promises a normalized density.",
    )
    weights = mass / total

    _check_moments(ctx, grid, weights, samples, cfg["moment_tol"], what)
    positive = weights > 0
    expected = float(np.sum(weights[positive] * lp[positive]))
    _check_expected_log_density(ctx, expected, 0.0, sample_logp, cfg["entropy_tol"], what)

    # Chi-square test on blocks of cells.
    coarse_edges = [e[::block] for e in edges]
    counts, _ = np.histogramdd(samples, bins=coarse_edges)
    n_inside = counts.sum()
    outside = len(samples) - n_inside
    ctx.require(
        outside <= 0.01 * len(samples),
        f"{what}: {int(outside)} of {len(samples)} samples fall outside {box}, where "
        "the density has (almost) no mass.",
    )
    n_coarse = cells // block
    shape = tuple(s for _ in range(d) for s in (n_coarse, block))
    block_mass = weights.reshape(shape).sum(axis=tuple(range(1, 2 * d, 2)))
    p = _chi_square_pvalue(counts, block_mass * n_inside)
    ctx.require(
        p > _P_VALUE,
        f"{what}: the samples' counts on a {n_coarse}^{d} grid disagree with the "
        f"integrated density (chi-square p-value {p:.2g}): the sampler does not draw "
        "from score_samples' density.",
    )
    # Kolmogorov-Smirnov test of each marginal.
    grid_mass = weights.reshape((cells,) * d)
    for j in range(d):
        marginal = grid_mass.sum(axis=tuple(k for k in range(d) if k != j))
        cdf = np.concatenate([[0.0], np.cumsum(marginal)])
        cdf /= cdf[-1]
        p = stats.kstest(samples[:, j], lambda t, e=edges[j], c=cdf: np.interp(t, e, c)).pvalue
        ctx.require(
            p > _P_VALUE,
            f"{what}: feature {j} of the samples does not follow the density's "
            f"marginal (Kolmogorov-Smirnov p-value {p:.2g}).",
        )


def _check_exact_by_importance(ctx, logp, X, box_samples, samples, sample_logp, what):
    """Normalization and sampler agreement by importance sampling (d >= 3)."""
    d = X.shape[1]
    points = np.vstack([X, box_samples])
    loc = points.mean(axis=0)
    cov = np.cov(points, rowvar=False)
    cov = cov + 1e-9 * np.trace(cov) / d * np.eye(d)
    # A Student-t proposal, broader and heavier-tailed than the model.
    proposal = stats.multivariate_t(loc=loc, shape=2.0 * cov, df=4)
    Z = proposal.rvs(size=_N_IMPORTANCE, random_state=ctx.seed()).reshape(-1, d)
    lp = logp(Z, "importance-sampling points")
    with np.errstate(over="ignore"):
        w = np.exp(lp - proposal.logpdf(Z))
    ctx.require(np.isfinite(w).all(), f"{what}: the density overflows far from the data.")
    m = len(w)
    if w.sum() == 0:
        ess = 0.0
    else:
        ess = w.sum() ** 2 / np.sum(w**2)
    if ess < 100:
        warnings.warn(
            f"{ctx.name}: {what}: importance sampling too poor to test the "
            f"normalization (effective sample size {ess:.0f}); check skipped.",
            UserWarning,
            stacklevel=3,
        )
        return
    integral = float(w.mean())
    se = float(w.std(ddof=1)) / np.sqrt(m)
    ctx.require(
        abs(integral - 1) < 4 * se + 1e-2,
        f"{what}: exp(score_samples) integrates to {integral:.4f} +- {se:.4f} "
        f"(importance sampling, {m} draws), not 1. An 'exact' likelihood_kind promises "
        "a normalized density.",
    )
    wn = w / w.sum()
    mu_is = wn @ Z
    se_is = np.sqrt(np.sum(wn[:, None] ** 2 * (Z - mu_is) ** 2, axis=0))
    sd = np.sqrt(wn @ (Z - mu_is) ** 2)
    mu_s = samples.mean(axis=0)
    se_s = samples.std(axis=0) / np.sqrt(len(samples))
    ctx.require(
        np.all(np.abs(mu_s - mu_is) <= 5 * np.hypot(se_is, se_s) + 1e-2 * sd),
        f"{what}: the mean of sample() is {mu_s.round(4)} but the density's mean is "
        f"{mu_is.round(4)}: the sampler does not draw from score_samples' density.",
    )
    positive = wn > 0
    expected = float(np.sum(wn[positive] * lp[positive]))
    se_expected = float(np.sqrt(np.sum(wn[positive] ** 2 * (lp[positive] - expected) ** 2)))
    _check_expected_log_density(ctx, expected, se_expected, sample_logp, 1e-2, what)


def check_exact_density(ctx, logp, draw, X, what):
    """An 'exact' density integrates to one and its sampler draws from it."""
    d = X.shape[1]
    box_samples = draw(_N_BOX, ctx.seed())
    samples = draw(_N_TEST, ctx.seed())
    sample_logp = logp(samples, "the model's own samples")
    ctx.require(
        np.isfinite(sample_logp).all(),
        f"{what}: score_samples is -inf at {int(np.isinf(sample_logp).sum())} of the "
        "model's own samples: it samples where its density is zero.",
    )
    if d in _GRIDS:
        _check_exact_on_grid(ctx, logp, X, box_samples, samples, sample_logp, what)
    elif d <= _MAX_IMPORTANCE_DIM:
        _check_exact_by_importance(ctx, logp, X, box_samples, samples, sample_logp, what)
    else:
        warnings.warn(
            f"{ctx.name}: normalization not checked in {d} dimensions (at most "
            f"{_MAX_IMPORTANCE_DIM}).",
            UserWarning,
            stacklevel=3,
        )
