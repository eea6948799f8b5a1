"""Throughput of the invariant transformers' transform against the memory floor.

The floor is one ``np.multiply(a, b, out=c)`` of two arrays of the input's size
into a preallocated output, timed in the same run: the least any map of the
form ``x_i * x_j`` can cost. ``transform`` also validates its input (a finite
check) and allocates its output, and it is timed with all of that included:
the operating system zeroing the fresh output's pages alone costs about 0.5x
of the floor. Target: ``transform`` within 1.5x of the floor for every kind.

The last two rows time ``GroupInvariantTransformer`` on the dihedral group
of the image times inversion (16 elements): ``kind="canonical"`` (target
within 3x of the floor) and ``kind="averaged"`` with neighbour pairs (target
2x). They are verified first: bitwise equal to the numpy functions of
``_group_maps`` and bitwise invariant under every element.

``transform`` splits large inputs over as many threads as scikit-learn's
OpenMP code would use (two on a two-core machine); the last column times it
limited to one thread with ``threadpoolctl``, against the same floor.

``--numpy`` times the pure-numpy kernels that run when the compiled one was
not built (no C compiler at install time).

Run: ``python benchmarks/bench_transform.py [--n-samples 100000] [--n-features 784]``
"""

import argparse

import numpy as np
from _timing import best_time
from threadpoolctl import threadpool_limits

from sk_symmetry import (
    GroupInvariantTransformer,
    InversionInvariantTransformer,
    SymmetryGroup,
)
from sk_symmetry.features import _feature_maps, _group_maps


def verify(transformer, X):
    """Check the result against the naive definition before timing anything."""
    rows = X[:500]
    expected = rows * rows[:, transformer.partners_]
    np.testing.assert_array_equal(transformer.transform(rows), expected)
    np.testing.assert_array_equal(transformer.transform(-rows), expected)


def verify_group(transformer, X):
    """Check against the numpy functions and for invariance before timing."""
    rows = X[:500]
    ours = transformer.transform(rows)
    expected = np.empty_like(ours)
    if transformer.kind == "canonical":
        signs = transformer._signs.astype(X.dtype)
        _group_maps.canonical_form(
            rows, transformer._perms, signs, transformer._V, expected
        )
    else:
        _group_maps.orbit_averages(rows, transformer.orbits_, expected)
    assert ours.tobytes() == expected.tobytes(), "not the numpy functions' bits"
    for g in transformer.group_:
        assert transformer.transform(g(rows)).tobytes() == ours.tobytes(), g.name


def transformers(X, image_shape):
    """``(label, fitted transformer, verify)`` for every timed row."""
    for kind in ("neighbor", "permutation", "square"):
        transformer = InversionInvariantTransformer(
            kind, image_shape=image_shape, random_state=0
        )
        yield kind, transformer.fit(X[:10]), verify
    if image_shape is None or image_shape[0] != image_shape[1]:
        return  # the dihedral group needs a square image
    group = SymmetryGroup.dihedral(image_shape) * SymmetryGroup.inversion()
    for kind in ("canonical", "averaged"):
        transformer = GroupInvariantTransformer(group, kind=kind, random_state=0)
        yield f"group {kind}", transformer.fit(X[:10]), verify_group


def bench_dtype(X, image_shape, repeat):
    """Print one line per kind; return the worst ratios (threads, one thread)
    of the inversion kinds and the ratios of the group ones."""
    a, b, c = X, X[::-1].copy(), np.empty_like(X)
    worst, worst_single, group_ratios = 0.0, 0.0, {}
    for kind, transformer, check in transformers(X, image_shape):
        check(transformer, X)
        floor = best_time(lambda: np.multiply(a, b, out=c), repeat)
        ours = best_time(lambda t=transformer: t.transform(X), repeat)
        with threadpool_limits(1):
            single = best_time(lambda t=transformer: t.transform(X), repeat)
        ratio = ours / floor
        if kind.startswith("group"):
            group_ratios[kind] = (ratio, single / floor)
        else:
            worst = max(worst, ratio)
            worst_single = max(worst_single, single / floor)
        gbps = 2 * X.nbytes / ours / 1e9  # bytes read from X and written out
        print(
            f"{X.dtype.name:8} {kind:16} {ours:12.4f} {floor:9.4f} "
            f"{ratio:6.2f} {gbps:6.1f} {single / floor:9.2f}"
        )
    return worst, worst_single, group_ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--numpy", action="store_true", help="time the numpy fallback kernels"
    )
    args = parser.parse_args()
    if args.numpy:  # as if the extensions were not built
        _feature_maps._products = None
        _group_maps._group_kernels = None
    side = int(round(np.sqrt(args.n_features)))
    image_shape = (side, side) if side * side == args.n_features else None

    rng = np.random.default_rng(0)
    kernels = "numpy fallback" if args.numpy else "compiled"
    print(
        f"{args.n_samples} x {args.n_features}, image_shape={image_shape}, "
        f"best of {args.repeat}, {kernels} kernels"
    )
    print(
        f"{'dtype':8} {'kind':16} {'transform s':>12} {'floor s':>9} "
        f"{'ratio':>6} {'GB/s':>6} {'1 thread':>9}"
    )
    worst, group_worst = np.zeros(2), {}
    for dtype in (np.float32, np.float64):
        X = rng.uniform(-1, 1, size=(args.n_samples, args.n_features)).astype(dtype)
        *ratios, group_ratios = bench_dtype(X, image_shape, args.repeat)
        worst = np.maximum(worst, ratios)
        for kind, ratio in group_ratios.items():
            group_worst[kind] = np.maximum(group_worst.get(kind, 0.0), ratio)
    print(
        f"worst ratio to the floor: {worst[0]:.2f}, on one thread {worst[1]:.2f} "
        "(target <= 1.5)"
    )
    targets = {"group canonical": 3.0, "group averaged": 2.0}
    for kind, (ratio, single) in group_worst.items():
        print(
            f"{kind}: worst ratio {ratio:.2f}, on one thread {single:.2f} "
            f"(target <= {targets[kind]})"
        )


if __name__ == "__main__":
    main()
