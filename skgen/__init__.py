"""skgen: generative models with a scikit-learn API.

Fit a density, read honest log-likelihoods, draw new samples, and use all of
it inside scikit-learn pipelines and model selection.
"""

__version__ = "0.2.0.dev0"

__all__ = ["__version__"]
