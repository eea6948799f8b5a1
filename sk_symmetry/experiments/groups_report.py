"""Table, files and figures of ``sk-symmetry groups``."""

import json
import textwrap

import numpy as np

from ._tables import save_figures, table_lines, write_csv

__all__ = ["format_groups_table", "write_groups_outputs"]

REPORT_TITLE = "The paper's experiment under mirrors and rotations (sk-symmetry groups)"

_FEATURES = {
    "raw": "raw pixels x_i",
    "averaged neighbor": "averaged x_i x_{i+e1}",
    "averaged all": "averaged x_i x_j (all pairs)",
    "canonical": "canonical form",
}

# The same names typeset by matplotlib's mathtext, for the figures.
_FEATURES_MATH = {
    "raw": r"raw pixels $x_i$",
    "averaged neighbor": r"averaged $x_i\,x_{i+e_1}$",
    "averaged all": r"averaged $x_i\,x_j$ (all pairs)",
    "canonical": "canonical form",
}

_COLUMNS = (
    "group", "features", "trained on", "network", "acc X_test", "worst case",
    "orbit mean", "6 as 9", "9 as 6", "fit s",
)


def _cells(row):
    spread = "" if row["n_splits"] == 1 else f" ± {row['worst_case_std']:.3f}"
    return [
        f"{row['group']} ({row['n_elements']})",
        _FEATURES[row["features"]],
        "orbit" if row["trained_on"] == "orbit" else "X",
        row["network"],
        f"{row['accuracy_X']:.3f}",
        f"{row['worst_case']:.3f}{spread}",
        f"{row['orbit_mean']:.3f}",
        f"{row['six_as_nine']:.2f}",
        f"{row['nine_as_six']:.2f}",
        f"{row['fit_time']:.1f}",
    ]


def format_groups_table(rows, description, *, markdown=False):
    """The table as plain text (terminal) or Markdown (groups.md)."""
    body = [_cells(row) for row in rows]
    if markdown:
        lines = table_lines(_COLUMNS, body, markdown=True)
        return "\n".join([textwrap.fill(description, 79), "", *lines, ""])
    lines = [textwrap.fill(description, 100), ""]
    lines += table_lines(_COLUMNS, body, markdown=False)
    lines.append(
        "\nacc X_test: on the test images as they are; worst case and orbit mean: "
        "over every element of the group (mean over splits ± sd); 6 as 9, 9 as 6: "
        "share of test 6s read as 9 (and 9s as 6) over the whole orbit."
    )
    return "\n".join(lines)


def write_groups_outputs(directory, summary):
    """groups.csv, groups.json, groups.md and, with matplotlib, the figures;
    return the paths written.

    ``summary`` is ``{"protocol": description, "cells": rows, "runs": records}``.
    """
    rows, description = summary["cells"], summary["protocol"]
    flat = [
        {k: v for k, v in row.items() if k not in ("element_names", "confusion")}
        | {"element_accuracy": json.dumps(row["element_accuracy"])}
        for row in rows
    ]
    paths = [directory / f"groups.{ext}" for ext in ("csv", "json", "md")]
    write_csv(paths[0], flat)
    with open(paths[1], "w") as f:
        json.dump(summary, f, indent=2)
    table = format_groups_table(rows, description, markdown=True)
    figures, written = save_figures(
        directory,
        [
            ("groups_heatmap.png", "Accuracy per element",
             lambda: element_heatmap(rows)),
            ("groups_confusion.png", "Confusion over the orbit",
             lambda: confusion_figure(rows)),
        ],
    )
    paths[2].write_text("\n".join([f"# {REPORT_TITLE}", "", table, figures]) + "\n")
    return paths + written


def _largest_group(rows):
    size = max(row["n_elements"] for row in rows)
    return [row for row in rows if row["n_elements"] == size]


def _label(row):
    trained = " (trained on orbit)" if row["trained_on"] == "orbit" else ""
    return f"{_FEATURES_MATH[row['features']]}{trained}, {row['network']} net"


def element_heatmap(rows):
    """Accuracy of every model on every element of the largest group."""
    import matplotlib.pyplot as plt

    rows = _largest_group(rows)
    scores = np.array([row["element_accuracy"] for row in rows])
    names = rows[0]["element_names"]
    fig, ax = plt.subplots(figsize=(12, 0.5 * len(rows) + 2.6))
    image = ax.imshow(scores, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    for (i, j), value in np.ndenumerate(scores):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                color="white" if value < 0.6 else "black")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), [_label(r) for r in rows], fontsize=8)
    ax.set_xlabel("group element applied to X_test")
    ax.set_title(
        f"Accuracy on each image of the test set under {rows[0]['group']} "
        f"({len(names)} elements)", fontsize=10,
    )
    fig.colorbar(image, ax=ax, label="accuracy", fraction=0.03)
    fig.tight_layout()
    return fig


def confusion_figure(rows):
    """Row-normalised confusion, over the whole orbit, of the best invariant model
    of the largest group: where the group makes two digits one (6 and 9)."""
    import matplotlib.pyplot as plt

    candidates = [r for r in _largest_group(rows) if r["features"] != "raw"]
    best = max(candidates, key=lambda r: r["worst_case"])
    confusion = np.array(best["confusion"], dtype=float)
    confusion /= confusion.sum(axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(5.6, 5))
    image = ax.imshow(confusion, vmin=0, vmax=1, cmap="Blues")
    for (i, j), value in np.ndenumerate(confusion):
        if value >= 0.01:
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if value > 0.6 else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(
        f"{_label(best)}\nunder {best['group']}: share of each digit's test "
        "images\n(over the whole orbit) read as each digit", fontsize=9,
    )
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig
