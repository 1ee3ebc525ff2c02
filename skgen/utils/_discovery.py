"""Listing every public estimator of skgen."""

import importlib
import inspect

from sklearn.base import BaseEstimator

# Public subpackages searched for estimators (torch is a hard dependency).
_PUBLIC_SUBPACKAGES = (
    "classical",
    "tabular",
    "autoregressive",
    "flows",
    "vae",
    "energy",
    "diffusion",
    "adversarial",
    "conditional",
    "pipeline",
    "preprocessing",
    "impute",
    "outlier",
)


def all_estimators(type_filter=None):
    """List every public estimator class of skgen.

    Like :func:`sklearn.utils.all_estimators`: walks skgen's public modules and
    returns the classes that are scikit-learn estimators, not abstract bases.

    Parameters
    ----------
    type_filter : {"density", "transformer", "classifier"}, list of those or None, \
            default=None
        Keep only density estimators (anything with ``sample``: every one has
        a ``likelihood_kind``), transformers (``transform``, such as
        :class:`~skgen.preprocessing.Invertible`, which has no density) or
        classifiers (``predict_proba``); a list keeps the classes of any of
        the given types, as in scikit-learn; ``None`` keeps all.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs, sorted by name.

    Examples
    --------
    >>> from skgen.utils import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> "UniformBox" in names and "KernelDensity" in names
    True
    >>> kinds = {name: cls.likelihood_kind
    ...          for name, cls in all_estimators(type_filter="density")}
    >>> kinds["KernelDensity"], kinds["VAE"], kinds["GAN"]
    ('exact', 'lower_bound', 'none')
    >>> "Invertible" in kinds                   # a transformer, not a density
    False
    """
    import skgen

    found = {}
    for sub in _PUBLIC_SUBPACKAGES:
        try:
            module = importlib.import_module(f"skgen.{sub}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("skgen"):
                continue  # subpackage not written yet
            raise
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not name.startswith(("Base", "_"))
                and not inspect.isabstract(obj)
                and obj.__module__.startswith(skgen.__name__)
            ):
                found[name] = obj
    methods = {"density": "sample", "transformer": "transform",
               "classifier": "predict_proba"}
    if type_filter is not None:
        types = [type_filter] if isinstance(type_filter, str) else list(type_filter)
        unknown = [t for t in types if t not in methods]
        if unknown or not types:
            raise ValueError(
                f"type_filter must be one of {sorted(methods)}, a list of them, or None, "
                f"got {type_filter!r}."
            )
        found = {k: v for k, v in found.items()
                 if any(hasattr(v, methods[t]) for t in types)}
    return sorted(found.items())

