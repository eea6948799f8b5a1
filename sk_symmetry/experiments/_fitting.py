"""Fitting an experiment's model: timed, with the expected warnings silenced."""

import time
import warnings
from contextlib import contextmanager
from typing import Any, NamedTuple

from sklearn.exceptions import ConvergenceWarning

__all__ = ["TimedFit", "budget_reached_is_expected", "timed_fit"]


@contextmanager
def budget_reached_is_expected():
    """Silence `ConvergenceWarning` inside the block.

    The experiments fix each network's iteration budget as part of their
    protocol, so a fit that stops at its budget is expected, not news.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


class TimedFit(NamedTuple):
    """What `timed_fit` returns."""

    estimator: Any
    """The fitted estimator (what ``fit`` returned)."""
    wall_time: float
    """Seconds on the wall clock."""
    cpu_time: float
    """Seconds of processor time of this process."""


def timed_fit(estimator, *args, **fit_params):
    """``estimator.fit(*args, **fit_params)`` with `budget_reached_is_expected`.

    The estimator is fitted as given (clone it first to keep the original).
    Processor time is what to compare on a shared machine, where the wall
    clock also counts the neighbours' work.
    """
    start, cpu = time.perf_counter(), time.process_time()
    with budget_reached_is_expected():
        fitted = estimator.fit(*args, **fit_params)
    return TimedFit(fitted, time.perf_counter() - start, time.process_time() - cpu)
