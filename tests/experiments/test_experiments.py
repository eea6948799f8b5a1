"""The experiments' one shape: the registry drives the command line."""

import inspect
import json
import types

import pytest

from sk_symmetry import __main__ as cli
from sk_symmetry.__main__ import _parser, main
from sk_symmetry.experiments._protocol import Protocol
from sk_symmetry.experiments._registry import EXPERIMENTS, Experiment

COMMON = {"--quick", "--n-jobs", "--backend", "--scheduler", "--out"}
RUN_FUNCTIONS = ("add_arguments", "make_protocol", "run", "summarize")
REPORT_FUNCTIONS = ("format_report", "write_outputs")


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_every_experiment_has_the_one_shape(experiment):
    run, report = experiment.run, experiment.report
    assert isinstance(run.NAME, str) and isinstance(run.HELP, str)
    assert "\n" not in run.HELP
    # A folder per experiment: run.py and report.py side by side.
    folder = run.__name__.rpartition(".")[0]
    assert run.__name__ == f"{folder}.run"
    assert report.__name__ == f"{folder}.report"
    for name in RUN_FUNCTIONS:
        assert callable(getattr(run, name)), name
    for name in REPORT_FUNCTIONS:
        assert callable(getattr(report, name)), name
    # The report's two functions and their argument order, the same everywhere.
    assert list(inspect.signature(report.format_report).parameters) == [
        "summary", "markdown"
    ]
    assert list(inspect.signature(report.write_outputs).parameters) == [
        "summary", "out"
    ]
    _, commands = _parser()
    options = {
        option
        for action in commands[run.NAME]._actions
        for option in action.option_strings
    }
    assert COMMON <= options


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_every_protocol_is_of_the_one_type(experiment):
    _, commands = _parser()
    for quick in ([], ["--quick"]):
        args = commands[experiment.name].parse_args(quick)
        protocol = experiment.run.make_protocol(args)
        assert isinstance(protocol, Protocol)
        assert isinstance(protocol.describe(), str)


def test_names_are_unique_and_the_help_lists_every_command(capsys):
    names = [e.name for e in EXPERIMENTS]
    assert len(set(names)) == len(names)
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for experiment in EXPERIMENTS:
        run = experiment.run
        assert run.NAME in out and run.HELP in " ".join(out.split())


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

    def format_report(summary, *, markdown=False):
        return f"total {summary['total']}"

    def write_outputs(summary, out):
        paths = [out / "fake.json", out / "report.md"]
        paths[0].write_text(json.dumps(summary))
        paths[1].write_text(format_report(summary))
        return paths

    return Experiment(
        run=types.SimpleNamespace(
            NAME="fake", HELP="a new experiment", add_arguments=add_arguments,
            make_protocol=make_protocol, run=run, summarize=summarize,
        ),
        report=types.SimpleNamespace(
            format_report=format_report, write_outputs=write_outputs
        ),
    )


def test_a_new_experiment_needs_only_its_run_and_report_and_a_registry_entry(
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


def _ran(calls):
    """A fake experiment whose run is recorded in ``calls``."""
    return (*EXPERIMENTS, _fake_experiment(calls))


def test_a_folder_in_the_way_is_refused_before_the_run(monkeypatch, tmp_path, capsys):
    # Issue 26, item 6: a folder named like one of the command's files.
    calls = []
    monkeypatch.setattr(cli, "EXPERIMENTS", _ran(calls))
    out = tmp_path / "out"
    (out / "fake.md").mkdir(parents=True)
    with pytest.raises(SystemExit) as exc:
        main(["fake", "--out", str(out)])
    assert exc.value.code == 2
    assert "fake.md" in capsys.readouterr().err
    assert calls == []  # nothing ran
    assert sorted(p.name for p in out.iterdir()) == ["fake.md"]


def test_no_file_moves_when_one_destination_is_a_folder(monkeypatch, tmp_path, capsys):
    # A name only the run knows (a figure): found after the run, before any move.
    monkeypatch.setattr(cli, "EXPERIMENTS", _ran([]))
    out = tmp_path / "out"
    (out / "fake_report.md").mkdir(parents=True)
    (out / "fake.json").write_text("old")
    assert main(["fake", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "fake_report.md" in err and "is a folder" in err
    # The old file is untouched and the new files are kept where it says.
    assert (out / "fake.json").read_text() == "old"
    [kept] = [p for p in out.iterdir() if p.name.startswith(".partial-")]
    assert str(kept) in err
    assert sorted(p.name for p in kept.iterdir()) == ["fake.json", "report.md"]


def test_no_time_left_is_guessed_from_the_first_finished_tasks():
    from sk_symmetry.experiments._runner import time_left

    # Issue 26: the first task pays the workers' start-up (here 100 s), and an
    # estimate from it alone said ~1,300 s left on a run that took 160 s.
    assert time_left([100.0], 20) is None
    assert time_left([100.0, 101.0], 20) is None
    # From the third on: the rate since the first finish, start-up excluded.
    assert time_left([100.0, 101.0, 102.0], 20) == 17.0


def test_progress_lines_and_a_note_on_what_the_last_tasks_wait_for():
    import io

    from sk_symmetry.experiments._runner import run_tasks

    progress = io.StringIO()
    out = run_tasks(
        abs, [(-i,) for i in range(5)], describe=lambda i, r: f"task {i}",
        progress=progress,
        waiting=lambda pending: "waiting for the last" if pending == [4] else None,
    )
    assert out == [0, 1, 2, 3, 4]
    lines = progress.getvalue().splitlines()
    assert [line.split(" |")[0] for line in lines] == [
        "[  1/5] task 0", "[  2/5] task 1", "[  3/5] task 2", "[  4/5] task 3",
        "waiting for the last", "[  5/5] task 4",
    ]
    assert [line.endswith("s left") for line in lines if "|" in line] == [
        False, False, True, True, True
    ]


def test_figure_problems_finds_small_and_cut_off_text():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sk_symmetry.experiments._tables import figure_problems

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.set_title("a title that reads")
    ax.tick_params(labelsize=9)
    assert figure_problems(fig) == []
    # Issue 26: a wide figure shown at page width shrinks its ticks...
    fig.set_size_inches(14, 3)
    assert any("px high" in p for p in figure_problems(fig))
    # ... and a title wider than the figure is cut off.
    fig.set_size_inches(6, 3)
    ax.set_title("a title far too long for its figure " * 3)
    assert any("runs past the figure's edge" in p for p in figure_problems(fig))
    plt.close(fig)


def test_save_figures_warns_about_an_unreadable_figure(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sk_symmetry.experiments._tables import UnreadableFigureWarning, save_figures

    def wide():
        fig, ax = plt.subplots(figsize=(14, 3))
        ax.plot([0, 1])
        return fig

    with pytest.warns(UnreadableFigureWarning, match="wide.png"):
        _, paths = save_figures(tmp_path, [("wide.png", "wide", wide)])
    assert [p.name for p in paths] == ["wide.png"]  # written all the same
