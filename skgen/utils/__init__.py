"""Utilities: estimator discovery, validation and random-state helpers."""

from ._discovery import all_estimators
from ._chunking import gen_batches_by_memory

__all__ = ["all_estimators", "gen_batches_by_memory"]
