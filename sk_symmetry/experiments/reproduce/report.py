"""Tables, files and figures of the reproduced experiment."""

import json
import textwrap

import numpy as np

from .._tables import save_figures, table_lines, write_csv

__all__ = ["accuracy_figure", "figure_1", "format_report", "write_outputs"]

_FEATURE_LABELS = {
    "raw": "x_i",
    "square": "x_i^2",
    "neighbor": "x_i x_{i+e1}",
    "permutation": "x_i x_{P(i)}",
}
# The same names typeset by matplotlib's mathtext, for the figures.
_FEATURE_MATH = {
    "raw": r"$x_i$",
    "square": r"$x_i^2$",
    "neighbor": r"$x_i\,x_{i+e_1}$",
    "permutation": r"$x_i\,x_{P(i)}$",
}

REPORT_TITLE = "Bergman (2019), Tables I and II, reproduced by sk-symmetry"

# Said next to every reproduced table: the budget, not convergence, ends training.
BUDGET_NOTE = (
    "L-BFGS stops at its iteration budget before it converges, and small "
    "floating-point differences (CPU, BLAS build, library versions) grow along "
    "its path: on another machine the third decimal can differ."
)


def _mean_std(mean, std, n_runs):
    return f"{mean:.3f}" if n_runs == 1 else f"{mean:.3f} ± {std:.3f}"


def _paper(value):
    return "" if value is None else f"{value:g}"


def _table_rows(rows, table):
    out = []
    for row in rows:
        if row["table"] != table:
            continue
        out.append(
            [
                "yes" if row["fit_bias"] else "no",
                _FEATURE_LABELS[row["features"]],
                "±X" if row["trained_on"] == "+-X" else "X",
                _mean_std(row["accuracy_mean"], row["accuracy_std"], row["n_runs"]),
                _mean_std(
                    row["inverted_accuracy_mean"],
                    row["inverted_accuracy_std"],
                    row["n_runs"],
                ),
                f"{row['sum_mean']:.3f}",
                _paper(row["paper_accuracy"]),
                _paper(row["paper_inverted_accuracy"]),
            ]
        )
    return out


_HEADER = [
    "bias",
    "features",
    "trained on",
    "acc X_test",
    "acc -X_test",
    "R + R_bar",
    "paper X",
    "paper -X",
]

_TITLES = {
    "I": "Table I: raw pixels, trained on X or on the orbit ±X",
    "II": "Table II: inversion-invariant features, trained on X",
}


def format_report(summary, *, markdown=False):
    """Tables I and II, ours beside the paper's, as text or Markdown."""
    rows = summary["cells"]
    lines = [summary["protocol"], ""]
    for table in ("I", "II"):
        body = _table_rows(rows, table)
        lines.append(f"### {_TITLES[table]}" if markdown else _TITLES[table])
        if markdown:
            lines.append("")
        lines.extend(table_lines(_HEADER, body, markdown=markdown))
        lines.append("")
    return "\n".join(lines)


def write_outputs(summary, out):
    """Write reproduce.csv, reproduce.json, reproduce.md and, with matplotlib,
    the figures; return the paths written.

    ``summary`` is ``{"protocol": description, "cells": rows, "runs": records}``.
    """
    rows, description = summary["cells"], summary["protocol"]
    paths = [out / f"reproduce.{ext}" for ext in ("csv", "json", "md")]
    write_csv(paths[0], rows)
    with open(paths[1], "w") as f:
        json.dump(summary, f, indent=2)
    report = "\n".join(
        [
            f"# {REPORT_TITLE}",
            "",
            format_report(summary, markdown=True),
            textwrap.fill(BUDGET_NOTE, 79, break_on_hyphens=False),
            "",
        ]
    )
    figures, written = save_figures(
        out,
        [
            (
                "reproduce_figure1.png",
                "Figure 1: a digit, its inversion and its neighbour features",
                figure_1,
            ),
            (
                "reproduce_accuracy.png",
                "Accuracy on X_test and -X_test per model",
                lambda: accuracy_figure(rows, description),
            ),
        ],
    )
    paths[2].write_text(report + figures)
    return paths + written


def figure_1():
    """The paper's Figure 1: a 6, its inversion, its neighbour-feature image."""
    import matplotlib.pyplot as plt

    from ...datasets import load_shifted_digits
    from ...features import InversionInvariantTransformer

    data = load_shifted_digits()
    index = int(np.flatnonzero(data.target == 6)[0])
    x = data.data[index : index + 1]
    features = InversionInvariantTransformer("neighbor", image_shape=(8, 8))
    panels = [
        (x, "a digit $x$"),
        (-x, "its inversion $-x$"),
        (features.fit_transform(x), f"{_FEATURE_MATH['neighbor']}: the same for both"),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.8))
    for ax, (image, title) in zip(axes, panels, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])  # a frame, without ticks, shows the 8 x 8 extent
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def accuracy_figure(rows, description):
    """Bars of accuracy on X_test and -X_test, one pair per cell of the tables."""
    import matplotlib.pyplot as plt

    labels = [
        f"{'bias' if r['fit_bias'] else 'no bias'}\n{_FEATURE_MATH[r['features']]}"
        + f"\non {'±X' if r['trained_on'] == '+-X' else 'X'}"
        for r in rows
    ]
    # The protocol's name first: the paper's and the leak-free figures look alike.
    name, _, details = description.partition(": ")
    n_runs = rows[0]["n_runs"]
    spread = "" if n_runs == 1 else f", mean of {n_runs} runs per cell ± 1 sd"
    position = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for offset, key, label in (
        (-0.2, "accuracy", "X_test"),
        (0.2, "inverted_accuracy", "-X_test"),
    ):
        ax.bar(
            position + offset,
            [r[f"{key}_mean"] for r in rows],
            width=0.4,
            yerr=[r[f"{key}_std"] for r in rows],
            label=label,
        )
    ax.set_xticks(position, labels, fontsize=8)
    split = sum(r["table"] == "I" for r in rows) - 0.5
    ax.axvline(split, color="0.6", linewidth=0.8)
    for x, text in ((-0.4, "Table I"), (split + 0.1, "Table II")):
        ax.text(x, 0.96, text, fontsize=8, va="top")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2, fontsize=8)
    ax.set_title(
        f"Accuracy on X_test and -X_test, {name}{spread}\n"
        + textwrap.fill(details, 100),
        fontsize=9,
    )
    fig.tight_layout()
    return fig
