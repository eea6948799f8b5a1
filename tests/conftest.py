"""The ``slow`` marker (registered in pyproject.toml) for every test that uses a
fixture running a whole experiment or starting a Dask cluster, so that
``pytest -m "not slow"`` is a fast loop. Tests that do such work inline carry
``@pytest.mark.slow`` themselves."""

import pytest

SLOW_FIXTURES = frozenset(
    {
        "cli_quick_run",  # experiments/conftest.py: a command's --quick run
        "ising_regression_quick_run",  # experiments/test_ising_regression.py
        "loky_records",  # experiments/test_dask.py: reproduce's quick run
        "process_cluster_client",  # experiments/test_dask.py
        "thread_cluster_client",  # averaging/test_averaging_dask.py
    }
)


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
