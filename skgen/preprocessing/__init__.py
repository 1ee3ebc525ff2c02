"""Invertible transformers that know their log-|det Jacobian|.

A density in transformed units is not a density in the original units: if
``z = T(x)`` then ``log p_X(x) = log p_Z(T(x)) + log |det dT/dx|``. The
transformers here supply that correction through
``log_abs_det_jacobian(X)`` (computed at the transformer's *input*), so that a
:class:`skgen.pipeline.DensityPipeline` reports log-densities in the original
units and samples back through ``inverse_transform``.

- :class:`LogTransformer`, :class:`LogitTransformer`: elementwise bijections
  for positive and for bounded data;
- :class:`Dequantizer`: uniform dequantization of integer data, with the
  correction that makes a continuous log-density a lower bound on the
  discrete log-probability;
- scikit-learn's ``StandardScaler``, ``MinMaxScaler`` (``clip=False``),
  ``MaxAbsScaler``, ``RobustScaler``, ``PowerTransformer`` (Yeo-Johnson and
  Box-Cox, standardized or not) and full-rank ``PCA`` (whitening or not) are
  recognised directly by the pipeline through a registry of Jacobians;
  :class:`Invertible` wraps one as a stand-alone invertible step;
  :func:`register_log_abs_det_jacobian` teaches skgen another class.
"""

from ._bijections import LogitTransformer, LogTransformer
from ._dequantize import Dequantizer
from ._jacobian import (
    Invertible,
    check_invertible,
    log_abs_det_jacobian,
    register_log_abs_det_jacobian,
)

__all__ = [
    "Dequantizer",
    "Invertible",
    "LogTransformer",
    "LogitTransformer",
    "check_invertible",
    "log_abs_det_jacobian",
    "register_log_abs_det_jacobian",
]
