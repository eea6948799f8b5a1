"""Network math of the invariant convolutional networks as plain functions.

A network is a convolutional trunk run on every image of each row's orbit, a
pooling over the orbit, and a dense head. Its parameters live in one flat
vector: the convolution kernels, then the dense weight matrices, then (only
with biases) every bias vector, then (only with ``batch_norm``) the
normalisation's scales and running statistics, so that the L2 penalty is one
slice and optimisers update the vector in place. `unpack` and `norm_views`
return views into it.

The layers it chains (convolutions as matrix products, pooling,
activations, the compiled passes and the training step's `Workspace`) are
in ``_cnn_layers``.

Exact invariance does not rest on this module's arithmetic: the estimator
feeds it, for a row and for any image of that row under the group, the same
stack of images in the same order (`~sk_symmetry.symmetry._orbit_order`),
so every number computed here is the same bit for bit.
"""

from typing import NamedTuple

import numpy as np

from ._cnn_layers import (
    _activate,
    _activation_backward,
    _allocator,
    _batch_norm,
    _batch_norm_backward,
    _conv_activate,
    _conv_backward,
    _conv_input_gradient,
    _im2col_padded,
    _pool_forward,
    _reduce,
    _reduce_backward,
)

# Images the trunk processes at once (see `forward`). With 16 images of
# 28 x 28, a layer's receptive fields and outputs (under 1 MB) stay in L2
# cache from one product to the next: a training step of the default network
# took 28 ms against 32.5 ms with chunks of 64. The chunks' weight gradients
# are summed, so the chunk size sets the last bits of a gradient.
_CHUNK = 16

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
    *HEAD_FIELDS, ("batch_norm", bool),
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


def make_architecture(
    image_shape, conv_channels, kernel_size, dilation, padding, spatial_pooling,
    global_pooling, hidden_layer_sizes, n_outputs, group_pooling, activation,
    even_first_layer, fit_bias, n_images=1, batch_norm=False,
):
    """An `Architecture`, or a ValueError naming the parameter that cannot fit.

    ``n_images`` is the number of images run per row (the orbit's, or half
    of it); the ``"sort"`` pooling over them hands the head that many values
    per feature.

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
    if group_pooling == "sort":
        features *= int(n_images)
    fields = head_fields(
        conv, features, hidden_layer_sizes, n_outputs, dilation=dilation,
        padding=padding, spatial_pooling=spatial_pooling,
        global_pooling=global_pooling, group_pooling=group_pooling,
        activation=activation, even_first_layer=even_first_layer,
        fit_bias=fit_bias,
    )
    if batch_norm:  # a scale, a running mean and a running variance per channel
        fields["n_params"] += 3 * sum(c[3] for c in conv)
    return Architecture(tuple(image_shape), tuple(conv), tuple(pads),
                        tuple(pools), **fields, batch_norm=bool(batch_norm))


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


def norm_views(params, arch):
    """``(scales, means, variances)`` of the batch normalisation, a view per
    convolution into the tail of ``params``; None without ``batch_norm``.

    The scales are trained (not penalised); the running means and variances
    are not: the forward pass in training updates them in place and their
    gradient is zero, so optimisers leave them as they are. Kept in the
    vector, they go wherever the weights go (early stopping's best epoch,
    warm starts, pickles).
    """
    if not getattr(arch, "batch_norm", False):
        return None
    channels = [c[3] for c in arch.conv]
    start = arch.n_params - 3 * sum(channels)
    views = []
    for _ in range(3):
        part = []
        for c in channels:
            part.append(params[start:start + c])
            start += c
        views.append(part)
    return tuple(views)


def init_params(arch, dtype, rng):
    """He-uniform weights for relu, Glorot-uniform for tanh (the output layer
    always Glorot), zero biases; drawn layer by layer. Normalisation scales
    and running variances start at 1, running means at 0."""
    params = np.zeros(arch.n_params, dtype=dtype)
    norms = norm_views(params, arch)
    if norms is not None:
        for vector in norms[0] + norms[2]:
            vector[...] = 1
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


# ---------------------------------------------------------- forward, backward
def forward(params, arch, stack, n_rows, keep=False, weights=None, workspace=None,
            training=None, norm_weights=None):
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
    training : bool or None
        With ``arch.batch_norm``: normalise by the minibatch's statistics
        (and update the running ones in ``params``) rather than by the
        running ones. None means ``keep``.
    norm_weights : ndarray of shape (n_rows * m,) or None
        In training, how many times each image counts in the minibatch's
        statistics (its row's sample weight); None for once.

    Returns
    -------
    output : ndarray of shape (n_rows, n_outputs)
        Before the output activation (logits or regression values).
    cache : list or None
    """
    n_images = stack.shape[0]
    training = bool(keep if training is None else training) and arch.batch_norm
    # The trunk runs on chunks of images, so that its activations stay
    # small (in cache) whatever the minibatch and the orbit; in one piece
    # when the normalisation needs the whole minibatch's statistics.
    chunk = max(n_images, 1) if training else _CHUNK
    trunks = [_trunk(params, arch, stack[start:start + chunk], keep, workspace,
                     start, training,
                     None if norm_weights is None
                     else norm_weights[start:start + chunk])
              for start in range(0, n_images, chunk)]
    F = np.concatenate([t[0] for t in trunks]) if len(trunks) > 1 else trunks[0][0]
    m = n_images // n_rows
    if weights is None:
        F = F.reshape(n_rows, m, -1)
        # "sort" keeps each feature's m values (a function of the orbit as a
        # set), side by side for the head.
        P, group_mask = _reduce(F, 1, arch.group_pooling)
        P = P.reshape(n_rows, -1)
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


def _trunk(params, arch, images, keep, workspace=None, chunk=0, training=False,
           norm_weights=None):
    """The convolutions and the global pooling on ``images``: features of
    shape (n_images, n_features_out), and what `_trunk_backward` needs. The
    arrays kept for it live in ``workspace`` (if any) under the number
    ``chunk``; ``training`` normalises by the statistics of ``images``,
    each counted ``norm_weights`` times (None: once)."""
    conv_w, _, conv_b, _ = unpack(params, arch)
    norms = norm_views(params, arch)
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
        bias = None if conv_b is None else conv_b[index]
        normed = inverse = None
        if norms is not None:
            negative = None
            if even:  # |Z| before the normalisation, as in `_conv_activate`
                negative = np.less(Z, 0, out=empty("negative", Z.shape, bool))
                np.abs(Z, out=Z)
            Z, normed, inverse = _batch_norm(
                Z, norms[0][index], norms[1][index], norms[2][index],
                arch.fit_bias, training,
                normed=empty("normed", Z.shape, Z.dtype) if training else None,
                weights=norm_weights,
            )
            Z = _conv_activate(Z, bias, False, arch.activation)[0]
        else:
            Z, negative = _conv_activate(
                Z, bias, even, arch.activation,
                negative=empty("negative", Z.shape, bool) if even else None,
            )
        A = Z.reshape(-1, out_h, out_w, out_c)
        record = [A.shape[1:3], padded_shape, layer_input, negative, A,
                  (normed, inverse, norm_weights)]
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
    """Add the trunk's gradient from ``dF`` to ``grads`` (kernels, biases,
    normalisation scales or None); its temporary arrays live in
    ``workspace``, if any."""
    conv_w = unpack(params, arch)[0]
    norms = norm_views(params, arch)
    g_conv_w, g_conv_b, g_scales = grads
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
        normed, inverse, norm_weights = conv_cache[index][5]
        pooled = conv_cache[index][6] if arch.pool[index] is not None else None
        dZ = _conv_backward(
            dA, A, pooled, arch.pool[index], arch.spatial_pooling, arch.activation,
            negative if norms is None else None,
            None if g_conv_b is None else g_conv_b[index],
            out=empty("dZ", (rows, A.shape[3]), A.dtype),
        )
        if norms is not None:
            dZ = _batch_norm_backward(dZ, normed, inverse, norms[0][index],
                                      g_scales[index], arch.fit_bias,
                                      weights=norm_weights)
            if negative is not None:
                np.negative(dZ, out=dZ, where=negative.reshape(dZ.shape))
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
    g_norms = norm_views(grad, arch)
    start = 0
    for trunk_cache in trunk_caches:
        n = trunk_cache[1][0]
        _trunk_backward(params, arch, trunk_cache, dF[start:start + n],
                        (g_conv_w, g_conv_b, None if g_norms is None else g_norms[0]),
                        workspace)
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
    norm_weights = None
    if arch.batch_norm and sample_weight is not None:  # each image as its row
        norm_weights = np.repeat(sample_weight, stack.shape[0] // n)
    out, cache = forward(params, arch, stack, n, keep=True, weights=weights,
                         workspace=workspace, norm_weights=norm_weights)
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
    # the normalisation's scales (summed into by the trunk) and its running
    # statistics (whose gradient stays 0)
    for part in norm_views(grad, arch) or ():
        for vector in part:
            vector[...] = 0
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
