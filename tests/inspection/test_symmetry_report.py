"""symmetry_report against scores and predictions computed by hand."""

from dataclasses import replace

import numpy as np
import pytest
from group_strategies import random_groups
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier

from sk_symmetry import (
    OrbitAugmentedClassifier,
    SymmetryGroup,
    inversion_accuracy_bound,
    invert,
    make_symmetric_scorer,
    symmetry_report,
)

G16 = SymmetryGroup.dihedral((8, 8)) * SymmetryGroup.inversion()


def sorted_magnitudes(X):
    """Exactly invariant under every signed permutation: |s * x[perm]| is a
    permutation of |x| (abs is exact, also for -0.0), and sorting a
    permutation of the same values gives the same array, bit for bit. So a
    model on these features predicts the same on every image."""
    return np.sort(np.abs(np.asarray(X, dtype=float)), axis=1)


def image_by_hand(g, X):
    return X[:, g.perm] * g.sign


@pytest.fixture(scope="module")
def digits_400():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 8.0 - 1.0, y[:400]


@pytest.fixture(scope="module")
def raw_model(digits_400):
    X, y = digits_400
    return LogisticRegression(max_iter=300).fit(X[:300], y[:300])


@pytest.fixture(scope="module")
def invariant_model(digits_400):
    X, y = digits_400
    return make_pipeline(
        FunctionTransformer(sorted_magnitudes), LogisticRegression(max_iter=300)
    ).fit(X[:300], y[:300])


def test_report_matches_hand_computation(digits_400, raw_model):
    X, y = digits_400[0][300:], digits_400[1][300:]
    report = symmetry_report(raw_model, X, y, G16)
    reference = raw_model.predict(X)
    predictions = [raw_model.predict(image_by_hand(g, X)) for g in G16]
    assert report.elements == tuple(g.name for g in G16)
    assert report.elements[0] == "identity"
    assert report.scores == tuple(accuracy_score(y, p) for p in predictions)
    assert report.changed == tuple(np.mean(p != reference) for p in predictions)
    assert report.changed[0] == 0.0
    assert max(report.changed) > 0.5  # raw pixels with bias: not invariant
    assert report.worst_case == min(report.scores)
    assert report.mean == pytest.approx(np.mean(report.scores), rel=1e-12)
    # The same numbers as the scorers a search would use.
    for aggregate, value in (("min", report.worst_case), ("mean", report.mean)):
        scorer = make_symmetric_scorer(symmetry=G16, aggregate=aggregate)
        assert scorer(raw_model, X, y) == value
    assert report.scoring == "accuracy"
    assert report.n_samples == len(y)
    assert report.model == "LogisticRegression"


def test_invariant_model_changes_no_prediction(digits_400, invariant_model):
    X, y = digits_400[0][300:], digits_400[1][300:]
    report = symmetry_report(invariant_model, X, y, G16)
    assert report.changed == (0.0,) * 16
    assert report.scores == (report.scores[0],) * 16
    assert report.worst_case == report.mean == report.scores[0]
    assert report.scores[0] == invariant_model.score(X, y)
    assert report.model == (
        "Pipeline[functiontransformer, logisticregression] > LogisticRegression"
    )


@settings(max_examples=30, deadline=None)
@given(random_groups(), st.integers(0, 2**32 - 1))
def test_report_on_random_groups(G, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(25, G.n_features)) + rng.normal(size=G.n_features)
    y = rng.integers(0, 3, size=25)
    for model in (
        DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y),
        make_pipeline(FunctionTransformer(sorted_magnitudes),
                      DecisionTreeClassifier(max_depth=3, random_state=0)).fit(X, y),
    ):
        report = symmetry_report(model, X, y, G)
        reference = model.predict(X)
        predictions = [model.predict(image_by_hand(g, X)) for g in G]
        assert report.scores == tuple(accuracy_score(y, p) for p in predictions)
        assert report.changed == tuple(np.mean(p != reference) for p in predictions)
        assert report.worst_case == min(report.scores)
    assert report.changed == (0.0,) * len(G)  # the invariant pipeline


def test_report_sees_through_search_and_orbit_classifier(digits_400):
    X, y = digits_400
    X_train, y_train, X_test, y_test = X[:300], y[:300], X[300:], y[300:]
    grid = GridSearchCV(
        make_pipeline(FunctionTransformer(sorted_magnitudes),
                      LogisticRegression(max_iter=300)),
        {"logisticregression__C": [0.1, 1.0]},
        cv=2,
    ).fit(X_train, y_train)
    report = symmetry_report(grid, X_test, y_test, G16)
    assert report.model == (
        "GridSearchCV > Pipeline[functiontransformer, logisticregression] "
        "> LogisticRegression"
    )
    # The search predicts with its best estimator: the same report but for
    # the name of the model.
    best = symmetry_report(grid.best_estimator_, X_test, y_test, G16)
    assert report == replace(best, model=report.model)
    assert report.changed == (0.0,) * 16

    orbit = OrbitAugmentedClassifier(LogisticRegression(max_iter=300),
                                     symmetry=G16).fit(X_train, y_train)
    report = symmetry_report(orbit, X_test, y_test, G16)
    assert report.model == "OrbitAugmentedClassifier > LogisticRegression"
    inner = symmetry_report(orbit.estimator_, X_test, y_test, G16)
    assert report.scores == inner.scores and report.changed == inner.changed


def test_a_callable_symmetry_is_the_pair(digits_400, raw_model):
    X, y = digits_400[0][300:], digits_400[1][300:]
    report = symmetry_report(raw_model, X, y, invert)
    assert report.elements == ("identity", "invert")
    bound = inversion_accuracy_bound(raw_model, X, y)
    assert report.scores == (bound.accuracy, bound.inverted_accuracy)
    assert report.changed[1] == np.mean(raw_model.predict(-X) != raw_model.predict(X))
    assert report == symmetry_report(raw_model, X, y, SymmetryGroup.inversion())


def test_default_symmetry_is_inversion(digits_400, raw_model):
    X, y = digits_400[0][300:], digits_400[1][300:]
    assert symmetry_report(raw_model, X, y) == symmetry_report(raw_model, X, y, invert)


@pytest.mark.parametrize(
    "symmetry, match",
    [
        (lambda X: X[:, :-1], r"shape of X, \(100, 64\); got \(100, 63\)"),
        (lambda X: None, "shape of X, .*got NoneType"),
    ],
)
def test_a_callable_must_return_data_of_the_shape_of_x(digits_400, raw_model, symmetry,
                                                      match):
    # Issue 18, item 11: checked as OrbitAugmentedClassifier checks it, not
    # reported as the estimator's error on the bad image.
    X, y = digits_400[0][300:], digits_400[1][300:]
    with pytest.raises(ValueError, match=match):
        symmetry_report(raw_model, X, y, symmetry)


def test_other_scoring(digits_400, raw_model):
    X, y = digits_400[0][300:], digits_400[1][300:]
    G = SymmetryGroup.mirror((8, 8))
    report = symmetry_report(raw_model, X, y, G, scoring="f1_macro")
    assert report.scoring == "f1_macro"
    expected = [f1_score(y, raw_model.predict(image_by_hand(g, X)), average="macro")
                for g in G]
    assert report.scores == pytest.approx(expected, rel=1e-12)


def test_text_table_and_frame(digits_400, raw_model):
    pd = pytest.importorskip("pandas")
    X, y = digits_400[0][300:], digits_400[1][300:]
    report = symmetry_report(raw_model, X, y, G16)
    frame = report.to_frame()
    assert list(frame.index) == list(report.elements)
    assert list(frame.columns) == ["accuracy", "changed"]
    np.testing.assert_array_equal(frame["accuracy"], report.scores)
    assert isinstance(frame, pd.DataFrame)
    lines = str(report).splitlines()
    assert len(lines) == 2 + 16 + 2
    assert lines[2].split() == ["identity", f"{report.scores[0]:.4f}", "0.0000"]
    assert lines[-2].split()[-1] == f"{report.worst_case:.4f}"


def test_input_not_modified(digits_400, raw_model):
    X, y = digits_400[0][300:].copy(), digits_400[1][300:].copy()
    X_before, y_before = X.copy(), y.copy()
    symmetry_report(raw_model, X, y, G16)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def test_bad_input(digits_400, raw_model):
    X, y = digits_400[0][300:], digits_400[1][300:]
    with pytest.raises(ValueError, match="acts on 16 features but X has 64"):
        symmetry_report(raw_model, X, y, SymmetryGroup.dihedral((4, 4)))
    with pytest.raises(TypeError, match="symmetry must be None, a SymmetryGroup"):
        symmetry_report(raw_model, X, y, "dihedral")
    # Issue 18, item 9: the class, not an instance.
    with pytest.raises(TypeError, match="class SymmetryGroup. Pass an instance"):
        symmetry_report(raw_model, X, y, SymmetryGroup)
    with pytest.raises(ValueError, match="scoring='acuracy'.*'accuracy'"):
        symmetry_report(raw_model, X, y, G16, scoring="acuracy")
    with pytest.raises(ValueError, match="2-d"):
        symmetry_report(raw_model, X[0], y, G16)


def test_default_accuracy_of_a_regressor_names_scoring():
    # scikit-learn's "continuous is not supported" named neither scoring nor r2
    from sklearn.linear_model import LinearRegression

    X = np.random.RandomState(0).normal(size=(20, 3))
    y = X.sum(axis=1)
    reg = LinearRegression().fit(X, y)
    with pytest.raises(ValueError, match="scoring='accuracy'.*scoring='r2'"):
        symmetry_report(reg, X, y)
    assert symmetry_report(reg, X, y, scoring="r2").scores[0] == pytest.approx(1.0)
