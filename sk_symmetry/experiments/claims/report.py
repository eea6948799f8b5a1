"""Tables, files and figures of ``sk-symmetry claims``."""

import json
import textwrap

import numpy as np

from .._tables import save_figures, table_lines, write_csv
from .models import MODELS

__all__ = [
    "fit_time_figure",
    "format_report",
    "learning_curve_figure",
    "write_outputs",
]

REPORT_TITLE = "The paper's claims, measured by sk-symmetry"

_MINIMA_LABELS = {
    "raw": "raw pixels, trained on X",
    "raw_orbit": "raw pixels, trained on ±X",
    "neighbor": "neighbour products (invariant)",
}


def _num(value, digits=3):
    return "" if value is None else f"{value:.{digits}f}"


def _size(value):
    if value is None:
        return "never"
    return value if isinstance(value, str) else f"{value:.0f}"


def _threshold_rows(table, threshold):
    header = [
        "model",
        f"images to worst case {threshold:.2f}",
        "CPU s per fit there",
        f"images to acc X {threshold:.2f}",
        "worst case, all",
        "acc X train / test, all",
        "gap, all",
        "iterations, all",
        "CPU s per fit, all (x raw on X)",
    ]
    body = []
    for row in table:
        body.append([
            MODELS[row["model"]],
            _size(row["images_to_threshold"]),
            _num(row["cpu_time_at_threshold"], 2),
            _size(row["images_to_threshold_on_x"]),
            _num(row["full_worst_case"]),
            f"{row['full_train_accuracy']:.3f} / {row['full_test_accuracy']:.3f}",
            f"{row['full_gap']:.3f} ± {row['full_gap_std']:.3f}",
            f"{row['full_n_iter']:.0f}",
            f"{row['full_cpu_time']:.2f} ({row['full_cpu_ratio']:.1f}x)",
        ])
    return header, body


def _curve_rows(curves):
    sizes = sorted({r["n_images"] for r in curves})
    header = ["model", *(str(n) for n in sizes)]
    body = []
    for key in MODELS:
        cells = {r["n_images"]: r for r in curves if r["model"] == key}
        if cells:
            body.append([MODELS[key]] + [
                f"{cells[n]['test_worst_case_accuracy_mean']:.3f} ± "
                f"{cells[n]['test_worst_case_accuracy_std']:.3f}" if n in cells else ""
                for n in sizes
            ])
    return header, body


def _minima_rows(minima):
    header = [
        "model", "fits (converged)", "distinct minima", "pairs that are images",
        "nearest two", "to its own image", "loss at image - loss",
        "degenerate", "loss over seeds",
    ]
    body = []
    for m in minima["models"]:
        differences = np.subtract(m["image_losses"], m["losses"])
        body.append([
            _MINIMA_LABELS[m["model"]],
            f"{m['n_fits']} ({m['n_converged']})",
            str(m["n_distinct"]),
            str(m["n_image_pairs"]),
            _num(m["nearest_distance"], 2),
            "the same point" if m["action"] == "trivial"
            else _num(m["own_image_distance_median"], 2),
            f"{np.abs(differences).max():.1e}" if np.abs(differences).max() < 1e-6
            else f"{differences.min():+.2f} to {differences.max():+.2f}",
            f"{m['n_degenerate']} of {m['n_fits']}",
            f"{min(m['losses']):.3f} to {max(m['losses']):.3f}",
        ])
    return header, body


def format_report(summary, *, markdown=False):
    """The three tables of ``claims`` as text or Markdown."""
    table, minima, threshold = summary["table"], summary["minima"], summary["threshold"]
    sections = [
        ("Training size, time and over-fitting", _threshold_rows(table, threshold),
         "Sizes in source images (5 rows each), interpolated in log size between "
         "the sizes measured; 'all' is the whole training part. Worst case: "
         "min(accuracy on X_test, on -X_test). Gap: accuracy on the training rows "
         "(X) minus accuracy on X_test, mean ± sd over splits. CPU s: the fitting "
         "process's CPU time (wall-clock time is in the CSV); means over splits."),
        ("Worst-case accuracy on the test split by training size (mean ± sd over "
         "splits)", _curve_rows(summary["curves"]), ""),
        ("Sec. IV.A: minima from several seeds", _minima_rows(minima),
         f"{minima['n_images']} source images ({minima['n_train']} rows) of the "
         f"first split, (10, 5) tanh with biases, alpha {minima['alpha']:g}, L-BFGS "
         f"up to {minima['max_iter']} iterations. Distances: ||A - B|| / ||B|| "
         "over all parameters after matching B's hidden units by permutation and "
         f"sign flip; below {minima['same_tol']:g} two fits are one minimum. "
         "'Degenerate': symmetry_degeneracy says the loss is the same at the "
         "minimum's image under x -> -x and the image is a different point."),
    ]
    lines = [summary["protocol"], ""]
    for title, (header, body), note in sections:
        lines.append(f"### {title}" if markdown else title)
        if markdown:
            lines.append("")
        lines.extend(table_lines(header, body, markdown=markdown))
        if note:
            lines.extend(["", *textwrap.wrap(note, 79, break_on_hyphens=False)])
        lines.append("")
    return "\n".join(lines)


def write_outputs(summary, out):
    """Write claims.csv (one row per fit), claims_curves.csv, claims.json,
    claims.md and, with matplotlib, the two figures; return the paths written.

    ``summary`` is what `sk_symmetry.experiments.claims.run.summarize` returns.
    """
    records, curves = summary["runs"], summary["curves"]
    paths = [
        out / name
        for name in ("claims.csv", "claims_curves.csv", "claims.json", "claims.md")
    ]
    write_csv(paths[0], records)
    write_csv(paths[1], curves)
    with open(paths[2], "w") as f:
        json.dump(summary, f, indent=2)
    report = "\n".join([
        f"# {REPORT_TITLE}", "",
        format_report(summary, markdown=True),
    ])
    figures, written = save_figures(
        out,
        [
            (
                "claims_learning_curve.png",
                "Learning curves",
                lambda: learning_curve_figure(records, summary["threshold"]),
            ),
            (
                "claims_fit_time.png",
                "Fit time and iterations",
                lambda: fit_time_figure(records),
            ),
        ],
    )
    paths[3].write_text(report + figures)
    return paths + written


def _by_split(records, key, field):
    """``(sizes, values)`` with values of shape (n_sizes, n_splits)."""
    runs = [r for r in records if r["model"] == key]
    sizes = sorted({r["n_images"] for r in runs})
    splits = sorted({r["split"] for r in runs})
    values = np.full((len(sizes), len(splits)), np.nan)
    for r in runs:
        values[sizes.index(r["n_images"]), splits.index(r["split"])] = r[field]
    return np.array(sizes), values


def _display(records, key, train_field, test_field, score_name):
    from sklearn.model_selection import LearningCurveDisplay

    sizes, train = _by_split(records, key, train_field)
    _, test = _by_split(records, key, test_field)
    return LearningCurveDisplay(
        train_sizes=sizes, train_scores=train, test_scores=test, score_name=score_name
    )


def _restyle(display, color, label, linestyles):
    for line, fill, style in zip(display.lines_, display.fill_between_, linestyles,
                                 strict=True):
        line.set(color=color, linestyle=style, marker="o", markersize=3)
        fill.set(color=color, alpha=0.15)
    display.lines_[-1].set_label(label)
    if len(display.lines_) > 1:
        display.lines_[0].set_label("_nolegend_")


def _size_axis(ax, records):
    """A log axis of training sizes, ticked at the sizes measured."""
    sizes = sorted({r["n_images"] for r in records})
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("training size (source images, 5 rows each)")


def _label_panels(records, panels):
    """Each ``(ax, ylabel, title)`` of ``panels`` labelled, over the axis of
    training sizes."""
    for ax, ylabel, title in panels:
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        _size_axis(ax, records)


def _legend_below(fig, ax):
    """``fig`` with the legend of ``ax``'s lines below its panels."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9,
               frameon=False)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig


def learning_curve_figure(records, threshold):
    """Worst case against training size, and train against test accuracy on X,
    in the style of scikit-learn's `LearningCurveDisplay` (bands: 1 sd over
    splits)."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(2, 1, figsize=(8, 9.4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    n_splits = len({r["split"] for r in records})
    for color, key in zip(colors, MODELS, strict=False):
        if not any(r["model"] == key for r in records):
            continue
        display = _display(records, key, "train_worst_case_accuracy",
                           "test_worst_case_accuracy", "worst-case accuracy")
        display.plot(ax=left, score_type="test")
        _restyle(display, color, MODELS[key], ["-"])
        display = _display(records, key, "train_accuracy", "test_accuracy",
                           "accuracy on X")
        display.plot(ax=right, score_type="both")
        _restyle(display, color, MODELS[key], ["--", "-"])
    left.axhline(threshold, color="0.4", linewidth=0.8, linestyle=":")
    _label_panels(records, (
        (left, "worst case: min(acc X_test, acc -X_test)",
         f"Worst case on the test split (bands: 1 sd over {n_splits} splits)"),
        (right, "accuracy on X",
         "Over-fitting: training rows (dashed) against X_test (solid)"),
    ))
    for ax in (left, right):
        ax.set_ylim(0, 1.02)
        ax.get_legend().remove()
    left.text(left.get_xlim()[0], threshold + 0.01, f" {threshold:.2f}", fontsize=8,
              color="0.4")
    return _legend_below(fig, left)


def fit_time_figure(records):
    """CPU time per fit and L-BFGS iterations against training size."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(2, 1, figsize=(8, 9))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for color, key in zip(colors, MODELS, strict=False):
        if not any(r["model"] == key for r in records):
            continue
        for ax, field in ((left, "cpu_time"), (right, "n_iter")):
            sizes, values = _by_split(records, key, field)
            mean, std = values.mean(axis=1), values.std(axis=1)
            ax.plot(sizes, mean, color=color, marker="o", markersize=3,
                    label=MODELS[key])
            ax.fill_between(sizes, mean - std, mean + std, color=color, alpha=0.15)
    left.set_yscale("log")
    _label_panels(records, (
        (left, "CPU seconds per fit",
         "Fit time (CPU of the fitting process; bands: 1 sd over splits)"),
        (right, "L-BFGS iterations",
         "L-BFGS iterations (a fit stops at its budget unless it converges)"),
    ))
    return _legend_below(fig, left)
