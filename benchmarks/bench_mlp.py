"""Benchmark `BiaslessMLPClassifier` against `MLPClassifier`, `BiaslessMLPRegressor`
against `MLPRegressor`.

The paper's data (shifted digits, per-column scaling, ``train_test_split(
test_size=0.2, random_state=0)``) and model ((10, 5) tanh, ``alpha=1e-5``,
``random_state=1``), for L-BFGS (200 iterations) and Adam (200 epochs).

1. Verify: fit each model once; the test accuracies must agree within 0.01.
2. Time: fit ours and theirs alternately ``--repeats`` times, report medians
   and the ratio ours / theirs, once with each library's own BLAS threading
   and once with both forced to one BLAS thread (target <= 0.3 there).
3. Memory: the peak of `tracemalloc` during one fit of each (target: ours no
   more than theirs). numpy reports its buffers to tracemalloc.
4. One L-BFGS iteration of ours against the floor of that iteration's matrix
   products alone (the same products with preallocated outputs, best of one
   and all BLAS threads), target within 2x; ``--repeats`` runs, alternating
   the compiled element-wise passes (``_mlp_kernels.c``) with the numpy path
   they replace, medians reported.
5. The regressor: magnetization per spin of 2D Ising configurations
   (``make_ising(L, 9 temperatures from 1.5 to 3.5, 400 each,
   random_state=0)`` for L = 8 and 16, i.e. 64 and 256 features, split
   80/20 with ``random_state=0``), the same (10, 5)
   tanh network, ``alpha=1e-5``, ``random_state=1``, L-BFGS (200
   iterations) and Adam (200 epochs). Verify that ours with biases and
   `MLPRegressor` agree on the test R^2 within 0.01 and that ours without
   biases is odd to the last bit; then time ours (with and without biases)
   and `MLPRegressor` alternately, on one BLAS thread and with each
   library's own threading (target: ratio ours / theirs <= 0.5, met, as for
   the classifier, with each library's own threading). The wider the input,
   the more of an L-BFGS fit is the first layer's two matrix products, which
   both libraries compute alike: the script times the products of one
   evaluation (``matmul_floor``) times the number of evaluations
   `MLPRegressor` made, as a fraction of its one-thread fit.

Usage::

    python benchmarks/bench_mlp.py [--repeats 5] [--only classifier|regressor]
"""

import argparse
import contextlib
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings

import numpy as np
import scipy
import scipy.optimize
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_info, threadpool_limits

from sk_symmetry import (
    BiaslessMLPClassifier,
    BiaslessMLPRegressor,
    load_shifted_digits,
    make_ising,
)
from sk_symmetry.neural_network import _mlp_math
from sk_symmetry.neural_network._mlp_math import (
    loss_and_gradient,
    make_layout,
    make_workspace,
    unpack,
)

HIDDEN = (10, 5)


def models(solver):
    params = dict(solver=solver, alpha=1e-5, max_iter=200, random_state=1)
    ours = BiaslessMLPClassifier(HIDDEN, "tanh", fit_bias=True, **params)
    theirs = MLPClassifier(HIDDEN, "tanh", **params)
    return {"ours": ours, "sklearn": theirs}


def regressors(solver):
    params = dict(solver=solver, alpha=1e-5, max_iter=200, random_state=1)
    return {
        "ours": BiaslessMLPRegressor(HIDDEN, "tanh", fit_bias=True, **params),
        "ours_nobias": BiaslessMLPRegressor(HIDDEN, "tanh", **params),
        "sklearn": MLPRegressor(
            hidden_layer_sizes=HIDDEN, activation="tanh", **params),
    }


def timed_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - start


def peak_fit_memory(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tracemalloc.start()
        model.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def alternate_timings(solver, X, y, repeats, threads, make=models):
    names = list(make(solver))
    times = {name: [] for name in names}
    with threadpool_limits(threads):
        for r in range(repeats):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                times[name].append(timed_fit(make(solver)[name], X, y))
    return {name: statistics.median(t) for name, t in times.items()}


def matmul_floor(X, coefs, repeats=200):
    """Seconds for the matrix products of one loss-and-gradient evaluation."""
    n = X.shape[0]
    acts = [np.empty((n, W.shape[1])) for W in coefs]
    deltas = [np.empty((n, W.shape[0])) for W in coefs[1:]]
    grads = [np.empty_like(W) for W in coefs]

    def products():
        A = X
        for W, out in zip(coefs, acts, strict=True):
            np.matmul(A, W, out=out)
            A = out
        for i in range(len(coefs) - 1, -1, -1):
            A_prev = X if i == 0 else acts[i - 1]
            delta = acts[-1] if i == len(coefs) - 1 else deltas[i]
            np.matmul(A_prev.T, delta, out=grads[i])
            if i > 0:
                np.matmul(delta, coefs[i].T, out=deltas[i - 1])

    seconds = {}
    for threads in (1, None):
        with threadpool_limits(threads):
            products()
            start = time.perf_counter()
            for _ in range(repeats):
                products()
            seconds[threads] = (time.perf_counter() - start) / repeats
    return min(seconds.values()), seconds[1]


def numpy_path(numpy):
    """Within it, `loss_and_gradient` runs its numpy fallback if ``numpy``."""
    if not numpy:
        return contextlib.nullcontext()
    from unittest import mock

    return mock.patch.object(_mlp_math, "_mlp_kernels", None)


def lbfgs_iteration(X, y, numpy=False):
    """Time per L-BFGS iteration of our objective and its evaluations per
    iteration (the estimator's lbfgs path, replayed through the module-level
    `loss_and_gradient`, on its compiled or its numpy path)."""
    Y = np.asfortranarray(np.eye(10)[y])
    layout = make_layout((X.shape[1], *HIDDEN, 10), fit_bias=True)
    params = np.random.RandomState(1).uniform(-0.3, 0.3, layout.n_params)
    workspace = make_workspace(layout, X.shape[0], X.dtype)
    grad = np.empty_like(params)

    def fun(x):
        params[...] = x
        loss, g = loss_and_gradient(
            params, X, Y, layout, "tanh", "softmax", 1e-5, workspace=workspace,
            grad=grad,
        )
        return loss, g.copy()

    with threadpool_limits(1), numpy_path(numpy):
        start = time.perf_counter()
        result = scipy.optimize.minimize(
            fun, params.copy(), method="L-BFGS-B", jac=True,
            options={"maxiter": 200, "maxfun": 15000, "gtol": 1e-4},
        )
        elapsed = time.perf_counter() - start
    return elapsed / result.nit, result.nfev / result.nit, params


def iteration_ratios(X, y, repeats):
    """Medians over ``repeats`` alternating runs of the compiled and the numpy
    path: ms per iteration, evaluations per iteration, and ratio to the floor
    of each; and the floor of one evaluation, in ms, best of one and all BLAS
    threads and on one thread."""
    runs = {"compiled": [], "numpy": []}
    for r in range(repeats):
        order = ["compiled", "numpy"] if r % 2 == 0 else ["numpy", "compiled"]
        for name in order:
            per_iteration, evals, params = lbfgs_iteration(X, y, name == "numpy")
            layout = make_layout((X.shape[1], *HIDDEN, 10), fit_bias=True)
            coefs, _ = unpack(params, layout)
            floor, floor_1 = matmul_floor(X, [c.copy() for c in coefs])
            runs[name].append((per_iteration * 1e3, evals,
                               per_iteration / (evals * floor), floor * 1e3,
                               floor_1 * 1e3))
    return {name: [statistics.median(col) for col in zip(*rows, strict=True)]
            for name, rows in runs.items()}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def regressor_benchmark(repeats, L):
    """Section 5 for an L x L lattice; returns whether the results agreed."""
    ising = make_ising(L, np.linspace(1.5, 3.5, 9), 400, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        ising.data, ising.magnetization, test_size=0.2, random_state=0
    )
    print(f"\nregressor: Ising magnetization per spin, {L} x {L} lattice, "
          f"{X_train.shape[0]} train, {X_test.shape[0]} test; hidden {HIDDEN} "
          "tanh, alpha=1e-5, random_state=1, 200 iterations")
    ok = True
    rows = []
    for solver in ("lbfgs", "adam"):
        r2 = {}
        for name, model in regressors(solver).items():
            timed_fit(model, X_train, y_train)
            r2[name] = model.score(X_test, y_test)
            if name == "ours_nobias":
                odd = bool(np.array_equal(model.predict(-X_test),
                                          -model.predict(X_test)))
        agree = abs(r2["ours"] - r2["sklearn"]) <= 0.01 and odd
        ok &= agree
        print(f"{solver}: test R^2 ours {r2['ours']:.4f} (no bias "
              f"{r2['ours_nobias']:.4f}, odd to the last bit: {odd}), sklearn "
              f"{r2['sklearn']:.4f} -> {'agree' if agree else 'DISAGREE'}")
        if not agree:
            continue
        single = alternate_timings(solver, X_train, y_train, repeats, 1, regressors)
        default = alternate_timings(
            solver, X_train, y_train, repeats, None, regressors)
        rows.append((solver, single, default))
    header = (f"{'solver':<6} {'threads':<8} | {'ours s':>7} {'no bias s':>9} "
              f"{'sk s':>7} | {'ratio':>6} {'no bias':>8}")
    print()
    print(header)
    print("-" * len(header))
    for solver, single, default in rows:
        for label, t in (("1", single), ("default", default)):
            print(f"{solver:<6} {label:<8} | {t['ours']:>7.3f} "
                  f"{t['ours_nobias']:>9.3f} {t['sklearn']:>7.3f} | "
                  f"{t['ours'] / t['sklearn']:>6.2f} "
                  f"{t['ours_nobias'] / t['sklearn']:>8.2f}")
    print(f"(medians of {repeats} alternating fits; ratio = ours / sklearn, "
          "target <= 0.5)")
    lbfgs = [single for solver, single, _ in rows if solver == "lbfgs"]
    if lbfgs:
        # The matrix products every evaluation needs, which both libraries
        # hand to the same BLAS: on one thread no ratio can go below them.
        counting = CountingMLPRegressor(**regressors("lbfgs")["sklearn"].get_params())
        timed_fit(counting, X_train, y_train)
        per_evaluation = matmul_floor(X_train, counting.coefs_)[1]
        products = per_evaluation * counting.evaluations
        print(f"L-BFGS on one thread: MLPRegressor's {counting.evaluations} "
              f"evaluations need {products:.3f} s of matrix products alone, "
              f"{products / lbfgs[0]['sklearn']:.2f} of its fit time: a ratio "
              "of 0.5 there needs products faster than these")
    return ok


class CountingMLPRegressor(MLPRegressor):
    """`MLPRegressor` that counts its L-BFGS loss-and-gradient evaluations."""

    def _loss_grad_lbfgs(self, *args, **kwargs):
        self.evaluations = getattr(self, "evaluations", 0) + 1
        return super()._loss_grad_lbfgs(*args, **kwargs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=("classifier", "regressor"))
    args = parser.parse_args(argv)
    if args.only == "regressor":
        return 0 if all([regressor_benchmark(args.repeats, L) for L in (8, 16)]) else 1

    X, y = load_shifted_digits(scaling="per_column", return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0
    )
    blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()
            if i["user_api"] == "blas"]
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn "
          f"{sklearn.__version__}, BLAS {blas}, {os.cpu_count()} CPUs "
          f"({cpu_model()}), compiled passes: "
          f"{'yes' if _mlp_math._mlp_kernels is not None else 'NO (numpy path)'}")
    print(f"shifted digits: {X_train.shape[0]} train, {X_test.shape[0]} test; "
          f"hidden {HIDDEN} tanh, alpha=1e-5, random_state=1, 200 iterations")

    ok = True
    rows = []
    for solver in ("lbfgs", "adam"):
        # 1. verify before timing
        accuracy = {}
        for name, model in models(solver).items():
            timed_fit(model, X_train, y_train)
            accuracy[name] = model.score(X_test, y_test)
        agree = abs(accuracy["ours"] - accuracy["sklearn"]) <= 0.01
        ok &= agree
        print(f"{solver}: accuracy ours {accuracy['ours']:.4f}, sklearn "
              f"{accuracy['sklearn']:.4f} -> {'agree' if agree else 'DISAGREE'}")
        if not agree:
            continue
        # 2. time, alternating
        default = alternate_timings(solver, X_train, y_train, args.repeats, None)
        single = alternate_timings(solver, X_train, y_train, args.repeats, 1)
        # 3. memory
        peak = {name: peak_fit_memory(model, X_train, y_train)
                for name, model in models(solver).items()}
        rows.append((solver, accuracy, default, single, peak))

    print()
    header = (f"{'solver':<6} {'acc ours':>8} {'acc sk':>8} | "
              f"{'ours s':>7} {'sk s':>7} {'ratio':>6} | "
              f"{'1-thread: ours s':>16} {'sk s':>7} {'ratio':>6} | "
              f"{'peak MiB ours':>13} {'sk':>6}")
    print(header)
    print("-" * len(header))
    for solver, acc, default, single, peak in rows:
        print(f"{solver:<6} {acc['ours']:>8.4f} {acc['sklearn']:>8.4f} | "
              f"{default['ours']:>7.3f} {default['sklearn']:>7.3f} "
              f"{default['ours'] / default['sklearn']:>6.2f} | "
              f"{single['ours']:>16.3f} {single['sklearn']:>7.3f} "
              f"{single['ours'] / single['sklearn']:>6.2f} | "
              f"{peak['ours'] / 2**20:>13.2f} {peak['sklearn'] / 2**20:>6.2f}")
    print(f"(medians of {args.repeats} alternating fits; target: 1-thread ratio "
          "<= 0.3)")

    ratios = iteration_ratios(X_train, y_train, args.repeats)
    estimator = models("lbfgs")["ours"]
    fit_seconds = timed_fit(estimator, X_train, y_train)
    ms, evals, ratio, floor_ms, floor_1_ms = ratios["compiled"]
    print()
    print(f"one L-BFGS iteration of our objective (scipy L-BFGS-B, 1 BLAS thread, "
          f"medians of {args.repeats}): {ms:.3f} ms = {evals:.2f} evaluations")
    print(f"  matmul floor of one evaluation: {floor_ms:.3f} ms (on one BLAS "
          f"thread, as the iteration runs: {floor_1_ms:.3f} ms)")
    print(f"  ratio iteration / floor: {ratio:.2f} (target <= 2)")
    ms_np, _, ratio_np, _, _ = ratios["numpy"]
    print(f"  the same on the numpy path: {ms_np:.3f} ms, ratio {ratio_np:.2f}")
    print(f"  whole estimator fit / n_iter_ (one fit): "
          f"{fit_seconds / estimator.n_iter_ * 1e3:.3f} ms, ratio "
          f"{fit_seconds / estimator.n_iter_ / (evals * floor_ms / 1e3):.2f}")
    if args.only is None:
        for L in (8, 16):
            ok &= regressor_benchmark(args.repeats, L)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
