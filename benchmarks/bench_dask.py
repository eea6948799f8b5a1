"""Benchmark ``sk-symmetry reproduce`` on a local Dask cluster against loky.

Each repeat runs the command twice, back to back, as a user would:
``python -m sk_symmetry reproduce --n-jobs 2 --out DIR``, once with the default
loky backend and once with ``--backend dask`` (which starts a two-worker
`LocalCluster`, one thread per worker, and closes it at the end). The order
alternates between repeats so that neither backend always runs second.

1. Verify: the two runs' cells and per-fit accuracies must be bitwise equal.
2. Time: the wall time of each command (start-up, data, fits, report and
   figures), the ratio dask / loky, and the overhead per fit: with 2 workers,
   ``(2 * wall - sum of fit times) / n_fits``, the time a worker slot spent on
   anything but the fit itself (dispatch, transfer, start-up, report), per fit.

3. Dispatch floor: ``--dispatch`` times 200 tasks that do nothing, one task
   per batch, on loky and on a two-worker local cluster (started beforehand),
   and reports the time per task: the cost of sending a task out and its
   result back, with no fit in it.

The machine's cores may be shared with other work: compare the two backends
only within one repeat, and read the range over repeats.

Usage::

    pip install -e ".[dask]"    # the command runs the installed package
    python benchmarks/bench_dask.py [--repeats 3] [--quick] [--dispatch]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_WORKERS = 2


def run(backend, quick, folder):
    out = Path(folder) / backend
    argv = [sys.executable, "-m", "sk_symmetry", "reproduce"]
    argv += ["--n-jobs", str(N_WORKERS), "--backend", backend, "--out", str(out)]
    if quick:
        argv.append("--quick")
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    wall = time.perf_counter() - start
    result = json.loads((out / "reproduce.json").read_text())
    return wall, result


def _without_timing(runs):
    return [{k: v for k, v in run.items() if k != "fit_time"} for run in runs]


def _nothing(i):
    return i


def dispatch_floor(n_tasks=200, repeats=5):
    from joblib import Parallel, delayed

    from sk_symmetry.experiments._backend import backend_context

    def per_task():
        start = time.perf_counter()
        out = Parallel(n_jobs=N_WORKERS, batch_size=1)(
            delayed(_nothing)(i) for i in range(n_tasks)
        )
        assert out == list(range(n_tasks))
        return (time.perf_counter() - start) / n_tasks

    per_task()  # start loky's workers
    loky = [per_task() for _ in range(repeats)]
    with backend_context("dask", n_jobs=N_WORKERS):
        per_task()
        dask = [per_task() for _ in range(repeats)]
    for name, times in [("loky", loky), ("dask", dask)]:
        print(
            f"{name}: {1e3 * statistics.median(times):.2f} ms per empty task "
            f"(range {1e3 * min(times):.2f}-{1e3 * max(times):.2f}, "
            f"{repeats} x {n_tasks} tasks)"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dispatch", action="store_true")
    args = parser.parse_args()
    if args.dispatch:
        dispatch_floor()
        return
    rows = []
    for repeat in range(args.repeats):
        order = ("loky", "dask") if repeat % 2 == 0 else ("dask", "loky")
        with tempfile.TemporaryDirectory() as folder:
            results = {backend: run(backend, args.quick, folder) for backend in order}
        (loky_wall, loky), (dask_wall, dask) = results["loky"], results["dask"]
        if loky["cells"] != dask["cells"] or _without_timing(
            loky["runs"]
        ) != _without_timing(dask["runs"]):
            sys.exit("FAILED: loky and dask gave different results")
        n_fits = len(loky["runs"])
        row = {"order": " then ".join(order), "n_fits": n_fits}
        for name in ("loky", "dask"):
            wall, result = results[name]
            fit_sum = sum(run["fit_time"] for run in result["runs"])
            row[f"{name}_wall"] = wall
            row[f"{name}_fit_sum"] = fit_sum
            row[f"{name}_overhead"] = (N_WORKERS * wall - fit_sum) / n_fits
        row["ratio"] = dask_wall / loky_wall
        rows.append(row)
        print(
            f"repeat {repeat + 1} ({row['order']}, {n_fits} fits, results equal): "
            f"loky {loky_wall:.1f} s, dask {dask_wall:.1f} s, "
            f"ratio {row['ratio']:.2f}; "
            f"sum of fit times loky {row['loky_fit_sum']:.1f} s, "
            f"dask {row['dask_fit_sum']:.1f} s; overhead per fit loky "
            f"{row['loky_overhead']:.2f} s, dask {row['dask_overhead']:.2f} s",
            flush=True,
        )
    ratios = [row["ratio"] for row in rows]
    extra = [row["dask_overhead"] - row["loky_overhead"] for row in rows]
    print(
        f"dask / loky wall time: median {statistics.median(ratios):.2f} "
        f"(range {min(ratios):.2f}-{max(ratios):.2f}); dask's extra overhead per "
        f"fit: median {statistics.median(extra):.3f} s "
        f"(range {min(extra):.3f} to {max(extra):.3f} s)"
    )


if __name__ == "__main__":
    main()
