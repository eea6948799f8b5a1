"""OrbitAugmentedClassifier against fitting the inner model on the orbit by hand."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from group_strategies import random_groups
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_symmetry import (
    OrbitAugmentedClassifier,
    SymmetryGroup,
    invert,
    symmetric_scoring,
)


def reverse_columns(X):
    return np.asarray(X)[:, ::-1].copy()


@pytest.fixture
def shifted_blobs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)) + np.array([1.0, 0.0, 0.0, 0.0])
    y = rng.integers(0, 3, size=60)
    return X, y


def test_fits_inner_estimator_on_the_orbit(shifted_blobs):
    X, y = shifted_blobs
    clf = OrbitAugmentedClassifier(LogisticRegression(C=0.5)).fit(X, y)
    by_hand = LogisticRegression(C=0.5).fit(np.vstack([X, -X]), np.r_[y, y])
    np.testing.assert_array_equal(clf.estimator_.coef_, by_hand.coef_)
    np.testing.assert_array_equal(clf.estimator_.intercept_, by_hand.intercept_)
    assert clf.estimator_ is not clf.estimator
    assert not hasattr(clf.estimator, "coef_")  # the given estimator is untouched
    np.testing.assert_array_equal(clf.predict_proba(X), by_hand.predict_proba(X))
    np.testing.assert_array_equal(
        clf.decision_function(X), by_hand.decision_function(X)
    )
    np.testing.assert_array_equal(
        clf.predict_log_proba(X), by_hand.predict_log_proba(X)
    )
    np.testing.assert_array_equal(clf.predict(X), by_hand.predict(X))
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    assert clf.n_features_in_ == 4


def test_trains_on_two_n_rows(shifted_blobs):
    X, y = shifted_blobs
    clf = OrbitAugmentedClassifier(DecisionTreeClassifier(random_state=0)).fit(X, y)
    assert clf.estimator_.tree_.n_node_samples[0] == 2 * len(y)


def test_sample_weight_repeated(shifted_blobs):
    X, y = shifted_blobs
    w = np.random.default_rng(1).uniform(0.1, 3.0, size=len(y))
    clf = OrbitAugmentedClassifier(LogisticRegression()).fit(X, y, sample_weight=w)
    by_hand = LogisticRegression().fit(
        np.vstack([X, -X]), np.r_[y, y], sample_weight=np.r_[w, w]
    )
    np.testing.assert_array_equal(clf.estimator_.coef_, by_hand.coef_)
    unweighted = OrbitAugmentedClassifier(LogisticRegression()).fit(X, y)
    assert not np.array_equal(unweighted.estimator_.coef_, clf.estimator_.coef_)


def test_sample_weight_needs_an_estimator_that_accepts_it(shifted_blobs):
    X, y = shifted_blobs
    clf = OrbitAugmentedClassifier(KNeighborsClassifier())
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        clf.fit(X, y, sample_weight=np.ones(len(y)))
    clf.fit(X, y)  # without weights it is fine


def test_any_symmetry(shifted_blobs):
    X, y = shifted_blobs
    clf = OrbitAugmentedClassifier(LogisticRegression(), symmetry=reverse_columns)
    clf.fit(X, y)
    by_hand = LogisticRegression().fit(np.vstack([X, X[:, ::-1]]), np.r_[y, y])
    np.testing.assert_array_equal(clf.estimator_.coef_, by_hand.coef_)


def test_symmetry_of_wrong_shape(shifted_blobs):
    X, y = shifted_blobs
    clf = OrbitAugmentedClassifier(LogisticRegression(), symmetry=lambda X: X[:, :2])
    with pytest.raises(ValueError, match="shape of X"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "estimator, kind", [(LinearRegression(), "regressor"), (KMeans(2), "clusterer")]
)
def test_inner_estimator_must_be_a_classifier(shifted_blobs, estimator, kind):
    X, y = shifted_blobs
    clf = OrbitAugmentedClassifier(estimator)
    assert get_tags(clf).estimator_type == "classifier"  # tags do not crash
    with pytest.raises(ValueError, match=f"must be a classifier.*{kind}"):
        clf.fit(X, y)
    assert not hasattr(clf, "estimator_")


def test_bad_parameters(shifted_blobs):
    X, y = shifted_blobs
    with pytest.raises(ValueError, match="symmetry"):
        OrbitAugmentedClassifier(LogisticRegression(), symmetry="invert").fit(X, y)
    with pytest.raises(ValueError, match="estimator"):
        OrbitAugmentedClassifier(object()).fit(X, y)
    # Issue 18, item 9: the class is callable, so the parameter check lets
    # it through; it must not fail with "generator 0 must be a pair".
    clf = OrbitAugmentedClassifier(LogisticRegression(), symmetry=SymmetryGroup)
    with pytest.raises(TypeError, match="class SymmetryGroup. Pass an instance"):
        clf.fit(X, y)


def test_inputs_not_modified(shifted_blobs):
    X, y = shifted_blobs
    X_before, y_before = X.copy(), y.copy()
    w = np.ones(len(y))
    OrbitAugmentedClassifier(LogisticRegression()).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(w, np.ones(len(y)))


def test_methods_follow_the_inner_estimator(shifted_blobs):
    X, y = shifted_blobs
    knn = OrbitAugmentedClassifier(KNeighborsClassifier())
    assert not hasattr(knn, "decision_function")
    assert hasattr(knn, "predict_proba")
    assert hasattr(OrbitAugmentedClassifier(LogisticRegression()), "decision_function")


def test_params_reach_the_inner_estimator(shifted_blobs):
    X, y = shifted_blobs
    clf = OrbitAugmentedClassifier(LogisticRegression(C=2.0))
    assert clf.get_params(deep=True)["estimator__C"] == 2.0
    clf.set_params(estimator__C=0.25)
    assert clone(clf).estimator.C == 0.25


def test_feature_names(shifted_blobs):
    pd = pytest.importorskip("pandas")
    X, y = shifted_blobs
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = OrbitAugmentedClassifier(LogisticRegression()).fit(df, y)
    assert clf.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    by_hand = LogisticRegression().fit(np.vstack([X, -X]), np.r_[y, y])
    np.testing.assert_array_equal(clf.predict(df), by_hand.predict(X))
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


def test_pickle_fitted(shifted_blobs):
    X, y = shifted_blobs
    clf = OrbitAugmentedClassifier(LogisticRegression()).fit(X, y)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(clf)).predict(X), clf.predict(X)
    )


def test_training_practice_is_a_grid_option(shifted_blobs):
    X, y = shifted_blobs
    pipe = Pipeline([("clf", LogisticRegression())])
    grid = GridSearchCV(
        pipe,
        {"clf": [LogisticRegression(), OrbitAugmentedClassifier(LogisticRegression())]},
        scoring=symmetric_scoring(),
        refit="worst_case_accuracy",
        cv=StratifiedKFold(2),
    ).fit(X, y)
    # Each candidate's scores equal those of the model fitted by hand on the
    # same folds: plain on X, or on the orbit {X, -X}.
    results = grid.cv_results_
    for index, clf in enumerate(results["param_clf"]):
        for fold, (train, test) in enumerate(grid.cv.split(X, y)):
            X_fit, y_fit = X[train], y[train]
            if isinstance(clf, OrbitAugmentedClassifier):
                X_fit, y_fit = np.vstack([X_fit, -X_fit]), np.r_[y_fit, y_fit]
            by_hand = LogisticRegression().fit(X_fit, y_fit)
            assert results[f"split{fold}_test_accuracy"][index] == pytest.approx(
                by_hand.score(X[test], y[test])
            )
            assert results[f"split{fold}_test_inverted_accuracy"][
                index
            ] == pytest.approx(by_hand.score(-X[test], y[test]))


# -- training on the orbit of a group --------------------------------------


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Keeps what it was fitted on; predicts the first class."""

    def fit(self, X, y, sample_weight=None):
        self.X_seen_ = X.copy()
        self.y_seen_ = np.array(y)
        self.sample_weight_seen_ = sample_weight
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.classes_[0])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _orbit_by_hand(G, X):
    """The stacked orbit from the definition ``x -> sign * x[perm]``."""
    return np.vstack([X[:, g.perm] * g.sign for g in G])


@settings(max_examples=40, deadline=None)
@given(random_groups(), st.integers(0, 2**32 - 1))
def test_inner_estimator_sees_exactly_the_stacked_orbit(G, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7, G.n_features))
    y = rng.integers(0, 3, size=7)
    w = rng.uniform(0.5, 2.0, size=7)
    clf = OrbitAugmentedClassifier(RecordingClassifier(), symmetry=G)
    inner = clf.fit(X, y, sample_weight=w).estimator_
    np.testing.assert_array_equal(inner.X_seen_, _orbit_by_hand(G, X))
    np.testing.assert_array_equal(inner.y_seen_, np.tile(y, len(G)))
    np.testing.assert_array_equal(inner.sample_weight_seen_, np.tile(w, len(G)))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_orbit_of_sparse_data_under_dihedral_times_inversion(fmt):
    G = SymmetryGroup.dihedral((4, 4)) * SymmetryGroup.inversion()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 16)) * (rng.uniform(size=(5, 16)) < 0.3)
    y = np.array([0, 1, 0, 1, 1])
    X_sparse = sp.csr_matrix(X).asformat(fmt)
    clf = OrbitAugmentedClassifier(RecordingClassifier(), symmetry=G)
    inner = clf.fit(X_sparse, y).estimator_
    assert inner.X_seen_.format == fmt
    assert inner.X_seen_.shape == (16 * 5, 16)
    np.testing.assert_array_equal(inner.X_seen_.toarray(), _orbit_by_hand(G, X))
    assert inner.sample_weight_seen_ is None
    np.testing.assert_array_equal(X_sparse.toarray(), X)  # input unchanged


def test_width_agnostic_inversion_group_is_the_default(shifted_blobs):
    X, y = shifted_blobs
    default = OrbitAugmentedClassifier(LogisticRegression()).fit(X, y)
    assert default.symmetry is None
    for symmetry in (SymmetryGroup.inversion(), invert):
        other = OrbitAugmentedClassifier(LogisticRegression(), symmetry=symmetry)
        other.fit(X, y)
        np.testing.assert_array_equal(
            other.estimator_.coef_, default.estimator_.coef_
        )
        np.testing.assert_array_equal(
            other.predict_proba(X), default.predict_proba(X)
        )


def test_group_of_another_width_than_X(shifted_blobs):
    X, y = shifted_blobs
    clf = OrbitAugmentedClassifier(
        LogisticRegression(), symmetry=SymmetryGroup.rotations((3, 3))
    )
    with pytest.raises(ValueError, match="acts on 9 features but X has 4"):
        clf.fit(X, y)
    assert not hasattr(clf, "estimator_")


@parametrize_with_checks(
    [OrbitAugmentedClassifier(LogisticRegression(),
                              symmetry=SymmetryGroup.inversion())]
)
def test_sklearn_compatible_with_a_group(estimator, check):
    check(estimator)


def test_orbit_keeps_the_dtype_of_X():
    G = SymmetryGroup.rotations((2, 2)) * SymmetryGroup.inversion()
    X = np.array([[1, -2, 3, 4], [5, 6, -7, 8]], dtype=np.int64)
    inner = OrbitAugmentedClassifier(RecordingClassifier(), symmetry=G).fit(
        X, [0, 1]
    ).estimator_
    assert inner.X_seen_.dtype == np.int64
    np.testing.assert_array_equal(inner.X_seen_, _orbit_by_hand(G, X))
