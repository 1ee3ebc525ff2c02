"""KernelDensity: exact log-densities (against oracles), normalization, sampling."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from scipy import integrate, stats
from scipy.special import gammaln, logsumexp
from sklearn.base import clone
from sklearn.neighbors import KernelDensity as SkKernelDensity

import skgen.classical._kde as kde_module
from skgen.classical import KernelDensity

@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # Many small blocks: OpenMP thread teams only add overhead here, and on an
    # oversubscribed machine they stall. Restored after this module.
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


KERNELS = ["gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine"]
COMPACT = {"tophat", "epanechnikov", "linear", "cosine"}


# ------------------------------------------------------------------ oracles
def _radial_profile(kernel, r):
    """Unnormalized kernel value at distance ``r`` (in bandwidths)."""
    r = np.asarray(r, dtype=float)
    inside = r < 1
    return {
        "gaussian": lambda: np.exp(-0.5 * r**2),
        "tophat": lambda: inside * 1.0,
        "epanechnikov": lambda: inside * (1 - np.minimum(r, 1) ** 2),
        "exponential": lambda: np.exp(-r),
        "linear": lambda: inside * (1 - np.minimum(r, 1)),
        "cosine": lambda: inside * np.cos(0.5 * np.pi * np.minimum(r, 1)),
    }[kernel]()


def _radial_moment(kernel, d, power):
    """``int_0^inf r^power K(r) dr`` by adaptive quadrature."""
    upper = np.inf if kernel not in COMPACT else 1.0
    val, _ = integrate.quad(
        lambda r: r**power * _radial_profile(kernel, r), 0, upper, epsabs=0, epsrel=1e-13
    )
    return val


def _log_unit_norm(kernel, d):
    """``log int K(|u|) du`` over R^d: sphere area times the radial integral."""
    log_area = math.log(2) + 0.5 * d * math.log(math.pi) - gammaln(0.5 * d)
    return log_area + math.log(_radial_moment(kernel, d, d - 1))


def brute_force_log_density(X, Y, h, kernel):
    """Every pair, distances from differences, scipy's logsumexp; float64."""
    d = X.shape[1]
    r = np.sqrt(((Y[:, None, :] - X[None, :, :]) ** 2).sum(-1)) / h
    with np.errstate(divide="ignore"):
        log_k = np.log(_radial_profile(kernel, r))
    if kernel == "gaussian":
        log_k = -0.5 * r**2  # no underflow
    elif kernel == "exponential":
        log_k = -r
    log_norm = math.log(len(X)) + _log_unit_norm(kernel, d) + d * math.log(h)
    return logsumexp(log_k, axis=1) - log_norm


def _assert_log_density_close(ours, oracle, rtol=1e-9, atol=1e-10):
    assert ours.shape == oracle.shape
    np.testing.assert_array_equal(np.isneginf(ours), np.isneginf(oracle))
    finite = np.isfinite(oracle)
    assert np.all(np.isfinite(ours[finite]))
    assert_allclose(ours[finite], oracle[finite], rtol=rtol, atol=atol)


# ------------------------------------------------------- agreement with oracles
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_matches_sklearn_where_sklearn_is_right(kernel, d):
    rng = np.random.RandomState(d)
    X = rng.normal(size=(300, d))
    Y = np.vstack([rng.normal(size=(100, d)), X[:40], rng.normal(size=(10, d)) * 4])
    ours = KernelDensity(metric="euclidean", bandwidth=0.7, kernel=kernel).fit(X).score_samples(Y)
    sk = SkKernelDensity(metric="euclidean", bandwidth=0.7, kernel=kernel).fit(X).score_samples(Y)
    oracle = brute_force_log_density(X, Y, 0.7, kernel)
    _assert_log_density_close(ours, oracle)
    if kernel == "cosine" and d % 2 == 0:
        # scikit-learn's cosine normalization is wrong in even dimensions: its
        # density is off by a constant factor (ours integrates to 1, see below).
        finite = np.isfinite(ours)
        offset = sk[finite] - ours[finite]
        assert np.ptp(offset) < 1e-9 and abs(offset[0]) > 1e-3
        return
    both_finite = np.isfinite(sk) & np.isfinite(oracle)
    close = np.zeros_like(both_finite)
    close[both_finite] = np.abs(sk[both_finite] - oracle[both_finite]) <= 1e-7 * np.abs(
        oracle[both_finite]
    )
    sk_right = (np.isneginf(sk) & np.isneginf(oracle)) | close
    assert sk_right.mean() > 0.95
    rows = sk_right & np.isfinite(sk)
    assert_allclose(ours[rows], sk[rows], rtol=1e-9, atol=0)
    np.testing.assert_array_equal(np.isneginf(ours[sk_right]), np.isneginf(sk[sk_right]))


@pytest.mark.parametrize("kernel", ["gaussian", "exponential"])
def test_far_points_in_32_dimensions_match_brute_force(kernel):
    # Pairwise distances of ~50 bandwidths: every kernel value underflows, so a
    # plain sum gives -inf; the exact log-density is finite and large.
    rng = np.random.RandomState(0)
    X = rng.normal(scale=4.0, size=(200, 32))
    Y = np.vstack([rng.normal(scale=4.0, size=(60, 32)), X[:20], X[:5] + 300.0])
    kde = KernelDensity(metric="euclidean", bandwidth=0.5, kernel=kernel).fit(X)
    ours = kde.score_samples(Y)
    oracle = brute_force_log_density(X, Y, 0.5, kernel)
    assert np.all(np.isfinite(ours))
    assert oracle.min() < -1000  # every kernel value below exp(-745): underflow
    _assert_log_density_close(ours, oracle, rtol=1e-11)


@pytest.mark.parametrize("kernel", KERNELS)
def test_data_far_from_their_mean_use_exact_distances(kernel):
    # Two tight clusters 2e4 apart with h = 0.01: |x|^2 + |y|^2 - 2 x.y would lose
    # ~6 digits here; such rows must be recomputed from differences.
    rng = np.random.RandomState(1)
    X = np.vstack([rng.normal(size=(60, 3)) * 0.01 - 1e4, rng.normal(size=(60, 3)) * 0.01 + 1e4])
    Y = X[::4] + rng.normal(size=(30, 3)) * 0.004
    ours = KernelDensity(metric="euclidean", bandwidth=0.01, kernel=kernel).fit(X).score_samples(Y)
    _assert_log_density_close(ours, brute_force_log_density(X, Y, 0.01, kernel), rtol=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_chunked_evaluation(kernel, monkeypatch):
    # Tiny chunks: several query and training chunks, rows needing the careful
    # path mixed with rows that do not.
    monkeypatch.setattr(kde_module, "_QUERY_CHUNK", 7)
    monkeypatch.setattr(kde_module, "_TRAIN_CHUNK", 13)
    rng = np.random.RandomState(2)
    X = rng.normal(size=(50, 4))
    Y = np.vstack([rng.normal(size=(20, 4)), X[:10], X[:6] + 60.0])
    Y = Y[rng.permutation(len(Y))]
    ours = KernelDensity(metric="euclidean", bandwidth=0.4, kernel=kernel).fit(X).score_samples(Y)
    _assert_log_density_close(ours, brute_force_log_density(X, Y, 0.4, kernel))


@pytest.mark.parametrize("kernel", KERNELS)
def test_single_point_closed_form_1d(kernel):
    # One training point in 1-D: p(x) = K(|x|/h) / (c h), c from a table.
    c = {"gaussian": math.sqrt(2 * math.pi), "tophat": 2.0, "epanechnikov": 4 / 3,
         "exponential": 2.0, "linear": 1.0, "cosine": 4 / math.pi}[kernel]
    h = 0.3
    x = np.array([-1e3, -0.29, -0.1, 0.0, 0.05, 0.2999, 0.31, 2.0, 1e3])
    kde = KernelDensity(metric="euclidean", bandwidth=h, kernel=kernel).fit([[0.0]])
    with np.errstate(divide="ignore"):
        expected = np.log(_radial_profile(kernel, np.abs(x) / h)) - math.log(c * h)
    if kernel == "gaussian":
        expected = -0.5 * (x / h) ** 2 - math.log(c * h)
    if kernel == "exponential":
        expected = -np.abs(x) / h - math.log(c * h)
    _assert_log_density_close(kde.score_samples(x[:, None]), expected, rtol=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hypothesis_matches_brute_force(data):
    n = data.draw(st.integers(1, 25), label="n")
    d = data.draw(st.integers(1, 4), label="d")
    m = data.draw(st.integers(1, 8), label="m")
    elems = st.floats(-20, 20, allow_nan=False, width=64)
    X = data.draw(arrays(np.float64, (n, d), elements=elems), label="X")
    Y = data.draw(arrays(np.float64, (m, d), elements=elems), label="Y")
    if data.draw(st.booleans(), label="query training rows"):
        Y = np.vstack([Y, X[: min(n, 3)]])
    h = data.draw(st.floats(0.05, 10.0), label="h")
    kernel = data.draw(st.sampled_from(KERNELS), label="kernel")
    if kernel in COMPACT:  # rounding decides membership exactly at the support edge
        r = np.sqrt(((Y[:, None, :] - X[None, :, :]) ** 2).sum(-1)) / h
        assume(np.all(np.abs(r - 1) > 1e-6))
    ours = KernelDensity(metric="euclidean", bandwidth=h, kernel=kernel).fit(X).score_samples(Y)
    _assert_log_density_close(ours, brute_force_log_density(X, Y, h, kernel))


# ---------------------------------------------------------------- normalization
def _gauss_legendre_pieces(breaks, n_nodes=40):
    """Nodes and weights of Gauss-Legendre rules on each interval of ``breaks``."""
    t, w = np.polynomial.legendre.leggauss(n_nodes)
    lo, hi = breaks[:-1, None], breaks[1:, None]
    nodes = 0.5 * (hi - lo) * t + 0.5 * (hi + lo)
    return nodes.ravel(), (0.5 * (hi - lo) * w).ravel()


@pytest.mark.parametrize("kernel", KERNELS)
def test_density_integrates_to_one_1d(kernel):
    X = np.array([[-1.3], [0.2], [0.25], [1.7], [3.05]])
    h = 0.5
    # The density is smooth between the points and support edges; tails
    # beyond 60 bandwidths are below 1e-26.
    breaks = np.concatenate([X.ravel(), X.ravel() - h, X.ravel() + h,
                             np.arange(-1.3 - 60 * h, 3.05 + 60 * h, h / 2)])
    nodes, weights = _gauss_legendre_pieces(np.unique(breaks))
    kde = KernelDensity(metric="euclidean", bandwidth=h, kernel=kernel).fit(X)
    total = np.sum(weights * np.exp(kde.score_samples(nodes[:, None])))
    assert total == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("kernel", KERNELS)
def test_density_integrates_to_one_2d(kernel):
    # Polar coordinates around a single training point: the integrand r p(x) is
    # smooth on each radial piece; the trapezoid rule in angle is exact here.
    h, center = 0.8, np.array([0.3, -1.2])
    kde = KernelDensity(metric="euclidean", bandwidth=h, kernel=kernel).fit(center[None, :])
    r, wr = _gauss_legendre_pieces(np.arange(0, 60 * h + h / 2, h / 2))
    theta = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    R, TH = np.meshgrid(r, theta, indexing="ij")
    pts = center + np.column_stack([(R * np.cos(TH)).ravel(), (R * np.sin(TH)).ravel()])
    dens = np.exp(kde.score_samples(pts)).reshape(R.shape)
    total = np.sum(wr[:, None] * R * dens) * (2 * np.pi / theta.size)
    assert total == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("kernel", KERNELS)
def test_density_integrates_to_one_2d_several_points(kernel):
    # A midpoint grid over the whole support of a 4-point estimate (tails
    # beyond it hold less than 1e-7 of the mass).
    X = np.array([[0.0, 0.0], [0.5, 0.3], [-0.7, 1.1], [2.0, -0.4]])
    h = 0.6
    reach = 2.1 + {"gaussian": 10 * h, "exponential": 20 * h}.get(kernel, 1.2 * h)
    step = h / (10 if kernel == "exponential" else 20)
    g = np.arange(-reach, reach, step) + step / 2
    G = np.column_stack([np.repeat(g, g.size), np.tile(g, g.size)])
    kde = KernelDensity(metric="euclidean", bandwidth=h, kernel=kernel).fit(X)
    total = np.exp(kde.score_samples(G)).sum() * step**2
    assert total == pytest.approx(1.0, abs=1e-3 if kernel == "tophat" else 2e-5)


# --------------------------------------------------------------------- sampling
def _kde_cdf_1d(kde, X, h):
    """CDF of a fitted 1-D estimate, from its own log-density by quadrature."""
    breaks = np.unique(np.concatenate([X.ravel(), X.ravel() - h, X.ravel() + h,
                                       np.arange(X.min() - 40 * h, X.max() + 40 * h, h / 4)]))
    nodes, weights = _gauss_legendre_pieces(breaks, n_nodes=12)
    mass = weights * np.exp(kde.score_samples(nodes[:, None]))
    return lambda x: np.interp(x, nodes, np.cumsum(mass))


@pytest.mark.parametrize("kernel", KERNELS)
def test_samples_follow_density_1d_ks(kernel):
    X = np.array([[-2.0], [-1.6], [0.0], [0.3], [2.5]])
    h = 0.7
    kde = KernelDensity(metric="euclidean", bandwidth=h, kernel=kernel, random_state=0).fit(X)
    samples = kde.sample(4000).ravel()
    assert stats.kstest(samples, _kde_cdf_1d(kde, X, h)).pvalue > 1e-3


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("d", [2, 3, 7])
def test_kernel_draws_have_the_radial_law(kernel, d):
    # With one training point, sample - point = h * (kernel draw): its radius has
    # density proportional to r^(d-1) K(r) and its direction is uniform.
    h = 0.5
    kde = KernelDensity(metric="euclidean", bandwidth=h, kernel=kernel, random_state=1).fit(np.ones((1, d)))
    noise = (kde.sample(3000) - 1.0) / h
    radius = np.linalg.norm(noise, axis=1)
    total = _radial_moment(kernel, d, d - 1)

    def cdf(x):
        return np.array([integrate.quad(lambda r: r ** (d - 1) * _radial_profile(kernel, r),
                                        0, v)[0] for v in np.atleast_1d(x)]) / total

    grid = np.linspace(0, radius.max(), 400)
    assert stats.kstest(radius, lambda x: np.interp(x, grid, cdf(grid))).pvalue > 1e-3
    directions = noise / radius[:, None]
    assert np.all(np.abs(directions.mean(axis=0)) < 5 / np.sqrt(3000 * d) + 1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_sample_moments_2d(kernel):
    # The estimate's mean is the data mean; its covariance is the (1/n) data
    # covariance plus h^2 c I, c the unit kernel's per-coordinate variance.
    rng = np.random.RandomState(3)
    X = rng.normal(size=(12, 2)) * [1.0, 2.0] + [3.0, -1.0]
    h, n_draws = 0.9, 40000
    kde = KernelDensity(metric="euclidean", bandwidth=h, kernel=kernel, random_state=4).fit(X)
    S = kde.sample(n_draws)
    c = _radial_moment(kernel, 2, 3) / (2 * _radial_moment(kernel, 2, 1))
    mean = X.mean(axis=0)
    cov = np.cov(X.T, bias=True) + h**2 * c * np.eye(2)
    se_mean = np.sqrt(np.diag(cov) / n_draws)
    assert np.all(np.abs(S.mean(axis=0) - mean) < 5 * se_mean)
    centred = S - mean
    prods = centred[:, :, None] * centred[:, None, :]
    se_cov = prods.reshape(n_draws, 4).std(axis=0).reshape(2, 2) / np.sqrt(n_draws)
    assert np.all(np.abs(prods.mean(axis=0) - cov) < 5 * se_cov)


def test_samples_come_out_in_random_order():
    X = np.r_[np.zeros(50), np.full(50, 100.0)][:, None]
    S = KernelDensity(metric="euclidean", bandwidth=0.1, kernel="tophat", random_state=0).fit(X).sample(400)
    labels = S.ravel() > 50
    changes = np.count_nonzero(np.diff(labels))
    assert 150 < changes < 250  # ~200 for a random order, 1 when grouped


def test_sampling_is_reproducible():
    X = np.random.RandomState(0).normal(size=(30, 3))
    a = KernelDensity(kernel="cosine", random_state=5).fit(X)
    b = clone(a).fit(X)
    assert_allclose(a.sample(50), b.sample(50))
    assert_allclose(a.sample(5, random_state=1), a.sample(5, random_state=1))
    assert not np.allclose(a.sample(5), a.sample(5))


# ------------------------------------------------------------- parameters, errors
@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_bandwidth_rules_match_sklearn_on_standardized_data(rule):
    """On unit-spread features the gaussian rule is scikit-learn's."""
    X = np.random.RandomState(0).normal(size=(37, 3))
    X = (X - X.mean(0)) / X.std(0)
    if rule == "silverman":  # make min(std, IQR / 1.349) equal to std
        X = np.random.RandomState(0).uniform(-1, 1, size=(37, 3))
        X = (X - X.mean(0)) / X.std(0)
    kde = KernelDensity(metric="euclidean", bandwidth=rule).fit(X)
    sk = SkKernelDensity(metric="euclidean", bandwidth=rule).fit(X)
    assert kde.bandwidth_ == pytest.approx(sk.bandwidth_, rel=1e-12)
    assert kde.bandwidth == rule  # the parameter is never overwritten
    assert_allclose(kde.score_samples(X[:5]), sk.score_samples(X[:5]), rtol=1e-9)


@pytest.mark.parametrize("kernel", ["gaussian", "tophat", "epanechnikov", "exponential",
                                    "linear", "cosine"])
def test_bandwidth_rule_follows_data_scale_and_kernel_width(kernel):
    """Scaling the data scales the rule; every kernel gets the same spread."""
    X = np.random.RandomState(1).normal(size=(400, 2)) * [3.0, 0.5]
    h1 = KernelDensity(metric="euclidean", kernel=kernel).fit(X).bandwidth_
    h10 = KernelDensity(metric="euclidean", kernel=kernel).fit(10 * X).bandwidth_
    assert h10 == pytest.approx(10 * h1, rel=1e-12)
    # per-coordinate std of the kernel bump, measured from its samples
    kde = KernelDensity(metric="euclidean", kernel=kernel).fit(np.zeros((1, 2)) + [[0, 0]])
    kde.bandwidth_ = h1
    bumps = kde.sample(40000, random_state=0)
    gauss_h = KernelDensity(metric="euclidean", kernel="gaussian").fit(X).bandwidth_
    assert bumps.std(0) == pytest.approx([gauss_h, gauss_h], rel=0.03)


def test_float_bandwidth_is_used_as_given():
    kde = KernelDensity(metric="euclidean", bandwidth=2).fit(np.zeros((3, 1)) + [[0], [1], [2]])
    assert kde.bandwidth_ == 2.0 and isinstance(kde.bandwidth_, float)


def test_score_is_mean_log_likelihood():
    X = np.random.RandomState(0).normal(size=(40, 2))
    kde = KernelDensity(metric="euclidean", bandwidth=0.5).fit(X)
    assert kde.score(X) == pytest.approx(kde.score_samples(X).mean())


@pytest.mark.parametrize("bandwidth", [0, -1.0, "auto", None])
def test_bad_bandwidth_raises(bandwidth):
    with pytest.raises(ValueError, match="bandwidth"):
        KernelDensity(metric="euclidean", bandwidth=bandwidth).fit(np.zeros((3, 1)))


def test_unknown_kernel_raises():
    with pytest.raises(ValueError, match="kernel"):
        KernelDensity(kernel="box").fit(np.zeros((3, 1)))


def test_bad_data_raises():
    kde = KernelDensity()
    with pytest.raises(ValueError, match="NaN"):
        kde.fit([[0.0], [np.nan]])
    kde.fit(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="features"):
        kde.score_samples(np.zeros((2, 3)))


# -------------------------------------------------------------- read-only input
@pytest.mark.parametrize("kernel", ["gaussian", "exponential", "tophat"])
def test_read_only_input_reaches_torch_as_writable_arrays(kernel, monkeypatch):
    # Read-only arrays come from GridSearchCV's memory-mapped folds, np.load
    # with mmap_mode and X.setflags(write=False). torch.from_numpy on them warns
    # ("The given NumPy array is not writable"), once per process, so also spy
    # on what reaches torch. _RTOL=0 and a high _UNDERFLOW force the careful and
    # the direct-distance paths, which see slices of the query.
    import torch

    seen = []
    original = torch.from_numpy

    def spy(array):
        seen.append(array.flags.writeable)
        return original(array)

    monkeypatch.setattr(torch, "from_numpy", spy)
    monkeypatch.setattr(kde_module, "_RTOL", 0.0)
    monkeypatch.setattr(kde_module, "_UNDERFLOW", 1e300)
    X = np.random.RandomState(0).normal(size=(60, 2))
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kd = KernelDensity(metric="euclidean", kernel=kernel, bandwidth=0.5).fit(X)
        scores = kd.score_samples(X)
        kd._fit_X.setflags(write=False)  # e.g. a model loaded from a memory map
        again = kd.score_samples(X)
    assert seen and all(seen)
    assert_allclose(again, scores)
    assert not X.flags.writeable  # the caller's array is left as it was
