"""Signed-permutation groups as arrays, and each row's images in an order set
by the images themselves.

Exact group averages need it: floating-point addition is not associative, so a
sum over the images of ``x`` gives the same bits for ``x`` and ``h x`` only
when it adds the same numbers in the same order. Sorting a row's images by
their bytes fixes an order that does not depend on which image the row is.
"""

import numpy as np

from .._utils import BLOCK_BYTES
from ._check import check_symmetry
from ._group import SymmetryGroup
from ._invert import invert

__all__ = [
    "as_arrays",
    "image",
    "negation_pairs",
    "orbit_order",
    "signed_permutations",
]


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


def negation_pairs(perms, signs):
    """The elements in pairs ``(g, -g)``, or None if the group lacks a ``-g``.

    A group that holds the negation of each of its elements (``G x {1, -1}``,
    any group times `SymmetryGroup.inversion`) needs only half of its
    products: ``w . (-g x) = -(w . g x)``.

    Returns
    -------
    pairs : ndarray of intp of shape (n_elements // 2, 2) or None
        Rows ``(i, j)`` with element ``j`` the negation of element ``i``; each
        element in one row.
    """
    index = {}
    for i, (perm, sign) in enumerate(zip(perms, signs, strict=True)):
        index[perm.tobytes() + sign.tobytes()] = i
    pairs, seen = [], set()
    for i, (perm, sign) in enumerate(zip(perms, signs, strict=True)):
        if i in seen:
            continue
        j = index.get(perm.tobytes() + (-sign).tobytes())
        if j is None:
            return None
        pairs.append((i, j))
        seen.update((i, j))
    return np.array(pairs, dtype=np.intp)


def orbit_order(X, perms, signs, pairs=None):
    """Each row's group elements, sorted by the bytes of the images they give.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    perms : ndarray of int of shape (n_elements, n_features)
    signs : ndarray of shape (n_elements, n_features), +-1 in ``X``'s dtype
    pairs : ndarray of shape (n_elements // 2, 2) or None
        `negation_pairs`: list one element of each pair, the one whose image's
        first nonzero value is positive, so that ``v`` and ``-v`` are
        represented by the same one of them.

    Returns
    -------
    order : ndarray of intp of shape (n_samples, n_elements or n_pairs)
        ``image(X, perms, signs, order[:, j])`` is the ``j``-th image of each
        row: the same vectors in the same order for every image of a row
        (elements that give equal images may come in either order).
    """
    n_samples, n_features = X.shape
    elements = np.arange(len(perms)) if pairs is None else pairs[:, 0]
    n_elements = len(elements)
    order = np.empty((n_samples, n_elements), dtype=np.intp)
    # Rows are sorted in blocks whose images take about BLOCK_BYTES.
    rows = max(1, BLOCK_BYTES // (n_elements * n_features * X.itemsize))
    for start in range(0, n_samples, rows):
        block = slice(start, min(start + rows, n_samples))
        images = np.empty((block.stop - start, n_elements, n_features), X.dtype)
        np.multiply(X[block][:, perms[elements]], signs[elements], out=images)
        images += 0.0  # -0.0 becomes 0.0: equal images get equal bytes
        chosen = np.broadcast_to(elements, images.shape[:2])
        if pairs is not None:
            # The partner where the first nonzero value is negative: then
            # -images is the partner's image, bit for bit.
            first = np.argmax(images != 0, axis=2)[:, :, None]
            flip = np.take_along_axis(images, first, axis=2)[:, :, 0] < 0
            np.negative(images, out=images, where=flip[:, :, None])
            images += 0.0
            chosen = np.where(flip, pairs[:, 1], pairs[:, 0])
        keys = images.view(np.dtype((np.void, n_features * X.itemsize)))
        sort = np.argsort(keys[:, :, 0], axis=1, kind="stable")
        order[block] = np.take_along_axis(chosen, sort, axis=1)
    return order


def image(X, perms, signs, elements):
    """``X[i]`` under ``elements[i]``, for each row ``i`` (zeros are ``+0.0``)."""
    out = np.take_along_axis(X, perms[elements], axis=1)
    out *= signs[elements]
    out += 0.0
    return out
