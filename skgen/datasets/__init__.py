"""Data sets paired with their true distributions.

Every generator ``make_*`` draws from a known distribution, and that
distribution is available as an object with the generative protocol:
``score_samples`` (the *exact* log-density, ``-inf`` outside the support),
``score`` (its mean), ``sample(n_samples, random_state=...)``,
``likelihood_kind = "exact"`` and ``n_features_in_``. It is the oracle a
fitted model is measured against: on held-out data no model can beat the true
distribution's mean log-likelihood, except by chance.

The true distributions are born fitted: ``fit(X=None, y=None)`` only checks
the parameters (and the shape of ``X`` when given) and returns ``self``, so
they can stand where an estimator is expected, for example in
:func:`sklearn.model_selection.cross_val_score` to print the ceiling of a
likelihood comparison.

- :func:`make_world_map` / :class:`WorldMap`: points uniform (by area) over the
  Earth's land, in (longitude, latitude) degrees, the lecture's "Hello World"
  data. The land mask is a 0.2-degree grid derived from NOAA's GLOBE 1-km
  elevation model through the ``global-land-mask`` package (MIT licence); see
  ``skgen/datasets/data/LAND_MASK_LICENSE.txt``.
- 2-D toy densities: :class:`EightGaussians`, :class:`Checkerboard`,
  :class:`Rings`, :class:`Banana`, :class:`TwoSpirals`, each with a
  ``make_*`` function; :func:`make_toy` picks one by name.
- :func:`make_biscuit_tins`: the lecture's grey-scale images of biscuit tins
  that vary only in height and width, returned with the true factors (the
  images lie on a 2-D manifold, so no density object is paired with them).
- :func:`make_customer_table` / :class:`CustomerNetwork`: a mixed-type table
  (categories, a boolean, a count, a log-normal amount) from a small Bayesian
  network, optionally with cells missing at random, with its exact
  log-likelihood: the oracle of :mod:`skgen.tabular`.
- :class:`MarkovTextSource`: strings from a first-order Markov chain over a
  small alphabet, with exact log-probabilities and entropy rate, the oracle of
  text models such as :class:`skgen.autoregressive.CharacterLanguageModel`.
"""

from ._biscuit_tins import make_biscuit_tins, render_biscuit_tins
from ._markov import MarkovTextSource
from ._mixed_table import CustomerNetwork, make_customer_table
from ._toy import (
    Banana,
    Checkerboard,
    EightGaussians,
    Rings,
    TwoSpirals,
    make_banana,
    make_checkerboard,
    make_eight_gaussians,
    make_rings,
    make_toy,
    make_two_spirals,
)
from ._world_map import WorldMap, make_world_map

__all__ = [
    "Banana",
    "Checkerboard",
    "CustomerNetwork",
    "EightGaussians",
    "MarkovTextSource",
    "Rings",
    "TwoSpirals",
    "WorldMap",
    "make_banana",
    "make_biscuit_tins",
    "make_checkerboard",
    "make_customer_table",
    "make_eight_gaussians",
    "make_rings",
    "make_toy",
    "make_two_spirals",
    "make_world_map",
    "render_biscuit_tins",
]
