"""Adversarial models: implicit generative models, with samples and no density.

:class:`GAN` trains a generator network against a discriminator. It defines
no density (``likelihood_kind = "none"``), so it has ``sample`` but no
``score_samples``; evaluate it with :mod:`skgen.metrics` sample-quality
metrics. Importing this module imports torch.
"""

from ._gan import GAN

__all__ = ["GAN"]
