"""Listing every public estimator of skgen."""

import importlib
import inspect

from sklearn.base import BaseEstimator

# Public subpackages searched for estimators (torch is a hard dependency).
_PUBLIC_SUBPACKAGES = (
    "classical",
    "autoregressive",
    "flows",
    "vae",
    "energy",
    "diffusion",
    "adversarial",
    "conditional",
    "pipeline",
    "preprocessing",
)


def all_estimators(type_filter=None):
    """List every public estimator class of skgen.

    Like :func:`sklearn.utils.all_estimators`: walks skgen's public modules and
    returns the classes that are scikit-learn estimators, not abstract bases.

    Parameters
    ----------
    type_filter : {"density", "transformer", "classifier"} or None, default=None
        Keep only density estimators (anything with ``sample``), transformers
        (``transform``) or classifiers (``predict_proba``); ``None`` keeps all.

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
        if type_filter not in methods:
            raise ValueError(
                f"type_filter must be one of {sorted(methods)} or None, got {type_filter!r}."
            )
        found = {k: v for k, v in found.items() if hasattr(v, methods[type_filter])}
    return sorted(found.items())

