"""``ising-regression``: the module protocol, run quick, end to end."""

import argparse
import json

import pytest

from sk_symmetry.__main__ import main
from sk_symmetry.experiments.ising_regression import report
from sk_symmetry.experiments.ising_regression import run as ising_regression


@pytest.fixture(scope="module")
def ising_regression_quick_run():
    parser = argparse.ArgumentParser()
    ising_regression.add_arguments(parser)
    args = parser.parse_args(["--n-seeds", "1"])
    args.quick = True
    protocol = ising_regression.make_protocol(args)
    records = ising_regression.run(protocol, n_jobs=1, progress=None)
    return protocol, records, ising_regression.summarize(protocol, records)


def test_quick_protocol_is_small(ising_regression_quick_run):
    protocol, records, _ = ising_regression_quick_run
    assert protocol.L == 8 and protocol.seeds == (0,)
    assert len(records) == len(ising_regression.ROWS)


def test_odd_and_invariant_models_score_the_same_on_flipped_spins(
    ising_regression_quick_run,
):
    _, _, summary = ising_regression_quick_run
    for row in summary["rows"]:
        odd_network = row["network"] == "BiaslessMLPRegressor"
        guaranteed = (odd_network and row["target"] == "odd") or (
            row["features"] == "neighbour products") or row["network"].endswith(
            "symmetrized")
        if guaranteed:
            assert row["same_on_flipped"], row
            assert row["r2_test"] == row["r2_flipped"]
        elif row["features"] == "raw" and row["observable"] == "E":
            # an odd network for an even target: not the same on -X
            assert not row["same_on_flipped"], row


def test_the_symmetrized_biased_network_is_exactly_odd(ising_regression_quick_run):
    # SymmetrizedRegressor(target="odd") around the biased MLPRegressor: the
    # scores on X and -X are equal seed by seed, where the plain biased
    # network's are not (issue 27).
    _, records, _ = ising_regression_quick_run
    (symmetrized,) = [r for r in records if r["symmetrized"]]
    (plain,) = [
        r for r in records
        if r["fit_bias"] and r["observable"] == "m" and not r["orbit"]
        and not r["symmetrized"]
    ]
    assert symmetrized["r2_test"] == symmetrized["r2_flipped"]
    assert symmetrized["rmse_test"] == symmetrized["rmse_flipped"]
    assert plain["r2_test"] != plain["r2_flipped"]


def test_report_and_files(ising_regression_quick_run, tmp_path):
    _, _, summary = ising_regression_quick_run
    text = report.format_report(summary)
    assert "worst R^2" in text and "BiaslessMLPRegressor" in text
    paths = report.write_outputs(summary, tmp_path)
    assert sorted(p.name for p in paths) == [
        "ising-regression.csv", "ising-regression.json", "ising-regression.md"]
    loaded = json.loads((tmp_path / "ising-regression.json").read_text())
    assert loaded["check"]["target"] == ising_regression.TARGET_R2
    assert len(loaded["rows"]) == len(ising_regression.ROWS)


def test_bad_options_are_named_in_the_protocol():
    # Called from code, past the parser: the protocol still refuses them.
    args = argparse.Namespace(quick=False, size=1, n_seeds=None)
    with pytest.raises(ValueError, match="--size"):
        ising_regression.make_protocol(args)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--size", "1"], "argument --size: must be at least 2, got 1"),
        (["--size", "0"], "argument --size: must be at least 2, got 0"),
        (["--size", "-3"], "argument --size: must be at least 2, got -3"),
        (["--size", "x"], "argument --size: not an integer: 'x'"),
        (["--n-seeds", "0"], "argument --n-seeds: must be at least 1, got 0"),
        (["--n-seeds", "-2"], "argument --n-seeds: must be at least 1, got -2"),
    ],
)
def test_bad_options_are_usage_errors(argv, message, capsys):
    # Issue 26, item 7: argparse's usage error and exit 2, not a traceback.
    with pytest.raises(SystemExit) as exc:
        main(["ising-regression", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sk-symmetry ising-regression ")
    assert message in err
