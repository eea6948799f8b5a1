"""Time of a training step of `InvariantCNNClassifier`'s network against its
matrix-product floor.

The network is the default one on 28 x 28 images under dihedral x inversion
(8 images per row with the even first layer), minibatches of 32 rows. The
floor is the time of the same matrix products alone (each convolution's
forward product, its weight gradient, its input gradient tap by tap, the
dense layers), on arrays of the same shapes, with nothing else: what an
implementation that did only the arithmetic on BLAS would take. Before
timing, the float32 gradient is checked against the float64 one.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_cnn.py [--steps 20]``.
"""

import argparse
import os
import time

import numpy as np

from sk_symmetry.neural_network._cnn_math import (
    init_params,
    loss_and_gradient,
    make_architecture,
)


def architecture():
    return make_architecture(
        (28, 28), (8, 16, 32, 32), 3, 1, "same", "max", "flatten", (64,), 10, "max",
        "relu", True, True,
    )


def matmul_floor(arch, n_images, n_rows, rng, steps):
    """Seconds per step of the products alone."""
    h, w = arch.image_shape
    products = []
    for (kh, kw, c, o), pool in zip(arch.conv, arch.pool, strict=True):
        rows = n_images * h * w
        cols = rng.standard_normal((rows, kh * kw * c), dtype=np.float32)
        W = rng.standard_normal((kh * kw * c, o), dtype=np.float32)
        dZ = rng.standard_normal((rows, o), dtype=np.float32)
        products.append((cols, W))          # forward
        products.append((cols.T, dZ))       # weight gradient
        if c > 1:
            tap = rng.standard_normal((o, c), dtype=np.float32)
            products.extend([(dZ, tap)] * (kh * kw))  # input gradient
        if pool is not None:
            h, w = h // pool[0], w // pool[1]
    fan_in = arch.dense[0][0]
    F = rng.standard_normal((n_images, fan_in), dtype=np.float32)
    for a, b in arch.dense:
        X = rng.standard_normal((n_rows, a), dtype=np.float32)
        D = rng.standard_normal((n_rows, b), dtype=np.float32)
        W = rng.standard_normal((a, b), dtype=np.float32)
        products += [(X, W), (X.T, D), (D, W.T)]
    products.append((F, rng.standard_normal((fan_in, 1), dtype=np.float32)))
    for A, B in products:  # warm up
        A @ B
    start = time.perf_counter()
    for _ in range(steps):
        for A, B in products:
            A @ B
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    arch = architecture()
    n_rows, m = 32, 8
    stack64 = rng.uniform(-1, 1, (n_rows * m, 784))
    Y = np.eye(10)[rng.integers(0, 10, n_rows)]
    params64 = init_params(arch, np.float64, rng)

    # verify: float32 against float64 on the same weights
    grad64 = np.empty_like(params64)
    loss64, _ = loss_and_gradient(params64, arch, stack64, Y, "log_loss", 1e-4,
                                  None, grad64)
    params = params64.astype(np.float32)
    stack, Y32 = stack64.astype(np.float32), Y.astype(np.float32)
    grad = np.empty_like(params)
    loss32, _ = loss_and_gradient(params, arch, stack, Y32, "log_loss", 1e-4,
                                  None, grad)
    scale = np.abs(grad64).max()
    assert abs(loss32 - loss64) < 1e-4 * abs(loss64), (loss32, loss64)
    assert np.abs(grad - grad64).max() < 1e-3 * scale
    print(f"verified: float32 loss and gradient match float64 "
          f"({arch.n_params} parameters)")

    for _ in range(2):  # warm up
        loss_and_gradient(params, arch, stack, Y32, "log_loss", 1e-4, None, grad)
    start = time.perf_counter()
    for _ in range(args.steps):
        loss_and_gradient(params, arch, stack, Y32, "log_loss", 1e-4, None, grad)
    step = (time.perf_counter() - start) / args.steps
    floor = matmul_floor(arch, n_rows * m, n_rows, rng, args.steps)
    epoch_steps = 4000 // n_rows
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, load "
          f"{os.getloadavg()[0]:.1f}; minibatch of {n_rows} rows x {m} images")
    print(f"step {step * 1e3:.1f} ms, matrix products alone {floor * 1e3:.1f} ms: "
          f"ratio {step / floor:.2f}")
    print(f"an epoch of 4,000 rows: {epoch_steps * step:.1f} s "
          f"(floor {epoch_steps * floor:.1f} s)")


if __name__ == "__main__":
    main()
