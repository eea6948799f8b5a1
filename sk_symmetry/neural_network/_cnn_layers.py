"""Layers of the invariant convolutional networks, as plain functions.

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

Here are those pieces (padding, receptive fields and their adjoint, pooling
over space, over the orbit or the group, activations, the batch
normalisation, the workspace); the
networks that chain them are in ``_cnn_math`` (orbit route) and
``_gcnn_math`` (group route).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._utils import compiled_kernel

__all__ = ["Workspace", "col2im_matmul", "im2col"]

# The compiled passes of _cnn_kernels.c (None when built without a compiler or
# with SK_SYMMETRY_NO_KERNELS set): the same bits as the numpy code below, in
# one pass each (see the header of _cnn_kernels.c).
_cnn_kernels = compiled_kernel("sk_symmetry.neural_network._cnn_kernels")


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
    """Mean or max over ``axis``; for max also the mask of the maxima. For
    "sort", the values along ``axis`` in increasing order (``A``'s shape,
    exact: no sums) and the order they were taken in."""
    if kind == "sort":
        order = np.argsort(A, axis=axis, kind="stable")
        return np.take_along_axis(A, order, axis=axis), order
    if kind == "max":
        out = A.max(axis=axis)
        return out, A == np.expand_dims(out, axis)
    return A.mean(axis=axis), None


def _reduce_backward(dout, mask, axis, kind, shape):
    if kind == "sort":  # each sorted slot's gradient back to where it came from
        grad = np.empty(shape, dout.dtype)
        np.put_along_axis(grad, mask, dout.reshape(shape), axis=axis)
        return grad
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


# The batch normalisation's constants: the variance's floor and the weight of
# a minibatch's statistics in the running ones (PyTorch's defaults).
NORM_EPSILON = 1e-5
NORM_MOMENTUM = 0.1


def _batch_norm(Z, scale, mean, variance, centred, training, normed=None,
                copies=1, weights=None):
    """Normalise each channel of a convolution's output ``Z`` in place and
    scale it by ``scale``; returns ``(Z, normed, inverse)``.

    ``Z`` is ``(rows, channels * copies)``, each channel's ``copies``
    columns side by side (the group trunk's copies of a channel, one per
    element, share its statistics and scale, so the layer stays
    equivariant; 1 for the orbit trunk).

    In training, by the minibatch's statistics: the channel's mean (if
    ``centred``) and variance over every image, pixel and copy of ``Z``,
    each image counted ``weights`` times (its row's sample weight; None for
    once; an image's pixels are consecutive rows of ``Z``), which then move
    the running ``mean`` and ``variance`` (in place); ``normed`` (into the
    array passed, if any) and ``inverse`` (one over the standard deviation,
    per column) are what `_batch_norm_backward` needs. Else by the running
    statistics, as one fixed multiplication and subtraction per channel
    (``normed`` and ``inverse`` None), so each image's values depend on that
    image alone and on nothing else in the stack.

    Not centred (the networks without biases) the variance is the mean
    square: the normalisation adds no shift.
    """
    dtype = Z.dtype
    if not training:
        factor = scale / np.sqrt(variance + NORM_EPSILON)
        Z *= np.repeat(factor, copies).astype(dtype, copy=False)
        if centred:
            Z -= np.repeat(mean * factor, copies).astype(dtype, copy=False)
        return Z, None, None
    w = _row_weights(weights, Z.shape[0], dtype)
    total = float(w.sum()) * copies
    if centred:
        # Column sums as products: numpy's reduction over the rows of a
        # narrow array took ten times as long.
        mu = _channel_sums(w @ Z, copies) / total
        Z -= np.repeat(mu, copies).astype(dtype, copy=False)
    squares = (np.einsum("ij,ij->j", Z, Z) if weights is None
               else np.einsum("i,ij,ij->j", w, Z, Z))
    var = _channel_sums(squares, copies) / total
    inverse = np.repeat(1.0 / np.sqrt(var + NORM_EPSILON), copies).astype(
        dtype, copy=False)
    normed = np.multiply(Z, inverse, out=normed)
    np.multiply(normed, np.repeat(scale, copies), out=Z)
    keep = 1.0 - NORM_MOMENTUM
    if centred:
        mean *= keep
        mean += NORM_MOMENTUM * mu
    variance *= keep
    # No n / (n - 1): with it, a weight of 2 and a repeated row would give
    # different running variances, and scaling the weights would change it.
    variance += NORM_MOMENTUM * var
    return Z, normed, inverse


def _row_weights(weights, rows, dtype):
    """Each of ``rows`` rows' weight: its image's (the images' pixels taken
    in turn), or 1 for ``weights=None``."""
    if weights is None:
        return np.ones(rows, dtype)
    return np.repeat(weights.astype(dtype), rows // len(weights))


def _channel_sums(column_sums, copies):
    """Per-channel sums from per-column ones (a channel's copies adjacent)."""
    return column_sums.reshape(-1, copies).sum(axis=1)


def _batch_norm_backward(dY, normed, inverse, scale, scale_grad, centred,
                         copies=1, weights=None):
    """The gradient with respect to `_batch_norm`'s input (in training) from
    ``dY``, that with respect to its output, in place; adds the scales'
    gradient to ``scale_grad``. ``weights`` as the forward pass had them:
    a row counted twice in the statistics moves them twice as much."""
    w = None if weights is None else _row_weights(weights, dY.shape[0], dY.dtype)
    total = (dY.shape[0] if w is None else float(w.sum())) * copies
    scale_grad += _channel_sums(np.einsum("ij,ij->j", dY, normed), copies)
    dY *= np.repeat(scale, copies)
    projection = np.repeat(
        _channel_sums(np.einsum("ij,ij->j", dY, normed), copies) / total, copies)
    shift = None
    if centred:
        shift = np.repeat(
            _channel_sums(np.ones(dY.shape[0], dY.dtype) @ dY, copies) / total,
            copies).astype(dY.dtype, copy=False)
    if w is None:
        if shift is not None:
            dY -= shift
        dY -= normed * projection.astype(dY.dtype, copy=False)
    else:
        w = w[:, None]
        if shift is not None:
            dY -= w * shift
        dY -= normed * (w * projection).astype(dY.dtype, copy=False)
    dY *= inverse
    return dY
