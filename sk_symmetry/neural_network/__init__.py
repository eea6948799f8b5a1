"""The networks: their math on one flat parameter vector, optimisers, the estimators."""

from ._cnn_classifier import InvariantCNNClassifier
from ._cnn_regressor import InvariantCNNRegressor
from ._mlp_classifier import BiaslessMLPClassifier
from ._mlp_regressor import BiaslessMLPRegressor

__all__ = [
    "BiaslessMLPClassifier",
    "BiaslessMLPRegressor",
    "InvariantCNNClassifier",
    "InvariantCNNRegressor",
]
