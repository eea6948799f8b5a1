"""What every experiment's report does: tables as text or Markdown, CSV files,
and figures when matplotlib is there."""

import csv

__all__ = ["save_figures", "table_lines", "write_csv"]


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
        fig.savefig(directory / name, dpi=dpi)
        plt.close(fig)
        links.append(f"\n![{caption}]({name})\n")
        paths.append(directory / name)
    return "".join(links), paths
