"""The networks: their math on one flat parameter vector, optimisers, the estimators."""

from ._mlp_classifier import BiaslessMLPClassifier
from ._mlp_regressor import BiaslessMLPRegressor

__all__ = ["BiaslessMLPClassifier", "BiaslessMLPRegressor"]
