"""Write intersphinx inventories of numpy, scipy, scikit-learn, pandas, torch, Python.

The documentation links names such as :class:`sklearn.mixture.GaussianMixture`
or :class:`numpy.ndarray` to those projects' own pages through
:mod:`sphinx.ext.intersphinx`, which reads each project's ``objects.inv``.
The build must run without network, so the inventories are kept in the
repository (``docs/_inventories/<project>.inv``) instead of downloaded.

They are not copies of the projects' files: this script lists the public
names of the *installed* packages (each module's ``__all__``, or its public
``dir()``, plus the methods and attributes of their classes) and writes for
each name the page where that project's documentation puts it, following the
URL pattern each project documents for its API reference, e.g.
``https://scikit-learn.org/stable/modules/generated/sklearn.mixture.GaussianMixture.html``.
The files are written with Sphinx's own inventory writer, so their format is
the one intersphinx reads.

A link may point at a page a project has moved (its patterns change rarely);
run the script again after upgrading a package to refresh the lists::

    python docs/_inventories/make_inventories.py          # all of them
    python docs/_inventories/make_inventories.py sklearn  # one of them
"""

import importlib
import inspect
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

from sphinx.util.inventory import InventoryFile

HERE = Path(__file__).resolve().parent


# -- what to list ----------------------------------------------------------------


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return sorted({n for n in names if not n.startswith("_")})


def _members(cls):
    """Public methods and attributes of ``cls``: ``(name, role)`` pairs."""
    found = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        try:
            raw = inspect.getattr_static(cls, name)
        except AttributeError:
            continue
        if isinstance(raw, (staticmethod, classmethod)) or callable(raw):
            found.append((name, "method"))
        else:
            found.append((name, "attribute"))
    return found


def _role(obj):
    if isinstance(obj, ModuleType):
        return "module"
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


class Project:
    """One project's inventory: which modules to list and where pages live.

    Parameters
    ----------
    name : str
        Short name, also the inventory's file name and intersphinx key.
    title, package : str
        The project's name as its documentation spells it, and the package
        whose version the inventory records.
    url : str
        Root of the documentation; every location below is relative to it.
    modules : list of str
        Public modules whose names are listed.
    module_pages : dict
        Module name -> its page.
    members_of : callable
        ``members_of(fullname, cls)`` is True for classes whose methods and
        attributes are listed too.
    page : callable
        ``page(fullname, role, obj, owner=None)`` is ``(page, anchor)`` of a
        name, or None to leave it out; ``owner`` is the class of a member.
    extra : list of tuple, default=()
        Entries listed by hand, ``(domain, role, name, page, anchor, title)``:
        glossary terms and section labels that docstrings refer to (numpydoc
        links ``array_like`` to NumPy's glossary, for instance).
    """

    def __init__(self, name, title, package, url, *, modules, module_pages, members_of,
                 page, extra=()):
        self.name, self.title, self.package, self.url = name, title, package, url
        self.modules, self.module_pages, self.members_of = modules, module_pages, members_of
        self.page, self.extra = page, list(extra)

    def objects(self):
        """Yield ``(domain, role, name, page, anchor, title)`` for every entry."""
        for domain, role, name, page, anchor, title in self.extra:
            yield domain, role, name, page, anchor, title
        for fullname, role, page, anchor in self._python_objects():
            yield "py", role, fullname, page, anchor, fullname

    def _python_objects(self):
        """Yield ``(fullname, role, page, anchor)`` for every listed Python name."""
        seen = set()
        for modname in self.modules:
            try:
                module = importlib.import_module(modname)
            except ImportError as exc:
                print(f"{self.name}: skipping {modname}: {exc}", file=sys.stderr)
                continue
            if modname not in seen:
                seen.add(modname)
                yield modname, "module", self.module_pages.get(modname, ""), ""
            for name in _public_names(module):
                try:
                    obj = getattr(module, name)
                except Exception:  # lazily imported names that fail, deprecations
                    continue
                fullname = f"{modname}.{name}"
                role = _role(obj)
                if fullname in seen or role == "module":
                    continue
                seen.add(fullname)
                where = self.page(fullname, role, obj)
                if where is None:
                    continue
                yield (fullname, role, *where)
                if role in ("class", "exception") and self.members_of(fullname, obj):
                    for member, member_role in _members(obj):
                        member_name = f"{fullname}.{member}"
                        if member_name in seen:
                            continue
                        seen.add(member_name)
                        where = self.page(member_name, member_role, None, owner=fullname)
                        if where is not None:
                            yield (member_name, member_role, *where)


def _own_page(prefix):
    """Objects on a page of their own, members on their class's page."""

    def page(fullname, role, obj, owner=None):
        if owner is not None:
            return f"{prefix}{owner}.html", fullname
        return f"{prefix}{fullname}.html", fullname

    return page


def _each_own_page(prefix):
    """Objects and members each on a page of their own."""

    def page(fullname, role, obj, owner=None):
        return f"{prefix}{fullname}.html", fullname

    return page


# -- numpy ---------------------------------------------------------------------


def _numpy_page(fullname, role, obj, owner=None):
    import numpy as np

    if owner is not None:
        if owner.startswith("numpy.random."):
            return f"reference/random/generated/{fullname}.html", fullname
        return f"reference/generated/{fullname}.html", fullname
    if fullname.startswith("numpy.random."):
        special = {
            "numpy.random.Generator": "reference/random/generator.html",
            "numpy.random.default_rng": "reference/random/generator.html",
            "numpy.random.RandomState": "reference/random/legacy.html",
            "numpy.random.SeedSequence": "reference/random/bit_generators/"
                                        "generated/numpy.random.SeedSequence.html",
        }
        if fullname in special:
            return special[fullname], fullname
        if role == "class":
            return f"reference/random/bit_generators/{fullname.rsplit('.', 1)[1].lower()}"\
                   ".html", fullname
        return f"reference/random/generated/{fullname}.html", fullname
    if role == "class" and issubclass(obj, np.generic):
        return "reference/arrays.scalars.html", fullname
    if role == "data":
        if isinstance(obj, float):
            return "reference/constants.html", fullname
        return None
    return f"reference/generated/{fullname}.html", fullname


# -- torch ---------------------------------------------------------------------


def _torch_page(fullname, role, obj, owner=None):
    if owner is not None:
        if owner in ("torch.Tensor", "torch.Generator"):
            return f"generated/{fullname}.html", fullname
        if owner.startswith("torch.distributions."):
            return "distributions.html", fullname
        if owner.startswith("torch.utils.data."):
            return "data.html", fullname
        return f"generated/{owner}.html", fullname
    if role == "data":
        return None
    special = {
        "torch.Tensor": ("tensors.html", "torch.Tensor"),
        "torch.device": ("tensor_attributes.html", "torch.device"),
        "torch.dtype": ("tensor_attributes.html", "torch.dtype"),
    }
    if fullname in special:
        return special[fullname]
    if fullname.startswith("torch.distributions."):
        # documented under the submodule that defines each class
        module, name = getattr(obj, "__module__", None), getattr(obj, "__name__", None)
        real = f"{module}.{name}" if module and name else fullname
        return "distributions.html", real if real.startswith("torch.") else fullname
    if fullname.startswith("torch.utils.data."):
        return "data.html", fullname
    return f"generated/{fullname}.html", fullname


# -- Python itself: the builtins and terms numpydoc links parameter types to ----


def _python_entries():
    import builtins

    stdtypes = {"list", "tuple", "range", "str", "dict", "set", "frozenset", "bytes",
                "bytearray", "memoryview"}
    entries = []
    for name in dir(builtins):
        if name.startswith("_"):
            continue
        obj = getattr(builtins, name)
        if name in ("True", "False", "None", "NotImplemented", "Ellipsis"):
            entries.append(("py", "data", name, "library/constants.html", name, name))
        elif inspect.isclass(obj) and issubclass(obj, BaseException):
            entries.append(("py", "exception", name, "library/exceptions.html", name, name))
        elif name in stdtypes:
            entries.append(("py", "class", name, "library/stdtypes.html", name, name))
        elif inspect.isclass(obj):
            entries.append(("py", "class", name, "library/functions.html", name, name))
        elif callable(obj):
            entries.append(("py", "function", name, "library/functions.html", name, name))
    entries += [
        ("py", "module", "contextlib", "library/contextlib.html", "module-contextlib",
         "contextlib"),
        ("py", "function", "contextlib.contextmanager", "library/contextlib.html",
         "contextlib.contextmanager", "contextlib.contextmanager"),
        ("py", "function", "collections.namedtuple", "library/collections.html",
         "collections.namedtuple", "collections.namedtuple"),
        ("std", "label", "bltin-boolean-values", "library/stdtypes.html",
         "bltin-boolean-values", "Boolean Type - bool"),
    ]
    for term in ("iterable", "sequence", "generator", "mapping", "file object", "callable"):
        entries.append(("std", "term", term, "glossary.html",
                        f"term-{term.replace(' ', '-')}", term))
    return entries


# -- the projects ----------------------------------------------------------

SKLEARN_MODULES = [
    "sklearn", "sklearn.base", "sklearn.calibration", "sklearn.cluster",
    "sklearn.compose", "sklearn.covariance", "sklearn.cross_decomposition",
    "sklearn.datasets", "sklearn.decomposition", "sklearn.discriminant_analysis",
    "sklearn.dummy", "sklearn.ensemble", "sklearn.exceptions", "sklearn.feature_extraction",
    "sklearn.feature_selection", "sklearn.gaussian_process", "sklearn.impute",
    "sklearn.inspection", "sklearn.isotonic", "sklearn.kernel_approximation",
    "sklearn.kernel_ridge", "sklearn.linear_model", "sklearn.manifold", "sklearn.metrics",
    "sklearn.mixture", "sklearn.model_selection", "sklearn.multiclass",
    "sklearn.multioutput", "sklearn.naive_bayes", "sklearn.neighbors",
    "sklearn.neural_network", "sklearn.pipeline", "sklearn.preprocessing",
    "sklearn.random_projection", "sklearn.semi_supervised", "sklearn.svm", "sklearn.tree",
    "sklearn.utils", "sklearn.utils.validation", "sklearn.utils.estimator_checks",
    "sklearn.utils.multiclass", "sklearn.utils.discovery",
]

SCIPY_MODULES = [
    "scipy.stats", "scipy.special", "scipy.linalg", "scipy.optimize", "scipy.integrate",
    "scipy.interpolate", "scipy.spatial", "scipy.spatial.distance", "scipy.sparse",
]

TORCH_MODULES = [
    "torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.distributions",
    "torch.utils.data",
]


PROJECTS = [
    Project(
        "numpy", "NumPy", "numpy", "https://numpy.org/doc/stable/",
        modules=["numpy", "numpy.random", "numpy.linalg", "numpy.fft"],
        module_pages={
            "numpy": "reference/index.html",
            "numpy.random": "reference/random/index.html",
            "numpy.linalg": "reference/routines.linalg.html",
            "numpy.fft": "reference/routines.fft.html",
        },
        members_of=lambda fullname, cls: fullname in (
            "numpy.ndarray", "numpy.dtype", "numpy.random.Generator",
            "numpy.random.RandomState"),
        page=_numpy_page,
        extra=[
            ("std", "term", "array_like", "reference/glossary.html", "term-array_like",
             "array_like"),
            ("std", "label", "arrays.scalars", "reference/arrays.scalars.html", "",
             "Scalars"),
        ],
    ),
    Project(
        "scipy", "SciPy", "scipy", "https://docs.scipy.org/doc/scipy/",
        modules=SCIPY_MODULES,
        module_pages={m: f"reference/{m.split('.', 1)[1]}.html" for m in SCIPY_MODULES},
        members_of=lambda fullname, cls: fullname in (
            "scipy.stats.gaussian_kde", "scipy.stats.rv_continuous",
            "scipy.stats.rv_discrete"),
        page=_own_page("reference/generated/"),
    ),
    Project(
        "sklearn", "scikit-learn", "sklearn", "https://scikit-learn.org/stable/",
        modules=SKLEARN_MODULES,
        module_pages={m: "api/index.html" if m == "sklearn" else f"api/{m}.html"
                      for m in SKLEARN_MODULES},
        members_of=lambda fullname, cls: True,  # every class page lists its methods
        page=_own_page("modules/generated/"),
    ),
    Project(
        "pandas", "pandas", "pandas", "https://pandas.pydata.org/docs/",
        modules=["pandas"],
        module_pages={"pandas": "reference/index.html"},
        members_of=lambda fullname, cls: fullname in (
            "pandas.DataFrame", "pandas.Series", "pandas.Index", "pandas.Categorical",
            "pandas.CategoricalDtype"),
        page=_each_own_page("reference/api/"),
    ),
    Project(
        "torch", "PyTorch", "torch", "https://pytorch.org/docs/stable/",
        modules=TORCH_MODULES,
        module_pages={
            "torch": "torch.html", "torch.nn": "nn.html",
            "torch.nn.functional": "nn.functional.html", "torch.optim": "optim.html",
            "torch.distributions": "distributions.html", "torch.utils.data": "data.html",
        },
        members_of=lambda fullname, cls: fullname in (
            "torch.Tensor", "torch.Generator", "torch.nn.Module", "torch.optim.Optimizer"),
        page=_torch_page,
    ),
    Project(
        "python", "Python", "sys", "https://docs.python.org/3/",
        modules=[], module_pages={}, members_of=lambda fullname, cls: False,
        page=lambda fullname, role, obj, owner=None: None,
        extra=_python_entries(),
    ),
]


# -- writing -------------------------------------------------------------------


class _Domain:
    """What ``InventoryFile.dump`` reads of a Sphinx domain: a name and objects."""

    def __init__(self, name, entries):
        self.name, self.entries = name, entries

    def get_objects(self):
        for role, name, page, anchor, title in self.entries:
            priority = 0 if role == "module" else -1 if role == "label" else 1
            yield name, title, role, page, anchor, priority


def write_inventory(project, directory=HERE):
    """Write ``<directory>/<project.name>.inv``; return the number of entries."""
    if project.package == "sys":
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
    else:
        version = importlib.import_module(project.package).__version__
        version = ".".join(version.split("+")[0].split(".")[:2])
    entries = sorted(project.objects())
    domains = [
        _Domain(name, [entry[1:] for entry in entries if entry[0] == name])
        for name in sorted({entry[0] for entry in entries})
    ]
    env = SimpleNamespace(
        config=SimpleNamespace(project=project.title, version=version),
        domains=SimpleNamespace(sorted=lambda: domains),
    )
    builder = SimpleNamespace(get_target_uri=lambda docname: docname)
    InventoryFile.dump(directory / f"{project.name}.inv", env, builder)
    return len(entries)


def main(argv=None):
    wanted = set(sys.argv[1:] if argv is None else argv)
    for project in PROJECTS:
        if wanted and project.name not in wanted:
            continue
        count = write_inventory(project)
        print(f"{project.name}.inv: {count} names, {project.url}")


if __name__ == "__main__":
    main()
