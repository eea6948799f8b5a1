"""Check the built documentation site as a reader would meet it.

Usage: ``python docs/check_site.py [docs/_build/html]``. Exits non-zero, with
one line per problem, if

- an internal link or resource (``href``/``src`` without a scheme) points to
  a file that does not exist, or to an ``#anchor`` missing from its page;
- a gallery page (``auto_examples/plot_*.html``) shows no figure, or a figure
  whose image file is missing;
- the home page does not show the package version;
- a cross-reference was left unresolved as literal code (``~sklearn.X.Y``
  printed as it was written, tilde and all);
- a page tells readers to run a module path (``python -m
  sk_symmetry.experiments.x``) instead of the ``sk-symmetry`` command;
- a table cannot fit the article's column at 1280 px, even with every cell
  wrapped at its spaces (an estimate from the length of the longest word of
  each column; see ``_min_table_width``);
- a line of an example's printed output is longer than the column holds.

Standard library only, so it runs right after ``sphinx-build`` in CI.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]


# The article's column at a window 1280 px wide, with docs/_static's CSS (the
# theme's sidebars narrowed), as Chromium lays it out: about 820 px. A table
# cell's text is 0.85rem (13.6 px) of the theme's sans-serif, whose glyphs
# average under 8 px for the digits, capitals and signs of these tables;
# each cell has 1 rem of padding. An example's printed output is monospace:
# a line of 89 characters reaches the right edge.
COLUMN_PX = 820
TABLE_CHAR_PX = 8.0
TABLE_CELL_PADDING_PX = 16
OUTPUT_LINE_CHARS = 88

# `~package.module.Name` left as code: a reference that did not resolve.
_LITERAL_REFERENCE = re.compile(r"~[A-Za-z_]\w*(\.\w+)+")
# `python -m sk_symmetry.submodule`: a module path, not the command.
_MODULE_PATH = re.compile(r"python3?\s+-m\s+sk_symmetry\.[\w.]+")


class _Page(HTMLParser):
    """The links, image sources, anchors, code, tables and printed output of
    one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []  # (tag, attribute, value)
        self.anchors = set()
        self.text = []
        self.code = []  # the text of each <code> element
        self.tables = []  # each a list of rows, each a list of cell texts
        self.outputs = []  # the text of each example's printed output
        self._code = None
        self._cell = None
        self._pre = None
        self._divs = []  # whether each open <div> is an example's output

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name"):
            if attrs.get(name):
                self.anchors.add(attrs[name])
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                self.links.append((tag, name, attrs[name]))
        classes = (attrs.get("class") or "").split()
        if tag == "div":
            self._divs.append("sphx-glr-script-out" in classes)
        elif tag == "code":
            self._code = []
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self._cell = []
        elif tag == "pre" and any(self._divs):
            self._pre = []

    def handle_endtag(self, tag):
        if tag == "div" and self._divs:
            self._divs.pop()
        elif tag == "code" and self._code is not None:
            self.code.append("".join(self._code))
            self._code = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "pre" and self._pre is not None:
            self.outputs.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data):
        self.text.append(data)
        for part in (self._code, self._cell, self._pre):
            if part is not None:
                part.append(data)


def _min_table_width(rows):
    """An estimate, in pixels, of the narrowest a table can be laid out: each
    column as wide as its longest word (cells wrap at spaces only), plus the
    cells' padding."""
    widths = {}
    for row in rows:
        for column, cell in enumerate(row):
            longest = max((len(word) for word in cell.split()), default=0)
            widths[column] = max(widths.get(column, 0), longest)
    return sum(TABLE_CHAR_PX * n + TABLE_CELL_PADDING_PX for n in widths.values())


def _reader_problems(where, page):
    """What a reader would see wrong in the text of one page."""
    problems = []
    for code in page.code:
        if _LITERAL_REFERENCE.fullmatch(code.strip()):
            problems.append(f"{where}: unresolved reference left as text: {code!r}")
    text = " ".join(" ".join(page.text).split())
    for match in sorted(set(_MODULE_PATH.findall(text))):
        problems.append(f"{where}: tells readers to run {match!r}, "
                        "not the sk-symmetry command")
    for rows in page.tables:
        width = _min_table_width(rows)
        if width > COLUMN_PX:
            header = " | ".join(rows[0]) if rows else ""
            problems.append(f"{where}: a table about {width:.0f} px wide at "
                            f"least, wider than the {COLUMN_PX} px column: "
                            f"{header[:60]!r}")
    for output in page.outputs:
        for line in output.splitlines():
            if len(line) > OUTPUT_LINE_CHARS:
                problems.append(f"{where}: printed line of {len(line)} characters "
                                f"(the column holds {OUTPUT_LINE_CHARS}): "
                                f"{line[:40]!r}...")
    return problems


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
        problems.extend(_reader_problems(where, page))
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
