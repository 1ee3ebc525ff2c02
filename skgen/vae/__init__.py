"""Variational autoencoders: explicit densities, approximated by a bound.

:class:`VAE` pairs a decoder ``p(x | z)`` over a Gaussian latent ``z`` with
an encoder ``q(z | x)``; it is trained on the evidence lower bound and scores
rows with the importance-weighted bound on ``log p(x)``
(``likelihood_kind = "lower_bound"``). It is also a transformer:
``transform`` encodes, ``inverse_transform`` decodes. Importing this module
imports torch.
"""

from ._vae import VAE

__all__ = ["VAE"]
