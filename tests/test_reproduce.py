"""``sk-symmetry reproduce``: the paper's findings on a quick run, and bad arguments."""

import csv
import json
import subprocess
import sys

import pytest

from sk_symmetry.__main__ import main


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick leak-free run, shared by the tests below."""
    out = tmp_path_factory.mktemp("reproduce") / "out"
    assert main(["reproduce", "--quick", "--n-jobs", "2", "--out", str(out)]) == 0
    with open(out / "cells.json") as f:
        return out, json.load(f)


def _runs(result, **match):
    return [
        run
        for run in result["runs"]
        if all(run[key] == value for key, value in match.items())
    ]


def test_quick_run_writes_every_output(quick_run):
    out, result = quick_run
    names = {path.name for path in out.iterdir()}
    assert {"cells.csv", "cells.json", "report.md"} <= names
    assert not any(name.startswith(".partial") for name in names)
    with open(out / "cells.csv") as f:
        rows = list(csv.DictReader(f))
    # 4 raw-feature cells (bias x practice) and 6 invariant ones (bias x kind).
    assert len(rows) == len(result["cells"]) == 10
    report = (out / "report.md").read_text()
    assert "Table I" in report and "Table II" in report
    pytest.importorskip("matplotlib")
    assert {"figure1.png", "accuracy.png"} <= names


def test_biasless_raw_models_obey_the_bound(quick_run):
    """R + R_bar <= 1 for every biasless network on raw pixels (Sec. II.B)."""
    _, result = quick_run
    runs = _runs(result, fit_bias=False, features="raw")
    assert len(runs) == 2  # trained on X and on +-X
    for run in runs:
        assert run["accuracy"] + run["inverted_accuracy"] <= 1.0
    trained_on_x = _runs(result, fit_bias=False, features="raw", trained_on="X")[0]
    assert trained_on_x["accuracy"] > 0.5  # it learned, so -X is below chance


def test_invariant_features_score_the_same_on_x_and_minus_x(quick_run):
    _, result = quick_run
    for kind in ("square", "neighbor", "permutation"):
        for run in _runs(result, features=kind):
            assert run["accuracy"] == run["inverted_accuracy"]
            assert run["accuracy"] > 0.4


def test_sign_keeping_features_beat_squares(quick_run):
    """Sec. V: features that keep relative signs beat x_i^2."""
    _, result = quick_run
    for fit_bias in (False, True):
        square = _runs(result, features="square", fit_bias=fit_bias)[0]["accuracy"]
        for kind in ("neighbor", "permutation"):
            run = _runs(result, features=kind, fit_bias=fit_bias)[0]
            assert run["accuracy"] > square


@pytest.mark.parametrize(
    "argv, message",
    [
        (["reproduce", "--protocol", "nature"], "invalid choice: 'nature'"),
        (["reproduce", "--n-jobs", "0"], "must be a positive number"),
        (["reproduce", "--n-jobs", "two"], "not an integer"),
        (["reproduce", "--max-iter", "0"], "must be at least 1"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_unwritable_out_fails_before_any_fit(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--quick", "--out", str(blocker / "results")])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert "cannot write there" in captured.err
    assert "[  1/" not in captured.err  # nothing was fitted
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "sk_symmetry", "reproduce", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "--protocol" in result.stdout


def test_quick_tune_scores_the_held_out_split_the_same_on_both(capsys):
    assert main(["tune", "--quick"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_candidates"] == 1
    assert result["test_accuracy"] == result["test_inverted_accuracy"]
    assert result["test_accuracy"] > 0.5
    assert result["best_params"]["features"] == "neighbor (horizontal)"


def test_paper_split_is_train_test_split_and_leak_free_splits_keep_groups():
    import numpy as np
    from sklearn.model_selection import train_test_split

    from sk_symmetry import load_shifted_digits
    from sk_symmetry.experiments.reproduce import make_protocol, protocol_splits

    data = load_shifted_digits()
    [(train, test)] = protocol_splits(make_protocol("paper"), data)
    expected_train, expected_test = train_test_split(
        np.arange(len(data.target)), test_size=0.2, random_state=0
    )
    np.testing.assert_array_equal(train, expected_train)
    np.testing.assert_array_equal(test, expected_test)
    # The paper's split leaks: shifted copies of test images are in training.
    assert np.isin(data.groups[test], data.groups[train]).any()
    splits = protocol_splits(make_protocol("leak-free"), data)
    assert len(splits) == 5
    for train, test in splits:
        assert not np.isin(data.groups[test], data.groups[train]).any()
