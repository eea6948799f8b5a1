"""Speed and memory of `InvariantRandomFeatures.transform` against a BLAS floor.

28 x 28 images (scikit-learn's digits, upscaled) under the dihedral group of
the square times inversion (16 elements), with whole-image weights and with
5 x 5 patches (576 valid positions). Each row is verified first (bitwise
invariance under the 16 elements, and agreement with a plain numpy
computation of the definition), then timed.

The floor is the matrix product of a plain implementation: every one of the
16 images (or its patches) times the weights, inner dimension 784 (or 25)
and ``n_components`` columns, as ``np.matmul(A, W, out=C)`` on blocks of
4,096 rows into a preallocated output, timed in the same run. The group
holds ``-g`` with each ``g``, so ``transform`` multiplies one image of each
pair ``{v, -v}`` (half the floor's products) and pools ``sigma(b + z)`` and
``sigma(b - z)``; it adds the gathers of the images, the offsets, the
activation, the pooling and its own validation. Target: within 1.5x of the floor on one
thread (``threadpoolctl``); the "default" column lets both use every core.

``--memory`` runs the memory check instead: in a fresh subprocess, the peak
resident memory (``ru_maxrss``) of transforming 20,000 x 784 float64 rows
with 2,000 components under the 16 elements, minus the input and output.

Run: ``python benchmarks/bench_random_features.py [--n-samples 256]
[--n-components 2000]`` and ``python benchmarks/bench_random_features.py
--memory``.
"""

import argparse
import subprocess
import sys

import numpy as np
from _timing import best_time
from scipy.ndimage import zoom
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_limits

from sk_symmetry import InvariantRandomFeatures, SymmetryGroup


def digits_28(n_samples):
    """scikit-learn's 8 x 8 digits upscaled to 28 x 28, in [-1, 1]."""
    images = load_digits().images[:n_samples] / 8.0 - 1.0
    big = zoom(images, (1, 3.5, 3.5), order=1)
    return np.ascontiguousarray(big.reshape(len(images), 784))


def verify(irf, X):
    """Bitwise invariance, then the definition in plain numpy (3 rows)."""
    Z = irf.transform(X)
    for g in irf.group_:
        assert irf.transform(g(X)).tobytes() == Z.tobytes(), g.name
    rows = X[:3].astype(np.float64)
    W, b = irf.random_weights_[0], irf.random_offset_
    patch = irf.patches_[0][0]
    for i, x in enumerate(rows):
        values = []
        for g in irf.group_:
            img = g(x[None])[0]
            if patch is None:
                values.append(np.maximum(img @ W + b, 0)[None])
            else:
                grid = img.reshape(28, 28)
                windows = np.lib.stride_tricks.sliding_window_view(grid, patch)
                values.append(np.maximum(windows.reshape(-1, 25) @ W + b, 0))
        expected = np.concatenate(values).mean(axis=0)
        np.testing.assert_allclose(Z[i], expected, rtol=1e-4 if X.dtype == np.float32
                                   else 1e-10, atol=1e-5)


def floor(n_rows, inner, n_components, dtype, repeat):
    """``n_rows x inner`` times ``inner x n_components`` in blocks of 4,096 rows."""
    rng = np.random.default_rng(0)
    block = 4096
    A = rng.standard_normal((block, inner)).astype(dtype)
    W = rng.standard_normal((inner, n_components)).astype(dtype)
    C = np.empty((block, n_components), dtype=dtype)
    n_blocks, rest = divmod(n_rows, block)

    def run():
        for _ in range(n_blocks):
            np.matmul(A, W, out=C)
        if rest:
            np.matmul(A[:rest], W, out=C[:rest])

    return best_time(run, repeat)


def bench(n_samples, n_components, repeat):
    G = SymmetryGroup.dihedral((28, 28)) * SymmetryGroup.inversion()
    X64 = digits_28(max(n_samples, 16))
    rows = []
    for label, patch, n in (("whole image", None, n_samples), ("5 x 5 patches", 5,
                                                              max(4, n_samples // 16))):
        irf = InvariantRandomFeatures(
            G, n_components, patch_shape=patch, random_state=0
        ).fit(X64)
        n_positions = 1 if patch is None else 24 * 24
        inner = 784 if patch is None else 25
        for dtype in (np.float64, np.float32):
            X = X64[:n].astype(dtype)
            verify(irf, X[:16])
            times = []
            for limit in (1, None):
                # threadpoolctl limits BLAS and OpenMP: transform shares its
                # blocks of rows among as many threads as OpenMP may use.
                with threadpool_limits(limit):
                    ours = best_time(lambda X=X, t=irf: t.transform(X), repeat)
                    base = floor(n * len(G) * n_positions, inner, n_components,
                                 dtype, repeat)
                times.append((ours, base))
            rows.append((label, np.dtype(dtype).name, n, times))
    print(f"InvariantRandomFeatures.transform, 28 x 28, |G| = {len(G)}, "
          f"n_components = {n_components}; ratio = transform / matmul floor")
    header = (f"{'weights':<15}{'dtype':<9}{'rows':>6}  {'1 thread':>22}  "
              f"{'default threads':>22}")
    print(header)
    for label, dtype, n, times in rows:
        cells = [f"{o:7.3f}s / {b:7.3f}s = {o / b:4.2f}x" for o, b in times]
        print(f"{label:<15}{dtype:<9}{n:>6}  {cells[0]:>22}  {cells[1]:>22}")


_MEMORY_CHILD = """
import resource, sys
import numpy as np
from sk_symmetry import InvariantRandomFeatures, SymmetryGroup
G = SymmetryGroup.dihedral((28, 28)) * SymmetryGroup.inversion()
X = np.random.default_rng(0).uniform(-1, 1, size=(20_000, 784))
irf = InvariantRandomFeatures(G, 2000, random_state=0).fit(X[:100])
out = np.empty((20_000, 2000))
out[:] = 0.0  # touch the output's pages before the baseline
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
Z = irf.transform(X)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after, Z.nbytes)
"""


def memory():
    """Peak resident memory of the transform beyond input and output."""
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD], capture_output=True, text=True,
        check=True,
    )
    before, after, out_bytes = (int(v) for v in done.stdout.split())
    # ru_maxrss is in KiB on Linux. The baseline already holds X and an
    # output-sized array; transform allocates its own output (out_bytes).
    extra = (after - before) * 1024 - out_bytes
    print("transform of 20,000 x 784 float64, 2,000 components, 16 elements")
    print(f"peak RSS before {before / 1024:.0f} MiB, after {after / 1024:.0f} MiB; "
          f"output {out_bytes / 2**20:.0f} MiB; extra working set "
          f"{max(extra, 0) / 2**20:.1f} MiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-samples", type=int, default=256)
    parser.add_argument("--n-components", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    if args.memory:
        memory()
    else:
        bench(args.n_samples, args.n_components, args.repeat)


if __name__ == "__main__":
    main()
