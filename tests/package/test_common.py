"""scikit-learn's estimator checks over every public estimator, found automatically."""

import inspect

from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

import sk_symmetry
from sk_symmetry import SymmetryGroup

# Constructor arguments for estimators that cannot be built without them
# (meta-estimators); a factory, so each instance gets a fresh inner estimator.
REQUIRED_ARGS = {
    "OrbitAugmentedClassifier": lambda: {"estimator": LogisticRegression()},
    "GroupAveragedTransformer": lambda: {"transformer": StandardScaler()},
    "SymmetrizedClassifier": lambda: {"estimator": LogisticRegression()},
    "SymmetrizedRegressor": lambda: {"estimator": Ridge()},
    # Fifty kernels instead of ten thousand: the same code paths, quicker.
    "InvariantConvolutionFeatures": lambda: {"n_kernels": 50},
    # Small networks in float64 without a symmetry (the checks' data have
    # none, and compare fits to 1e-7); the groups are checked below.
    **{
        name: lambda: {
            "symmetry": SymmetryGroup([]), "conv_channels": (4,),
            "hidden_layer_sizes": (8,), "dtype": "float64", "max_iter": 30,
        }
        for name in ("InvariantCNNClassifier", "InvariantCNNRegressor")
    },
}

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
    # Every solver and both bias settings, in three sets: the fit is the
    # classifier's (checked above with all six pairs), and the checks cost time.
    "BiaslessMLPRegressor": [
        {"solver": "sgd"},
        {"solver": "adam", "fit_bias": True},
        {"loss": "poisson"},
    ],
    "GroupInvariantTransformer": [
        {"projection": "random", "random_state": 0},
        {"kind": "averaged"},
        {"kind": "averaged", "pairs": "all"},
        {"kind": "averaged", "pairs": "square"},
    ],
    "InvariantCNNClassifier": [
        {"symmetry": None, "max_iter": 5},
        {"symmetry": None, "max_iter": 5, "batch_norm": True},
    ],
    "InvariantCNNRegressor": [{"symmetry": None, "target": "odd", "max_iter": 5}],
    "InvariantConvolutionFeatures": [
        {"dilations": "rocket", "pooling": ["lspv"], "center_weights": True,
         "differences": False},
    ],
    "InvariantRandomFeatures": [
        {"pooling": "max", "activation": "tanh"},
        {"pooling": "ppv", "patch_shape": 1, "borders": "wrap"},
        {"activation": "cos"},
    ],
    "InversionInvariantTransformer": [
        {"kind": "square"},
        {"kind": "permutation", "random_state": 0},
    ],
    # A non-linear inner model (sparse input, no decision_function).
    "OrbitAugmentedClassifier": [
        {"estimator": DecisionTreeClassifier(random_state=0)},
    ],
    "GroupAveragedTransformer": [{"pooling": "max", "fit_on": "orbit"}],
    # A vote (no predict_proba); a sign that flips (odd).
    "SymmetrizedClassifier": [
        {"estimator": RidgeClassifier(), "fit_on": "data"},
    ],
    "SymmetrizedRegressor": [
        {"estimator": DecisionTreeRegressor(random_state=0), "target": "odd"},
    ],
}


def _is_estimator(obj):
    """A class with scikit-learn's parameters that fits (`RandomAffine` has
    the parameters, for ``clone`` and nested grids, but nothing to fit)."""
    return (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
            and hasattr(obj, "fit"))


def _public_estimators():
    """Instances of every estimator class named in ``sk_symmetry.__all__``."""
    instances = []
    for name in sk_symmetry.__all__:
        obj = getattr(sk_symmetry, name)
        if not _is_estimator(obj):
            continue
        required = REQUIRED_ARGS.get(name, dict)
        instances.append(obj(**required()))
        instances.extend(
            obj(**{**required(), **params}) for params in EXTRA_PARAMS.get(name, ())
        )
    return instances


def test_every_public_estimator_is_checked():
    checked = {type(est).__name__ for est in _public_estimators()}
    public = {name for name in sk_symmetry.__all__
              if _is_estimator(getattr(sk_symmetry, name))}
    assert "InversionInvariantTransformer" in public
    assert "RandomAffine" not in public
    assert "BiaslessMLPClassifier" in public
    assert "BiaslessMLPRegressor" in public
    assert checked == public


def _expected_failures(estimator):
    if getattr(estimator, "loss", None) == "poisson":
        # it draws signed targets whatever the positive_only tag says, and a
        # Poisson loss refuses them by name
        return {"check_regressor_multioutput": "negative targets for a Poisson loss"}
    return {}


@parametrize_with_checks(
    _public_estimators(), expected_failed_checks=_expected_failures
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
