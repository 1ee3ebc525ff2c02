"""Checks and hypothesis strategies every skgen estimator must pass.

- :func:`check_generative_estimator`: one battery of checks for any
  generative estimator, skgen's or a user's, following the protocol of
  :mod:`skgen.base`.
- :func:`estimator_test_instances` and :data:`TEST_PARAMS`: a fast-configured
  instance of every estimator of skgen, for the common tests.
- :mod:`skgen.testing.strategies`: `hypothesis <https://hypothesis.readthedocs.io>`_
  strategies for data sets and estimator parameters (imported on first use,
  as it needs hypothesis).
"""

import importlib

from ._checks import check_generative_estimator
from ._instances import TEST_PARAMS, estimator_test_instances

__all__ = [
    "TEST_PARAMS",
    "check_generative_estimator",
    "estimator_test_instances",
    "strategies",
]


def __getattr__(name):
    if name == "strategies":
        return importlib.import_module(f"{__name__}.strategies")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
