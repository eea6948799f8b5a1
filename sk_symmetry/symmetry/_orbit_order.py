"""Signed-permutation groups as arrays, and each row's images in an order set
by the images themselves.

Exact group averages need it: floating-point addition is not associative, so a
sum over the images of ``x`` gives the same bits for ``x`` and ``h x`` only
when it adds the same numbers in the same order. Sorting a row's images by
their bytes fixes an order that does not depend on which image the row is.
"""

import numpy as np

from ._check import check_symmetry
from ._group import SymmetryGroup
from ._invert import invert

__all__ = ["as_arrays", "image", "orbit_order", "signed_permutations"]

# Rows are sorted in blocks whose images take about this many bytes.
_BLOCK_BYTES = 1 << 21


def signed_permutations(symmetry, n_features):
    """`check_symmetry`, refusing a plain callable (`invert` means None): code
    that pools over a group's elements needs them listed as signed
    permutations."""
    named = symmetry is None or symmetry is invert
    if isinstance(symmetry, type):  # check_symmetry says: pass an instance
        check_symmetry(symmetry, n_features)
    if not (named or isinstance(symmetry, SymmetryGroup)):
        kind = "a callable" if callable(symmetry) else type(symmetry).__name__
        raise TypeError(
            "symmetry must be None or a SymmetryGroup of signed permutations; "
            f"got {kind}. Random features and invariant kernels are pooled "
            "over the group's elements, which a plain function does not list."
        )
    return check_symmetry(symmetry, n_features)


def as_arrays(group, dtype):
    """``(perms, signs)``: one row per element, signs in ``dtype``."""
    perms = np.stack([g.perm for g in group])
    signs = np.stack([g.sign for g in group]).astype(dtype)
    return perms, signs


def orbit_order(X, perms, signs):
    """Each row's group elements, sorted by the bytes of the images they give.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    perms : ndarray of int of shape (n_elements, n_features)
    signs : ndarray of shape (n_elements, n_features), +-1 in ``X``'s dtype

    Returns
    -------
    order : ndarray of intp of shape (n_samples, n_elements)
        ``image(X, perms, signs, order[:, j])`` is the ``j``-th image of each
        row: the same vectors in the same order for every image of a row
        (elements that give equal images may come in either order).
    """
    n_samples, n_features = X.shape
    n_elements = perms.shape[0]
    order = np.empty((n_samples, n_elements), dtype=np.intp)
    rows = max(1, _BLOCK_BYTES // (n_elements * n_features * X.itemsize))
    for start in range(0, n_samples, rows):
        block = slice(start, min(start + rows, n_samples))
        images = np.empty((block.stop - start, n_elements, n_features), X.dtype)
        np.multiply(X[block][:, perms], signs, out=images)
        images += 0.0  # -0.0 becomes 0.0: equal images get equal bytes
        keys = images.view(np.dtype((np.void, n_features * X.itemsize)))
        order[block] = np.argsort(keys[:, :, 0], axis=1, kind="stable")
    return order


def image(X, perms, signs, elements):
    """``X[i]`` under ``elements[i]``, for each row ``i`` (zeros are ``+0.0``)."""
    out = np.take_along_axis(X, perms[elements], axis=1)
    out *= signs[elements]
    out += 0.0
    return out
