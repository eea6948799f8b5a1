"""Planning the group-averaged random features (`_random_maps` runs the plan).

Everything that depends on the fitted weights and the group but not on the
rows is settled here once per ``transform``: the pixels of each patch, the
weights cut into blocks of columns, whether the offsets ride in the product,
the pairs ``(g, -g)`` of the group and the number of rows per block.
"""

from dataclasses import dataclass

import numpy as np

from .._utils import BLOCK_BYTES
from ..symmetry._internal import negation_pairs

__all__ = [
    "PatchMap",
    "Plan",
    "negates_every_patch",
    "patch_indices",
    "plan_random_features",
]

# At most this many components per BLAS product (a column block of weights).
_MAX_COLUMNS = 512


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


def negates_every_patch(perms, signs, indices=None):
    """Whether the patches of the images come in pairs ``(v, -v)`` for every
    input: the signed pixel selections ``sign_g[p] * x[perm_g[p]]`` over the
    elements ``g`` and patch positions ``p``, as a multiset, do not change
    when every sign flips.

    Then each projection ``w . v`` meets ``-(w . v)``, so without offsets the
    mean of an odd activation is exactly zero and half the values are
    positive, whatever the weights. The inversion ``x -> -x`` is the plain
    case; the ring ``{(-1)^k shift^k}`` with patches, or ``{identity,
    mirror * invert}`` with 1 x 1 patches, negate every patch without holding
    the inversion.

    Each selection is compared through a 64-bit hash, linear in the signs
    (``sum_k sign_k A[k] B[source_k]`` modulo ``2**64`` for fixed random
    integers ``A`` and ``B``), so that a negated selection hashes to the
    negated hash: memory stays at one integer per element and position. Two
    different multisets agree only if hashes collide, which a group of
    practical size makes vanishingly unlikely.

    Parameters
    ----------
    perms : ndarray of int of shape (n_elements, n_features)
    signs : ndarray of shape (n_elements, n_features), +-1
    indices : ndarray of int of shape (n_positions, patch_size) or None
        `patch_indices`; None for the whole input.
    """
    if indices is None:
        indices = np.arange(perms.shape[1])[None, :]
    rng = np.random.RandomState(0)
    high = np.iinfo(np.uint64).max
    A = rng.randint(0, high, size=indices.shape[1], dtype=np.uint64)
    B = rng.randint(0, high, size=perms.shape[1], dtype=np.uint64)
    hashes = np.empty((perms.shape[0], indices.shape[0]), dtype=np.uint64)
    for e, (perm, sign) in enumerate(zip(perms, signs, strict=True)):
        values = A * B[perm[indices]]  # wraps modulo 2**64
        np.negative(values, out=values, where=sign[indices] < 0)
        hashes[e] = values.sum(axis=1)
    hashes = np.sort(hashes, axis=None)
    return bool(np.array_equal(hashes, np.sort(np.negative(hashes))))


@dataclass(frozen=True)
class PatchMap:
    """The components of one patch shape and dilation, ready to run.

    ``gather`` takes each position's pixels from an image (with a last index
    ``n_features`` that points at a column of ones when the offsets ride in
    the product), or is None for the whole input; ``weight_blocks`` holds
    ``(columns, weights)`` with the weights as a transposed view of C-ordered
    rows (BLAS takes a strided column slice of a wide matrix about three times
    slower); ``offsets`` and ``columns`` are the component offsets and the
    output columns the map fills.
    """

    gather: object
    n_positions: int
    weight_blocks: list
    offsets: np.ndarray
    columns: np.ndarray

    @property
    def n_columns(self):
        return self.columns.size


@dataclass(frozen=True)
class Plan:
    """What `_random_maps.run_block` needs besides the rows."""

    perms: np.ndarray
    signs: np.ndarray
    pairs: object  # `negation_pairs`: an array, or None
    maps: tuple
    pooling: str
    activation: str
    offsets_in_product: bool
    rows_per_block: int

    @property
    def n_elements(self):
        return self.perms.shape[0]


def plan_random_features(perms, signs, maps, pooling, activation, n_features, n_outputs,
                         itemsize):
    """The `Plan` of ``maps``, a list of ``(indices, weights, offsets,
    columns)`` (see `_random_maps.invariant_random_features`)."""
    pairs = negation_pairs(perms, signs)
    # Patches get a last column of ones and the weights a last row of
    # offsets, so that the product adds the offsets: one pass fewer over the
    # projections, which outnumber the multiply-adds per value 25 to 1 on
    # 5 x 5 patches. Paired images need the product without the offsets.
    offsets_in_product = pairs is None
    planned = []
    for idx, W, b, columns in maps:
        with_offsets = idx is not None and offsets_in_product
        Wt = np.ascontiguousarray(np.column_stack([W.T, b]) if with_offsets else W.T)
        # Whole-input weights take every column at once (a block's
        # projections are then as large as its accumulators): larger products
        # run faster.
        step = W.shape[1] if idx is None else _MAX_COLUMNS
        blocks = [
            (c, Wt[c].T)
            for c in (
                slice(c0, min(c0 + step, W.shape[1]))
                for c0 in range(0, W.shape[1], step)
            )
        ]
        gather = idx
        if with_offsets:
            ones = np.full((idx.shape[0], 1), n_features, dtype=idx.dtype)
            gather = np.hstack([idx, ones])
        n_positions = 1 if idx is None else idx.shape[0]
        planned.append(PatchMap(gather, n_positions, blocks, b, columns))
    # Blocks of rows: the images of a block, the projections of one step and
    # the accumulators (n_outputs values per row) each take about BLOCK_BYTES.
    widest = max(m.n_positions * min(m.n_columns, _MAX_COLUMNS) for m in planned)
    per_row = max(n_features, widest, n_outputs) * itemsize
    return Plan(
        perms,
        signs,
        pairs,
        tuple(planned),
        pooling,
        activation,
        offsets_in_product,
        max(1, BLOCK_BYTES // per_row),
    )
