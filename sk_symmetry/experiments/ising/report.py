"""Table, files and figures of ``sk-symmetry ising``."""

import csv
import json

import numpy as np

from .._tables import save_figures, table_lines

__all__ = ["format_report", "write_outputs"]

_HEADER = [
    "model",
    "acc X",
    "acc -X",
    "ordered: X + -X",
    "A: T_c(L)",
    "A: extrapolated",
    "A: fitted nu",
    "B: T_c(L)",
    "B: extrapolated",
]


def _percent(value):
    return "n/a" if not np.isfinite(value) else f"{100 * value:+.2f}%"


def _tc(value):
    return "-" if not np.isfinite(value) else f"{value:.3f}"


def _rows(result):
    largest = str(max(result["sizes"]))
    rows = []
    for model in result["models"]:
        sizes = {str(k): v for k, v in model["sizes"].items()}
        top = sizes[largest]
        a, b = model["protocol_A"], model["protocol_B"]
        rows.append(
            [
                model["model"],
                f"{top['accuracy']:.3f}",
                f"{top['inverted_accuracy']:.3f}",
                f"{top['ordered_accuracy'] + top['ordered_inverted_accuracy']:.3f}",
                " / ".join(_tc(sizes[str(L)]["tc_A"]) for L in result["sizes"]),
                f"{_tc(a['extrapolated_tc'])} ({_percent(a['relative_error'])})",
                _tc(a["fitted_nu"]),
                " / ".join(_tc(sizes[str(L)]["tc_B"]) for L in result["sizes"]),
                f"{_tc(b['extrapolated_tc'])} ({_percent(b['relative_error'])})",
            ]
        )
    return rows


def format_report(summary, *, markdown=False):
    """The results table (and the Binder line) as text or Markdown."""
    sizes = " / ".join(str(L) for L in summary["sizes"])
    largest = max(summary["sizes"])
    binder = summary["binder"]
    lines = [
        summary["protocol"],
        "",
        f"Accuracies at L = {largest} (out of fold); T_c(L) for L = {sizes}; "
        f"Onsager's T_c = {summary['onsager_tc']:.6f}.",
        "",
    ]
    body = _rows(summary)
    lines.extend(table_lines(_HEADER, body, markdown=markdown))
    crossings = ", ".join(
        f"{pair}: {_tc(value)}" for pair, value in binder["crossings"].items()
    )
    lines += [
        "",
        f"Binder cumulant crossings: {crossings}; the estimate is "
        f"{_tc(binder['crossing_tc'])} ({_percent(binder['relative_error'])}).",
        "",
    ]
    return "\n".join(lines)


def write_outputs(summary, out):
    """Write ising.csv, ising.json, ising.md and, with matplotlib, figures;
    return the paths written."""
    fields = [
        "model",
        "L",
        "accuracy",
        "inverted_accuracy",
        "ordered_accuracy",
        "ordered_inverted_accuracy",
        "tc_A",
        "tc_B",
        "extrapolated_tc_A",
        "extrapolated_tc_B",
    ]
    with open(out / "ising.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for model in summary["models"]:
            for L, size in model["sizes"].items():
                writer.writerow(
                    {
                        "model": model["model"],
                        "L": L,
                        **{key: size[key] for key in fields[2:8]},
                        "extrapolated_tc_A": model["protocol_A"]["extrapolated_tc"],
                        "extrapolated_tc_B": model["protocol_B"]["extrapolated_tc"],
                    }
                )
    with open(out / "ising.json", "w") as f:
        json.dump(summary, f, indent=2)
    report = format_report(summary, markdown=True)
    figures, written = save_figures(
        out,
        [
            ("ising_probability.png", "probability", lambda: _curves(summary, "A")),
            ("ising_confusion.png", "confusion", lambda: _curves(summary, "B")),
            ("ising_binder.png", "binder", lambda: _binder(summary)),
            ("ising_configurations.png", "configurations", _configurations),
        ],
        dpi=110,
    )
    (out / "ising.md").write_text(report + figures)
    return [out / f"ising.{ext}" for ext in ("csv", "json", "md")] + written


def _grid(n):
    import matplotlib.pyplot as plt

    columns = min(n, 2)  # two panels side by side still read at page width
    rows = -(-n // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.9 * columns, 3.1 * rows + 0.6), sharey=True
    )
    return fig, np.atleast_1d(axes).ravel()


def _curves(result, kind):
    """Probability of "ordered" (A) or confusion accuracy (B) per model."""

    models = result["models"]
    fig, axes = _grid(len(models))
    temperatures = np.array(result["temperatures"])
    for ax, model in zip(axes, models, strict=False):
        for L, size in model["sizes"].items():
            if kind == "A":
                (line,) = ax.plot(temperatures, size["probability_curve"], "-", lw=1.2)
                tc = size["tc_A"]
                if np.isfinite(tc):
                    ax.plot(tc, 0.5, "o", color=line.get_color(), ms=4)
            else:
                (line,) = ax.plot(
                    size["confusion_t_star"], size["confusion_accuracy"], ".-", lw=1
                )
                if np.isfinite(size["tc_B"]):
                    ax.axvline(size["tc_B"], color=line.get_color(), lw=0.8, ls=":")
            line.set_label(f"L = {L}")
        ax.axvline(result["onsager_tc"], color="black", lw=0.8, ls="--")
        if kind == "A":
            ax.axhline(0.5, color="grey", lw=0.6)
        ax.set_title(model["model"], fontsize=9)
        ax.set_xlabel("T" if kind == "A" else "trial T*", fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in axes[len(models) :]:
        ax.set_axis_off()
    axes[0].set_ylabel(
        'P("ordered"), out of fold' if kind == "A" else "CV accuracy", fontsize=8
    )
    axes[0].legend(fontsize=8, loc="lower left" if kind == "A" else "upper center")
    title = (
        'Protocol A: probability of "ordered" against T\n(dots: crossings of '
        "1/2; dashed: Onsager's T_c)"
        if kind == "A"
        else "Protocol B, learning by confusion: accuracy against trial T*\n"
        "(dotted: middle peaks; dashed: Onsager's T_c)"
    )
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _binder(result):
    import matplotlib.pyplot as plt

    temperatures = np.array(result["temperatures"])
    binder = result["binder"]
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(7.5, 3.6))
    for L, curve in binder["curves"].items():
        for axis in (ax, zoom):
            axis.plot(temperatures, curve, ".-", lw=1, label=f"L = {L}")
    for axis in (ax, zoom):
        axis.axvline(result["onsager_tc"], color="black", lw=0.8, ls="--")
        axis.axvline(binder["crossing_tc"], color="tab:red", lw=0.8, ls=":")
        axis.set_xlabel("T")
    tc = result["onsager_tc"]
    zoom.set_xlim(tc - 0.15, tc + 0.15)
    zoom.set_ylim(0.45, 0.67)
    zoom.set_title("near T_c (dotted: the crossing taken as estimate)", fontsize=9)
    ax.set_ylabel("U = 1 - <m^4> / (3 <m^2>^2)")
    ax.set_title("Binder cumulant (dashed: Onsager's T_c)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _configurations():
    """Configurations of L = 64 below, at and above T_c."""
    import matplotlib.pyplot as plt

    from ...datasets import make_ising
    from ...datasets._internal import CRITICAL_TEMPERATURE
    from .._seeds import DATA_SEED

    temperatures = [1.8, CRITICAL_TEMPERATURE, 3.0]
    data = make_ising(64, temperatures, 1, random_state=DATA_SEED)
    fig, axes = plt.subplots(1, 3, figsize=(8, 3.1))
    for ax, row, t, m in zip(
        axes, data.data, temperatures, data.magnetization, strict=True
    ):
        ax.imshow(row.reshape(64, 64), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_title(f"T = {t:.3f}, m = {m:+.2f}", fontsize=9)
        ax.set_axis_off()
    fig.suptitle(
        "2D Ising, L = 64: below, at and above T_c (black +1, white -1)", fontsize=10
    )
    fig.tight_layout()
    return fig
