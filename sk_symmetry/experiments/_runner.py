"""Run an experiment's fits with joblib, one progress line per finished fit."""

import sys
import time

from joblib import Parallel, delayed

__all__ = ["STDERR", "run_tasks"]

# The default ``progress``: standard error as it is at call time (a default of
# ``sys.stderr`` would be fixed at import, before pytest or a caller swaps it).
STDERR = "stderr"


def run_tasks(func, tasks, *, n_jobs=1, describe=None, progress=STDERR, every=1):
    """``[func(*task) for task in tasks]``, computed in parallel, in task order.

    Parameters
    ----------
    func : callable
        Called as ``func(*task)`` in a joblib worker.
    tasks : list of tuple
    n_jobs : int
        joblib's ``n_jobs``; the backend is whatever `joblib.parallel_config`
        sets around the call.
    describe : callable, default=None
        ``describe(index, result) -> str`` for the progress line of ``tasks[index]``.
    progress : file, "stderr" or None
        Where progress lines go (one per finished task, with the time left):
        a file, standard error as it is when the call starts, or nowhere.
    every : int, default=1
        Print a line for every ``every``-th finished task (and the last).
    """
    if progress == STDERR:
        progress = sys.stderr
    start = time.perf_counter()
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_tagged)(i, func, *task) for i, task in enumerate(tasks)
    )
    out = [None] * len(tasks)
    for done, (i, result) in enumerate(results, start=1):
        out[i] = result
        if progress is not None and (done % every == 0 or done == len(tasks)):
            elapsed = time.perf_counter() - start
            left = elapsed / done * (len(tasks) - done)
            text = describe(i, result) if describe is not None else ""
            print(
                f"[{done:3d}/{len(tasks)}] {text} | elapsed {elapsed:.0f} s, "
                f"~{left:.0f} s left",
                file=progress,
                flush=True,
            )
    return out


def _tagged(index, func, *args):
    return index, func(*args)
