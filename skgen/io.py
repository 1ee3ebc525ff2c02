"""Safe persistence: save a fitted estimator to a file that loading cannot turn into code.

A pickle (and a joblib file) is a program: loading one runs whatever it was
written to run. :func:`save` writes a zip file that holds only data, and
:func:`load` reads it back without pickle, ``eval`` or the import of any name
taken from the file:

``manifest.json``
    the format and library versions and the estimator as a tree of JSON
    nodes: its class (``"module:qualname"``, which must be in an allow-list
    of skgen's estimators and a few scikit-learn transformers, checked for
    the whole tree before anything is built), its ``get_params(deep=False)``
    and its fitted attributes;
``arrays.npz``
    every numpy array of the tree, read with ``np.load(allow_pickle=False)``
    (arrays of Python strings are stored as unicode arrays);
``weights.safetensors``
    the ``state_dict`` of every torch ``module_``. :func:`load` rebuilds the
    network with the estimator's own ``_build_module`` (from its parameters
    and fitted state) and loads these weights into it.

A JSON node is a string, number, boolean, null or list, or an object tagged
by ``"__type__"``: ``estimator`` (``class``, ``params``, ``state``),
``tuple`` and ``dict`` (``items``), ``float`` (``value``: ``"nan"``,
``"inf"``, ``"-inf"``), ``numpy_scalar`` (``dtype``, ``value``), ``ndarray``
(``key`` into ``arrays.npz``; ``object``: true for an array of Python
strings), ``pandas_index`` (``dtype``, ``name``, ``values``), ``random_state``
(a :class:`numpy.random.RandomState` as its state: ``key`` of its MT19937 key
array, ``pos``, ``has_gauss``, ``cached_gaussian``), ``torch_device``
(``value``) and ``torch_module`` (``key``: the prefix of its tensors in
``weights.safetensors``; ``class``, checked against the rebuilt network).
Anything else in an estimator raises a :class:`TypeError` that names it.
"""

import importlib
import io
import json
import math
import platform
import sys
import warnings
import zipfile

import numpy as np
import pandas as pd

from . import __version__

__all__ = ["FORMAT_VERSION", "save", "load"]

#: Version of the file layout written by :func:`save`; :func:`load` reads it only.
FORMAT_VERSION = 1
_FORMAT = "skgen.io"
_MANIFEST, _ARRAYS, _WEIGHTS = "manifest.json", "arrays.npz", "weights.safetensors"

#: scikit-learn classes that may appear inside a saved skgen estimator: the
#: transformers a DensityPipeline or Invertible knows the Jacobian of, and the
#: mixture that skgen's GaussianMixture wraps. All hold numpy state only.
_SKLEARN_CLASSES = (
    "sklearn.decomposition._pca:PCA",
    "sklearn.mixture._gaussian_mixture:GaussianMixture",
    "sklearn.preprocessing._data:MaxAbsScaler",
    "sklearn.preprocessing._data:MinMaxScaler",
    "sklearn.preprocessing._data:PowerTransformer",
    "sklearn.preprocessing._data:RobustScaler",
    "sklearn.preprocessing._data:StandardScaler",
)

#: numpy scalar kinds stored in JSON: bool, signed and unsigned int, float, str.
_SCALAR_KINDS = "biufU"


def _class_name(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


def _allowed_classes():
    """``{"module:qualname": class}`` of every class that :func:`load` may build."""
    from .utils import all_estimators

    allowed = {_class_name(cls): cls for _, cls in all_estimators()}
    for name in _SKLEARN_CLASSES:
        module, qualname = name.split(":")
        try:
            allowed[name] = getattr(importlib.import_module(module), qualname)
        except (ImportError, AttributeError):  # moved in this scikit-learn: not allowed
            pass
    return allowed


# --------------------------------------------------------------- encoding
class _Writer:
    """Encodes values into JSON nodes; arrays and tensors go aside, under their path."""

    def __init__(self, allowed):
        self.allowed = allowed
        self.arrays, self.tensors = {}, {}

    def estimator(self, est, path):
        name = _class_name(type(est))
        if name not in self.allowed:
            raise TypeError(
                f"{path or 'The estimator'} is a {name}, which skgen.io cannot save: "
                "only skgen's estimators and the scikit-learn transformers "
                f"{', '.join(n.split(':')[1] for n in _SKLEARN_CLASSES)} are allowed. "
                "Use pickle or joblib for other objects (and load only files you made)."
            )
        params = est.get_params(deep=False)
        # partial_fit's training run (optimizers, generators) is not part of the model
        state = {k: v for k, v in vars(est).items() if k not in params and k != "_stream"}
        return {
            "__type__": "estimator",
            "class": name,
            "params": {k: self.encode(v, _join(path, k)) for k, v in params.items()},
            "state": {k: self.attribute(est, k, v, _join(path, k)) for k, v in state.items()},
        }

    def attribute(self, est, name, value, path):
        if _is_torch_module(value):
            if name != "module_" or not hasattr(est, "_build_module"):
                raise TypeError(
                    f"Cannot save attribute {path!r}: a torch module can be saved only as "
                    "the module_ of a deep skgen estimator, which load rebuilds with "
                    "_build_module."
                )
            self.tensors.update({f"{path}.{k}": t.detach().cpu().contiguous().clone()
                                 for k, t in value.state_dict().items()})
            return {"__type__": "torch_module", "key": path,
                    "class": _class_name(type(value))}
        return self.encode(value, path)

    def encode(self, value, path):
        if isinstance(value, np.generic):  # before float and str: np.float64 is a float
            if value.dtype.kind not in _SCALAR_KINDS:
                raise TypeError(f"Cannot save {path!r}: a numpy scalar of type {value.dtype}.")
            return {"__type__": "numpy_scalar", "dtype": value.dtype.str,
                    "value": self.encode(value.item(), path)}
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"__type__": "float", "value": str(value)}
        if isinstance(value, list):
            return [self.encode(v, _join(path, i)) for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {"__type__": "tuple",
                    "items": [self.encode(v, _join(path, i)) for i, v in enumerate(value)]}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError(f"Cannot save {path!r}: a dict whose keys are not all strings.")
            return {"__type__": "dict",
                    "items": {k: self.encode(v, _join(path, k)) for k, v in value.items()}}
        if isinstance(value, np.ndarray):
            return self.array(value, path)
        if isinstance(value, pd.Index) and not isinstance(value, pd.MultiIndex):
            return {"__type__": "pandas_index", "dtype": str(value.dtype),
                    "name": self.encode(value.name, path),
                    "values": self.encode(value.tolist(), path)}
        if isinstance(value, np.random.RandomState):
            kind, keys, pos, has_gauss, cached = value.get_state()
            return {"__type__": "random_state", "key": self.array(keys, path)["key"],
                    "pos": int(pos), "has_gauss": int(has_gauss),
                    "cached_gaussian": self.encode(float(cached), path)}
        if _is_torch_device(value):
            return {"__type__": "torch_device", "value": str(value)}
        if hasattr(value, "get_params"):
            return self.estimator(value, path)
        raise TypeError(
            f"Cannot save {path!r}: skgen.io does not store objects of type "
            f"{type(value).__module__}.{type(value).__qualname__}. Please report this: "
            "a fitted attribute should be numbers, strings, arrays or estimators."
        )

    def array(self, value, path):
        is_object = value.dtype == object
        if is_object:
            if not all(isinstance(v, str) for v in value.flat):
                raise TypeError(
                    f"Cannot save {path!r}: an object array holding values other than "
                    "strings (arrays are stored without pickle)."
                )
            value = value.astype(str)
        if path in self.arrays:
            raise ValueError(f"Two arrays of the estimator map to the same name {path!r}.")
        self.arrays[path] = value
        return {"__type__": "ndarray", "key": path, "object": bool(is_object)}


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


def _is_torch_module(value):
    torch = _torch_if_imported()
    return torch is not None and isinstance(value, torch.nn.Module)


def _is_torch_device(value):
    torch = _torch_if_imported()
    return torch is not None and isinstance(value, torch.device)


def _torch_if_imported():
    return sys.modules.get("torch")  # a torch object exists only if torch was imported


# --------------------------------------------------------------- decoding
class _PendingModule:
    """A ``torch_module`` node, rebuilt once its estimator's state is set."""

    def __init__(self, node):
        self.key, self.cls = node["key"], node["class"]


class _Reader:
    """Decodes JSON nodes checked by :func:`_check_tree` into values."""

    def __init__(self, allowed, arrays, tensors):
        self.allowed, self.arrays, self.tensors = allowed, arrays, tensors

    def decode(self, node):
        if not isinstance(node, dict):
            return [self.decode(v) for v in node] if isinstance(node, list) else node
        kind = node["__type__"]
        if kind == "estimator":
            return self.estimator(node)
        if kind == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if kind == "dict":
            return {k: self.decode(v) for k, v in node["items"].items()}
        if kind == "float":
            return float(node["value"])
        if kind == "numpy_scalar":
            return np.dtype(node["dtype"]).type(self.decode(node["value"]))
        if kind == "ndarray":
            arr = self.array(node["key"])
            return arr.astype(object) if node["object"] else arr
        if kind == "pandas_index":
            return pd.Index(self.decode(node["values"]), dtype=node["dtype"],
                            name=self.decode(node["name"]))
        if kind == "random_state":
            rng = np.random.RandomState()
            rng.set_state(("MT19937", self.array(node["key"]), node["pos"],
                           node["has_gauss"], self.decode(node["cached_gaussian"])))
            return rng
        if kind == "torch_device":
            import torch

            return torch.device(node["value"])
        return _PendingModule(node)  # "torch_module"

    def array(self, key):
        if key not in self.arrays:
            raise ValueError(f"The manifest refers to array {key!r}, missing in {_ARRAYS}.")
        return self.arrays[key]

    def estimator(self, node):
        cls = self.allowed[node["class"]]
        est = cls(**{k: self.decode(v) for k, v in node["params"].items()})
        est.__dict__.update({k: self.decode(v) for k, v in node["state"].items()})
        for name, value in list(vars(est).items()):
            if isinstance(value, _PendingModule):
                setattr(est, name, self.module(est, value))
        return est

    def module(self, est, pending):
        import torch

        with torch.random.fork_rng(devices=[]):  # building must not touch global state
            module = est._build_module(len(est._x_shift), len(getattr(est, "classes_", ())))
        if _class_name(type(module)) != pending.cls:
            raise ValueError(
                f"{type(est).__name__} rebuilt a {_class_name(type(module))} network where "
                f"the file holds a {pending.cls}: the file does not match this skgen."
            )
        prefix = pending.key + "."
        weights = {k[len(prefix):]: t for k, t in self.tensors.items() if k.startswith(prefix)}
        module.load_state_dict(weights, strict=True, assign=True)
        device = getattr(est, "device_", torch.device("cpu"))
        if device.type == "cuda" and not torch.cuda.is_available():
            device = torch.device("cpu")  # trained on a GPU, loaded without one
        est.device_ = device
        return module.to(device).eval()


_NODE_KEYS = {
    "estimator": {"class", "params", "state"}, "tuple": {"items"}, "dict": {"items"},
    "float": {"value"}, "numpy_scalar": {"dtype", "value"}, "ndarray": {"key", "object"},
    "pandas_index": {"dtype", "name", "values"}, "torch_device": {"value"},
    "random_state": {"key", "pos", "has_gauss", "cached_gaussian"},
    "torch_module": {"key", "class"},
}


def _check_tree(node, allowed, path="estimator", *, module_ok=False):
    """Raise unless every node is known and every class allowed, before building anything."""
    if isinstance(node, list):
        for i, child in enumerate(node):
            _check_tree(child, allowed, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    kind = node.get("__type__")
    if (kind not in _NODE_KEYS or set(node) != _NODE_KEYS[kind] | {"__type__"}
            or (kind == "torch_module" and not module_ok)):
        raise ValueError(f"Unknown or malformed node at {path} in the manifest: {kind!r}.")
    if kind == "estimator":
        if node["class"] not in allowed:
            raise ValueError(
                f"The file asks for class {node['class']!r} at {path}, which skgen.io does "
                "not load: only skgen's estimators and a few scikit-learn transformers are "
                "allowed. The file was not written by skgen.io, or by another version."
            )
        if not (isinstance(node["params"], dict) and isinstance(node["state"], dict)):
            raise ValueError(f"Malformed estimator node at {path} in the manifest.")
        for name in [*node["params"], *node["state"]]:
            if not name.isidentifier() or name.startswith("__"):
                raise ValueError(f"Invalid attribute name {name!r} at {path}.")
        for name, child in node["params"].items():
            _check_tree(child, allowed, f"{path}.{name}")
        for name, child in node["state"].items():  # a network only as a deep model's module_
            _check_tree(child, allowed, f"{path}.{name}", module_ok=name == "module_")
        return
    if kind == "dict" and isinstance(node["items"], dict):
        children = list(node["items"].items())
    elif kind == "tuple" and isinstance(node["items"], list):
        children = list(enumerate(node["items"]))
    elif kind in ("dict", "tuple"):
        raise ValueError(f"Malformed {kind} node at {path} in the manifest.")
    else:
        children = [(k, v) for k, v in node.items() if k != "__type__"]
    if kind == "numpy_scalar" and np.dtype(node["dtype"]).kind not in _SCALAR_KINDS:
        raise ValueError(f"Unsupported numpy scalar type {node['dtype']!r} at {path}.")
    for name, child in children:
        _check_tree(child, allowed, f"{path}.{name}")


# ----------------------------------------------------------------- public
def save(estimator, path):
    """Save an estimator to a file that :func:`load` reads without pickle.

    The file is a zip archive of ``manifest.json`` (versions, classes,
    parameters and scalar state as JSON), ``arrays.npz`` (numpy arrays) and
    ``weights.safetensors`` (the torch weights of deep models); see
    :mod:`skgen.io` for the schema. Loading it never runs code from the file.

    Parameters
    ----------
    estimator : estimator instance
        A skgen estimator, fitted or not. Nested estimators (the steps of a
        :class:`~skgen.pipeline.DensityPipeline`, the per-class models of a
        :class:`~skgen.conditional.GenerativeClassifier`) are saved with it;
        they must be skgen estimators or one of a few scikit-learn
        transformers (``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler``,
        ``RobustScaler``, ``PowerTransformer``, ``PCA``).
    path : str, path-like or binary file object
        Where to write. An existing file is overwritten.

    Raises
    ------
    TypeError
        If the estimator (or an estimator inside it) is of a class that
        cannot be saved, or holds an attribute of a type the format does not
        store; the message names it.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skgen.classical import Gaussian
    >>> from skgen.io import load, save
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> model = Gaussian(random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "gaussian.skgen")
    >>> save(model, path)
    >>> bool(np.array_equal(load(path).score_samples(X), model.score_samples(X)))
    True
    """
    writer = _Writer(_allowed_classes())
    manifest = {
        "format": _FORMAT,
        "format_version": FORMAT_VERSION,
        "skgen_version": __version__,
        "library_versions": _library_versions(),
        "estimator": writer.estimator(estimator, ""),
    }
    text = json.dumps(manifest, indent=1, allow_nan=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as npz:  # what numpy.savez writes, never pickled
        for key, array in writer.arrays.items():
            with npz.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_MANIFEST, text)
        archive.writestr(_ARRAYS, buffer.getvalue())
        if writer.tensors:
            save_tensors = _safetensors().save
            archive.writestr(_WEIGHTS, save_tensors(writer.tensors, metadata={"format": "pt"}))


def load(path):
    """Load an estimator written by :func:`save`, without running code from the file.

    Every class named in the file is checked against an allow-list (skgen's
    estimators and a few scikit-learn transformers) before anything is
    built; arrays are read with ``allow_pickle=False`` and torch weights from
    safetensors. A deep model's network is rebuilt from its parameters and
    fitted state, on the device it was fitted on (the CPU when that was a GPU
    this machine lacks).

    Parameters
    ----------
    path : str, path-like or binary file object
        A file written by :func:`save`.

    Returns
    -------
    estimator : estimator instance
        The estimator, in the state it was saved in: ``score_samples`` and
        ``sample(random_state=...)`` return the same values to the bit, and
        ``sample()`` without a seed continues the same random stream.

    Raises
    ------
    ValueError
        If the file is not a skgen.io file, was written in a format version
        this skgen does not read (upgrade skgen), or names a class that is
        not allowed.

    See Also
    --------
    save : Write the file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skgen.classical import GaussianMixture
    >>> from skgen.io import load, save
    >>> X = pd.DataFrame(np.random.RandomState(0).normal(size=(200, 2)),
    ...                  columns=["height", "weight"])
    >>> model = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "mixture.skgen")
    >>> save(model, path)
    >>> loaded = load(path)
    >>> loaded.sample(2, random_state=0).columns.tolist()
    ['height', 'weight']
    >>> loaded.sample(2, random_state=0).equals(model.sample(2, random_state=0))
    True
    """
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if _MANIFEST not in names:
            raise ValueError(f"{path!r} is not a skgen.io file: it has no {_MANIFEST}.")
        manifest = json.loads(archive.read(_MANIFEST))
        _check_version(manifest, path)
        allowed = _allowed_classes()
        _check_tree(manifest["estimator"], allowed)
        with np.load(io.BytesIO(archive.read(_ARRAYS)), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        tensors = {}
        if _WEIGHTS in names:
            tensors = _safetensors().load(archive.read(_WEIGHTS))
    try:
        return _Reader(allowed, arrays, tensors).decode(manifest["estimator"])
    except Exception as exc:
        if manifest["skgen_version"] != __version__:
            exc.add_note(f"(the file was saved with skgen {manifest['skgen_version']}; "
                         f"this is skgen {__version__})")
        raise


def _safetensors():
    try:
        import safetensors.torch
    except ImportError as exc:
        raise ImportError(
            "skgen.io stores the weights of deep models with safetensors, which is not "
            "installed: pip install safetensors (or skgen[io])."
        ) from exc
    return safetensors.torch


def _check_version(manifest, path):
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise ValueError(f"{path!r} is not a skgen.io file (no {_FORMAT!r} format stamp).")
    version, written_by = manifest.get("format_version"), manifest.get("skgen_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{path!r} was saved by skgen {written_by} in skgen.io format version "
            f"{version}; this skgen ({__version__}) reads format version {FORMAT_VERSION} "
            "only. Load it with a matching skgen (upgrade if the file is newer) and "
            "save it again, or refit the model."
        )
    if written_by != __version__:
        warnings.warn(
            f"{path!r} was saved with skgen {written_by}; this is skgen {__version__}. "
            "The format is the same, but a fitted model may behave differently "
            "across versions: check it, or refit.",
            UserWarning,
            stacklevel=3,
        )


def _library_versions():
    import sklearn

    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "scikit-learn": sklearn.__version__, "pandas": pd.__version__}
    torch = _torch_if_imported()
    if torch is not None:
        versions["torch"] = torch.__version__
    return versions
