"""``sk-symmetry groups``: a quick run, its outputs and the identities it must show."""

import csv

import numpy as np
import pytest

COMMAND = "groups"  # the quick run of conftest.quick_run


def test_quick_run_writes_every_output(quick_run):
    out, result = quick_run
    names = {path.name for path in out.iterdir()}
    assert {"groups.csv", "groups.json", "groups.md"} <= names
    assert not any(name.startswith(".") for name in names)
    with open(out / "groups.csv") as f:
        rows = list(csv.DictReader(f))
    # --quick: five models under dihedral x inversion, four under inversion
    # (averages over all pairs only for the 16-element group), one split.
    assert len(rows) == len(result["cells"]) == 9
    assert (out / "groups.md").read_text().startswith("# ")
    pytest.importorskip("matplotlib")
    assert {"groups_heatmap.png", "groups_confusion.png"} <= names


def test_invariant_models_score_the_same_on_every_element(quick_run):
    _, result = quick_run
    for run in result["runs"]:
        scores = run["element_accuracy"]
        assert len(scores) == len(run["elements"]) == {"inversion": 2}.get(
            run["group"], 16
        )
        assert run["elements"][0] == "identity"
        if run["features"] != "raw":  # an identity, not an approximation
            assert scores == [scores[0]] * len(scores)
            assert run["changed"] == [0.0] * len(scores)


def test_summary_rows_agree_with_the_runs(quick_run):
    _, result = quick_run
    for cell in result["cells"]:
        (run,) = [
            r for r in result["runs"]
            if all(r[k] == cell[k] for k in ("group", "features", "trained_on"))
            and r["network"] == cell["network"]
        ]
        assert cell["accuracy_X"] == run["element_accuracy"][0]
        assert cell["worst_case"] == min(run["element_accuracy"])
        assert cell["orbit_mean"] == pytest.approx(np.mean(run["element_accuracy"]))
        confusion = np.array(cell["confusion"])
        # Pooled over the orbit: every test image once per element.
        assert confusion.sum() == len(run["elements"]) * run["n_test"]
        assert cell["six_as_nine"] == confusion[6, 9] / confusion[6].sum()


def test_raw_pixels_trained_on_x_are_not_invariant(quick_run):
    """The raw model meets the theorem's bound under inversion alone..."""
    _, result = quick_run
    (raw,) = [
        r for r in result["runs"]
        if r["group"] == "inversion" and r["features"] == "raw"
        and r["trained_on"] == "X"
    ]
    accuracy, inverted = raw["element_accuracy"]
    assert accuracy > inverted  # with biases the bound is not a theorem
    assert raw["changed"][1] > 0.5
