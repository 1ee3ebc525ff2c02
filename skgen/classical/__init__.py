"""Closed-form and shallow generative models."""

from ._gaussian import Gaussian
from ._histogram import Histogram
from ._kde import KernelDensity
from ._mixture import GaussianMixture
from ._uniform_box import UniformBox

__all__ = [
    "Gaussian",
    "GaussianMixture",
    "Histogram",
    "KernelDensity",
    "UniformBox",
]
