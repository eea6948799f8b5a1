"""sk-symmetry benchmark: its pieces on tiny slices of the real data."""

import argparse
import json
import re
from dataclasses import replace

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sk_symmetry import InvariantRandomFeatures, SymmetryGroup
from sk_symmetry.experiments.benchmark import report
from sk_symmetry.experiments.benchmark import run as benchmark

_REASON = "needs {}: pip install 'sk_symmetry[benchmark]'"
pytest.importorskip("mnist1d", reason=_REASON.format("mnist1d"))
pytest.importorskip("mlxtend", reason=_REASON.format("mlxtend"))


def _parse(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    benchmark.add_arguments(parser)
    return parser.parse_args(argv)


def test_module_interface():
    assert benchmark.NAME == "benchmark" and benchmark.HELP
    for name in ("add_arguments", "make_protocol", "run", "summarize"):
        assert callable(getattr(benchmark, name))
    for name in ("format_report", "write_outputs"):
        assert callable(getattr(report, name))


def test_protocols_quick_and_full():
    quick = benchmark.make_protocol(_parse(["--quick"]))
    full = benchmark.make_protocol(_parse([]))
    assert quick.quick and quick.n_seeds == 1 and quick.n_train < full.n_train
    assert full.n_seeds == 5 and full.benchmarks == benchmark.BENCHMARKS
    assert (full.n_train, full.n_test) == (4000, 1000)
    assert set(quick.pipelines) < set(full.pipelines)
    chosen = benchmark.make_protocol(_parse(["--benchmarks", "digits", "--seeds", "2"]))
    assert chosen.benchmarks == ("digits",) and chosen.n_seeds == 2
    with pytest.raises(SystemExit):
        _parse(["--seeds", "0"])
    with pytest.raises(ValueError, match="seeds"):
        benchmark.make_protocol(argparse.Namespace(quick=False, seeds=0))


def _settings(model):
    """Every parameter of ``model`` and of its steps, but for the lists of
    steps themselves: an estimator by its type, the rest by value."""
    settings = {}
    for key, value in model.get_params(deep=True).items():
        if key.rsplit("__", 1)[-1] in ("steps", "transformer_list"):
            continue
        if hasattr(value, "get_params"):
            value = type(value)
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        settings[key] = value
    return settings


def _ending(settings, name):
    return {k: v for k, v in settings.items() if k.rsplit("__", 1)[-1] == name}


def test_every_pipeline_builds_a_seeded_classifier_that_clones_as_it_is():
    protocol = benchmark.make_protocol(_parse([]))
    groups = {
        "mnist1d": SymmetryGroup.translations(40),
        "mnist1d-shuffled": SymmetryGroup.translations(40),
        "digits": SymmetryGroup.dihedral((28, 28)) * SymmetryGroup.inversion(),
    }
    built = 0
    for name in benchmark.BENCHMARKS:
        context = benchmark.Benchmark(name, groups[name], False)
        for pipeline in benchmark.PIPELINES:
            if name not in pipeline.benchmarks:
                continue
            if pipeline.needs and pipeline.name not in protocol.pipelines:
                continue  # its package is not installed
            model = pipeline.build(context, 7)
            where = (name, pipeline.name)
            assert is_classifier(model), where
            # The run fits a clone: the very same model, setting for setting.
            settings = _settings(model)
            assert _settings(clone(model)) == settings, where
            # The seed reaches every step that draws random numbers, and
            # nothing else: another seed changes those and only those.
            states = _ending(settings, "random_state")
            assert set(states.values()) <= {None, 7, 8}, where
            reseeded = _settings(pipeline.build(context, 8))
            changed = {k for k in settings if settings[k] != reseeded[k]}
            assert changed == {k for k, v in states.items() if v is not None}, where
            # logistic regression's L-BFGS is the one model without randomness
            assert changed or pipeline.name == "logistic", where
            # A symmetry is the benchmark's group, or the identity (no average,
            # or MNIST-1D's patches, invariant by wrapping around).
            symmetries = list(_ending(settings, "symmetry").values())
            for symmetry in symmetries:
                assert symmetry == context.group or len(symmetry) == 1, where
            if pipeline.invariant and name == "digits":
                assert symmetries and all(s == context.group for s in symmetries)
            built += 1
    assert built == sum(
        len(set(p.benchmarks) & set(benchmark.BENCHMARKS))
        for p in benchmark.PIPELINES if p.name in protocol.pipelines
    )


def test_digits_test_sets_are_the_exact_orbit_and_rotations():
    protocol = replace(benchmark.make_protocol(_parse(["--quick"])), max_samples=30)
    X_train, y_train, X_test, y_test, X_rotated, group = benchmark.load_benchmark(
        "digits", protocol, 3
    )
    assert X_train.shape == (30, 784) and X_test.shape == X_rotated.shape == (30, 784)
    assert len(group) == 16
    # Seeds give other splits and angles; a seed again gives the same ones.
    again = benchmark.load_benchmark("digits", protocol, 3)
    np.testing.assert_array_equal(again[4], X_rotated)
    other = benchmark.load_benchmark("digits", protocol, 4)
    assert not np.array_equal(other[2], X_test)
    assert not np.array_equal(X_rotated, X_test)


@pytest.mark.slow
def test_tiny_run_summary_report_and_files(tmp_path):
    protocol = replace(
        benchmark.make_protocol(_parse(["--quick", "--seeds", "2"])),
        benchmarks=("mnist1d", "digits"),
        pipelines=("logistic", "canonical", "averaged neighbor"),
        max_samples=60,
    )
    records = benchmark.run(protocol, n_jobs=1, progress=None)
    # logistic and canonical on both, averaged neighbour pairs on the digits
    assert len(records) == 2 * (2 + 3)
    digits = [r for r in records if r["benchmark"] == "digits"]
    for record in digits:
        assert len(record["element_accuracy"]) == 16
        assert record["worst_case"] == min(record["element_accuracy"])
        assert record["element_accuracy"][0] == record["accuracy"]  # identity first
    for record in digits:
        if record["pipeline"] != "logistic":  # invariant: scored from one transform
            assert record["invariance_checked_rows"] == benchmark.INVARIANCE_CHECK_ROWS
        else:
            assert record["invariance_checked_rows"] == 0
    summary = benchmark.summarize(protocol, records)
    json.dumps(summary)
    rows = summary["tables"]["mnist1d"]
    quoted = [row for row in rows if not row["measured"]]
    assert [row["accuracy_mean"] for row in quoted] == [0.32, 0.68, 0.94, 0.91, 0.96]
    logistic = next(row for row in rows if row["pipeline"] == "logistic")
    accuracies = [r["accuracy"] for r in records
                  if r["benchmark"] == "mnist1d" and r["pipeline"] == "logistic"]
    assert logistic["accuracy_mean"] == pytest.approx(np.mean(accuracies))
    text = report.format_report(summary)
    assert "quoted, not measured here" in text and "worst of 16" in text
    assert "scored from one transform" in text
    paths = report.write_outputs(summary, tmp_path / "out")
    names = {path.name for path in paths}
    assert {"benchmark.csv", "benchmark.json", "benchmark.md"} <= names
    assert all(path.exists() and path.name.startswith("benchmark") for path in paths)
    assert json.loads((tmp_path / "out" / "benchmark.json").read_text())["tables"]
    markdown = (tmp_path / "out" / "benchmark.md").read_text()
    figures = [name for name in names if name.endswith(".png")]
    # the report links each figure written, and nothing else
    linked = re.findall(r"\]\((benchmark_\w+\.png)\)", markdown)
    assert sorted(linked) == sorted(figures)
    assert "PosixPath" not in markdown


def test_invariant_rows_score_the_orbit_from_one_transform():
    protocol = replace(benchmark.make_protocol(_parse(["--quick"])), max_samples=40)
    X_train, y_train, X_test, y_test, _, group = benchmark.load_benchmark(
        "digits", protocol, 0
    )

    def fitted(first_step):
        model = make_pipeline(first_step, StandardScaler(), RidgeClassifier())
        model.fit(X_train, y_train)
        return model, float(np.mean(model.predict(X_test) == y_test))

    irf, accuracy = fitted(InvariantRandomFeatures(group, 40, random_state=0))
    scores, checked = benchmark.element_accuracies(
        irf, X_test, y_test, group, accuracy=accuracy, invariant=True,
        check_rows=10,
    )
    assert checked == 10 and len(scores) == 16
    # scored element by element, the very same numbers
    each, none = benchmark.element_accuracies(irf, X_test, y_test, group,
                                              accuracy=accuracy)
    assert none == 0 and each == scores
    # features that are not invariant fail the check: each element is scored
    raw, accuracy = fitted(FunctionTransformer())
    scores, checked = benchmark.element_accuracies(
        raw, X_test, y_test, group, accuracy=accuracy, invariant=True
    )
    assert checked == 0 and len(set(scores)) > 1
