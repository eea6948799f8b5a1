"""The experiments' one protocol: the registry drives the command line."""

import json
import types

import pytest

from sk_symmetry import __main__ as cli
from sk_symmetry.__main__ import _parser, main
from sk_symmetry.experiments._registry import EXPERIMENTS

COMMON = {"--quick", "--n-jobs", "--backend", "--scheduler", "--out"}
FUNCTIONS = (
    "add_arguments", "make_protocol", "run", "summarize", "format_report",
    "write_outputs",
)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.NAME)
def test_every_experiment_follows_the_protocol(experiment):
    assert isinstance(experiment.NAME, str) and isinstance(experiment.HELP, str)
    assert "\n" not in experiment.HELP
    for name in FUNCTIONS:
        assert callable(getattr(experiment, name)), name
    _, commands = _parser()
    options = {
        option
        for action in commands[experiment.NAME]._actions
        for option in action.option_strings
    }
    assert COMMON <= options


def test_names_are_unique_and_the_help_lists_every_command(capsys):
    names = [e.NAME for e in EXPERIMENTS]
    assert len(set(names)) == len(names)
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for experiment in EXPERIMENTS:
        assert experiment.NAME in out and experiment.HELP in " ".join(out.split())


def _fake_experiment(calls):
    """A new experiment, as another author would write it."""

    def add_arguments(parser):
        parser.add_argument("--size", type=int, default=3, help="(default: 3)")

    def make_protocol(args):
        return {"size": args.size, "quick": args.quick}

    def run(protocol, *, n_jobs, backend, scheduler):
        calls.append((protocol, n_jobs, backend, scheduler))
        return list(range(protocol["size"]))

    def summarize(protocol, records):
        return {"protocol": protocol, "total": sum(records)}

    def format_report(summary):
        return f"total {summary['total']}"

    def write_outputs(summary, out):
        paths = [out / "fake.json", out / "report.md"]
        paths[0].write_text(json.dumps(summary))
        paths[1].write_text(format_report(summary))
        return paths

    return types.SimpleNamespace(
        NAME="fake", HELP="a new experiment", add_arguments=add_arguments,
        make_protocol=make_protocol, run=run, summarize=summarize,
        format_report=format_report, write_outputs=write_outputs,
    )


def test_a_new_experiment_needs_only_its_module_and_a_registry_entry(
    monkeypatch, tmp_path, capsys
):
    calls = []
    monkeypatch.setattr(cli, "EXPERIMENTS", (*EXPERIMENTS, _fake_experiment(calls)))
    out = tmp_path / "out"
    assert main(["fake", "--size", "4", "--n-jobs", "2", "--out", str(out)]) == 0
    assert calls == [({"size": 4, "quick": False}, 2, "loky", None)]
    captured = capsys.readouterr()
    assert captured.out == "total 6\n"
    # Its own name is kept; another is prefixed with the command's.
    assert sorted(p.name for p in out.iterdir()) == ["fake.json", "fake_report.md"]
    assert json.loads((out / "fake.json").read_text())["total"] == 6
