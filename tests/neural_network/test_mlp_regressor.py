"""`BiaslessMLPRegressor`: the odd identity, parity with MLPRegressor, errors
(the tests it shares with the classifier are in test_mlp.py)."""

import warnings
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from mlp_cases import assert_same_weights, mlp_regressor, regression_data
from sklearn.exceptions import ConvergenceWarning

from sk_symmetry import BiaslessMLPRegressor
from sk_symmetry.neural_network import _mlp_solvers


def _fit_quietly(est, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **fit_params)


# ----------------------------------------------------- the odd-network identity
@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    dtype=st.sampled_from([np.float32, np.float64]),
    solver=st.sampled_from(["lbfgs", "sgd", "adam"]),
    activation=st.sampled_from(["tanh", "identity"]),
    hidden=st.lists(st.integers(1, 6), min_size=0, max_size=2),
    n_outputs=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_inverted_input_gives_negated_prediction_to_the_last_bit(
    data, dtype, solver, activation, hidden, n_outputs, seed
):
    X_train, y_train = regression_data(
        n=30, n_outputs=n_outputs, seed=seed % 5, dtype=dtype)
    reg = _fit_quietly(BiaslessMLPRegressor(
        tuple(hidden), activation, solver=solver, max_iter=8,
        learning_rate_init=0.01, random_state=seed,
    ), X_train, y_train)
    X = data.draw(arrays(
        dtype, st.tuples(st.integers(1, 12), st.just(4)),
        elements=st.floats(-1e3, 1e3, allow_nan=False, width=32),
    ))
    pred = reg.predict(X)
    assert pred.dtype == dtype
    np.testing.assert_array_equal(reg.predict(-X), -pred, strict=True)
    # in any memory layout (a group element's X[:, perm] is Fortran-ordered)
    np.testing.assert_array_equal(
        reg.predict(np.asfortranarray(-X)), -pred, strict=True)


def test_identity_fails_with_biases_so_the_test_can_fail():
    X, y = regression_data()
    reg = _fit_quietly(BiaslessMLPRegressor(fit_bias=True, random_state=0), X, y)
    assert not np.allclose(reg.predict(-X), -reg.predict(X))
    assert any(np.any(b != 0) for b in reg.intercepts_)


# ------------------------------------------------------- parity with sklearn
# (with one output: test_mlp.py, on both networks)
def test_multi_output_follows_mlpregressor_weights_and_sums_the_loss():
    # The same gradient, so the same weights; MLPRegressor's reported loss is
    # the mean over outputs of what ours sums (without penalty: alpha=0).
    X, Y = regression_data(n=80, n_outputs=3)
    params = dict(solver="sgd", alpha=0.0, max_iter=10, n_iter_no_change=np.inf,
                  random_state=0)
    ours = _fit_quietly(BiaslessMLPRegressor(fit_bias=True, **params), X, Y)
    theirs = _fit_quietly(mlp_regressor(**params), X, Y)
    assert_same_weights(ours, theirs, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        ours.loss_curve_, 3 * np.asarray(theirs.loss_curve_), rtol=1e-10)
    assert ours.predict(X).shape == (80, 3) and ours.n_outputs_ == 3


def _mean_over_outputs_loss(params, X, Y, layout, activation, out_activation,
                            alpha, **kwargs):
    """MLPRegressor's L-BFGS pair: the loss with its data term averaged over
    outputs, the gradient of the sum."""
    loss, grad = _LOSS_AND_GRADIENT(
        params, X, Y, layout, activation, out_activation, alpha, **kwargs)
    w = params[: layout.n_coef]
    penalty = 0.5 * alpha / X.shape[0] * np.dot(w, w)
    return (loss - penalty) / Y.shape[1] + penalty, grad


_LOSS_AND_GRADIENT = _mlp_solvers.loss_and_gradient


def test_multi_output_lbfgs_parts_from_mlpregressor_by_its_loss_value_only():
    # The docstring's exact condition: under L-BFGS the two differ with
    # several outputs only because MLPRegressor hands the line search the
    # mean over outputs as the value of the sum's gradient.
    X, Y = regression_data(n=80, n_outputs=3)
    params = dict(solver="lbfgs", max_iter=60, random_state=0)

    def gap(y, **patch):
        theirs = _fit_quietly(mlp_regressor(**params), X, y)
        with mock.patch.object(_mlp_solvers, "loss_and_gradient", **patch):
            ours = _fit_quietly(BiaslessMLPRegressor(fit_bias=True, **params), X, y)
        return np.abs(ours.predict(X) - theirs.predict(X)).max()

    plain = {"new": _LOSS_AND_GRADIENT}
    assert gap(Y[:, 0], **plain) < 1e-9  # one output: the same objective
    assert gap(Y, **plain) > 1e-2  # three: the audit's 0.01 to 0.06
    assert gap(Y, new=_mean_over_outputs_loss) < 1e-8


def test_multi_output_biasless_is_odd_and_fits():
    X, _ = regression_data(n=120)
    Y = np.column_stack([np.tanh(X[:, 0] - X[:, 1]), X[:, 2] ** 3])  # odd
    reg = _fit_quietly(BiaslessMLPRegressor(random_state=0), X, Y)
    assert reg.score(X, Y) > 0.9
    np.testing.assert_array_equal(reg.predict(-X), -reg.predict(X))


# ---------------------------------------------------------- fitted state
def test_fitted_attributes():
    X, y = regression_data()
    reg = _fit_quietly(BiaslessMLPRegressor((6, 4), random_state=0), X, y)
    assert [c.shape for c in reg.coefs_] == [(4, 6), (6, 4), (4, 1)]
    assert (reg.n_layers_, reg.n_outputs_, reg.out_activation_) == (4, 1, "identity")
    assert reg.predict(X).shape == (60,)
    assert not hasattr(reg, "classes_")
    sgd = _fit_quietly(BiaslessMLPRegressor(solver="sgd", max_iter=5), X, y)
    assert len(sgd.loss_curve_) == sgd.n_iter_ == 5 and sgd.t_ == 5 * len(y)
    assert sgd.best_loss_ == min(sgd.loss_curve_) and sgd.validation_scores_ is None


def test_partial_fit_runs_one_epoch_per_call_as_mlpregressor():
    X, y = regression_data(n=90)
    params = dict(solver="adam", learning_rate_init=0.01, random_state=0)
    ours = BiaslessMLPRegressor(fit_bias=True, **params)
    theirs = mlp_regressor(**params)
    for _ in range(5):
        ours.partial_fit(X, y)
        theirs.partial_fit(X, y)
    assert ours.n_iter_ == 1 and len(ours.loss_curve_) == 5 and ours.t_ == 5 * 90
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    assert ours.loss_curve_[-1] < ours.loss_curve_[0]


def test_warm_start_keeps_the_number_of_outputs():
    # (that it continues and keeps fit_bias: test_mlp.py, on both networks)
    X, y = regression_data()
    reg = _fit_quietly(BiaslessMLPRegressor(
        solver="sgd", max_iter=3, warm_start=True, random_state=0), X, y)
    with pytest.raises(ValueError, match="architecture"):
        reg.fit(X, np.column_stack([y, y]))


# ----------------------------------------------------------------- bad input
def test_partial_fit_errors():
    X, y = regression_data()
    assert not hasattr(BiaslessMLPRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="early_stopping"):
        BiaslessMLPRegressor(solver="sgd", early_stopping=True).partial_fit(X, y)


@pytest.mark.parametrize("bad", ["text", np.nan])
def test_non_numeric_or_non_finite_y_is_rejected(bad):
    X, y = regression_data()
    y = y.astype(object)
    y[2] = bad
    with pytest.raises(ValueError, match="y must be a numeric|NaN"):
        BiaslessMLPRegressor().fit(X, y)


def test_text_target_names_y():
    X, _ = regression_data()
    with pytest.raises(ValueError, match="y must be a numeric regression target"):
        BiaslessMLPRegressor().fit(X, np.array(["a"] * len(X)))


_SKLEARN_SENTENCE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_divergence_raises_and_leaves_the_estimator_unfitted(solver):
    X, y = regression_data()
    reg = BiaslessMLPRegressor(activation="identity", solver=solver,
                               learning_rate_init=1e6, random_state=0)
    # scikit-learn's sentence, so that code matching on it keeps working,
    # then ours
    with pytest.raises(ValueError, match=_SKLEARN_SENTENCE) as error:
        reg.fit(X * (1e3 if solver == "sgd" else 1e200), y)
    assert "diverged" in str(error.value)
    assert not hasattr(reg, "coefs_")


def test_diverging_fit_with_early_stopping_keeps_the_best_weights():
    # scikit-learn issue 29504: stop, warn, keep the best validation weights
    X, y = regression_data(n=200)
    params = dict(activation="identity", solver="sgd", learning_rate_init=0.3,
                  early_stopping=True, n_iter_no_change=50, max_iter=40,
                  random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged at epoch") as record:
        reg = BiaslessMLPRegressor(**params).fit(X * 4, y)
    assert [w.filename for w in record if "diverged" in str(w.message)] == [
        __file__]
    scores = reg.validation_scores_
    assert np.isnan(scores[-1]) and isinstance(scores[-1], float)
    assert reg.n_iter_ == len(scores) < 40
    best_epoch = int(np.nanargmax(scores)) + 1
    assert reg.best_validation_score_ == scores[best_epoch - 1]
    # the same fit stopped at the best epoch has the same weights, bitwise
    stopped = _fit_quietly(
        BiaslessMLPRegressor(**{**params, "max_iter": best_epoch}), X * 4, y)
    for a, b in zip(reg.coefs_, stopped.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(reg.predict(X)).all()


def test_sparse_y_is_refused_as_mlpregressor_does():
    X, y = regression_data()
    for sparse_y in (sp.csr_matrix(y[:, None]), sp.csr_array(np.c_[y, y])):
        with pytest.raises(TypeError, match="dense data is required"):
            BiaslessMLPRegressor().fit(X, sparse_y)


@pytest.mark.parametrize("container", [list, lambda v: np.array(v, dtype=object)])
def test_y_holding_none_is_named_not_blamed_on_divergence(container):
    X, y = regression_data()
    values = list(y)
    values[3] = None
    with pytest.raises(ValueError, match="y must be a numeric .* holds None"):
        BiaslessMLPRegressor().fit(X, container(values))


# ------------------------------------------------------------- Poisson loss
def _counts(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, 3))
    y = rng.poisson(np.exp(X[:, 0] - 0.5 * X[:, 1] + 0.3)).astype(float)
    return X, y


@pytest.mark.parametrize(
    "options",
    [
        {"solver": "lbfgs", "max_iter": 30},
        {"solver": "sgd", "learning_rate_init": 0.01},
        {"solver": "adam", "early_stopping": True, "validation_fraction": 0.2},
    ],
)
def test_poisson_with_biases_follows_mlpregressor(options):
    X, y = _counts()
    params = {"random_state": 0, "max_iter": 20, "loss": "poisson", **options}
    ours = _fit_quietly(BiaslessMLPRegressor(fit_bias=True, **params), X, y)
    theirs = _fit_quietly(mlp_regressor(**params), X, y)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-8)
    assert_same_weights(ours, theirs, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6)


def test_poisson_biasless_predicts_positive_reciprocals_under_inversion():
    X, y = _counts()
    reg = _fit_quietly(BiaslessMLPRegressor(loss="poisson", random_state=0), X, y)
    pred = reg.predict(X)
    assert (pred > 0).all() and reg.score(X, y) > 0.2
    np.testing.assert_allclose(reg.predict(-X), 1 / pred, rtol=1e-13)


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_changing_the_loss_between_warm_calls_is_refused(how):
    X, y = _counts()
    reg = BiaslessMLPRegressor(
        solver="adam", max_iter=3, warm_start=how == "warm_start", random_state=0)
    _fit_quietly(reg, X, y)
    reg.set_params(loss="poisson")
    with pytest.raises(ValueError, match="output of the previous fit"):
        getattr(reg, "fit" if how == "warm_start" else how)(X, y)
    assert reg.out_activation_ == "identity"


def test_poisson_refuses_a_negative_target():
    X, y = _counts()
    y[5] = -1.0
    with pytest.raises(ValueError, match=r"loss='poisson' needs a target y >= 0"):
        BiaslessMLPRegressor(loss="poisson").fit(X, y)
    with pytest.raises(ValueError, match="loss"):
        BiaslessMLPRegressor(loss="absolute_error").fit(X, y)

