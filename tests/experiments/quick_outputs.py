"""What a command's quick run (conftest.cli_quick_run) leaves in its folder."""

import csv

import pytest


def written_files(out, command):
    """The names of the files in ``out``, once the command's CSV, JSON and
    Markdown files are among them and no hidden or partial file is left."""
    names = {path.name for path in out.iterdir()}
    assert {f"{command}.csv", f"{command}.json", f"{command}.md"} <= names
    assert not any(name.startswith(".") for name in names)
    return names


def csv_rows(out, command):
    """The rows of the command's CSV file, as dicts."""
    with open(out / f"{command}.csv") as f:
        return list(csv.DictReader(f))


def assert_figures(names, *figures):
    """The figures are among ``names``; where matplotlib is missing the
    command writes none, and the test skips here."""
    pytest.importorskip("matplotlib")
    assert set(figures) <= names
