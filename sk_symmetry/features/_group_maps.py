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

# Rows are processed in blocks of about BLOCK_BYTES (a block's scores, gathers
# and products stay in cache); each thread gets MIN_BYTES_PER_THREAD of input.
from .._utils import BLOCK_BYTES as _BLOCK_BYTES
from .._utils import MIN_BYTES_PER_THREAD as _MIN_BYTES_PER_THREAD
from .._utils import compiled_kernel, in_threads, one_blas_thread

# The compiled kernels of _group_kernels.c; None without a C compiler.
_group_kernels = compiled_kernel("sk_symmetry.features._group_kernels")

__all__ = [
    "canonical_form",
    "canonical_limit",
    "check_canonical_range",
    "compiled_canonical_form",
    "compiled_orbit_averages",
    "canonical_projection",
    "orbit_averages",
    "pair_orbits",
    "projection_images",
    "sorting_network",
]


# Whether the kernels may use AVX2 where the CPU has it (tests turn it off to
# compare with SSE2).
_avx2 = True

# An index's top bit in the compiled kernels' plans: the term is negated.
_NEGATIVE = np.uint32(1 << 31)


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
        w = np.asarray(kind)
        if w.dtype.kind not in "iuf":  # strings, objects, booleans, complex
            raise ValueError(
                f"projection must be 'moments', 'random' or {n} finite numbers; "
                f"got {kind!r}."
            )
        w = w.astype(np.float64)
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
    """``V[g] = g^T w``, so that ``X @ V.T`` holds ``w . g(x)`` per element.

    ``w`` is first scaled by a power of two to ``max |w|`` in ``[0.5, 1)``.
    That is exact (barring underflow of entries some 2**1000 below the
    largest), so every score, margin and comparison scales by the same power
    of two and the same images win; and it makes the scores of any data
    within `check_canonical_range` finite, whatever the size of ``w``.
    """
    w = np.asarray(w, dtype=np.float64)
    peak = np.abs(w).max(initial=0.0)
    if peak > 0:
        w = np.ldexp(w, -np.frexp(peak)[1])
    V = np.empty((len(group), w.size))
    for k, g in enumerate(group):
        V[k, g.perm] = w * g.sign
    return V


def canonical_limit(X):
    """The largest ``|x|`` that `check_canonical_range` accepts in ``X``:
    ``finfo.max / (4 n_features)``, in ``X``'s dtype."""
    return np.finfo(X.dtype).max / (4 * X.shape[1])


def check_canonical_range(X, peak=None):
    """Refuse finite ``X`` whose canonical scores could overflow.

    With ``max |w| < 1`` (`projection_images`), a score ``w . g(x)`` and the
    rounding margin of `canonical_form` are at most about
    ``n_features * max |x|``; up to ``max |x| <=`` `canonical_limit` they
    are finite and every image of a row scores as the exact comparison
    needs. Beyond that an overflowing score would pick an image that depends
    on ``g``. The test is on ``max |X|``, which every image of ``X`` shares
    bit for bit, so ``X`` and ``g(X)`` are both accepted or both refused.
    Non-finite ``X`` is left to the caller's check.

    ``peak``, if given, is what `compiled_canonical_form` found in its own
    pass over ``X`` (for finite ``X``): ``max |X|`` whenever that exceeds
    the limit, so no pass is made here then.
    """
    if X.size == 0:
        return
    if peak is None:
        high, low = X.max(), X.min()
        peak = max(high, -low) if np.isfinite(high) and np.isfinite(low) else None
    elif not np.isfinite(peak):
        peak = None
    limit = canonical_limit(X)
    if peak is not None and peak > limit:
        raise ValueError(
            f"The canonical scores of X would overflow {X.dtype.name}: X has "
            f"values up to {peak:.3g} in magnitude, above finfo.max / "
            f"(4 * n_features) = {limit:.3g}. Scale X down (e.g. into [-1, 1]) "
            "before this transformer."
        )


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
    with one_blas_thread():
        for block, scores, slack in _scored_blocks(X, V):
            Xb, ob = X[block], out[block]
            best = _best_images(Xb, scores, slack, perms, signs)
            for k in np.unique(best):
                rows = np.flatnonzero(best == k)
                ob[rows] = Xb[rows][:, perms[k]] * signs[k]
            ob += 0.0  # -0.0 becomes 0.0: the same bits for any image
    return out


def _scored_blocks(X, V, blocks=None):
    """``(rows, X[rows] @ V.T, slack)`` for blocks of rows that stay in cache.

    The compiled path computes its scores here too, in the same blocks: a
    BLAS product may round a row differently in a differently shaped call.
    An element whose functional is the negative of an earlier one's (``g``
    and ``g`` followed by inversion) gets the negated scores of that one,
    which halves the product for groups that contain the inversion.
    """
    n_samples, n_features = X.shape
    V = V.astype(X.dtype)
    # |w . g(x) computed - exact| <= n * eps * sum_i |w_i x_i|: a safe margin.
    slack = 8 * n_features * np.finfo(X.dtype).eps * np.abs(V).max()
    source, sign = np.arange(len(V)), np.ones(len(V), dtype=X.dtype)
    for k in range(len(V)):
        for j in range(k):
            if source[j] == j and np.array_equal(V[k], -V[j]):
                source[k], sign[k] = j, -1
                break
    distinct = np.flatnonzero(source == np.arange(len(V)))
    column = np.searchsorted(distinct, source)
    V_distinct = V[distinct]
    rows_per_block = _rows_per_block(X)
    starts = range(0, n_samples, rows_per_block)
    for start in starts if blocks is None else starts[blocks]:
        block = slice(start, min(start + rows_per_block, n_samples))
        scores = np.empty((block.stop - start, len(V)), dtype=X.dtype)
        np.multiply((X[block] @ V_distinct.T)[:, column], sign, out=scores)
        yield block, scores, slack


def _rows_per_block(X):
    return max(1, _BLOCK_BYTES // max(1, X.itemsize * X.shape[1]))


def _best_images(Xb, scores, slack, perms, signs):
    """The best image of each row: top score, near-ties settled exactly."""
    best = scores.argmax(axis=1)
    top = scores[np.arange(best.size), best]
    margin = slack * np.abs(Xb).sum(axis=1)
    near = (scores >= (top - margin)[:, None]).sum(axis=1) > 1
    for row in np.flatnonzero(near):
        candidates = np.flatnonzero(scores[row] >= top[row] - margin[row])
        best[row] = _lexicographic_best(Xb[row], perms, signs, candidates)
    return best


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


def sorting_network(n):
    """Compare-exchanges ``(i, j)``, ``i < j``, that sort any ``n`` values.

    Batcher's merge exchange (Knuth, TAOCP vol. 3, Algorithm 5.2.2M): 19
    comparators for 8 values, ``O(n log(n)^2)`` for any ``n``.
    """
    pairs = []
    t = max(0, (n - 1).bit_length())
    p = 1 << (t - 1) if t else 0
    while p > 0:
        q, r, d = 1 << (t - 1), 0, p
        while True:
            pairs += [(i, i + d) for i in range(n - d) if i & p == r]
            if q == p:
                break
            d, q, r = q - p, q >> 1, p
        p >>= 1
    return np.array(pairs, dtype=np.uint32).reshape(-1, 2)


def _kernel_applies(X, out):
    return (
        _group_kernels is not None
        and X.dtype in (np.float32, np.float64)
        and out.dtype == X.dtype
        and X.flags.c_contiguous
        and out.flags.c_contiguous
        and X.flags.aligned
        and out.flags.aligned
    )


def compiled_canonical_form(X, perms, signs, V, out, n_threads=1, peak=None):
    """`canonical_form` with the compiled kernel: the same bits, faster.

    The scores are the same BLAS products over the same blocks of rows; the
    kernel then takes each row's margin, best element (settling near-ties
    exactly) and signed gather while the row is in cache. Rows whose scores
    overflow go through the numpy code. Returns None when the kernel does
    not apply (not built, or not aligned C-ordered float32/float64 arrays),
    else the number of rows whose score or margin was not finite: non-finite
    values in ``X`` (whose output is then meaningless; the caller raises),
    or scores that overflow, which the numpy code settles as
    `canonical_form` would.

    ``peak``, an ndarray of one value, receives ``max |x|`` over the rows
    whose ``sum |x|`` (the margin's) exceeds `canonical_limit`, else 0:
    ``max |X|`` whenever that exceeds the limit (meaningful for finite
    ``X``), which is all `check_canonical_range` needs. The kernel finds it
    without a pass of its own: a row's sum is never below its largest term.
    """
    if not _kernel_applies(X, out):
        return None
    n_samples, n_features = X.shape
    codes = perms.astype(np.uint32) | np.where(signs < 0, _NEGATIVE, np.uint32(0))
    plan = _group_kernels.canonical_plan(codes, n_features, len(codes))
    limit = float(canonical_limit(X))
    n_blocks = -(-n_samples // _rows_per_block(X))
    n_threads = min(n_threads, X.nbytes // _MIN_BYTES_PER_THREAD)

    def run(first, last):
        n_unsettled = 0
        high = np.zeros(1, dtype=X.dtype)  # the peak of this thread's rows
        block_high = np.empty(1, dtype=X.dtype)
        for block, scores, slack in _scored_blocks(X, V, slice(first, last)):
            Xb, ob = X[block], out[block]
            best = np.empty(Xb.shape[0], dtype=np.int32)
            n = _group_kernels.canonical(
                Xb, scores, plan, ob, best, block_high, Xb.shape[0], X.itemsize,
                float(slack), limit, _avx2,
            )
            np.maximum(high, block_high, out=high)
            if n:
                rows = np.flatnonzero(best < 0)
                chosen = _best_images(Xb[rows], scores[rows], slack, perms, signs)
                for row, k in zip(rows, chosen, strict=True):
                    ob[row] = Xb[row, perms[k]] * signs[k] + 0.0
            n_unsettled += n
        return n_unsettled, high

    with one_blas_thread(), np.errstate(invalid="ignore", over="ignore"):
        results = in_threads(run, n_blocks, n_threads)
    if peak is not None:
        peak[...] = max(high[0] for _, high in results)
    return sum(n for n, _ in results)


def compiled_orbit_averages(X, orbits, out, n_threads=1):
    """`orbit_averages` with the compiled kernel: the same bits, faster.

    Rows are split over up to ``n_threads`` threads. Returns None when the
    kernel does not apply (not built, or not aligned C-ordered
    float32/float64 arrays), else whether every output value is finite.
    """
    if not _kernel_applies(X, out):
        return None
    by_size = {}
    for column, (left, right, sign) in enumerate(orbits):
        by_size.setdefault(left.size, []).append((column, left, right, sign))
    plan, lefts, rights, negatives, columns, comparators = [], [], [], [], [], []
    for size, group in by_size.items():
        network = sorting_network(size)
        plan.append((size, len(group), len(network)))
        # Term-major: term t of every orbit, then term t + 1, as the kernel
        # sorts and sums across orbits.
        lefts.append(np.stack([lft for _, lft, _, _ in group]).T.ravel())
        rights.append(np.stack([rgt for _, _, rgt, _ in group]).T.ravel())
        negatives.append((np.stack([s for *_, s in group]).T < 0).ravel())
        columns.append([c for c, *_ in group])
        comparators.append(network.ravel())
    left, right = np.concatenate(lefts), np.concatenate(rights)
    n_samples, n_features = X.shape
    # Without AVX2, and with few distinct steps right - left (neighbours,
    # squares), the kernel forms each row's products x[i] * x[i + step] with
    # contiguous multiplies and then only gathers them, about twice as fast
    # as a gather of two values per term. With AVX2 it takes blocks of rows
    # as vector lanes, where a term is two vector loads and needs no table:
    # 1.4-1.8x as fast again on 784 features under the dihedral group.
    steps, step_of = np.unique(right - left, return_inverse=True)
    segment = n_features - steps
    rows_as_lanes = _avx2 and _group_kernels.has_avx2()
    if segment.sum() <= 2 * left.size and not rows_as_lanes:
        start = np.concatenate([[0], np.cumsum(segment)[:-1]])
        left, right = start[step_of] + left, right[:0]
    else:
        steps = steps[:0]
    left = left.astype(np.uint32) | np.where(np.concatenate(negatives), _NEGATIVE, 0)
    args = (
        np.array(plan, dtype=np.int64),
        steps.astype(np.int64),
        left.astype(np.uint32),
        right.astype(np.uint32),
        np.concatenate(columns).astype(np.uint32),
        np.concatenate(comparators).astype(np.uint32),
    )

    def run(start, stop):
        return _group_kernels.averages(
            X[start:stop], out[start:stop], *args, stop - start, n_features,
            out.shape[1], X.itemsize, _avx2,
        )

    n_threads = min(n_threads, X.nbytes // _MIN_BYTES_PER_THREAD)
    return all(in_threads(run, n_samples, n_threads))
