"""Inversion-invariant feature maps as plain functions.

Every map here sends a row ``x`` to products ``x_i * x_{p(i)}`` for a partner
map ``p``, so the result is the same for ``x`` and ``-x`` (Bergman 2019, Sec. II.C).
The dense kernels write straight into a preallocated output and never build the
``M (M + 1) / 2`` pair matrix. `compiled_products` runs all of them as one pass
of the C kernel in ``_products.c``; the numpy kernels are its fallback.
"""

import numpy as np

from .._utils import BLOCK_BYTES, MIN_BYTES_PER_THREAD, compiled_kernel, in_threads

# The compiled kernel of _products.c; None when built without a compiler.
_products = compiled_kernel("sk_symmetry.features._products", "products")

__all__ = [
    "compiled_products",
    "draw_derangement",
    "neighbor_partners",
    "neighbor_products",
    "permutation_products",
    "products_blockwise",
    "square_products",
]


def square_products(X, out):
    """Write ``x_i ** 2`` into ``out`` (same shape and dtype as ``X``)."""
    return np.multiply(X, X, out=out)


def neighbor_products(X, out, image_shape, direction="horizontal"):
    """Products of each value with its next neighbour, with wraparound.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Rows are ``h x w`` images in row-major order.
    out : ndarray of shape (n_samples, n_features) or (n_samples, 2 * n_features)
        Output; twice as wide when ``direction="both"``.
    image_shape : tuple of int (h, w)
        A ring of ``n`` values is the image ``(1, n)``.
    direction : {"horizontal", "vertical", "both"}
        Horizontal pairs a pixel with the one to its right (last column wraps to
        the first of the same row); vertical with the one below (last row wraps
        to the first). "both" writes horizontal then vertical products.
    """
    n = X.shape[1]
    h, w = image_shape
    if direction == "both":
        neighbor_products(X, out[:, :n], image_shape, "horizontal")
        neighbor_products(X, out[:, n:], image_shape, "vertical")
        return out
    # A neighbour is a fixed step ahead in the flattened row: one pixel to the
    # right, or one image row down. Multiply by the shifted row in one pass,
    # then redo the products that must wrap around instead.
    step = 1 if direction == "horizontal" else w
    if X.flags.c_contiguous and out.flags.c_contiguous:
        # One flat pass over the whole block is much faster than a 2-D strided
        # one; the products it forms across row ends are overwritten below.
        x, o = X.ravel(), out.ravel()
        np.multiply(x[: x.size - step], x[step:], out=o[: o.size - step])
    else:
        np.multiply(X[:, : n - step], X[:, step:], out=out[:, : n - step])
    if direction == "horizontal":
        np.multiply(X[:, w - 1 :: w], X[:, ::w], out=out[:, w - 1 :: w])
    else:
        np.multiply(X[:, n - w :], X[:, :w], out=out[:, n - w :])
    return out


def permutation_products(X, permutation, out):
    """Write ``x_i * x_{P(i)}`` into ``out``: gather ``X[:, P]``, then multiply."""
    np.take(X, permutation, axis=1, out=out)
    return np.multiply(out, X, out=out)


def compiled_products(X, partners, out, n_threads=1):
    """Write ``x_{k mod m} * x_{partners[k]}`` into ``out`` with `_products.c`.

    One pass over ``X`` for every kind, split by rows over up to ``n_threads``
    threads (the kernel releases the GIL); ``out`` must not overlap ``X``.
    Returns None when the kernel does not apply (not built, or not aligned
    C-ordered float32/float64 arrays of one dtype); otherwise whether every
    output value is finite, which, as for `products_blockwise`, may err on the
    side of "not finite".
    """
    if (
        _products is None
        or X.dtype not in (np.float32, np.float64)
        or out.dtype != X.dtype
        or not (X.flags.c_contiguous and out.flags.c_contiguous)
        or not (X.flags.aligned and out.flags.aligned)
    ):
        return None
    partners = np.ascontiguousarray(partners, dtype=np.int64)
    n_rows, n_cols = X.shape

    def run(start, stop):
        return _products(
            X[start:stop],
            partners,
            out[start:stop],
            stop - start,
            n_cols,
            out.shape[1],
            X.itemsize,
        )

    n_threads = min(n_threads, out.nbytes // MIN_BYTES_PER_THREAD)
    return all(in_threads(run, n_rows, n_threads))


def products_blockwise(kernel, X, out):
    """Run ``kernel(X_block, out_block)`` over blocks of rows.

    Returns whether every output value is finite. The check is a dot product
    of each output block with itself while the block is still in cache, which
    costs far less than a separate pass over the input; it can only err on the
    side of "not finite" (a huge but finite value whose square overflows), so a
    caller re-checks exactly when it returns False.
    """
    # Blocks of BLOCK_BYTES: a block is still in cache when it is checked for
    # overflow (and, for the permutation, when the gathered copy is multiplied).
    block_rows = max(1, BLOCK_BYTES // max(1, out.shape[1] * out.itemsize))
    finite = True
    for start in range(0, X.shape[0], block_rows):
        rows = slice(start, start + block_rows)
        block = kernel(X[rows], out[rows]).ravel()
        finite &= bool(np.isfinite(np.dot(block, block)))
    return finite


def neighbor_partners(n_features, image_shape, direction="horizontal"):
    """Index of the neighbour of every feature, as used by `neighbor_products`.

    Returns an int array of length ``n_features`` (``2 * n_features`` for
    ``direction="both"``), so that the neighbour map is ``X * X[:, partners]``
    repeated over ``X`` as needed.
    """
    index = np.arange(n_features)
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
