"""Build skgen's 0.2-degree land mask from the ``global-land-mask`` package.

Run once by the maintainers; the result, ``skgen/datasets/data/land_mask_0.2deg.npz``,
is shipped with skgen, so that using :func:`skgen.datasets.make_world_map` needs
neither this script nor ``global-land-mask``::

    pip install "global-land-mask>=1.0"      # or: pip install -e ".[landmask]"
    python scripts/make_land_mask.py

Source
------
``global-land-mask`` 1.0.0 (Todd Karin, MIT licence,
https://github.com/toddkarin/global-land-mask) ships a boolean ocean mask of
21600 x 43200 pixels of 30 arc-seconds (about 1 km), derived from NOAA's GLOBE
digital elevation model (https://www.ngdc.noaa.gov/mgg/topo/globe.html): a pixel
is ocean where GLOBE has no elevation. Lakes count as land; Antarctica is land.

Method
------
One cell of the output grid is 0.2 x 0.2 degrees, exactly 24 x 24 source
pixels. A cell is land when at least half of its 576 pixels are land
(a majority vote over the full-resolution pixels; exact ties, which are rare,
count as land). The grid has 900 rows (latitude, row 0 is the southernmost
band [-90, -89.8)) and 1800 columns (longitude, column 0 is [-180, -179.8)).
It is stored bit-packed along longitude (``np.packbits``, 225 bytes a row) in a
compressed ``.npz`` with the array ``land`` of shape (900, 225) and the scalars
``resolution`` (0.2) and ``shape`` (900, 1800).
"""

import argparse
import importlib.metadata
import importlib.resources
from pathlib import Path

import numpy as np

RESOLUTION = 0.2  # degrees
N_LAT, N_LON = 900, 1800
DEFAULT_OUT = (
    Path(__file__).resolve().parents[1] / "skgen" / "datasets" / "data" / "land_mask_0.2deg.npz"
)


def load_source():
    """Load the 30-arc-second ocean mask of ``global-land-mask``.

    Returns
    -------
    ocean : ndarray of bool, shape (21600, 43200)
        True on ocean; row 0 is the northernmost band, column 0 starts at -180.
    lat, lon : ndarray
        The package's grid coordinates (upper / western pixel edges).
    """
    try:
        version = importlib.metadata.version("global-land-mask")
    except importlib.metadata.PackageNotFoundError as exc:
        raise SystemExit(
            "This script needs the 'global-land-mask' package: "
            "pip install 'global-land-mask>=1.0'"
        ) from exc
    print(f"global-land-mask {version}")
    path = importlib.resources.files("global_land_mask") / "globe_combined_mask_compressed.npz"
    with importlib.resources.as_file(path) as p, np.load(p) as f:
        ocean, lat, lon = f["mask"], f["lat"], f["lon"]
    return ocean, lat, lon


def check_source_grid(ocean, lat, lon):
    """Fail loudly if the source grid is not the one this script expects."""
    step = 1.0 / 120.0
    assert ocean.shape == (21600, 43200) and ocean.dtype == bool, ocean.shape
    assert np.allclose(lat, 90.0 - step * np.arange(21600)), "latitude grid changed"
    assert np.allclose(lon, -180.0 + step * np.arange(43200)), "longitude grid changed"


def block_land_fraction(ocean, *, factor=24):
    """Fraction of land pixels in each ``factor`` x ``factor`` block, south row first.

    Works one band of rows at a time so memory stays small.
    """
    n_rows, n_cols = ocean.shape[0] // factor, ocean.shape[1] // factor
    frac = np.empty((n_rows, n_cols))
    for r in range(n_rows):
        band = ocean[r * factor:(r + 1) * factor].reshape(factor, n_cols, factor)
        frac[r] = 1.0 - band.mean(axis=(0, 2))
    return frac[::-1]  # the source runs north to south; skgen's rows run south to north


def build_mask(ocean):
    """Majority vote: land where at least half of a cell's pixels are land."""
    frac = block_land_fraction(ocean)
    assert frac.shape == (N_LAT, N_LON)
    return frac >= 0.5, frac


def save(land, out):
    packed = np.packbits(land, axis=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        land=packed,
        resolution=np.float64(RESOLUTION),
        shape=np.array(land.shape, dtype=np.int64),
    )
    return packed


def land_fraction_of_sphere(land):
    """Fraction of the sphere's area covered by land cells."""
    edges = np.deg2rad(np.linspace(-90.0, 90.0, N_LAT + 1))
    band = np.diff(np.sin(edges))  # area of a band / (2 pi), per row
    return float(np.sum(land.sum(axis=1) * band) / (2.0 * N_LON))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .npz path")
    args = parser.parse_args(argv)

    ocean, lat, lon = load_source()
    check_source_grid(ocean, lat, lon)
    # Pixel-level land fraction of the sphere, for comparison (row weights by latitude).
    pix_edges = np.deg2rad(90.0 - np.arange(21601) / 120.0)
    pix_band = -np.diff(np.sin(pix_edges))
    land_per_row = ocean.shape[1] - np.count_nonzero(ocean, axis=1)
    source_fraction = float(np.sum(land_per_row * pix_band) / (2.0 * ocean.shape[1]))

    land, frac = build_mask(ocean)
    del ocean
    packed = save(land, args.out)

    mixed = np.mean((frac > 0) & (frac < 1))
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, packed {packed.shape})")
    print(f"land cells: {land.sum()} of {land.size}; coastal (mixed) cells: {mixed:.3%}")
    print(f"land fraction of the sphere: source 1 km mask {source_fraction:.5f}, "
          f"0.2-degree mask {land_fraction_of_sphere(land):.5f}")

    # Round trip and spot checks with the package's own public lookup.
    with np.load(args.out) as f:
        back = np.unpackbits(f["land"], axis=1, count=N_LON).astype(bool)
    assert np.array_equal(back, land)
    from global_land_mask import globe

    rng = np.random.RandomState(0)
    lat_c = np.rad2deg(np.arcsin(rng.uniform(-1, 1, 200_000)))
    lon_c = rng.uniform(-180, 180, 200_000)
    ours = land[np.minimum(((lat_c + 90) * 5).astype(int), N_LAT - 1),
                np.minimum(((lon_c + 180) * 5).astype(int), N_LON - 1)]
    theirs = globe.is_land(lat_c, lon_c)
    print(f"agreement with globe.is_land at 200000 uniform points: {np.mean(ours == theirs):.4%}")


if __name__ == "__main__":
    main()
