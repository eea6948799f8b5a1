"""Group-equivariant convolutions for the square's symmetries, as plain functions.

The second route of the invariant networks (issue 29): instead of running a
plain trunk on every image of a row's orbit, the trunk itself is equivariant
under a group ``G`` of spatial maps of the square grid (a subgroup of its 8
quarter turns and mirrors, ``D4``), possibly times sign inversion. Each layer
holds ``|G|`` copies of every channel, one per element; the first layer
(lifting) correlates the image with each base kernel moved by every element,
later layers (group convolutions) correlate all copies with kernels moved in
space and shifted along the group axis. Feature maps then move with the
input: for ``x' = h x``, ``F'(c, g, p) = F(c, h^-1 g, h^-1 p)``.

The moved kernels are gathered from the base kernels by index arrays built
once (`layer_indices`), which makes them an ordinary convolution's kernel for
`im2col` and BLAS; the base kernels' gradient is the moved kernels' gradient
summed back through the same indices.

Readout (``global_pooling``): ``"flatten"`` reads each copy in its own frame,
``u(c, p) = pool_g F(c, g, g p)``, which keeps the layout and is invariant;
``"max"``/``"mean"`` pool over space and then over ``G``.

Exact invariance (`forward` with ``exact=True``, used for predictions): a
rotated image makes BLAS add the same products in another order, so the
float result would be invariant only up to rounding. Each convolution's
input and kernel are rounded to integers on power-of-two grids (the input's
grid from its largest absolute value over the whole sample, which the group
only permutes; the kernel's from its own largest value) and multiplied in
float64, where every partial sum is an integer below ``2**53``: the sum is
exact in any order. Everything else is pointwise, a maximum, or a mean taken
the same way, so the trunk is exactly equivariant and its readout exactly
invariant. Training runs in the estimator's dtype without this.
"""

import functools
from typing import NamedTuple

import numpy as np

from ._cnn_layers import (
    _activate,
    _activation_backward,
    _batch_norm,
    _batch_norm_backward,
    _pad,
    _pool_backward,
    _pool_forward,
    _reduce,
    _reduce_backward,
    _unpad,
    col2im_matmul,
    im2col,
)
from ._cnn_math import (
    HEAD_FIELDS,
    head_backward,
    head_fields,
    head_forward,
    norm_views,
    output_loss,
    unpack,
)

__all__ = [
    "GroupArchitecture",
    "d4_structure",
    "forward",
    "loss_and_gradient",
    "make_group_architecture",
]

_CHUNK = 64  # images per trunk call: activations stay in cache
_EXACT = True  # the fixed-point products of the exact forward; tests switch it off

# The 8 symmetries of the square as integer matrices acting on centred
# (row, column) offsets: the 4 quarter turns, then each followed by a mirror.
_TURN = np.array([[0, -1], [1, 0]])
_FLIP = np.array([[1, 0], [0, -1]])
_D4 = tuple(
    np.linalg.matrix_power(_TURN, k) @ f for f in (np.eye(2, dtype=int), _FLIP)
    for k in range(4)
)


GroupArchitecture = NamedTuple("GroupArchitecture", [
    ("image_shape", tuple), ("elements", tuple), ("conv", tuple), ("pads", tuple),
    ("pool", tuple), ("final_side", int), *HEAD_FIELDS, ("batch_norm", bool),
])
GroupArchitecture.__doc__ = """What the group route's parameter vector means.

    ``elements`` holds per group element ``(index into the D4 matrices,
    sign)``; ``conv`` per convolution the base kernel's ``(kernel_h,
    kernel_w, in_channels * in_copies, out_channels)``, where ``in_copies``
    is 1 for the lifting layer and ``|G|`` after it; ``pool`` whether a 2 x 2
    pooling follows (only on even sizes, where it commutes with the group);
    the other fields as in `~._cnn_math.Architecture` (the normalisation
    of ``batch_norm`` has one set of statistics and one scale per base
    channel, shared by its copies).
    """


# ------------------------------------------------------------ the group
def _grid_map(matrix, side):
    """``perm`` with ``(g x)[p] = x[perm[p]]`` for ``g`` acting on a
    ``side x side`` grid by ``matrix`` about its centre: ``perm[p]`` is the
    pixel ``matrix^-1 p``."""
    doubled = 2 * np.arange(side) - (side - 1)  # centred, times 2: integers
    r, c = np.meshgrid(doubled, doubled, indexing="ij")
    inverse = np.round(np.linalg.inv(matrix)).astype(int)
    rr = inverse[0, 0] * r + inverse[0, 1] * c
    cc = inverse[1, 0] * r + inverse[1, 1] * c
    return ((rr + side - 1) // 2 * side + (cc + side - 1) // 2).ravel()


def d4_structure(perms, signs, image_shape):
    """The group as ``(D4 index, sign)`` pairs, or a sentence saying why not.

    The group qualifies when every element maps the square image by one of
    the 8 symmetries of the square and multiplies all pixels by one sign,
    and it is ``H`` or ``H x {1, -1}`` for the group ``H`` of its spatial maps.

    Returns
    -------
    elements : tuple of (int, int) or None
    reason : str or None
        Why the group does not qualify (None when it does).
    """
    h, w = image_shape
    if h != w or h < 2:
        return None, f"the image {h} x {w} is not a square"
    maps = {_grid_map(M, h).tobytes(): i for i, M in enumerate(_D4)}
    elements = []
    for perm, sign in zip(perms, signs, strict=True):
        index = maps.get(np.asarray(perm, dtype=int).tobytes())
        if index is None:
            return None, "an element is not a symmetry of the square grid"
        if not (np.all(sign == 1) or np.all(sign == -1)):
            return None, "an element changes the sign of some pixels only"
        elements.append((index, 1 if sign[0] == 1 else -1))
    spatial = {i for i, _ in elements}
    n_signs = len({s for _, s in elements})
    if len(set(elements)) != len(elements) or len(elements) != len(spatial) * n_signs:
        return None, "the group is not its spatial maps times a group of signs"
    return tuple(sorted(set(elements), key=lambda e: (-e[1], e[0]))), None


def _compose(a, b):
    """The element ``a b`` of D4 x signs (indices of `_D4`, signs)."""
    M = _D4[a[0]] @ _D4[b[0]]
    index = next(i for i, D in enumerate(_D4) if np.array_equal(D, M))
    return index, a[1] * b[1]


def _inverse(a):
    M = np.round(np.linalg.inv(_D4[a[0]])).astype(int)
    return next(i for i, D in enumerate(_D4) if np.array_equal(D, M)), a[1]


@functools.lru_cache(maxsize=64)
def layer_indices(elements, conv_spec, lifting):
    """Where each entry of a layer's expanded kernel comes from.

    The expanded kernel ``E`` has shape ``(kh * kw * C1 * n_in, C2 * |G|)``,
    rows in ``im2col``'s (row, column, channel) order with channel ``(c1,
    k)``, columns ``(c2, g)``. For output copy ``g``: ``E[(u, c1, k), (c2,
    g)] = s_g W[g^-1 u, c1, c2]`` when lifting (``n_in = 1``) and ``W[g^-1
    u, c1, g^-1 k, c2]`` after (where ``g^-1 k`` composes in ``G``).

    Returns
    -------
    index : ndarray of intp, shape of E
        Flat indices into the base kernel ``(kh, kw, C1 * n_in, C2)``.
    sign : ndarray of float64, shape of E, or None
        The lifting layer's sign of each output copy (None without signs).
    """
    kh, kw, c_in, c_out = conv_spec
    n = len(elements)
    n_in = 1 if lifting else n
    c1 = c_in // n_in
    position = {e: i for i, e in enumerate(elements)}
    base = np.arange(kh * kw * c_in * c_out).reshape(kh, kw, c1, n_in, c_out)
    index = np.empty((kh, kw, c1, n_in, c_out, n), dtype=np.intp)
    for gi, g in enumerate(elements):
        g_inv = _inverse(g)
        # base[g^-1 u] for every offset u: the kernel moved by g.
        perm = _grid_map(_D4[g[0]], kh).reshape(kh, kw)
        moved = base.reshape(kh * kw, c1, n_in, c_out)[perm]
        if not lifting:
            k_source = [position[_compose(g_inv, k)] for k in elements]
            moved = moved[:, :, :, k_source]
        index[..., gi] = moved
    index = index.reshape(kh * kw * c_in, c_out * n)
    sign = None
    if lifting and any(s < 0 for _, s in elements):
        sign = np.tile(np.array([s for _, s in elements], float), c_out)
        sign = np.broadcast_to(sign, index.shape).copy()
    return index, sign


@functools.lru_cache(maxsize=64)
def readout_indices(elements, side):
    """``(|G|, side * side)``: row ``g`` holds the pixel ``g p`` for each ``p``."""
    return np.stack([
        np.argsort(_grid_map(_D4[i], side)) for i, _ in elements
    ])


# ---------------------------------------------------------- architecture
def make_group_architecture(
    image_shape, elements, conv_channels, kernel_size, dilation, padding,
    spatial_pooling, global_pooling, hidden_layer_sizes, n_outputs,
    group_pooling, activation, even_first_layer, fit_bias, batch_norm=False,
):
    """A `GroupArchitecture`, or a ValueError naming what cannot fit.

    With ``even_first_layer`` the network is even in ``x`` (``|w * x|``), so
    the sign part of the group is dropped from ``elements``.
    """
    if even_first_layer:
        elements = tuple(e for e in elements if e[1] == 1)
    n = len(elements)
    side = image_shape[0]
    conv, pads, pools = [], [], []
    channels = 1
    span = dilation * (kernel_size - 1)
    for index, out_channels in enumerate(conv_channels):
        if padding == "valid":
            pad = (0, 0, 0, 0)
            if span >= side:
                raise ValueError(
                    f"kernel_size={kernel_size} with dilation={dilation} spans "
                    f"more than the {side} x {side} feature map of convolution "
                    f"{index + 1} with padding='valid'."
                )
        else:
            pad = (span // 2,) * 4
        side = side + 2 * pad[0] - span
        conv.append((kernel_size, kernel_size, channels * (1 if index == 0 else n),
                     int(out_channels)))
        pads.append(pad)
        pool = None
        if spatial_pooling != "none" and index < len(conv_channels) - 1 \
                and side % 2 == 0:
            pool = (2, 2)
            side //= 2
        pools.append(pool)
        channels = int(out_channels)
    features = channels * side * side if global_pooling == "flatten" else channels
    settings = dict(
        dilation=dilation, padding=padding, spatial_pooling=spatial_pooling,
        global_pooling=global_pooling, group_pooling=group_pooling,
        activation=activation, even_first_layer=even_first_layer, fit_bias=fit_bias,
    )
    fields = head_fields(conv, features, hidden_layer_sizes, n_outputs, **settings)
    if batch_norm:  # as in the orbit route: per base channel, 3 numbers
        fields["n_params"] += 3 * sum(c[3] for c in conv)
    return GroupArchitecture(
        tuple(image_shape), tuple(elements), tuple(conv), tuple(pads), tuple(pools),
        side, **fields, batch_norm=bool(batch_norm),
    )


def _expand(W, arch, index):
    idx, sign = layer_indices(arch.elements, arch.conv[index], index == 0)
    E = W.ravel()[idx]
    if sign is not None:
        E *= sign.astype(E.dtype)
    return E


def _fold(gE, arch, index, out):
    """Add the base kernel's gradient from the expanded kernel's ``gE``."""
    idx, sign = layer_indices(arch.elements, arch.conv[index], index == 0)
    weights = gE if sign is None else gE * sign
    out += np.bincount(idx.ravel(), weights=weights.ravel(),
                       minlength=out.size).reshape(out.shape)


# ------------------------------------------------------ exact arithmetic
def _grid(A, bits, axes):
    """``A`` rounded to integers on the grid ``2**(e - bits)``, with ``e``
    the exponent bounding ``max |A|`` over ``axes``: ``(integers, e)``."""
    top = np.abs(A).max(axis=axes, keepdims=True)
    e = np.frexp(top)[1]
    Q = np.rint(np.ldexp(A, bits - e))
    Q += 0.0  # one zero: -0.0 and +0.0 must not differ
    return Q, e


def _exact_mean(A, axes):
    """Mean over ``axes`` of integers on one grid per image: exact sums."""
    Q, e = _grid(A, 40, tuple(range(1, A.ndim)))
    count = np.prod([A.shape[a] for a in np.atleast_1d(axes)])
    S = Q.sum(axis=axes)
    e = e.reshape(e.shape[:1] + (1,) * (S.ndim - 1))
    return np.ldexp(S, e - 40) / count


# --------------------------------------------------------------- forward
def _conv(A, arch, index, W, exact):
    """One convolution of ``A`` (n, h, w, channels): ``(Z, cols, Ap.shape)``."""
    kh, kw = arch.conv[index][:2]
    Ap = _pad(A, arch.pads[index], arch.padding)
    out_h = Ap.shape[1] - arch.dilation * (kh - 1)
    out_w = Ap.shape[2] - arch.dilation * (kw - 1)
    E = _expand(W, arch, index)
    if not exact:
        cols = im2col(Ap, kh, kw, arch.dilation, out_h, out_w)
        return cols @ E, cols, Ap.shape, (out_h, out_w)
    n = A.shape[0]
    K = kh * kw * Ap.shape[3]
    total = 52 - int(np.ceil(np.log2(max(K, 2))))
    bits_a = total // 2
    bits_w = total - bits_a
    A_q, e_a = _grid(Ap, bits_a, (1, 2, 3))
    E_q, e_w = _grid(E.astype(np.float64), bits_w, None)
    cols = im2col(A_q, kh, kw, arch.dilation, out_h, out_w)
    Z = (cols @ E_q).reshape(n, out_h * out_w, -1)
    Z = np.ldexp(Z, e_a.reshape(n, 1, 1) + e_w - bits_a - bits_w)
    return Z.reshape(n * out_h * out_w, -1), None, Ap.shape, (out_h, out_w)


def _trunk(params, arch, images, keep, exact, training=False, norm_weights=None):
    """Equivariant convolutions and the invariant readout of ``images``;
    ``training`` normalises by the statistics of ``images``, each counted
    ``norm_weights`` times (None: once)."""
    conv_w, _, conv_b, _ = unpack(params, arch)
    norms = norm_views(params, arch)
    n_el = len(arch.elements)
    h, w = arch.image_shape
    A = images.reshape(-1, h, w, 1)
    if exact:
        A = A.astype(np.float64)
    cache = []
    for index in range(len(arch.conv)):
        Z, cols, padded_shape, (out_h, out_w) = _conv(A, arch, index,
                                                      conv_w[index], exact)
        negative = None
        if index == 0 and arch.even_first_layer:
            negative = Z < 0
            np.abs(Z, out=Z)
        normalised = (None, None, None)
        if norms is not None:
            Z, *normalised = _batch_norm(
                Z, norms[0][index], norms[1][index], norms[2][index],
                arch.fit_bias, training, copies=n_el, weights=norm_weights)
            normalised.append(norm_weights)
        if conv_b is not None:
            Z += np.repeat(conv_b[index], n_el).astype(Z.dtype)
        if exact:
            Z += 0.0
        out_c = arch.conv[index][3] * n_el
        A = _activate(Z, arch.activation).reshape(-1, out_h, out_w, out_c)
        record = [(out_h, out_w), padded_shape, cols, negative, A, normalised]
        pool = arch.pool[index]
        if pool is not None:
            if exact and arch.spatial_pooling == "mean":
                n, hh, ww, c = A.shape
                blocks = A.reshape(n, hh // 2, 2, ww // 2, 2, c)
                A = _exact_mean_blocks(blocks)
            else:
                A = _pool_forward(A, pool, arch.spatial_pooling)
            record.append(A)
        cache.append(record)
    F, readout_cache = _readout(A, arch, exact)
    return F, (cache, readout_cache)


def _exact_mean_blocks(blocks):
    """2 x 2 mean pooling of ``(n, h/2, 2, w/2, 2, c)`` blocks, exactly."""
    n = blocks.shape[0]
    Q, e = _grid(blocks, 40, (1, 2, 3, 4, 5))
    S = Q.sum(axis=(2, 4))
    return np.ldexp(S, e.reshape(n, 1, 1, 1) - 42)


def _readout(A, arch, exact):
    """Invariant features of the last maps ``A`` (n, s, s, C * |G|)."""
    n, s, _, channels = A.shape
    n_el = len(arch.elements)
    C = channels // n_el
    G = A.reshape(n, s * s, C, n_el)
    reduce = _exact_mean if exact else None
    if arch.global_pooling == "flatten":
        rows = readout_indices(arch.elements, s).T[:, None, :]
        moved = G[:, rows, np.arange(C)[:, None], np.arange(n_el)]
        if arch.group_pooling == "mean" and reduce is not None:
            U, mask = reduce(moved, 3), None
        else:
            U, mask = _reduce(moved, 3, arch.group_pooling)
        return U.reshape(n, -1), ("flatten", rows, mask, moved.shape)
    if reduce is not None and arch.global_pooling == "mean":
        P, space_mask = reduce(G, 1), None
    else:
        P, space_mask = _reduce(G, 1, arch.global_pooling)
    if reduce is not None and arch.group_pooling == "mean":
        U, group_mask = reduce(P, 2), None
    else:
        U, group_mask = _reduce(P, 2, arch.group_pooling)
    return U, ("global", space_mask, group_mask, G.shape, P.shape)


def _readout_backward(dU, arch, readout_cache, final_shape):
    n_el = len(arch.elements)
    if readout_cache[0] == "flatten":
        _, rows, mask, moved_shape = readout_cache
        dU = dU.reshape(moved_shape[:3])
        dmoved = _reduce_backward(dU, mask, 3, arch.group_pooling, moved_shape)
        n, ss, C, _ = moved_shape
        dG = np.zeros(moved_shape, dU.dtype)
        dG[:, rows, np.arange(C)[:, None], np.arange(n_el)] = dmoved
    else:
        _, space_mask, group_mask, G_shape, P_shape = readout_cache
        dP = _reduce_backward(dU, group_mask, 2, arch.group_pooling, P_shape)
        dG = _reduce_backward(dP, space_mask, 1, arch.global_pooling, G_shape)
    return dG.reshape(final_shape)


def forward(params, arch, X, keep=False, exact=False, training=None,
            norm_weights=None):
    """Network outputs (before the output activation) for rows ``X``.

    ``exact=True`` computes the trunk in fixed point (see the module's
    docstring): the outputs of ``X`` and of ``g X`` are then bitwise equal.
    With ``arch.batch_norm``, ``training`` (None: ``keep``) normalises by
    the statistics of the rows ``X``, all in one piece, and updates the
    running ones in ``params``, each row counted ``norm_weights`` times
    (None: once); else by the running ones, per channel pointwise, which
    keeps the fixed point's exactness.
    """
    exact = exact and _EXACT
    training = bool(keep if training is None else training) and arch.batch_norm
    chunk = max(X.shape[0], 1) if training else _CHUNK
    trunks = [_trunk(params, arch, X[start:start + chunk], keep, exact, training,
                     None if norm_weights is None
                     else norm_weights[start:start + chunk])
              for start in range(0, X.shape[0], chunk)]
    F = np.concatenate([t[0] for t in trunks]) if len(trunks) > 1 else trunks[0][0]
    acts = head_forward(params, arch, F.astype(params.dtype, copy=False))
    if not keep:
        return acts[-1], None
    return acts[-1], ([t[1] for t in trunks], acts)


# -------------------------------------------------------------- backward
def _trunk_backward(params, arch, trunk_cache, dF, grads):
    conv_w = unpack(params, arch)[0]
    norms = norm_views(params, arch)
    g_conv_w, g_conv_b, g_scales = grads
    n_el = len(arch.elements)
    conv_cache, readout_cache = trunk_cache
    last = conv_cache[-1][4 if arch.pool[-1] is None else 6]  # its output
    dA = _readout_backward(dF, arch, readout_cache, last.shape)
    for index in range(len(arch.conv) - 1, -1, -1):
        out_c = arch.conv[index][3] * n_el
        out_hw, padded_shape, cols, negative, A = conv_cache[index][:5]
        if arch.pool[index] is not None:
            dA = _pool_backward(dA, A, conv_cache[index][6], arch.pool[index],
                                arch.spatial_pooling)
        dZ = _activation_backward(A, dA, arch.activation).reshape(-1, out_c)
        if g_conv_b is not None:
            g_conv_b[index] += dZ.sum(axis=0).reshape(-1, n_el).sum(axis=1)
        if norms is not None:
            normed, inverse, norm_weights = conv_cache[index][5]
            dZ = _batch_norm_backward(dZ, normed, inverse, norms[0][index],
                                      g_scales[index], arch.fit_bias, copies=n_el,
                                      weights=norm_weights)
        if negative is not None:
            np.negative(dZ, out=dZ, where=negative.reshape(dZ.shape))
        _fold(cols.T @ dZ, arch, index, g_conv_w[index])
        if index == 0:
            break
        kh, kw = arch.conv[index][:2]
        E = _expand(conv_w[index], arch, index)
        kernel = E.reshape(kh, kw, -1, out_c)
        dAp = col2im_matmul(dZ, kernel, padded_shape, arch.dilation, *out_hw)
        pad = arch.pads[index]
        in_hw = (padded_shape[1] - pad[0] - pad[1], padded_shape[2] - pad[2] - pad[3])
        dA = _unpad(dAp, pad, arch.padding, in_hw)


def loss_and_gradient(params, arch, X, Y, loss, alpha, sample_weight, grad,
                      weights=None, workspace=None):
    """Objective and its gradient (into ``grad``) on one minibatch, as
    `sk_symmetry.neural_network._cnn_math.loss_and_gradient` defines them
    (``weights`` and ``workspace``, for the orbit route, are not used)."""
    norm_weights = sample_weight if arch.batch_norm else None
    out, (trunk_caches, acts) = forward(params, arch, X, keep=True,
                                        norm_weights=norm_weights)
    value, delta, total = output_loss(params, arch, out, Y, loss, alpha,
                                      sample_weight)
    delta = head_backward(params, arch, acts, delta, grad)
    g_conv_w, _, g_conv_b, _ = unpack(grad, arch)
    g_norms = norm_views(grad, arch)
    start = 0
    for trunk_cache in trunk_caches:
        count = trunk_cache[0][0][4].shape[0]
        _trunk_backward(params, arch, trunk_cache, delta[start:start + count],
                        (g_conv_w, g_conv_b, g_norms and g_norms[0]))
        start += count
    grad[:arch.n_weights] += (alpha / total) * params[:arch.n_weights]
    return value, grad
