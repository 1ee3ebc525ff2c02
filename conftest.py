"""Test-session settings.

The suite runs with two pytest-xdist workers on two cores: each worker uses
one BLAS/torch thread, as oversubscribed threads make small torch fits many
times slower.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

try:  # torch is a dependency, but keep the classical tests usable without it
    import torch
except ImportError:  # pragma: no cover
    torch = None
else:
    torch.set_num_threads(1)
