"""The four inspection results share one surface: ``to_frame()``, ``plot()``,
top-level exports; the public functions check their parameters; optional
packages are named when missing."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

import sk_symmetry
from sk_symmetry import (
    BiaslessMLPClassifier,
    InversionAccuracyBound,
    OrbitAugmentedClassifier,
    SymmetryDegeneracy,
    SymmetryGroup,
    SymmetryReport,
    SymmetryTestDisplay,
    SymmetryTestResult,
    inversion_accuracy_bound,
    symmetry_degeneracy,
    symmetry_report,
    symmetry_test,
)
from sk_symmetry.inspection import first_layer_action

RESULTS = (
    SymmetryReport,
    InversionAccuracyBound,
    SymmetryDegeneracy,
    SymmetryTestResult,
)


@pytest.fixture(scope="module")
def linear_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def results(linear_data):
    X, y = linear_data
    G = SymmetryGroup.mirror((2, 2)) * SymmetryGroup.inversion()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = BiaslessMLPClassifier((3,), max_iter=30, random_state=0)
        orbit = OrbitAugmentedClassifier(net, symmetry=G).fit(X, y)
        mlp = MLPClassifier((3,), activation="tanh", max_iter=50, random_state=0)
        mlp.fit(X, y)
    return {
        SymmetryReport: symmetry_report(orbit, X, y, G),
        InversionAccuracyBound: inversion_accuracy_bound(mlp, X, y),
        SymmetryDegeneracy: symmetry_degeneracy(orbit, X, y, symmetry=G),
        SymmetryTestResult: symmetry_test(X, y, G, cv=3, random_state=0),
    }


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_the_four_results_are_exported_at_the_top_level():
    for result_type in RESULTS:
        assert getattr(sk_symmetry, result_type.__name__) is result_type
        assert result_type.__name__ in sk_symmetry.__all__
        assert callable(result_type.to_frame) and callable(result_type.plot)


@pytest.mark.parametrize("result_type", RESULTS, ids=lambda t: t.__name__)
def test_to_frame_holds_the_results_values(results, result_type):
    pytest.importorskip("pandas")
    result = results[result_type]
    frame = result.to_frame()
    if result_type is SymmetryReport:
        assert list(frame.index) == list(result.elements)
        assert np.array_equal(frame["accuracy"], result.scores)
        assert np.array_equal(frame["changed"], result.changed)
    elif result_type is InversionAccuracyBound:
        assert frame.shape == (1, 6)
        row = frame.iloc[0]
        assert row["accuracy"] == result.accuracy
        assert row["inverted_accuracy"] == result.inverted_accuracy
        assert row["total"] == result.total and row["reason"] == result.reason
        assert bool(row["holds"]) is result.holds
    elif result_type is SymmetryDegeneracy:
        assert list(frame.index) == list(result.elements)
        assert np.array_equal(frame["loss"], result.losses)
        assert np.array_equal(frame["difference"], result.losses - result.losses[0])
        assert np.array_equal(frame["moved"], result.moved)
    else:
        assert np.array_equal(frame["input_pvalue"], result.input_pvalue)
        assert np.array_equal(frame["invariant"], result.invariant)


@pytest.mark.parametrize("result_type", RESULTS, ids=lambda t: t.__name__)
def test_plot_draws_the_results_values(results, result_type, pyplot):
    result = results[result_type]
    ax = result.plot()
    assert ax.figure is not None
    heights = [patch.get_height() for patch in ax.patches]
    widths = [patch.get_width() for patch in ax.patches]
    if result_type is SymmetryReport:
        assert widths == list(result.scores)  # horizontal bars
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == list(result.elements)
    elif result_type is InversionAccuracyBound:
        assert heights == [result.accuracy, result.inverted_accuracy, result.total]
        assert ax.lines[0].get_ydata()[0] == 1.0  # the bound
    elif result_type is SymmetryDegeneracy:
        assert np.array_equal(heights, result.losses - result.losses[0])
        hatched = [bool(patch.get_hatch()) for patch in ax.patches]
        assert hatched == list(~result.moved)
    else:
        display = SymmetryTestDisplay.from_result(result)
        assert np.array_equal(ax.images[0].get_array(), display.values)
    # On an Axes of one's own: drawn there, returned.
    _, given = pyplot.subplots()
    assert result.plot(ax=given) is given


def test_display_from_data_is_from_result_of_symmetry_test(linear_data, pyplot):
    X, y = linear_data
    G = SymmetryGroup.mirror((2, 2))
    display = SymmetryTestDisplay.from_data(X, y, G, cv=3, random_state=0)
    expected = SymmetryTestDisplay.from_result(
        symmetry_test(X, y, G, cv=3, random_state=0)
    )
    assert np.array_equal(display.values, expected.values)
    assert np.array_equal(display.marks, expected.marks)
    assert display.elements == expected.elements == ["identity", "mirror"]
    assert display.columns == expected.columns
    _, ax = pyplot.subplots()
    on_ax = SymmetryTestDisplay.from_data(X, symmetry=G, random_state=0, ax=ax)
    assert on_ax.ax_ is ax and on_ax.columns == ["inputs"]
    # scikit-learn's InvalidParameterError, a ValueError and a TypeError
    with pytest.raises(ValueError, match="'colorbar' parameter.*'yes'"):
        SymmetryTestDisplay.from_data(X, colorbar="yes")
    with pytest.raises(ValueError, match="'cv'"):  # checked by symmetry_test
        SymmetryTestDisplay.from_data(X, cv=1)


class _NoPredict:
    def fit(self, X, y):
        return self


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda X, y: symmetry_report(_NoPredict(), X, y), "'estimator'"),
        (lambda X, y: symmetry_report(LogisticRegression(), X, y, scoring=3),
         "'scoring'"),
        (lambda X, y: symmetry_report(LogisticRegression(), X, y, target=3),
         "'target'"),
        (lambda X, y: inversion_accuracy_bound(_NoPredict(), X, y), "'estimator'"),
        (lambda X, y: inversion_accuracy_bound(LogisticRegression(), X, 7), "'y'"),
        (lambda X, y: symmetry_degeneracy(_NoPredict(), X, y), "'estimator'"),
        (lambda X, y: symmetry_degeneracy(LogisticRegression(), X, y, rtol=np.nan),
         "'rtol'"),
        (lambda X, y: first_layer_action(sk_symmetry.invert, 0), "'n_features'"),
        (lambda X, y: first_layer_action("invert", 4), "'element'"),
    ],
)
def test_public_functions_name_a_bad_parameter(linear_data, call, match):
    X, y = linear_data
    with pytest.raises(ValueError, match=match + " parameter of"):
        call(X, y)


def test_rtol_true_is_not_taken_as_one(linear_data):
    X, y = linear_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = BiaslessMLPClassifier((3,), max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="rtol must be a non-negative number"):
        symmetry_degeneracy(net, X, y, rtol=True)


@pytest.mark.parametrize(
    "module, method, extra",
    [
        ("pandas", "to_frame", "pip install pandas"),
        ("matplotlib", "plot", r"sk_symmetry\[plot\]"),
    ],
)
@pytest.mark.parametrize("result_type", RESULTS, ids=lambda t: t.__name__)
def test_a_missing_optional_package_is_named(
    results, result_type, module, method, extra, monkeypatch
):
    # None in sys.modules makes the import fail as if not installed.
    for name in [name for name in sys.modules if name.split(".")[0] == module]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=f"{result_type.__name__}.{method}.*{extra}"):
        getattr(results[result_type], method)()


def test_import_optional_without_an_extra_names_the_package(monkeypatch):
    from sk_symmetry._optional import import_optional

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError) as error:
        import_optional("pandas", extra=None, purpose="something")
    message = str(error.value)
    assert "something needs the optional package 'pandas'" in message
    assert message.endswith("pip install pandas.") and "sk_symmetry[" not in message


def test_no_dispatch_on_symmetry_group_outside_symmetry():
    # Issue 28: what a symmetry argument is, is check_symmetry's business;
    # the rest of the package asks the group it returns.
    import re
    from pathlib import Path

    package = Path(sk_symmetry.__file__).parent
    pattern = re.compile(r"isinstance\([^)]*SymmetryGroup")
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.parent.name != "symmetry" and pattern.search(path.read_text())
    ]
    assert offenders == []
