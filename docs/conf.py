"""Sphinx configuration of the sk_symmetry documentation site.

Build it from the repository root with ``sphinx-build -W -n docs docs/_build/html``
after ``pip install -e ".[docs]"``; CI does exactly that (``.ci/run``).
"""

import importlib
import os
import re
import sys
import warnings

from docutils import nodes, utils
from sphinx.domains.python import PyXRefRole

import sk_symmetry

# docs/ itself, for the gallery's sort key (_gallery_order.py).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

project = "sk_symmetry"
author = "the sk_symmetry developers"
copyright = "the sk_symmetry developers, BSD-3-Clause"
version = release = sk_symmetry.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# Files that are not pages: the paper's protocol is a Markdown file the README
# links to, the gallery's sources are turned into pages by sphinx-gallery.
exclude_patterns = ["_build", "examples", "PAPER-PROTOCOL.md"]
templates_path = ["_templates"]

# The docstrings follow scikit-learn's convention: `X`, `fit` and other names
# in single backticks are code, as on scikit-learn's own site. Links between
# pages are explicit (:func:, :class:, :doc:, See Also), and with -n every one
# of them must resolve.
# A single-backtick name with a leading ``~`` (`~sklearn.pipeline.Pipeline`)
# is a reference, as in a :class: role: the role below makes it one, so that
# it is not printed as the literal text "~sklearn...".
default_role = "code-or-reference"
nitpicky = True
# The site is built offline: no intersphinx inventory can be fetched, so
# references to other libraries' objects (in numpydoc's See Also sections, say)
# stay plain text instead of failing the build. Every sk_symmetry name must
# still resolve.
# scikit-learn's public classes and functions link to scikit-learn's own API
# pages (see _link_to_scikit_learn below).
nitpick_ignore_regex = [
    (r"py:.*", r"(sklearn|numpy|scipy|pandas|joblib|matplotlib|threadpoolctl)\..*"),
    # A helper that sk_symmetry.inspection exports but the package's __all__ (and
    # so the API reference) does not; symmetry_degeneracy's See Also names it.
    ("py:obj", "first_layer_action"),
]

autosummary_generate = True
# Inherited members too: the transformers and networks share base classes of
# sk_symmetry (their transform, fit, predict); the skip hook below leaves out
# what scikit-learn's mixins give.
autodoc_default_options = {"members": True, "inherited-members": True}
# numpydoc lists a class's methods itself; autosummary pages list them once.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "pydata_sphinx_theme"
html_title = f"sk_symmetry {release}"
# _static/sk_symmetry.css: room for wide tables and figures at laptop widths.
html_static_path = ["_static"]
html_css_files = ["sk_symmetry.css"]
html_theme_options = {
    "logo": {"text": f"sk_symmetry {release}"},
    "navbar_end": ["navbar-icon-links"],
    "show_prev_next": True,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False

# The gallery: every script in docs/examples runs at build time and its
# figures and printed output go into its page.
sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "_gallery_order.GalleryOrder",
    "show_memory": False,
    "min_reported_time": 1,
    # An example that raises fails the build at once.
    "abort_on_example_error": True,
    # Each API page lists the examples that use its object.
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("sk_symmetry",),
    "reference_url": {"sk_symmetry": None},
}

# Figures are drawn off screen.
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings(
    "ignore", category=UserWarning, message="Matplotlib is currently using agg"
)


_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])(\w+_)(?=[,)])")


def _quote_fitted_names(app, what, name, obj, options, lines):
    """Quote fitted names in numpydoc type fields, e.g. ``(n_features_in_,)``.

    reStructuredText reads a bare ``word_`` as a link to a target ``word``;
    scikit-learn writes these in backticks, the docstrings here do not.
    """
    for i, line in enumerate(lines):
        head, sep, kind = line.partition(" : ")
        if sep and head.strip().isidentifier():
            lines[i] = head + sep + _TRAILING_UNDERSCORE.sub(r"``\1``", kind)


def _skip_inherited_from_sklearn(app, what, name, obj, skip, options):
    """Document sk_symmetry's own methods, not scikit-learn's mixins' (their
    docstrings point into scikit-learn's glossary, which this site lacks)."""
    module = getattr(obj, "__module__", None) or ""
    if callable(obj) and not module.startswith("sk_symmetry"):
        return True
    return skip


_REFERENCE = re.compile(r"~[A-Za-z_]\w*(\.\w+)+")


def _code_or_reference(name, rawtext, text, lineno, inliner, options=None,
                       content=None):
    """The default role: `~package.module.Name` is a Python cross-reference
    (shown as ``Name``), anything else in single backticks is code."""
    if _REFERENCE.fullmatch(text):
        return PyXRefRole()("py:obj", rawtext, text, lineno, inliner,
                            options or {}, content or [])
    return [nodes.literal(rawtext, utils.unescape(text))], []


_SKLEARN_API = "https://scikit-learn.org/stable/modules/generated/{}.html"


def _link_to_scikit_learn(app, env, node, contnode):
    """Resolve a public scikit-learn class or function to its page on
    scikit-learn's site (intersphinx cannot download the inventory offline)."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("sklearn."):
        return None
    module_name, _, attribute = target.rpartition(".")
    if any(part.startswith("_") for part in target.split(".")):
        return None
    try:
        obj = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        return None
    if not callable(obj):
        return None
    reference = nodes.reference("", "", internal=False,
                                refuri=_SKLEARN_API.format(target))
    reference.append(contnode)
    return reference


def setup(app):
    app.add_role("code-or-reference", _code_or_reference)
    app.connect("missing-reference", _link_to_scikit_learn)
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", _quote_fitted_names, priority=100)
    app.connect("autodoc-skip-member", _skip_inherited_from_sklearn)
