"""Summary, tables, files and figures of ``sk-symmetry benchmark``."""

import json
import textwrap
from pathlib import Path

import numpy as np

from .._tables import save_figures, table_lines, write_csv

__all__ = ["format_report", "write_outputs"]

_TITLES = {
    "mnist1d": "MNIST-1D (published split, 4,000 train / 1,000 test)",
    "mnist1d-shuffled": "MNIST-1D, positions shuffled (no translation symmetry)",
    "digits": "28 x 28 MNIST digits: trained upright, tested under dihedral x "
    "inversion and at arbitrary angles",
}

# The measured columns of the summary's rows (each as _mean and _std).
_METRICS = (
    "accuracy", "worst_case", "orbit_mean", "rotated_accuracy", "fit_time",
    "transform_time", "predict_time",
)


def _mean_sd(row, metric, digits=3):
    if f"{metric}_mean" not in row:
        return ""
    mean = row[f"{metric}_mean"]
    if not row["measured"]:
        return f"({mean:.2f})"
    if row["n_seeds"] == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {row[f'{metric}_std']:.{digits}f}"


def _seconds(row, metric):
    key = f"{metric}_mean"
    return f"{row[key]:.2f}" if key in row and row["measured"] else ""


def _table(name, rows, *, markdown):
    if name == "digits":
        header = ("pipeline", "kind", "upright", "worst of 16", "mean of 16",
                  "any angle", "fit s", "transform s")
        body = [
            [row["label"], row["kind"], _mean_sd(row, "accuracy"),
             _mean_sd(row, "worst_case"), _mean_sd(row, "orbit_mean"),
             _mean_sd(row, "rotated_accuracy"), _seconds(row, "fit_time"),
             _seconds(row, "transform_time")]
            for row in rows
        ]
    else:
        header = ("pipeline", "kind", "test accuracy", "fit s", "transform s")
        body = [
            [row["label"], row["kind"], _mean_sd(row, "accuracy"),
             _seconds(row, "fit_time"), _seconds(row, "transform_time")]
            for row in rows
        ]
    return table_lines(header, body, markdown=markdown)


def _notes(summary):
    notes = [
        "Mean ± standard deviation over seeds. Times are processor seconds of "
        "one fit and of the test set's features (transform), each on one "
        "thread, in the same run. Quoted rows are the MNIST-1D paper's "
        "numbers, not measured here.",
    ]
    checked = [
        row for rows in summary["tables"].values() for row in rows
        if row.get("invariance_checked_rows")
    ]
    if checked:
        notes.append(
            "Features exactly invariant by construction, so the 16 elements "
            "were scored from one transform of the held-out images, after "
            "the features of the first "
            f"{min(row['invariance_checked_rows'] for row in checked)} of them "
            "were found bitwise equal under every element: "
            + ", ".join(row["label"] for row in checked) + "."
        )
    if summary["protocol"].get("skipped_note"):
        notes.append(summary["protocol"]["skipped_note"])
    return notes


def format_report(summary, *, markdown=False):
    """The tables as text for a terminal (or Markdown)."""
    width = 79 if markdown else 100
    lines = [textwrap.fill(summary["protocol"]["description"], width), ""]
    for name, rows in summary["tables"].items():
        lines.append(f"### {_TITLES[name]}" if markdown else _TITLES[name])
        lines.append("")
        lines += _table(name, rows, markdown=markdown)
        lines.append("")
    lines += [textwrap.fill(note, width) for note in _notes(summary)]
    return "\n".join(lines)


def write_outputs(summary, out):
    """benchmark.csv, benchmark.json, benchmark.md and, with matplotlib, the
    figures, in the folder ``out`` (created if needed); the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    columns = ["benchmark", "pipeline", "label", "kind", "measured", "n_seeds"]
    columns += [f"{m}_{s}" for m in _METRICS for s in ("mean", "std")]
    flat = [
        {c: row.get(c, "") for c in columns}
        for rows in summary["tables"].values()
        for row in rows
    ]
    paths = [out / "benchmark.csv", out / "benchmark.json", out / "benchmark.md"]
    write_csv(paths[0], flat)
    with open(paths[1], "w") as f:
        json.dump(summary, f, indent=2)
    figures = []
    rings = [n for n in summary["tables"] if n.startswith("mnist1d")]
    if rings:
        figures.append(("benchmark_mnist1d.png", "MNIST-1D test accuracy",
                        lambda: _mnist1d_figure(summary, rings)))
    if "digits" in summary["tables"]:
        figures.append(("benchmark_digits.png", "28 x 28 digits under the group",
                        lambda: _digits_figure(summary["tables"]["digits"])))
    links, written = save_figures(out, figures)
    text = f"# {summary['title']}\n\n{format_report(summary, markdown=True)}\n{links}"
    paths[2].write_text(text)
    return paths + written


_COLOURS = {"baseline": "#8c8c8c", "ours": "#1f77b4", "peer": "#ff7f0e",
            "quoted": "#d9d9d9"}


def _mnist1d_figure(summary, names):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    tallest = max(len(summary["tables"][name]) for name in names)
    # One panel under the other: side by side they do not fit a page's width.
    fig, axes = plt.subplots(
        len(names), 1, figsize=(8, (0.3 * tallest + 1.2) * len(names) + 0.6),
        squeeze=False,
    )
    for ax, name in zip(axes[:, 0], names, strict=True):
        rows = summary["tables"][name]
        means = [row["accuracy_mean"] for row in rows]
        errors = [row.get("accuracy_std", 0.0) for row in rows]
        y = np.arange(len(rows))
        ax.barh(y, means, xerr=errors, color=[_COLOURS[r["kind"]] for r in rows],
                hatch=["//" if not row["measured"] else "" for row in rows])
        for yi, mean in zip(y, means, strict=True):
            ax.text(mean + 0.01, yi, f"{mean:.2f}", va="center", fontsize=8)
        ax.set_yticks(y, [_short_label(row) for row in rows], fontsize=8)
        ax.set_ylim(tallest - 0.5, -0.5)  # same bar height in every panel
        ax.set_xlim(0, 1.08)
        ax.set_xlabel("test accuracy")
        ax.set_title(textwrap.fill(_TITLES[name], 70), fontsize=9)
    fig.legend(
        handles=[Patch(color=c, label=k) for k, c in _COLOURS.items()],
        loc="lower center", ncol=len(_COLOURS), fontsize=8,
    )
    fig.tight_layout(rect=(0, 0.4 / fig.get_figheight(), 1, 1))
    return fig


def _short_label(row):
    """A row's label for a figure: a quoted row says so by its hatching."""
    if row["measured"]:
        return row["label"]
    return row["pipeline"].removeprefix("published ") + " (MNIST-1D paper)"


def _digits_figure(rows):
    import matplotlib.pyplot as plt

    metrics = (("accuracy", "upright"), ("worst_case", "worst of the 16"),
               ("rotated_accuracy", "arbitrary angle"))
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 2.0))
    y = np.arange(len(rows))
    height = 0.27
    for k, (metric, label) in enumerate(metrics):
        ax.barh(y + (k - 1) * height, [row[f"{metric}_mean"] for row in rows],
                height, xerr=[row[f"{metric}_std"] for row in rows], label=label)
    ax.set_yticks(y, [row["label"] for row in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy on the held-out digits")
    # Below the axes' label, in the figure's own margin: with few rows an
    # axes-anchored legend sat on the label.
    fig.legend(*ax.get_legend_handles_labels(), fontsize=8, loc="lower center",
               ncol=3)
    ax.set_title(textwrap.fill(_TITLES["digits"], 80), fontsize=9)
    fig.tight_layout(rect=(0, 0.4 / fig.get_figheight(), 1, 1))
    return fig
