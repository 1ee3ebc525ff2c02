"""Torch internals shared by the deep families (internal API).

Users do not need this module: it is where the deep estimators' common parts
live, written once. :class:`BaseDeepGenerative` is the one training driver
every deep estimator uses (seeding, standardization, early stopping, best
weights, NaN and Ctrl-C handling, progress bars, chunked inference,
device-aware pickling) and its small hooks (see the "architecture" page of
the documentation); :class:`TrainingRun` is what those hooks receive. The
building blocks: the networks (:class:`MLP`, :class:`MaskedLinear`,
:class:`MaskedMLP` and the MADE masks :func:`made_masks`), the label
embedding of conditional networks (:func:`label_embedding`), the moving
average of weights (:class:`MovingAverage`), the optimizer (:func:`adam`,
fused where torch allows) and per-row hashed noise
(:func:`row_keys`, :func:`hashed_normal`, ...), which makes Monte Carlo
scores independent of the batch. Importing this module imports torch.
"""

from ._average import MovingAverage
from ._base import BaseDeepGenerative, TrainingRun, TrainingWarning, driver_parameters_doc
from ._layers import (
    MAX_EMBEDDING_DIM,
    MLP,
    MaskedLinear,
    MaskedMLP,
    init_parameters,
    label_embedding,
    made_masks,
)
from ..utils._hashing import hashed_normal, hashed_rademacher, hashed_uniform, row_keys
from ._utils import adam, resolve_device, torch_generator

__all__ = [
    "MAX_EMBEDDING_DIM",
    "adam",
    "BaseDeepGenerative",
    "MLP",
    "MaskedLinear",
    "MaskedMLP",
    "MovingAverage",
    "TrainingRun",
    "TrainingWarning",
    "driver_parameters_doc",
    "hashed_normal",
    "hashed_rademacher",
    "hashed_uniform",
    "init_parameters",
    "label_embedding",
    "made_masks",
    "resolve_device",
    "row_keys",
    "torch_generator",
]
