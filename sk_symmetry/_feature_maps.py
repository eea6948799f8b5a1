"""Inversion-invariant feature maps as plain functions.

Every map here sends a row ``x`` to products ``x_i * x_{p(i)}`` for a partner
map ``p``, so the result is the same for ``x`` and ``-x`` (Bergman 2019, Sec. II.C).
The dense kernels write straight into a preallocated output and never build the
``M (M + 1) / 2`` pair matrix.
"""

import numpy as np

__all__ = [
    "draw_derangement",
    "neighbor_partners",
    "neighbor_products",
    "permutation_products",
    "square_products",
]

# Rows per block in the permutation gather: a block of a 784-wide float64 input
# is ~0.8 MB, so the gathered copy is still in cache when it is multiplied.
_PERMUTATION_BLOCK_ROWS = 128


def square_products(X, out):
    """Write ``x_i ** 2`` into ``out`` (same shape and dtype as ``X``)."""
    return np.multiply(X, X, out=out)


def _cyclic_products(X, out, axis):
    """``out = X * roll(X, -1, axis)`` without building the rolled copy."""
    n = X.shape[axis]
    head = [slice(None)] * X.ndim
    tail = [slice(None)] * X.ndim
    last = [slice(None)] * X.ndim
    first = [slice(None)] * X.ndim
    head[axis], tail[axis] = slice(0, n - 1), slice(1, n)
    last[axis], first[axis] = slice(n - 1, n), slice(0, 1)
    np.multiply(X[tuple(head)], X[tuple(tail)], out=out[tuple(head)])
    np.multiply(X[tuple(last)], X[tuple(first)], out=out[tuple(last)])
    return out


def neighbor_products(X, out, image_shape=None, direction="horizontal"):
    """Products of each value with its next neighbour, with wraparound.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        C-contiguous input.
    out : ndarray of shape (n_samples, n_features) or (n_samples, 2 * n_features)
        Output; twice as wide when ``direction="both"``.
    image_shape : tuple of int (h, w) or None
        Rows are ``h x w`` images when given, otherwise a ring of values.
    direction : {"horizontal", "vertical", "both"}
        Horizontal pairs a pixel with the one to its right (last column wraps to
        the first of the same row); vertical with the one below (last row wraps
        to the first). "both" writes horizontal then vertical products.
    """
    n_samples, n_features = X.shape
    if image_shape is None:
        return _cyclic_products(X, out, axis=1)
    h, w = image_shape
    images = X.reshape(n_samples, h, w)
    if direction == "both":
        neighbor_products(X, out[:, :n_features], image_shape, "horizontal")
        neighbor_products(X, out[:, n_features:], image_shape, "vertical")
        return out
    axis = 2 if direction == "horizontal" else 1
    _cyclic_products(images, out.reshape(n_samples, h, w), axis=axis)
    return out


def permutation_products(X, permutation, out):
    """Write ``x_i * x_{P(i)}`` into ``out``.

    The gather ``X[:, P]`` runs block by block into ``out`` and is multiplied
    while it is still in cache, so memory traffic stays that of one pass.
    """
    for start in range(0, X.shape[0], _PERMUTATION_BLOCK_ROWS):
        rows = slice(start, start + _PERMUTATION_BLOCK_ROWS)
        block = out[rows]
        np.take(X[rows], permutation, axis=1, out=block)
        np.multiply(block, X[rows], out=block)
    return out


def neighbor_partners(n_features, image_shape=None, direction="horizontal"):
    """Index of the neighbour of every feature, as used by `neighbor_products`.

    Returns an int array of length ``n_features`` (``2 * n_features`` for
    ``direction="both"``), so that the neighbour map is ``X * X[:, partners]``
    repeated over ``X`` as needed.
    """
    index = np.arange(n_features)
    if image_shape is None:
        return np.roll(index, -1)
    h, w = image_shape
    grid = index.reshape(h, w)
    horizontal = np.roll(grid, -1, axis=1).ravel()
    vertical = np.roll(grid, -1, axis=0).ravel()
    if direction == "horizontal":
        return horizontal
    if direction == "vertical":
        return vertical
    return np.concatenate([horizontal, vertical])


def draw_derangement(n, rng):
    """A uniformly random permutation of ``range(n)`` with no fixed point.

    Rejection sampling: a uniform permutation is a derangement with probability
    about ``1/e``, so this takes about three draws on average.
    """
    if n < 2:
        raise ValueError(
            f"A permutation without fixed points needs at least 2 features, "
            f"got n_features = {n}."
        )
    index = np.arange(n)
    while True:
        permutation = rng.permutation(n)
        if not np.any(permutation == index):
            return permutation
