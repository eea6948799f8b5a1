"""Symmetric scorers for targets that transform: ``target="odd"`` and characters."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV

from sk_symmetry import (
    BiaslessMLPRegressor,
    SymmetryGroup,
    make_symmetric_scorer,
    symmetric_scoring,
    symmetry_report,
)


def _odd_data(n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    y = np.tanh(X[:, 0] - X[:, 1]) + 0.3 * X[:, 2] ** 3
    return X, y


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), scoring=st.sampled_from(
    ["r2", "neg_mean_squared_error", "neg_mean_absolute_error"]))
def test_odd_network_scores_the_same_on_minus_x_against_minus_y(seed, scoring):
    X, y = _odd_data(n=40, seed=seed % 11)
    reg = _fit(BiaslessMLPRegressor((4,), max_iter=10, random_state=seed), X, y)
    plain = make_symmetric_scorer(scoring, target="odd")
    scorers = symmetric_scoring(scoring, target="odd")
    score = scorers[scoring](reg, X, y)
    assert plain(reg, X, y) == score
    assert scorers[f"inverted_{scoring}"](reg, X, y) == score
    assert scorers[f"worst_case_{scoring}"](reg, X, y) == score


def test_invariant_target_is_the_default_so_the_test_can_fail():
    X, y = _odd_data()
    reg = _fit(BiaslessMLPRegressor(random_state=0), X, y)
    assert reg.score(X, y) > 0.9
    # y taken as unchanged: the odd model predicts -y on -X, R^2 far below 0
    assert make_symmetric_scorer("r2")(reg, X, y) < 0
    assert make_symmetric_scorer("r2", target="invariant")(reg, X, y) < 0


def test_grid_search_compares_bias_on_and_off_on_x_and_minus_x():
    # Trained on positive targets only, scored on X and -X of both signs.
    X, y = _odd_data(n=150)
    train = y > 0
    search = GridSearchCV(
        BiaslessMLPRegressor((6,), max_iter=100, random_state=0),
        {"fit_bias": [False, True]},
        scoring=symmetric_scoring("r2", target="odd"), refit="worst_case_r2", cv=3,
    )
    _fit(search, X[train], y[train])
    results = search.cv_results_
    no_bias, bias = 0, 1
    for split in range(3):
        plain = results[f"split{split}_test_r2"]
        inverted = results[f"split{split}_test_inverted_r2"]
        assert plain[no_bias] == inverted[no_bias]  # exact, for every fold
        assert plain[bias] != inverted[bias]
    assert search.best_params_ == {"fit_bias": False}
    worst = make_symmetric_scorer("r2", aggregate="min", target="odd")
    assert worst(search, X, y) == search.score(X, y)


def _mirror_invert(width=4):
    return SymmetryGroup.mirror((1, width)) * SymmetryGroup.inversion()


def test_group_character_by_callable_and_by_odd_agree():
    # y = sum of features: unchanged by the mirror, negated by inversion.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4))
    y = X.sum(axis=1) + 0.1 * rng.normal(size=30)
    reg = _fit(BiaslessMLPRegressor((), "identity", random_state=0), X, y)
    G = _mirror_invert()

    def character(g):
        return -1 if "invert" in g.name else 1

    by_name = symmetric_scoring("r2", symmetry=G, target=character)
    odd = symmetric_scoring("r2", symmetry=G, target="odd")
    invariant = symmetric_scoring("r2", symmetry=G)
    assert list(by_name) == list(odd)
    for key in by_name:
        assert by_name[key](reg, X, y) == odd[key](reg, X, y)
    # a linear network without biases is odd: exact under inversion
    assert odd["r2_invert"](reg, X, y) == odd["r2"](reg, X, y)
    per_element = [odd[k](reg, X, y) for k in
                   ("r2", "r2_mirror", "r2_invert", "r2_mirror_invert")]
    assert odd["worst_case_r2"](reg, X, y) == min(per_element)
    assert invariant["r2_invert"](reg, X, y) < 0


def test_odd_target_with_the_inversion_group_and_no_aggregate():
    X, y = _odd_data()
    reg = _fit(BiaslessMLPRegressor(random_state=0), X, y)
    scorer = make_symmetric_scorer(
        "r2", symmetry=SymmetryGroup.inversion(), target="odd")
    assert scorer(reg, X, y) == reg.score(X, y)
    assert "target='odd'" in repr(scorer)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "target, error, message",
    [("even", ValueError, "'invariant', 'odd'"), (3, TypeError, "target must"),
     (lambda g: 2, ValueError, r"\+1 or -1"),
     (lambda g: -1, ValueError, "identity")],
)
def test_bad_targets_are_named(target, error, message):
    symmetry = _mirror_invert() if callable(target) else None
    kwargs = {"symmetry": symmetry, "aggregate": "min"} if symmetry else {}
    with pytest.raises(error, match=message):
        make_symmetric_scorer("r2", target=target, **kwargs)


def test_odd_is_ambiguous_for_an_element_negating_some_features():
    flip_first = SymmetryGroup([(np.arange(3), [-1, 1, 1], "flip0")])
    with pytest.raises(ValueError, match="flip0.*negates some features"):
        make_symmetric_scorer("r2", symmetry=flip_first, target="odd")
    # a callable character says what it means
    scorer = make_symmetric_scorer(
        "r2", symmetry=flip_first, target=lambda g: 1)
    X = np.random.RandomState(0).normal(size=(10, 3))
    y = X[:, 1]
    assert scorer(LinearRegression().fit(X, y), X, y) == pytest.approx(1.0)


def test_odd_target_needs_numbers():
    X = np.array([[1.0], [-1.0], [2.0], [-2.0]])
    labels = np.array(["a", "b", "a", "b"])
    with pytest.raises(TypeError, match="numbers"):
        make_symmetric_scorer("accuracy", target="odd")(
            _FixedModel(labels), X, labels)


class _FixedModel:
    def __init__(self, y):
        self.y = y

    def fit(self, X, y):
        return self

    def predict(self, X):
        return self.y


# ------------------------------------------------------------ symmetry_report
def test_report_of_an_odd_regressor_with_an_odd_target_changes_nothing():
    from sk_symmetry import symmetry_report

    X, y = _odd_data()
    reg = _fit(BiaslessMLPRegressor(random_state=0), X, y)
    G = SymmetryGroup.inversion()
    odd = symmetry_report(reg, X, y, G, scoring="r2", target="odd")
    assert odd.changed == (0.0, 0.0)
    assert odd.scores[0] == odd.scores[1] == odd.worst_case
    invariant = symmetry_report(reg, X, y, G, scoring="r2")
    assert invariant.changed == (0.0, 1.0) and invariant.scores[1] < 0
    biased = _fit(BiaslessMLPRegressor(fit_bias=True, random_state=0), X, y)
    assert symmetry_report(biased, X, y, G, scoring="r2", target="odd").changed[1] > 0


def test_report_with_a_character_of_a_group():
    from sk_symmetry import symmetry_report

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4))
    y = X.sum(axis=1)
    # linear and odd (the group's elements return Fortran-ordered copies,
    # which the regressor's predict handles exactly; LinearRegression's
    # matrix-vector product sums them in another order)
    reg = _fit(BiaslessMLPRegressor((), "identity", random_state=0), X, y)
    report = symmetry_report(
        reg, X, y, _mirror_invert(), scoring="neg_mean_squared_error",
        target=lambda g: -1 if "invert" in g.name else 1)
    assert report.elements == ("identity", "mirror", "invert", "mirror*invert")
    assert report.changed[2] == 0.0  # inversion: exactly -prediction
    np.testing.assert_allclose(report.scores, report.scores[0], atol=1e-9)
    with pytest.raises(ValueError, match="'invariant', 'odd'"):
        symmetry_report(reg, X, y, _mirror_invert(), scoring="r2", target="even")


def test_odd_target_refuses_class_labels():
    # -y of labels {0, 1} is {0, -1}: no class of the model; refused, naming
    # regression targets, for a classifier and for labels of an untagged model
    from sklearn.linear_model import LogisticRegression

    from sk_symmetry import symmetry_report

    X = np.array([[1.0, 2.0], [2.0, 1.0], [-1.0, -2.0], [-2.0, -1.0]])
    y = np.array([1, 1, 0, 0])
    clf = LogisticRegression().fit(X, y)
    for scorer in (make_symmetric_scorer("accuracy", target="odd"),
                   make_symmetric_scorer("accuracy", aggregate="min", target="odd")):
        with pytest.raises(ValueError, match="classifier.*regression targets"):
            scorer(clf, X, y)
    with pytest.raises(ValueError, match="regression targets"):
        symmetry_report(clf, X, y, target="odd")
    with pytest.raises(ValueError, match=r"class labels \(binary\)"):
        make_symmetric_scorer("accuracy", target="odd")(_FixedModel(y), X, y)
    # a regressor's integer-valued target is numbers, not labels
    reg = LinearRegression(fit_intercept=False).fit(X, y)
    assert np.isfinite(make_symmetric_scorer("r2", target="odd")(reg, X, y))


@pytest.mark.parametrize(
    "sign, error, message",
    [
        (np.array([1, -1]), TypeError, r"array\(\[ 1, -1\]\) of type ndarray"),
        (1 + 0j, TypeError, r"\(1\+0j\) of type complex"),
        (np.complex128(-1), TypeError, "of type complex128"),
        ("-1", TypeError, "'-1' of type str"),
        (None, TypeError, "None of type NoneType"),
        (True, ValueError, "got True"),
        (0.5, ValueError, "got 0.5"),
    ],
)
def test_a_callable_target_returning_no_sign_is_named(sign, error, message):
    # An array used to fail in numpy ("truth value ... ambiguous") and 1 + 0j
    # in int(); both name the target's call and what it returned now, in the
    # scorers and in symmetry_report alike.
    def target(g):
        return 1 if g.name == "identity" else sign

    X, y = _odd_data()
    reg = LinearRegression(fit_intercept=False).fit(X, y)
    pattern = r"target\(.*\) must .*" + message
    with pytest.raises(error, match=pattern):
        make_symmetric_scorer("r2", target=target)
    with pytest.raises(error, match=pattern):
        symmetric_scoring("r2", symmetry=_mirror_invert(), target=target)
    with pytest.raises(error, match=pattern):
        symmetry_report(reg, X, y, scoring="r2", target=target)


@pytest.mark.parametrize("sign", [np.float64(-1.0), np.int64(-1), np.array(-1), -1.0])
def test_a_callable_target_may_return_numpy_scalars(sign):
    X, y = _odd_data()
    reg = LinearRegression(fit_intercept=False).fit(X, y)
    scorer = make_symmetric_scorer(
        "r2", target=lambda g: 1 if g.name == "identity" else sign)
    assert scorer(reg, X, y) == make_symmetric_scorer("r2", target="odd")(reg, X, y)
