"""The Reynolds operator: a function pooled over the orbit of each row, so
that the result is the same bits for ``x`` and every image ``g x``.

Floating-point addition is not associative, and the function itself (a
scikit-learn model's ``predict_proba``, ``transform``) may give a row a value
that depends on where the row sits in its batch. So the orbit of a block of
rows is visited position by position: at position ``j`` the function is
called once, on the ``j``-th image of every row of the block, the images of
a row being sorted by their bytes (`orbit_order`). ``x`` and ``h x`` have the
same sorted images, so every call sees the same batch, whatever image of its
orbit each row is, and the values are added in the same order.

An equivariant average (class probabilities whose classes the group
permutes, a target that changes sign) adds ``rho_g(f(g x))``: the values are
first summed per distinct ``rho_g`` in position order (images that tie are
equal, so their values are too), and those partial sums, one per ``rho``,
are sorted before they are added: under ``x -> h x`` they are the same
numbers, met in another order.
"""

import numpy as np
import scipy.sparse as sp

from .._utils import ESTIMATOR_BLOCK_BYTES as _BLOCK_BYTES
from ..symmetry._internal import image, orbit_order

__all__ = ["block_rows", "reynolds"]

# A block of rows takes about this many bytes of images, element orders and
# partial sums; the input and the output aside, memory stays within it.


def block_rows(n_samples, n_features, n_elements, n_outputs, n_actions=1):
    """How many rows to pool at a time (at least one)."""
    per_row = 8 * (n_features + n_elements + (n_actions + 1) * n_outputs)
    return max(1, min(n_samples, _BLOCK_BYTES // per_row))


def reynolds(function, X, perms, signs, *, pooling="mean", action=None,
             n_outputs=1):
    """Pool ``function(g x)`` over the elements ``g`` for each row ``x``.

    Parameters
    ----------
    function : callable
        Maps an array (or sparse matrix, in the container of ``X``) of shape
        (n_rows, n_features) to an array or sparse matrix of shape
        (n_rows, n_out).

    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Float data; a sparse block is made dense to sort its images, and its
        images are passed on sparse again.

    perms, signs : ndarray of shape (n_elements, n_features)
        The group, from `as_arrays` (signs in ``X``'s dtype).

    pooling : {"mean", "max"}, default="mean"
        ``"max"`` only without ``action``.

    action : tuple (element_action, transforms) or None, default=None
        How the output transforms: ``element_action[k]`` indexes the
        transform ``rho`` of element ``k`` in ``transforms``, a list of
        functions of an (n_rows, n_out) array. The result is
        ``mean over g of rho_g(function(g x))``. None: every ``rho`` is the
        identity (an invariant average).

    n_outputs : int, default=1
        The output width, if known: it sizes the blocks.

    Returns
    -------
    pooled : ndarray or sparse matrix of shape (n_samples, n_out)
    """
    n_samples, n_features = X.shape
    n_elements = len(perms)
    n_actions = 1 if action is None else len(action[1])
    rows = block_rows(n_samples, n_features, n_elements, n_outputs, n_actions)
    pieces, out = [], None
    for start in range(0, n_samples, rows):
        stop = min(start + rows, n_samples)
        block = _pool_block(function, X[start:stop], perms, signs, pooling, action)
        if sp.issparse(block):
            pieces.append(block)
            continue
        if out is None:
            out = np.empty((n_samples, block.shape[1]), dtype=block.dtype)
        out[start:stop] = block
    if pieces:
        return sp.vstack(pieces, format=pieces[0].format)
    return out


def _pool_block(function, X, perms, signs, pooling, action):
    sparse = sp.issparse(X)
    dense = X.toarray() if sparse else X
    missing = np.isnan(dense)
    if missing.any():
        # -x flips the sign bit of a NaN and a product by -1 does not, so the
        # bytes of x's images and of (-x)'s would differ: one NaN for all.
        dense = np.where(missing, np.nan, dense)
    order = orbit_order(dense, perms, signs)
    rows = np.arange(len(dense))
    sums = None
    for j in range(order.shape[1]):
        images = image(dense, perms, signs, order[:, j])
        values = _as_2d(function(type(X)(images) if sparse else images), len(rows))
        if action is not None and sp.issparse(values):
            values = values.toarray()
        if sums is None:
            sums = _start(values, pooling, action)
        if action is not None:
            sums[action[0][order[:, j]], rows] += values
        elif sp.issparse(values):
            sums = sums.maximum(values) if pooling == "max" else sums + values
        elif pooling == "max":
            np.maximum(sums, values, out=sums)
        else:
            sums += values
    if action is not None:
        sums = _combine(sums, action[1])
    if pooling == "mean":
        sums = sums / order.shape[1]
    return sums


def _as_2d(values, n_rows):
    if hasattr(values, "to_numpy"):  # an inner transformer set to pandas output
        values = values.to_numpy()
    if not sp.issparse(values):
        values = np.asarray(values)
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    if values.ndim != 2 or values.shape[0] != n_rows:
        raise ValueError(
            f"the inner estimator returned shape {values.shape} for {n_rows} rows; "
            "pooling needs one row of outputs per row of input."
        )
    return values


def _start(values, pooling, action):
    """The accumulator, from the first values: zeros to add them to (one
    slice per transform with an action), or a copy for the running maximum."""
    dtype = values.dtype if pooling == "max" else np.result_type(
        values.dtype, np.float32
    )
    if action is not None:
        return np.zeros((len(action[1]), *values.shape), dtype=dtype)
    if pooling == "max":
        return values.copy()
    if sp.issparse(values):
        return type(values)(values.shape, dtype=dtype)
    return np.zeros(values.shape, dtype=dtype)


def _combine(sums, transforms):
    """``sum over rho of rho(sums[rho])``, the terms sorted per value."""
    terms = [rho(part) for rho, part in zip(transforms, sums, strict=True)]
    if len(terms) == 1:
        return terms[0]
    if len(terms) == 2:  # a + b == b + a: no sort needed
        return terms[0] + terms[1]
    terms = np.sort(np.stack(terms), axis=0)
    total = terms[0].copy()
    for term in terms[1:]:
        total += term
    return total
