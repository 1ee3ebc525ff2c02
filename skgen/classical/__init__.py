"""Closed-form and shallow generative models.

UniformBox, Gaussian, KernelDensity, Histogram, GaussianMixture, and the
linear latent models ProbabilisticPCA and FactorAnalysis.
"""

from ._gaussian import Gaussian
from ._histogram import Histogram
from ._kde import KernelDensity
from ._linear_latent import FactorAnalysis, ProbabilisticPCA
from ._mixture import GaussianMixture
from ._uniform_box import UniformBox

__all__ = [
    "FactorAnalysis",
    "Gaussian",
    "GaussianMixture",
    "Histogram",
    "KernelDensity",
    "ProbabilisticPCA",
    "UniformBox",
]
