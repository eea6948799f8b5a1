"""What every experiment's report does: tables as text or Markdown, CSV files,
and figures when matplotlib is there."""

import csv
import warnings

__all__ = [
    "UnreadableFigureWarning",
    "figure_problems",
    "save_figures",
    "table_lines",
    "write_csv",
]

# Figures are read on a page about this many pixels wide (the docs, a
# rendered Markdown report); no text may be smaller there than _MIN_TEXT_PX.
PAGE_WIDTH_PX = 700
_MIN_TEXT_PX = 9


class UnreadableFigureWarning(UserWarning):
    """A figure has text too small to read at page width, or cut off."""


def table_lines(header, body, *, markdown):
    """A table as Markdown lines, or as columns aligned for a terminal."""
    body = [[str(cell) for cell in cells] for cells in body]
    if markdown:
        return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
            "| " + " | ".join(cells) + " |" for cells in body
        ]
    widths = [max(len(c) for c in col) for col in zip(header, *body, strict=True)]
    return [
        "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        for cells in [header, *body]
    ]


def write_csv(path, rows):
    """Rows (dicts with the same keys) as a CSV file with a header."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _drawn_texts(fig):
    """The texts of ``fig`` that are drawn: no hidden or empty ones, no tick
    labels of a hidden axis or outside its limits (matplotlib keeps some)."""
    from matplotlib.text import Text

    ticks, drawn = set(), []
    for ax in fig.axes:
        for axis, along in ((ax.xaxis, 0), (ax.yaxis, 1)):
            low, high = sorted(axis.get_view_interval())
            for label in axis.get_ticklabels(which="both"):
                ticks.add(id(label))
                where = label.get_position()[along]
                if ax.axison and low - 1e-9 * abs(high - low) <= where <= high + (
                    1e-9 * abs(high - low)
                ):
                    drawn.append(label)
    drawn += [
        text for text in fig.findobj(Text) if id(text) not in ticks
    ]
    return [
        text for text in drawn
        if text.get_visible() and str(text.get_text()).strip()
    ]


def figure_problems(fig, *, width_px=PAGE_WIDTH_PX, min_px=_MIN_TEXT_PX):
    """What cannot be read in ``fig`` when shown ``width_px`` wide (or at its
    own width, if smaller): texts smaller than ``min_px`` pixels, and texts
    that run past the figure's edge. A list of sentences, empty if none."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    scale = min(1.0, width_px / box.width)
    problems = []
    for text in _drawn_texts(fig):
        shown = text.get_fontsize() * fig.dpi / 72 * scale
        label = repr(str(text.get_text())[:40])
        if shown < min_px - 1e-9:
            problems.append(f"{label} is {shown:.1f} px high at {width_px} px wide")
        extent = text.get_window_extent(renderer)
        if (extent.x0 < box.x0 - 1 or extent.x1 > box.x1 + 1
                or extent.y0 < box.y0 - 1 or extent.y1 > box.y1 + 1):
            problems.append(f"{label} runs past the figure's edge")
    return problems


def save_figures(directory, figures, *, dpi=120):
    """Draw and save ``figures``, a list of (file name, caption, make), where
    ``make()`` returns a matplotlib figure.

    Returns the report's Markdown for them and the paths written. Without
    matplotlib nothing is drawn and the Markdown says so.
    """
    try:
        import matplotlib
    except ImportError:
        return "\n(matplotlib is not installed: no figures.)\n", []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    links, paths = [], []
    for name, caption, make in figures:
        fig = make()
        fig.set_dpi(dpi)
        problems = figure_problems(fig)
        if problems:
            warnings.warn(
                f"{name}: " + "; ".join(problems), UnreadableFigureWarning,
                stacklevel=2,
            )
        fig.savefig(directory / name, dpi=dpi)
        plt.close(fig)
        links.append(f"\n![{caption}]({name})\n")
        paths.append(directory / name)
    return "".join(links), paths
