"""Sphinx configuration of the sk_symmetry documentation site.

Build it from the repository root with ``sphinx-build -W -n docs docs/_build/html``
after ``pip install -e ".[docs]"``; CI does exactly that (``.ci/run``).
"""

import os
import re
import sys
import warnings

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
default_role = "literal"
nitpicky = True
# The site is built offline: no intersphinx inventory can be fetched, so
# references to other libraries' objects (in numpydoc's See Also sections, say)
# stay plain text instead of failing the build. Every sk_symmetry name must
# still resolve.
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
html_static_path = []
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


def setup(app):
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", _quote_fitted_names, priority=100)
    app.connect("autodoc-skip-member", _skip_inherited_from_sklearn)
