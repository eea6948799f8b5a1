"""The experiments' tests: a figure too small to read at page width, or cut
off, is an error in every test of this folder; and the command line's quick
run, shared by the test modules of the commands."""

import json
from pathlib import Path

import pytest

_HERE = Path(__file__).parent
_UNREADABLE_FIGURE_IS_AN_ERROR = pytest.mark.filterwarnings(
    "error::sk_symmetry.experiments._tables.UnreadableFigureWarning"
)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(_UNREADABLE_FIGURE_IS_AN_ERROR)


@pytest.fixture(scope="module")
def cli_quick_run(request, tmp_path_factory):
    """``sk-symmetry COMMAND --quick --n-jobs 2 --out FOLDER``, run once per
    test module that sets ``COMMAND``: the folder and its ``COMMAND.json``."""
    from sk_symmetry.__main__ import main

    command = request.module.COMMAND
    out = tmp_path_factory.mktemp(command) / "out"
    assert main([command, "--quick", "--n-jobs", "2", "--out", str(out)]) == 0
    with open(out / f"{command}.json") as f:
        return out, json.load(f)
