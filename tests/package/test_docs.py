"""The documentation site: its API page names every public name, and its
reader check (docs/check_site.py) catches what a reader would trip on."""

import ast
import doctest
import importlib.util
import re
from pathlib import Path

import pytest

import sk_symmetry

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _api_names():
    """Names listed by the API page's autosummary tables and data directives."""
    text = (DOCS / "api.rst").read_text()
    names = set(re.findall(r"^\.\. data:: (\S+)$", text, re.M))
    for block in re.findall(r"^\.\. autosummary::\n((?:   .*\n|\n)+)", text, re.M):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith(":"):
                names.add(line)
    return names


def test_api_page_lists_every_public_name():
    names = _api_names()
    missing = sorted(set(sk_symmetry.__all__) - names)
    assert not missing, f"docs/api.rst does not list {missing}"
    unknown = sorted(names - set(sk_symmetry.__all__))
    assert not unknown, f"docs/api.rst lists names outside __all__: {unknown}"


def test_doctests_of_the_user_guide_pass():
    """The ``>>>`` examples on the pages run as written (the suite's own
    doctest options do not reach docs/, so this runs them)."""
    attempted = 0
    for page in sorted((DOCS / "user_guide").glob("*.rst")):
        result = doctest.testfile(
            str(page),
            module_relative=False,
            optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        )
        assert result.failed == 0, f"{page.name}: {result.failed} doctest(s) failed"
        attempted += result.attempted
    assert attempted > 0, "no doctests found in docs/user_guide"


def test_readme_says_how_to_build_the_site_and_links_to_it():
    readme = (ROOT / "README.md").read_text()
    assert "docs/_build/html/index.html" in readme
    assert 'pip install -e ".[docs]"' in readme
    assert "sphinx-build -W -n docs docs/_build/html" in readme


def test_ci_builds_the_site_and_checks_it():
    ci = (ROOT / ".ci" / "run").read_text()
    build = ci.index("sphinx-build -W -n docs docs/_build/html")
    assert ci.index("python -m pytest") < build < ci.index("docs/check_site.py")


@pytest.fixture(scope="module")
def check_site():
    spec = importlib.util.spec_from_file_location("check_site", DOCS / "check_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check_site


def _make_site(root, *, index=None, gallery=None):
    version = sk_symmetry.__version__
    (root / "auto_examples").mkdir(parents=True)
    (root / "_images").mkdir()
    (root / "_images" / "sphx_glr_plot_a_001.png").write_bytes(b"png")
    (root / "index.html").write_text(
        index
        or f'<p>sk_symmetry {version}</p><a href="auto_examples/plot_a.html#top">a</a>'
        '<a href="https://example.org/x">outside</a><a href="#here" id="here">me</a>'
    )
    (root / "auto_examples" / "plot_a.html").write_text(
        gallery
        or '<h1 id="top">A</h1><img src="../_images/sphx_glr_plot_a_001.png">'
        '<a href="../index.html">home</a>' + _SOUND_TEXT
    )
    return root


# What a sound page may hold: code that names a package path without a tilde,
# the command run as a package, a table of a few columns, short output.
_SOUND_TEXT = (
    '<code class="docutils literal"><span class="pre">sklearn.pipeline.Pipeline'
    '</span></code><code>~/results</code>'
    "<p>python -m sk_symmetry reproduce</p>"
    "<table><tr><th>pipeline</th><th>transform s</th></tr>"
    "<tr><td>invariant random features + ridge</td><td>0.15</td></tr></table>"
    '<div class="sphx-glr-script-out"><div class="highlight"><pre>'
    + "x" * 80 + "\n" + "y" * 80 + "</pre></div></div>"
)
_FIGURE = '<h1 id="top">A</h1><img src="../_images/sphx_glr_plot_a_001.png">'
_WIDE_ROW = "".join(f"<td>column_{k}_0.123456</td>" for k in range(12))


def test_check_site_passes_a_sound_site(check_site, tmp_path):
    assert check_site(_make_site(tmp_path)) == []


@pytest.mark.parametrize(
    "index, gallery, problem",
    [
        (None, '<h1 id="top">A</h1><img src="../_images/sphx_glr_plot_a_001.png">'
         '<a href="../missing.html">x</a>', "missing.html"),
        (None, '<h1 id="elsewhere">A</h1>'
         '<img src="../_images/sphx_glr_plot_a_001.png">', "no anchor #top"),
        (None, '<h1 id="top">A</h1><p>no figure here</p>', "no figure"),
        (None, '<h1 id="top">A</h1><img src="../_images/sphx_glr_plot_b_001.png">',
         "sphx_glr_plot_b_001.png"),
        ('<a href="auto_examples/plot_a.html">a</a>', None, "version"),
        # A reference that did not resolve, left as the code it was written as.
        (None, _FIGURE + '<code class="docutils literal"><span class="pre">'
         "~sklearn.kernel_approximation.RBFSampler</span></code>",
         "unresolved reference left as text: '~sklearn.kernel_approximation"),
        # A module path instead of the command, split over spans as Sphinx does.
        (None, _FIGURE + '<code><span class="pre">python</span> <span class="pre">'
         '-m</span> <span class="pre">sk_symmetry.experiments.benchmark</span>'
         "</code>", "'python -m sk_symmetry.experiments.benchmark', not the"),
        # Twelve columns of long numbers cannot fit the column.
        (None, _FIGURE + f"<table><tr>{_WIDE_ROW}</tr></table>",
         "wider than the 820 px column"),
        # A printed line that runs past the right edge.
        (None, _FIGURE + '<div class="sphx-glr-script-out"><pre>'
         + "z" * 120 + "</pre></div>", "printed line of 120 characters"),
    ],
)
def test_check_site_reports_what_a_reader_would_trip_on(
    check_site, tmp_path, index, gallery, problem
):
    problems = check_site(_make_site(tmp_path, index=index, gallery=gallery))
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    "example", sorted((DOCS / "examples").glob("plot_*.py")), ids=lambda p: p.name
)
def test_gallery_examples_compute_with_the_public_api(example):
    """An example computes what it shows with the public API (as scikit-learn's
    gallery does), rather than running the command line and showing its files;
    the full experiments' results are in the user guide."""
    source = example.read_text()
    for forbidden in ("subprocess", "sk_symmetry.experiments", "-m sk_symmetry",
                      "plt.imread"):
        assert forbidden not in source, f"{example.name} uses {forbidden!r}"
    names = {
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module == "sk_symmetry"
        for alias in node.names
    }
    assert names, f"{example.name} imports nothing from sk_symmetry"
    assert names <= set(sk_symmetry.__all__), names - set(sk_symmetry.__all__)
