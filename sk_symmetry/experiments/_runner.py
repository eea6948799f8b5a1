"""Run an experiment's fits with joblib, one progress line per finished fit."""

import sys
import time

from joblib import Parallel, delayed

__all__ = ["STDERR", "run_tasks", "time_left"]

# The default ``progress``: standard error as it is at call time (a default of
# ``sys.stderr`` would be fixed at import, before pytest or a caller swaps it).
STDERR = "stderr"

# No estimate before this many tasks are done: the first ones carry the
# workers' start-up and say little about the rest.
_MIN_DONE_FOR_ESTIMATE = 3


def time_left(finished_at, n_tasks):
    """Seconds left after ``len(finished_at)`` of ``n_tasks`` tasks, or None.

    ``finished_at`` holds the times (from the start) at which tasks finished.
    The rate is measured from the first finish on, so the workers' start-up
    (processes, imports, data), which the first task alone pays, is not
    counted once per task left. None until ``_MIN_DONE_FOR_ESTIMATE`` tasks
    are done.
    """
    done = len(finished_at)
    if done < _MIN_DONE_FOR_ESTIMATE:
        return None
    per_task = (finished_at[-1] - finished_at[0]) / (done - 1)
    return per_task * (n_tasks - done)


def run_tasks(
    func, tasks, *, n_jobs=1, describe=None, progress=STDERR, every=1, waiting=None
):
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
        Where progress lines go (one per finished task, with the time left
        once it can be estimated): a file, standard error as it is when the
        call starts, or nowhere.
    every : int, default=1
        Print a line for every ``every``-th finished task (and the last).
    waiting : callable, default=None
        ``waiting(indices) -> str or None``, called after each finished task
        with the indices of the tasks not finished yet: a note on what they
        are waiting for (printed once each), such as a long compilation.
    """
    if progress == STDERR:
        progress = sys.stderr
    start = time.perf_counter()
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_tagged)(i, func, *task) for i, task in enumerate(tasks)
    )
    out = [None] * len(tasks)
    pending = set(range(len(tasks)))
    finished_at, notes = [], set()
    for done, (i, result) in enumerate(results, start=1):
        out[i] = result
        pending.discard(i)
        elapsed = time.perf_counter() - start
        finished_at.append(elapsed)
        if progress is None:
            continue
        if done % every == 0 or done == len(tasks):
            left = time_left(finished_at, len(tasks))
            text = describe(i, result) if describe is not None else ""
            left = "" if left is None else f", ~{left:.0f} s left"
            print(
                f"[{done:3d}/{len(tasks)}] {text} | elapsed {elapsed:.0f} s{left}",
                file=progress,
                flush=True,
            )
        note = waiting(sorted(pending)) if waiting is not None and pending else None
        if note and note not in notes:
            notes.add(note)
            print(note, file=progress, flush=True)
    return out


def _tagged(index, func, *args):
    return index, func(*args)
