"""The network: its math on one flat parameter vector, optimisers, the estimator."""

from ._mlp import BiaslessMLPClassifier

__all__ = ["BiaslessMLPClassifier"]
