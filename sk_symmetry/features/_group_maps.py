"""Group-invariant feature maps as plain functions.

Two maps, both exactly (bitwise) invariant under every element of a
`SymmetryGroup` of signed permutations:

- the *canonical form* replaces a row by the image of it, under the group,
  that scores highest on a fixed linear functional ``w`` (a complete
  invariant: two rows share a canonical form exactly when one is an image of
  the other);
- the *averaged* quadratic invariants are the group averages (Reynolds
  operator) of products ``x_i x_j``, one column per orbit of pairs.

Exactness needs care with floating point: a score ``w . g(x)`` computed as a
matrix product rounds differently for ``x`` and for an image of ``x``, and a
sum of products depends on the order of its terms. So near-ties between
images are settled by an exact lexicographic comparison, and every averaged
sum adds its terms in sorted order.
"""

import numpy as np

__all__ = [
    "canonical_form",
    "canonical_projection",
    "orbit_averages",
    "pair_orbits",
    "projection_images",
]

# Rows are processed in blocks of about this many bytes, so that a block's
# scores, gathers and products stay in cache.
_BLOCK_BYTES = 1 << 21


def canonical_projection(group, kind="moments", image_shape=None, random_state=None):
    """The functional ``w`` whose maximum over an orbit picks its representative.

    Parameters
    ----------
    group : SymmetryGroup
        A group on a fixed number of features ``n``.
    kind : {"moments", "random"} or array of shape (n,)
        - ``"random"``: a standard normal vector drawn from ``random_state``.
        - ``"moments"``: the total intensity, then the image's first and
          second moments about its centre (``image_shape``; a ring of ``n``
          values without it), with decreasing weights, plus a small random
          part so that no two distinct group elements give the same
          functional. The total fixes the sign, the moments the orientation.
        - an array: used as it is.
    random_state : numpy.random.Generator

    Returns
    -------
    w : ndarray of float64 of shape (n,)
    """
    n = group.n_features
    if not isinstance(kind, str):
        w = np.asarray(kind, dtype=np.float64)
        if w.shape != (n,) or not np.isfinite(w).all():
            raise ValueError(
                f"projection must be 'moments', 'random' or {n} finite numbers; "
                f"got an array of shape {w.shape}."
            )
        return w
    rng = np.random.default_rng(random_state)
    noise = rng.standard_normal(n)
    if kind == "random":
        return noise
    h, width = image_shape if image_shape is not None else (1, n)
    v, u = np.mgrid[0:h, 0:width].astype(np.float64)
    u = (2 * u - (width - 1)) / max(width - 1, 1)  # columns in [-1, 1]
    v = (2 * v - (h - 1)) / max(h - 1, 1)  # rows in [-1, 1]
    moments = (
        1.0
        + 0.1 * (u + 0.7 * v)
        + 0.05 * (u * u - v * v)
        + 0.03 * u * v
    ).ravel()
    return moments + 1e-3 * noise


def projection_images(group, w):
    """``V[g] = g^T w``, so that ``X @ V.T`` holds ``w . g(x)`` per element."""
    V = np.empty((len(group), w.size))
    for k, g in enumerate(group):
        V[k, g.perm] = w * g.sign
    return V


def canonical_form(X, perms, signs, V, out):
    """Write each row's canonical image into ``out``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), finite
    perms : ndarray of int of shape (n_elements, n_features)
    signs : ndarray of shape (n_elements, n_features), +-1 in ``X``'s dtype
    V : ndarray of shape (n_elements, n_features)
        `projection_images` of the functional.
    out : ndarray like ``X``

    Notes
    -----
    The representative of ``x`` is the image ``g(x)`` with the largest score
    ``w . g(x)``. Scores are a matrix product, whose rounding differs between
    ``x`` and an image of ``x``, so every image scoring within a rounding
    bound of the best is a candidate, and candidates are compared exactly:
    the lexicographically largest image wins. The same set of images, hence
    the same winner, comes out for every row of an orbit, unless the
    second-best score lies within rounding error of the bound itself. Zeros
    are written as ``+0.0``, so that the output is the same bits too.
    """
    n_samples, n_features = X.shape
    V = V.astype(X.dtype)
    # |w . g(x) computed - exact| <= n * eps * sum_i |w_i x_i|: a safe margin.
    slack = 8 * n_features * np.finfo(X.dtype).eps * np.abs(V).max()
    rows_per_block = max(1, _BLOCK_BYTES // max(1, X.itemsize * n_features))
    for start in range(0, n_samples, rows_per_block):
        block = slice(start, min(start + rows_per_block, n_samples))
        Xb = X[block]
        scores = Xb @ V.T
        best = scores.argmax(axis=1)
        top = scores[np.arange(best.size), best]
        margin = slack * np.abs(Xb).sum(axis=1)
        near = (scores >= (top - margin)[:, None]).sum(axis=1) > 1
        for row in np.flatnonzero(near):
            candidates = np.flatnonzero(scores[row] >= top[row] - margin[row])
            best[row] = _lexicographic_best(Xb[row], perms, signs, candidates)
        ob = out[block]
        for k in np.unique(best):
            rows = np.flatnonzero(best == k)
            ob[rows] = Xb[rows][:, perms[k]] * signs[k]
        ob += 0.0  # -0.0 becomes 0.0: the output is the same bits for any image
    return out


def _lexicographic_best(x, perms, signs, candidates):
    best, best_image = None, None
    for k in candidates:
        image = x[perms[k]] * signs[k]
        if best is None or _greater(image, best_image):
            best, best_image = k, image
    return best


def _greater(a, b):
    differ = np.flatnonzero(a != b)
    return differ.size > 0 and a[differ[0]] > b[differ[0]]


def pair_orbits(group, pairs):
    """The orbits of the pairs ``(i, j)`` under the group, with signs.

    Parameters
    ----------
    group : SymmetryGroup
    pairs : ndarray of int of shape (n_pairs, 2)

    Returns
    -------
    orbits : list of (left, right, sign)
        One entry per orbit whose average is not identically zero, in order of
        first appearance in ``pairs``: the distinct unordered pairs
        ``(left[t], right[t])`` of the orbit and the sign of ``x_l x_r`` in
        the group average. The average is ``mean_t sign[t] * x_l[t] * x_r[t]``.
    """
    perms = np.stack([g.perm for g in group])
    signs = np.stack([g.sign for g in group]).astype(np.int64)
    n = group.n_features
    seen = set()
    orbits = []
    for i, j in np.asarray(pairs):
        a, b = perms[:, i], perms[:, j]
        sign = signs[:, i] * signs[:, j]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keys = lo * n + hi
        key = int(keys.min())
        if key in seen:
            continue
        seen.add(key)
        unique, index = np.unique(keys, return_index=True)
        # A pair met with both signs averages to zero: so does the whole orbit.
        total = np.zeros(unique.size, dtype=np.int64)
        np.add.at(total, np.searchsorted(unique, keys), sign)
        if np.any(total == 0):
            continue
        orbits.append((lo[index], hi[index], np.sign(total).astype(np.int8)))
    return orbits


def orbit_averages(X, orbits, out):
    """Write ``mean_t sign[t] * x_l[t] * x_r[t]`` per orbit into ``out``.

    The terms of each orbit are added in sorted order, so that the sum, like
    the set of its terms, is the same for every image of a row.
    """
    n_samples = X.shape[0]
    by_size = {}
    for column, (left, right, sign) in enumerate(orbits):
        by_size.setdefault(left.size, []).append((column, left, right, sign))
    for size, group in by_size.items():
        columns = np.array([c for c, *_ in group])
        left = np.stack([lft for _, lft, _, _ in group])
        right = np.stack([rgt for _, _, rgt, _ in group])
        sign = np.stack([s for *_, s in group]).astype(X.dtype)
        width = left.size
        rows_per_block = max(1, _BLOCK_BYTES // max(1, 3 * X.itemsize * width))
        for start in range(0, n_samples, rows_per_block):
            block = slice(start, min(start + rows_per_block, n_samples))
            Xb = X[block]
            terms = Xb[:, left] * Xb[:, right]
            if size == 1:
                total = terms[:, :, 0] * sign[:, 0]
            else:
                terms *= sign
                terms.sort(axis=2)
                total = terms[:, :, 0].copy()
                for t in range(1, size):
                    total += terms[:, :, t]
                total /= size
            out[block, columns] = total + 0.0  # no -0.0, as in `canonical_form`
    return out
