"""Symmetric scorers against scores computed by hand with scikit-learn metrics."""

import pickle
import re

import numpy as np
import pytest
import sklearn
from group_strategies import random_groups
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier

from sk_symmetry import (
    InversionInvariantTransformer,
    SymmetryGroup,
    invert,
    make_symmetric_scorer,
    symmetric_scoring,
)


def hflip(X):
    """Mirror 8x8 images left-right: a symmetry other than inversion."""
    X = np.asarray(X)
    return X.reshape(-1, 8, 8)[:, :, ::-1].reshape(X.shape)


@pytest.fixture(scope="module")
def digits_300():
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 8.0 - 1.0  # values in [-1, 1], as in the paper
    return X, y[:300]


@pytest.fixture(scope="module")
def fitted(digits_300):
    X, y = digits_300
    # A model with bias on raw pixels: clearly different scores on X and -X.
    return LogisticRegression(max_iter=300).fit(X[:200], y[:200])


def test_scores_match_hand_computation(digits_300, fitted):
    X, y = digits_300[0][200:], digits_300[1][200:]
    acc = accuracy_score(y, fitted.predict(X))
    acc_inv = accuracy_score(y, fitted.predict(-X))
    assert acc != acc_inv  # otherwise the test below could not tell them apart
    assert make_symmetric_scorer()(fitted, X, y) == acc_inv
    assert make_symmetric_scorer(aggregate="min")(fitted, X, y) == min(acc, acc_inv)
    assert make_symmetric_scorer(aggregate="mean")(fitted, X, y) == pytest.approx(
        (acc + acc_inv) / 2, abs=1e-15
    )


def test_probability_metric_and_f1(digits_300, fitted):
    X, y = digits_300[0][200:], digits_300[1][200:]
    labels = fitted.classes_
    expected = -log_loss(y, fitted.predict_proba(-X), labels=labels)
    got = make_symmetric_scorer("neg_log_loss")(fitted, X, y)
    assert got == pytest.approx(expected, rel=1e-12)
    expected = f1_score(y, fitted.predict(-X), average="macro")
    assert make_symmetric_scorer("f1_macro")(fitted, X, y) == pytest.approx(expected)


def test_callable_scoring_and_other_symmetry(digits_300, fitted):
    X, y = digits_300[0][200:], digits_300[1][200:]
    calls = []

    def first_prediction_is_zero(estimator, X, y):
        calls.append(X.copy())
        return float(estimator.predict(X)[0] == 0)

    scorer = make_symmetric_scorer(first_prediction_is_zero, symmetry=hflip)
    expected = float(fitted.predict(hflip(X))[:1][0] == 0)
    assert scorer(fitted, X, y) == expected
    np.testing.assert_array_equal(calls[0], hflip(X))

    expected = accuracy_score(y, fitted.predict(hflip(X)))
    assert make_symmetric_scorer(symmetry=hflip)(fitted, X, y) == expected


def test_input_not_modified(digits_300, fitted):
    X, y = digits_300[0][200:].copy(), digits_300[1][200:]
    X_before = X.copy()
    make_symmetric_scorer(aggregate="min")(fitted, X, y)
    np.testing.assert_array_equal(X, X_before)


def test_sample_weight_is_passed(digits_300, fitted):
    X, y = digits_300[0][200:], digits_300[1][200:]
    w = np.random.default_rng(0).uniform(0.1, 2.0, size=len(y))
    acc = accuracy_score(y, fitted.predict(X), sample_weight=w)
    acc_inv = accuracy_score(y, fitted.predict(-X), sample_weight=w)
    scorer = make_symmetric_scorer(aggregate="mean")
    assert scorer(fitted, X, y, sample_weight=w) == pytest.approx((acc + acc_inv) / 2)
    assert scorer._accept_sample_weight()


def test_symmetric_scoring_keys(digits_300, fitted):
    X, y = digits_300[0][200:], digits_300[1][200:]
    scorers = symmetric_scoring("accuracy")
    assert list(scorers) == ["accuracy", "inverted_accuracy", "worst_case_accuracy"]
    acc = accuracy_score(y, fitted.predict(X))
    acc_inv = accuracy_score(y, fitted.predict(-X))
    assert scorers["accuracy"](fitted, X, y) == acc
    assert scorers["inverted_accuracy"](fitted, X, y) == acc_inv
    assert scorers["worst_case_accuracy"](fitted, X, y) == min(acc, acc_inv)

    assert list(symmetric_scoring(lambda est, X, y: 0.0)) == [
        "score", "inverted_score", "worst_case_score",
    ]
    assert list(symmetric_scoring("f1_macro", symmetry=hflip)) == [
        "f1_macro", "transformed_f1_macro", "worst_case_f1_macro",
    ]


def test_grid_search_refit_on_worst_case(digits_300):
    X, y = digits_300
    # Raw pixels (fit well on X, badly on -X) against invariant features.
    pipe = make_pipeline("passthrough", LogisticRegression(max_iter=300))
    grid = GridSearchCV(
        pipe,
        {"passthrough": ["passthrough", InversionInvariantTransformer()]},
        scoring=symmetric_scoring(),
        refit="worst_case_accuracy",
        cv=3,
        n_jobs=2,
    ).fit(X, y)
    res = grid.cv_results_
    # The per-split worst case is the smaller of the two per-split scores.
    for k in range(3):
        np.testing.assert_array_equal(
            res[f"split{k}_test_worst_case_accuracy"],
            np.minimum(res[f"split{k}_test_accuracy"],
                       res[f"split{k}_test_inverted_accuracy"]),
        )
    best = int(np.argmax(res["mean_test_worst_case_accuracy"]))
    assert grid.best_index_ == best
    assert isinstance(grid.best_params_["passthrough"], InversionInvariantTransformer)
    # Invariant features: exactly the same predictions on X and -X.
    np.testing.assert_array_equal(
        res["split0_test_accuracy"][best], res["split0_test_inverted_accuracy"][best]
    )


def test_cross_validate_matches_manual_folds(digits_300):
    X, y = digits_300
    est = DecisionTreeClassifier(random_state=0)
    # A second plain scorer makes scikit-learn cache predictions on X; the
    # symmetric scorers must not be served from that cache.
    scoring = {**symmetric_scoring("accuracy"), "balanced": "balanced_accuracy"}
    out = cross_validate(est, X, y, cv=3, scoring=scoring)
    for k, (train, test) in enumerate(StratifiedKFold(3).split(X, y)):
        model = clone(est).fit(X[train], y[train])
        assert out["test_accuracy"][k] == accuracy_score(y[test],
                                                         model.predict(X[test]))
        assert out["test_inverted_accuracy"][k] == accuracy_score(
            y[test], model.predict(-X[test])
        )


def test_cross_validate_with_sample_weight(digits_300):
    X, y = digits_300
    out = cross_validate(
        DecisionTreeClassifier(random_state=0), X, y, cv=2,
        scoring=symmetric_scoring(), params={"sample_weight": np.ones(len(y))},
    )
    assert set(out) >= {"test_accuracy", "test_inverted_accuracy"}


def test_pickle_and_repr(digits_300, fitted):
    X, y = digits_300[0][200:], digits_300[1][200:]
    scorer = make_symmetric_scorer("f1_macro", aggregate="min")
    assert repr(scorer) == (
        "make_symmetric_scorer('f1_macro', symmetry=None, aggregate='min')"
    )
    restored = pickle.loads(pickle.dumps(scorer))
    assert restored(fitted, X, y) == scorer(fitted, X, y)
    assert repr(make_symmetric_scorer(symmetry=hflip)) == (
        "make_symmetric_scorer('accuracy', symmetry=hflip, aggregate=None)"
    )


def test_default_symmetry_is_invert(digits_300, fitted):
    # None (the default), invert and SymmetryGroup.inversion() score the same.
    X, y = digits_300[0][200:], digits_300[1][200:]
    for aggregate in (None, "min", "mean"):
        default = make_symmetric_scorer(aggregate=aggregate)(fitted, X, y)
        for symmetry in (invert, SymmetryGroup.inversion()):
            scorer = make_symmetric_scorer(symmetry=symmetry, aggregate=aggregate)
            assert scorer(fitted, X, y) == default
    assert list(symmetric_scoring()) == list(symmetric_scoring(symmetry=invert))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"aggregate": "max"}, ValueError, "aggregate"),
        ({"symmetry": "invert"}, TypeError, "symmetry must be None, a SymmetryGroup"),
        ({"symmetry": SymmetryGroup}, TypeError, "Pass an instance"),
        ({"scoring": "no_such_metric"}, ValueError, "no_such_metric"),
        ({"scoring": 3}, TypeError, "scoring must be"),
        ({"scoring": accuracy_score}, ValueError, "metric function"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_symmetric_scorer(**kwargs)


@pytest.mark.parametrize("aggregate", ["min", "mean"])
@pytest.mark.parametrize("nan_on", ["X", "symmetry(X)"])
def test_a_nan_score_on_either_side_gives_nan(aggregate, nan_on):
    # min(0.9, nan) is 0.9 in Python: a NaN on the transformed set was hidden.
    def scorer(estimator, X, y):
        on_transformed = X[0, 0] < 0
        return np.nan if on_transformed == (nan_on == "symmetry(X)") else 0.9

    X, y = np.ones((3, 2)), np.zeros(3)
    score = make_symmetric_scorer(scorer, aggregate=aggregate)(None, X, y)
    assert np.isnan(score)


@pytest.mark.parametrize(
    "scoring, suggestions",
    [("accurcy", ["'accuracy'"]), ("f1macro", ["'f1_macro'", "'f1_micro'"]),
     ("logloss", ["'neg_log_loss'"])],
)
def test_misspelt_scoring_names_the_argument_and_suggests(scoring, suggestions):
    with pytest.raises(ValueError) as excinfo:
        make_symmetric_scorer(scoring)
    message = str(excinfo.value)
    assert f"scoring={scoring!r}" in message
    assert "check_scoring" not in message
    for suggestion in suggestions:
        assert suggestion in message
    assert len(message) < 300  # suggestions, not the list of every scorer
    with pytest.raises(ValueError, match="get_scorer_names"):
        symmetric_scoring("zzzzzz")


def test_metadata_routing_of_sample_weight(digits_300):
    X, y = digits_300
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_symmetric_scorer().set_score_request(sample_weight=True)
        est = DecisionTreeClassifier(random_state=0).set_fit_request(
            sample_weight=False
        )
        out = cross_validate(est, X, y, cv=2, scoring={"inv": scorer},
                             params={"sample_weight": w})
    for k, (train, test) in enumerate(StratifiedKFold(2).split(X, y)):
        model = DecisionTreeClassifier(random_state=0).fit(X[train], y[train])
        expected = accuracy_score(y[test], model.predict(-X[test]),
                                  sample_weight=w[test])
        assert out["test_inv"][k] == pytest.approx(expected, rel=1e-12)


# -- symmetry groups -------------------------------------------------------


def sorted_magnitudes(X):
    """Exactly invariant under every signed permutation: |s * x[perm]| is a
    permutation of |x| (abs is exact, also for -0.0), and sorting a
    permutation of the same values gives the same array, bit for bit."""
    return np.sort(np.abs(np.asarray(X, dtype=float)), axis=1)


def image_by_hand(g, X):
    """``g(X)`` from the definition ``x -> sign * x[perm]``, not via ``g()``."""
    return X[:, g.perm] * g.sign


def _quadrant_data(seed=0, n_samples=120):
    """4 x 4 images labelled by their brightest quadrant: not invariant under
    turns, mirrors or inversion, so a model's scores differ between images."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 16))
    quadrants = X.reshape(-1, 2, 2, 2, 2).sum(axis=(2, 4)).reshape(-1, 4)
    return X, quadrants.argmax(axis=1)


def _check_group_scorers(G, model, X, y, **kwargs):
    by_hand = [accuracy_score(y, model.predict(image_by_hand(g, X)), **kwargs)
               for g in G]
    worst = make_symmetric_scorer(symmetry=G, aggregate="min")
    mean = make_symmetric_scorer(symmetry=G, aggregate="mean")
    assert worst(model, X, y, **kwargs) == min(by_hand)
    assert mean(model, X, y, **kwargs) == pytest.approx(np.mean(by_hand), rel=1e-12)
    scorers = symmetric_scoring("accuracy", symmetry=G)
    assert len(scorers) == len(G) + 2
    per_element = [s(model, X, y, **kwargs) for s in list(scorers.values())[:-2]]
    assert per_element == by_hand  # in the order of G, the identity first
    assert scorers["worst_case_accuracy"](model, X, y, **kwargs) == min(by_hand)
    assert scorers["mean_accuracy"](model, X, y, **kwargs) == pytest.approx(
        np.mean(by_hand), rel=1e-12
    )
    return by_hand


@settings(max_examples=40, deadline=None)
@given(random_groups(), st.integers(0, 2**32 - 1))
def test_group_scorers_equal_min_and_mean_over_elements(G, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, G.n_features)) + rng.normal(size=G.n_features)
    y = rng.integers(0, 3, size=30)
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    _check_group_scorers(G, model, X, y)


def test_group_scorers_on_dihedral_times_inversion():
    G = SymmetryGroup.dihedral((4, 4)) * SymmetryGroup.inversion()
    X, y = _quadrant_data()
    model = LogisticRegression(max_iter=500).fit(X[:80], y[:80])
    X_test, y_test = X[80:], y[80:]
    by_hand = _check_group_scorers(G, model, X_test, y_test)
    # Otherwise min and mean could not be told apart from any one element.
    assert len(set(by_hand)) > 2
    w = np.random.default_rng(1).uniform(0.1, 2.0, size=len(y_test))
    weighted = _check_group_scorers(G, model, X_test, y_test, sample_weight=w)
    assert weighted != by_hand


def test_width_agnostic_group_binds_to_the_width_of_X(digits_300, fitted):
    X, y = digits_300[0][200:], digits_300[1][200:]
    G = SymmetryGroup.inversion()
    # A group of two elements with aggregate=None: the score on g(X), as invert.
    for aggregate in (None, "min", "mean"):
        assert make_symmetric_scorer(symmetry=G, aggregate=aggregate)(
            fitted, X, y
        ) == make_symmetric_scorer(symmetry=invert, aggregate=aggregate)(fitted, X, y)
    narrow = LogisticRegression().fit(X[:, :5], y)
    scorer = make_symmetric_scorer(symmetry=G, aggregate="min")
    assert scorer(narrow, X[:, :5], y) == min(
        narrow.score(X[:, :5], y), narrow.score(-X[:, :5], y)
    )
    assert list(symmetric_scoring(symmetry=G)) == [
        "accuracy", "accuracy_invert", "worst_case_accuracy", "mean_accuracy",
    ]


def test_group_scorer_keys_are_identifiers_and_unique():
    G = SymmetryGroup.dihedral((4, 4)) * SymmetryGroup.inversion()
    keys = list(symmetric_scoring("f1_macro", symmetry=G))
    assert len(set(keys)) == len(keys) == 18
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", key) for key in keys)
    assert keys[0] == "f1_macro"
    assert keys[-2:] == ["worst_case_f1_macro", "mean_f1_macro"]
    assert {"f1_macro_rot90", "f1_macro_mirror", "f1_macro_invert",
            "f1_macro_rot90_invert"} <= set(keys)
    # Two names that read the same once sanitised get told apart.
    clash = SymmetryGroup([([1, 0, 2], 1, "a*b"), ([0, 2, 1], 1, "a_b")])
    keys = list(symmetric_scoring(lambda est, X, y: 0.0, symmetry=clash))
    assert len(set(keys)) == len(keys) == len(clash) + 2
    assert {"score_a_b", "score_a_b_2"} <= set(keys)


def test_group_scorers_pickle(digits_300, fitted):
    X, y = digits_300[0][200:], digits_300[1][200:]
    G = SymmetryGroup.dihedral((8, 8)) * SymmetryGroup.inversion()
    for scorer in symmetric_scoring(symmetry=G).values():
        restored = pickle.loads(pickle.dumps(scorer))
        assert restored(fitted, X, y) == scorer(fitted, X, y)


def test_grid_search_with_group_scorers_refits_on_the_worst_case(digits_300):
    X, y = digits_300
    G = SymmetryGroup.dihedral((8, 8)) * SymmetryGroup.inversion()
    invariant = FunctionTransformer(sorted_magnitudes)
    grid = GridSearchCV(
        make_pipeline("passthrough", LogisticRegression(max_iter=300)),
        {"passthrough": ["passthrough", invariant]},
        scoring=symmetric_scoring(symmetry=G),
        refit="worst_case_accuracy",
        cv=3,
        n_jobs=2,
    ).fit(X, y)
    res = grid.cv_results_
    element_keys = list(symmetric_scoring(symmetry=G))[:-2]
    for k in range(3):
        per_element = np.array([res[f"split{k}_test_{key}"] for key in element_keys])
        np.testing.assert_array_equal(
            res[f"split{k}_test_worst_case_accuracy"], per_element.min(axis=0)
        )
        np.testing.assert_allclose(
            res[f"split{k}_test_mean_accuracy"], per_element.mean(axis=0), rtol=1e-12
        )
    assert grid.best_index_ == int(np.argmax(res["mean_test_worst_case_accuracy"]))
    best = grid.best_index_
    assert isinstance(grid.best_params_["passthrough"], FunctionTransformer)
    # The invariant model scores exactly the same on all 16 images.
    for key in element_keys:
        assert res[f"mean_test_{key}"][best] == res["mean_test_accuracy"][best]
    raw = 1 - best
    assert res["mean_test_worst_case_accuracy"][raw] < res["mean_test_accuracy"][raw]


def test_aggregate_none_needs_a_group_of_two():
    G = SymmetryGroup.rotations((2, 2))
    with pytest.raises(ValueError, match="3 elements besides the identity.*'min'"):
        make_symmetric_scorer(symmetry=G)
    make_symmetric_scorer(symmetry=G[1])  # one element is a plain callable


def test_group_of_another_width_than_X(digits_300, fitted):
    X, y = digits_300[0][200:], digits_300[1][200:]
    G = SymmetryGroup.dihedral((4, 4))
    for aggregate in ("min", "mean"):
        with pytest.raises(ValueError, match="acts on 16 features but X has 64"):
            make_symmetric_scorer(symmetry=G, aggregate=aggregate)(fitted, X, y)
    with pytest.raises(ValueError, match="'rot90' acts on 16 features"):
        symmetric_scoring(symmetry=G)["accuracy_rot90"](fitted, X, y)
    with pytest.raises(ValueError, match="2-d"):
        make_symmetric_scorer(symmetry=G, aggregate="min")(fitted, X[0], y)


@pytest.mark.parametrize("aggregate", ["min", "mean"])
def test_a_nan_on_any_element_gives_nan(aggregate):
    G = SymmetryGroup.mirror((1, 2)) * SymmetryGroup.inversion()
    X, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros(2)
    for bad in G:
        def scorer(estimator, X_g, y, bad=bad):
            return np.nan if np.array_equal(X_g, bad(X)) else 0.5

        score = make_symmetric_scorer(scorer, symmetry=G, aggregate=aggregate)
        assert np.isnan(score(None, X, y))


def test_group_scorer_does_not_modify_X(digits_300, fitted):
    X, y = digits_300[0][200:].copy(), digits_300[1][200:]
    X_before = X.copy()
    G = SymmetryGroup.dihedral((8, 8)) * SymmetryGroup.inversion()
    make_symmetric_scorer(symmetry=G, aggregate="min")(fitted, X, y)
    np.testing.assert_array_equal(X, X_before)
