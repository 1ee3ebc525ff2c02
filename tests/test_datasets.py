"""Tests of skgen.datasets: the generators and their true distributions."""

import functools
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.utils.validation import check_is_fitted

from skgen.datasets import (
    Banana,
    Checkerboard,
    EightGaussians,
    Rings,
    TwoSpirals,
    WorldMap,
    make_banana,
    make_checkerboard,
    make_eight_gaussians,
    make_rings,
    make_toy,
    make_two_spirals,
    make_world_map,
)
from skgen.datasets._world_map import _land_mask, _latitude_uniform_by_area

# name -> (distribution, generator, (x range), (y range), fine step, coarse bin factor).
# The box holds all but a negligible mass (> 7 standard deviations of margin).
TOYS = {
    "eight_gaussians": (EightGaussians(), make_eight_gaussians, (-3.6, 3.6), (-3.6, 3.6),
                        0.01, 40),
    "checkerboard": (Checkerboard(), make_checkerboard, (-4.0, 4.0), (-4.0, 4.0), 0.02, 25),
    "rings": (Rings(), make_rings, (-4.0, 4.0), (-4.0, 4.0), 0.01, 40),
    "banana": (Banana(), make_banana, (-8.0, 8.0), (-3.0, 30.0), 0.02, 50),
    "two_spirals": (TwoSpirals(), make_two_spirals, (-4.2, 4.2), (-4.2, 4.2), 0.02, 30),
}
ALL_DISTRIBUTIONS = [spec[0] for spec in TOYS.values()] + [WorldMap()]
ALL_IDS = list(TOYS) + ["world_map"]


@functools.lru_cache(maxsize=None)
def grid_mass(name):
    """Probability of each fine cell of the box by the midpoint rule, and the cell edges."""
    dist, _, (x0, x1), (y0, y1), step, _ = TOYS[name]
    nx, ny = round((x1 - x0) / step), round((y1 - y0) / step)
    cx = x0 + step * (np.arange(nx) + 0.5)
    cy = y0 + step * (np.arange(ny) + 0.5)
    gx, gy = np.meshgrid(cx, cy, indexing="ij")
    logp = dist.score_samples(np.column_stack([gx.ravel(), gy.ravel()]))
    return np.exp(logp).reshape(nx, ny) * step**2


@functools.lru_cache(maxsize=None)
def world_grid_mass(step=0.1):
    """World map: probability of each (step x step)-degree cell, midpoint rule, (lat, lon)."""
    lon = -180.0 + step * (np.arange(round(360 / step)) + 0.5)
    lat = -90.0 + step * (np.arange(round(180 / step)) + 0.5)
    mass = np.empty((lat.size, lon.size))
    world = WorldMap()
    for start in range(0, lat.size, 150):  # bands of rows, to keep memory small
        la = lat[start:start + 150]
        glat, glon = np.meshgrid(la, lon, indexing="ij")
        logp = world.score_samples(np.column_stack([glon.ravel(), glat.ravel()]))
        mass[start:start + la.size] = np.exp(logp).reshape(glat.shape) * step**2
    return mass


def chi_square_pvalue(counts, expected):
    """Pearson chi-square p-value, pooling bins with fewer than 5 expected counts."""
    small = expected < 5
    obs = np.append(counts[~small], counts[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    keep = exp > 0
    assert np.all(obs[~keep] == 0), "samples fell where the density integrates to 0"
    return stats.chisquare(obs[keep], exp[keep] * obs.sum() / exp[keep].sum()).pvalue


# --------------------------------------------------------------- the protocol
@pytest.mark.parametrize("dist", ALL_DISTRIBUTIONS, ids=ALL_IDS)
def test_protocol(dist):
    assert dist.likelihood_kind == type(dist).likelihood_kind == "exact"
    assert dist.n_features_in_ == 2
    check_is_fitted(dist)  # born fitted
    assert dist.fit() is dist
    X = dist.sample(50, random_state=0)
    assert dist.fit(X) is dist
    assert X.shape == (50, 2) and X.dtype == np.float64
    logp = dist.score_samples(X)
    assert logp.shape == (50,)
    assert dist.score(X) == pytest.approx(logp.mean())
    twin = clone(dist)
    assert twin.get_params() == dist.get_params()
    np.testing.assert_array_equal(twin.score_samples(X), logp)
    back = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(back.score_samples(X), logp)


@pytest.mark.parametrize("dist", ALL_DISTRIBUTIONS, ids=ALL_IDS)
def test_samples_have_finite_density(dist):
    X = dist.sample(5000, random_state=1)
    assert np.all(np.isfinite(dist.score_samples(X)))


@pytest.mark.parametrize("dist", ALL_DISTRIBUTIONS, ids=ALL_IDS)
def test_reproducible(dist):
    a = dist.sample(20, random_state=3)
    np.testing.assert_array_equal(a, dist.sample(20, random_state=3))
    assert not np.array_equal(a, dist.sample(20, random_state=4))
    rng = np.random.RandomState(3)
    np.testing.assert_array_equal(dist.sample(20, random_state=rng), a)
    assert not np.array_equal(dist.sample(20, random_state=rng), a)  # the stream goes on
    np.random.seed(5)
    b = dist.sample(5)
    np.random.seed(5)
    np.testing.assert_array_equal(dist.sample(5), b)


@pytest.mark.parametrize("name", TOYS)
def test_make_function_matches_distribution(name):
    dist, make, *_ = TOYS[name]
    X = make(30, random_state=0)
    np.testing.assert_array_equal(X, dist.sample(30, random_state=0))
    X2, dist2 = make(30, random_state=0, return_distribution=True)
    np.testing.assert_array_equal(X2, X)
    assert type(dist2) is type(dist) and dist2.get_params() == dist.get_params()
    X3, dist3 = make_toy(name, 30, random_state=0, return_distribution=True)
    np.testing.assert_array_equal(X3, X)
    assert dist3.get_params() == dist.get_params()


@pytest.mark.parametrize("dist", ALL_DISTRIBUTIONS, ids=ALL_IDS)
def test_bad_input(dist):
    with pytest.raises(ValueError, match="3 features"):
        dist.score_samples(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        dist.score_samples([[0.0, np.nan]])
    with pytest.raises(ValueError, match="infinity"):
        dist.score_samples([[np.inf, 0.0]])
    with pytest.raises(ValueError, match="2D array"):
        dist.score_samples([0.0, 1.0])
    with pytest.raises(ValueError, match="0 sample"):
        dist.score_samples(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="3 features"):
        dist.fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="unconditional"):
        dist.score_samples([[0.0, 0.0]], y=[1])
    with pytest.raises(ValueError, match="unconditional"):
        dist.sample(2, y=[0, 1])
    with pytest.raises(ValueError, match="positive integer"):
        dist.sample(0)
    with pytest.raises(TypeError, match="positive integer"):
        dist.sample(2.5)


@pytest.mark.parametrize(
    "dist",
    [EightGaussians(std=0.0), EightGaussians(radius=-1.0), Checkerboard(n_squares=0),
     Checkerboard(extent=0.0), Rings(std=-0.1), Banana(std1=0.0), TwoSpirals(n_centers=0)],
)
def test_bad_parameters(dist):
    with pytest.raises(ValueError):
        dist.sample(3, random_state=0)
    with pytest.raises(ValueError):
        dist.fit()


def test_rings_bad_radii_and_weights():
    with pytest.raises(ValueError, match="radii"):
        Rings(radii=[-1.0]).sample(2)
    with pytest.raises(ValueError, match="radii"):
        Rings(radii=[]).score_samples([[0.0, 0.0]])
    with pytest.raises(ValueError, match="weights"):
        Rings(radii=[1.0, 2.0, 3.0], weights=[1.0, 2.0]).sample(2)
    with pytest.raises(ValueError, match="weights"):
        Rings(radii=[1.0, 2.0], weights=[0.0, 0.0]).sample(2)


def test_make_toy_unknown_name():
    with pytest.raises(ValueError, match="checkerboard"):
        make_toy("moons", 10)


def test_cross_val_score_gives_the_true_likelihood():
    dist = EightGaussians()
    X = dist.sample(600, random_state=0)
    scores = cross_val_score(dist, X, cv=3)  # unshuffled KFold: three contiguous thirds
    np.testing.assert_allclose(scores, [dist.score(X[i:i + 200]) for i in (0, 200, 400)])


# --------------------------------------------------- normalization and samples
@pytest.mark.parametrize("name", TOYS)
def test_toy_density_integrates_to_one(name):
    total = grid_mass(name).sum()
    assert total == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("name", TOYS)
def test_toy_sample_histogram_matches_density(name):
    dist, *_, (x0, x1), (y0, y1), step, factor = TOYS[name]
    mass = grid_mass(name)
    nx, ny = mass.shape
    coarse = mass.reshape(nx // factor, factor, ny // factor, factor).sum(axis=(1, 3))
    width = step * factor
    n = 20_000
    X = dist.sample(n, random_state=7)
    counts, _, _ = np.histogram2d(
        X[:, 0], X[:, 1],
        bins=[x0 + width * np.arange(nx // factor + 1), y0 + width * np.arange(ny // factor + 1)],
    )
    outside = n - counts.sum()
    obs = np.append(counts.ravel(), outside)
    exp = n * np.append(coarse.ravel(), max(1.0 - coarse.sum(), 0.0))
    assert chi_square_pvalue(obs, exp) > 1e-3


# ------------------------------------------------------------------- oracles
def test_eight_gaussians_against_scipy():
    dist = EightGaussians(radius=3.0, std=0.5)
    X = np.random.RandomState(0).uniform(-5, 5, size=(40, 2))
    angles = np.arange(8) * np.pi / 4
    means = 3.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    comps = [stats.multivariate_normal(m, 0.25 * np.eye(2)).logpdf(X) for m in means]
    np.testing.assert_allclose(dist.score_samples(X), logsumexp(comps, axis=0) - np.log(8))
    # far from every mode the log-density stays finite (no underflow to -inf)
    assert np.isfinite(dist.score_samples([[100.0, 100.0]])).all()


def test_eight_gaussians_moments():
    X = EightGaussians(radius=2.0, std=0.2).sample(40_000, random_state=0)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=0.03)
    r2 = np.sum(X**2, axis=1)
    assert r2.mean() == pytest.approx(4.0 + 2 * 0.04, abs=4 * r2.std() / np.sqrt(r2.size))


def test_checkerboard_against_loop():
    board = Checkerboard(n_squares=3, extent=1.5)  # 5 dark unit squares
    X = np.random.RandomState(0).uniform(-2, 2, size=(300, 2))
    expected = []
    for x, y in X:
        if abs(x) > 1.5 or abs(y) > 1.5:
            expected.append(-np.inf)
            continue
        i, j = int(np.floor(x + 1.5)), int(np.floor(y + 1.5))
        expected.append(-np.log(5.0) if (i + j) % 2 == 0 else -np.inf)
    np.testing.assert_array_equal(board.score_samples(X), expected)


def test_rings_against_angle_quadrature():
    rings = Rings(radii=[0.0, 1.0, 2.5], std=0.3, weights=[1.0, 2.0, 1.0])
    X = np.array([[0.0, 0.0], [0.5, 0.2], [1.0, 0.0], [-2.4, 0.4], [5.0, 5.0]])
    t = np.linspace(0, 2 * np.pi, 4000, endpoint=False)
    circle = np.column_stack([np.cos(t), np.sin(t)])
    dens = 0.0
    for r, w in zip([0.0, 1.0, 2.5], [0.25, 0.5, 0.25]):
        d2 = ((X[:, None, :] - r * circle[None]) ** 2).sum(-1)
        dens = dens + w * np.mean(np.exp(-d2 / (2 * 0.09)), axis=1) / (2 * np.pi * 0.09)
    np.testing.assert_allclose(rings.score_samples(X), np.log(dens), rtol=1e-9)
    # the origin is not singular, and the density is finite far away
    assert np.isfinite(Rings().score_samples([[0.0, 0.0], [50.0, 0.0]])).all()


def test_rings_moments():
    rings = Rings(radii=[1.0, 2.0, 3.0], std=0.1)
    X = rings.sample(30_000, random_state=0)
    r2 = np.sum(X**2, axis=1)
    expected = np.mean(np.array([1.0, 4.0, 9.0])) + 2 * 0.01
    assert r2.mean() == pytest.approx(expected, abs=4 * r2.std() / np.sqrt(r2.size))


def test_banana_against_scipy_and_moments():
    banana = Banana(curvature=0.7, std0=1.5, std1=0.4)
    X = np.random.RandomState(0).normal(size=(50, 2)) * 3
    expected = (stats.norm(0, 1.5).logpdf(X[:, 0])
                + stats.norm(0.7 * (X[:, 0] ** 2 - 2.25), 0.4).logpdf(X[:, 1]))
    np.testing.assert_allclose(banana.score_samples(X), expected)
    S = banana.sample(50_000, random_state=0)
    var1 = 2 * 0.7**2 * 1.5**4 + 0.4**2
    se = np.sqrt(np.array([2.25, var1]) / S.shape[0])
    np.testing.assert_array_less(np.abs(S.mean(axis=0)), 4 * se)
    assert np.var(S[:, 1]) == pytest.approx(var1, rel=0.05)
    assert abs(np.corrcoef(S.T)[0, 1]) < 0.03


def test_two_spirals_is_the_stated_mixture():
    spirals = TwoSpirals(n_centers=30, std=0.2)
    means = spirals.means_
    assert means.shape == (60, 2)
    np.testing.assert_allclose(means[30:], -means[:30])
    # centres equally spaced along the arm, ending inside radius
    step = np.linalg.norm(np.diff(means[:30], axis=0), axis=1)
    assert step.max() / step.min() < 1.15
    assert np.hypot(*means.T).max() < spirals.radius
    X = np.random.RandomState(1).uniform(-4, 4, size=(30, 2))
    comps = [stats.multivariate_normal(m, 0.04 * np.eye(2)).logpdf(X) for m in means]
    np.testing.assert_allclose(spirals.score_samples(X), logsumexp(comps, axis=0) - np.log(60))


# ------------------------------------------------------------------ world map
def test_world_map_integrates_to_one():
    total = world_grid_mass().sum()
    print(f"world map: integral of the density on a 0.1-degree grid = {total:.8f}")
    assert total == pytest.approx(1.0, abs=1e-3)


def test_world_map_land_fraction():
    world = WorldMap()
    print(f"land fraction {world.land_fraction:.5f}, land area {world.land_area_km2:.4g} km2")
    assert 0.28 < world.land_fraction < 0.30
    # independent check: uniform points on the sphere, fraction on land
    rng = np.random.RandomState(0)
    n = 200_000
    lat = np.rad2deg(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    frac = world.is_land(np.column_stack([lon, lat])).mean()
    se = np.sqrt(world.land_fraction * (1 - world.land_fraction) / n)
    assert abs(frac - world.land_fraction) < 4 * se


@pytest.mark.parametrize(
    "lon, lat, land",
    [(2.35, 48.85, True),  # Paris
     (-0.13, 51.51, True),  # London
     (-74.0, 40.75, True),  # New York (Manhattan)
     (151.0, -33.85, True),  # Sydney area
     (37.62, 55.75, True),  # Moscow
     (0.0, -85.0, True),  # Antarctica
     (0.0, -90.0, True),  # South Pole
     (-30.0, 0.0, False),  # Atlantic
     (-150.0, 30.0, False),  # Pacific
     (80.0, -20.0, False),  # Indian Ocean
     (0.0, 90.0, False)],  # North Pole, Arctic Ocean
)
def test_world_map_known_points(lon, lat, land):
    world = WorldMap()
    assert world.is_land([[lon, lat]])[0] == land
    assert np.isfinite(world.score_samples([[lon, lat]])[0]) == land


def test_world_map_out_of_range_and_is_land_agrees_with_density():
    world = WorldMap()
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.uniform(-200, 200, 20_000), rng.uniform(-100, 100, 20_000)])
    land = world.is_land(X)
    np.testing.assert_array_equal(land, world.score_samples(X) > -np.inf)
    outside = (np.abs(X[:, 0]) > 180) | (np.abs(X[:, 1]) > 90)
    assert outside.any() and not land[outside].any()
    # the density follows cos(latitude) on land
    on = np.flatnonzero(land)
    logp = world.score_samples(X[on])
    np.testing.assert_allclose(logp - np.log(np.cos(np.deg2rad(X[on, 1]))), logp[0] - np.log(
        np.cos(np.deg2rad(X[on[0], 1]))))
    with pytest.raises(ValueError, match="NaN"):
        world.is_land([[np.nan, 0.0]])
    with pytest.raises(ValueError, match="3 features"):
        world.is_land([[0.0, 0.0, 0.0]])


def test_world_map_samples_match_land_areas():
    # 30 x 30-degree regions; expected probabilities from the density by quadrature
    mass = world_grid_mass()  # (lat, lon) cells of 0.1 degree
    region = mass.reshape(6, 300, 12, 300).sum(axis=(1, 3))
    n = 40_000
    X = make_world_map(n, random_state=0)
    counts, _, _ = np.histogram2d(X[:, 1], X[:, 0], bins=[np.linspace(-90, 90, 7),
                                                           np.linspace(-180, 180, 13)])
    assert counts.sum() == n
    assert chi_square_pvalue(counts.ravel(), n * region.ravel() / region.sum()) > 1e-3


def test_world_map_uniform_by_area_within_cells():
    X = WorldMap().sample(50_000, random_state=2)
    res = 0.2
    lon_frac = ((X[:, 0] + 180) / res) % 1.0
    row = np.floor((X[:, 1] + 90) / res)
    s_lo = np.sin(np.deg2rad(-90 + res * row))
    s_hi = np.sin(np.deg2rad(-90 + res * (row + 1)))
    lat_frac = (np.sin(np.deg2rad(X[:, 1])) - s_lo) / (s_hi - s_lo)
    assert stats.kstest(lon_frac, "uniform").pvalue > 1e-3
    assert stats.kstest(lat_frac, "uniform").pvalue > 1e-3


@pytest.mark.parametrize("low", [-90.0, -87.4, 0.0, 45.0, 89.8])
def test_world_map_latitude_inverse_cdf(low):
    # Inside a cell latitude follows cos(latitude): its quantiles, checked by
    # quadrature. (At 0.2 degrees a sample cannot tell this from uniform by
    # degree except within a few cells of the poles, hence the direct check.)
    high = low + 0.2
    u = np.linspace(0.0, 1.0, 11)
    lat = _latitude_uniform_by_area(np.sin(np.deg2rad(low)), np.sin(np.deg2rad(high)), u)
    nodes, weights = np.polynomial.legendre.leggauss(30)

    def integral_of_cos(a, b):  # Gauss-Legendre, exact to rounding for cos on 0.2 degrees
        t = 0.5 * (a + b) + 0.5 * (b - a) * nodes
        return 0.5 * (b - a) * np.sum(weights * np.cos(np.deg2rad(t)))

    cdf = [integral_of_cos(low, t) / integral_of_cos(low, high) for t in lat]
    np.testing.assert_allclose(cdf, u, atol=1e-9)
    assert lat[0] == pytest.approx(low) and lat[-1] == pytest.approx(high)


def test_world_map_dataframe_round_trip():
    df, world = make_world_map(100, random_state=0, as_frame=True, return_distribution=True)
    assert list(df.columns) == ["longitude", "latitude"]
    np.testing.assert_array_equal(df.to_numpy(), make_world_map(100, random_state=0))
    swapped = df[["latitude", "longitude"]]  # read by name, not by position
    np.testing.assert_array_equal(world.score_samples(swapped), world.score_samples(df.to_numpy()))
    assert np.isfinite(world.score_samples(df)).all()
    frame = make_world_map(5, random_state=0, as_frame=True)
    assert isinstance(frame, pd.DataFrame) and frame.shape == (5, 2)


def test_world_map_mask_file_and_cache():
    path = Path(__file__).resolve().parents[1] / "skgen" / "datasets" / "data"
    size = (path / "land_mask_0.2deg.npz").stat().st_size
    print(f"land mask file: {size} bytes")
    assert size < 40_000
    assert (path / "LAND_MASK_LICENSE.txt").read_text().count("MIT License") == 1
    mask = _land_mask()
    assert mask is _land_mask()  # cached
    assert mask.shape == (900, 1800) and mask.dtype == bool and not mask.flags.writeable


def test_world_map_needs_no_land_mask_package():
    code = ("import sys; from skgen.datasets import make_world_map; "
            "make_world_map(10, random_state=0); "
            "assert 'global_land_mask' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_world_map_agrees_with_full_resolution_mask():
    globe = pytest.importorskip("global_land_mask.globe")
    rng = np.random.RandomState(0)
    n = 20_000
    lat = np.rad2deg(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    ours = WorldMap().is_land(np.column_stack([lon, lat]))
    agree = np.mean(ours == globe.is_land(lat, lon))
    print(f"agreement with the 1-km mask: {agree:.4f}")
    assert agree > 0.99


# ------------------------------------------------------------ Markov text source
def test_markov_text_source_lives_in_datasets_and_old_path_still_works():
    import skgen.datasets
    from skgen.autoregressive import _markov as old_module

    assert "MarkovTextSource" in skgen.datasets.__all__
    assert skgen.datasets.MarkovTextSource.__module__ == "skgen.datasets._markov"
    assert old_module.MarkovTextSource is skgen.datasets.MarkovTextSource
    # A pickle written before the move names the old module; it still loads.
    src = skgen.datasets.MarkovTextSource("ab", random_state=0)
    old = pickle.dumps(src, protocol=0).replace(
        b"skgen.datasets._markov", b"skgen.autoregressive._markov")
    assert b"skgen.autoregressive._markov" in old
    back = pickle.loads(old)
    assert type(back) is skgen.datasets.MarkovTextSource
    texts = src.sample(20, random_state=1)
    np.testing.assert_array_equal(back.score_samples(texts), src.score_samples(texts))
    assert back.score(texts) == pytest.approx(np.mean(src.score_samples(texts)))
