"""scikit-learn's estimator checks over every public estimator, found automatically."""

import inspect

from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import sk_symmetry

# Parameter sets checked besides the defaults, so that every code path (each
# feature kind, biases on and off, each solver) meets scikit-learn's checks.
EXTRA_PARAMS = {
    "BiaslessMLPClassifier": [  # with the default (lbfgs, no bias): all 6 pairs
        {"fit_bias": True},
        {"solver": "sgd"},
        {"solver": "sgd", "fit_bias": True},
        {"solver": "adam"},
        {"solver": "adam", "fit_bias": True},
    ],
    "InversionInvariantTransformer": [
        {"kind": "square"},
        {"kind": "permutation", "random_state": 0},
    ],
}


def _public_estimators():
    """Instances of every estimator class named in ``sk_symmetry.__all__``."""
    instances = []
    for name in sk_symmetry.__all__:
        obj = getattr(sk_symmetry, name)
        if not (inspect.isclass(obj) and issubclass(obj, BaseEstimator)):
            continue
        instances.append(obj())
        instances.extend(obj(**params) for params in EXTRA_PARAMS.get(name, ()))
    return instances


def test_every_public_estimator_is_checked():
    checked = {type(est).__name__ for est in _public_estimators()}
    public = {
        name for name in sk_symmetry.__all__
        if inspect.isclass(getattr(sk_symmetry, name))
        and issubclass(getattr(sk_symmetry, name), BaseEstimator)
    }
    assert "InversionInvariantTransformer" in public
    assert "BiaslessMLPClassifier" in public
    assert checked == public


@parametrize_with_checks(_public_estimators())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
