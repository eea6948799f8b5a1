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

``--against DIR`` times only ``kind="canonical"``, side by side with the
package of another checkout DIR (its kernels built in place, e.g. a worktree
of an older commit): each checkout in a worker process of its own, which
times one ``np.multiply(X, X)`` (a fresh output, as ``transform`` has) and
then ``transform`` on the same rows, best of ``--repeat`` calls, in wall
time and in CPU time of the process (all its threads; less disturbed by
other processes on a busy machine); the two alternate which goes first, for
``--rounds`` rounds and both dtypes. It prints the minimum and median over
the rounds of the time and of the ratio to the floor, and checks that both
outputs have the same bits.

Run: ``python benchmarks/bench_transform.py [--n-samples 100000] [--n-features 784]``
or ``python benchmarks/bench_transform.py --against ../old --rounds 7``
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

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


def canonical_worker():
    """``--worker``: read ``n_samples n_features dtype repeat`` lines, answer
    each with the floor's and ``transform``'s best times and the output's
    digest, as JSON. Only public names, which older checkouts have too."""
    group, data = None, {}
    for line in sys.stdin:
        n_samples, n_features, dtype, repeat = line.split()
        key = (int(n_samples), int(n_features), dtype)
        if key not in data:
            data.clear()  # one input at a time: 100,000 rows take 627 MB
            side = int(round(np.sqrt(key[1])))
            group = SymmetryGroup.dihedral((side, side)) * SymmetryGroup.inversion()
            rng = np.random.default_rng(0)
            X = rng.uniform(-1, 1, size=key[:2]).astype(dtype)
            with warnings.catch_warnings():  # `group` was renamed on main
                warnings.simplefilter("ignore", FutureWarning)
                model = GroupInvariantTransformer(group, random_state=0)
                data[key] = X, model.fit(X[:10])
        X, model = data[key]
        result = {"digest": hashlib.sha1(model.transform(X).tobytes()).hexdigest()}
        calls = {"floor": lambda X: np.multiply(X, X), "transform": model.transform}
        for name, call in calls.items():
            wall, cpu = [], []
            for _ in range(int(repeat)):
                start, start_cpu = time.perf_counter(), time.process_time()
                call(X)
                wall.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            result[name], result[name + " cpu"] = min(wall), min(cpu)
        print(json.dumps(result), flush=True)


def side_by_side(args):
    """The canonical transform of this checkout and of ``args.against``, in
    alternating rounds; prints one line per checkout and dtype."""
    checkouts = {
        "this": os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        "against": os.path.abspath(args.against),
    }
    workers = {
        name: subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": path},
        )
        for name, path in checkouts.items()
    }
    dtypes = ("float32", "float64")
    results = {(name, dtype): [] for name in workers for dtype in dtypes}
    for round_ in range(args.rounds):
        for dtype in dtypes:
            order = list(workers) if round_ % 2 == 0 else list(workers)[::-1]
            for name in order:
                worker = workers[name]
                worker.stdin.write(
                    f"{args.n_samples} {args.n_features} {dtype} {args.repeat}\n"
                )
                worker.stdin.flush()
                results[name, dtype].append(json.loads(worker.stdout.readline()))
    for worker in workers.values():
        worker.stdin.close()
        worker.wait()
    print(
        f"canonical transform, {args.n_samples} x {args.n_features}, dihedral x "
        f"inversion; {args.rounds} alternating rounds, each best of {args.repeat}; "
        "floor: np.multiply(X, X) in the same process"
    )
    print(
        f"{'checkout':32} {'dtype':8} {'min s':>7} {'median s':>8} {'ratio min':>9} "
        f"{'median':>6} {'CPU s min':>9} {'CPU ratio min':>13} {'median':>6}"
    )
    for (name, dtype), rounds in results.items():
        times = [r["transform"] for r in rounds]
        ratios = [r["transform"] / r["floor"] for r in rounds]
        cpu_ratios = [r["transform cpu"] / r["floor cpu"] for r in rounds]
        print(
            f"{checkouts[name]:32} {dtype:8} {min(times):7.4f} "
            f"{statistics.median(times):8.4f} {min(ratios):9.2f} "
            f"{statistics.median(ratios):6.2f} "
            f"{min(r['transform cpu'] for r in rounds):9.4f} "
            f"{min(cpu_ratios):13.2f} {statistics.median(cpu_ratios):6.2f}"
        )
    for dtype in dtypes:
        digests = {r["digest"] for name in workers for r in results[name, dtype]}
        same = "the same bits" if len(digests) == 1 else "DIFFERENT outputs"
        print(f"{dtype}: both checkouts give {same}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--numpy", action="store_true", help="time the numpy fallback kernels"
    )
    parser.add_argument(
        "--against",
        metavar="DIR",
        help="time the canonical transform side by side with the checkout DIR",
    )
    parser.add_argument(
        "--rounds", type=int, default=7, help="alternating rounds of --against"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return canonical_worker()
    if args.against:
        return side_by_side(args)
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
