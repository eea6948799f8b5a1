"""The invariant networks' math against independent computations: gradients
against finite differences, convolutions against a direct sum."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_symmetry.neural_network import _cnn_layers, _cnn_math
from sk_symmetry.neural_network._cnn_math import (
    forward,
    init_params,
    loss_and_gradient,
    make_architecture,
    orbit_stack,
    orbit_weights,
    unpack,
)


def _architecture(shape=(6, 5), channels=(3, 2), kernel=3, dilation=1,
                  padding="same", spatial="max", global_="mean", hidden=(4,),
                  n_out=3, group="max", activation="relu", even=False, bias=True,
                  n_images=3, norm=False):
    return make_architecture(shape, channels, kernel, dilation, padding, spatial,
                             global_, hidden, n_out, group, activation, even, bias,
                             n_images=n_images, batch_norm=norm)


def _numerical_gradient(f, params, eps=1e-6):
    grad = np.empty_like(params)
    for i in range(params.size):
        step = np.zeros_like(params)
        step[i] = eps
        grad[i] = (f(params + step) - f(params - step)) / (2 * eps)
    return grad


CASES = [
    dict(),
    dict(padding="wrap", dilation=2, spatial="mean", global_="max"),
    dict(padding="valid", shape=(9, 10), group="mean", activation="tanh"),
    dict(even=True, activation="tanh", bias=False),
    dict(even=True, shape=(1, 11), channels=(2, 3, 2), hidden=()),
    dict(spatial="none", group="signed", n_out=2),
    dict(group="sort", global_="flatten", even=True),
    dict(norm=True, even=True, global_="flatten"),
    dict(norm=True, activation="tanh", bias=False, padding="wrap"),
    dict(norm=True, group="signed", channels=(1, 2), spatial="mean"),
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("chunk", [64, 5])
def test_gradient_matches_finite_differences(case, loss, chunk, monkeypatch):
    # chunk: the trunk runs on chunks of images; 5 splits the 12 images
    monkeypatch.setattr(_cnn_math, "_CHUNK", chunk)
    rng = np.random.default_rng(0)
    arch = _architecture(**case)
    params = init_params(arch, np.float64, rng)
    params[arch.n_weights:] = rng.normal(scale=0.1, size=arch.n_params - arch.n_weights)
    if arch.batch_norm:  # scales near 1, and a variance must be positive
        params[-3 * sum(c[3] for c in arch.conv):] += 1.0
    n_rows, m = 4, 3
    stack = rng.normal(size=(n_rows * m, arch.image_shape[0] * arch.image_shape[1]))
    n_out = arch.dense[-1][1]
    if loss == "log_loss":
        Y = np.eye(n_out)[rng.integers(0, n_out, n_rows)]
    else:
        Y = rng.normal(size=(n_rows, n_out))
    sw = rng.uniform(0.5, 2.0, n_rows)
    weights = None
    if arch.group_pooling == "signed":
        weights = rng.choice([-1.0, 0.0, 1.0, 2.0], size=n_rows * m)

    def objective(p):
        return loss_and_gradient(p, arch, stack, Y, loss, 0.3, sw,
                                 np.empty_like(p), weights=weights)[0]

    grad = np.empty_like(params)
    loss_and_gradient(params, arch, stack, Y, loss, 0.3, sw, grad, weights=weights)
    np.testing.assert_allclose(grad, _numerical_gradient(objective, params),
                               rtol=1e-5, atol=1e-7)


def _direct_conv(A, kernel, dilation, padding):
    """A convolution (cross-correlation) written as the plain sum over taps."""
    n, h, w, _ = A.shape
    kh, kw, _, out = kernel.shape
    span_h, span_w = dilation * (kh - 1), dilation * (kw - 1)
    top, left = span_h // 2, span_w // 2
    if padding == "valid":
        top = left = 0
        oh, ow = h - span_h, w - span_w
    else:
        oh, ow = h, w
    Z = np.zeros((n, oh, ow, out))
    for r in range(oh):
        for c in range(ow):
            for i in range(kh):
                for j in range(kw):
                    y, x = r + i * dilation - top, c + j * dilation - left
                    if padding == "wrap":
                        y, x = y % h, x % w
                    elif not (0 <= y < h and 0 <= x < w):
                        continue
                    Z[:, r, c] += A[:, y, x] @ kernel[i, j]
    return Z


@pytest.mark.parametrize("padding", ["same", "valid", "wrap"])
@pytest.mark.parametrize("dilation", [1, 2])
def test_convolution_is_the_direct_sum(padding, dilation):
    rng = np.random.default_rng(1)
    arch = _architecture(shape=(7, 8), channels=(3,), padding=padding,
                         dilation=dilation, spatial="none", global_="mean",
                         hidden=(), n_out=1, group="mean", activation="tanh",
                         bias=False)
    params = init_params(arch, np.float64, rng)
    conv_w, dense_w, _, _ = unpack(params, arch)
    dense_w[0][...] = 0
    dense_w[0][0, 0] = 1.0  # the output is the global mean of channel 0
    X = rng.normal(size=(2, 56))
    kernel = conv_w[0].reshape(arch.conv[0])
    expected = np.tanh(_direct_conv(X.reshape(2, 7, 8, 1), kernel, dilation,
                                    padding))[..., 0].mean(axis=(1, 2))
    out, _ = forward(params, arch, X, 2)
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-12)


def test_architecture_refuses_kernels_larger_than_the_map():
    with pytest.raises(ValueError, match="kernel_size=5 .*padding='valid'"):
        _architecture(shape=(4, 4), kernel=5, padding="valid")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2), min_size=2, max_size=7), st.randoms())
def test_orbit_weights_sum_signs_over_runs_of_equal_images(values, random):
    """Runs of equal images get the sum of their signs on their first image;
    the total is unchanged and flipping every sign flips the weights."""
    m = len(values)
    stack = np.repeat(np.array(sorted(values), float)[:, None], 3, axis=1)
    signs = np.array([random.choice([-1.0, 1.0]) for _ in range(m)])[None]
    weights = orbit_weights(stack, signs)
    assert weights.sum() == signs.sum()
    assert np.array_equal(orbit_weights(stack, -signs), -weights)
    firsts = np.r_[True, np.diff(sorted(values)) != 0]
    assert not weights[~firsts].any()
    # the weights do not depend on how the signs are ordered inside a run
    order = np.argsort(np.array(sorted(values)) * 10 + signs[0], kind="stable")
    assert np.array_equal(orbit_weights(stack, signs[:, order]), weights)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("axis", "shape"), [((1, 2), (2, 4, 5, 3)), (1, (2, 4, 3))])
def test_mean_pooling_backward_keeps_the_dtype(dtype, axis, shape):
    """The backward pass of a mean over the image or the orbit stays in the
    network's dtype (a numpy integer count promoted float32 to float64)."""
    dout = np.ones((2, 3), dtype)
    dA = _cnn_layers._reduce_backward(dout, None, axis, "mean", shape)
    assert dA.dtype == dtype
    assert dA.shape == shape
    assert np.all(dA == dtype(1) / dtype(np.prod(shape) // 6))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 7),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 2**31 - 1))
def test_orbit_stack_is_each_rows_signed_permutations(n, m, n_features, dtype, seed):
    """Row i's images under order[i], negative zeros made positive, bit for
    bit as the definition: x[perm] * sign + 0.0 per image."""
    rng = np.random.default_rng(seed)
    n_elements = m + 2
    perms = np.array([rng.permutation(n_features) for _ in range(n_elements)])
    signs = rng.choice([-1.0, 1.0], size=(n_elements, n_features)).astype(dtype)
    X = rng.choice([-1.5, -0.0, 0.0, 2.0, 0.25], size=(n, n_features)).astype(dtype)
    order = rng.integers(0, n_elements, size=(n, m))
    stack = orbit_stack(X, perms, signs, order)
    expected = np.stack([X[i, perms[e]] * signs[e] + 0.0 for i in range(n)
                         for e in order[i]])
    assert stack.dtype == dtype
    assert np.array_equal(stack.view(f"u{stack.itemsize}"),
                          expected.view(f"u{stack.itemsize}"))


def test_batch_norm_trains_on_the_minibatch_and_predicts_image_by_image():
    """In training the channels are normalised by the minibatch's statistics
    (whatever the chunking) and the running statistics move towards them;
    at prediction an image's outputs depend on that image alone."""
    rng = np.random.default_rng(3)
    arch = _architecture(norm=True, even=True, global_="flatten")
    params = init_params(arch, np.float64, rng)
    scales, means, variances = _cnn_math.norm_views(params, arch)
    stack = rng.normal(loc=2.0, scale=3.0, size=(12, 30))
    # One layer by hand: |conv| of the stack, normalised over images and pixels
    Z = np.abs(_cnn_layers.im2col(np.pad(stack.reshape(12, 6, 5, 1),
                                         ((0, 0), (1, 1), (1, 1), (0, 0))),
                                  3, 3, 1, 6, 5) @ unpack(params, arch)[0][0])
    before = params.copy()
    forward(params, arch, stack, 4, keep=True)
    np.testing.assert_allclose(means[0], 0.1 * Z.mean(axis=0))
    np.testing.assert_allclose(variances[0], 0.9 + 0.1 * Z.var(axis=0))
    assert np.array_equal(params[:-3 * 5], before[:-3 * 5])  # only the statistics
    out = forward(params, arch, stack, 4)[0]
    for row in range(4):
        alone = forward(params, arch, stack[3 * row:3 * row + 3], 1)[0]
        # (up to the head's products on 1 row against 4: no statistics shared)
        np.testing.assert_allclose(alone[0], out[row], rtol=1e-12)
    with pytest.raises(AssertionError):  # in training the rows do interact
        np.testing.assert_array_equal(
            forward(params.copy(), arch, stack[:3], 1, training=True)[0][0],
            forward(params.copy(), arch, stack, 4, training=True)[0][0])
    assert scales[0].tolist() == [1.0] * 3


def test_batch_norm_statistics_do_not_depend_on_the_weights_scale():
    """Sample weights count rows in the statistics: scaling them all leaves
    the normalised values and the running statistics as they were, and a
    weight of 2 acts as the row repeated."""
    from sk_symmetry.neural_network._cnn_layers import _batch_norm

    rng = np.random.default_rng(4)
    Z = rng.normal(2.0, 3.0, size=(6, 4))
    w = rng.uniform(0.5, 2.0, 6)

    def run(Z, weights):
        mean, variance = np.zeros(2), np.ones(2)
        out = _batch_norm(Z.copy(), np.ones(2), mean, variance, True, True,
                          copies=2, weights=weights)[0]
        return out, mean, variance

    for a, b in zip(run(Z, w), run(Z, 1e-3 * w), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    twice = np.array([2.0, 1, 1, 1, 1, 1])
    weighted = run(Z, twice)
    repeated = run(np.vstack([Z[:1], Z]), None)
    np.testing.assert_allclose(weighted[0], repeated[0][1:], rtol=1e-12)
    for a, b in zip(weighted[1:], repeated[1:], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
