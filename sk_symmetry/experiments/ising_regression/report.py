"""Table and files of ``sk-symmetry ising-regression``."""

import json

from .._tables import table_lines, write_csv

__all__ = ["format_report", "write_outputs"]

_HEADER = ["y", "features", "network", "training", "R^2 test", "R^2 -X",
           "worst R^2", "RMSE test", "RMSE -X", "worst RMSE", "same on -X",
           "R^2 m<0"]


def _table(summary, *, markdown):
    body = [
        [r["observable"] + (" (odd)" if r["target"] == "odd" else " (even)"),
         r["features"], r["network"], r["training"],
         f"{r['r2_test']:.4f}", f"{r['r2_flipped']:.4f}", f"{r['r2_worst']:.4f}",
         f"{r['rmse_test']:.4f}", f"{r['rmse_flipped']:.4f}", f"{r['rmse_worst']:.4f}",
         "exactly" if r["same_on_flipped"] else "no", f"{r['r2_negative']:.4f}"]
        for r in summary["rows"]
    ]
    return table_lines(_HEADER, body, markdown=markdown)


def _check_line(summary):
    check = summary["check"]
    return (
        f"magnetization, trained on m > 0: worst-case R^2 over X and -X (lowest "
        f"over seeds) {check['biasless_m_worst_r2']:.4f} biasless, "
        f"{check['biased_m_worst_r2']:.4f} with biases; target >= "
        f"{check['target']} for the biasless one: "
        f"{'met' if check['met'] else 'NOT MET'}"
    )


def format_report(summary, *, markdown=False):
    """The protocol, the table (means over seeds) and the check, as printed
    or as the Markdown report."""
    if markdown:
        return "\n".join([
            "# Ising regression", "", summary["protocol"], "",
            *_table(summary, markdown=True), "", _check_line(summary), "",
        ])
    return "\n".join([
        f"Ising regression: {summary['protocol']}",
        "",
        *_table(summary, markdown=False),
        "",
        "(means over seeds; -X is the sign-flipped test set, scored against -m "
        "for m and E for E; R^2 m<0: on the test configurations of the sign "
        "never trained on)",
        _check_line(summary),
    ])


def write_outputs(summary, out):
    """Write ising-regression.csv (one line per row), .json (everything) and
    .md; return the paths written."""
    csv_path = out / "ising-regression.csv"
    write_csv(csv_path, summary["rows"])
    json_path = out / "ising-regression.json"
    json_path.write_text(json.dumps(summary, indent=2))
    md_path = out / "ising-regression.md"
    md_path.write_text(format_report(summary, markdown=True))
    return [csv_path, json_path, md_path]
