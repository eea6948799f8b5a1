"""Group-averaged random features as plain functions.

``phi_k(x) = pool over g in G and patch positions p of
sigma(w_k . patch_p(g x) + b_k)``, computed exactly invariantly:

- each image ``g x`` is formed by a gather and a sign change (exact), then
  ``+ 0.0`` so that no ``-0.0`` tells two equal images apart;
- a row's images are visited in an order fixed by the images themselves (their
  bytes sorted), not by the group elements, so ``x`` and ``h x`` visit the very
  same sequence of vectors;
- a group that holds ``-g`` with each ``g`` (any group times the inversion)
  visits one image ``v`` of each pair ``{v, -v}``, chosen by the images
  themselves, and pools ``sigma(b + z)`` and ``sigma(b - z)`` from its one
  product ``z = w . v``: half the products, the same set of values (their
  sum is ``b + max(|z|, |b|)`` for relu, an even function of ``z``);
- every step is the same computation on the same vector at the same place of
  an equally shaped block (one BLAS product, an activation, a sum over
  positions in position order), so it gives the same bits, and the running
  sum over the sorted images adds them in the same order.

Max pooling is order-free anyway and proportions of positive values are exact
counts; the order matters for the mean.
"""

import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

from ..symmetry._orbit_order import image, negation_pairs, orbit_order

__all__ = [
    "ACTIVATIONS",
    "invariant_random_features",
    "patch_indices",
]

# Blocks of rows are sized so that the images of a block and the projections
# of one step each take about this many bytes (they stay in L2 cache).
_BLOCK_BYTES = 1 << 21

# At most this many components per BLAS product (a column block of weights).
_MAX_COLUMNS = 512


def _relu(z):
    return np.maximum(z, 0, out=z)


def _tanh(z):
    return np.tanh(z, out=z)


def _cos(z):
    return np.cos(z, out=z)


# In-place activations, as scikit-learn's neural_network._base keeps them.
ACTIVATIONS = {"relu": _relu, "tanh": _tanh, "cos": _cos}


def patch_indices(image_shape, patch_shape, dilation=1, borders="valid"):
    """Pixel indices of every patch of a flattened image, one row per position.

    Parameters
    ----------
    image_shape : tuple of int (height, width)
        A ring or line of ``n`` values is ``(1, n)``.
    patch_shape : tuple of int (height, width)
    dilation : int, default=1
        Step between the pixels of a patch, along both axes.
    borders : {"valid", "wrap"}, default="valid"
        ``"valid"``: only patches that lie inside the image. ``"wrap"``: a
        patch at every pixel, wrapping around the edges (the image is a torus).

    Returns
    -------
    indices : ndarray of intp of shape (n_positions, patch_height * patch_width)
        Positions in row-major order; a patch's pixels in row-major order.
    """
    (h, w), (ph, pw) = image_shape, patch_shape
    dy = np.arange(ph) * dilation
    dx = np.arange(pw) * dilation
    if borders == "wrap":
        y0, x0 = np.arange(h), np.arange(w)
    else:
        y0 = np.arange(h - dy[-1])
        x0 = np.arange(w - dx[-1])
    rows = (y0[:, None, None, None] + dy[None, None, :, None]) % h
    cols = (x0[None, :, None, None] + dx[None, None, None, :]) % w
    index = rows * w + cols
    return index.reshape(y0.size * x0.size, ph * pw).astype(np.intp)


@functools.cache
def _threadpool_controller():
    return ThreadpoolController()


def _rows_per_block(n_features, n_positions, n_columns, itemsize):
    per_row = max(n_features, n_positions * n_columns) * itemsize
    return max(1, _BLOCK_BYTES // per_row)


def invariant_random_features(
    X, perms, signs, maps, pooling, activation, out, n_threads=1
):
    """Write the pooled random features of ``X`` into ``out``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, finite
    perms : ndarray of int of shape (n_elements, n_features)
    signs : ndarray of shape (n_elements, n_features), +-1 in ``X``'s dtype
    maps : list of (indices, weights, offsets, columns)
        One entry per patch shape and dilation: `patch_indices` (or None for
        the whole input), the weights of shape (patch_size, n_columns) and
        offsets of shape (n_columns,) in ``X``'s dtype, and the output
        columns they fill.
    pooling : {"mean", "max", "ppv"}
    activation : {"relu", "tanh", "cos"}
    out : ndarray of shape (n_samples, n_outputs), ``X``'s dtype, C-ordered
    n_threads : int, default=1
        Blocks of rows are shared among this many threads, each with one
        BLAS thread; the result does not depend on it.

    Returns
    -------
    finite : bool
        Whether every output value is finite.
    """
    n_samples, n_features = X.shape
    n_elements = perms.shape[0]
    sigma = ACTIVATIONS[activation]
    pairs = negation_pairs(perms, signs)
    relu_mean_of_pairs = (
        pairs is not None and activation == "relu" and pooling == "mean"
    )
    widest = max(
        (1 if idx is None else idx.shape[0]) * min(W.shape[1], _MAX_COLUMNS)
        for idx, W, _, _ in maps
    )
    # The accumulators of a block hold n_outputs values per row.
    widest = max(widest, out.shape[1])
    rows = _rows_per_block(n_features, 1, widest, X.itemsize)
    starts = list(range(0, n_samples, rows))
    # Blocks of weight columns as transposed views of C-ordered rows: BLAS
    # takes a strided column slice of a wide matrix about three times slower
    # (480 x 9 times 9 x 512).
    # Whole-input weights take every column at once (a block's projections
    # are then as large as its accumulators): larger products run faster.
    # Patches get a last column of ones and the weights a last row of
    # offsets, so that the product adds the offsets: one pass fewer over the
    # projections, which outnumber the multiply-adds per value 25 to 1 on
    # 5 x 5 patches. Paired images need the product without the offsets.
    column_blocks, patch_index = {}, {}
    patch_offsets_in_product = pairs is None
    for idx, W, b, _ in maps:
        Wt = (
            np.column_stack([W.T, b])
            if idx is not None and patch_offsets_in_product
            else W.T
        )
        Wt = np.ascontiguousarray(Wt)
        step = W.shape[1] if idx is None else _MAX_COLUMNS
        column_blocks[id(W)] = [
            (c, Wt[c].T)
            for c in (
                slice(c0, min(c0 + step, W.shape[1]))
                for c0 in range(0, W.shape[1], step)
            )
        ]
        if idx is not None:
            ones = np.full((idx.shape[0], 1), n_features, dtype=idx.dtype)
            patch_index[id(W)] = (
                np.hstack([idx, ones]) if patch_offsets_in_product else idx
            )

    def run_block(start):
        block = slice(start, min(start + rows, n_samples))
        Xb = X[block]
        n_rows = Xb.shape[0]
        order = orbit_order(Xb, perms, signs, pairs)
        accs = [np.zeros((n_rows, W.shape[1]), dtype=X.dtype) for _, W, _, _ in maps]
        if pooling == "max":
            for acc in accs:
                acc.fill(-np.inf)
        for j in range(order.shape[1]):
            xj = image(Xb, perms, signs, order[:, j])
            if patch_index and patch_offsets_in_product:
                xj1 = np.empty((n_rows, n_features + 1), dtype=X.dtype)
                xj1[:, :-1] = xj
                xj1[:, -1] = 1.0
            else:
                xj1 = xj
            for (idx, W, b, _), acc in zip(maps, accs, strict=True):
                if idx is None:
                    for c, Wc in column_blocks[id(W)]:
                        z = xj @ Wc
                        _pool_images(z[:, None], b[c], acc[:, c])
                    continue
                n_positions = idx.shape[0]
                patches = xj1[:, patch_index[id(W)]].reshape(
                    n_rows * n_positions, -1
                )
                for c, Wc in column_blocks[id(W)]:
                    z = (patches @ Wc).reshape(n_rows, n_positions, -1)
                    if patch_offsets_in_product:
                        _pool(z, acc[:, c])
                    else:
                        _pool_images(z, b[c], acc[:, c])
        for (idx, _, _, columns), acc in zip(maps, accs, strict=True):
            n_positions = 1 if idx is None else idx.shape[0]
            if pooling == "max":
                acc += 0.0  # max(-0.0, 0.0) may be either: settle on 0.0
            else:
                acc /= n_elements * n_positions
            out[block, columns] = acc
        return all(np.isfinite(acc).all() for acc in accs)

    def _pool_images(z, b, acc):
        """Pool ``z + b`` into ``acc``, and ``b - z`` too for paired images."""
        if pairs is None:
            z += b
            _pool(z, acc)
            return
        if relu_mean_of_pairs:
            # relu(b + z) + relu(b - z) = b + max(|z|, |b|): four passes
            # instead of seven (adding b after the sum would cancel).
            np.abs(z, out=z)
            np.maximum(z, np.abs(b), out=z)
            z += b
            acc += z[:, 0] if z.shape[1] == 1 else z.sum(axis=1)
            return
        _pool(z + b, acc)
        np.subtract(b, z, out=z)
        _pool(z, acc)

    def _pool(z, acc):
        """Pool ``z`` of shape (n_rows, n_positions, n_columns) into ``acc``."""
        if pooling == "ppv" and activation != "cos":
            # relu and tanh are positive exactly where their argument is.
            acc += np.count_nonzero(z > 0, axis=1)
            return
        sigma(z)
        if pooling == "ppv":
            acc += np.count_nonzero(z > 0, axis=1)
        elif pooling == "max":
            np.maximum(acc, z.max(axis=1), out=acc)
        elif z.shape[1] == 1:
            acc += z[:, 0]
        else:
            acc += z.sum(axis=1)

    with _threadpool_controller().limit(limits=1, user_api="blas"):
        n_threads = max(1, min(n_threads, len(starts)))
        if n_threads == 1:
            finite = [run_block(start) for start in starts]
        else:
            with ThreadPoolExecutor(n_threads) as pool:
                finite = list(pool.map(run_block, starts))
    return all(finite)
