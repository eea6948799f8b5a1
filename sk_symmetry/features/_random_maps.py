"""Group-averaged random features as plain functions: the block runner.

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
counts; the order matters for the mean. `_random_plan` prepares what does not
depend on the rows; `run_block` computes one block of rows.
"""

import numpy as np

from .._utils import in_threads, one_blas_thread
from ..symmetry._internal import image, orbit_order
from ._random_plan import plan_random_features

__all__ = ["ACTIVATIONS", "invariant_random_features", "run_block"]


def _relu(z):
    return np.maximum(z, 0, out=z)


def _tanh(z):
    return np.tanh(z, out=z)


def _cos(z):
    return np.cos(z, out=z)


# In-place activations, as scikit-learn's neural_network._base keeps them.
ACTIVATIONS = {"relu": _relu, "tanh": _tanh, "cos": _cos}


def invariant_random_features(
    X, perms, signs, maps, pooling, activation, out, n_threads=1
):
    """Write the pooled random features of ``X`` into ``out``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
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
    plan = plan_random_features(
        perms, signs, maps, pooling, activation, n_features, out.shape[1],
        X.itemsize,
    )
    rows = plan.rows_per_block
    starts = range(0, n_samples, rows)

    def run(first, last):
        return all(
            [
                run_block(plan, X, out, slice(start, min(start + rows, n_samples)))
                for start in starts[first:last]
            ]
        )

    with one_blas_thread():
        return all(in_threads(run, len(starts), n_threads))


def run_block(plan, X, out, block):
    """Write the features of the rows ``X[block]`` into ``out[block]``;
    return whether they are all finite."""
    Xb = X[block]
    n_rows = Xb.shape[0]
    order = orbit_order(Xb, plan.perms, plan.signs, plan.pairs)
    accs = [np.zeros((n_rows, m.n_columns), dtype=X.dtype) for m in plan.maps]
    if plan.pooling == "max":
        for acc in accs:
            acc.fill(-np.inf)
    ones_column = plan.offsets_in_product and any(
        m.gather is not None for m in plan.maps
    )
    for j in range(order.shape[1]):
        xj = image(Xb, plan.perms, plan.signs, order[:, j])
        xj1 = xj
        if ones_column:
            xj1 = np.empty((n_rows, xj.shape[1] + 1), dtype=X.dtype)
            xj1[:, :-1] = xj
            xj1[:, -1] = 1.0
        for m, acc in zip(plan.maps, accs, strict=True):
            _project_and_pool(plan, m, xj, xj1, acc)
    for m, acc in zip(plan.maps, accs, strict=True):
        if plan.pooling == "max":
            acc += 0.0  # max(-0.0, 0.0) may be either: settle on 0.0
        else:
            acc /= plan.n_elements * m.n_positions
        out[block, m.columns] = acc
    return all(np.isfinite(acc).all() for acc in accs)


def _project_and_pool(plan, patch_map, xj, xj1, acc):
    """Pool the projections of the images ``xj`` (``xj1`` with a column of
    ones) for the components of ``patch_map`` into ``acc``."""
    b = patch_map.offsets
    if patch_map.gather is None:
        for c, Wc in patch_map.weight_blocks:
            z = xj @ Wc
            _pool_images(plan, z[:, None], b[c], acc[:, c])
        return
    n_rows = xj.shape[0]
    patches = xj1[:, patch_map.gather].reshape(n_rows * patch_map.n_positions, -1)
    for c, Wc in patch_map.weight_blocks:
        z = (patches @ Wc).reshape(n_rows, patch_map.n_positions, -1)
        if plan.offsets_in_product:
            _pool(plan, z, acc[:, c])
        else:
            _pool_images(plan, z, b[c], acc[:, c])


def _pool_images(plan, z, b, acc):
    """Pool ``z + b`` into ``acc``, and ``b - z`` too for paired images."""
    if plan.pairs is None:
        z += b
        _pool(plan, z, acc)
        return
    if plan.activation == "relu" and plan.pooling == "mean":
        # relu(b + z) + relu(b - z) = b + max(|z|, |b|): four passes instead
        # of seven (adding b after the sum would cancel).
        np.abs(z, out=z)
        np.maximum(z, np.abs(b), out=z)
        z += b
        acc += z[:, 0] if z.shape[1] == 1 else z.sum(axis=1)
        return
    _pool(plan, z + b, acc)
    np.subtract(b, z, out=z)
    _pool(plan, z, acc)


def _pool(plan, z, acc):
    """Pool ``z`` of shape (n_rows, n_positions, n_columns) into ``acc``."""
    if plan.pooling == "ppv" and plan.activation != "cos":
        # relu and tanh are positive exactly where their argument is.
        acc += np.count_nonzero(z > 0, axis=1)
        return
    ACTIVATIONS[plan.activation](z)
    if plan.pooling == "ppv":
        acc += np.count_nonzero(z > 0, axis=1)
    elif plan.pooling == "max":
        np.maximum(acc, z.max(axis=1), out=acc)
    elif z.shape[1] == 1:
        acc += z[:, 0]
    else:
        acc += z.sum(axis=1)
