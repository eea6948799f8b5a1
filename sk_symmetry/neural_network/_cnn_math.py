"""Network math of the invariant convolutional networks as plain functions.

A network is a convolutional trunk run on every image of each row's orbit, a
pooling over the orbit, and a dense head. Its parameters live in one flat
vector: the convolution kernels, then the dense weight matrices, then (only
with biases) every bias vector, so that the L2 penalty is one slice and
optimisers update the vector in place. `unpack` returns views into it.

Activations are ``(n_images, height, width, channels)`` arrays. A convolution
is one matrix product: `im2col` lays each output pixel's receptive field out
as a row (``np.lib.stride_tricks.sliding_window_view`` and one copy), which is
multiplied by the ``(kernel_h * kernel_w * in_channels, out_channels)``
kernel matrix on BLAS. Its backward pass is two products (the weight
gradient; the receptive fields' gradient, with the whole kernel matrix) and
their adjoint layout, each pixel adding the taps that cover it (`col2im`).
The element-wise passes between the products (the layout with its padding,
bias and activation, pooling, their backward passes) run in the compiled
``_cnn_kernels.c`` when it is built, to the same bits as the numpy code
here; a training step keeps its arrays in a `Workspace` between steps.

Exact invariance does not rest on this module's arithmetic: the estimator
feeds it, for a row and for any image of that row under the group, the same
stack of images in the same order (`~sk_symmetry.symmetry._orbit_order`),
so every number computed here is the same bit for bit.
"""

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._utils import compiled_kernel

# Images the trunk processes at once (see `forward`). With 16 images of
# 28 x 28, a layer's receptive fields and outputs (under 1 MB) stay in L2
# cache from one product to the next: a training step of the default network
# took 28 ms against 32.5 ms with chunks of 64. The chunks' weight gradients
# are summed, so the chunk size sets the last bits of a gradient.
_CHUNK = 16

# The compiled passes of _cnn_kernels.c (None when built without a compiler or
# with SK_SYMMETRY_NO_KERNELS set): the same bits as the numpy code below, in
# one pass each (see the header of _cnn_kernels.c).
_cnn_kernels = compiled_kernel("sk_symmetry.neural_network._cnn_kernels")

__all__ = [
    "Architecture",
    "Workspace",
    "forward",
    "init_params",
    "loss_and_gradient",
    "make_architecture",
    "orbit_stack",
    "orbit_weights",
    "unpack",
]


# The fields that follow the trunk's layout in both routes' architectures
# (`Architecture` here, `GroupArchitecture` of the group route).
HEAD_FIELDS = (
    ("dense", tuple), ("dilation", int), ("padding", str),
    ("spatial_pooling", str), ("global_pooling", str), ("group_pooling", str),
    ("activation", str), ("even_first_layer", bool), ("fit_bias", bool),
    ("n_weights", int), ("n_params", int),
)

Architecture = NamedTuple("Architecture", [
    ("image_shape", tuple), ("conv", tuple), ("pads", tuple), ("pool", tuple),
    *HEAD_FIELDS,
])
Architecture.__doc__ = """What the parameter vector means; everything but the weights.

    ``conv`` holds per convolution ``(kernel_h, kernel_w, in_channels,
    out_channels)``, ``pads`` its ``(top, bottom, left, right)`` padding,
    ``pool`` whether a 2 x 2 (or 1 x 2, 2 x 1) pooling follows it, as
    ``(pool_h, pool_w)`` or None; ``dense`` the ``(fan_in, fan_out)`` of each
    dense layer, the last one giving the outputs.
    """


def head_fields(conv, features, hidden_layer_sizes, n_outputs, **settings):
    """The `HEAD_FIELDS` of a network with convolutions ``conv`` (their
    kernels' shapes) whose trunk gives ``features`` values, as keywords;
    ``settings`` are the other fields (``dilation`` to ``fit_bias``)."""
    units = [features, *(int(u) for u in hidden_layer_sizes), int(n_outputs)]
    dense = tuple(zip(units[:-1], units[1:], strict=True))
    n_weights = sum(kh * kw * c * o for kh, kw, c, o in conv) + sum(
        a * b for a, b in dense
    )
    n_biases = sum(c[3] for c in conv) + sum(b for _, b in dense)
    fit_bias = bool(settings["fit_bias"])
    return {
        **settings, "dense": dense, "dilation": int(settings["dilation"]),
        "even_first_layer": bool(settings["even_first_layer"]),
        "fit_bias": fit_bias, "n_weights": n_weights,
        "n_params": n_weights + (n_biases if fit_bias else 0),
    }


class Workspace:
    """The arrays of a training step, kept for the next one.

    Allocated afresh at every step, the intermediate arrays of the default
    network on 32 rows of 8 images each (45 MB when the receptive fields
    were kept from the forward to the backward pass) went back to the system
    in between and cost a page fault per 4 KiB when touched again: 12,000
    faults, about as much time as the step's matrix products. A fit passes
    one workspace to each of its steps (`loss_and_gradient`); `empty` hands
    out the array of the same key as in the previous step when its shape
    and dtype match (the activations of each chunk of images, and one set
    of temporaries per layer: 20 MB for that step). A workspace serves one
    step at a time, so not two threads.
    """

    def __init__(self):
        self._arrays = {}

    def empty(self, key, shape, dtype):
        """An uninitialised array; the same one for the same key, shape and
        dtype."""
        array = self._arrays.get(key)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self._arrays[key] = np.empty(shape, dtype)
        return array


def _allocator(workspace, *key):
    """``empty(name, shape, dtype)``: a new array without a workspace, else
    the workspace's array under ``(name, *key)``."""
    if workspace is None:
        return lambda name, shape, dtype: np.empty(shape, dtype)
    return lambda name, shape, dtype: workspace.empty((name, *key), shape, dtype)


def make_architecture(
    image_shape, conv_channels, kernel_size, dilation, padding, spatial_pooling,
    global_pooling, hidden_layer_sizes, n_outputs, group_pooling, activation,
    even_first_layer, fit_bias,
):
    """An `Architecture`, or a ValueError naming the parameter that cannot fit.

    An axis of length 1 (1-d signals as ``(1, length)``) gets kernels of
    length 1 along it and is never pooled; a 2 x 2 pooling drops the last
    row (column) of an odd size, as ``floor`` pooling does.
    """
    h, w = image_shape
    conv, pads, pools = [], [], []
    channels = 1
    n_conv = len(conv_channels)
    for index, out_channels in enumerate(conv_channels):
        kh = kernel_size if h > 1 else 1
        kw = kernel_size if w > 1 else 1
        span_h, span_w = dilation * (kh - 1), dilation * (kw - 1)
        if padding == "valid":
            pad = (0, 0, 0, 0)
            if span_h >= h or span_w >= w:
                raise ValueError(
                    f"kernel_size={kernel_size} with dilation={dilation} spans "
                    f"more than the {h} x {w} feature map of convolution "
                    f"{index + 1} with padding='valid'; use padding='same' or "
                    "'wrap', a smaller kernel or fewer pooling steps."
                )
        else:
            pad = (span_h // 2, span_h - span_h // 2, span_w // 2, span_w - span_w // 2)
        h, w = h + pad[0] + pad[1] - span_h, w + pad[2] + pad[3] - span_w
        conv.append((kh, kw, channels, int(out_channels)))
        pads.append(pad)
        pool = None
        if spatial_pooling != "none" and index < n_conv - 1:
            pool = (2 if h > 1 else 1, 2 if w > 1 else 1)
            if pool == (1, 1):
                pool = None
            else:
                h, w = h // pool[0], w // pool[1]
        pools.append(pool)
        channels = int(out_channels)
    features = channels * h * w if global_pooling == "flatten" else channels
    return Architecture(
        tuple(image_shape), tuple(conv), tuple(pads), tuple(pools), **head_fields(
            conv, features, hidden_layer_sizes, n_outputs, dilation=dilation,
            padding=padding, spatial_pooling=spatial_pooling,
            global_pooling=global_pooling, group_pooling=group_pooling,
            activation=activation, even_first_layer=even_first_layer,
            fit_bias=fit_bias,
        ),
    )


def unpack(params, arch):
    """``(conv_weights, dense_weights, conv_biases, dense_biases)``: views into
    ``params``; the biases are None without ``fit_bias``."""
    views, start = [], 0
    shapes = [(kh * kw * c, o) for kh, kw, c, o in arch.conv] + list(arch.dense)
    for rows, cols in shapes:
        views.append(params[start:start + rows * cols].reshape(rows, cols))
        start += rows * cols
    n_conv = len(arch.conv)
    if not arch.fit_bias:
        return views[:n_conv], views[n_conv:], None, None
    biases = []
    for _, cols in shapes:
        biases.append(params[start:start + cols])
        start += cols
    return views[:n_conv], views[n_conv:], biases[:n_conv], biases[n_conv:]


def init_params(arch, dtype, rng):
    """He-uniform weights for relu, Glorot-uniform for tanh (the output layer
    always Glorot), zero biases; drawn layer by layer."""
    params = np.zeros(arch.n_params, dtype=dtype)
    conv_w, dense_w, _, _ = unpack(params, arch)
    layers = list(conv_w) + list(dense_w)
    for index, W in enumerate(layers):
        fan_in, fan_out = W.shape
        if index < len(layers) - 1 and arch.activation == "relu":
            bound = np.sqrt(6.0 / fan_in)
        else:
            bound = np.sqrt(6.0 / (fan_in + fan_out))
        W[...] = rng.uniform(-bound, bound, W.shape)
    return params


def orbit_stack(X, perms, signs, order):
    """Row ``i``'s images under ``order[i]``, stacked: ``(n * m, n_features)``.

    Negative zeros become ``+0.0``, so equal images have equal bytes.
    """
    n, m = order.shape
    out = np.empty((n, m, X.shape[1]), X.dtype)
    # Element by element: one permutation for all the rows that use it (an
    # index array per image, as wide as the data, took six times as long).
    for element in np.unique(order):
        rows, positions = np.nonzero(order == element)
        images = X[rows[:, None], perms[element]]
        images *= signs[element]
        images += 0.0
        out[rows, positions] = images
    return out.reshape(n * m, X.shape[1])


def orbit_weights(stack, element_signs):
    """Weights of the signed pooling: each run of equal images in a row's
    stack gets the sum of its elements' signs, on its first image (zeros on
    the others).

    The order of equal images in a stack is not fixed by the data, and their
    elements' signs may differ; their sum is. So ``x`` and ``h x`` get the
    same weights up to the sign of ``h``, exactly.

    Parameters
    ----------
    stack : ndarray of shape (n * m, n_features)
    element_signs : ndarray of shape (n, m)
        The output sign of the element behind each image.
    """
    n, m = element_signs.shape
    images = stack.reshape(n, m, -1)
    first = np.ones((n, m), dtype=bool)
    first[:, 1:] = (images[:, 1:] != images[:, :-1]).any(axis=2)
    run = np.cumsum(first.ravel()) - 1
    sums = np.bincount(run, weights=element_signs.ravel())
    out = np.zeros(n * m, dtype=element_signs.dtype)
    out[first.ravel()] = sums
    return out


# ------------------------------------------------------------- layer pieces
def _pad(A, pad, padding):
    top, bottom, left, right = pad
    if not any(pad):
        return A
    mode = "wrap" if padding == "wrap" else "constant"
    return np.pad(A, ((0, 0), (top, bottom), (left, right), (0, 0)), mode=mode)


def _unpad(dAp, pad, padding, shape):
    """The gradient with respect to ``A`` from that with respect to its
    padded copy: the border is dropped (zeros) or folded back (wrap)."""
    top, bottom, left, right = pad
    if not any(pad):
        return dAp
    h, w = shape
    if padding == "wrap":
        rows = np.arange(-top, h + bottom) % h
        cols = np.arange(-left, w + right) % w
        folded = np.zeros(dAp.shape[:1] + (h,) + dAp.shape[2:], dAp.dtype)
        for r, source in enumerate(rows):
            folded[:, source] += dAp[:, r]
        out = np.zeros(folded.shape[:2] + (w,) + folded.shape[3:], dAp.dtype)
        for c, source in enumerate(cols):
            out[:, :, source] += folded[:, :, c]
        return out
    return dAp[:, top:top + h, left:left + w]


def im2col(Ap, kh, kw, dilation, out_h, out_w, out=None):
    """Rows of receptive fields: ``(n * out_h * out_w, kh * kw * channels)``,
    columns in ``(kernel row, kernel column, channel)`` order; into ``out``
    if given."""
    n, channels = Ap.shape[0], Ap.shape[3]
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    windows = sliding_window_view(Ap, (span_h, span_w), axis=(1, 2))
    windows = windows[..., ::dilation, ::dilation].transpose(0, 1, 2, 4, 5, 3)
    if out is None:
        return windows.reshape(n * out_h * out_w, kh * kw * channels)
    np.copyto(out.reshape(windows.shape), windows)
    return out


def _kernels_for(*arrays):
    """The compiled passes, if built and if ``arrays`` (None skipped) share
    one float dtype; else None, and the numpy code runs."""
    if _cnn_kernels is None:
        return None
    dtype = arrays[0].dtype
    if dtype not in (np.float32, np.float64):
        return None
    for array in arrays:
        if array is not None and array.dtype != dtype:
            return None
    return _cnn_kernels


def _im2col_padded(A, pad, padding, kh, kw, dilation, out=None):
    """`im2col` of ``A`` padded by ``pad`` (zeros, or around the torus for
    ``"wrap"``); with the kernels without the padded copy, into ``out`` if
    given."""
    n, h, w, channels = A.shape
    top, bottom, left, right = pad
    out_h = h + top + bottom - dilation * (kh - 1)
    out_w = w + left + right - dilation * (kw - 1)
    kernels = _kernels_for(A)
    if kernels is None:
        return im2col(_pad(A, pad, padding), kh, kw, dilation, out_h, out_w, out)
    A = np.ascontiguousarray(A)
    if out is None:
        out = np.empty((n * out_h * out_w, kh * kw * channels), A.dtype)
    geometry = (n, h, w, channels, top, left, out_h, out_w, kh, kw, dilation)
    kernels.im2col(A, out, geometry, padding == "wrap", A.itemsize)
    return out


def _col2im(dcols, shape, corner, kernel_hw, dilation, out_hw, out=None):
    """The adjoint of `im2col` on the window of the padded input whose first
    pixel is ``corner`` and whose shape is ``shape``: each pixel gets the sum,
    from 0 and tap after tap, of the taps' gradients that cover it."""
    n, h, w, channels = shape
    (top, left), (kh, kw), (out_h, out_w) = corner, kernel_hw, out_hw
    kernels = _kernels_for(dcols)
    if kernels is not None:
        out = np.empty(shape, dcols.dtype) if out is None else out
        geometry = (n, h, w, channels, top, left, out_h, out_w, kh, kw, dilation)
        kernels.col2im(np.ascontiguousarray(dcols), out, geometry, out.itemsize)
        return out
    out = np.zeros(shape, dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            r, c = i * dilation - top, j * dilation - left
            # the tap's output pixels that land inside the window
            y0, x0 = max(0, -r), max(0, -c)
            y1, x1 = min(out_h, h - r), min(out_w, w - c)
            if y0 >= y1 or x0 >= x1:
                continue
            tap = (i * kw + j) * channels
            tap = dcols[:, tap:tap + channels].reshape(n, out_h, out_w, channels)
            out[:, y0 + r:y1 + r, x0 + c:x1 + c] += tap[:, y0:y1, x0:x1]
    return out


def col2im_matmul(dZ, kernel, padded_shape, dilation, out_h, out_w):
    """The gradient with respect to the padded input of a convolution: the
    adjoint of `im2col` after the product with ``kernel``. One product with
    the whole kernel matrix gives every tap's gradient (a product per tap
    took five times as long for 8 input channels), then each pixel adds
    the taps that cover it (`_col2im`)."""
    kh, kw = kernel.shape[:2]
    dcols = dZ @ kernel.reshape(-1, kernel.shape[3]).T
    return _col2im(dcols, padded_shape, (0, 0), (kh, kw), dilation, (out_h, out_w))


def _conv_input_gradient(dZ, kernel, in_shape, pad, padding, dilation, out_hw,
                         empty):
    """The gradient with respect to a convolution's unpadded input: as
    `col2im_matmul` and `_unpad`, but for zero padding straight into the
    unpadded window (the border's gradient is never formed). ``empty`` gives
    the arrays it fills (`_allocator`)."""
    n, h, w, channels = in_shape
    kh, kw = kernel.shape[:2]
    top, bottom, left, right = pad
    if padding == "wrap" and any(pad):
        padded = (n, h + top + bottom, w + left + right, channels)
        dAp = col2im_matmul(dZ, kernel, padded, dilation, *out_hw)
        return _unpad(dAp, pad, padding, (h, w))
    matrix = kernel.reshape(-1, kernel.shape[3]).T
    if dZ.dtype == matrix.dtype:
        dcols = np.matmul(dZ, matrix,
                          out=empty("dcols", (dZ.shape[0], matrix.shape[1]), dZ.dtype))
    else:
        dcols = dZ @ matrix
    return _col2im(dcols, in_shape, (top, left), (kh, kw), dilation, out_hw,
                   out=empty("dA", in_shape, dcols.dtype))


def _pool_forward(A, pool, kind, out=None):
    """2 x 2 (or 1 x 2, 2 x 1) pooling, dropping an odd last row or column;
    into ``out`` if given."""
    ph, pw = pool
    n, h, w, c = A.shape
    oh, ow = h // ph, w // pw
    kernels = _kernels_for(A)
    if kernels is not None:
        A = np.ascontiguousarray(A)
        out = np.empty((n, oh, ow, c), A.dtype) if out is None else out
        geometry = (n, h, w, c, ph, pw, kernels.POOLING_CODES[kind], 0)
        kernels.pool(A, out, geometry, A.itemsize)
        return out
    parts = [A[:, i:oh * ph:ph, j:ow * pw:pw] for i in range(ph) for j in range(pw)]
    if out is None:
        out = parts[0].copy()
    else:
        np.copyto(out, parts[0])
    for part in parts[1:]:
        if kind == "max":
            np.maximum(out, part, out=out)
        else:
            out += part
    if kind == "mean":
        out *= 1.0 / (ph * pw)
    return out


def _pool_backward(dout, A, out, pool, kind):
    """Gradient of a pooling of ``A`` into ``out``. A max shared by several
    inputs passes the gradient to each of them (ties are rare except at
    relu's zeros, where the activation's derivative is zero anyway)."""
    if _kernels_for(dout, A, out) is not None:
        dA = _conv_backward(dout, A, out, pool, kind, "identity", None, None)
        return dA.reshape(A.shape)
    ph, pw = pool
    n, oh, ow, c = dout.shape
    dA = np.zeros(A.shape, dout.dtype)
    share = dout if kind == "max" else dout * (1.0 / (ph * pw))
    for i in range(ph):
        for j in range(pw):
            target = dA[:, i:oh * ph:ph, j:ow * pw:pw]
            if kind == "max":
                np.multiply(share, A[:, i:oh * ph:ph, j:ow * pw:pw] == out,
                            out=target)
            else:
                target[...] = share
    return dA


def _conv_backward(grad, A, pooled, pool, kind, activation, negative, bias_grad,
                   out=None):
    """The gradient with respect to a convolution's output ``Z`` (before its
    bias and activation), as ``(n * h * w, channels)``, from ``grad``, that
    with respect to the pooling ``pooled`` of its activation ``A`` (or to
    ``A``, for ``pool=None``). Adds the bias gradient to ``bias_grad`` (if
    not None), then flips the sign where the even layer took ``|Z|``. With
    the kernels into ``out`` if given."""
    n, h, w, c = A.shape
    kernels = _kernels_for(grad, A, pooled, bias_grad)
    if kernels is None or (bias_grad is not None and c == 1):
        # One channel: numpy sums a column pairwise, not in order.
        if pool is not None:
            grad = _pool_backward(grad, A, pooled, pool, kind)
        dZ = _activation_backward(A, grad, activation).reshape(-1, c)
        if bias_grad is not None:
            bias_grad += dZ.sum(axis=0)
        if negative is not None:
            np.negative(dZ, out=dZ, where=negative.reshape(dZ.shape))
        return dZ
    kind = "none" if pool is None else kind
    ph, pw = (1, 1) if pool is None else pool
    dZ = np.empty((n * h * w, c), grad.dtype) if out is None else out
    geometry = (n, h, w, c, ph, pw, kernels.POOLING_CODES[kind],
                kernels.ACTIVATION_CODES[activation])
    kernels.conv_backward(
        np.ascontiguousarray(grad), np.ascontiguousarray(A),
        None if kind != "max" else np.ascontiguousarray(pooled),
        None if negative is None else np.ascontiguousarray(negative), dZ,
        bias_grad, geometry, dZ.itemsize,
    )
    return dZ


def _reduce(A, axis, kind):
    """Mean or max over ``axis``; for max also the mask of the maxima."""
    if kind == "max":
        out = A.max(axis=axis)
        return out, A == np.expand_dims(out, axis)
    return A.mean(axis=axis), None


def _reduce_backward(dout, mask, axis, kind, shape):
    spread = np.expand_dims(dout, axis)
    if kind == "max":
        return mask * spread
    # A Python int, so that float32 stays float32 (a numpy integer would
    # promote the whole backward pass below to float64).
    count = int(np.prod([shape[a] for a in np.atleast_1d(axis)]))
    return np.broadcast_to(spread / count, shape).copy()


def _activate(Z, activation):
    if activation == "relu":
        np.maximum(Z, 0, out=Z)
    else:
        np.tanh(Z, out=Z)
    return Z


def _conv_activate(Z, bias, even, activation, negative=None):
    """A convolution's activation, in place on its output ``Z`` (rows,
    channels): ``|Z|`` first for the even layer (and the mask of ``Z < 0``,
    returned, else None; with the kernels into ``negative`` if given), then
    the bias (or None) and the activation."""
    kernels = _kernels_for(Z, bias)
    if kernels is None:
        negative = None
        if even:
            # |w * x| is even in x: the image and its negation give the same
            # features, so a pair {v, -v} needs one image.
            negative = Z < 0
            np.abs(Z, out=Z)
        if bias is not None:
            Z += bias
        return _activate(Z, activation), negative
    if not even:
        negative = None
    elif negative is None:
        negative = np.empty(Z.shape, bool)
    kernels.activate(Z, bias, negative, *Z.shape, Z.itemsize, activation == "relu")
    if activation == "tanh":
        np.tanh(Z, out=Z)
    return Z, negative


def _activation_backward(A, dA, activation):
    if activation == "relu":
        return dA * (A > 0)
    return dA * (1 - A * A)


# ---------------------------------------------------------- forward, backward
def forward(params, arch, stack, n_rows, keep=False, weights=None, workspace=None):
    """The network's outputs for ``n_rows`` rows whose orbits are ``stack``.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
    arch : Architecture
    stack : ndarray of shape (n_rows * m, n_features)
        Each row's ``m`` images, one row after another (`orbit_stack`).
    n_rows : int
    keep : bool, default=False
        Also return what `_backward` needs.
    weights : ndarray of shape (n_rows * m,) or None
        For the signed pooling (``arch.group_pooling == "signed"``): the
        weight of each image (`orbit_weights`). The head then runs on each
        image and the output is the weighted mean of the images' outputs.
    workspace : Workspace or None
        Where the trunk's arrays live (with ``keep``, for `_backward`).

    Returns
    -------
    output : ndarray of shape (n_rows, n_outputs)
        Before the output activation (logits or regression values).
    cache : list or None
    """
    n_images = stack.shape[0]
    # The trunk runs on chunks of images, so that its activations stay
    # small (in cache) whatever the minibatch and the orbit.
    trunks = [_trunk(params, arch, stack[start:start + _CHUNK], keep, workspace,
                     start)
              for start in range(0, n_images, _CHUNK)]
    F = np.concatenate([t[0] for t in trunks]) if len(trunks) > 1 else trunks[0][0]
    m = n_images // n_rows
    if weights is None:
        F = F.reshape(n_rows, m, -1)
        P, group_mask = _reduce(F, 1, arch.group_pooling)
    else:
        P, group_mask = F, None
    acts = head_forward(params, arch, P)
    out = acts[-1]
    if weights is not None:
        out = out.reshape(n_rows, m, -1) * weights.reshape(n_rows, m, 1)
        out = out.sum(axis=1) / m
    if not keep:
        return out, None
    return out, (weights, [t[1] for t in trunks], F.shape, group_mask, acts)


def _trunk(params, arch, images, keep, workspace=None, chunk=0):
    """The convolutions and the global pooling on ``images``: features of
    shape (n_images, n_features_out), and what `_trunk_backward` needs. The
    arrays kept for it live in ``workspace`` (if any) under the number
    ``chunk``."""
    conv_w, _, conv_b, _ = unpack(params, arch)
    h, w = arch.image_shape
    A = images.reshape(-1, h, w, 1)
    cache = []
    for index, (kh, kw, _, out_c) in enumerate(arch.conv):
        empty = _allocator(workspace if keep else None, index, chunk)
        temporary = _allocator(workspace if keep else None, index)
        pad = arch.pads[index]
        n = A.shape[0]
        padded_shape = (n, A.shape[1] + pad[0] + pad[1], A.shape[2] + pad[2] + pad[3],
                        A.shape[3])
        out_h = padded_shape[1] - arch.dilation * (kh - 1)
        out_w = padded_shape[2] - arch.dilation * (kw - 1)
        rows = n * out_h * out_w
        # One array of receptive fields for all chunks: `_trunk_backward`
        # lays them out again, from the layer's input, while it is in cache.
        layer_input = A
        cols = _im2col_padded(A, pad, arch.padding, kh, kw, arch.dilation,
                              out=temporary("cols", (rows, kh * kw * A.shape[3]),
                                            A.dtype))
        W = conv_w[index]
        Z = (np.matmul(cols, W, out=empty("Z", (rows, out_c), W.dtype))
             if cols.dtype == W.dtype else cols @ W)
        even = index == 0 and arch.even_first_layer
        Z, negative = _conv_activate(
            Z, None if conv_b is None else conv_b[index], even, arch.activation,
            negative=empty("negative", Z.shape, bool) if even else None,
        )
        A = Z.reshape(-1, out_h, out_w, out_c)
        record = [A.shape[1:3], padded_shape, layer_input, negative, A]
        if arch.pool[index] is not None:
            ph, pw = arch.pool[index]
            shape = (n, out_h // ph, out_w // pw, out_c)
            A = _pool_forward(A, arch.pool[index], arch.spatial_pooling,
                              out=empty("pooled", shape, A.dtype))
            record.append(A)
        cache.append(record)
    if arch.global_pooling == "flatten":
        F, mask = A.reshape(A.shape[0], -1), None
    else:
        F, mask = _reduce(A, (1, 2), arch.global_pooling)
    return F, (cache, A.shape, mask)


def _trunk_backward(params, arch, trunk_cache, dF, grads, workspace=None):
    """Add the trunk's gradient from ``dF`` to ``grads`` (kernels, biases);
    its temporary arrays live in ``workspace``, if any."""
    conv_w = unpack(params, arch)[0]
    g_conv_w, g_conv_b = grads
    conv_cache, spatial_shape, spatial_mask = trunk_cache
    if arch.global_pooling == "flatten":
        dA = dF.reshape(spatial_shape)
    else:
        dA = _reduce_backward(dF, spatial_mask, (1, 2), arch.global_pooling,
                              spatial_shape)
    for index in range(len(arch.conv) - 1, -1, -1):
        empty = _allocator(workspace, index)
        out_hw, padded_shape, layer_input, negative, A = conv_cache[index][:5]
        kh, kw = arch.conv[index][:2]
        rows = A.size // A.shape[3]
        cols = _im2col_padded(
            layer_input, arch.pads[index], arch.padding, kh, kw, arch.dilation,
            out=empty("cols", (rows, kh * kw * layer_input.shape[3]), A.dtype),
        )
        pooled = conv_cache[index][5] if arch.pool[index] is not None else None
        dZ = _conv_backward(
            dA, A, pooled, arch.pool[index], arch.spatial_pooling, arch.activation,
            negative, None if g_conv_b is None else g_conv_b[index],
            out=empty("dZ", (rows, A.shape[3]), A.dtype),
        )
        g_conv_w[index] += cols.T @ dZ
        if index == 0:
            break
        pad = arch.pads[index]
        in_shape = (padded_shape[0], padded_shape[1] - pad[0] - pad[1],
                    padded_shape[2] - pad[2] - pad[3], padded_shape[3])
        dA = _conv_input_gradient(dZ, conv_w[index].reshape(arch.conv[index]),
                                  in_shape, pad, arch.padding, arch.dilation, out_hw,
                                  empty)


def _backward(params, arch, cache, delta, grad, workspace=None):
    """Fill ``grad`` (without the penalty) from ``delta``, the loss's
    gradient with respect to the outputs."""
    weights, trunk_caches, group_shape, group_mask, acts = cache
    if weights is not None:
        n_rows = delta.shape[0]
        m = weights.size // n_rows
        delta = weights.reshape(n_rows, m, 1) * (delta[:, None, :] / m)
        delta = delta.reshape(n_rows * m, -1)
    delta = head_backward(params, arch, acts, delta, grad)
    if weights is None:
        delta = _reduce_backward(delta, group_mask, 1, arch.group_pooling,
                                 group_shape)
    dF = delta.reshape(-1, delta.shape[-1])
    g_conv_w, _, g_conv_b, _ = unpack(grad, arch)
    start = 0
    for trunk_cache in trunk_caches:
        n = trunk_cache[1][0]
        _trunk_backward(params, arch, trunk_cache, dF[start:start + n],
                        (g_conv_w, g_conv_b), workspace)
        start += n
    return grad


def loss_and_gradient(
    params, arch, stack, Y, loss, alpha, sample_weight, grad, weights=None,
    workspace=None,
):
    """Objective and its gradient (into ``grad``) on one minibatch.

    The objective is that of scikit-learn's MLPs: the sample-weighted mean of
    the loss (``"log_loss"`` on softmax outputs against the 0/1 matrix ``Y``,
    or ``"squared_error"``, half the squared error summed over outputs) plus
    ``alpha / 2 * ||weights||^2`` divided by the sum of the weights (biases
    are not penalised). A `Workspace` passed to every step of a fit keeps
    the step's arrays from one step to the next.
    """
    n = Y.shape[0]
    out, cache = forward(params, arch, stack, n, keep=True, weights=weights,
                         workspace=workspace)
    value, delta, total = output_loss(params, arch, out, Y, loss, alpha,
                                      sample_weight)
    _backward(params, arch, cache, delta, grad, workspace)
    grad[:arch.n_weights] += (alpha / total) * params[:arch.n_weights]
    return value, grad


# ------------------------------------------------- the head, for both routes
def head_forward(params, arch, F):
    """The dense layers on the features ``F``: every layer's input, then
    the outputs (before the output activation)."""
    _, dense_w, _, dense_b = unpack(params, arch)
    acts = [F]
    for index, W in enumerate(dense_w):
        Z = acts[-1] @ W
        if dense_b is not None:
            Z += dense_b[index]
        if index < len(dense_w) - 1:
            _activate(Z, arch.activation)
        acts.append(Z)
    return acts


def head_backward(params, arch, acts, delta, grad):
    """Fill the dense layers' part of ``grad`` (without the penalty) from
    ``delta``, the gradient with respect to the outputs, and zero the
    convolutions' part for the trunk to add to; returns the gradient with
    respect to the features."""
    dense_w = unpack(params, arch)[1]
    g_conv_w, g_dense_w, g_conv_b, g_dense_b = unpack(grad, arch)
    for index in range(len(dense_w) - 1, -1, -1):
        np.matmul(acts[index].T, delta, out=g_dense_w[index])
        if g_dense_b is not None:
            np.sum(delta, axis=0, out=g_dense_b[index])
        delta = delta @ dense_w[index].T
        if index > 0:
            delta = _activation_backward(acts[index], delta, arch.activation)
    for W in g_conv_w:
        W[...] = 0
    for b in g_conv_b or ():
        b[...] = 0
    return delta


def output_loss(params, arch, out, Y, loss, alpha, sample_weight):
    """The objective of `loss_and_gradient` from the outputs ``out``:
    ``(value, delta, total)``, ``delta`` the gradient with respect to
    ``out`` (in the parameters' dtype), ``total`` the sum of the weights."""
    n = Y.shape[0]
    sw = np.ones(n, out.dtype) if sample_weight is None else sample_weight
    total = sw.sum()
    if loss == "log_loss":
        out = out - out.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(out).sum(axis=1, keepdims=True))
        log_p = out - log_norm
        per_row = -(Y * log_p).sum(axis=1)
        delta = np.exp(log_p) - Y
    else:
        diff = out - Y
        per_row = 0.5 * (diff * diff).sum(axis=1)
        delta = diff
    weights = params[:arch.n_weights]
    value = (sw @ per_row + 0.5 * alpha * (weights @ weights)) / total
    delta = (delta * (sw / total)[:, None]).astype(params.dtype, copy=False)
    return float(value), delta, total
