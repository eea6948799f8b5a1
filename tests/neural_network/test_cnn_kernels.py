"""The compiled passes of ``_cnn_kernels.c`` against the numpy path they
replace, bit for bit, and the training step's workspace."""

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_symmetry.neural_network import _cnn_layers, _cnn_math
from sk_symmetry.neural_network._cnn_layers import (
    Workspace,
    _conv_activate,
    _conv_backward,
    _conv_input_gradient,
    _im2col_padded,
    _pad,
    _pool_backward,
    _pool_forward,
    _unpad,
    col2im_matmul,
    im2col,
)
from sk_symmetry.neural_network._cnn_math import (
    init_params,
    loss_and_gradient,
    make_architecture,
)

kernels = _cnn_layers._cnn_kernels

# Tests of the kernels themselves; they skip when SK_SYMMETRY_NO_KERNELS=1
# (CI's run of the numpy fallbacks) or when they were not built.
needs_kernels = pytest.mark.skipif(
    kernels is None, reason="compiled kernels off or not built"
)
DTYPES = [np.float32, np.float64]


def _numpy_path():
    return mock.patch.object(_cnn_layers, "_cnn_kernels", None)


def _same_bits(a, b):
    """Equal arrays to the last bit (signed zeros included), NaN where NaN."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind != "f":
        return np.array_equal(a, b)
    nan = np.isnan(a)
    return np.array_equal(nan, np.isnan(b)) and np.array_equal(
        a[~nan].tobytes(), b[~nan].tobytes()
    )


def _values(rng, shape, dtype, special=True):
    """Normal values with ties, signed zeros and (with ``special``) a few
    infinities and NaNs."""
    x = rng.normal(size=shape)
    x[rng.uniform(size=shape) < 0.2] = 0.5  # ties
    x[rng.uniform(size=shape) < 0.1] = 0.0
    x[rng.uniform(size=shape) < 0.1] = -0.0
    if special:
        x[rng.uniform(size=shape) < 0.02] = np.inf
        x[rng.uniform(size=shape) < 0.02] = -np.inf
        x[rng.uniform(size=shape) < 0.02] = np.nan
    return x.astype(dtype)


def _both(func):
    """``func()`` with the kernels, then on the numpy path (infinities and
    NaN on purpose: no warnings)."""
    with np.errstate(all="ignore"):
        ours = func()
        with _numpy_path():
            theirs = func()
    return ours, theirs


# ------------------------------------------------------------ one pass each
_GEOMETRY = dict(
    n=st.integers(1, 3), h=st.integers(1, 7), w=st.integers(1, 7),
    c=st.integers(1, 4), kh=st.integers(1, 4), kw=st.integers(1, 4),
    dilation=st.integers(1, 3), pad=st.tuples(*[st.integers(0, 9)] * 4),
    padding=st.sampled_from(["same", "wrap"]), dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**31 - 1),
)


@needs_kernels
@settings(max_examples=150, deadline=None)
@given(**_GEOMETRY)
def test_im2col_is_numpys_pad_and_windows(n, h, w, c, kh, kw, dilation, pad,
                                          padding, dtype, seed):
    """Any padding (wider than the image too, around the torus), dilation
    and kernel: the receptive fields of the padded image, the same bits."""
    top, bottom, left, right = pad
    out_h = h + top + bottom - dilation * (kh - 1)
    out_w = w + left + right - dilation * (kw - 1)
    if out_h < 1 or out_w < 1:
        return
    A = _values(np.random.default_rng(seed), (n, h, w, c), dtype)
    ours = _im2col_padded(A, pad, padding, kh, kw, dilation)
    theirs = im2col(_pad(A, pad, padding), kh, kw, dilation, out_h, out_w)
    assert _same_bits(ours, theirs)
    out = np.full_like(ours, np.nan)
    assert _im2col_padded(A, pad, padding, kh, kw, dilation, out=out) is out
    assert _same_bits(out, theirs)


@needs_kernels
@settings(max_examples=150, deadline=None)
@given(**_GEOMETRY)
def test_col2im_is_numpys_tap_by_tap_sum(n, h, w, c, kh, kw, dilation, pad,
                                         padding, dtype, seed):
    """The adjoint, on the padded frame and on the unpadded window (zero
    padding: the border dropped; wrap: folded back), the same bits as the
    numpy path and as the tap-by-tap products of the previous code."""
    top, bottom, left, right = pad
    out_h = h + top + bottom - dilation * (kh - 1)
    out_w = w + left + right - dilation * (kw - 1)
    if out_h < 1 or out_w < 1:
        return
    rng = np.random.default_rng(seed)
    o = int(rng.integers(1, 4))
    dZ = _values(rng, (n * out_h * out_w, o), dtype, special=False)
    kernel = _values(rng, (kh, kw, c, o), dtype, special=False)
    padded = (n, h + top + bottom, w + left + right, c)
    ours, theirs = _both(lambda: col2im_matmul(dZ, kernel, padded, dilation,
                                               out_h, out_w))
    assert _same_bits(ours, theirs)
    taps = np.zeros(padded, dtype)
    for i in range(kh):
        for j in range(kw):
            tap = (dZ @ kernel[i, j].T).reshape(n, out_h, out_w, c)
            r, s = i * dilation, j * dilation
            taps[:, r:r + out_h, s:s + out_w] += tap
    np.testing.assert_allclose(ours, taps, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-5)
    unpadded = (n, h, w, c)
    ours, theirs = _both(lambda: _conv_input_gradient(
        dZ, kernel, unpadded, pad, padding, dilation, (out_h, out_w),
        lambda name, shape, dtype: np.empty(shape, dtype)))
    assert _same_bits(ours, theirs)
    full = col2im_matmul(dZ, kernel, padded, dilation, out_h, out_w)
    assert _same_bits(ours, _unpad(full, pad, padding, (h, w)))


@needs_kernels
@settings(max_examples=100, deadline=None)
@given(rows=st.integers(1, 40), c=st.integers(1, 9), even=st.booleans(),
       bias=st.booleans(), activation=st.sampled_from(["relu", "tanh"]),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31 - 1))
def test_activation_is_numpys(rows, c, even, bias, activation, dtype, seed):
    """|z| and its sign, the bias, relu as numpy's maximum(z, 0) (signed
    zeros, NaN) or numpy's tanh."""
    rng = np.random.default_rng(seed)
    Z = _values(rng, (rows, c), dtype)
    b = _values(rng, c, dtype) if bias else None
    (z1, neg1), (z2, neg2) = _both(
        lambda: _conv_activate(Z.copy(), b, even, activation))
    assert _same_bits(z1, z2)
    assert (neg1 is None) == (neg2 is None) == (not even)
    if even:
        assert neg1.dtype == bool and np.array_equal(neg1, neg2)


@needs_kernels
@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       c=st.integers(1, 5), pool=st.sampled_from([(2, 2), (1, 2), (2, 1)]),
       kind=st.sampled_from(["max", "mean"]), dtype=st.sampled_from(DTYPES),
       seed=st.integers(0, 2**31 - 1))
def test_pooling_forward_and_backward_are_numpys(n, h, w, c, pool, kind, dtype,
                                                  seed):
    """Odd sizes (the last row or column dropped), ties, signed zeros and
    NaN: the pooling and its gradient (to every tied max), the same bits."""
    if h < pool[0] or w < pool[1]:
        return
    rng = np.random.default_rng(seed)
    A = _values(rng, (n, h, w, c), dtype)
    ours, theirs = _both(lambda: _pool_forward(A, pool, kind))
    assert _same_bits(ours, theirs)
    dout = _values(rng, ours.shape, dtype)
    ours_back, theirs_back = _both(lambda: _pool_backward(dout, A, ours, pool, kind))
    assert _same_bits(ours_back, theirs_back)


@needs_kernels
@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       c=st.integers(1, 6), pool=st.sampled_from([None, (2, 2), (1, 2), (2, 1)]),
       kind=st.sampled_from(["max", "mean"]),
       activation=st.sampled_from(["relu", "tanh"]),
       even=st.booleans(), bias=st.booleans(), dtype=st.sampled_from(DTYPES),
       seed=st.integers(0, 2**31 - 1))
def test_convolution_backward_pass_is_numpys(n, h, w, c, pool, kind, activation,
                                             even, bias, dtype, seed):
    """The pooling's and the activation's backward passes, the bias gradient
    (columns summed over rows in order) and the sign flips of the even
    layer, fused: the same bits as the numpy path."""
    if pool is not None and (h < pool[0] or w < pool[1]):
        return
    rng = np.random.default_rng(seed)
    A = _values(rng, (n, h, w, c), dtype, special=False)
    if activation == "relu":
        np.maximum(A, 0, out=A)
    elif activation == "tanh":
        np.tanh(A, out=A)
    pooled = None if pool is None else _pool_forward(A, pool, kind)
    grad = _values(rng, A.shape if pool is None else pooled.shape, dtype,
                   special=False)
    negative = rng.uniform(size=A.shape) < 0.5 if even else None
    start = _values(rng, c, dtype, special=False)

    def run():
        bias_grad = start.copy() if bias else None
        dZ = _conv_backward(grad, A, pooled, pool, kind, activation, negative,
                            bias_grad)
        return dZ, bias_grad

    (dz1, b1), (dz2, b2) = _both(run)
    assert _same_bits(dz1, dz2)
    assert (b1 is None and b2 is None) or _same_bits(b1, b2)


@needs_kernels
def test_bias_gradient_sums_as_numpy_over_many_rows():
    """numpy sums a (rows, channels) array over axis 0 row after row; the
    kernel adds in the same order, here over 50,000 rows of 8 channels
    (one channel, where numpy sums pairwise, goes to numpy)."""
    rng = np.random.default_rng(0)
    for c in (8, 3, 1):
        A = rng.uniform(0.1, 1.0, (4, 125, 100, c)).astype(np.float32)
        grad = rng.normal(size=A.shape).astype(np.float32)

        def run(A=A, grad=grad, c=c):
            bias_grad = np.zeros(c, np.float32)
            _conv_backward(grad, A, None, None, "max", "relu", None, bias_grad)
            return bias_grad

        ours, theirs = _both(run)
        assert _same_bits(ours, theirs)


# ------------------------------------------------------------ a whole step
def _architecture(shape, channels, kernel, dilation, padding, spatial, global_,
                  group, activation, even, bias):
    return make_architecture(shape, channels, kernel, dilation, padding, spatial,
                             global_, (5,), 3, group, activation, even, bias)


@needs_kernels
@settings(max_examples=40, deadline=None)
@given(
    shape=st.sampled_from([(6, 5), (9, 7), (1, 11), (8, 8)]),
    channels=st.sampled_from([(3,), (2, 4), (3, 1, 2), (4, 6, 5)]),
    kernel=st.integers(1, 4), dilation=st.integers(1, 2),
    padding=st.sampled_from(["same", "valid", "wrap"]),
    spatial=st.sampled_from(["max", "mean", "none"]),
    global_=st.sampled_from(["flatten", "mean", "max"]),
    group=st.sampled_from(["max", "mean", "signed"]),
    activation=st.sampled_from(["relu", "tanh"]), even=st.booleans(),
    bias=st.booleans(), dtype=st.sampled_from(DTYPES), chunk=st.sampled_from([64, 5]),
    seed=st.integers(0, 2**31 - 1),
)
def test_training_step_is_the_numpy_paths(shape, channels, kernel, dilation,
                                          padding, spatial, global_, group,
                                          activation, even, bias, dtype, chunk,
                                          seed):
    """Loss and gradient of a step, with the kernels and a workspace reused
    from a step on other data, the same bits as on the numpy path."""
    try:
        arch = _architecture(shape, channels, kernel, dilation, padding, spatial,
                             global_, group, activation, even, bias)
    except ValueError:  # a kernel wider than the map with padding="valid"
        return
    rng = np.random.default_rng(seed)
    params = init_params(arch, dtype, rng)
    params[arch.n_weights:] = rng.normal(scale=0.1, size=arch.n_params - arch.n_weights)
    n_rows, m = 3, 4
    stack = _values(rng, (n_rows * m, shape[0] * shape[1]), dtype, special=False)
    stack[1] = 0.5  # a constant image: ties everywhere
    Y = np.eye(3, dtype=dtype)[rng.integers(0, 3, n_rows)]
    weights = None
    if group == "signed":
        weights = rng.choice([-1.0, 0.0, 1.0, 2.0], size=n_rows * m).astype(dtype)
    workspace = Workspace()

    def step(workspace=None):
        grad = np.empty_like(params)
        loss, _ = loss_and_gradient(params, arch, stack, Y, "log_loss", 1e-3, None,
                                    grad, weights=weights, workspace=workspace)
        return loss, grad

    with mock.patch.object(_cnn_math, "_CHUNK", chunk):
        loss_and_gradient(params, arch, stack[::-1].copy(), Y, "log_loss", 1e-3,
                          None, np.empty_like(params), weights=weights,
                          workspace=workspace)
        ours = step(workspace)
        fresh = step()
        with _numpy_path():
            theirs = step()
    assert ours[0] == fresh[0] == theirs[0]
    assert _same_bits(ours[1], theirs[1]) and _same_bits(fresh[1], theirs[1])


@needs_kernels
def test_kernels_run_in_a_step():
    """The default network's step goes through every compiled pass (none
    silently falls back to numpy)."""
    calls = []

    class Recording:
        def __getattr__(self, name):
            value = getattr(kernels, name)
            if callable(value):
                def record(*args):
                    calls.append(name)
                    return value(*args)
                return record
            return value

    arch = _architecture((12, 12), (4, 8), 3, 1, "same", "max", "flatten", "max",
                         "relu", True, True)
    rng = np.random.default_rng(0)
    params = init_params(arch, np.float32, rng)
    stack = rng.normal(size=(8, 144)).astype(np.float32)
    Y = np.eye(3, dtype=np.float32)[[0, 1]]
    with mock.patch.object(_cnn_layers, "_cnn_kernels", Recording()):
        loss_and_gradient(params, arch, stack, Y, "log_loss", 1e-3, None,
                          np.empty_like(params), workspace=Workspace())
    assert set(calls) == {"im2col", "activate", "pool", "conv_backward", "col2im"}


def test_workspace_hands_out_the_same_array_for_the_same_key():
    workspace = Workspace()
    a = workspace.empty(("cols", 0, 0), (3, 4), np.float32)
    assert workspace.empty(("cols", 0, 0), (3, 4), np.float32) is a
    assert workspace.empty(("cols", 0, 64), (3, 4), np.float32) is not a
    b = workspace.empty(("cols", 0, 0), (2, 4), np.float32)
    assert b is not a and b.shape == (2, 4)
    assert workspace.empty(("cols", 0, 0), (2, 4), np.float64).dtype == np.float64


@needs_kernels
def test_kernels_check_their_arguments():
    x = np.zeros((2, 3, 3, 1))
    cols = np.zeros((18, 9))
    geometry = (2, 3, 3, 1, 1, 1, 3, 3, 3, 3, 1)
    kernels.im2col(x, cols, geometry, False, 8)  # fits
    with pytest.raises(ValueError, match="itemsize"):
        kernels.im2col(x, cols, geometry, False, 2)
    with pytest.raises(ValueError, match="buffer sizes"):
        kernels.im2col(x, cols[:17], geometry, False, 8)
    with pytest.raises(ValueError, match="positive"):
        kernels.im2col(x, cols, (2, 3, 3, 1, 1, 1, 3, 3, 0, 3, 1), False, 8)
    with pytest.raises(ValueError, match="non-negative"):
        kernels.col2im(cols, x, (2, 3, 3, 1, -1, 1, 3, 3, 3, 3, 1), 8)
    with pytest.raises(ValueError, match="too large|non-negative"):
        kernels.im2col(x, cols, (2**40, 2**40, 3, 1, 1, 1, 3, 3, 3, 3, 1), False, 8)
    with pytest.raises(TypeError):
        kernels.im2col(x, bytes(cols.nbytes), geometry, False, 8)  # read-only
    pool = (2, 3, 3, 1, 2, 2, 1, 0)
    with pytest.raises(ValueError, match="buffer sizes"):
        kernels.pool(x, np.zeros(3), pool, 8)
    with pytest.raises(ValueError, match="MAX or MEAN"):
        kernels.pool(x, np.zeros(2), (2, 3, 3, 1, 2, 2, 0, 0), 8)
    with pytest.raises(ValueError, match="max pooling"):
        kernels.conv_backward(np.zeros(2), x, None, None, np.zeros(18), None, pool, 8)
    with pytest.raises(ValueError, match="buffer sizes"):
        kernels.conv_backward(np.zeros(2), x, np.zeros(2), None, np.zeros(18),
                              np.zeros(2), pool, 8)
    with pytest.raises(ValueError, match="buffer sizes"):
        kernels.activate(np.zeros(6), None, np.zeros(5, bool), 2, 3, 8, True)
