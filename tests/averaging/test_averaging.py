"""Group averages of any estimator: exact invariance, equivariance with a
label action and oddness, as properties over random groups, inner estimators
and awkward data (ties, signed zeros, constant rows)."""

import functools

import numpy as np
import pytest
from group_strategies import groups_and_data
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import PCA
from sklearn.ensemble import ExtraTreesClassifier, RandomForestRegressor
from sklearn.kernel_approximation import Nystroem, RBFSampler
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from sk_symmetry import (
    GroupAveragedTransformer,
    SymmetrizedClassifier,
    SymmetrizedRegressor,
    SymmetryGroup,
)


def _awkward(X):
    """``X`` with a constant row, a row of signed zeros and a row tied with
    another row's image appended."""
    n = X.shape[1]
    zeros = np.zeros(n, X.dtype)
    zeros[::2] = -0.0
    return np.vstack([X, np.full(n, X.dtype.type(1.5)), zeros, -X[:1][:, ::-1]])


def _per_row(X, group, rng):
    """Each row under its own random element (signed zeros kept): the images
    and the element indices."""
    ks = rng.integers(len(group), size=len(X))
    out = np.empty_like(X)
    for i, k in enumerate(ks):
        g = group[k]
        out[i] = X[i, g.perm] * g.sign.astype(X.dtype)
    return out, ks


def _train(n_features, dtype, n_classes=2, n_samples=40):
    rng = np.random.default_rng(n_features)
    X = rng.integers(-3, 4, size=(n_samples, n_features)).astype(dtype)
    X[::5] = rng.standard_normal((len(X[::5]), n_features))
    y = (X[:, 0] + 0.5 * X[:, -1] > 0).astype(int)
    if n_classes == 3:
        y[X[:, 0] > 1.5] = 2
    return X, y


def _det(g):
    """+1 or -1: the determinant of a signed permutation, a character of
    every group of them."""
    perm = np.asarray(g.perm)
    seen, parity = np.zeros(perm.size, bool), 0
    for start in range(perm.size):
        length = 0
        while not seen[start]:
            seen[start] = True
            start = perm[start]
            length += 1
        parity += max(length - 1, 0)
    return int((-1) ** parity * np.prod(g.sign.astype(int)))


TRANSFORMERS = {
    "rbf": lambda: RBFSampler(n_components=7, random_state=0),
    "nystroem": lambda: Nystroem(n_components=5, random_state=0),
    "pca": lambda: PCA(n_components=2),
}

CLASSIFIERS = {
    "trees": lambda: ExtraTreesClassifier(n_estimators=5, random_state=0),
    # SVC's probability=True is deprecated (scikit-learn 1.9) for this
    "svc_proba": lambda: CalibratedClassifierCV(SVC(), ensemble=False, cv=3),
    "svc": lambda: SVC(),  # no predict_proba: the decision function
    "svc_ovo": lambda: SVC(decision_function_shape="ovo"),  # a vote
    "logistic": lambda: LogisticRegression(),
    "nystroem_logistic": lambda: make_pipeline(
        Nystroem(n_components=5, random_state=0), LogisticRegression()
    ),
    "knn": lambda: KNeighborsClassifier(3),
}


@pytest.mark.parametrize("pooling", ["mean", "max"])
@pytest.mark.parametrize("name", sorted(TRANSFORMERS))
@settings(max_examples=8, deadline=None)
@given(data=groups_and_data(max_size=16), seed=st.integers(0, 2**16))
def test_transformer_is_exactly_invariant(name, pooling, data, seed):
    group, X = data
    X = _awkward(X)
    X_train, _ = _train(X.shape[1], X.dtype)
    model = GroupAveragedTransformer(TRANSFORMERS[name](), group, pooling=pooling)
    F = model.fit(X_train).transform(X)
    X_g, _ = _per_row(X, group, np.random.default_rng(seed))
    assert np.array_equal(model.transform(X_g), F)
    for g in group.generators:
        assert np.array_equal(model.transform(g(X)), F)


def _proba_and_decision(model, X):
    out = {}
    for method in ("predict_proba", "decision_function"):
        if hasattr(model, method):
            out[method] = getattr(model, method)(X)
    return out


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
@settings(max_examples=6, deadline=None)
@given(data=groups_and_data(max_size=16), seed=st.integers(0, 2**16))
def test_classifier_is_exactly_invariant(name, data, seed):
    group, X = data
    X = _awkward(X)
    X_train, y = _train(X.shape[1], X.dtype, n_classes=3)
    model = SymmetrizedClassifier(CLASSIFIERS[name](), group).fit(X_train, y)
    expected = _proba_and_decision(model, X)
    X_g, _ = _per_row(X, group, np.random.default_rng(seed))
    for method, values in _proba_and_decision(model, X_g).items():
        assert np.array_equal(values, expected[method]), method
    assert np.array_equal(model.predict(X_g), model.predict(X))


@pytest.mark.parametrize("name", ["trees", "svc", "logistic", "svc_proba"])
@pytest.mark.parametrize("n_classes", [2, 3])
@settings(max_examples=6, deadline=None)
@given(data=groups_and_data(max_size=16), seed=st.integers(0, 2**16))
def test_classifier_with_a_label_action_is_exactly_equivariant(
    name, n_classes, data, seed
):
    # Elements of determinant -1 swap the classes 0 and 1 (and fix 2).
    group, X = data
    X = _awkward(X)
    X_train, y = _train(X.shape[1], X.dtype, n_classes=n_classes)
    model = SymmetrizedClassifier(
        CLASSIFIERS[name](), group,
        label_action=lambda g: {} if _det(g) > 0 else {0: 1, 1: 0},
    ).fit(X_train, y)
    table = model.class_permutations_
    assert [_det(g) < 0 for g in group] == [row[0] == 1 for row in table]
    X_g, ks = _per_row(X, group, np.random.default_rng(seed))
    P, P_g = _proba_and_decision(model, X), _proba_and_decision(model, X_g)
    rows = np.arange(len(X))[:, None]
    for method in P:
        if P[method].ndim == 1:  # binary decision: a swap flips its sign
            flip = np.where(table[ks, 0] == 1, -1.0, 1.0)
            assert np.array_equal(P_g[method], flip * P[method]), method
        else:
            assert np.array_equal(P_g[method][rows, table[ks]], P[method]), method
    # predict follows wherever the top score is not tied
    scores = P.get("predict_proba")
    if scores is not None:
        top = np.sort(scores, axis=1)
        untied = top[:, -1] > top[:, -2]
        labels = model.predict(X)
        moved = model.classes_[table[ks, np.searchsorted(model.classes_, labels)]]
        assert np.array_equal(model.predict(X_g)[untied], moved[untied])


@pytest.mark.parametrize("target", ["det", "odd", "invariant"])
@settings(max_examples=10, deadline=None)
@given(data=groups_and_data(max_size=16), seed=st.integers(0, 2**16))
def test_regressor_follows_its_target_exactly(target, data, seed):
    group, X = data
    if target == "odd":  # every element must negate all features or none
        perms = SymmetryGroup([(g.perm, 1, g.name) for g in group.generators])
        group = perms * SymmetryGroup.inversion(group.n_features)
    X = _awkward(X)
    X_train, _ = _train(X.shape[1], X.dtype)
    y = X_train.sum(axis=1) ** 3 + 1.0
    model = SymmetrizedRegressor(
        RandomForestRegressor(5, random_state=0) if seed % 2 else Ridge(),
        group,
        target=_det if target == "det" else target,
    ).fit(X_train, y)
    signs = model.target_signs_
    X_g, ks = _per_row(X, group, np.random.default_rng(seed))
    assert np.array_equal(model.predict(X_g), signs[ks] * model.predict(X))


@functools.cache
def _directions_model(name):
    G = SymmetryGroup.dihedral((3, 3))
    rng = np.random.default_rng(0)
    X_train = rng.standard_normal((40, 9))
    y = rng.choice(["up", "down", "left", "right"], size=40)
    model = SymmetrizedClassifier(
        CLASSIFIERS[name](), G, label_action={"rot90": TURN, "mirror": FLIP}
    )
    return G, model.fit(X_train, y)


TURN = {"up": "left", "left": "down", "down": "right", "right": "up"}
FLIP = {"left": "right", "right": "left"}


@pytest.mark.parametrize("name", ["trees", "logistic", "svc"])
@settings(max_examples=10, deadline=None)
@given(
    X=st.lists(
        st.lists(st.sampled_from([-1.0, -0.0, 0.0, 0.5, 1.0]), min_size=9,
                 max_size=9),
        min_size=1, max_size=6,
    ).map(np.array),
    seed=st.integers(0, 2**16),
)
def test_directions_turn_with_the_square(name, X, seed):
    # Eight distinct permutations of four classes: the partial sums are sorted.
    G, model = _directions_model(name)
    assert len(np.unique(model.class_permutations_, axis=0)) == 8
    X = _awkward(X)
    X_g, ks = _per_row(X, G, np.random.default_rng(seed))
    rows = np.arange(len(X))[:, None]
    table = model.class_permutations_
    for method, values in _proba_and_decision(model, X).items():
        moved = _proba_and_decision(model, X_g)[method]
        assert np.array_equal(moved[rows, table[ks]], values), method
