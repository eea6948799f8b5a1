"""The network math of `BiaslessMLPClassifier` against independent computations.

Every test runs twice: through the compiled passes of ``_mlp_kernels.c`` and
through the numpy path they replace (tests/test_mlp_kernels.py compares the
two directly)."""

from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import log_loss, mean_poisson_deviance

from sk_symmetry.neural_network import _mlp_math
from sk_symmetry.neural_network._mlp_math import (
    forward,
    loss_and_gradient,
    make_layout,
    make_workspace,
    pack,
    predict_proba_from_output,
    unpack,
)

ALPHA = 0.3


@pytest.fixture(autouse=True, params=["compiled", "numpy"])
def path(request):
    if request.param == "compiled":
        assert _mlp_math._mlp_kernels is not None  # CI builds it (setup.py)
        yield request.param
    else:
        with mock.patch.object(_mlp_math, "_mlp_kernels", None):
            yield request.param


def _problem(kind, fit_bias, seed=0, n=13, n_features=4, hidden=(5, 3)):
    """Random data, targets and parameters of a small network."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_features))
    if kind == "multiclass":
        y = rng.randint(3, size=n)
        Y = np.eye(3)[y]
        out_activation = "softmax"
    elif kind == "binary":
        y = rng.randint(2, size=n)
        Y = y[:, None].astype(float)
        out_activation = "logistic"
    elif kind == "multilabel":
        Y = rng.randint(2, size=(n, 3)).astype(float)
        y = Y
        out_activation = "logistic"
    else:  # counts: Poisson regression with two outputs, zeros included
        Y = rng.poisson(1.5, size=(n, 2)).astype(float)
        y = Y
        out_activation = "exp"
    layout = make_layout((n_features, *hidden, Y.shape[1]), fit_bias)
    params = rng.normal(scale=0.7, size=layout.n_params)
    return X, y, Y, layout, params, out_activation


def _loss(params, X, Y, layout, activation, out_activation, sample_weight):
    return loss_and_gradient(
        params, X, Y, layout, activation, out_activation, ALPHA,
        sample_weight=sample_weight,
    )[0]


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel", "counts"])
@pytest.mark.parametrize("fit_bias", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("activation", ["tanh", "identity", "logistic", "relu"])
def test_gradient_matches_central_differences(kind, fit_bias, weighted, activation):
    X, _, Y, layout, params, out_activation = _problem(kind, fit_bias)
    sw = np.random.RandomState(1).uniform(0.1, 3, size=X.shape[0]) if weighted else None
    _, grad = loss_and_gradient(
        params, X, Y, layout, activation, out_activation, ALPHA, sample_weight=sw
    )
    eps = 1e-6
    numeric = np.empty_like(params)
    for k in range(params.size):
        step = np.zeros_like(params)
        step[k] = eps
        numeric[k] = (
            _loss(params + step, X, Y, layout, activation, out_activation, sw)
            - _loss(params - step, X, Y, layout, activation, out_activation, sw)
        ) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    # biases exist only when asked for
    n_bias = sum(layout.layer_units[1:])
    assert params.size == layout.n_coef + (n_bias if fit_bias else 0)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel"])
@pytest.mark.parametrize("fit_bias", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_is_sklearn_log_loss_plus_penalty(kind, fit_bias, weighted):
    X, y, Y, layout, params, out_activation = _problem(kind, fit_bias, seed=3)
    sw = np.random.RandomState(2).uniform(0.1, 3, size=X.shape[0]) if weighted else None
    loss, _ = loss_and_gradient(
        params, X, Y, layout, "tanh", out_activation, ALPHA, sample_weight=sw
    )
    coefs, intercepts = unpack(params, layout)
    proba = predict_proba_from_output(
        forward(X, coefs, intercepts, "tanh"), out_activation
    )
    if kind == "multiclass":
        expected = log_loss(y, proba, sample_weight=sw, labels=[0, 1, 2])
    elif kind == "binary":
        expected = log_loss(y, proba[:, 0], sample_weight=sw, labels=[0, 1])
    else:  # one binary log-loss per label, summed as MLPClassifier does
        expected = sum(
            log_loss(Y[:, j], proba[:, j], sample_weight=sw, labels=[0, 1])
            for j in range(Y.shape[1])
        )
    sw_sum = X.shape[0] if sw is None else sw.sum()
    squared_weights = sum(float(np.sum(c**2)) for c in coefs)  # biases excluded
    expected += 0.5 * ALPHA * squared_weights / sw_sum
    assert loss == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("fit_bias", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_poisson_loss_is_half_the_mean_deviance_summed_over_outputs(
    fit_bias, weighted
):
    X, _, Y, layout, params, out_activation = _problem("counts", fit_bias, seed=4)
    sw = np.random.RandomState(2).uniform(0.1, 3, size=X.shape[0]) if weighted else None
    loss, _ = loss_and_gradient(
        params, X, Y, layout, "tanh", out_activation, ALPHA, sample_weight=sw
    )
    coefs, intercepts = unpack(params, layout)
    prediction = np.exp(forward(X, coefs, intercepts, "tanh"))
    expected = sum(
        0.5 * mean_poisson_deviance(Y[:, j], prediction[:, j], sample_weight=sw)
        for j in range(Y.shape[1])
    )
    sw_sum = X.shape[0] if sw is None else sw.sum()
    expected += 0.5 * ALPHA * sum(float(np.sum(c**2)) for c in coefs) / sw_sum
    assert loss == pytest.approx(expected, rel=1e-12)


def test_integer_weights_equal_repeated_samples():
    X, _, Y, layout, params, out_activation = _problem("multiclass", True, seed=5)
    counts = np.random.RandomState(0).randint(1, 4, size=X.shape[0])
    weighted = loss_and_gradient(
        params, X, Y, layout, "tanh", out_activation, ALPHA,
        sample_weight=counts.astype(float),
    )
    repeated = loss_and_gradient(
        params, np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0),
        layout, "tanh", out_activation, ALPHA,
    )
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-12)
    np.testing.assert_allclose(weighted[1], repeated[1], rtol=1e-10, atol=1e-14)


def test_unpack_returns_views_and_pack_inverts_it():
    layout = make_layout((4, 3, 2), fit_bias=True)
    params = np.arange(layout.n_params, dtype=float)
    coefs, intercepts = unpack(params, layout)
    assert [c.shape for c in coefs] == [(4, 3), (3, 2)]
    assert [b.shape for b in intercepts] == [(3,), (2,)]
    assert all(np.shares_memory(a, params) for a in coefs + intercepts)
    coefs[1][0, 0] = -1.0
    assert params[12] == -1.0  # weights first, row-major, so a view writes through
    np.testing.assert_array_equal(pack(coefs, intercepts, layout), params)
    assert unpack(params[: make_layout((4, 3, 2), False).n_params],
                  make_layout((4, 3, 2), False))[1] is None


def test_workspace_results_equal_fresh_buffers_and_inputs_untouched():
    X, _, Y, layout, params, out_activation = _problem("multiclass", True, n=20)
    copies = [a.copy() for a in (X, Y, params)]
    work = make_workspace(layout, 32, X.dtype)  # larger than needed: row views
    grad = np.empty_like(params)
    loss_a, grad_a = loss_and_gradient(
        params, X, Y, layout, "tanh", out_activation, ALPHA, workspace=work, grad=grad
    )
    assert grad_a is grad
    loss_b, grad_b = loss_and_gradient(
        params, X, Y, layout, "tanh", out_activation, ALPHA
    )
    assert loss_a == loss_b
    np.testing.assert_array_equal(grad_a, grad_b)
    for a, b in zip((X, Y, params), copies, strict=True):
        np.testing.assert_array_equal(a, b)


def test_float32_stays_float32():
    X, _, Y, layout, params, out_activation = _problem("multiclass", False)
    X, Y, params = (a.astype(np.float32) for a in (X, Y, params))
    loss, grad = loss_and_gradient(params, X, Y, layout, "tanh", out_activation, ALPHA)
    assert grad.dtype == np.float32
    loss64, grad64 = loss_and_gradient(
        params.astype(float), X.astype(float), Y.astype(float), layout, "tanh",
        out_activation, ALPHA,
    )
    assert loss == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(grad, grad64, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array, sp.csc_matrix])
def test_sparse_input_gives_the_dense_result(container):
    X, _, Y, layout, params, out_activation = _problem("multiclass", True)
    X[X < 0.3] = 0.0  # make it actually sparse
    dense = loss_and_gradient(params, X, Y, layout, "tanh", out_activation, ALPHA)
    sparse = loss_and_gradient(
        params, container(X), Y, layout, "tanh", out_activation, ALPHA
    )
    assert sparse[0] == pytest.approx(dense[0], rel=1e-12)
    np.testing.assert_allclose(sparse[1], dense[1], rtol=1e-10, atol=1e-14)
