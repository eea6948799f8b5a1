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
kernel matrix on BLAS. Its backward pass is two products and ``kernel_h *
kernel_w`` shifted additions (`col2im`).

Exact invariance does not rest on this module's arithmetic: the estimator
feeds it, for a row and for any image of that row under the group, the same
stack of images in the same order (`~sk_symmetry.symmetry._orbit_order`),
so every number computed here is the same bit for bit.
"""

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# Images the trunk processes at once (see `forward`).
_CHUNK = 64

__all__ = [
    "Architecture",
    "forward",
    "init_params",
    "loss_and_gradient",
    "make_architecture",
    "orbit_stack",
    "orbit_weights",
    "unpack",
]


class Architecture(NamedTuple):
    """What the parameter vector means; everything but the weights.

    ``conv`` holds per convolution ``(kernel_h, kernel_w, in_channels,
    out_channels)``, ``pads`` its ``(top, bottom, left, right)`` padding,
    ``pool`` whether a 2 x 2 (or 1 x 2, 2 x 1) pooling follows it, as
    ``(pool_h, pool_w)`` or None; ``dense`` the ``(fan_in, fan_out)`` of each
    dense layer, the last one giving the outputs.
    """

    image_shape: tuple
    conv: tuple
    pads: tuple
    pool: tuple
    dense: tuple
    dilation: int
    padding: str
    spatial_pooling: str
    global_pooling: str
    group_pooling: str
    activation: str
    even_first_layer: bool
    fit_bias: bool
    n_weights: int
    n_params: int


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
    units = [features, *(int(u) for u in hidden_layer_sizes), int(n_outputs)]
    dense = tuple(zip(units[:-1], units[1:], strict=True))
    n_weights = sum(kh * kw * c * o for kh, kw, c, o in conv) + sum(
        a * b for a, b in dense
    )
    n_biases = sum(c[3] for c in conv) + sum(b for _, b in dense)
    return Architecture(
        tuple(image_shape), tuple(conv), tuple(pads), tuple(pools), dense,
        int(dilation), padding, spatial_pooling, global_pooling, group_pooling,
        activation, bool(even_first_layer), bool(fit_bias), n_weights,
        n_weights + (n_biases if fit_bias else 0),
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
    out = np.take_along_axis(X[:, None, :], perms[order], axis=2)
    out *= signs[order]
    out += 0.0
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


def im2col(Ap, kh, kw, dilation, out_h, out_w):
    """Rows of receptive fields: ``(n * out_h * out_w, kh * kw * channels)``,
    columns in ``(kernel row, kernel column, channel)`` order."""
    n, channels = Ap.shape[0], Ap.shape[3]
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    windows = sliding_window_view(Ap, (span_h, span_w), axis=(1, 2))
    windows = windows[..., ::dilation, ::dilation].transpose(0, 1, 2, 4, 5, 3)
    return windows.reshape(n * out_h * out_w, kh * kw * channels)


def col2im_matmul(dZ, kernel, padded_shape, dilation, out_h, out_w):
    """The gradient with respect to the padded input of a convolution: the
    adjoint of `im2col` after the product with ``kernel``, one tap at a time
    (each tap's product lands contiguous, then adds into a shifted slice;
    three to four times faster than scattering a strided column matrix)."""
    n, _, _, channels = padded_shape
    kh, kw = kernel.shape[:2]
    dAp = np.zeros(padded_shape, dZ.dtype)
    for i in range(kh):
        for j in range(kw):
            r, c = i * dilation, j * dilation
            tap = (dZ @ kernel[i, j].T).reshape(n, out_h, out_w, channels)
            dAp[:, r:r + out_h, c:c + out_w] += tap
    return dAp


def _pool_forward(A, pool, kind):
    """2 x 2 (or 1 x 2, 2 x 1) pooling, dropping an odd last row or column."""
    ph, pw = pool
    n, h, w, c = A.shape
    oh, ow = h // ph, w // pw
    parts = [A[:, i:oh * ph:ph, j:ow * pw:pw] for i in range(ph) for j in range(pw)]
    out = parts[0].copy()
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


def _activation_backward(A, dA, activation):
    if activation == "relu":
        return dA * (A > 0)
    return dA * (1 - A * A)


# ---------------------------------------------------------- forward, backward
def forward(params, arch, stack, n_rows, keep=False, weights=None):
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

    Returns
    -------
    output : ndarray of shape (n_rows, n_outputs)
        Before the output activation (logits or regression values).
    cache : list or None
    """
    _, dense_w, _, dense_b = unpack(params, arch)
    n_images = stack.shape[0]
    # The trunk runs on chunks of images, so that its activations stay
    # small (in cache) whatever the minibatch and the orbit.
    trunks = [_trunk(params, arch, stack[start:start + _CHUNK], keep)
              for start in range(0, n_images, _CHUNK)]
    F = np.concatenate([t[0] for t in trunks]) if len(trunks) > 1 else trunks[0][0]
    m = n_images // n_rows
    if weights is None:
        F = F.reshape(n_rows, m, -1)
        P, group_mask = _reduce(F, 1, arch.group_pooling)
    else:
        P, group_mask = F, None
    acts = [P]
    for index, W in enumerate(dense_w):
        Z = acts[-1] @ W
        if dense_b is not None:
            Z += dense_b[index]
        if index < len(dense_w) - 1:
            _activate(Z, arch.activation)
        acts.append(Z)
    out = acts[-1]
    if weights is not None:
        out = out.reshape(n_rows, m, -1) * weights.reshape(n_rows, m, 1)
        out = out.sum(axis=1) / m
    if not keep:
        return out, None
    return out, (weights, [t[1] for t in trunks], F.shape, group_mask, acts)


def _trunk(params, arch, images, keep):
    """The convolutions and the global pooling on ``images``: features of
    shape (n_images, n_features_out), and what `_trunk_backward` needs."""
    conv_w, _, conv_b, _ = unpack(params, arch)
    h, w = arch.image_shape
    A = images.reshape(-1, h, w, 1)
    cache = []
    for index, (kh, kw, _, out_c) in enumerate(arch.conv):
        pad = arch.pads[index]
        Ap = _pad(A, pad, arch.padding)
        out_h = Ap.shape[1] - arch.dilation * (kh - 1)
        out_w = Ap.shape[2] - arch.dilation * (kw - 1)
        cols = im2col(Ap, kh, kw, arch.dilation, out_h, out_w)
        Z = cols @ conv_w[index]
        negative = None
        if index == 0 and arch.even_first_layer:
            # |w * x| is even in x: the image and its negation give the same
            # features, so a pair {v, -v} needs one image.
            negative = Z < 0
            np.abs(Z, out=Z)
        if conv_b is not None:
            Z += conv_b[index]
        A = _activate(Z, arch.activation).reshape(-1, out_h, out_w, out_c)
        record = [A.shape[1:3], Ap.shape, cols if keep else None, negative, A]
        if arch.pool[index] is not None:
            A = _pool_forward(A, arch.pool[index], arch.spatial_pooling)
            record.append(A)
        cache.append(record)
    if arch.global_pooling == "flatten":
        F, mask = A.reshape(A.shape[0], -1), None
    else:
        F, mask = _reduce(A, (1, 2), arch.global_pooling)
    return F, (cache, A.shape, mask)


def _trunk_backward(params, arch, trunk_cache, dF, grads):
    """Add the trunk's gradient from ``dF`` to ``grads`` (kernels, biases)."""
    conv_w = unpack(params, arch)[0]
    g_conv_w, g_conv_b = grads
    conv_cache, spatial_shape, spatial_mask = trunk_cache
    if arch.global_pooling == "flatten":
        dA = dF.reshape(spatial_shape)
    else:
        dA = _reduce_backward(dF, spatial_mask, (1, 2), arch.global_pooling,
                              spatial_shape)
    for index in range(len(arch.conv) - 1, -1, -1):
        out_c = arch.conv[index][3]
        out_hw, padded_shape, cols, negative, A = conv_cache[index][:5]
        if arch.pool[index] is not None:
            dA = _pool_backward(dA, A, conv_cache[index][5], arch.pool[index],
                                arch.spatial_pooling)
        dZ = _activation_backward(A, dA, arch.activation).reshape(-1, out_c)
        if g_conv_b is not None:
            g_conv_b[index] += dZ.sum(axis=0)
        if negative is not None:
            np.negative(dZ, out=dZ, where=negative.reshape(dZ.shape))
        g_conv_w[index] += cols.T @ dZ
        if index == 0:
            break
        kernel = conv_w[index].reshape(arch.conv[index])
        dAp = col2im_matmul(dZ, kernel, padded_shape, arch.dilation, *out_hw)
        pad = arch.pads[index]
        in_hw = (padded_shape[1] - pad[0] - pad[1], padded_shape[2] - pad[2] - pad[3])
        dA = _unpad(dAp, pad, arch.padding, in_hw)


def _backward(params, arch, cache, delta, grad):
    """Fill ``grad`` (without the penalty) from ``delta``, the loss's
    gradient with respect to the outputs."""
    dense_w = unpack(params, arch)[1]
    g_conv_w, g_dense_w, g_conv_b, g_dense_b = unpack(grad, arch)
    weights, trunk_caches, group_shape, group_mask, acts = cache
    if weights is not None:
        n_rows = delta.shape[0]
        m = weights.size // n_rows
        delta = weights.reshape(n_rows, m, 1) * (delta[:, None, :] / m)
        delta = delta.reshape(n_rows * m, -1)
    for index in range(len(dense_w) - 1, -1, -1):
        np.matmul(acts[index].T, delta, out=g_dense_w[index])
        if g_dense_b is not None:
            np.sum(delta, axis=0, out=g_dense_b[index])
        delta = delta @ dense_w[index].T
        if index > 0:
            delta = _activation_backward(acts[index], delta, arch.activation)
    if weights is None:
        delta = _reduce_backward(delta, group_mask, 1, arch.group_pooling,
                                 group_shape)
    dF = delta.reshape(-1, delta.shape[-1])
    for W in g_conv_w:
        W[...] = 0
    for b in g_conv_b or ():
        b[...] = 0
    start = 0
    for trunk_cache in trunk_caches:
        n = trunk_cache[1][0]
        _trunk_backward(params, arch, trunk_cache, dF[start:start + n],
                        (g_conv_w, g_conv_b))
        start += n
    return grad


def loss_and_gradient(
    params, arch, stack, Y, loss, alpha, sample_weight, grad, weights=None
):
    """Objective and its gradient (into ``grad``) on one minibatch.

    The objective is that of scikit-learn's MLPs: the sample-weighted mean of
    the loss (``"log_loss"`` on softmax outputs against the 0/1 matrix ``Y``,
    or ``"squared_error"``, half the squared error summed over outputs) plus
    ``alpha / 2 * ||weights||^2`` divided by the sum of the weights (biases
    are not penalised).
    """
    n = Y.shape[0]
    out, cache = forward(params, arch, stack, n, keep=True, weights=weights)
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
    _backward(params, arch, cache, delta, grad)
    grad[:arch.n_weights] += (alpha / total) * weights
    return float(value), grad
