"""The command line's quick run, shared by the experiments' test modules."""

import json

import pytest


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
