"""A symmetrized model scoring more Ising configurations than its workers hold.

Issue 27: `SymmetrizedClassifier.predict` on a Dask array runs block by block,
so a model fitted in memory scores data larger than the cluster's memory. This
script makes such data on the workers themselves: each chunk of rows is a
`make_ising` call (its own seed and temperatures), so the whole array never
exists anywhere. A phase classifier (ordered below ``T_c``) is fitted in memory
on a small sample, symmetrized over ``s -> -s``, and the workers count how many
configurations it calls ordered, per chunk, and how many of them it gets right.

Before anything is timed it checks, on one chunk, that the Dask result is the
in-memory result bit for bit, and that the symmetrized predictions on ``-X``
equal those on ``X``.

Run: ``python benchmarks/bench_dask_averaging.py`` (defaults: L = 48, 80
chunks of 1,000 configurations, 1.47 GB of float64 spins, two workers of 600 MB
each, of which a worker's imports take about 200 MB). Prints what it ran and
the peak memory the workers reported.
"""

import argparse
import logging
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sk_symmetry import BiaslessMLPClassifier, SymmetrizedClassifier, make_ising
from sk_symmetry.datasets._internal import CRITICAL_TEMPERATURE


def chunk(seed, L, n_rows):
    """One chunk: ``n_rows`` configurations at temperatures around ``T_c``."""
    temperatures = np.linspace(1.6, 3.2, 8)
    data = make_ising(L, temperatures, n_rows // len(temperatures),
                      random_state=seed)
    return data.data, (data.temperature < CRITICAL_TEMPERATURE).astype(int)


def _peak_rss():
    """The worker process's largest resident memory so far, in bytes."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--chunks", type=int, default=80)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--memory-limit", default="600MB")
    args = parser.parse_args()

    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    n_features = args.size ** 2
    total = args.chunks * args.rows * n_features * 8
    print(f"{args.chunks} chunks of {args.rows} configurations of {args.size} x "
          f"{args.size} spins: {total / 1e9:.2f} GB of float64, on two workers of "
          f"{args.memory_limit} each")

    X_fit, y_fit = chunk(10_000, args.size, 800)
    # The Ising experiment's phase classifier: a (10, 5) tanh network with
    # biases on raw spins, made exactly invariant under s -> -s.
    network = BiaslessMLPClassifier((10, 5), activation="tanh", fit_bias=True,
                                    solver="lbfgs", max_iter=200, random_state=0)
    model = SymmetrizedClassifier(network, fit_on="data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_fit, y_fit)

    X0, y0 = chunk(0, args.size, args.rows)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      memory_limit=args.memory_limit) as cluster, \
            Client(cluster) as client:
        parts = [dask.delayed(chunk)(seed, args.size, args.rows)
                 for seed in range(args.chunks)]
        X = da.concatenate([
            da.from_delayed(p[0], (args.rows, n_features), np.float64) for p in parts
        ])
        y = da.concatenate([
            da.from_delayed(p[1], (args.rows,), np.int64) for p in parts
        ])
        # The check, before any timing: one chunk on the cluster against the
        # same chunk in memory, and the symmetry itself.
        on_cluster = model.predict(X[: args.rows]).compute()
        in_memory = model.predict(X0)
        assert np.array_equal(on_cluster, in_memory)
        assert np.array_equal(model.predict(-X0), in_memory)
        print("check: one chunk on the cluster equals the in-memory call bit for "
              "bit, and predict(-X) == predict(X)")

        start = time.perf_counter()
        predicted = model.predict(X)
        ordered, right = dask.compute(
            (predicted == 1).sum(), (predicted == y).sum()
        )
        elapsed = time.perf_counter() - start
        peak = max(client.run(_peak_rss).values()) / 1e6
    n = args.chunks * args.rows
    print(f"scored {n:,} configurations in {elapsed:.0f} s: {ordered:,} called "
          f"ordered, accuracy {right / n:.4f}; largest worker peak resident memory "
          f"{peak:.0f} MB")


if __name__ == "__main__":
    main()
