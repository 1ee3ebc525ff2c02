"""Fast-configured instances of every skgen estimator, for the common tests."""

import copy

from sklearn.preprocessing import StandardScaler

from ..classical import Gaussian
from ..utils import all_estimators

__all__ = ["TEST_PARAMS", "estimator_test_instances"]

_TINY_NET = {"hidden_sizes": (16, 16), "max_epochs": 3, "random_state": 0}

#: Constructor keyword arguments that make each estimator quick to fit in the
#: common tests, keyed by class name. An estimator that is missing here is
#: built with its defaults (plus ``random_state=0`` when it has that
#: parameter). Deep models register small budgets here (``max_epochs``,
#: ``batch_size``, tiny networks) so that the whole battery stays fast.
#: Values are deep-copied for each instance, so estimators given here are
#: never shared between tests.
TEST_PARAMS = {
    # classical and wrappers
    "DensityPipeline": {"steps": [("scale", StandardScaler()), ("density", Gaussian())]},
    "GaussianMixture": {"n_components": 2, "random_state": 0},
    "GenerativeClassifier": {"estimator": Gaussian()},
    "Invertible": {"transformer": StandardScaler()},
    # domains wide enough for scikit-learn's check data (values within +-1000)
    "LogTransformer": {"offset": 1000.0},
    "LogitTransformer": {"bounds": (-1000.0, 1000.0)},
    "TabularMixture": {"n_components": 2, "random_state": 0},
    # deep models: tiny networks, a few epochs (their own tests train properly)
    "CharacterLanguageModel": {"hidden_sizes": (16,), "embedding_dim": 8,
                               "max_epochs": 3, "random_state": 0},
    "DiffusionModel": {"n_timesteps": 20, "n_sampling_steps": 5, **_TINY_NET},
    "EnergyModel": {"n_mcmc_steps": 20, **_TINY_NET},
    "GAN": dict(_TINY_NET),
    "MADE": {"n_mixture_components": 2, **_TINY_NET},
    "MAF": {"n_transforms": 2, **_TINY_NET},
    "NSF": {"n_transforms": 2, **_TINY_NET},
    "RealNVP": {"n_transforms": 2, **_TINY_NET},
    "TabularAutoregressive": {"n_mixture_components": 2, "n_importance_samples": 10,
                              **_TINY_NET},
    "VAE": {"n_importance_samples": 5, **_TINY_NET},
}


def estimator_test_instances(type_filter=None):
    """Yield a fast-configured instance of every estimator of skgen.

    Each class listed by :func:`skgen.utils.all_estimators` is built with the
    keyword arguments in :data:`TEST_PARAMS` (small training budgets for deep
    models) and, when it has a ``random_state`` parameter left unset, with
    ``random_state=0`` so that the tests are deterministic.

    Parameters
    ----------
    type_filter : {"density", "transformer", "classifier"} or None, default=None
        Passed to :func:`skgen.utils.all_estimators`.

    Yields
    ------
    estimator : estimator instance
        An unfitted instance.

    Examples
    --------
    >>> from skgen.testing import estimator_test_instances
    >>> names = [type(est).__name__ for est in estimator_test_instances()]
    >>> "Gaussian" in names
    True
    >>> gm = next(e for e in estimator_test_instances() if type(e).__name__ == "GaussianMixture")
    >>> gm.n_components, gm.random_state
    (2, 0)
    """
    for name, cls in all_estimators(type_filter=type_filter):
        params = copy.deepcopy(TEST_PARAMS.get(name, {}))
        estimator = cls(**params)
        if "random_state" in estimator.get_params() and "random_state" not in params:
            if estimator.get_params()["random_state"] is None:
                estimator.set_params(random_state=0)
        yield estimator
