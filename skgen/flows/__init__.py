"""Normalizing flows: exact densities by the change of variables.

A flow maps data ``x`` through invertible transforms ``f`` to a standard
normal ``z``; ``log p(x) = log N(f(x)) + log |det df/dx|`` is exact, and
sampling runs the transforms backwards. :class:`RealNVP` stacks affine
coupling layers, :class:`MAF` masked autoregressive affine layers and
:class:`NSF` rational-quadratic spline layers (autoregressive or coupling).
All accept class labels ``y`` to model ``p(x | y)``. Importing this module
imports torch.
"""

from ._estimators import MAF, NSF, BaseFlow, RealNVP

__all__ = ["BaseFlow", "MAF", "NSF", "RealNVP"]
