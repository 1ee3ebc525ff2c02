"""Points uniform over the Earth's land: the lecture's "Hello World" data.

The land/sea mask is a 0.2-degree grid (900 latitude x 1800 longitude cells)
shipped as ``data/land_mask_0.2deg.npz`` (bit-packed, about 18 KB). It was
built by ``scripts/make_land_mask.py`` from the 30-arc-second ocean mask of the
``global-land-mask`` package (Todd Karin, MIT licence), itself derived from
NOAA's GLOBE digital elevation model: a 0.2-degree cell is land when at least
half of its 24 x 24 source pixels are land. Lakes count as land and Antarctica
is land. Provenance, citation and licence text: ``data/LAND_MASK_LICENSE.txt``.
Reading the mask needs only numpy.
"""

import functools
import importlib.resources

import numpy as np
import pandas as pd

from ._base import _generate, _TrueDistribution

__all__ = ["WorldMap", "make_world_map"]

_MASK_FILE = "land_mask_0.2deg.npz"
_EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


@functools.lru_cache(maxsize=1)
def _land_mask():
    """The land mask as a read-only bool array of shape (900, 1800).

    Row ``i`` covers latitudes ``[-90 + 0.2 i, -90 + 0.2 (i + 1))``, column
    ``j`` longitudes ``[-180 + 0.2 j, -180 + 0.2 (j + 1))``.
    """
    resource = importlib.resources.files("skgen.datasets") / "data" / _MASK_FILE
    with resource.open("rb") as fh, np.load(fh) as f:
        packed = f["land"]
        n_lon = int(f["shape"][1])
    land = np.unpackbits(packed, axis=1, count=n_lon).astype(bool)
    land.flags.writeable = False
    return land


@functools.lru_cache(maxsize=1)
def _land_geometry():
    """Per-row quantities of the mask needed by the density.

    Returns
    -------
    sin_edges : ndarray of shape (n_lat + 1,)
        ``sin`` of the latitude edges of the rows.
    row_mass : ndarray of shape (n_lat,)
        Land cells per row times ``sin(top) - sin(bottom)``: proportional to
        the land area of the row.
    log_normalizer : float
        ``log`` of the integral of ``cos(latitude)`` over the land, in
        square degrees of (longitude, latitude).
    land_fraction : float
        Fraction of the sphere's area that is land.
    """
    land = _land_mask()
    n_lat, n_lon = land.shape
    res = 180.0 / n_lat
    sin_edges = np.sin(np.deg2rad(np.linspace(-90.0, 90.0, n_lat + 1)))
    sin_edges[0], sin_edges[-1] = -1.0, 1.0
    row_mass = land.sum(axis=1) * np.diff(sin_edges)
    total = float(row_mass.sum())
    # Integral over one cell of cos(lat) d(lon) d(lat), both in degrees:
    # res * (180 / pi) * (sin(top) - sin(bottom)).
    log_normalizer = float(np.log(total * res * 180.0 / np.pi))
    land_fraction = total / (2.0 * n_lon)
    return sin_edges, row_mass, log_normalizer, land_fraction


@functools.lru_cache(maxsize=1)
def _land_cells():
    """Flat indices of the land cells, row-major, and each row's first position."""
    land = _land_mask()
    flat = np.flatnonzero(land).astype(np.int32)
    row_start = np.concatenate([[0], np.cumsum(land.sum(axis=1))])
    return flat, row_start


def _cell_of(lon, lat, shape):
    """Row and column of the cell holding each point (points must be in range)."""
    n_lat, n_lon = shape
    row = np.minimum(np.floor((lat + 90.0) * (n_lat / 180.0)), n_lat - 1).astype(np.intp)
    col = np.minimum(np.floor((lon + 180.0) * (n_lon / 360.0)), n_lon - 1).astype(np.intp)
    return row, col


def _latitude_uniform_by_area(sin_low, sin_high, u):
    """Latitude (degrees) at quantile ``u`` of the density ``cos(lat)`` between two edges.

    The CDF of ``cos(lat)`` on ``[low, high]`` is
    ``(sin(lat) - sin(low)) / (sin(high) - sin(low))``; its inverse maps a
    uniform ``u`` to a latitude uniform by area. Edges are given by their sines.
    """
    return np.rad2deg(np.arcsin(sin_low + u * (sin_high - sin_low)))


def _is_land(lon, lat):
    land = _land_mask()
    inside = (lon >= -180.0) & (lon <= 180.0) & (lat >= -90.0) & (lat <= 90.0)
    row, col = _cell_of(np.where(inside, lon, 0.0), np.where(inside, lat, 0.0), land.shape)
    return inside & land[row, col]


class WorldMap(_TrueDistribution):
    """Uniform distribution over the Earth's land, in (longitude, latitude) degrees.

    Points are uniform by *area* on the sphere, not by square degree: in
    (longitude, latitude) coordinates the density is proportional to
    ``cos(latitude)`` on land and zero at sea,

    ``p(lon, lat) = cos(lat) / Z`` on land, with
    ``Z = integral over land of cos(lat) d(lon) d(lat)``,

    in units of degree^-2, so that it integrates to 1 over
    ``[-180, 180] x [-90, 90]``. Land is a 0.2-degree grid (900 x 1800 cells)
    derived from NOAA's GLOBE 1-km elevation model through the
    ``global-land-mask`` package (MIT licence; lakes and Antarctica are land,
    see ``skgen/datasets/data/LAND_MASK_LICENSE.txt``). The density and the
    sampler use the same grid, so samples are exact draws from this density.

    Sampling picks a land cell with probability proportional to its area,
    ``sin(lat_top) - sin(lat_bottom)``, then a point uniform by area inside it:
    longitude uniform, latitude ``arcsin`` of a uniform value between the sines
    of the cell's edges.

    Attributes
    ----------
    n_features_in_ : int
        Always 2: longitude then latitude, in degrees. A DataFrame with columns
        ``"longitude"`` and ``"latitude"`` is read by name.
    land_fraction : float
        Fraction of the Earth's surface that is land on this grid (about 0.289).
    land_area_km2 : float
        The same as an area, on a sphere of the Earth's mean radius.
    likelihood_kind : str
        ``"exact"``.

    See Also
    --------
    make_world_map : draw a data set from this distribution.
    skgen.classical.UniformBox : the lecture's first model of these data.

    Examples
    --------
    >>> from skgen.datasets import WorldMap
    >>> world = WorldMap()
    >>> paris, atlantic = [2.35, 48.85], [-30.0, 0.0]
    >>> world.is_land([paris, atlantic])
    array([ True, False])
    >>> world.score_samples([paris, atlantic])
    array([-9.804...,      -inf])
    >>> round(world.land_fraction, 3)
    0.289
    >>> world.sample(2, random_state=0).shape
    (2, 2)
    """

    _parameter_constraints = {}
    _feature_names = ("longitude", "latitude")

    def __init__(self):
        pass

    @property
    def land_fraction(self):
        """Fraction of the sphere's area that is land on the mask."""
        return _land_geometry()[3]

    @property
    def land_area_km2(self):
        """Land area in km² on a sphere of the Earth's mean radius."""
        return self.land_fraction * 4.0 * np.pi * _EARTH_RADIUS_KM**2

    def is_land(self, X):
        """Whether each point is on land.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, 2)
            Longitude and latitude in degrees.

        Returns
        -------
        land : ndarray of bool, shape (n_samples,)
            True on land; False at sea and outside ``[-180, 180] x [-90, 90]``.
            The same as ``score_samples(X) > -inf``.

        Examples
        --------
        >>> from skgen.datasets import WorldMap
        >>> WorldMap().is_land([[0.0, -85.0], [-150.0, 30.0]])  # Antarctica, Pacific
        array([ True, False])
        """
        X = self._validate_X(X)
        return _is_land(X[:, 0], X[:, 1])

    def _log_density(self, X):
        lon, lat = X[:, 0], X[:, 1]
        log_normalizer = _land_geometry()[2]
        log_cos = np.log(np.cos(np.deg2rad(np.clip(lat, -90.0, 90.0))))
        return np.where(_is_land(lon, lat), log_cos - log_normalizer, -np.inf)

    def _sample(self, n_samples, rng):
        land = _land_mask()
        n_lat, n_lon = land.shape
        res = 180.0 / n_lat
        sin_edges, row_mass, _, _ = _land_geometry()
        flat, row_start = _land_cells()
        counts = np.diff(row_start)

        # A land cell with probability proportional to its area: a row by its
        # land area, then one of the row's land cells uniformly.
        rows = rng.choice(n_lat, size=n_samples, p=row_mass / row_mass.sum())
        k = np.minimum((rng.uniform(size=n_samples) * counts[rows]).astype(np.intp),
                       counts[rows] - 1)
        cols = flat[row_start[rows] + k] % n_lon

        lon = np.empty(n_samples)
        lat = np.empty(n_samples)
        todo = np.arange(n_samples)
        # Uniform by area inside the cell. Rounding can, very rarely, put a
        # point on the edge of a neighbouring cell; such points are redrawn
        # inside their own cell, which keeps the draw exact.
        while todo.size:
            r, c = rows[todo], cols[todo]
            lon[todo] = -180.0 + (c + rng.uniform(size=todo.size)) * res
            lat[todo] = _latitude_uniform_by_area(
                sin_edges[r], sin_edges[r + 1], rng.uniform(size=todo.size)
            )
            got_r, got_c = _cell_of(lon[todo], lat[todo], land.shape)
            todo = todo[(got_r != r) | (got_c != c)]
        return np.column_stack([lon, lat])


def make_world_map(n_samples=100, *, random_state=None, as_frame=False,
                   return_distribution=False):
    """Points drawn uniformly (by area) from the Earth's land.

    The lecture's "Hello World" data set: the hidden rule is "a random place on
    land". Columns are longitude and latitude in degrees. The true
    distribution, with its exact log-density, is :class:`WorldMap`.

    Parameters
    ----------
    n_samples : int, default=100
        Number of points.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.
    as_frame : bool, default=False
        If True, return a pandas DataFrame with columns ``"longitude"`` and
        ``"latitude"``; otherwise an ndarray.
    return_distribution : bool, default=False
        If True, also return the true distribution.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_samples, 2)
        Longitude and latitude in degrees.
    distribution : WorldMap
        Only when ``return_distribution=True``.

    Examples
    --------
    >>> from skgen.datasets import make_world_map
    >>> X, world = make_world_map(500, random_state=0, return_distribution=True)
    >>> X.shape
    (500, 2)
    >>> bool(world.is_land(X).all())
    True
    >>> make_world_map(3, random_state=0, as_frame=True).columns.tolist()
    ['longitude', 'latitude']
    """
    out = _generate(WorldMap(), n_samples, random_state, return_distribution)
    if as_frame:
        X = pd.DataFrame(out[0] if return_distribution else out,
                         columns=list(WorldMap._feature_names))
        return (X, out[1]) if return_distribution else X
    return out
