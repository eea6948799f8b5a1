"""``sk-symmetry reproduce``: the paper's findings on a quick run, and bad arguments."""

import json
import os
import re
import subprocess
import sys

import pytest
from quick_outputs import assert_figures, csv_rows, written_files

from sk_symmetry.__main__ import main

# The quick run of conftest.cli_quick_run (an unreadable figure fails it).
COMMAND = "reproduce"


def _runs(result, **match):
    return [
        run
        for run in result["runs"]
        if all(run[key] == value for key, value in match.items())
    ]


def test_quick_run_writes_every_output(cli_quick_run):
    out, result = cli_quick_run
    names = written_files(out, COMMAND)
    rows = csv_rows(out, COMMAND)
    # 4 raw-feature cells (bias x practice) and 6 invariant ones (bias x kind).
    assert len(rows) == len(result["cells"]) == 10
    report = (out / "reproduce.md").read_text()
    assert "Table I" in report and "Table II" in report
    assert_figures(names, "reproduce_figure1.png", "reproduce_accuracy.png")


def test_report_has_a_heading_and_the_budget_note(cli_quick_run):
    from sk_symmetry.experiments.reproduce.report import BUDGET_NOTE, REPORT_TITLE

    out, _ = cli_quick_run
    report = (out / "reproduce.md").read_text()
    assert report.startswith(f"# {REPORT_TITLE}\n")
    assert " ".join(BUDGET_NOTE.split()) in " ".join(report.split())


def test_figures_name_the_protocol_and_the_tables_features(cli_quick_run):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from sk_symmetry.experiments.reproduce.report import accuracy_figure, figure_1
    from sk_symmetry.experiments.reproduce.run import summarize_cells

    _, result = cli_quick_run
    rows = summarize_cells(result["runs"])
    fig = accuracy_figure(rows, result["protocol"])
    [ax] = [a for a in fig.axes if a.get_xticklabels()]
    title = ax.get_title()
    assert title.startswith("Accuracy on X_test and -X_test, protocol leak-free")
    labels = [label.get_text() for label in ax.get_xticklabels()]
    plt.close(fig)
    # The tables' names, typeset: x_i, x_i^2, x_i x_{i+e1}, x_i x_{P(i)}.
    typeset = {"x_i": "$x_i$", "x_i^2": "$x_i^2$"}
    typeset["x_i x_{i+e1}"] = r"$x_i\,x_{i+e_1}$"
    typeset["x_i x_{P(i)}"] = r"$x_i\,x_{P(i)}$"
    table = _table_features(result)
    assert [label.split("\n")[1] for label in labels] == [typeset[f] for f in table]
    fig = figure_1()
    titles = [a.get_title() for a in fig.axes]
    plt.close(fig)
    # Subscripts and braces only inside $...$, where matplotlib typesets them.
    assert not any(re.search(r"[_{}^]", re.sub(r"\$[^$]*\$", "", t)) for t in titles)


def _table_features(result):
    """The features column of the text tables, in order."""
    from sk_symmetry.experiments.reproduce.report import format_report
    from sk_symmetry.experiments.reproduce.run import summarize_cells

    cells = summarize_cells(result["runs"])
    text = format_report({"cells": cells, "protocol": result["protocol"]})
    return [
        re.split(r"\s{2,}", line)[1]
        for line in text.splitlines()
        if line.startswith(("no ", "yes "))
    ]


def test_biasless_raw_models_obey_the_bound(cli_quick_run):
    """R + R_bar <= 1 for every biasless network on raw pixels (Sec. II.B)."""
    _, result = cli_quick_run
    runs = _runs(result, fit_bias=False, features="raw")
    assert len(runs) == 2  # trained on X and on +-X
    for run in runs:
        assert run["accuracy"] + run["inverted_accuracy"] <= 1.0
    trained_on_x = _runs(result, fit_bias=False, features="raw", trained_on="X")[0]
    assert trained_on_x["accuracy"] > 0.5  # it learned, so -X is below chance


def test_invariant_features_score_the_same_on_x_and_minus_x(cli_quick_run):
    _, result = cli_quick_run
    for kind in ("square", "neighbor", "permutation"):
        for run in _runs(result, features=kind):
            assert run["accuracy"] == run["inverted_accuracy"]
            assert run["accuracy"] > 0.4


def test_sign_keeping_features_beat_squares(cli_quick_run):
    """Sec. V: features that keep relative signs beat x_i^2."""
    _, result = cli_quick_run
    for fit_bias in (False, True):
        square = _runs(result, features="square", fit_bias=fit_bias)[0]["accuracy"]
        for kind in ("neighbor", "permutation"):
            run = _runs(result, features=kind, fit_bias=fit_bias)[0]
            assert run["accuracy"] > square


@pytest.mark.parametrize(
    "argv, message",
    [
        (["reproduce", "--protocol", "nature"], "invalid choice: 'nature'"),
        (["reproduce", "--n-jobs", "0"], "must not be 0"),
        (["reproduce", "--n-jobs", "two"], "not an integer"),
        (["reproduce", "--max-iter", "0"], "must be at least 1"),
        (["reproduce", "--bogus"], "unrecognized arguments: --bogus"),
        (["tune", "--n-jobs", "0"], "must not be 0"),
        (["tune", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_exit_with_the_command_s_usage(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith(f"usage: sk-symmetry {argv[0]} ")


def test_no_command_names_the_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "choose a command" in err
    assert "'reproduce'" in err and "'tune'" in err


def test_version(capsys):
    from sk_symmetry import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"sk-symmetry {__version__}"


@pytest.mark.parametrize("command", ["reproduce", "tune"])
def test_help_gives_every_option_and_its_default(command, capsys):
    from sk_symmetry.__main__ import _parser

    _, commands = _parser()
    for action in commands[command]._actions:
        if "--help" not in action.option_strings:
            assert action.help and "default:" in action.help, action.option_strings
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: 1)" in out  # --n-jobs
    assert "(default: none, nothing is written)" in out  # --out


@pytest.mark.parametrize("command", ["reproduce", "tune"])
@pytest.mark.parametrize("n_jobs", [-1, -2, 3])
def test_n_jobs_accepts_what_joblib_accepts(command, n_jobs):
    from sk_symmetry.__main__ import _parser

    parser, _ = _parser()
    assert parser.parse_args([command, "--n-jobs", str(n_jobs)]).n_jobs == n_jobs


@pytest.fixture
def no_fit(monkeypatch):
    """Make any fit fail the test: checks must come before the work."""

    def fit(*args, **kwargs):
        raise AssertionError("a fit started")

    from sk_symmetry.experiments.reproduce import run as reproduce
    from sk_symmetry.experiments.tune import run as tune

    monkeypatch.setattr(reproduce, "run_experiment", fit)
    monkeypatch.setattr(tune, "tune_invariant_network", fit)


def _blocked_out(tmp_path, how):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    if how == "file in the way":
        return blocker / "results"
    if how == "out is a file":
        return blocker
    if how == "name too long":  # the parent is a writable folder: only a probe tells
        return tmp_path / ("x" * 300) / "results"
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; the other cases cover it")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    return locked / "results"


@pytest.mark.parametrize("command", ["reproduce", "tune"])
@pytest.mark.parametrize(
    "how", ["file in the way", "out is a file", "name too long", "read-only"]
)
def test_unwritable_out_fails_before_any_fit(command, how, tmp_path, no_fit, capsys):
    out = _blocked_out(tmp_path, how)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as exc:
        main([command, "--quick", "--out", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: sk-symmetry {command} ")
    assert f"--out {out}: cannot write there" in err
    assert sorted(tmp_path.rglob("*")) == before


def test_probe_leaves_nothing_behind_when_the_run_stops(tmp_path, monkeypatch):
    from sk_symmetry.experiments.reproduce import run as reproduce

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(reproduce, "run_experiment", interrupted)
    out = tmp_path / "new" / "results"
    with pytest.raises(KeyboardInterrupt):
        main(["reproduce", "--quick", "--out", str(out)])
    assert list(tmp_path.iterdir()) == []


def test_without_out_says_nothing_was_written(cli_quick_run, monkeypatch, capsys):
    from sk_symmetry.experiments.reproduce import run as reproduce

    _, result = cli_quick_run
    monkeypatch.setattr(reproduce, "run_experiment", lambda *a, **k: result["runs"])
    assert main(["reproduce", "--quick"]) == 0
    captured = capsys.readouterr()
    assert "Table II" in captured.out
    assert "Nothing was written" in captured.err


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "sk_symmetry", "reproduce", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "--protocol" in result.stdout


@pytest.mark.slow
def test_quick_tune_scores_the_held_out_split_the_same_on_both(tmp_path, capsys):
    out = tmp_path / "tune"
    assert main(["tune", "--quick", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert json.loads((out / "tune.json").read_text()) == result
    assert result["n_candidates"] == 1
    assert result["test_accuracy"] == result["test_inverted_accuracy"]
    assert result["test_accuracy"] > 0.5
    assert result["best_params"]["features"] == "neighbor (horizontal)"


def test_tune_without_out_says_nothing_was_written(monkeypatch, capsys):
    from sk_symmetry.experiments.tune import run as tune

    monkeypatch.setattr(tune, "tune_invariant_network", lambda **kw: {"n": 1})
    assert main(["tune"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"n": 1}
    assert "Nothing was written" in captured.err


def test_paper_split_is_train_test_split_and_leak_free_splits_keep_groups():
    import numpy as np
    from sklearn.model_selection import train_test_split

    from sk_symmetry import load_shifted_digits
    from sk_symmetry.experiments.reproduce.run import named_protocol, protocol_splits

    data = load_shifted_digits()
    [(train, test)] = protocol_splits(named_protocol("paper"), data)
    expected_train, expected_test = train_test_split(
        np.arange(len(data.target)), test_size=0.2, random_state=0
    )
    np.testing.assert_array_equal(train, expected_train)
    np.testing.assert_array_equal(test, expected_test)
    # The paper's split leaks: shifted copies of test images are in training.
    assert np.isin(data.groups[test], data.groups[train]).any()
    splits = protocol_splits(named_protocol("leak-free"), data)
    assert len(splits) == 5
    for train, test in splits:
        assert not np.isin(data.groups[test], data.groups[train]).any()


@pytest.mark.parametrize(
    "address",
    ["tcp://127.0.0.1:notaport", "udp://127.0.0.1:8786", "tcp://127.0.0.1:99999"],
)
def test_malformed_scheduler_address_is_a_usage_error_at_once(
    address, no_fit, capsys
):
    """Issue #18, item 12: no connection is tried (it took about 60 s)."""
    pytest.importorskip("distributed")
    import time

    start = time.perf_counter()
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--quick", "--backend", "dask", "--scheduler", address])
    assert time.perf_counter() - start < 5
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sk-symmetry reproduce ")
    assert f"--scheduler {address}: " in err


def test_commands_sharing_an_out_folder_keep_each_other_s_files(
    cli_quick_run, tmp_path, monkeypatch, capsys
):
    """Issue #18, item 14: every file is named after its command."""
    from sk_symmetry.experiments.groups import report as groups_report
    from sk_symmetry.experiments.groups import run as groups
    from sk_symmetry.experiments.ising import run as ising
    from sk_symmetry.experiments.reproduce import run as reproduce

    _, result = cli_quick_run
    out = tmp_path / "shared"
    monkeypatch.setattr(reproduce, "run_experiment", lambda *a, **k: result["runs"])
    assert main(["reproduce", "--quick", "--out", str(out)]) == 0
    written = {path: path.read_bytes() for path in out.iterdir()}
    # Another command's run, faked to be quick: it writes a report too.
    monkeypatch.setattr(groups, "run_groups", lambda *a, **k: [])
    monkeypatch.setattr(groups, "summarize_groups", lambda records: [])
    monkeypatch.setattr(
        groups_report, "write_outputs",
        lambda summary, out: [(out / "report.md").write_text("groups")],
    )
    assert main(["groups", "--quick", "--out", str(out)]) == 0
    for path, content in written.items():
        assert path.read_bytes() == content, path.name
    assert (out / "groups_report.md").read_text() == "groups"
    names = {path.name for path in out.iterdir()}
    assert all(name.startswith(("reproduce", "groups_")) for name in names)
    help_text = capsys.readouterr().out
    for experiment in (reproduce, groups, ising):
        with pytest.raises(SystemExit):
            main([experiment.NAME, "--help"])
        help_text = " ".join(capsys.readouterr().out.split())
        assert f"Every file is named after the command ({experiment.NAME}.json" in (
            help_text
        )
