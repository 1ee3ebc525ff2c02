"""Autoregressive models: exact likelihoods by the chain rule of probability.

``p(x) = prod_i p(x_i | x_1, ..., x_{i-1})``: a network predicts each part of
an observation from the parts before it, so the log-likelihood is a sum of
exact conditional log-probabilities and sampling draws the parts one after
another. :class:`MADE` does this for vectors (continuous, binary or integer
features) with one masked network; :class:`CharacterLanguageModel` does it
for text, the letters of a string being its features. Importing this module
imports torch.
"""

from ._char_lm import CharacterLanguageModel
from ._made import MADE

__all__ = ["CharacterLanguageModel", "MADE"]
