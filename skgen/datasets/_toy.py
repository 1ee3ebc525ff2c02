"""Two-dimensional toy densities with exact log-densities and exact samplers.

Each is a class following the generative protocol (the true distribution) and
a ``make_*`` function that draws a data set from it. They are the usual
benchmarks of density estimation pictures: separated modes
(:class:`EightGaussians`), sharp edges and holes (:class:`Checkerboard`),
curved thin supports (:class:`Rings`, :class:`TwoSpirals`) and a non-linear
dependence (:class:`Banana`).
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import i0e, logsumexp
from sklearn.utils._param_validation import Interval

from ..utils import gen_batches_by_memory
from ._base import _generate, _TrueDistribution
from ._world_map import WorldMap

__all__ = [
    "Banana",
    "Checkerboard",
    "EightGaussians",
    "Rings",
    "TwoSpirals",
    "make_banana",
    "make_checkerboard",
    "make_eight_gaussians",
    "make_rings",
    "make_toy",
    "make_two_spirals",
]

_LOG_2PI = np.log(2.0 * np.pi)


def _isotropic_mixture_log_density(X, means, std, log_weights):
    """Log-density of an isotropic Gaussian mixture in 2-D.

    Parameters
    ----------
    X : ndarray of shape (n, 2)
    means : ndarray of shape (k, 2)
    std : float
        Standard deviation of every component along each axis.
    log_weights : ndarray of shape (k,)
        Log mixture weights (summing to 1 in probability).

    Returns
    -------
    ndarray of shape (n,)
    """
    out = np.empty(X.shape[0])
    for rows in gen_batches_by_memory(X.shape[0], 24 * means.shape[0], max_bytes=2**25):
        d2 = (X[rows, 0, None] - means[:, 0]) ** 2 + (X[rows, 1, None] - means[:, 1]) ** 2
        out[rows] = logsumexp(log_weights - d2 / (2.0 * std**2), axis=1)
    return out - np.log(2.0 * np.pi * std**2)


def _sample_isotropic_mixture(n_samples, rng, means, std, weights):
    comp = rng.choice(means.shape[0], size=n_samples, p=weights)
    return means[comp] + std * rng.standard_normal((n_samples, 2))


class EightGaussians(_TrueDistribution):
    """Eight equally weighted isotropic Gaussians evenly spaced on a circle.

    The component means are ``radius * (cos(k pi / 4), sin(k pi / 4))`` for
    ``k = 0, ..., 7``; each component has covariance ``std**2 * I``. A test of
    whether a model covers every mode and leaves the space between them empty.

    Parameters
    ----------
    radius : float, default=2.0
        Radius of the circle of means.
    std : float, default=0.2
        Standard deviation of each component along each axis.

    Attributes
    ----------
    means_ : ndarray of shape (8, 2)
        Component means.
    n_features_in_ : int
        Always 2.
    likelihood_kind : str
        ``"exact"``.

    See Also
    --------
    make_eight_gaussians : draw a data set from this distribution.

    Examples
    --------
    >>> from skgen.datasets import EightGaussians
    >>> dist = EightGaussians()
    >>> dist.means_[:2].round(3)
    array([[2.   , 0.   ],
           [1.414, 1.414]])
    >>> dist.score_samples([[2.0, 0.0], [0.0, 0.0]]).round(3)
    array([ -0.698, -48.619])
    """

    _parameter_constraints = {
        "radius": [Interval(Real, 0, None, closed="neither")],
        "std": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, *, radius=2.0, std=0.2):
        self.radius = radius
        self.std = std

    @property
    def means_(self):
        angles = np.arange(8) * (np.pi / 4.0)
        return self.radius * np.column_stack([np.cos(angles), np.sin(angles)])

    def _log_density(self, X):
        return _isotropic_mixture_log_density(X, self.means_, self.std, np.full(8, -np.log(8)))

    def _sample(self, n_samples, rng):
        return _sample_isotropic_mixture(n_samples, rng, self.means_, self.std, np.full(8, 0.125))


class Checkerboard(_TrueDistribution):
    """Uniform density on the dark squares of a checkerboard.

    The board ``[-extent, extent]^2`` is cut into ``n_squares x n_squares``
    squares; square ``(i, j)`` (``i`` counts columns along the first feature,
    ``j`` rows along the second, both from the lower-left corner) is dark when
    ``i + j`` is even, so the lower-left square is dark. The density is
    ``1 / (dark area)`` on the dark squares and zero, with
    log-density ``-inf``, on the light squares and off the board. A test of
    sharp edges and holes in the support.

    Parameters
    ----------
    n_squares : int, default=4
        Squares per side of the board.
    extent : float, default=4.0
        Half the side of the board.

    Attributes
    ----------
    n_features_in_ : int
        Always 2.
    likelihood_kind : str
        ``"exact"``.

    See Also
    --------
    make_checkerboard : draw a data set from this distribution.

    Examples
    --------
    >>> from skgen.datasets import Checkerboard
    >>> board = Checkerboard()  # 8 dark 2 x 2 squares: density 1 / 32
    >>> board.score_samples([[-3.0, -3.0], [-1.0, -3.0], [5.0, 0.0]])
    array([-3.4657...,       -inf,       -inf])
    """

    _parameter_constraints = {
        "n_squares": [Interval(Integral, 1, None, closed="left")],
        "extent": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, *, n_squares=4, extent=4.0):
        self.n_squares = n_squares
        self.extent = extent

    def _log_dark_area(self):
        n, side = self.n_squares, 2.0 * self.extent / self.n_squares
        n_dark = (n * n + 1) // 2
        return np.log(n_dark * side * side)

    def _square_of(self, X):
        """Column and row of the square holding each point, and whether it is on the board."""
        n, e = self.n_squares, self.extent
        on_board = np.all(np.abs(X) <= e, axis=1)
        ij = np.floor((np.clip(X, -e, e) + e) * (n / (2.0 * e)))
        ij = np.minimum(ij, n - 1).astype(np.intp)
        return ij[:, 0], ij[:, 1], on_board

    def _log_density(self, X):
        i, j, on_board = self._square_of(X)
        dark = on_board & ((i + j) % 2 == 0)
        return np.where(dark, -self._log_dark_area(), -np.inf)

    def _sample(self, n_samples, rng):
        n, e = self.n_squares, self.extent
        side = 2.0 * e / n
        i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        dark = (i + j) % 2 == 0
        pick = rng.randint(int(dark.sum()), size=n_samples)
        di, dj = i[dark][pick], j[dark][pick]
        X = np.empty((n_samples, 2))
        todo = np.arange(n_samples)
        # Rounding can, very rarely, put a point on the edge of a light
        # neighbour; such points are redrawn inside their square.
        while todo.size:
            u = rng.uniform(size=(todo.size, 2))
            X[todo, 0] = (di[todo] + u[:, 0]) * side - e
            X[todo, 1] = (dj[todo] + u[:, 1]) * side - e
            gi, gj, _ = self._square_of(X[todo])
            todo = todo[(gi != di[todo]) | (gj != dj[todo])]
        return X


class Rings(_TrueDistribution):
    """Concentric rings: circles blurred by isotropic Gaussian noise.

    A point of ring ``k`` is ``radii[k] * (cos t, sin t) + std * eps`` with
    ``t`` uniform on ``[0, 2 pi)`` and ``eps`` standard normal in 2-D; ring
    ``k`` is chosen with probability ``weights[k]``. Averaging the Gaussian
    over the angle gives the exact density of a ring (a Rice distribution in
    the radius ``rho = |x|``)::

        p_k(x) = exp(-(rho**2 + r_k**2) / (2 std**2)) I0(rho r_k / std**2) / (2 pi std**2)

    with ``I0`` the modified Bessel function of order 0. It is finite and
    smooth everywhere, the origin included (where a Gaussian in the radius
    divided by ``2 pi rho`` would blow up), and computed stably as
    ``log I0(z) = log(i0e(z)) + z``.

    Parameters
    ----------
    radii : array-like of shape (n_rings,), default=(1.0, 2.0, 3.0)
        Radii of the circles, non-negative (a radius of 0 is a Gaussian blob).
    std : float, default=0.1
        Standard deviation of the noise along each axis.
    weights : array-like of shape (n_rings,) or None, default=None
        Probabilities of the rings (normalized to sum to 1); ``None`` gives
        every ring the same weight.

    Attributes
    ----------
    n_features_in_ : int
        Always 2.
    likelihood_kind : str
        ``"exact"``.

    See Also
    --------
    make_rings : draw a data set from this distribution.

    Examples
    --------
    >>> from skgen.datasets import Rings
    >>> rings = Rings(radii=[1.0], std=0.1)
    >>> rings.score_samples([[1.0, 0.0], [0.0, 0.0]]).round(3)
    array([ -0.453, -47.233])
    """

    _parameter_constraints = {
        "radii": ["array-like"],
        "std": [Interval(Real, 0, None, closed="neither")],
        "weights": ["array-like", None],
    }

    def __init__(self, *, radii=(1.0, 2.0, 3.0), std=0.1, weights=None):
        self.radii = radii
        self.std = std
        self.weights = weights

    def _radii_and_weights(self):
        radii = np.asarray(self.radii, dtype=np.float64)
        if radii.ndim != 1 or radii.size == 0 or not np.all(np.isfinite(radii)) \
                or np.any(radii < 0):
            raise ValueError(
                f"radii must be a non-empty 1-D sequence of finite non-negative numbers, "
                f"got {self.radii!r}."
            )
        if self.weights is None:
            return radii, np.full(radii.size, 1.0 / radii.size)
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.shape != radii.shape or not np.all(np.isfinite(weights)) \
                or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(
                f"weights must have one non-negative finite value per radius "
                f"({radii.size}) and a positive sum, got {self.weights!r}."
            )
        return radii, weights / weights.sum()

    def _log_density(self, X):
        radii, weights = self._radii_and_weights()
        s2 = self.std**2
        rho = np.hypot(X[:, 0], X[:, 1])
        out = np.empty(X.shape[0])
        for rows in gen_batches_by_memory(X.shape[0], 24 * radii.size, max_bytes=2**25):
            r = rho[rows, None]
            log_ring = -((r - radii) ** 2) / (2.0 * s2) + np.log(i0e(r * radii / s2))
            out[rows] = logsumexp(log_ring, b=weights, axis=1)
        return out - np.log(2.0 * np.pi * s2)

    def _sample(self, n_samples, rng):
        radii, weights = self._radii_and_weights()
        ring = rng.choice(radii.size, size=n_samples, p=weights)
        angle = rng.uniform(0.0, 2.0 * np.pi, size=n_samples)
        centre = radii[ring, None] * np.column_stack([np.cos(angle), np.sin(angle)])
        return centre + self.std * rng.standard_normal((n_samples, 2))


class Banana(_TrueDistribution):
    """A banana-shaped density: a Gaussian bent along a parabola.

    ``x0 ~ N(0, std0**2)`` and ``x1 | x0 ~ N(curvature * (x0**2 - std0**2), std1**2)``,
    so ``log p(x) = log N(x0; 0, std0**2) + log N(x1; curvature (x0**2 - std0**2), std1**2)``
    exactly. The shift ``- curvature * std0**2`` centres the data: both
    features have mean 0 and are uncorrelated, yet strongly dependent, with
    ``Var(x1) = 2 curvature**2 std0**4 + std1**2``. A Gaussian fit gets the
    first two moments right and the shape wrong.

    Parameters
    ----------
    curvature : float, default=0.5
        Bend of the parabola (0 gives an axis-aligned Gaussian; negative bends down).
    std0 : float, default=1.0
        Standard deviation of the first feature.
    std1 : float, default=0.3
        Standard deviation of the second feature around the parabola.

    Attributes
    ----------
    n_features_in_ : int
        Always 2.
    likelihood_kind : str
        ``"exact"``.

    See Also
    --------
    make_banana : draw a data set from this distribution.

    Examples
    --------
    >>> from skgen.datasets import Banana
    >>> banana = Banana()
    >>> banana.score_samples([[0.0, -0.5], [0.0, 0.5]]).round(3)
    array([-0.634, -6.189])
    """

    _parameter_constraints = {
        "curvature": [Interval(Real, None, None, closed="neither")],
        "std0": [Interval(Real, 0, None, closed="neither")],
        "std1": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, *, curvature=0.5, std0=1.0, std1=0.3):
        self.curvature = curvature
        self.std0 = std0
        self.std1 = std1

    def _log_density(self, X):
        x0, x1 = X[:, 0], X[:, 1]
        z0 = x0 / self.std0
        z1 = (x1 - self.curvature * (x0**2 - self.std0**2)) / self.std1
        return -0.5 * (z0**2 + z1**2) - _LOG_2PI - np.log(self.std0 * self.std1)

    def _sample(self, n_samples, rng):
        z = rng.standard_normal((n_samples, 2))
        x0 = self.std0 * z[:, 0]
        x1 = self.curvature * (x0**2 - self.std0**2) + self.std1 * z[:, 1]
        return np.column_stack([x0, x1])


class TwoSpirals(_TrueDistribution):
    """Two interleaved spiral arms, blurred by Gaussian noise.

    Each arm is an Archimedean spiral ``rho = a * theta`` from the origin out
    to ``radius`` after ``n_turns`` turns; the second arm is the first turned by
    180 degrees. The noisy arm is represented *exactly* as a finite mixture:
    ``n_centers`` isotropic Gaussians of standard deviation ``std`` per arm, their
    means equally spaced by arc length along it, all with the same weight. The
    log-density is that mixture's, exactly; with the default spacing (about
    ``std``), the ripple along an arm is below 1e-8 in relative terms.

    Parameters
    ----------
    n_turns : float, default=1.5
        Turns of each arm.
    radius : float, default=3.0
        Distance from the origin to the end of each arm.
    std : float, default=0.15
        Standard deviation of the noise along each axis.
    n_centers : int, default=100
        Gaussian components per arm.

    Attributes
    ----------
    means_ : ndarray of shape (2 * n_centers, 2)
        Component means, first arm then second.
    n_features_in_ : int
        Always 2.
    likelihood_kind : str
        ``"exact"``.

    See Also
    --------
    make_two_spirals : draw a data set from this distribution.

    Examples
    --------
    >>> from skgen.datasets import TwoSpirals
    >>> spirals = TwoSpirals()
    >>> spirals.means_.shape
    (200, 2)
    >>> X = spirals.sample(1000, random_state=0)
    >>> bool(abs(spirals.score(X) - spirals.score(spirals.sample(1000, random_state=1))) < 0.1)
    True
    """

    _parameter_constraints = {
        "n_turns": [Interval(Real, 0, None, closed="neither")],
        "radius": [Interval(Real, 0, None, closed="neither")],
        "std": [Interval(Real, 0, None, closed="neither")],
        "n_centers": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, n_turns=1.5, radius=3.0, std=0.15, n_centers=100):
        self.n_turns = n_turns
        self.radius = radius
        self.std = std
        self.n_centers = n_centers

    @property
    def means_(self):
        theta_max = 2.0 * np.pi * self.n_turns
        a = self.radius / theta_max
        # Arc length of rho = a theta from 0 to theta, inverted by interpolation.
        theta = np.linspace(0.0, theta_max, 20_001)
        arc = 0.5 * a * (theta * np.sqrt(1.0 + theta**2) + np.arcsinh(theta))
        targets = (np.arange(self.n_centers) + 0.5) / self.n_centers * arc[-1]
        t = np.interp(targets, arc, theta)
        arm = a * t[:, None] * np.column_stack([np.cos(t), np.sin(t)])
        return np.concatenate([arm, -arm])

    def _log_density(self, X):
        means = self.means_
        log_w = np.full(means.shape[0], -np.log(means.shape[0]))
        return _isotropic_mixture_log_density(X, means, self.std, log_w)

    def _sample(self, n_samples, rng):
        means = self.means_
        weights = np.full(means.shape[0], 1.0 / means.shape[0])
        return _sample_isotropic_mixture(n_samples, rng, means, self.std, weights)


# ------------------------------------------------------------------ generators
def make_eight_gaussians(n_samples=100, *, radius=2.0, std=0.2, random_state=None,
                         return_distribution=False):
    """Points from eight Gaussians on a circle.

    Parameters
    ----------
    n_samples : int, default=100
        Number of points.
    radius : float, default=2.0
        Radius of the circle of means.
    std : float, default=0.2
        Standard deviation of each component along each axis.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.
    return_distribution : bool, default=False
        If True, also return the true distribution.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    distribution : EightGaussians
        Only when ``return_distribution=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.datasets import make_eight_gaussians
    >>> X = make_eight_gaussians(1000, random_state=0)
    >>> X.shape
    (1000, 2)
    >>> float(abs(np.hypot(X[:, 0], X[:, 1]).mean() - 2.0)) < 0.05
    True
    """
    return _generate(EightGaussians(radius=radius, std=std), n_samples, random_state,
                     return_distribution)


def make_checkerboard(n_samples=100, *, n_squares=4, extent=4.0, random_state=None,
                      return_distribution=False):
    """Points uniform on the dark squares of a checkerboard.

    Parameters
    ----------
    n_samples : int, default=100
        Number of points.
    n_squares : int, default=4
        Squares per side of the board.
    extent : float, default=4.0
        Half the side of the board ``[-extent, extent]^2``.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.
    return_distribution : bool, default=False
        If True, also return the true distribution.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    distribution : Checkerboard
        Only when ``return_distribution=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.datasets import make_checkerboard
    >>> X, board = make_checkerboard(500, random_state=0, return_distribution=True)
    >>> bool(np.isfinite(board.score_samples(X)).all())
    True
    """
    return _generate(Checkerboard(n_squares=n_squares, extent=extent), n_samples,
                     random_state, return_distribution)


def make_rings(n_samples=100, *, radii=(1.0, 2.0, 3.0), std=0.1, weights=None,
               random_state=None, return_distribution=False):
    """Points on concentric noisy circles.

    Parameters
    ----------
    n_samples : int, default=100
        Number of points.
    radii : array-like of shape (n_rings,), default=(1.0, 2.0, 3.0)
        Radii of the circles.
    std : float, default=0.1
        Standard deviation of the noise along each axis.
    weights : array-like of shape (n_rings,) or None, default=None
        Probabilities of the rings; ``None`` for equal weights.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.
    return_distribution : bool, default=False
        If True, also return the true distribution.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    distribution : Rings
        Only when ``return_distribution=True``.

    Examples
    --------
    >>> from skgen.datasets import make_rings
    >>> X = make_rings(300, radii=[1.0, 3.0], random_state=0)
    >>> X.shape
    (300, 2)
    """
    return _generate(Rings(radii=radii, std=std, weights=weights), n_samples, random_state,
                     return_distribution)


def make_banana(n_samples=100, *, curvature=0.5, std0=1.0, std1=0.3, random_state=None,
                return_distribution=False):
    """Points from a banana-shaped density.

    Parameters
    ----------
    n_samples : int, default=100
        Number of points.
    curvature : float, default=0.5
        Bend of the parabola.
    std0 : float, default=1.0
        Standard deviation of the first feature.
    std1 : float, default=0.3
        Standard deviation of the second feature around the parabola.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.
    return_distribution : bool, default=False
        If True, also return the true distribution.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    distribution : Banana
        Only when ``return_distribution=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.datasets import make_banana
    >>> X = make_banana(2000, random_state=0)
    >>> bool(np.abs(X.mean(axis=0)).max() < 0.1)
    True
    """
    return _generate(Banana(curvature=curvature, std0=std0, std1=std1), n_samples,
                     random_state, return_distribution)


def make_two_spirals(n_samples=100, *, n_turns=1.5, radius=3.0, std=0.15, n_centers=100,
                     random_state=None, return_distribution=False):
    """Points on two interleaved noisy spiral arms.

    Parameters
    ----------
    n_samples : int, default=100
        Number of points.
    n_turns : float, default=1.5
        Turns of each arm.
    radius : float, default=3.0
        Distance from the origin to the end of each arm.
    std : float, default=0.15
        Standard deviation of the noise along each axis.
    n_centers : int, default=100
        Gaussian components per arm (see :class:`TwoSpirals`).
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.
    return_distribution : bool, default=False
        If True, also return the true distribution.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    distribution : TwoSpirals
        Only when ``return_distribution=True``.

    Examples
    --------
    >>> from skgen.datasets import make_two_spirals
    >>> make_two_spirals(50, random_state=0).shape
    (50, 2)
    """
    dist = TwoSpirals(n_turns=n_turns, radius=radius, std=std, n_centers=n_centers)
    return _generate(dist, n_samples, random_state, return_distribution)


_TOYS = {
    "banana": Banana,
    "checkerboard": Checkerboard,
    "eight_gaussians": EightGaussians,
    "rings": Rings,
    "two_spirals": TwoSpirals,
    "world_map": WorldMap,
}


def make_toy(name, n_samples=100, *, random_state=None, return_distribution=False,
             **params):
    """Draw a 2-D data set by name.

    Parameters
    ----------
    name : {"banana", "checkerboard", "eight_gaussians", "rings", "two_spirals", \
"world_map"}
        Which distribution.
    n_samples : int, default=100
        Number of points.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.
    return_distribution : bool, default=False
        If True, also return the true distribution.
    **params
        Parameters of the distribution's class, e.g. ``std=0.1``.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    distribution : object
        The true distribution, only when ``return_distribution=True``.

    Examples
    --------
    >>> from skgen.datasets import make_toy
    >>> X, dist = make_toy("rings", 200, radii=[1.0, 2.0], random_state=0,
    ...                    return_distribution=True)
    >>> type(dist).__name__, X.shape
    ('Rings', (200, 2))
    """
    if name not in _TOYS:
        raise ValueError(f"Unknown toy data set {name!r}; choose one of {sorted(_TOYS)}.")
    return _generate(_TOYS[name](**params), n_samples, random_state, return_distribution)
