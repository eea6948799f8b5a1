"""Check the built documentation site as a reader would meet it.

Usage: ``python docs/check_site.py [docs/_build/html]``. Exits non-zero, with
one line per problem, if

- an internal link or resource (``href``/``src`` without a scheme) points to
  a file that does not exist, or to an ``#anchor`` missing from its page;
- a gallery page (``auto_examples/plot_*.html``) shows no figure, or a figure
  whose image file is missing;
- the home page does not show the package version.

Standard library only, so it runs right after ``sphinx-build`` in CI.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]


class _Page(HTMLParser):
    """The links, image sources and anchors of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []  # (tag, attribute, value)
        self.anchors = set()
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name"):
            if attrs.get(name):
                self.anchors.add(attrs[name])
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                self.links.append((tag, name, attrs[name]))

    def handle_data(self, data):
        self.text.append(data)


def _parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _internal(value):
    """The (path, fragment) of an internal link, or None for an external one."""
    parts = urlsplit(value)
    if parts.scheme or value.startswith("//") or not (parts.path or parts.fragment):
        return None
    return unquote(parts.path), unquote(parts.fragment)


def check_site(site):
    """Return the list of problems found in the built site at ``site``."""
    site = Path(site).resolve()
    if not (site / "index.html").is_file():
        return [f"{site}: no index.html; build the site first"]
    # _static holds the theme's own template fragments, not pages.
    pages = {
        path: _parse(path)
        for path in sorted(site.rglob("*.html"))
        if "_static" not in path.relative_to(site).parts
    }
    problems = []
    for path, page in pages.items():
        where = path.relative_to(site)
        for tag, attribute, value in page.links:
            target = _internal(value)
            if target is None:
                continue
            link, fragment = target
            resolved = (path.parent / link).resolve() if link else path
            if resolved.is_dir():
                resolved = resolved / "index.html"
            if not resolved.is_relative_to(site) or not resolved.exists():
                problems.append(f"{where}: <{tag} {attribute}={value!r}> is missing")
            elif fragment and resolved.suffix == ".html":
                anchors = pages[resolved].anchors if resolved in pages else set()
                if fragment not in anchors:
                    problems.append(f"{where}: <{tag} {attribute}={value!r}>: "
                                    f"no anchor #{fragment}")
    gallery = sorted(site.glob("auto_examples/plot_*.html"))
    if not gallery:
        problems.append("auto_examples/: no gallery pages")
    for path in gallery:
        figures = [value for tag, attribute, value in pages[path].links
                   if tag == "img" and re.search(r"sphx_glr_plot_\w+_\d+\.png$", value)]
        if not figures:
            problems.append(f"{path.relative_to(site)}: no figure")
    version = _version()
    if version not in " ".join(pages[site / "index.html"].text):
        problems.append(f"index.html: does not show the version {version}")
    return problems


def _version():
    text = (ROOT / "sk_symmetry" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    site = Path(argv[0]) if argv else ROOT / "docs" / "_build" / "html"
    problems = check_site(site)
    for problem in problems:
        print(problem)
    print(f"check_site: {site}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
