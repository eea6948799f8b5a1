"""``sk-symmetry ising``: a quick run, its outputs, the theorem, and its helpers
(canonical_spins, in the library: tests/features/test_spins.py)."""

import math

import numpy as np
import pytest
from quick_outputs import assert_figures, csv_rows, written_files

from sk_symmetry.__main__ import main
from sk_symmetry.experiments.ising.physics import (
    confusion_peak,
    extrapolate,
    probability_crossing,
)

TC = 2.0 / math.log(1.0 + math.sqrt(2.0))


# The quick run of conftest.cli_quick_run (an unreadable figure fails it).
COMMAND = "ising"


def _model(result, name):
    [model] = [m for m in result["models"] if m["model"] == name]
    return model


def test_quick_run_writes_every_output(cli_quick_run, capsys):
    out, result = cli_quick_run
    names = written_files(out, COMMAND)
    rows = csv_rows(out, COMMAND)
    assert len(rows) == len(result["models"]) * len(result["sizes"])
    assert "Binder cumulant crossings" in (out / "ising.md").read_text()
    for model in result["models"]:
        for kind in ("A", "B"):
            keys = [k for k in model[f"protocol_{kind}"] if "extrapolated" in k]
            assert "extrapolated_tc" in keys
    assert_figures(
        names, "ising_probability.png", "ising_confusion.png", "ising_binder.png",
        "ising_configurations.png",
    )


def test_biasless_raw_network_is_bound_by_the_theorem(cli_quick_run):
    """accuracy(X) + accuracy(-X) <= 1 for an odd network, in every phase."""
    _, result = cli_quick_run
    model = _model(result, "raw, no bias")
    for size in model["sizes"].values():
        assert size["accuracy"] + size["inverted_accuracy"] <= 1.0
        assert size["ordered_accuracy"] + size["ordered_inverted_accuracy"] <= 1.0


def test_invariant_models_score_the_same_on_x_and_minus_x(cli_quick_run):
    _, result = cli_quick_run
    names = ("canonical spins", "neighbour products", "permutation products",
             "raw, bias, symmetrized")
    for name in names:
        for size in _model(result, name)["sizes"].values():
            assert size["accuracy"] == size["inverted_accuracy"]
            assert size["accuracy"] > 0.6


def test_canonical_spins_find_tc_and_binder_crossing_is_close(cli_quick_run):
    """Even the quick run's small lattices put T_c(L) within 5% of Onsager's."""
    _, result = cli_quick_run
    for size in _model(result, "canonical spins")["sizes"].values():
        assert abs(size["tc_A"] - TC) / TC < 0.05
    assert abs(result["binder"]["relative_error"]) < 0.02


def test_probability_crossing_interpolates_the_steepest_drop():
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    p = np.array([1.0, 0.9, 0.3, 0.55, 0.45])
    assert probability_crossing(t, p) == pytest.approx(2.0 + 0.4 / 0.6)
    assert math.isnan(probability_crossing(t, np.ones(5)))


def test_confusion_peak_finds_the_vertex_of_the_middle_peak():
    t = np.linspace(1.0, 3.0, 21)
    majority = np.maximum(np.linspace(1, 0, 21), np.linspace(0, 1, 21))
    accuracy = np.maximum(majority, 1.0 - 2.0 * (t - 2.03) ** 2)
    assert confusion_peak(t, accuracy, majority) == pytest.approx(2.03)
    # A network that never beats the majority class has no peak.
    assert math.isnan(confusion_peak(t, np.full(21, 0.5), majority))


def test_extrapolation_recovers_tc_and_nu():
    sizes = np.array([8, 16, 32, 64])
    estimates = 2.27 + 0.5 / sizes
    fit = extrapolate(sizes, estimates)
    assert fit["extrapolated_tc"] == pytest.approx(2.27)
    assert fit["extrapolated_tc_fitted_nu"] == pytest.approx(2.27, abs=1e-6)
    assert fit["fitted_nu"] == pytest.approx(1.0, abs=1e-4)
    assert math.isnan(extrapolate([8], [2.3])["extrapolated_tc"])


def test_bad_arguments_exit_with_a_message(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ising", "--n-jobs", "0"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "sk-symmetry ising" in err and "--n-jobs: must not be 0" in err
