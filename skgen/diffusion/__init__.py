"""Denoising diffusion models: generation by learning to remove noise.

:class:`DiffusionModel` is DDPM for vectors: an MLP learns to predict the
Gaussian noise added to the data at every level of a noise schedule, and
generation runs the noising process backwards (ancestral sampling, or DDIM's
faster deterministic map). Its ``score_samples`` is the variational lower
bound on ``log p(x)``, or the probability-flow ODE's estimate. Importing this
module imports torch.
"""

from ._estimator import DiffusionModel

__all__ = ["DiffusionModel"]
