"""The averaging meta-estimators as scikit-learn estimators: what they fit
on, sample weights, sparse input and output, feature names, blocks of rows,
and the clear errors for what they refuse."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import SplineTransformer, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sk_symmetry import (
    GroupAveragedTransformer,
    SymmetrizedClassifier,
    SymmetrizedRegressor,
    SymmetryGroup,
    invert,
)
from sk_symmetry.averaging import _reynolds

G = SymmetryGroup.dihedral((2, 2)) * SymmetryGroup.inversion()
MIRROR = SymmetryGroup.mirror((2, 2))


@pytest.fixture
def small_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4))
    y = (X[:, 0] > 0).astype(int)
    return X, y


# -- what is fitted on what -------------------------------------------------
def test_fit_on_orbit_sees_every_image_and_data_only_x(small_data):
    X, y = small_data
    for fit_on, rows in (("orbit", len(G) * len(X)), ("data", len(X))):
        clf = SymmetrizedClassifier(
            DecisionTreeClassifier(random_state=0), G, fit_on=fit_on
        ).fit(X, y)
        assert clf.estimator_.tree_.n_node_samples[0] == rows
    tr = GroupAveragedTransformer(PCA(2), G, fit_on="orbit").fit(X)
    assert np.array_equal(
        tr.transformer_.components_, PCA(2).fit(np.vstack(G.orbit(X))).components_
    )


def test_orbit_labels_follow_the_label_action(small_data):
    X, _ = small_data
    y = np.where(X[:, 0] > 0, "right", "left")
    clf = SymmetrizedClassifier(
        DecisionTreeClassifier(random_state=0), MIRROR, fit_on="orbit",
        label_action={"mirror": {"left": "right", "right": "left"}},
    ).fit(X, y)
    tree = DecisionTreeClassifier(random_state=0).fit(
        np.vstack([X, MIRROR[1](X)]),
        np.concatenate([y, np.where(y == "left", "right", "left")]),
    )
    assert np.array_equal(clf.estimator_.predict(X), tree.predict(X))


def test_regressor_trains_on_signed_targets(small_data):
    X, _ = small_data
    y = X @ [1.0, 2.0, 0.0, -1.0] + 0.1 * X[:, 0] ** 3
    reg = SymmetrizedRegressor(LinearRegression(), None, target="odd").fit(X, y)
    # trained on (X, y) and (-X, -y), as the least squares fit of both says
    manual = LinearRegression().fit(np.vstack([X, -X]), np.concatenate([y, -y]))
    assert np.allclose(reg.estimator_.coef_, manual.coef_)
    assert abs(reg.estimator_.intercept_) < 1e-12
    assert np.allclose(reg.predict(X), X @ manual.coef_)
    assert np.array_equal(reg.predict(-X), -reg.predict(X))
    assert list(reg.target_signs_) == [1, -1]


def test_multioutput_regression_is_odd_per_column(small_data):
    X, _ = small_data
    Y = np.column_stack([X[:, 0] ** 3, X.sum(axis=1)])
    reg = SymmetrizedRegressor(Ridge(), G, target="odd").fit(X, Y)
    assert reg.predict(X).shape == (len(X), 2)
    for g, s in zip(G, reg.target_signs_, strict=True):
        assert np.array_equal(reg.predict(g(X)), s * reg.predict(X))


# -- sample weights ------------------------------------------------------------
def test_sample_weight_is_repeated_over_the_orbit(small_data):
    X, y = small_data
    w = np.linspace(0.5, 2.0, len(X))
    clf = SymmetrizedClassifier(LogisticRegression(), G).fit(X, y, sample_weight=w)
    manual = LogisticRegression().fit(
        np.vstack(G.orbit(X)), np.tile(y, len(G)), sample_weight=np.tile(w, len(G))
    )
    assert np.array_equal(clf.estimator_.coef_, manual.coef_)


def test_sample_weight_for_an_inner_fit_without_it_is_refused(small_data):
    X, _ = small_data
    with pytest.raises(TypeError, match="PCA.fit does not accept sample_weight"):
        GroupAveragedTransformer(PCA(2), G).fit(X, sample_weight=np.ones(len(X)))


# -- methods present as the inner model's ---------------------------------------
def test_methods_follow_the_inner_model(small_data):
    X, y = small_data
    svc = SymmetrizedClassifier(SVC(), G).fit(X, y)
    assert not hasattr(svc, "predict_proba")
    # predict follows the averaged decision function
    assert np.array_equal(
        svc.predict(X), svc.classes_[(svc.decision_function(X) > 0).astype(int)]
    )
    tree = SymmetrizedClassifier(DecisionTreeClassifier(random_state=0), G)
    assert hasattr(tree, "predict_proba") and not hasattr(tree, "decision_function")


def test_one_vs_one_scores_vote(small_data):
    X, _ = small_data
    y = np.digitize(X[:, 0] + X[:, 1] ** 2, [0.0, 1.0])
    voter = SymmetrizedClassifier(SVC(decision_function_shape="ovo"), G).fit(X, y)
    votes = np.stack([voter.estimator_.predict(g(X)) for g in G])
    counts = np.stack([(votes == c).sum(axis=0) for c in voter.classes_], axis=1)
    # the most frequent inner prediction, ties to the first class
    assert np.array_equal(voter.predict(X), voter.classes_[counts.argmax(axis=1)])


def test_predict_proba_is_the_mean_of_the_inner_probabilities(small_data):
    X, y = small_data
    clf = SymmetrizedClassifier(LogisticRegression(), G).fit(X, y)
    mean = np.mean([clf.estimator_.predict_proba(g(X)) for g in G], axis=0)
    assert np.allclose(clf.predict_proba(X), mean, rtol=0, atol=1e-15)
    assert np.array_equal(clf.predict(X), clf.classes_[mean.argmax(axis=1)])
    assert np.allclose(clf.predict_log_proba(X), np.log(mean))


def test_one_vs_one_decision_with_a_label_action_is_refused(small_data):
    X, _ = small_data
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    clf = SymmetrizedClassifier(
        SVC(decision_function_shape="ovo"), MIRROR,
        label_action=[{0: 2, 2: 0}],
    ).fit(X, y)
    with pytest.raises(ValueError, match="one score per class"):
        clf.decision_function(X)


# -- sparse input and output ----------------------------------------------------
def test_sparse_input_is_pooled_as_dense(small_data):
    X, y = small_data
    X[np.abs(X) < 0.7] = 0.0
    clf = SymmetrizedClassifier(LogisticRegression(), G).fit(sp.csr_matrix(X), y)
    P = clf.predict_proba(sp.csr_matrix(X))
    assert np.allclose(P, clf.predict_proba(X))
    for g in G:
        assert np.array_equal(clf.predict_proba(g(sp.csr_matrix(X))), P)
    # an inner model that needs dense data: refused as it would refuse it
    with pytest.raises(TypeError, match="[Ss]parse"):
        GroupAveragedTransformer(SplineTransformer(), G).fit(sp.csr_matrix(X))


def test_sparse_output_stays_sparse(small_data):
    X, _ = small_data
    tr = GroupAveragedTransformer(SplineTransformer(sparse_output=True), G).fit(X)
    F = tr.transform(X)
    assert sp.issparse(F)
    dense = GroupAveragedTransformer(SplineTransformer(), G).fit(X).transform(X)
    assert np.allclose(F.toarray(), dense)
    for g in G:
        assert (tr.transform(g(X)) != F).nnz == 0


# -- feature names and output containers --------------------------------------
def test_feature_names_and_pandas_output(small_data):
    X, _ = small_data
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    scaler = GroupAveragedTransformer(StandardScaler(), MIRROR).fit(frame)
    assert list(scaler.get_feature_names_out()) == ["a", "b", "c", "d"]
    pca = GroupAveragedTransformer(PCA(2), MIRROR).set_output(transform="pandas")
    out = pca.fit(frame).transform(frame)
    assert list(out.columns) == ["pca0", "pca1"]
    assert np.array_equal(out.to_numpy(), pca.transform(MIRROR[1](frame)).to_numpy())
    # an inner transformer set to pandas output is read as an array
    inner = PCA(2).set_output(transform="pandas")
    assert np.array_equal(
        GroupAveragedTransformer(inner, MIRROR).fit(X).transform(X),
        GroupAveragedTransformer(PCA(2), MIRROR).fit(X).transform(X),
    )


# -- memory: blocks of rows ---------------------------------------------------
def test_blocks_bound_what_the_inner_model_sees(small_data, monkeypatch):
    X, _ = small_data
    seen = []

    class Recording(RBFSampler):
        def transform(self, X):
            seen.append(len(X))
            return super().transform(X)

    whole = GroupAveragedTransformer(Recording(random_state=0), G).fit(X)
    F = whole.transform(X)
    # blocks of about 7 rows
    per_row = 8 * (4 + len(G) + 2 * 100)
    monkeypatch.setattr(_reynolds, "_BLOCK_BYTES", 7 * per_row)
    seen.clear()
    F_blocks = whole.transform(X)
    assert max(seen) == 7 and len(seen) == len(G) * 5
    assert np.allclose(F_blocks, F, rtol=1e-12)
    for g in G:
        assert np.array_equal(whole.transform(g(X)), F_blocks)


def test_inputs_are_not_modified(small_data):
    X, y = small_data
    X[0, :] = -0.0
    before, y_before = X.copy(), y.copy()
    clf = SymmetrizedClassifier(LogisticRegression(), G).fit(X, y)
    clf.predict_proba(X)
    GroupAveragedTransformer(PCA(2), G).fit(X).transform(X)
    assert np.array_equal(X, before) and np.array_equal(y, y_before)
    assert np.signbit(X[0]).all()


# -- what is refused, and how -------------------------------------------------
def test_wrong_kind_of_inner_estimator_is_refused(small_data):
    X, y = small_data
    with pytest.raises(ValueError, match="estimator must be a classifier"):
        SymmetrizedClassifier(Ridge()).fit(X, y)
    with pytest.raises(ValueError, match="estimator must be a regressor"):
        SymmetrizedRegressor(LogisticRegression()).fit(X, y)


def test_a_plain_function_is_refused_as_symmetry(small_data):
    X, y = small_data
    with pytest.raises(TypeError, match="SymmetryGroup of signed permutations"):
        SymmetrizedClassifier(LogisticRegression(), lambda Z: Z[:, ::-1]).fit(X, y)
    # invert is the inversion group, accepted
    SymmetrizedClassifier(LogisticRegression(), invert).fit(X, y)


def test_a_group_of_another_width_is_refused(small_data):
    X, y = small_data
    with pytest.raises(ValueError, match="acts on 9 features"):
        GroupAveragedTransformer(PCA(2), SymmetryGroup.mirror((3, 3))).fit(X)


@pytest.mark.parametrize(
    "label_action, error, match",
    [
        ({"rot": {}}, ValueError, r"names \['rot'\], which are not generators"),
        ([{}], ValueError, "holds 1 permutations but the symmetry has 2"),
        ("mirror", TypeError, "label_action must be None"),
        ({"mirror": ["left"]}, TypeError, r"must be a dict \{label: label\}"),
        ({"mirror": {"left": "down"}}, ValueError, "'left' to 'down', which is not"),
        ({"mirror": {"left": "right"}}, ValueError, "more than one class to 'right'"),
        # a three-cycle for an element of order 2
        ({"mirror": {"left": "right", "right": "up", "up": "left"}}, ValueError,
         "not an action of the group"),
    ],
)
def test_bad_label_actions_are_refused(small_data, label_action, error, match):
    X, _ = small_data
    y = np.array(["left", "right", "up"])[np.arange(len(X)) % 3]
    D = SymmetryGroup.dihedral((2, 2))
    with pytest.raises(error, match=match):
        SymmetrizedClassifier(
            LogisticRegression(), D, fit_on="data", label_action=label_action
        ).fit(X, y)


def test_label_action_forms_agree(small_data):
    X, _ = small_data
    y = np.array(["left", "right", "up", "down"])[np.arange(len(X)) % 4]
    D = SymmetryGroup.dihedral((2, 2))
    turn = {"up": "left", "left": "down", "down": "right", "right": "up"}
    flip = {"left": "right", "right": "left"}
    by_name = {"rot90": turn, "mirror": flip}
    tables = []
    for action in (by_name, [turn, flip]):
        clf = SymmetrizedClassifier(LogisticRegression(), D, label_action=action)
        tables.append(clf.fit(X, y).class_permutations_)
    classes = np.array(["down", "left", "right", "up"])
    table = dict(zip(D, tables[0], strict=True))
    clf = SymmetrizedClassifier(
        LogisticRegression(), D,
        label_action=lambda g: dict(zip(classes, classes[table[g]], strict=True)),
    )
    tables.append(clf.fit(X, y).class_permutations_)
    assert np.array_equal(tables[0], tables[1])
    assert np.array_equal(tables[0], tables[2])
    # a callable that is not an action is refused
    bad = SymmetrizedClassifier(
        LogisticRegression(), D, label_action=lambda g: flip if "rot" in g.name else {}
    )
    with pytest.raises(ValueError, match="not an action of the group"):
        bad.fit(X, y)


def test_orbit_training_adds_the_classes_the_action_reaches(small_data):
    X, _ = small_data
    y = np.full(len(X), "left")
    y[::2] = "up"
    action = {"mirror": {"left": "right", "right": "left"}}
    clf = SymmetrizedClassifier(LogisticRegression(), MIRROR, label_action=action)
    assert list(clf.fit(X, y).classes_) == ["left", "right", "up"]
    with pytest.raises(ValueError, match="fit_on='orbit' adds them"):
        clone(clf).set_params(fit_on="data").fit(X, y)


def test_targets_that_are_not_characters_are_refused(small_data):
    X, _ = small_data
    y = X[:, 0]
    D = SymmetryGroup.dihedral((2, 2))
    with pytest.raises(ValueError, match="target .a sign per element. is not an"):
        SymmetrizedRegressor(
            Ridge(), D, target=lambda g: -1 if g.name == "rot90" else 1
        ).fit(X, y)
    # 'odd' is ambiguous for an element that negates some features only
    half = SymmetryGroup([(np.arange(4), [1, 1, -1, -1], "half")])
    with pytest.raises(ValueError, match="ambiguous"):
        SymmetrizedRegressor(Ridge(), half, target="odd").fit(X, y)
    with pytest.raises(ValueError, match="target"):
        SymmetrizedRegressor(Ridge(), target="even").fit(X, y)


def test_bad_parameters_are_refused(small_data):
    X, _ = small_data
    with pytest.raises(ValueError, match="pooling"):
        GroupAveragedTransformer(PCA(2), pooling="median").fit(X)


def test_missing_values_are_pooled_exactly():
    # -X flips the sign bit of a NaN, a product by -1 does not: NaNs are made
    # one value before the images are sorted by their bytes (NaN next to
    # +-1.5, whose bytes differ from NaN's in the sign byte only, changed the
    # order of the images of x and -x, and the sums' last bits).
    rng = np.random.default_rng(0)
    X_train = rng.standard_normal((60, 4))
    y = (X_train[:, 0] + X_train[:, 1] ** 2 > 0.5).astype(int)
    X_train[::4, 0] = np.nan
    clf = SymmetrizedClassifier(
        HistGradientBoostingClassifier(max_iter=20, random_state=0), G
    ).fit(X_train, y)
    values = np.array([np.nan, 1.5, -1.5, 1.0, -0.5, 0.0])
    X = values[rng.integers(len(values), size=(1000, 4))]
    P = clf.predict_proba(X)
    for g in G:
        assert np.array_equal(clf.predict_proba(g(X)), P), g.name
