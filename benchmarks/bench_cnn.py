"""Time of a training step of `InvariantCNNClassifier`'s network against its
matrix-product floor.

The network is the default one on 28 x 28 images under dihedral x inversion
(8 images per row with the even first layer), minibatches of 32 rows, in
float32, as a fit runs it (one `Workspace` for all steps).

The floor is the time of the step's matrix products alone, on arrays of the
same shapes holding nothing but random numbers: per convolution the forward
product (receptive fields times kernel matrix), the weight gradient and,
after the first one, the input gradient as one product with the whole kernel
matrix; per dense layer its forward product, weight gradient and input
gradient. Counted generously for the products: their outputs are allocated
once, outside the timing; every block of images has its own arrays, as in
a step, and the floor is the best over blocks of 16 to 256 images (small
blocks stay in cache). The previous floor of this script ran the input
gradient tap by tap (nine thin products, up to five times as slow as one)
and allocated every output anew (a page fault per 4 KiB); it is printed too.

Step and floor are timed in alternating rounds in one process, CPU time,
best of the rounds (the machine is shared). Before timing, the float32
gradient is checked against the float64 one, and the compiled passes
(``_cnn_kernels.c``) against the numpy path, bit for bit.

``--epoch`` also times one epoch of the estimator itself (``partial_fit`` on
4,000 rows of random images) against 125 floors (4,000 / 32 steps).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_cnn.py [--rounds 10] [--epoch]``.
"""

import argparse
import os
import time

import numpy as np

from sk_symmetry.neural_network import _cnn_layers
from sk_symmetry.neural_network._cnn_math import (
    init_params,
    loss_and_gradient,
    make_architecture,
)

N_ROWS, M = 32, 8  # a minibatch: rows, images per row


def architecture():
    return make_architecture(
        (28, 28), (8, 16, 32, 32), 3, 1, "same", "max", "flatten", (64,), 10, "max",
        "relu", True, True,
    )


def products(arch, n_images, block, rng, taps=False):
    """The step's products on ``n_images`` images in blocks of ``block``: a
    list of ``(A, B, out)``, every block with arrays of its own."""
    out = []
    for start in range(0, n_images, block):
        n = min(block, n_images - start)
        h, w = arch.image_shape
        for (kh, kw, c, o), pool in zip(arch.conv, arch.pool, strict=True):
            rows = n * h * w
            cols = rng.standard_normal((rows, kh * kw * c), dtype=np.float32)
            W = rng.standard_normal((kh * kw * c, o), dtype=np.float32)
            dZ = rng.standard_normal((rows, o), dtype=np.float32)
            out.append((cols, W))               # forward
            out.append((cols.T, dZ))            # weight gradient
            if c > 1 and taps:
                tap = rng.standard_normal((o, c), dtype=np.float32)
                out.extend([(dZ, tap)] * (kh * kw))
            elif c > 1:
                out.append((dZ, W.T))           # input gradient
            if pool is not None:
                h, w = h // pool[0], w // pool[1]
    for a, b in arch.dense:
        X = rng.standard_normal((N_ROWS, a), dtype=np.float32)
        D = rng.standard_normal((N_ROWS, b), dtype=np.float32)
        W = rng.standard_normal((a, b), dtype=np.float32)
        out += [(X, W), (X.T, D), (D, W.T)]
    return [(A, B, None if taps else np.empty((A.shape[0], B.shape[1]), np.float32))
            for A, B in out]


def run_products(prods):
    for A, B, out in prods:
        if out is None:
            A @ B
        else:
            np.matmul(A, B, out=out)


def cpu_time(func):
    start = time.process_time()
    func()
    return time.process_time() - start


def verify(arch, rng):
    stack64 = rng.uniform(-1, 1, (N_ROWS * M, 784))
    Y = np.eye(10)[rng.integers(0, 10, N_ROWS)]
    params64 = init_params(arch, np.float64, rng)
    grad64 = np.empty_like(params64)
    loss64, _ = loss_and_gradient(params64, arch, stack64, Y, "log_loss", 1e-4,
                                  None, grad64)
    params = params64.astype(np.float32)
    stack, Y32 = stack64.astype(np.float32), Y.astype(np.float32)
    grad = np.empty_like(params)
    loss32, _ = loss_and_gradient(params, arch, stack, Y32, "log_loss", 1e-4,
                                  None, grad)
    assert abs(loss32 - loss64) < 1e-4 * abs(loss64), (loss32, loss64)
    assert np.abs(grad - grad64).max() < 1e-3 * np.abs(grad64).max()
    print(f"verified: float32 loss and gradient match float64 "
          f"({arch.n_params} parameters)")
    kernels = _cnn_layers._cnn_kernels
    if kernels is not None:
        _cnn_layers._cnn_kernels = None
        try:
            numpy_grad = np.empty_like(params)
            loss_np, _ = loss_and_gradient(params, arch, stack, Y32, "log_loss",
                                           1e-4, None, numpy_grad)
        finally:
            _cnn_layers._cnn_kernels = kernels
        assert loss_np == loss32 and np.array_equal(numpy_grad, grad)
        print("verified: the compiled passes give the numpy path's loss and "
              "gradient bit for bit")
    else:
        print("the compiled passes are not built (or SK_SYMMETRY_NO_KERNELS is set): "
              "timing the numpy path")
    return params, stack, Y32


def time_epoch(floor):
    from sk_symmetry import InvariantCNNClassifier, SymmetryGroup

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (4000, 784)).astype(np.float32)
    y = rng.integers(0, 10, 4000)
    group = SymmetryGroup.dihedral((28, 28)) * SymmetryGroup.inversion()
    model = InvariantCNNClassifier(group, image_shape=(28, 28), trunk="orbit",
                                   random_state=0)
    seconds = cpu_time(lambda: model.partial_fit(X, y, classes=np.arange(10)))
    steps = -(-4000 // N_ROWS)
    print(f"one epoch of InvariantCNNClassifier.partial_fit on 4,000 rows: "
          f"{seconds:.2f} s CPU, {steps} floors {steps * floor:.2f} s: "
          f"ratio {seconds / (steps * floor):.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--epoch", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    arch = architecture()
    params, stack, Y = verify(arch, rng)
    grad = np.empty_like(params)
    extra = {"workspace": _cnn_layers.Workspace()}

    def step():
        loss_and_gradient(params, arch, stack, Y, "log_loss", 1e-4, None, grad,
                          **extra)

    blocks = (16, 32, 64, 128, 256)
    floors = {block: products(arch, N_ROWS * M, block, rng) for block in blocks}
    old_floor = products(arch, N_ROWS * M, N_ROWS * M, rng, taps=True)
    step()
    best = {"step": np.inf, "old": np.inf, **{b: np.inf for b in blocks}}
    for _ in range(args.rounds):
        best["step"] = min(best["step"], cpu_time(step))
        for block, prods in floors.items():
            best[block] = min(best[block], cpu_time(lambda p=prods: run_products(p)))
        best["old"] = min(best["old"], cpu_time(lambda: run_products(old_floor)))
    block = min(blocks, key=best.get)
    floor, step_time = best[block], best["step"]
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, load "
          f"{os.getloadavg()[0]:.1f}; minibatch of {N_ROWS} rows x {M} images; "
          f"CPU time, best of {args.rounds} rounds")
    print("floor by block: " + ", ".join(
        f"{b} images {best[b] * 1e3:.1f} ms" for b in blocks))
    print(f"step {step_time * 1e3:.1f} ms, matrix products alone {floor * 1e3:.1f} ms "
          f"(blocks of {block}): ratio {step_time / floor:.2f}")
    print(f"against the previous floor ({best['old'] * 1e3:.1f} ms): ratio "
          f"{step_time / best['old']:.2f}")
    print(f"an epoch of 4,000 rows: {125 * step_time:.1f} s "
          f"(floor {125 * floor:.1f} s)")
    if args.epoch:
        time_epoch(floor)


if __name__ == "__main__":
    main()
