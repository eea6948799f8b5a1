"""``sk-symmetry groups``: a quick run, its outputs and the identities it must show."""


import numpy as np
import pytest
from quick_outputs import assert_figures, csv_rows, written_files

# The quick run of conftest.cli_quick_run (an unreadable figure fails it).
COMMAND = "groups"


def test_quick_run_writes_every_output(cli_quick_run):
    out, result = cli_quick_run
    names = written_files(out, COMMAND)
    rows = csv_rows(out, COMMAND)
    # --quick: five models under dihedral x inversion, four under inversion
    # (averages over all pairs only for the 16-element group), and under each
    # the random features with the network (200 components) and with ridge
    # (50, 100, 200 components); one split; and two Reynolds-operator rows
    # (a symmetrized kNN, averaged RBFSampler features) under the 16 elements;
    # the invariant CNN under each group.
    assert len(rows) == len(result["cells"]) == 9 + 2 * 4 + 2 + 2
    assert (out / "groups.md").read_text().startswith("# ")
    assert_figures(
        names, "groups_heatmap.png", "groups_confusion.png",
        "groups_random_features_components.png",
    )


def fits(result):
    return [run for run in result["runs"] if run["kind"] == "fit"]


def test_invariant_models_score_the_same_on_every_element(cli_quick_run):
    _, result = cli_quick_run
    for run in fits(result):
        scores = run["element_accuracy"]
        assert len(scores) == len(run["elements"]) == {"inversion": 2}.get(
            run["group"], 16
        )
        assert run["elements"][0] == "identity"
        invariant = (
            run["features"] != "raw" or run["trained_on"] == "symmetrized"
            or run["network"] == "cnn"
        )
        if invariant:  # an identity, not an approximation
            assert scores == [scores[0]] * len(scores)
            assert run["changed"] == [0.0] * len(scores)
            assert run["changed_any"] == 0.0


def test_reynolds_rows_are_run_on_their_subsample_and_tabled(cli_quick_run):
    _, result = cli_quick_run
    averaging = [r for r in fits(result) if r["network"] in ("kNN", "logistic")]
    assert {(r["features"], r["trained_on"]) for r in averaging} == {
        ("raw", "symmetrized"), ("averaged RBFSampler", "X")
    }
    assert all(r["n_train"] == 200 and r["n_test"] == 100 for r in averaging)
    assert all(r["group"] == "dihedral x inversion" for r in averaging)
    from sk_symmetry.experiments.groups.report import format_report

    text = format_report(result)
    assert "changed by any element" in text and "symmetrized" in text


def test_summary_rows_agree_with_the_runs(cli_quick_run):
    _, result = cli_quick_run
    keys = ("group", "features", "trained_on", "network", "n_components")
    for cell in result["cells"]:
        (run,) = [r for r in fits(result) if all(r[k] == cell[k] for k in keys)]
        assert cell["accuracy_X"] == run["element_accuracy"][0]
        assert cell["worst_case"] == min(run["element_accuracy"])
        assert cell["orbit_mean"] == pytest.approx(np.mean(run["element_accuracy"]))
        confusion = np.array(cell["confusion"])
        # Pooled over the orbit: every test image once per element.
        assert confusion.sum() == len(run["elements"]) * run["n_test"]
        assert cell["six_as_nine"] == confusion[6, 9] / confusion[6].sum()


def test_raw_pixels_trained_on_x_are_not_invariant(cli_quick_run):
    """The raw model meets the theorem's bound under inversion alone..."""
    _, result = cli_quick_run
    (raw,) = [
        r for r in fits(result)
        if r["group"] == "inversion" and r["features"] == "raw"
        and r["trained_on"] == "X" and r["network"] == "paper"
    ]
    accuracy, inverted = raw["element_accuracy"]
    assert accuracy > inverted  # with biases the bound is not a theorem
    assert raw["changed"][1] > 0.5


def test_random_features_rows_are_invariant(cli_quick_run):
    """Invariant random features: one score on every element, so the worst
    case, the mean over the orbit and the accuracy on X_test are one number."""
    _, result = cli_quick_run
    cells = [c for c in result["cells"] if c["features"] == "random features"]
    assert {(c["group"], c["network"], c["n_components"]) for c in cells} == {
        (group, network, width)
        for group in ("inversion", "dihedral x inversion")
        for network, width in (
            ("paper", 200), ("ridge", 50), ("ridge", 100), ("ridge", 200)
        )
    }
    for cell in cells:
        assert cell["worst_case"] == cell["accuracy_X"] == cell["orbit_mean"]
        assert cell["element_accuracy"] == [cell["accuracy_X"]] * cell["n_elements"]


def test_symmetry_test_verdicts_match_the_groups(cli_quick_run):
    _, result = cli_quick_run
    tests = result["symmetry_tests"]
    assert [t["group"] for t in tests] == ["inversion", "dihedral x inversion"]
    for test in tests:
        (run,) = [
            r for r in fits(result)
            if r["group"] == test["group"] and r["features"] == "raw"
            and r["trained_on"] == "X" and r["network"] == "paper"
        ]
        assert test["elements"] == run["elements"]
        assert test["rejected"][0] == "none"  # the identity is not tested
        assert test["subgroup"][0] == "identity"
        # The subgroup passes both tests, element by element.
        verdict = dict(zip(test["elements"], test["rejected"], strict=True))
        assert all(verdict[name] == "none" for name in test["subgroup"])
        assert len(test["moved"]) == len(test["elements"])
    # The report shows each group's verdict next to its accuracies.
    from sk_symmetry.experiments.groups.report import format_report

    report = format_report(result)
    for test in tests:
        assert any(
            line.startswith(test["group"]) and "identity" in line
            for line in report.splitlines()
        )
