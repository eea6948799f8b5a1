"""The printed and written outcome of ``sk-symmetry tune``."""

import json

__all__ = ["format_report", "write_outputs"]


def format_report(summary, *, markdown=False):
    """The search's outcome as indented JSON (the same text either way)."""
    return json.dumps(summary, indent=2)


def write_outputs(summary, out):
    """Write tune.json, the printed JSON; return the paths written."""
    path = out / "tune.json"
    path.write_text(format_report(summary))
    return [path]
