"""Timing shared by the benchmark scripts (run as ``python benchmarks/...``,
which puts this folder on the import path)."""

import time


def best_time(func, repeat):
    """Best wall time of ``repeat`` calls: the least disturbed by other work."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)
