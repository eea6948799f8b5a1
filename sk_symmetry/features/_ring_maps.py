"""Random convolutions on a ring, pooled over every position: plain functions.

A row of ``L`` values is read as a ring. Kernel ``k`` of ``m`` weights and
dilation ``d`` gives at position ``t``::

    c_k(x)[t] = sum over j of w_jk * x[(t + (j - (m - 1) // 2) * d) mod L]

summed over ``j`` in increasing order, one multiplication and one addition at
a time (no BLAS, whose blocking could sum two positions in different orders).
A cyclic shift of ``x`` therefore shifts ``c_k(x)``, value for value and bit
for bit, and every pooling below sees the same multiset of values:

- ``"ppv"``: the proportion of positive values of ``c_k(x) - b`` (a count);
- ``"max"``: the maximum of ``c_k(x)``, ``+ 0.0`` so that a ``-0.0`` met
  before a ``+0.0`` gives the same bits as the other order;
- ``"mpv"``: the mean of the positive values of ``c_k(x) - b``, summed after
  sorting them, so that the order of the positions does not matter;
- ``"lspv"``: the longest cyclic run of positive values, over ``L``.

First differences on the ring, ``x[t] - x[t - 1]``, are shifted with ``x``
too (`ring_difference`).
"""

import numpy as np

__all__ = [
    "POOLINGS",
    "draw_dilations",
    "paired_ring_convolution",
    "pool_ring_convolutions",
    "pooled_columns",
    "ring_convolution",
    "ring_difference",
    "row_quantiles",
]

POOLINGS = ("ppv", "max", "mpv", "lspv", "mean")


def ring_difference(X):
    """First differences on the ring: ``D[:, t] = X[:, t] - X[:, t - 1]``,
    with ``X[:, -1]`` before ``X[:, 0]``."""
    return X - np.roll(X, 1, axis=1)


def draw_dilations(lengths, n_positions, rng):
    """ROCKET's dilations: ``floor(2 ** u)`` with ``u`` uniform on
    ``[0, log2((L - 1) / (m - 1))]``, so that a kernel spans at most the
    ring; 1 for kernels of one weight or longer than the ring."""
    lengths = np.asarray(lengths)
    top = np.log2(np.maximum(n_positions - 1, 1) / np.maximum(lengths - 1, 1))
    u = rng.uniform(0.0, 1.0, size=lengths.size) * np.maximum(top, 0.0)
    return np.floor(2.0**u).astype(np.intp)


def ring_convolution(X, weights, dilation):
    """``c[i, k, t]``: kernels ``weights[:, k]`` of one dilation on the rings
    ``X[i]``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, L), float32 or float64
    weights : ndarray of shape (m, n_kernels), ``X``'s dtype
    dilation : int

    Returns
    -------
    c : ndarray of shape (n_samples, n_kernels, L), ``X``'s dtype
    """
    return _accumulate(X[:, None, :], weights[:, None, :, None], dilation)


def paired_ring_convolution(X, weights, dilation):
    """``c[k, t]``: kernel ``weights[:, k]`` on the ring ``X[k]`` alone (one
    row per kernel), summed as `ring_convolution` sums.

    Returns
    -------
    c : ndarray of shape (n_kernels, L), ``X``'s dtype
    """
    return _accumulate(X, weights[:, :, None], dilation)


def _accumulate(X, weights, dilation):
    """``sum over j of weights[j] * X`` turned left by ``(j - (m - 1) // 2) *
    dilation`` along its last axis: one product and one addition at a time,
    in increasing ``j``."""
    m, L = weights.shape[0], X.shape[-1]
    shape = np.broadcast_shapes(X.shape, weights.shape[1:])
    c = np.empty(shape, dtype=X.dtype)
    term = np.empty_like(c)
    for j in range(m):
        # x[(t + shift) mod L] at every t: the ring turned left by `shift`.
        shift = ((j - (m - 1) // 2) * dilation) % L
        turned = np.roll(X, -shift, axis=-1)
        np.multiply(turned, weights[j], out=c if j == 0 else term)
        if j:
            c += term
    return c


def row_quantiles(c, q):
    """The ``q[k, i]`` quantiles of the row ``c[k]`` for every ``k`` and
    ``i``, by linear interpolation between order statistics
    (`numpy.quantile`'s default); ``q`` of shape ``(n_kernels, n)``."""
    c = np.sort(np.asarray(c, dtype=np.float64), axis=1)
    h = np.asarray(q, dtype=np.float64) * (c.shape[1] - 1)
    lo = np.floor(h).astype(np.intp)
    hi = np.minimum(lo + 1, c.shape[1] - 1)
    rows = np.arange(c.shape[0])[:, None]
    return c[rows, lo] + (h - lo) * (c[rows, hi] - c[rows, lo])


def pooled_columns(poolings, n_biases):
    """``(pooling, bias index or None)`` of each feature of one kernel:
    ``"max"`` once (no bias moves it), every other pooling once per bias."""
    return [
        (pooling, None) if pooling == "max" else (pooling, b)
        for pooling in poolings
        for b in ((None,) if pooling == "max" else range(n_biases))
    ]


def pool_ring_convolutions(c, biases, poolings, out):
    """Pool ``c - biases[:, b]`` over the positions (the last axis) into
    ``out``, for every bias ``b`` of each kernel.

    Parameters
    ----------
    c : ndarray of shape (n_samples, n_kernels, L)
        Convolutions of `ring_convolution`.
    biases : ndarray of shape (n_kernels, n_biases), ``c``'s dtype
    poolings : sequence of str from `POOLINGS`
    out : ndarray of shape (n_samples, n_columns, n_kernels)
        Written in the order of `pooled_columns`.
    """
    L = c.shape[2]
    columns = pooled_columns(poolings, biases.shape[1])
    for p, (pooling, _) in enumerate(columns):
        if pooling == "max":
            np.add(c.max(axis=2), 0.0, out=out[:, p])
    if "mpv" in poolings or "mean" in poolings:
        # Sorted once for every bias: ``sorted(c) - b`` with its non-positive
        # values replaced by +0.0 is the zeros, then the positive values in
        # increasing order, whatever the position each value came from. The
        # same additions under every shift.
        ordered = np.sort(c, axis=2)
    sums = "mpv" in poolings or "mean" in poolings
    for b in range(biases.shape[1]):
        bias = biases[None, :, b, None]
        if sums:
            z = ordered - bias
            z[~(z > 0)] = 0
            total = z.sum(axis=2)
            # The positive values, counted in any order.
            counts = np.count_nonzero(z, axis=2)
        if "lspv" in poolings or ("ppv" in poolings and not sums):
            positive = (c - bias) > 0
            counts = positive.sum(axis=2)
        for p, (pooling, bias_index) in enumerate(columns):
            if bias_index != b:
                continue
            if pooling == "ppv":
                np.divide(counts, L, out=out[:, p], casting="unsafe")
            elif pooling == "mpv":
                np.divide(total, np.maximum(counts, 1), out=out[:, p],
                          casting="unsafe")
            elif pooling == "mean":
                np.divide(total, L, out=out[:, p], casting="unsafe")
            elif pooling == "lspv":
                np.divide(_longest_cyclic_run(positive), L, out=out[:, p],
                          casting="unsafe")


def _longest_cyclic_run(positive):
    """The longest run of True along the last axis of ``positive``, read as a
    ring (a run may wrap around the end), at most its length."""
    L = positive.shape[2]
    run = np.zeros(positive.shape[:2], dtype=np.intp)
    best = np.zeros_like(run)
    # Two turns of the ring see every cyclic run whole.
    for t in range(2 * L):
        run += 1
        run *= positive[:, :, t % L]
        np.maximum(best, run, out=best)
    return np.minimum(best, L)
