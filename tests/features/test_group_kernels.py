"""The compiled kernels of GroupInvariantTransformer (_group_kernels.c) give
the numpy functions' results to the bit, on any group, shape, dtype and number
of threads; and they find non-finite input."""

from unittest import mock

import numpy as np
import pytest
from group_strategies import groups_and_data
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_symmetry import GroupInvariantTransformer, SymmetryGroup
from sk_symmetry.features import _group_maps
from sk_symmetry.features._group_maps import (
    canonical_form,
    compiled_canonical_form,
    compiled_orbit_averages,
    orbit_averages,
    sorting_network,
)

S = SymmetryGroup

# Tests of the kernels themselves; they skip when SK_SYMMETRY_NO_KERNELS=1
# (CI's second run, of the numpy fallbacks) or when they were not built.
needs_kernels = pytest.mark.skipif(
    _group_maps._group_kernels is None, reason="compiled kernels off or not built"
)


def _both(compiled, numpy, n_threads):
    """Run the compiled and numpy versions, every thread given some rows."""
    with mock.patch.object(_group_maps, "_MIN_BYTES_PER_THREAD", 1):
        ours = compiled(n_threads)
    assert ours is not None, "the compiled kernel did not run"
    return ours, numpy()


@needs_kernels
@settings(max_examples=100, deadline=None)
@given(
    groups_and_data(max_features=12, max_rows=30),
    st.sampled_from(["moments", "random"]),
    st.integers(0, 5),
    st.integers(1, 3),
    st.sampled_from([1 << 21, 64]),
)
def test_compiled_canonical_form_is_numpys_to_the_bit(
    group_and_data, projection, seed, n_threads, block_bytes
):
    group, X = group_and_data
    t = GroupInvariantTransformer(group, projection=projection, random_state=seed)
    t.fit(X)
    perms = np.stack([g.perm for g in t.group_])
    signs = np.stack([g.sign for g in t.group_]).astype(X.dtype)
    ours, theirs = np.empty_like(X), np.empty_like(X)
    # Small blocks: several blocks per thread, and a short last one.
    with mock.patch.object(_group_maps, "_BLOCK_BYTES", block_bytes):
        n_unsettled, _ = _both(
            lambda k: compiled_canonical_form(X, perms, signs, t._V, ours, k),
            lambda: canonical_form(X, perms, signs, t._V, theirs),
            n_threads,
        )
    assert n_unsettled == 0
    assert ours.tobytes() == theirs.tobytes()
    # The range check's peak, found in the kernel's own pass: max |X|
    # whenever that exceeds the limit (lowered here, as if X were huge).
    high = np.abs(X).max()
    for limit in (0.0, np.median(np.abs(X)), high, np.finfo(X.dtype).max):
        peak = np.full(1, -1.0, dtype=X.dtype)
        lowered = mock.patch.object(
            _group_maps, "canonical_limit", mock.Mock(return_value=limit)
        )
        with lowered:
            compiled_canonical_form(X, perms, signs, t._V, ours, n_threads, peak=peak)
        if high > limit:
            assert peak[0] == high
        else:
            assert 0 <= peak[0] <= limit


@needs_kernels
@settings(max_examples=100, deadline=None)
@given(
    groups_and_data(max_features=12, max_rows=30),
    st.sampled_from(["neighbor", "square", "permutation", "all"]),
    st.integers(0, 5),
    st.integers(1, 3),
)
def test_compiled_orbit_averages_are_numpys_to_the_bit(
    group_and_data, pairs, seed, n_threads
):
    group, X = group_and_data
    t = GroupInvariantTransformer(
        group, kind="averaged", pairs=pairs, random_state=seed
    )
    try:
        t.fit(X)
    except ValueError as error:  # every average vanishes
        assert "vanishes" in str(error)
        return
    shape = (X.shape[0], len(t.orbits_))
    ours, theirs = np.empty(shape, X.dtype), np.empty(shape, X.dtype)
    finite, _ = _both(
        lambda k: compiled_orbit_averages(X, t.orbits_, ours, k),
        lambda: orbit_averages(X, t.orbits_, theirs),
        n_threads,
    )
    assert finite is True
    assert ours.tobytes() == theirs.tobytes()


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "group",
    [
        S.dihedral((6, 6)) * S.inversion(),  # orbits of 4 and 8 terms
        S.translations((3, 4)),  # 12 terms: the kernel's general sort
        # a shift that flips one sign: order 12, signed terms
        S([(np.roll(np.arange(6), 1), [-1, 1, 1, 1, 1, 1], "twist")]),
    ],
    ids=["dihedral", "translations", "signed"],
)
@pytest.mark.parametrize("pairs", ["neighbor", "permutation", "all"])
def test_compiled_kernels_match_numpy_on_larger_groups(dtype, group, pairs):
    n = group.n_features
    X = np.random.default_rng(0).normal(size=(300, n)).astype(dtype)
    X[::7] = np.round(X[::7])  # ties between terms and between images
    X[::11, : n // 2] = 0.0
    t = GroupInvariantTransformer(group, kind="averaged", pairs=pairs, random_state=0)
    try:
        t.fit(X)
    except ValueError as error:
        assert "vanishes" in str(error)
    else:
        ours = np.empty((300, len(t.orbits_)), dtype)
        theirs = np.empty_like(ours)
        for avx2 in (True, False):  # rows or orbits as lanes: the same bits
            with mock.patch.object(_group_maps, "_avx2", avx2):
                assert compiled_orbit_averages(X, t.orbits_, ours, 2) is True
            orbit_averages(X, t.orbits_, theirs)
            assert ours.tobytes() == theirs.tobytes()
    c = GroupInvariantTransformer(group, random_state=0).fit(X)
    perms = np.stack([g.perm for g in c.group_])
    signs = np.stack([g.sign for g in c.group_]).astype(dtype)
    ours, theirs = np.empty_like(X), np.empty_like(X)
    assert compiled_canonical_form(X, perms, signs, c._V, ours, 2) == 0
    canonical_form(X, perms, signs, c._V, theirs)
    assert ours.tobytes() == theirs.tobytes()


@pytest.mark.parametrize("n", range(17))
def test_sorting_network_sorts_every_zero_one_input(n):
    """A comparator network sorts everything if it sorts all 0-1 inputs."""
    network = sorting_network(n)
    rows = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    for i, j in network:
        lo, hi = np.minimum(rows[:, i], rows[:, j]), np.maximum(rows[:, i], rows[:, j])
        rows[:, i], rows[:, j] = lo, hi
    assert (np.diff(rows, axis=1) >= 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["canonical", "averaged"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_input_is_refused_by_name(dtype, kind, bad):
    # The kernels find non-finite values as they go; each position is tried.
    G = S.dihedral((3, 3)) * S.inversion()
    X = np.random.default_rng(0).uniform(-1, 1, size=(4, 9)).astype(dtype)
    t = GroupInvariantTransformer(G, kind=kind, random_state=0).fit(X)
    for row, col in np.ndindex(X.shape):
        X_bad = X.copy()
        X_bad[row, col] = bad
        with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
            t.transform(X_bad)


def test_a_feature_in_no_orbit_is_still_checked():
    # Under x0 -> -x0, x0 * x1 and x2 * x0 average to zero: x0 is in no
    # orbit, so the kernel never reads it; transform checks it anyway.
    flip0 = S([(np.arange(3), [-1, 1, 1], "flip0")])
    X = np.ones((2, 3))
    t = GroupInvariantTransformer(flip0, kind="averaged").fit(X)
    assert all(0 not in np.concatenate(o[:2]) for o in t.orbits_)
    X[1, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        t.transform(X)


@needs_kernels
def test_scores_that_overflow_are_settled_by_numpy():
    # Finite input whose scores overflow float32: the kernel leaves the rows
    # to the numpy code, and the result is still numpy's (a safety net: the
    # transformer refuses such input before either runs).
    X = np.full((3, 4), 1e38, dtype=np.float32)
    X[1] *= -1
    G = S.mirror((2, 2)) * S.inversion()
    with np.errstate(over="ignore", invalid="ignore"):  # fit's finite check
        t = GroupInvariantTransformer(G, projection=np.arange(1.0, 5.0)).fit(X)
    perms = np.stack([g.perm for g in t.group_])
    signs = np.stack([g.sign for g in t.group_]).astype(X.dtype)
    ours, theirs = np.empty_like(X), np.empty_like(X)
    with np.errstate(over="ignore", invalid="ignore"):
        assert compiled_canonical_form(X, perms, signs, t._V, ours, 1) == 3
        canonical_form(X, perms, signs, t._V, theirs)
    assert ours.tobytes() == theirs.tobytes()
    # The transformer refuses such X (issue 18: the image chosen depended on g).
    with pytest.raises(ValueError, match="would overflow float32"):
        t.transform(X)


def test_kernels_are_built_and_check_their_arguments():
    # CI builds the extension (setup.py); without it numpy runs, slowly.
    from sk_symmetry.features import _group_kernels as k

    Xc = np.ones((2, 3))
    Xc[1, 2] = 5.0
    codes = np.array([[0, 1, 2]], dtype=np.uint32)
    plan = k.canonical_plan(codes, 3, 1)
    scores, best, out = np.zeros((2, 1)), np.empty(2, np.int32), np.empty((2, 3))
    peak = np.empty(1)
    # peak: max |x| of the rows whose sum |x| exceeds the limit (the last)
    assert k.canonical(Xc, scores, plan, out, best, peak, 2, 8, 1e-12, 3.0) == 0
    assert peak[0] == 5.0
    assert k.canonical(Xc, scores, plan, out, best, peak, 2, 8, 1e-12, 7.0) == 0
    assert peak[0] == 0.0
    with pytest.raises(ValueError, match="index out of range"):
        k.canonical_plan(codes + 3, 3, 1)
    with pytest.raises(ValueError, match="buffer sizes"):
        k.canonical_plan(codes, 2, 1)
    with pytest.raises(ValueError, match="shapes out of range"):
        k.canonical_plan(codes, 3, 0)
    with pytest.raises(ValueError, match="plan must be made by canonical_plan"):
        k.canonical(Xc, scores, codes, out, best, peak, 2, 8, 1e-12, 3.0)
    with pytest.raises(ValueError, match="buffer sizes"):
        k.canonical(Xc, scores, plan, out, best, peak, 3, 8, 1e-12, 3.0)
    with pytest.raises(ValueError, match="buffer sizes"):
        k.canonical(Xc, scores, plan, out, best, peak[:0], 2, 8, 1e-12, 3.0)
    with pytest.raises(ValueError, match="itemsize"):
        k.canonical(Xc, scores, plan, out, best, peak, 2, 2, 1e-12, 3.0)
    X = np.ones((2, 3))
    plan = np.array([[2, 1, 1]], dtype=np.int64)
    left, right = np.array([0, 1], np.uint32), np.array([1, 2], np.uint32)
    column, network = np.array([0], np.uint32), np.array([0, 1], np.uint32)
    no_steps = np.empty(0, np.int64)
    args = (plan, no_steps, left, right, column, network)
    out = np.empty((2, 1))
    assert k.averages(X, out, *args, 2, 3, 1, 8) is True
    np.testing.assert_array_equal(out, 1.0)
    shape = (2, 3, 1, 8)
    with pytest.raises(ValueError, match="index out of range"):
        k.averages(X, out, plan, no_steps, left, right + 1, column, network, *shape)
    with pytest.raises(ValueError, match="comparator out of range"):
        k.averages(X, out, plan, no_steps, left, right, column, network + 1, *shape)
    with pytest.raises(ValueError, match="step out of range"):
        k.averages(X, out, plan, np.array([3]), left, left[:0], column, network, *shape)
    with pytest.raises(ValueError, match="plan"):
        k.averages(X, out, plan * 2, no_steps, left, right, column, network, *shape)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "group",
    [
        S.dihedral((28, 28)) * S.inversion(),  # the benchmark's group
        S.dihedral((5, 5)),  # 25 features: transposed tiles and a remainder
        S.rotations((10, 10)) * S.inversion(),  # runs of 10: tiles and a rest
        S.mirror((3, 7)) * S.inversion(),  # fewer features than a tile
        S.translations(9),  # a ring: 9 terms, the general sort
    ],
    ids=["dihedral28", "dihedral5", "rotations10", "mirror", "ring"],
)
@pytest.mark.parametrize("n_samples", [1, 7, 8, 9, 21])
def test_kernels_match_numpy_on_images(dtype, group, n_samples):
    """Averages with blocks of rows as vector lanes (AVX2), whole and partial
    blocks; canonical forms copied by runs of evenly spaced sources (mirrors
    and turns of an image: vector copies, 4 x 4 tiles and their rest) or
    value by value (small images)."""
    n = group.n_features
    X = np.random.default_rng(n_samples).normal(size=(n_samples, n)).astype(dtype)
    X[::3] = np.round(X[::3])  # ties between terms, and signed zeros
    X[::2, ::2] = -0.0
    t = GroupInvariantTransformer(group, kind="averaged", random_state=0).fit(X)
    ours = np.empty((n_samples, len(t.orbits_)), dtype)
    theirs = np.empty_like(ours)
    assert compiled_orbit_averages(X, t.orbits_, ours) is True
    orbit_averages(X, t.orbits_, theirs)
    assert ours.tobytes() == theirs.tobytes()
    # every element chosen by some row: the orbit of the rows
    X = np.ascontiguousarray(np.concatenate([g(X) for g in group]), dtype)
    c = GroupInvariantTransformer(group, projection="random", random_state=0).fit(X)
    perms = np.stack([g.perm for g in c.group_])
    signs = np.stack([g.sign for g in c.group_]).astype(dtype)
    ours, theirs = np.empty_like(X), np.empty_like(X)
    canonical_form(X, perms, signs, c._V, theirs)
    for avx2 in (True, False):  # the margins' sums with AVX2 or SSE2
        with mock.patch.object(_group_maps, "_avx2", avx2):
            assert compiled_canonical_form(X, perms, signs, c._V, ours) == 0
        assert ours.tobytes() == theirs.tobytes()


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("avx2", [True, False], ids=["avx2", "sse2"])
def test_the_margins_sum_is_numpys_to_the_bit(dtype, avx2):
    """The kernel's sum |x| (of a row's rounding margin) has the bits of
    numpy's pairwise sum, for lengths around its blocks of 8 and 128. The
    kernel's peak tells: only rows whose sum exceeds the limit are looked
    at. Values over many scales, so that another order would round
    differently (a sequential sum differs on about half of these rows)."""
    from sk_symmetry.features import _group_kernels as k

    rng = np.random.default_rng(0)
    for n in [*range(1, 40), 127, 128, 129, 255, 256, 300, 784, 1000]:
        x = rng.lognormal(sigma=3, size=(1, n)) * rng.choice([-1, 1], size=n)
        x = x.astype(dtype)
        total = np.abs(x).sum(axis=1)[0]
        plan = k.canonical_plan(np.arange(n, dtype=np.uint32), n, 1)
        scores, best, out = np.zeros((1, 1), dtype), np.empty(1, np.int32), x * 0
        peak = np.empty(1, dtype)
        below = np.nextafter(total, -np.inf, dtype=dtype)
        for limit, expected in ((total, 0.0), (below, np.abs(x).max())):
            args = (1, x.itemsize, 0.0, float(limit), avx2)
            assert k.canonical(x, scores, plan, out, best, peak, *args) == 0
            assert peak[0] == expected, (n, limit)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_canonical_range_check_with_and_without_the_kernel(compiled, dtype):
    """The kernel's max |X| refuses the same X as the numpy pass did, and a
    NaN is still named before the range."""
    G = S.dihedral((3, 3)) * S.inversion()
    X = np.random.default_rng(0).uniform(-1, 1, size=(5, 9)).astype(dtype)
    t = GroupInvariantTransformer(G, random_state=0).fit(X)
    limit = np.finfo(dtype).max / (4 * 9)
    kernels = _group_maps._group_kernels if compiled else None
    if compiled and kernels is None:  # pragma: no cover
        pytest.skip("the compiled kernel is not built")
    with mock.patch.object(_group_maps, "_group_kernels", kernels):
        for sign in (1, -1):
            at_limit = X.copy()
            at_limit[3, 4] = sign * limit
            t.transform(at_limit)  # accepted
            above = X.copy()
            above[3, 4] = sign * np.nextafter(limit, np.inf, dtype=dtype)
            with pytest.raises(ValueError, match="would overflow"):
                t.transform(above)
            above[0, 0] = np.nan
            with pytest.raises(ValueError, match="Input X contains NaN"):
                t.transform(above)
