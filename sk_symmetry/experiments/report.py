"""Tables, files and figures of the reproduced experiment."""

import csv
import json

import numpy as np

__all__ = ["format_tables", "write_outputs"]

_FEATURE_LABELS = {
    "raw": "x_i",
    "square": "x_i^2",
    "neighbor": "x_i x_{i+e1}",
    "permutation": "x_i x_{P(i)}",
}


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


def format_tables(rows, description, *, markdown=False):
    """Tables I and II, ours beside the paper's, as text or Markdown."""
    lines = [description, ""]
    for table in ("I", "II"):
        body = _table_rows(rows, table)
        lines.append(f"### {_TITLES[table]}" if markdown else _TITLES[table])
        if markdown:
            lines.append("")
            lines.append("| " + " | ".join(_HEADER) + " |")
            lines.append("|" + "---|" * len(_HEADER))
            lines.extend("| " + " | ".join(cells) + " |" for cells in body)
        else:
            widths = [
                max(len(str(c)) for c in column)
                for column in zip(_HEADER, *body, strict=True)
            ]
            for cells in [_HEADER, *body]:
                lines.append(
                    "  ".join(
                        str(c).ljust(w) for c, w in zip(cells, widths, strict=True)
                    ).rstrip()
                )
        lines.append("")
    return "\n".join(lines)


def write_outputs(directory, rows, records, description):
    """Write cells.csv, cells.json, report.md and, with matplotlib, figures."""
    fields = list(rows[0])
    with open(directory / "cells.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    with open(directory / "cells.json", "w") as f:
        json.dump(
            {"protocol": description, "cells": rows, "runs": records}, f, indent=2
        )
    report = format_tables(rows, description, markdown=True)
    try:
        import matplotlib
    except ImportError:
        report += "\n(matplotlib is not installed: no figures.)\n"
    else:
        matplotlib.use("Agg")
        _figure_1(directory / "figure1.png")
        _accuracy_bars(directory / "accuracy.png", rows)
        report += "\n![Figure 1](figure1.png)\n\n![Accuracy](accuracy.png)\n"
    (directory / "report.md").write_text(report)


def _figure_1(path):
    """The paper's Figure 1: a 6, its inversion, its neighbour-feature image."""
    import matplotlib.pyplot as plt

    from ..datasets import load_shifted_digits
    from ..features import InversionInvariantTransformer

    data = load_shifted_digits()
    index = int(np.flatnonzero(data.target == 6)[0])
    x = data.data[index : index + 1]
    features = InversionInvariantTransformer("neighbor", image_shape=(8, 8))
    panels = [
        (x, "x"),
        (-x, "-x (inverted)"),
        (features.fit_transform(x), "x_i x_{i+e1} (same for both)"),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.8))
    for ax, (image, title) in zip(axes, panels, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _accuracy_bars(path, rows):
    import matplotlib.pyplot as plt

    labels = [
        f"{'bias' if r['fit_bias'] else 'no bias'}\n{r['features']}"
        + ("\n±X" if r["trained_on"] == "+-X" else "")
        for r in rows
    ]
    position = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(11, 3.8))
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
    ax.set_xticks(position, labels, fontsize=7)
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
