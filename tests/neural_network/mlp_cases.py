"""The two networks side by side: their data, their scikit-learn twins, and the
cases over which test_mlp.py runs the tests the two estimators share."""

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sk_symmetry import BiaslessMLPClassifier, BiaslessMLPRegressor


def blobs(n=60, n_features=4, n_classes=3, seed=0, dtype=np.float64):
    """Gaussian classes around random centres, the labels in turn."""
    rng = np.random.RandomState(seed)
    centers = rng.normal(scale=2, size=(n_classes, n_features))
    y = np.arange(n) % n_classes
    X = centers[y] + rng.normal(size=(n, n_features))
    return X.astype(dtype), y


def regression_data(n=60, n_features=4, n_outputs=1, seed=0, dtype=np.float64):
    """A smooth target with odd and even parts; one output as a vector."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_features))
    W = rng.normal(size=(n_features, n_outputs))
    Y = np.tanh(X @ W) + 0.2 * (X**2) @ W + 0.05 * rng.normal(size=(n, n_outputs))
    y = Y[:, 0] if n_outputs == 1 else Y
    return X.astype(dtype), y


# scikit-learn's networks with our defaults (theirs are (100,) and relu)
_OURS = {"hidden_layer_sizes": (10, 5), "activation": "tanh"}
mlp_classifier = functools.partial(MLPClassifier, **_OURS)
mlp_regressor = functools.partial(MLPRegressor, **_OURS)


@dataclass(frozen=True)
class MLPCase:
    """One of our networks, scikit-learn's twin and data the two can fit."""

    estimator: type
    twin: Any
    make_data: Any
    output: str  # the method whose result the network's dtype shows in

    def __str__(self):
        return self.estimator.__name__


CASES = [
    MLPCase(BiaslessMLPClassifier, mlp_classifier, blobs, "predict_proba"),
    MLPCase(BiaslessMLPRegressor, mlp_regressor, regression_data, "predict"),
]


def assert_same_weights(ours, theirs, rtol, atol):
    """Every weight matrix and bias vector of the two fitted networks agree."""
    for a, b in zip(ours.coefs_ + ours.intercepts_,
                    theirs.coefs_ + theirs.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
