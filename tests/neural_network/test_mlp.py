"""`BiaslessMLPClassifier`: symmetry identities, parity with MLPClassifier, errors;
at the end, the tests it shares with `BiaslessMLPRegressor`, run on both."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from mlp_cases import CASES, assert_same_weights, blobs, mlp_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.utils.validation import has_fit_parameter
from threadpoolctl import threadpool_limits

from sk_symmetry import BiaslessMLPClassifier, load_shifted_digits


def _fit_quietly(clf, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, **fit_params)


def _renormalised_inverse(proba):
    inverse = 1.0 / proba
    return inverse / inverse.sum(axis=1, keepdims=True)


# ----------------------------------------------------- the odd-network identity
_inputs = arrays(
    np.float64, st.tuples(st.integers(1, 20), st.just(4)),
    elements=st.floats(-3, 3, allow_nan=False, allow_subnormal=False),
)


@settings(max_examples=100, deadline=None)
@given(
    X=_inputs,
    seed=st.integers(0, 2**16),
    n_classes=st.integers(2, 4),
    activation=st.sampled_from(["tanh", "identity"]),
)
def test_inverted_input_gives_renormalised_inverse_probabilities(
    X, seed, n_classes, activation
):
    X_train, y_train = blobs(n=30, n_classes=n_classes, seed=seed % 7)
    clf = _fit_quietly(
        BiaslessMLPClassifier(
            (5, 3), activation, max_iter=15, random_state=seed
        ), X_train, y_train,
    )
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(
        clf.predict_proba(-X), _renormalised_inverse(proba), rtol=1e-12, atol=1e-15
    )


@settings(max_examples=100, deadline=None)
@given(
    X=_inputs,
    labels=st.lists(st.integers(0, 3), min_size=20, max_size=20),
    seed=st.integers(0, 2**16),
    n_classes=st.integers(2, 4),
)
def test_accuracy_on_x_plus_accuracy_on_minus_x_is_at_most_one(
    X, labels, seed, n_classes
):
    X_train, y_train = blobs(n=30, n_classes=n_classes, seed=seed % 7)
    clf = _fit_quietly(
        BiaslessMLPClassifier((5, 3), max_iter=15, random_state=seed),
        X_train, y_train,
    )
    y = np.asarray(labels[: X.shape[0]]) % n_classes
    # A row with all probabilities equal (such as x = 0) predicts classes_[0]
    # for x and -x alike: the bound is for rows with a most probable class.
    proba = clf.predict_proba(X)
    decided = np.ptp(proba, axis=1) > 1e-9
    X, y = X[decided], y[decided]
    if len(y):
        assert clf.score(X, y) + clf.score(-X, y) <= 1.0


def test_identity_fails_with_biases_so_the_test_can_fail():
    X, y = blobs()
    clf = _fit_quietly(BiaslessMLPClassifier(fit_bias=True, random_state=0), X, y)
    proba = clf.predict_proba(X)
    assert not np.allclose(clf.predict_proba(-X), _renormalised_inverse(proba))


def test_biasless_paper_model_is_near_zero_on_inverted_digits():
    X, y = load_shifted_digits(scaling="per_column", return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X[:3000], y[:3000], test_size=0.2, random_state=0
    )
    clf = _fit_quietly(
        BiaslessMLPClassifier(alpha=1e-5, max_iter=60, random_state=2),
        X_train, y_train,
    )
    assert clf.score(X_test, y_test) > 0.6
    assert clf.score(X_test, y_test) + clf.score(-X_test, y_test) <= 1.0
    assert all(np.all(b == 0) for b in clf.intercepts_)


# ------------------------------------------------------- parity with sklearn
@pytest.mark.parametrize("solver, max_iter", [("lbfgs", 200), ("adam", 15)])
def test_accuracy_matches_mlpclassifier_on_shifted_digits(solver, max_iter):
    X, y = load_shifted_digits(scaling="per_column", return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0
    )
    params = dict(solver=solver, alpha=1e-5, max_iter=max_iter, random_state=1)
    # one BLAS thread: the thin products are fastest so, for both models
    with threadpool_limits(1):
        ours = _fit_quietly(
            BiaslessMLPClassifier((10, 5), "tanh", fit_bias=True, **params),
            X_train, y_train,
        )
        theirs = _fit_quietly(mlp_classifier(**params), X_train, y_train)
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) <= 0.02
    assert ours.n_iter_ == theirs.n_iter_


# ------------------------------------------------ determinism and persistence
@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
def test_same_random_state_gives_identical_weights_and_pickle_keeps_predictions(
    solver,
):
    X, y = blobs()
    a = _fit_quietly(
        BiaslessMLPClassifier(solver=solver, max_iter=20, random_state=7), X, y)
    b = _fit_quietly(
        BiaslessMLPClassifier(solver=solver, max_iter=20, random_state=7), X, y)
    for wa, wb in zip(a.coefs_, b.coefs_, strict=True):
        np.testing.assert_array_equal(wa, wb)
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict_proba(X), a.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), a.predict(X))


# ------------------------------------------------------------ fitted state
@pytest.mark.parametrize("fit_bias", [False, True])
def test_fitted_attributes_mirror_mlpclassifier(fit_bias):
    X, y = blobs()
    clf = _fit_quietly(
        BiaslessMLPClassifier((6, 4), fit_bias=fit_bias, random_state=0), X, y)
    assert [c.shape for c in clf.coefs_] == [(4, 6), (6, 4), (4, 3)]
    assert [b.shape for b in clf.intercepts_] == [(6,), (4,), (3,)]
    assert any(np.any(b != 0) for b in clf.intercepts_) == fit_bias
    assert (clf.n_layers_, clf.n_outputs_, clf.out_activation_) == (4, 3, "softmax")
    assert 1 <= clf.n_iter_ <= 200 and np.isfinite(clf.loss_)
    sgd = _fit_quietly(
        BiaslessMLPClassifier(solver="sgd", max_iter=5, random_state=0), X, y)
    assert len(sgd.loss_curve_) == sgd.n_iter_ == 5
    assert sgd.t_ == 5 * len(y) and sgd.best_loss_ == min(sgd.loss_curve_)
    assert sgd.validation_scores_ is None and sgd.best_validation_score_ is None


def test_string_labels_and_binary_target():
    X, y = blobs(n_classes=2)
    labels = np.array(["ham", "spam"])[y]
    clf = _fit_quietly(BiaslessMLPClassifier(random_state=0), X, labels)
    assert clf.classes_.tolist() == ["ham", "spam"]
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    assert set(clf.predict(X)) <= {"ham", "spam"}
    assert clf.score(X, labels) > 0.9
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict_proba(-X), proba[:, ::-1])


def test_multilabel_indicator_target():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0]).astype(int)
    clf = _fit_quietly(BiaslessMLPClassifier(random_state=0), X, Y)
    assert clf.predict(X).shape == Y.shape and clf.predict_proba(X).shape == Y.shape
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 3
    assert clf.score(X, Y) > 0.8
    # odd logits: each label's probability flips to its complement
    np.testing.assert_allclose(clf.predict_proba(-X), 1 - clf.predict_proba(X),
                               atol=1e-12)


def test_partial_fit_runs_one_epoch_per_call_and_learns():
    X, y = blobs(n=90)
    clf = BiaslessMLPClassifier(solver="adam", learning_rate_init=0.05, random_state=0)
    first = y < 2  # the first batch lacks class 2
    clf.partial_fit(X[first], y[first], classes=[0, 1, 2])
    assert clf.n_iter_ == 1 and clf.classes_.tolist() == [0, 1, 2]
    for _ in range(30):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 31
    assert clf.t_ == first.sum() + 30 * len(y)
    assert clf.loss_curve_[-1] < clf.loss_curve_[1]
    assert clf.score(X, y) > 0.9


def test_warm_start_and_partial_fit_keep_the_architecture():
    X, y = blobs()
    clf = _fit_quietly(
        BiaslessMLPClassifier(max_iter=5, warm_start=True, random_state=0), X, y)
    with pytest.raises(ValueError, match="architecture"):
        clf.set_params(fit_bias=True).fit(X, y)
    with pytest.raises(ValueError, match="architecture"):
        clf.set_params(fit_bias=False, hidden_layer_sizes=(3,)).fit(X, y)
    sgd = BiaslessMLPClassifier(solver="sgd").partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        sgd.partial_fit(X, y + 1)


def test_no_hidden_layer_is_a_linear_softmax_model():
    X, y = blobs()
    clf = _fit_quietly(BiaslessMLPClassifier((), random_state=0), X, y)
    assert [c.shape for c in clf.coefs_] == [(4, 3)]
    logits = X @ clf.coefs_[0]
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[logits.argmax(1)])


def test_sample_weight_changes_the_fit_and_inputs_are_untouched():
    X, y = blobs()
    sw = np.linspace(0.1, 2, len(y))
    copies = X.copy(), y.copy(), sw.copy()
    plain = _fit_quietly(BiaslessMLPClassifier(max_iter=30, random_state=0), X, y)
    weighted = _fit_quietly(
        BiaslessMLPClassifier(max_iter=30, random_state=0), X, y, sample_weight=sw)
    assert not np.allclose(plain.coefs_[0], weighted.coefs_[0])
    for a, b in zip((X, y, sw), copies, strict=True):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_x_is_rejected(bad):
    X, y = blobs()
    X[3, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        BiaslessMLPClassifier().fit(X, y)


@pytest.mark.parametrize("fit_bias", [False, True])
def test_one_class_is_predicted_with_probability_one(fit_bias):
    # As MLPClassifier, which fits a single class and predicts it; its
    # probabilities here are one column, matching classes_ (MLPClassifier's
    # have two columns for its one class).
    X, y = blobs()
    clf = _fit_quietly(BiaslessMLPClassifier(fit_bias=fit_bias, max_iter=20),
                       X, np.full(len(y), "only"))
    assert clf.classes_.tolist() == ["only"]
    assert (clf.predict(-X) == "only").all()
    np.testing.assert_array_equal(clf.predict_proba(X), np.ones((len(y), 1)))
    np.testing.assert_array_equal(clf.predict_log_proba(X), np.zeros((len(y), 1)))
    assert clf.score(X, np.full(len(y), "only")) == 1.0


@pytest.mark.parametrize(
    "sample_weight, message",
    [(np.ones(5), "inconsistent|shape"), ("negative", "Negative"),
     (np.zeros(60), "non-zero")],
)
def test_bad_sample_weight_is_rejected(sample_weight, message):
    X, y = blobs()
    if isinstance(sample_weight, str):
        sample_weight = np.ones(len(y))
        sample_weight[0] = -1
    with pytest.raises(ValueError, match=message):
        BiaslessMLPClassifier().fit(X, y, sample_weight=sample_weight)


def test_wrong_number_of_features_at_predict():
    X, y = blobs()
    clf = _fit_quietly(BiaslessMLPClassifier(max_iter=5, random_state=0), X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])


def test_partial_fit_errors():
    X, y = blobs()
    assert not hasattr(BiaslessMLPClassifier(solver="lbfgs"), "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit") as excinfo:
        BiaslessMLPClassifier(solver="lbfgs").partial_fit(X, y)
    assert "only available for stochastic optimizers" in str(excinfo.value.__cause__)
    with pytest.raises(ValueError, match="classes must be passed"):
        BiaslessMLPClassifier(solver="sgd").partial_fit(X, y)
    with pytest.raises(ValueError, match="early_stopping"):
        BiaslessMLPClassifier(solver="sgd", early_stopping=True).partial_fit(
            X, y, classes=[0, 1, 2])


def test_failed_first_partial_fit_leaves_no_fitted_state():
    X, y = blobs()
    clf = BiaslessMLPClassifier(solver="adam")
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        clf.partial_fit(X, y, classes=[0, 1])  # y also holds class 2
    assert not hasattr(clf, "classes_")
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[y < 2], y[y < 2])


# A first partial_fit that diverges within its one epoch.
_DIVERGING = dict(activation="identity", solver="sgd", batch_size=10, random_state=0)


def test_failed_first_partial_fit_leaves_the_estimator_as_it_was():
    X, y = blobs(n=200)
    clf = BiaslessMLPClassifier(**_DIVERGING)
    before = dict(clf.__dict__)
    with pytest.raises(ValueError, match="diverged"):
        clf.partial_fit(X * 1e3, y, classes=[0, 1, 2])
    assert clf.__dict__ == before
    with pytest.raises(NotFittedError):
        clf.predict(X)
    # and a later call on good data starts afresh, not from NaN weights
    clf.partial_fit(X, y, classes=[0, 1, 2])
    fresh = BiaslessMLPClassifier(**_DIVERGING).partial_fit(X, y, classes=[0, 1, 2])
    for ours, expected in zip(clf.coefs_, fresh.coefs_, strict=True):
        np.testing.assert_array_equal(ours, expected)


def test_failed_later_partial_fit_keeps_the_previous_model():
    X, y = blobs(n=200)
    clf = BiaslessMLPClassifier(**_DIVERGING).partial_fit(X, y, classes=[0, 1, 2])
    coefs, t = [c.copy() for c in clf.coefs_], clf.t_
    with pytest.raises(ValueError, match="diverged"):
        clf.partial_fit(X * 1e3, y)
    assert clf.t_ == t and len(clf.loss_curve_) == 1
    for ours, expected in zip(clf.coefs_, coefs, strict=True):
        np.testing.assert_array_equal(ours, expected)
    # the optimiser's state too: the next call continues as if none failed
    clf.partial_fit(X, y)
    twice = BiaslessMLPClassifier(**_DIVERGING).partial_fit(X, y, classes=[0, 1, 2])
    twice.partial_fit(X, y)
    for ours, expected in zip(clf.coefs_, twice.coefs_, strict=True):
        np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sample_weights_whose_sum_overflows_are_named(solver, dtype):
    # The data is fine: the message must not send the user to scale it.
    X, y = blobs(dtype=dtype)
    sample_weight = np.full(len(y), np.finfo(dtype).max / 10)
    clf = BiaslessMLPClassifier(solver=solver, random_state=0)
    with pytest.raises(ValueError, match="sum of sample_weight overflows") as excinfo:
        clf.fit(X, y, sample_weight=sample_weight)
    assert "input data" not in str(excinfo.value)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
def test_hitting_max_iter_warns_at_the_users_call(solver):
    X, y = blobs()
    with pytest.warns(ConvergenceWarning) as record:
        BiaslessMLPClassifier(solver=solver, max_iter=2, random_state=0).fit(X, y)
    assert [w.filename for w in record] == [__file__]


@pytest.mark.parametrize("wrapper", ["orbit", "grid search"])
def test_warnings_from_inside_wrappers_point_at_the_users_call(wrapper):
    from sk_symmetry import OrbitAugmentedClassifier

    X, y = blobs()
    net = BiaslessMLPClassifier(max_iter=2, random_state=0)
    if wrapper == "orbit":
        model = OrbitAugmentedClassifier(net)
    else:
        model = GridSearchCV(net, {"alpha": [1e-4]}, cv=2)
    with pytest.warns(ConvergenceWarning) as record:
        model.fit(X, y)
    assert {w.filename for w in record} == {__file__}


def test_batch_size_warning_points_at_the_users_call():
    X, y = blobs()
    clf = BiaslessMLPClassifier(solver="sgd", batch_size=1000, max_iter=1)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf.fit(X, y)
    clipped = [w for w in record if "clipped" in str(w.message)]
    assert [w.filename for w in clipped] == [__file__]


@pytest.mark.parametrize("fit_bias", [False, True])
def test_divergence_raises_instead_of_returning_nan(fit_bias):
    X, y = blobs()
    clf = BiaslessMLPClassifier(
        activation="identity", solver="sgd", learning_rate_init=1e6,
        fit_bias=fit_bias, random_state=0,
    )
    with pytest.raises(ValueError, match="diverged"):
        clf.fit(X * 1e3, y)


def test_lbfgs_divergence_raises_instead_of_returning_nan():
    X, y = blobs()
    clf = BiaslessMLPClassifier(activation="relu", random_state=0)
    with pytest.raises(ValueError, match="diverged"), pytest.warns(
        UserWarning, match="not odd"
    ):
        clf.fit(X * 1e200, y)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_sparse_input_fits_and_predicts_like_dense(solver):
    X, y = blobs()
    X[np.abs(X) < 1] = 0.0
    params = dict(solver=solver, max_iter=10, random_state=0)
    dense = _fit_quietly(BiaslessMLPClassifier(**params), X, y)
    sparse = _fit_quietly(BiaslessMLPClassifier(**params), sp.csr_matrix(X), y)
    for a, b in zip(dense.coefs_, sparse.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        dense.predict_proba(sp.csc_matrix(X)), dense.predict_proba(X), rtol=1e-12
    )


def test_grid_search_sweeps_fit_bias():
    X, y = blobs(n=90)
    search = GridSearchCV(
        BiaslessMLPClassifier((5,), max_iter=30, random_state=0),
        {"fit_bias": [False, True]}, cv=3,
    )
    _fit_quietly(search, X, y)
    assert [p["fit_bias"] for p in search.cv_results_["params"]] == [False, True]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_verbose_prints_the_loss_of_each_epoch(capsys):
    X, y = blobs()
    _fit_quietly(
        BiaslessMLPClassifier(solver="sgd", max_iter=2, verbose=True), X, y)
    assert capsys.readouterr().out.count("loss = ") == 2


@pytest.mark.parametrize("hidden", [(), (1,), (1, 4), (13,)])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_proba_is_mirrored_bitwise_in_any_memory_layout(
    hidden, n_classes, dtype
):
    # A group element's X[:, perm] is Fortran-ordered; BLAS sums the product
    # of such an X with a one-column weight matrix in another order than for
    # a C-ordered X, so the two would agree only to rounding.
    X, y = blobs(n=50, n_features=7, n_classes=n_classes, seed=1, dtype=dtype)
    clf = _fit_quietly(
        BiaslessMLPClassifier(hidden, max_iter=20, random_state=0), X, y)
    proba = clf.predict_proba(X)
    for minus_X in (-X, np.asfortranarray(-X), (-X)[::-1][::-1]):
        inverted = clf.predict_proba(minus_X)
        if n_classes == 2:  # the two columns swap, to the last bit
            np.testing.assert_array_equal(inverted, proba[:, ::-1], strict=True)
        else:  # the logits are negated exactly: the same as for C order
            np.testing.assert_array_equal(
                inverted, clf.predict_proba(np.ascontiguousarray(-X)), strict=True)
    np.testing.assert_array_equal(
        clf.predict_proba(np.asfortranarray(X)), proba, strict=True)


@settings(max_examples=40, deadline=None)
@given(
    X=arrays(
        np.float64, st.tuples(st.integers(1, 15), st.integers(1, 6)),
        elements=st.floats(-3, 3, allow_nan=False, allow_subnormal=False),
    ),
    hidden=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    seed=st.integers(0, 2**16),
)
def test_binary_predict_proba_swaps_its_columns_under_inversion(X, hidden, seed):
    rng = np.random.RandomState(seed)
    X_train = rng.normal(size=(30, X.shape[1]))
    y_train = X_train.sum(axis=1) > 0
    clf = _fit_quietly(BiaslessMLPClassifier(
        tuple(hidden), max_iter=10, random_state=seed), X_train, y_train)
    proba = clf.predict_proba(X)
    for minus_X in (-X, np.asfortranarray(-X)):
        np.testing.assert_array_equal(
            clf.predict_proba(minus_X), proba[:, ::-1], strict=True)


# ------------------------------- shared with BiaslessMLPRegressor, run on both
CLASSIFIER, REGRESSOR = CASES
_FOLLOWED = [
    (CLASSIFIER, {"solver": "sgd"}),
    (CLASSIFIER, {"solver": "sgd", "nesterovs_momentum": False}),
    (CLASSIFIER, {"solver": "sgd", "learning_rate": "invscaling",
                  "learning_rate_init": 0.1}),
    (REGRESSOR, {"solver": "lbfgs", "max_iter": 50}),
    (REGRESSOR, {"solver": "sgd", "learning_rate_init": 0.01}),
    *[(case, {"solver": "sgd", "learning_rate": "adaptive", "n_iter_no_change": 2})
      for case in CASES],
    *[(case, {"solver": "adam", "batch_size": 16, "shuffle": False})
      for case in CASES],
    *[(case, {"solver": "adam", "early_stopping": True, "validation_fraction": 0.2})
      for case in CASES],
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "case, options", _FOLLOWED, ids=lambda v: str(v) if v in CASES else None)
def test_with_biases_follows_scikit_learn_step_by_step(case, options, weighted):
    # with biases, the same seed and settings give scikit-learn's weights:
    # same initialisation, batches, update rules and stopping, up to rounding
    if weighted and not has_fit_parameter(case.twin(), "sample_weight"):
        pytest.skip("scikit-learn's MLPs take sample_weight from version 1.7 on")
    X, y = case.make_data(n=90)
    fit_params = {"sample_weight": np.linspace(0.5, 2, len(y))} if weighted else {}
    params = {"random_state": 0, "max_iter": 25, **options}
    ours = _fit_quietly(case.estimator(fit_bias=True, **params), X, y, **fit_params)
    theirs = _fit_quietly(case.twin(**params), X, y, **fit_params)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-8)
    if options["solver"] != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    # L-BFGS's line search takes the rounding differences further
    rtol, atol = (1e-6, 1e-9) if options["solver"] == "lbfgs" else (1e-8, 1e-12)
    assert_same_weights(ours, theirs, rtol=rtol, atol=atol)
    predict = case.output
    np.testing.assert_allclose(
        getattr(ours, predict)(X), getattr(theirs, predict)(X), rtol=rtol)
    if options.get("early_stopping"):
        assert ours.best_validation_score_ == pytest.approx(
            theirs.best_validation_score_, rel=1e-10)
        np.testing.assert_allclose(
            ours.validation_scores_, theirs.validation_scores_, rtol=1e-10)

@pytest.mark.parametrize("case", CASES, ids=str)
def test_biasless_model_starts_from_scikit_learns_weights(case):
    # a 1e-12 learning rate leaves both models at their initial weights
    X, y = case.make_data()
    params = dict(solver="sgd", learning_rate_init=1e-12, max_iter=1,
                  random_state=3, momentum=0.0)
    ours = _fit_quietly(case.estimator(**params), X, y)
    theirs = _fit_quietly(case.twin(**params), X, y)
    for a, b in zip(ours.coefs_, theirs.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9)
    assert all(np.all(b == 0) for b in ours.intercepts_)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_early_stopping_keeps_the_best_validation_score(case):
    X, y = case.make_data(n=150)
    est = _fit_quietly(case.estimator(
        solver="adam", early_stopping=True, max_iter=40, n_iter_no_change=3,
        learning_rate_init=0.05, random_state=0), X, y)
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_loss_ is None and est.best_validation_score_ > 0.5


@pytest.mark.parametrize("case", CASES, ids=str)
def test_float32_trains_in_float32_and_y_is_untouched(case):
    X, y = case.make_data(dtype=np.float32)
    y_copy = y.copy()
    for solver in ("lbfgs", "adam"):
        est = _fit_quietly(
            case.estimator(solver=solver, max_iter=10, random_state=0), X, y)
        assert all(c.dtype == np.float32 for c in est.coefs_ + est.intercepts_)
        assert getattr(est, case.output)(X).dtype == np.float32
    np.testing.assert_array_equal(y, y_copy)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_warm_start_continues_from_previous_weights(case):
    X, y = case.make_data()
    est = _fit_quietly(case.estimator(
        solver="sgd", max_iter=3, warm_start=True, random_state=0), X, y)
    before = [c.copy() for c in est.coefs_]
    _fit_quietly(est.set_params(max_iter=1, learning_rate_init=1e-12), X, y)
    for a, b in zip(before, est.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8)
    with pytest.raises(ValueError, match="architecture"):
        est.set_params(fit_bias=True).fit(X, y)


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize(
    "params", [{"hidden_layer_sizes": (5, 0)}, {"hidden_layer_sizes": [4, 2.5]},
               {"solver": "newton"},
               {"activation": "softmax"}, {"alpha": -1.0}, {"fit_bias": "yes"}],
)
def test_bad_parameters_are_rejected(case, params):
    X, y = case.make_data()
    with pytest.raises(ValueError, match="hidden_layer_sizes|must be"):
        case.estimator(**params).fit(X, y)


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_non_odd_activation_without_biases_warns_at_the_users_call(case, activation):
    X, y = case.make_data()
    with pytest.warns(UserWarning, match="not odd") as record:
        _fit_quietly(case.estimator(activation=activation, max_iter=5), X, y)
    assert [w.filename for w in record if "not odd" in str(w.message)] == [__file__]
    # with biases it is an ordinary MLP: nothing to warn about
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        _fit_quietly(case.estimator(
            activation=activation, fit_bias=True, max_iter=5), X, y)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_warm_start_without_early_stopping_after_a_fit_with_it(case):
    """The stopping state of an early-stopping fit has no best training loss
    (None): a warm start without early stopping used to subtract tol from it
    (a TypeError); it now counts from the first loss, as the CNNs did."""
    X, y = case.make_data()
    est = _fit_quietly(case.estimator(
        solver="adam", max_iter=5, early_stopping=True, warm_start=True,
        random_state=0), X, y)
    assert est.best_loss_ is None
    _fit_quietly(est.set_params(early_stopping=False), X, y)
    assert len(est.loss_curve_) == est.n_iter_ + 5
    assert est.best_loss_ == min(est.loss_curve_[5:])


@pytest.mark.parametrize("case", CASES, ids=str)
def test_warm_start_with_early_stopping_after_a_fit_without_it(case):
    """The reverse switch: the first fit keeps no validation scores (None);
    a warm start with early stopping used to append to None (an
    AttributeError). Its scores start with it; the loss curve goes on."""
    X, y = case.make_data()
    est = _fit_quietly(case.estimator(
        solver="adam", max_iter=5, warm_start=True, random_state=0), X, y)
    assert est.validation_scores_ is None
    _fit_quietly(est.set_params(early_stopping=True, n_iter_no_change=50), X, y)
    assert len(est.validation_scores_) == 5
    assert len(est.loss_curve_) == 10
    assert est.best_validation_score_ == max(est.validation_scores_)
