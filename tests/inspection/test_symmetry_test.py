"""symmetry_test: exact p-values under the null (enumerated), power on clear
asymmetries, per-class relabellings, subgroup_ and errors."""

import itertools

import joblib
import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from sk_symmetry import SymmetryGroup, SymmetryTestDisplay, invert, symmetry_test
from sk_symmetry.inspection._symmetry_test_result import _largest_subgroup

TREE = DecisionTreeClassifier(random_state=0)


def null_p_values(group, base, labels, cv, fixed=None):
    """The p-values of every data set the null allows given the orbits.

    Row ``i`` is ``g(base[i])`` for some element ``g``; under the null (the
    distribution invariant under the group) all ``len(group) ** n`` choices
    are equally likely given the orbits, so the p-values over all of them
    are their exact null distribution (for the split random_state=0).
    ``fixed`` maps rows to a fixed choice: the distribution is then the one
    given those rows, which the p-values must also respect when the rows
    are the ones models are fitted on before the others are tested.
    """
    fixed = {} if fixed is None else fixed
    free = [i for i in range(len(base)) if i not in fixed]
    pvalues = []
    for choice in itertools.product(range(len(group)), repeat=len(free)):
        choice = {**fixed, **dict(zip(free, choice, strict=True))}
        X = np.vstack([group[choice[i]](base[i : i + 1]) for i in range(len(base))])
        result = symmetry_test(X, labels, group, estimator=TREE, cv=cv, random_state=0)
        pvalues.append(np.r_[result.input_pvalue, result.label_pvalue])
    return np.array(pvalues)  # (n_data_sets, 2 * n_elements)


def assert_super_uniform(pvalues):
    """``P(p <= t) <= t`` at every attained value ``t``, exactly."""
    for column in pvalues.T:
        for t in np.unique(column):
            assert np.mean(column <= t) <= t + 1e-12, (t, np.mean(column <= t))


def test_p_values_are_exactly_super_uniform_under_the_null():
    """Every data set, three blocks: two tested, combined by Fisher."""
    group = SymmetryGroup.mirror((1, 3))
    base = np.random.RandomState(0).normal(size=(6, 3))
    labels = np.arange(6) % 2  # carried along with each row's orbit
    pvalues = null_p_values(group, base, labels, cv=3)
    assert_super_uniform(pvalues)
    assert np.all(pvalues[:, [0, 2]] == 1.0)  # the identity
    assert pvalues.min() < 0.65


@pytest.mark.parametrize(
    "group, n_rows",
    [(SymmetryGroup.mirror((1, 3)), 10), (SymmetryGroup.rotations((2, 2)), 6)],
    ids=["mirror", "rotations"],
)
def test_p_values_are_super_uniform_given_the_training_block(group, n_rows):
    """Two blocks, the first fixed: the tested block alone, exactly, with
    p-values as small as 1/32 (mirror) and 1/8 (rotations) possible."""
    rng = np.random.RandomState(1)
    base = rng.normal(size=(n_rows, group.n_features))
    labels = np.arange(n_rows) % 2
    first, _ = np.array_split(np.random.RandomState(0).permutation(n_rows), 2)
    fixed = {int(i): int(rng.randint(len(group))) for i in first}
    pvalues = null_p_values(group, base, labels, cv=2, fixed=fixed)
    assert_super_uniform(pvalues)
    assert pvalues.min() <= 0.25  # small p-values do occur: not vacuous


def test_a_pair_sign_test_would_not_be_exact_for_a_quarter_turn():
    """Why the input test compares marginals (McNemar) rather than the sign
    of a preference within the pair: on an invariant 4-cycle a fixed scorer
    prefers ``g(x)`` to ``x`` twice as often as the reverse."""
    g = SymmetryGroup.rotations((2, 2))[1]
    orbit = [np.array([[1.0, 2.0, 3.0, 4.0]])]
    for _ in range(3):
        orbit.append(g(orbit[-1]))
    score = {orbit[0].tobytes(): 1.0, orbit[1].tobytes(): 0.5}
    f = [score.get(x.tobytes(), 0.0) for x in orbit]
    signs = [np.sign(f[i] - f[(i + 1) % 4]) for i in range(4)]
    assert signs.count(1.0) == 2 and signs.count(-1.0) == 1
    # McNemar's premise does hold: x and g(x) are equally often scored high.
    assert sorted(f) == sorted(f[1:] + f[:1])


@pytest.fixture(scope="module")
def shifted_mean():
    """Gaussian rows with a mean off zero and the sign of feature 0 as label:
    under x -> -x neither the inputs nor the labels are invariant."""
    X = np.random.RandomState(1).normal(size=(400, 3))
    return X + 1.0, (X[:, 0] > 0).astype(int)


def test_clear_asymmetry_is_rejected_by_both_tests(shifted_mean):
    X, y = shifted_mean
    result = symmetry_test(X, y, random_state=0)
    assert result.elements == ("identity", "invert")
    assert result.rejected == ("none", "both")
    assert result.input_pvalue_adjusted[1] < 1e-10
    assert result.label_pvalue_adjusted[1] < 1e-10
    assert result.input_accuracy[1] > 0.9
    assert result.invariant.tolist() == [True, False]
    # The identity is invariant by definition, never tested.
    assert result.input_pvalue[0] == result.label_pvalue[0] == 1.0
    assert result.transformed_accuracy[0] == result.accuracy


def test_inputs_and_labels_are_separate_questions():
    X = np.random.RandomState(2).normal(size=(400, 3))
    labels_change = symmetry_test(X, (X[:, 0] > 0).astype(int), random_state=0)
    assert labels_change.rejected == ("none", "labels")
    inputs_only = symmetry_test(X + 1.0, random_state=0)  # no y
    assert inputs_only.rejected == ("none", "inputs")
    assert inputs_only.classes is None and inputs_only.label_pvalue is None


def negate(X):
    return -X


def test_a_callable_is_one_element_and_matches_the_group(shifted_mean):
    X, y = shifted_mean
    by_callable = symmetry_test(X, y, negate, random_state=0)
    by_group = symmetry_test(X, y, SymmetryGroup.inversion(), random_state=0)
    by_invert = symmetry_test(X, y, invert, random_state=0)
    assert by_callable.elements == ("identity", "negate")
    assert by_group.elements == by_invert.elements == ("identity", "invert")
    for other in (by_group, by_invert):
        np.testing.assert_array_equal(by_callable.input_pvalue, other.input_pvalue)
        np.testing.assert_array_equal(by_callable.label_pvalue, other.label_pvalue)
    assert by_callable.subgroup_ is None  # a function is not a signed permutation
    assert len(by_group.subgroup_) == len(by_invert.subgroup_) == 1


@pytest.fixture(scope="module")
def class_swap():
    """Classes a and b are each other's mirror image, class c sits on the
    mirror line: the inputs are invariant under the swap of the two
    features, the labels of a and b are not, those of c are."""
    rng = np.random.RandomState(3)
    n = 600
    z = rng.normal(size=(n, 2)) * 0.5 + [2.0, 0.0]
    side = rng.rand(n) < 0.5
    z[side] = z[side, ::-1]
    c = rng.normal(size=(n // 2, 2)) * 0.5 - 1.5
    X = np.vstack([z, c])
    y = np.r_[np.where(side, "b", "a"), np.repeat("c", n // 2)]
    return X, y


def test_per_class_output_shows_a_class_swap(class_swap):
    X, y = class_swap
    result = symmetry_test(X, y, SymmetryGroup.mirror((1, 2)), random_state=0)
    assert result.rejected == ("none", "labels")
    flagged = result.relabelled("mirror")
    assert {(c, d) for c, d, _ in flagged} == {("a", "b"), ("b", "a")}
    assert all(fraction > 0.8 for *_, fraction in flagged)
    assert result.class_pvalue_adjusted[1, 2] > 0.05  # class c is not moved
    assert result.subgroup_ == SymmetryGroup([(np.arange(2), 1, "identity")])
    assert "a->b" in str(result) and "b->a" in str(result)


def test_identity_is_never_rejected_and_input_is_not_modified(shifted_mean):
    X, y = shifted_mean
    X_before = X.copy()
    G = SymmetryGroup.mirror((1, 3)) * SymmetryGroup.inversion()
    with joblib.parallel_config(backend="threading"):  # no process start-up
        result = symmetry_test(X, y, G, random_state=0, n_jobs=2)
    np.testing.assert_array_equal(X, X_before)
    assert result.elements[0] == "identity" and result.invariant[0]
    assert result.input_pvalue_adjusted[0] == 1.0
    assert result.rejected[0] == "none"
    # n_jobs changes nothing.
    serial = symmetry_test(X, y, G, random_state=0)
    np.testing.assert_array_equal(serial.label_pvalue, result.label_pvalue)


def test_holm_adjustment():
    X = np.random.RandomState(4).normal(size=(200, 4)) + 0.3
    G = SymmetryGroup.mirror((2, 2)) * SymmetryGroup.inversion()
    result = symmetry_test(X, symmetry=G, estimator=TREE, random_state=0)
    raw, adjusted = result.input_pvalue[1:], result.input_pvalue_adjusted[1:]
    order = np.argsort(raw, kind="stable")
    m = raw.size
    expected = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * raw[order]))
    np.testing.assert_allclose(adjusted[order], expected, rtol=1e-12)
    assert np.all(adjusted >= raw)


@pytest.mark.parametrize("seed", range(6))
def test_subgroup_is_the_largest_group_inside_the_passing_elements(seed):
    G = SymmetryGroup.dihedral((3, 3)) * SymmetryGroup.inversion()
    rng = np.random.RandomState(seed)
    passing = [G[0]] + [g for g in G[1:] if rng.rand() < 0.6]
    subgroup = _largest_subgroup(G, passing)
    members = set(subgroup)
    assert members <= set(passing)
    assert all(a * b in members for a in members for b in members)
    # Brute force: every subgroup of D4 x C2 has at most three generators.
    largest = 1
    for size in (1, 2, 3):
        for gens in itertools.combinations(passing[1:], size):
            closure = set(SymmetryGroup([(g.perm, g.sign) for g in gens]))
            if closure <= set(passing):
                largest = max(largest, len(closure))
    assert len(subgroup) == largest


def test_subgroup_is_the_whole_group_on_invariant_data():
    rng = np.random.RandomState(5)
    G = SymmetryGroup.mirror((1, 2)) * SymmetryGroup.inversion()
    orbit = G.orbit(rng.normal(size=(150, 2)))
    X = np.vstack([orbit[k][i : i + 1] for i, k in enumerate(rng.randint(4, size=150))])
    result = symmetry_test(X, symmetry=G, random_state=0)
    assert result.invariant.all()
    assert result.subgroup_ == G


def test_to_frame_and_summary(class_swap):
    pytest.importorskip("pandas")
    X, y = class_swap
    result = symmetry_test(X, y, SymmetryGroup.mirror((1, 2)), random_state=0)
    frame = result.to_frame()
    assert list(frame.index) == list(result.elements)
    np.testing.assert_array_equal(frame["label_pvalue"], result.label_pvalue)
    per_class = result.to_frame(per_class=True)
    assert per_class.shape[0] == 2 * 3
    np.testing.assert_array_equal(
        per_class["pvalue_adjusted"], result.class_pvalue_adjusted.ravel()
    )
    text = repr(result)
    assert text == str(result) and text.count("\n") == 5
    assert text.splitlines()[3].startswith("identity")


def test_display_marks_the_rejected_cells(class_swap):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    X, y = class_swap
    result = symmetry_test(X, y, SymmetryGroup.mirror((1, 2)), random_state=0)
    display = SymmetryTestDisplay.from_result(result)
    assert display.values.shape == (2, 4)
    assert display.columns == ["inputs", "a", "b", "c"]
    expected = np.where(result.class_pvalue_adjusted[1] <= 0.05, "->", "")
    assert [m[:2] for m in display.marks[1, 1:]] == expected.tolist()
    assert display.ax_.get_yticklabels()[1].get_text() == "mirror"
    import matplotlib.pyplot as plt

    plt.close(display.figure_)


def test_relabelled_names_an_unknown_element(class_swap):
    X, y = class_swap
    result = symmetry_test(X, y, SymmetryGroup.mirror((1, 2)), random_state=0)
    assert result.relabelled(-1) == result.relabelled(1) == result.relabelled("mirror")
    with pytest.raises(ValueError, match=r"element='nope' is not one of .*'mirror'"):
        result.relabelled("nope")
    with pytest.raises(ValueError, match="element=2 is out of range.*2 elements"):
        result.relabelled(2)
    with pytest.raises(TypeError, match="element must be .* got 1.0 of type float"):
        result.relabelled(1.0)


def test_display_from_result_refuses_a_frame(class_swap):
    pd = pytest.importorskip("pandas")
    X, y = class_swap
    result = symmetry_test(X, y, SymmetryGroup.mirror((1, 2)), random_state=0)
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame)
    message = "result must be the SymmetryTestResult.*got DataFrame"
    with pytest.raises(TypeError, match=message):
        SymmetryTestDisplay.from_result(frame)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"symmetry": SymmetryGroup.mirror((2, 2))}, ValueError, "acts on 4"),
        ({"cv": 31}, ValueError, "cv=31"),
        ({"cv": 1}, ValueError, "'cv'"),
        ({"y": np.zeros(30)}, ValueError, "single class"),
        ({"y": np.arange(29) % 2}, ValueError, "inconsistent numbers"),
        ({"y": np.linspace(0, 1, 30)}, ValueError, "class labels"),
        ({"symmetry": "mirror"}, ValueError, "'symmetry'"),
        ({"alpha": 1.5}, ValueError, "'alpha'"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be None or a nonzero"),
        ({"symmetry": lambda X: X[:, :2]}, ValueError, "shape of X"),
    ],
)
def test_errors_name_the_problem(kwargs, error, match):
    X = np.random.RandomState(0).normal(size=(30, 3))
    kwargs = {"y": np.arange(30) % 2, **kwargs}
    with pytest.raises(error, match=match):
        symmetry_test(X, **kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_X_is_refused(bad):
    X = np.random.RandomState(0).normal(size=(30, 3))
    X[4, 1] = bad
    with pytest.raises(ValueError, match="X"):
        symmetry_test(X)


@pytest.mark.parametrize("y", [None, np.arange(30) % 2])
def test_a_regressor_is_refused_as_estimator(y):
    # a regressor's predict is never exactly the label 1: it reported
    # "invariant" without y and raised an IndexError with it
    from sklearn.linear_model import LinearRegression

    X = np.random.RandomState(0).normal(size=(30, 3))
    with pytest.raises(TypeError, match="estimator must be a classifier"):
        symmetry_test(X, y, estimator=LinearRegression())
