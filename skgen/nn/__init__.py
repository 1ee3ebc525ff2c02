"""Torch internals shared by the deep families.

:class:`BaseDeepGenerative` is the one training driver every deep estimator
uses (seeding, standardization, early stopping, best weights, NaN and Ctrl-C
handling, progress bars, chunked inference, device-aware pickling); the layers
(:class:`MLP`, :class:`MaskedLinear`, :class:`MaskedMLP`) are the networks the
families build from. Importing this module imports torch.
"""

from ._base import BaseDeepGenerative, TrainingWarning
from ._layers import MLP, MaskedLinear, MaskedMLP, init_parameters
from ._utils import resolve_device, torch_generator

__all__ = [
    "BaseDeepGenerative",
    "MLP",
    "MaskedLinear",
    "MaskedMLP",
    "TrainingWarning",
    "init_parameters",
    "resolve_device",
    "torch_generator",
]
