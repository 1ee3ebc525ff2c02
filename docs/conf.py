"""Sphinx configuration for skgen's documentation.

Build with ``make docs`` (warnings are errors). The API reference is assembled
at build time: one page per public module of skgen that imports, listing the
names in its ``__all__``, so a new estimator appears in the docs as soon as
its module exports it. Modules that do not import yet (other families still
being written) are skipped with a note on stderr.
"""

import importlib
import inspect
import re
import sys
from pathlib import Path

import matplotlib
import torch
from threadpoolctl import threadpool_limits

matplotlib.use("Agg")

# The gallery and the guide's figures train small networks on small data, in
# this process. One thread does that as fast as two on an idle machine, and
# many times faster on a busy one, where threads that wait for each other
# turned a two-minute gallery into ten.
torch.set_num_threads(1)
threadpool_limits(1)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the source tree, in case skgen is not installed
sys.path.insert(0, str(HERE / "_ext"))  # gallery_order

import skgen  # noqa: E402
from sphinx.errors import PycodeError  # noqa: E402
from sphinx.pycode import ModuleAnalyzer  # noqa: E402

# -- Project ------------------------------------------------------------------

project = "skgen"
author = "skgen developers"
copyright = "skgen developers"
version = skgen.__version__
release = skgen.__version__

# -- General ------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served from _static/mathjax: no CDN
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "py:obj"
nitpicky = False  # unresolved references to numpy / scikit-learn are not errors

# -- Offline rendering: MathJax and intersphinx ---------------------------------
#
# The built pages must work with no network, and so must the build.
# ``sphinx-mathjax-offline`` copies MathJax 3 into ``_static/mathjax``; its SVG
# output is used (set in ``setup`` below, after the extension set its own
# path) because it needs no web fonts, which some browsers refuse to load
# from ``file://`` pages. The inventories of the projects skgen links to are
# kept in ``_inventories/`` and written by ``_inventories/make_inventories.py``
# from the installed packages, so no ``objects.inv`` is downloaded.

MATHJAX_PATH = "mathjax/tex-svg.js"  # relative to _static
mathjax3_config = {"svg": {"fontCache": "global"}}

_INVENTORIES = HERE / "_inventories"
intersphinx_mapping = {
    name: (url, str(_INVENTORIES / f"{name}.inv"))
    for name, url in [
        ("numpy", "https://numpy.org/doc/stable/"),
        ("scipy", "https://docs.scipy.org/doc/scipy/"),
        ("sklearn", "https://scikit-learn.org/stable/"),
        ("pandas", "https://pandas.pydata.org/docs/"),
        ("torch", "https://pytorch.org/docs/stable/"),
        ("python", "https://docs.python.org/3/"),
    ]
}
intersphinx_timeout = 1  # the files are local; never wait for a network

# -- autodoc / autosummary / numpydoc -----------------------------------------

autosummary_generate = True
autosummary_generate_overwrite = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
autoclass_content = "class"

numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()  # style is checked by reviewers, not by the build
# Parameter types link to the projects that define them; words without an
# alias stay plain text.
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    "ndarray": "numpy.ndarray",
    "RandomState": "numpy.random.RandomState",
    "Generator": "numpy.random.Generator",
    "DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series",
    "Tensor": "torch.Tensor",
    "Module": "torch.nn.Module",
}

# The ``>>>`` examples of the user guide are run by pytest:
# ``pytest --doctest-glob="*.rst" docs/user_guide``.

# -- matplotlib plot directive ------------------------------------------------

plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 96)]
plot_rcparams = {"figure.dpi": 96, "savefig.bbox": "tight"}
plot_basedir = str(HERE)
plot_working_directory = str(HERE)

# -- HTML ---------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skgen {version}"
html_static_path = ["_static"]
html_css_files = ["skgen.css"]
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 5,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # the gallery's download links render on example pages only
    "secondary_sidebar_items": ["page-toc", "sg_download_links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "api": [], "auto_examples/index": []}
html_show_sourcelink = False
html_context = {"default_mode": "light"}

copybutton_prompt_text = r">>> |\.\.\. |\$ "  # copy the code of a doctest, not its output
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# -- The gallery (sphinx-gallery) ----------------------------------------------
#
# Every script ``examples/plot_*.py`` runs when the documentation is built;
# its printed output and figures go into its page, with the script and a
# notebook to download. A failing example fails the build (at the end, with a
# list of every failure). Results are cached: an unchanged script is not run
# again by the next build in the same tree (``docs/auto_examples``, ignored by
# git), so only a fresh checkout pays for all of them.

sphinx_gallery_conf = {
    "examples_dirs": [str(HERE.parent / "examples")],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"/_",
    "run_stale_examples": False,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,  # a broken example fails the build
    "doc_module": ("skgen",),
    "reference_url": {"skgen": None},
    "backreferences_dir": "generated/backreferences",
    "inspect_global_variables": False,
    "remove_config_comments": True,
    "download_all_examples": False,
    "within_subsection_order": "gallery_order.example_order",
    "thumbnail_size": (320, 224),
    "min_reported_time": 1,
    "write_computation_times": False,  # its page loads scripts from CDNs
    "matplotlib_animations": False,
    "image_srcset": [],
    "show_signature": False,
}

# -- The API reference, assembled from the modules that import -----------------

#: Public modules in the order the reference shows them (DESIGN.md's layout).
API_MODULES = [
    "skgen.base",
    "skgen.classical",
    "skgen.tabular",
    "skgen.datasets",
    "skgen.metrics",
    "skgen.testing",
    "skgen.utils",
    "skgen.plotting",
    "skgen.demo",
    "skgen.pipeline",
    "skgen.preprocessing",
    "skgen.conditional",
    "skgen.impute",
    "skgen.outlier",
    "skgen.io",
    "skgen.config",
    "skgen.cli",
    "skgen.nn",
    "skgen.flows",
    "skgen.autoregressive",
    "skgen.vae",
    "skgen.energy",
    "skgen.diffusion",
    "skgen.adversarial",
]

GENERATED = HERE / "generated"
PAGE_PREFIX = "api_"


def _importable_modules():
    """``(name, module)`` for every API module that imports and exports names."""
    found = []
    for name in API_MODULES:
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # a module still being written must not break the docs
            if not (isinstance(exc, ModuleNotFoundError) and exc.name == name):
                print(f"[skgen docs] skipping {name}: {type(exc).__name__}: {exc}",
                      file=sys.stderr)
            continue
        exported = []
        for member in getattr(module, "__all__", []):
            try:
                getattr(module, member)
            except Exception as exc:  # e.g. a lazily imported submodule that fails
                print(f"[skgen docs] skipping {name}.{member}: {type(exc).__name__}: {exc}",
                      file=sys.stderr)
            else:
                exported.append(member)
        if exported:
            found.append((name, module, exported))
    return found


def _module_page(name, module, exported):
    summary = (module.__doc__ or "").strip().split("\n\n")[0]
    summary = " ".join(summary.split()).rstrip(".")
    summary = _escape_plain(summary) if summary and len(summary) < 90 else ""
    title = f"``{name}``" + (f" -- {summary}" if summary else "")
    lines = [
        title,
        "=" * len(title),
        "",
        f".. automodule:: {name}",
        "   :no-members:",
        "   :no-inherited-members:",
        "",
        f".. currentmodule:: {name}",
        "",
        ".. autosummary::",
        "   :toctree: .",
        "",
    ]
    lines += [f"   {n}" for n in sorted(exported, key=str.lower)]
    return "\n".join(lines) + "\n"


def _write_if_changed(path, text):
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def write_api_pages():
    """Write ``generated/api_NN_<module>.rst`` and remove stale generated pages.

    Called when this file is read, before autosummary scans the sources, so
    autosummary creates the stub pages of every listed name. Stubs left over
    from modules that no longer import (or names no longer exported) are
    deleted so that they do not become orphan documents.
    """
    GENERATED.mkdir(exist_ok=True)
    keep = set()
    for index, (name, module, exported) in enumerate(_importable_modules(), start=1):
        page = GENERATED / f"{PAGE_PREFIX}{index:02d}_{name}.rst"
        _write_if_changed(page, _module_page(name, module, exported))
        keep.add(page.name)
        keep.update(f"{name}.{n}.rst" for n in exported)
    for path in GENERATED.glob("*.rst"):
        if path.name not in keep:
            path.unlink()


#: The class autodoc is documenting: its docstring is processed before its
#: members are filtered, and ``autodoc-skip-member`` is not told the class.
_CURRENT_CLASS = {}


def _absent_on_instances(cls, name):
    """True when instances of ``cls`` do not have the attribute ``name``.

    A method that exists only on some instances is a descriptor that raises
    ``AttributeError`` (like scikit-learn's ``available_if``): a GAN's
    ``score`` and ``score_samples``, which a model without a density does
    not have. The descriptor is asked on an instance with the default
    parameters; a class that cannot be built without arguments keeps all
    its members.
    """
    raw = next((klass.__dict__[name] for klass in inspect.getmro(cls)
                if name in klass.__dict__), None)
    if raw is None or not hasattr(type(raw), "__get__") or inspect.isfunction(raw) \
            or isinstance(raw, (property, staticmethod, classmethod)):
        return False
    try:
        instance = cls()
    except Exception:
        return False
    try:
        getattr(instance, name)
    except AttributeError:
        return True
    except Exception:  # the descriptor needs more state: keep the member
        return False
    return False


def _skip_member(app, what, name, obj, skip, options):
    """Document only members that skgen wrote and that instances really have.

    Classes show their inherited members (``fit``, ``sample`` and
    ``score_samples`` come from :class:`skgen.base.BaseGenerative`), but not
    those inherited from scikit-learn, torch or builtins (``get_params``,
    ``Module.register_forward_hook``, ...): their docstrings link to labels of
    other projects' documentation and are documented there. Methods that the
    class's instances do not have (a GAN's ``score`` and ``score_samples``)
    are not shown either.
    """
    if skip or what not in ("class", "exception"):
        return None
    target = getattr(obj, "fget", obj)
    target = getattr(target, "__func__", target)
    module = getattr(target, "__module__", None)
    if isinstance(module, str) and not module.startswith("skgen"):
        return True
    cls = _CURRENT_CLASS.get("class")
    if cls is not None and _absent_on_instances(cls, name):
        return True
    return None


# -- Facts added to API pages ------------------------------------------------------

#: What ``score_samples`` means, per likelihood kind (see skgen.base).
LIKELIHOOD_KIND_MEANING = {
    "exact": "``score_samples`` returns the exact log-density, natural log.",
    "lower_bound": (
        "``score_samples`` returns a lower bound on the log-density; ``score`` warns "
        "(:class:`~skgen.base.LikelihoodKindWarning`) when it is used to rank models, "
        "since a bound always looks worse than an exact value."
    ),
    "estimate": (
        "``score_samples`` returns a consistent estimate of the log-density, neither "
        "exact nor a bound; ``score`` warns "
        "(:class:`~skgen.base.LikelihoodKindWarning`) when it is used to rank models."
    ),
    "unnormalized": (
        "``score_samples`` returns the log-density up to an unknown additive "
        "constant; ``score`` refuses to rank models with it."
    ),
    "none": (
        "the model defines no density: ``score_samples`` and ``score`` do not "
        "exist. Evaluate its samples instead (:mod:`skgen.metrics`)."
    ),
}


def _likelihood_kind_lines(cls):
    """A paragraph stating the ``likelihood_kind`` of ``cls``, or ``[]``."""
    if cls.__module__.startswith(("skgen.base", "skgen.nn")):
        return []  # the protocol's own bases and mixins
    kind = getattr(cls, "likelihood_kind", None)
    if kind not in LIKELIHOOD_KIND_MEANING:
        return []
    line = (f"**Likelihood kind:** ``likelihood_kind = {kind!r}``: "
            f"{LIKELIHOOD_KIND_MEANING[kind]}")
    raw = next((k.__dict__["likelihood_kind"] for k in inspect.getmro(cls)
                if "likelihood_kind" in k.__dict__), None)
    # an attribute documented with a set of values, {"unnormalized", "estimate"}
    changes = re.search(r"^\s*likelihood_kind\s*:\s*\{", inspect.getdoc(cls) or "", re.M)
    if not isinstance(raw, str) or changes:
        line += (" That is the class's value; an instance reports its own, which can "
                 "differ (see ``likelihood_kind`` in the attributes).")
    line += " See :data:`skgen.base.LIKELIHOOD_KINDS`."
    return [line]


def _insert_after_summary(lines, extra):
    """Insert the paragraph ``extra`` after the first paragraph of ``lines``."""
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    while index < len(lines) and lines[index].strip():
        index += 1
    lines[index:index] = ["", *extra]


def _data_doc(name):
    """The ``#:`` comment that documents the module-level data ``name``.

    autodoc reads it from the module the name is documented in; a package
    that re-exports a constant from a private module (``skgen.testing``
    exports ``TEST_PARAMS`` from ``skgen.testing._instances``) has no such
    comment, so the modules below the package are searched for the one that
    defines the same object.
    """
    modname, attr = name.rsplit(".", 1)
    module = sys.modules.get(modname)
    if module is None or not hasattr(module, attr):
        return []
    value = getattr(module, attr)
    candidates = [modname] + sorted(m for m in list(sys.modules)
                                    if m.startswith(modname + "."))
    for candidate in candidates:
        if getattr(sys.modules.get(candidate), attr, None) is not value:
            continue
        try:
            docs = ModuleAnalyzer.for_module(candidate).find_attr_docs()
        except PycodeError:
            continue
        if ("", attr) in docs:
            return list(docs[("", attr)])
    return []


def _value_lines(value):
    """A line giving a constant's value, or its keys when the value is long."""
    text = repr(value)
    if len(text) <= 100:
        return [f"Value: ``{text}``."]
    if isinstance(value, dict):
        return ["Keys: " + ", ".join(f"``{key}``" for key in value) + "."]
    return []


# Plain text in a docstring that reStructuredText would read as markup nobody
# meant: ``(n_samples, n_features_in_)`` (``n_features_in_`` is a hyperlink
# reference) and ``log |det J|`` (a substitution reference). Both are common
# in this project's docstrings, so they are escaped here rather than breaking
# the build. Literal text, roles, doctest blocks, math and code blocks are
# left as they are.
_LITERAL_SPAN = re.compile(r"(``.+?``|:\w+:`[^`]*`|`[^`]*`_{0,2})")
_TRAILING_UNDERSCORE = re.compile(r"(?<![\\\w])([A-Za-z]\w*?)_(?=[\s,.;:)\]]|$)")
_SUBSTITUTION = re.compile(r"(?<![\\\w])\|(?=[^\s|])([^|`]*?[^\s|\\])\|(?!\w)")
_VERBATIM_DIRECTIVE = re.compile(
    r"^\s*\.\. (math|code-block|code|sourcecode|plot|literalinclude|doctest|testcode"
    r"|testoutput|highlight|raw|csv-table)::"
)


def _escape_plain(text):
    parts = _LITERAL_SPAN.split(text)
    for i in range(0, len(parts), 2):  # even items lie outside literal spans
        parts[i] = _SUBSTITUTION.sub(r"\\|\1\\|", parts[i])
        parts[i] = _TRAILING_UNDERSCORE.sub(r"\1\\_", parts[i])
    return "".join(parts)


def _indent(line):
    return len(line) - len(line.lstrip())


def escape_accidental_markup(lines):
    """Escape accidental references in docstring ``lines`` (a list, in place)."""
    verbatim_indent = None  # inside a literal block indented deeper than this
    in_doctest = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if verbatim_indent is not None:
            if not stripped or _indent(line) > verbatim_indent:
                continue
            verbatim_indent = None
        if in_doctest:
            if stripped:
                continue
            in_doctest = False
            continue
        if stripped.startswith(">>>"):
            in_doctest = True
            continue
        if _VERBATIM_DIRECTIVE.match(line) or (
            stripped.endswith("::") and not stripped.startswith("..")
        ):
            verbatim_indent = _indent(line)
            if not _VERBATIM_DIRECTIVE.match(line):
                lines[i] = _escape_plain(line.rstrip()[:-2]) + "::"
            continue
        if stripped.startswith(".. "):
            continue  # directive, comment or target: leave as written
        lines[i] = _escape_plain(line)


def _process_docstring(app, what, name, obj, options, lines):
    if what in ("class", "exception"):
        _CURRENT_CLASS["class"] = obj  # for _skip_member, called next
        extra = _likelihood_kind_lines(obj)
        if extra:
            _insert_after_summary(lines, extra)
    elif what == "data":
        doc = _data_doc(name)
        if doc:
            lines[:] = doc
        elif type(obj).__module__ == "builtins":
            lines[:] = []  # autodoc's fallback, the docstring of int, dict, ...
        lines.extend(["", *_value_lines(obj)])
    escape_accidental_markup(lines)


def setup(app):
    app.config.mathjax_path = MATHJAX_PATH  # after sphinx-mathjax-offline set its own
    app.connect("autodoc-skip-member", _skip_member)
    # after numpydoc (priority 500) turned the sections into reStructuredText
    app.connect("autodoc-process-docstring", _process_docstring, priority=600)


write_api_pages()  # before autosummary scans the sources (see its docstring)
