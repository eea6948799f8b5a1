"""Table, files and figures of ``sk-symmetry groups``."""

import json
import textwrap

import numpy as np

from .._tables import save_figures, table_lines, write_csv

__all__ = [
    "format_averaging_table",
    "format_report",
    "format_verdict_table",
    "table_rows",
    "write_outputs",
]

REPORT_TITLE = "The paper's experiment under mirrors and rotations (sk-symmetry groups)"

# How the tables and figures name each kind of features (a kind not listed
# here is shown by its own name, so a new model row needs no entry).
_FEATURES = {
    "raw": "raw pixels x_i",
    "averaged neighbor": "averaged x_i x_{i+e1}",
    "averaged all": "averaged x_i x_j (all pairs)",
    "canonical": "canonical form",
    "random features": "invariant random features",
}

# The same names typeset by matplotlib's mathtext, for the figures.
_FEATURES_MATH = {
    "raw": r"raw pixels $x_i$",
    "averaged neighbor": r"averaged $x_i\,x_{i+e_1}$",
    "averaged all": r"averaged $x_i\,x_j$ (all pairs)",
    "canonical": "canonical form",
    "random features": "invariant random features",
}

_COLUMNS = (
    "group", "features", "trained on", "classifier", "acc X_test", "worst case",
    "orbit mean", "6 as 9", "9 as 6", "fit s",
)

_LEGEND = (
    "acc X_test: on the test images as they are; worst case and orbit mean: "
    "over every element of the group (mean over splits ± sd); 6 as 9, 9 as 6: "
    "share of test 6s read as 9 (and 9s as 6) over the whole orbit; classifier: "
    "the (10, 5) network (paper's or tuned penalty and budget), or ridge "
    "(StandardScaler + RidgeClassifierCV); random features (n): n components."
)


def _math(features):
    return _FEATURES_MATH.get(features, features)


def _features(row):
    name = _FEATURES.get(row["features"], row["features"])
    if row.get("n_components") is not None:
        name += f" ({row['n_components']})"
    return name


# The classifiers of the Reynolds-operator rows (scikit-learn's own models,
# or a logistic head on averaged features): they have a table of their own.
_AVERAGING_NETWORKS = ("boosting", "SVC", "kNN", "logistic")


def _is_averaging(row):
    return row["network"] in _AVERAGING_NETWORKS


def table_rows(rows):
    """The rows of the main table: random features at their widest only (the
    narrower ones are the figure's), without the Reynolds-operator rows."""
    rows = [r for r in rows if not _is_averaging(r)]
    widths = [r["n_components"] for r in rows if r.get("n_components") is not None]
    widest = max(widths, default=None)
    return [r for r in rows if r.get("n_components") in (None, widest)]


_AVERAGING_COLUMNS = (
    "model", "variant", "train / test images", "acc X_test", "worst case",
    "changed by any element", "fit s", "predict s",
)

_AVERAGING_LEGEND = (
    "scikit-learn's models under the largest group: on the data, trained on "
    "the orbit (OrbitAugmentedClassifier) and symmetrized (SymmetrizedClassifier: "
    "trained on the orbit, predict_proba averaged over the group); kernel "
    "approximations averaged over the group (GroupAveragedTransformer) under a "
    "logistic head. Changed by any element: share of test images whose "
    "prediction some element of the group changes. Predict s: one predict of "
    "the test images (mean over elements and splits)."
)


def format_averaging_table(rows, *, markdown=False):
    """The Reynolds-operator rows (issue 27), or "" when the run had none."""
    rows = [r for r in rows if _is_averaging(r)]
    if not rows:
        return ""
    body = []
    for row in rows:
        spread = "" if row["n_splits"] == 1 else f" ± {row['worst_case_std']:.3f}"
        averaged = row["features"] != "raw"
        body.append([
            row["features"] if averaged else row["network"],
            "features averaged, logistic head" if averaged else row["trained_on"],
            f"{row['n_train']:,} / {row['n_test_rows']:,}",
            f"{row['accuracy_X']:.3f}",
            f"{row['worst_case']:.3f}{spread}",
            f"{row['changed_any']:.3f}",
            f"{row['fit_time']:.1f}",
            f"{row['predict_time']:.2f}",
        ])
    width = 79 if markdown else 100
    return "\n".join([
        *table_lines(_AVERAGING_COLUMNS, body, markdown=markdown),
        "",
        textwrap.fill(_AVERAGING_LEGEND, width) if markdown else _AVERAGING_LEGEND,
    ])


def _cells(row):
    spread = "" if row["n_splits"] == 1 else f" ± {row['worst_case_std']:.3f}"
    return [
        f"{row['group']} ({row['n_elements']})",
        _features(row),
        "orbit" if row["trained_on"] == "orbit" else "X",
        row["network"],
        f"{row['accuracy_X']:.3f}",
        f"{row['worst_case']:.3f}{spread}",
        f"{row['orbit_mean']:.3f}",
        f"{row['six_as_nine']:.2f}",
        f"{row['nine_as_six']:.2f}",
        f"{row['fit_time']:.1f}",
    ]


def format_report(summary, *, markdown=False):
    """The tables as plain text (terminal) or Markdown (groups.md): the
    models' accuracies, then `symmetry_test`'s verdict per group."""
    rows, description = summary["cells"], summary["protocol"]
    tests = summary.get("symmetry_tests", [])
    body = [_cells(row) for row in table_rows(rows)]
    width = 79 if markdown else 100
    lines = [textwrap.fill(description, width), ""]
    lines += table_lines(_COLUMNS, body, markdown=markdown)
    lines.append("\n" + (textwrap.fill(_LEGEND, width) if markdown else _LEGEND))
    if tests:
        lines += ["", format_verdict_table(rows, tests, markdown=markdown)]
    averaging = format_averaging_table(rows, markdown=markdown)
    if averaging:
        lines += ["", averaging]
    return "\n".join(lines) + ("\n" if markdown else "")


# -- symmetry_test's verdict next to the accuracies ------------------------------
_VERDICT_COLUMNS = (
    "group", "inputs rejected", "labels rejected", "safe subgroup",
    "best invariant (worst case)", "random features + ridge", "its errors over the "
    "orbit (test's flags)",
)


def _elements(names, of):
    if not names:
        return "none"
    if len(names) == of > 1:
        return f"all {of}"
    return ", ".join(names)


def _rejected(test, which):
    names = [
        name for name, verdict in zip(test["elements"], test["rejected"], strict=True)
        if verdict in (which, "both")
    ]
    return _elements(names, len(test["elements"]) - 1)


def top_confusions(row, n=3):
    """The ``n`` largest shares of a class read as another, over the orbit:
    ``[(true, predicted, share), ...]``."""
    confusion = np.array(row["confusion"], dtype=float)
    confusion /= confusion.sum(axis=1, keepdims=True)
    np.fill_diagonal(confusion, 0.0)
    order = np.argsort(confusion, axis=None, kind="stable")[::-1][:n]
    return [(int(i), int(j), float(confusion[i, j])) for i, j in
            zip(*np.unravel_index(order, confusion.shape), strict=True)]


def _flags(test, true, predicted):
    """The elements whose label test rejects class ``true``, with the share of
    the class they move to ``predicted``, largest first."""
    flags = [
        (name, test["moved"][e][true][predicted])
        for e, name in enumerate(test["elements"])
        if test["class_rejected"][e][true] and test["moved"][e][true][predicted] > 0
    ]
    return sorted(flags, key=lambda flag: -flag[1])


def _errors(row, test):
    parts = []
    for true, predicted, share in top_confusions(row):
        flags = _flags(test, true, predicted)
        said = ", ".join(f"{name} {fraction:.2f}" for name, fraction in flags[:2])
        parts.append(f"{true}->{predicted} {share:.2f} ({said or 'no flag'})")
    return "; ".join(parts)


def _best(rows):
    return max(rows, key=lambda r: r["worst_case"]) if rows else None


def format_verdict_table(rows, tests, *, markdown=False):
    """Per group: what `symmetry_test` rejects on the training data, next to
    the invariant models' worst cases and where their errors go."""
    rows = table_rows(rows)
    body = []
    for test in tests:
        mine = [
            r for r in rows
            if r["group"] == test["group"]
            and (r["features"] != "raw" or r["network"] == "cnn")
        ]
        best = _best(mine)
        ridge = _best([r for r in mine if r["network"] == "ridge"])
        body.append([
            f"{test['group']} ({len(test['elements'])})",
            _rejected(test, "inputs"),
            _rejected(test, "labels"),
            _elements(test["subgroup"], len(test["elements"])),
            "" if best is None else f"{best['worst_case']:.3f} ({_features(best)}, "
            f"{best['network']})",
            "" if ridge is None else f"{ridge['worst_case']:.3f}",
            "" if ridge is None else _errors(ridge, test),
        ])
    legend = (
        "symmetry_test on X_train of the first split (exact tests, Holm-adjusted, "
        "alpha 0.05): elements under which the inputs, or the labels, are not "
        "invariant, and the largest subgroup that passes both. Errors over the "
        "orbit: the three largest shares of a class read as another by random "
        "features + ridge, with the elements whose label test flags that very "
        "move (rejected for that class; the share of the class it moves there; "
        "at most two)."
    )
    width = 79 if markdown else 100
    return "\n".join([
        *table_lines(_VERDICT_COLUMNS, body, markdown=markdown),
        "",
        textwrap.fill(legend, width) if markdown else legend,
    ])


def write_outputs(summary, out):
    """groups.csv, groups.json, groups.md and, with matplotlib, the figures;
    return the paths written.

    ``summary`` is ``{"protocol": description, "cells": rows, "runs": records}``.
    """
    rows = summary["cells"]
    flat = [
        {k: v for k, v in row.items() if k not in ("element_names", "confusion")}
        | {"element_accuracy": json.dumps(row["element_accuracy"])}
        for row in rows
    ]
    paths = [out / f"groups.{ext}" for ext in ("csv", "json", "md")]
    write_csv(paths[0], flat)
    with open(paths[1], "w") as f:
        json.dump(summary, f, indent=2)
    table = format_report(summary, markdown=True)
    shown = table_rows(rows)
    figures = []
    if shown:  # a run of the Reynolds-operator rows alone has no heat map
        figures.append(("groups_heatmap.png", "Accuracy per element",
                        lambda: element_heatmap(shown)))
    if any(r["features"] != "raw" for r in _largest_group(shown)):
        figures.append(("groups_confusion.png", "Confusion over the orbit",
                        lambda: confusion_figure(shown)))
    if any(row.get("n_components") for row in rows):
        figures.append(
            ("groups_random_features_components.png",
             "Worst case against the number of random features",
             lambda: components_figure(rows)),
        )
    figures, written = save_figures(out, figures)
    paths[2].write_text("\n".join([f"# {REPORT_TITLE}", "", table, figures]) + "\n")
    return paths + written


def _largest_group(rows):
    size = max((row["n_elements"] for row in rows), default=None)
    return [row for row in rows if row["n_elements"] == size]


def _label(row):
    trained = " (trained on orbit)" if row["trained_on"] == "orbit" else ""
    width = "" if row.get("n_components") is None else f" ({row['n_components']})"
    head = {"ridge": "ridge", "cnn": "invariant CNN"}.get(
        row["network"], f"{row['network']} net"
    )
    return f"{_math(row['features'])}{width}{trained}, {head}"


def element_heatmap(rows):
    """Accuracy of every model on every element of the largest group."""
    import matplotlib.pyplot as plt

    rows = _largest_group(rows)
    scores = np.array([row["element_accuracy"] for row in rows])
    names = rows[0]["element_names"]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 2.8))
    image = ax.imshow(scores, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    for (i, j), value in np.ndenumerate(scores):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7.5,
                color="white" if value < 0.6 else "black")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.tick_params(labelsize=8)
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
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7.5,
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


def components_figure(rows):
    """Worst case of the random features against their number, per group: the
    ridge classifier at every width, the (10, 5) network at the widest, and
    the best other invariant model of each group as a dashed line."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    groups = list(dict.fromkeys(r["group"] for r in rows))
    widths = set()
    for k, (color, group) in enumerate(zip(("C0", "C1", "C2"), groups, strict=False)):
        mine = [r for r in rows if r["group"] == group]
        name = f"{group} ({mine[0]['n_elements']})"
        ridge = sorted(
            (r for r in mine
             if r["features"] == "random features" and r["network"] == "ridge"),
            key=lambda r: r["n_components"],
        )
        if not ridge:
            continue
        widths.update(r["n_components"] for r in ridge)
        ax.errorbar(
            [r["n_components"] for r in ridge], [r["worst_case"] for r in ridge],
            yerr=[r["worst_case_std"] for r in ridge], color=color, marker="o",
            capsize=3, label=f"{name}: ridge",
        )
        for r in mine:
            if r["features"] == "random features" and r["network"] != "ridge":
                ax.plot(r["n_components"], r["worst_case"], marker="s", ls="none",
                        color=color, markerfacecolor="white", markersize=8,
                        markeredgewidth=1.5,
                        label=f"{name}: (10, 5) network ({r['network']})")
        others = [
            r for r in mine
            if not _is_averaging(r)
            and (r["features"] not in ("raw", "random features")
                 or r["network"] == "cnn")
        ]
        if others:
            best = max(others, key=lambda r: r["worst_case"])
            # Dashes offset by group: lines at the same height interleave
            # instead of one hiding the other; the legend shows plain dashes.
            ax.axhline(best["worst_case"], color=color, ls=(5 * k, (5, 10)), lw=1.5)
            ax.plot([], [], color=color, ls="--", lw=1.5,
                    label=f"{name}: best other invariant model "
                    f"({_math(best['features'])}, {best['network']})")
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(sorted(widths), [str(w) for w in sorted(widths)])
    ax.set_xlabel("n_components of InvariantRandomFeatures (log scale)")
    ax.set_ylabel("worst-case test accuracy over the group's elements")
    n_splits = rows[0]["n_splits"]
    ax.set_title(
        "The price of completeness: worst-case accuracy against the number\n"
        f"of invariant random features (shifted digits, mean over {n_splits} "
        f"split{'s' if n_splits > 1 else ''}, bars: sd)", fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
