"""The compiled passes of ``_mlp_kernels.c`` against the numpy path they replace."""

import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

# CI builds the extension (setup.py); the numpy fallback is for users without
# a compiler, so here its absence is a failure, not a skip.
from sk_symmetry import BiaslessMLPClassifier
from sk_symmetry.neural_network import _mlp_kernels as kernels
from sk_symmetry.neural_network import _mlp_math, _optimizers
from sk_symmetry.neural_network._mlp_math import (
    ACTIVATIONS,
    DERIVATIVES,
    _output_loss_and_delta,
    loss_and_gradient,
    make_layout,
)
from sk_symmetry.neural_network._optimizers import AdamOptimizer

ACTIVATION_NAMES = ["identity", "tanh", "logistic", "relu"]
CODES = kernels.ACTIVATION_CODES  # defined once, in _mlp_kernels.c
DTYPES = [np.float32, np.float64]
# Rounding: the kernels' tanh, expit and exp are within a few ulp of the
# correctly rounded result, as numpy's are; sums run in another order.
ULPS = 8


def _eps(dtype):
    return float(np.finfo(dtype).eps)


def _tiny(dtype):
    """Where exp is clamped (see the kernel's header), expit of a very negative
    input is about the smallest normal number instead of a subnormal or 0."""
    return float(np.finfo(dtype).tiny) * 2**24


def _numpy_path():
    return mock.patch.object(_mlp_math, "_mlp_kernels", None)


def _random_values(rng, shape, dtype, scale):
    """Normal values with a few far out, where activations saturate."""
    x = rng.normal(scale=scale, size=shape)
    far = rng.uniform(size=shape) < 0.05
    x[far] *= 30
    return x.astype(dtype)


# A layer's pre-activations: units x n values of a dtype, from a seed.
_LAYER = dict(
    activation=st.sampled_from(ACTIVATION_NAMES),
    dtype=st.sampled_from(DTYPES),
    units=st.integers(1, 4),
    n=st.integers(1, 300),  # across blocks of 128 and the 8-wide tails
    seed=st.integers(0, 2**31 - 1),
)


@settings(max_examples=60, deadline=None)
@given(**_LAYER, with_bias=st.booleans())
def test_hidden_pass_is_bias_then_numpys_activation(
    activation, dtype, units, n, with_bias, seed
):
    rng = np.random.default_rng(seed)
    Z = _random_values(rng, (units, n), dtype, scale=3)
    b = _random_values(rng, units, dtype, scale=1) if with_bias else None
    expected = Z + b[:, None] if with_bias else Z.copy()
    ACTIVATIONS[activation](expected)
    got = Z.copy()
    kernels.hidden(got, b, units, n, got.itemsize, CODES[activation])
    np.testing.assert_allclose(got, expected, rtol=ULPS * _eps(dtype),
                               atol=_tiny(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_at_the_extremes(dtype):
    # exp is clamped where it would overflow: expit of a very negative input is
    # then tiny instead of 0 (see the kernel's header), and the rest is exact
    big = np.finfo(dtype).max
    x = np.array([[-big, -1e4, -800, -100, -20, -1e-30, -0.0, 0.0, 1e-30, 20, 100,
                   800, 1e4, big, np.inf, -np.inf, np.nan]], dtype=dtype)
    tiny = _tiny(dtype)
    for name in ACTIVATION_NAMES:
        expected = x.copy()
        ACTIVATIONS[name](expected)
        got = x.copy()
        kernels.hidden(got, None, 1, x.shape[1], x.itemsize, CODES[name])
        np.testing.assert_allclose(got, expected, rtol=ULPS * _eps(dtype), atol=tiny,
                                   err_msg=name)
    # the signs of zeros as numpy's tanh keeps them
    got = x.copy()
    kernels.hidden(got, None, 1, x.shape[1], x.itemsize, CODES["tanh"])
    np.testing.assert_array_equal(np.signbit(got[0, 5:9]), np.signbit(x[0, 5:9]))


@settings(max_examples=40, deadline=None)
@given(
    dtype=st.sampled_from(DTYPES),
    n=st.integers(1, 200),
    seed=st.integers(0, 2**31 - 1),
)
def test_tanh_pass_is_exactly_odd(dtype, n, seed):
    # the odd-network identity f(-x) = -f(x) needs tanh(-z) == -tanh(z) exactly
    rng = np.random.default_rng(seed)
    Z = _random_values(rng, (1, n), dtype, scale=2)
    plus, minus = Z.copy(), -Z
    kernels.hidden(plus, None, 1, n, Z.itemsize, CODES["tanh"])
    kernels.hidden(minus, None, 1, n, Z.itemsize, CODES["tanh"])
    np.testing.assert_array_equal(minus, -plus)


@settings(max_examples=60, deadline=None)
@given(**_LAYER, with_bias_grad=st.booleans())
def test_backward_pass_is_numpys_derivative_and_row_sums(
    activation, dtype, units, n, with_bias_grad, seed
):
    rng = np.random.default_rng(seed)
    A = _random_values(rng, (units, n), dtype, scale=1)
    ACTIVATIONS[activation](A)
    delta = _random_values(rng, (units, n), dtype, scale=1)
    expected = delta.copy()
    DERIVATIVES[activation](A.copy(), expected)
    got = delta.copy()
    gb = np.full(units, np.nan, dtype) if with_bias_grad else None
    A_before = A.copy()
    kernels.backward(A, got, gb, units, n, A.itemsize, CODES[activation])
    np.testing.assert_array_equal(A, A_before)  # unlike numpy's, A is kept
    # 1 - a * a may be one fused operation, exact where numpy rounds a * a
    # first: equal to the rounding of delta, not of the (cancelled) result
    assert np.all(np.abs(got - expected) <= 4 * _eps(dtype) * np.abs(delta))
    if with_bias_grad:
        scale = np.abs(delta).sum(axis=1)  # the rounding above, summed
        np.testing.assert_allclose(gb, expected.sum(axis=1, dtype=np.float64),
                                   rtol=0, atol=8 * _eps(dtype) * scale.max())


@settings(max_examples=60, deadline=None)
@given(
    out_activation=st.sampled_from(["softmax", "logistic"]),
    dtype=st.sampled_from(DTYPES),
    k=st.integers(1, 5),
    n=st.integers(1, 300),
    weighted=st.booleans(),
    with_bias=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_output_pass_is_numpys_loss_and_delta(
    out_activation, dtype, k, n, weighted, with_bias, seed
):
    rng = np.random.default_rng(seed)
    if out_activation == "softmax":
        k = max(k, 2)
        Y = np.eye(k, dtype=dtype)[rng.integers(k, size=n)]
    else:
        Y = rng.integers(2, size=(n, k)).astype(dtype)
    Z = _random_values(rng, (k, n), dtype, scale=4)
    b = _random_values(rng, k, dtype, scale=1) if with_bias else None
    sw = rng.uniform(0.1, 3, size=n).astype(dtype) if weighted else None

    # numpy: bias, per-sample loss, P - Y, then the weighting of loss_and_gradient
    expected = Z + b[:, None] if with_bias else Z.copy()
    row = np.empty(n, dtype)
    _output_loss_and_delta(expected, Y.T, out_activation, row)
    sw_sum = n if sw is None else sw.sum()
    share = np.full(n, 1 / n, dtype) if sw is None else sw / sw_sum
    expected *= share
    expected_loss = float(np.dot(share.astype(float), row.astype(float)))

    got = Z.copy()
    gb = np.full(k, np.nan, dtype)
    loss = kernels.output(got, np.ascontiguousarray(Y.T), b, sw, float(sw_sum), gb,
                          k, n, n, Z.itemsize, out_activation == "softmax")
    eps = _eps(dtype)
    # The loss is a difference of terms as large as the logits (softplus or
    # log-sum-exp, minus y z), so both sides round to within a few eps of
    # those terms, not of the difference: numpy 2.2's float32 path differs
    # from the kernel by 4e-6 of a loss of 3.16 whose terms reach 20.
    logits = np.abs(Z + b[:, None] if with_bias else Z).astype(float)
    terms = float(np.dot(share.astype(float), logits.sum(axis=0) + k))
    assert loss == pytest.approx(expected_loss, rel=16 * eps, abs=16 * eps * terms)
    np.testing.assert_allclose(got, expected, rtol=ULPS * eps,
                               atol=ULPS * eps * np.abs(share).max())
    np.testing.assert_allclose(
        gb, expected.sum(axis=1, dtype=np.float64), rtol=0,
        atol=16 * eps * np.abs(expected).sum(axis=1).max() + n * _tiny(dtype))


def _network(dtype, seed, n, hidden, kind, fit_bias, weighted):
    rng = np.random.default_rng(seed)
    n_features = 3
    X = rng.normal(size=(n, n_features))
    if kind == "multiclass":
        Y = np.eye(3)[rng.integers(3, size=n)]
    elif kind == "binary":
        Y = rng.integers(2, size=(n, 1)).astype(float)
    else:
        Y = rng.integers(2, size=(n, 3)).astype(float)
    layout = make_layout((n_features, *hidden, Y.shape[1]), fit_bias)
    params = rng.normal(scale=0.7, size=layout.n_params)
    sw = rng.uniform(0.1, 3, size=n) if weighted else None
    sw = None if sw is None else sw.astype(dtype)
    X, Y, params = (a.astype(dtype) for a in (X, Y, params))
    return X, np.asfortranarray(Y), layout, params, sw


@settings(max_examples=60, deadline=None)
@given(
    activation=st.sampled_from(ACTIVATION_NAMES),
    dtype=st.sampled_from(DTYPES),
    kind=st.sampled_from(["multiclass", "binary", "multilabel"]),
    hidden=st.lists(st.integers(1, 6), max_size=2).map(tuple),
    n=st.integers(1, 300),
    fit_bias=st.booleans(),
    weighted=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_loss_and_gradient_equal_the_numpy_path_to_rounding(
    activation, dtype, kind, hidden, n, fit_bias, weighted, seed
):
    X, Y, layout, params, sw = _network(dtype, seed, n, hidden, kind, fit_bias,
                                        weighted)
    out = "softmax" if kind == "multiclass" else "logistic"
    args = (params, X, Y, layout, activation, out, 0.3)
    loss, grad = loss_and_gradient(*args, sample_weight=sw)
    with _numpy_path():
        loss_np, grad_np = loss_and_gradient(*args, sample_weight=sw)
    eps = _eps(dtype)
    # a product of values that differ by rounding differs by rounding of the
    # largest terms in its sum, so the tolerance scales with the gradient
    assert loss == pytest.approx(loss_np, rel=64 * eps)
    np.testing.assert_allclose(grad, grad_np, rtol=64 * eps,
                               atol=64 * eps * max(np.abs(grad_np).max(), 1e-3))
    assert grad.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_step_equals_the_numpy_step(dtype):
    rng = np.random.default_rng(0)
    params = rng.normal(size=101).astype(dtype)
    compiled = AdamOptimizer(params, 0.01, 0.9, 0.999, 1e-8)
    reference = AdamOptimizer(params, 0.01, 0.9, 0.999, 1e-8)
    p_compiled, p_reference = params.copy(), params.copy()
    for _ in range(5):
        grad = rng.normal(size=params.size).astype(dtype)
        compiled.step(p_compiled, grad)
        with mock.patch.object(_optimizers, "_adam_kernel", None):
            reference.step(p_reference, grad)
    eps = _eps(dtype)
    for a, b in [(compiled.m, reference.m), (compiled.v, reference.v)]:
        # b1 m + (1 - b1) g may be fused, one rounding fewer: equal to the
        # rounding of its terms, which may cancel
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=ULPS * eps * np.abs(b).max())
    # the steps agree to their rounding and that of the parameters they add to
    np.testing.assert_allclose(p_compiled, p_reference, rtol=0,
                               atol=ULPS * eps * np.abs(params).max())
    assert not np.array_equal(p_compiled, params)


@pytest.mark.skipif(
    _optimizers._adam_kernel is None, reason="compiled kernels off (the switch)"
)
def test_adam_kernel_runs_when_it_applies():
    calls = []
    real = _optimizers._adam_kernel

    def recording(*args):
        calls.append(args[0].dtype)
        return real(*args)

    params = np.zeros(4)
    with mock.patch.object(_optimizers, "_adam_kernel", recording):
        AdamOptimizer(params, 0.1, 0.9, 0.999, 1e-8).step(params, np.ones(4))
        # a gradient of another dtype takes the numpy step
        AdamOptimizer(params, 0.1, 0.9, 0.999, 1e-8).step(
            params, np.ones(4, np.float32))
    assert calls == [np.float64]


def test_kernels_check_their_arguments():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match="itemsize"):
        kernels.hidden(z, None, 2, 3, 2, 1)
    with pytest.raises(ValueError, match="buffer sizes"):
        kernels.hidden(z, None, 2, 4, 8, 1)
    with pytest.raises(ValueError, match="buffer sizes"):
        kernels.hidden(z, np.zeros(3), 2, 3, 8, 1)
    with pytest.raises(ValueError, match="unknown activation"):
        kernels.hidden(z, None, 2, 3, 8, 4)
    with pytest.raises(ValueError, match="unknown activation"):
        kernels.backward(z, z.copy(), None, 2, 3, 8, -1)
    with pytest.raises(ValueError, match="buffer sizes"):
        kernels.backward(z, np.zeros((3, 3)), None, 2, 3, 8, 1)
    with pytest.raises(ValueError, match="ldy"):
        kernels.output(z, z.copy(), None, None, 3.0, None, 2, 3, 2, 8, True)
    with pytest.raises(ValueError, match="buffer sizes"):
        kernels.output(z, z.copy(), None, np.ones(2), 3.0, None, 2, 3, 3, 8, True)
    with pytest.raises(ValueError, match="buffer sizes"):
        kernels.adam(np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(2), 3, 8,
                     0.9, 0.999, 0.1, 1e-8)
    with pytest.raises(ValueError, match="too large"):
        kernels.hidden(bytearray(0), None, 2**40, 2**40, 8, 1)
    with pytest.raises(TypeError):
        kernels.hidden(b"", None, 0, 0, 8, 1)  # read-only z


def test_expit_reference_is_scipys():
    # the numpy path's logistic activation, which the kernel is tested against,
    # is scipy's expit
    z = np.linspace(-5, 5, 11)
    expected = expit(z)
    ACTIVATIONS["logistic"](z)
    np.testing.assert_array_equal(z, expected)


def _fit_both_ways(solver, activation, dtype, max_iter):
    """The same fit through the compiled passes and through numpy's."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 10)).astype(dtype)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    params = {
        "hidden_layer_sizes": (16,), "activation": activation, "solver": solver,
        "max_iter": max_iter, "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        compiled = BiaslessMLPClassifier(**params).fit(X, y)
        with _numpy_path(), mock.patch.object(_optimizers, "_adam_kernel", None):
            numpy = BiaslessMLPClassifier(**params).fit(X, y)
    return compiled.coefs_, numpy.coefs_


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
@pytest.mark.parametrize(
    ("solver", "max_iter", "bound"),
    # Measured (x86-64, AVX-512 clones): at most 17.5 eps after 5 L-BFGS
    # iterations, 3.5 eps after 50 Adam epochs; the bounds leave margin for
    # other CPUs' clones. L-BFGS amplifies the differences as it goes (its
    # line search and curvature pairs feed on them): after 50 iterations
    # float32 weights differed by up to 4e-2 relative, so no bound is claimed
    # for long L-BFGS runs.
    [("lbfgs", 5, 256), ("adam", 50, 64)],
)
def test_trained_weights_with_and_without_kernels_within_the_bound(
    solver, max_iter, bound, activation, dtype
):
    """The documented bound (_mlp_kernels.c header): the compiled passes are
    not bitwise numpy's, so trained weights differ by rounding that the
    optimiser carries along; here, within ``bound * eps`` of the largest
    weight of each layer."""
    if _optimizers._adam_kernel is None:  # pragma: no cover
        pytest.skip("compiled kernels off (the switch) or not built")
    compiled, numpy = _fit_both_ways(solver, activation, dtype, max_iter)
    eps = _eps(dtype)
    for a, b in zip(compiled, numpy, strict=True):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=bound * eps * np.abs(b).max())


def test_activation_codes_come_from_the_kernel():
    """One table of codes, the C module's, and one code per activation the
    compiled passes run (every activation of the numpy path)."""
    if _mlp_math._mlp_kernels is None:  # pragma: no cover
        pytest.skip("compiled kernels off (the switch) or not built")
    assert _mlp_math._KERNEL_CODES is kernels.ACTIVATION_CODES
    assert sorted(CODES) == sorted(ACTIVATIONS) == sorted(ACTIVATION_NAMES)
    assert sorted(CODES.values()) == list(range(len(CODES)))
    with pytest.raises(ValueError):
        kernels.hidden(np.zeros((1, 1)), None, 1, 1, 8, max(CODES.values()) + 1)
