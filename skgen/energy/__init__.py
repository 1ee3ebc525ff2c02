"""Energy-based models: densities known up to their normalizing constant.

:class:`EnergyModel` learns an energy ``E(x)`` with an MLP; its density is
``exp(-E(x)) / Z`` with ``Z`` unknown, so ``score_samples`` is unnormalized
until :meth:`EnergyModel.estimate_log_normalizer` estimates ``log Z`` by
(annealed) importance sampling. Samples come from Langevin MCMC. Importing
this module imports torch.
"""

from ._estimator import EnergyModel

__all__ = ["EnergyModel"]
