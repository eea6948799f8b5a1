"""Group averages (the Reynolds operator) of any scikit-learn estimator:
exactly invariant features (`GroupAveragedTransformer`), and classifiers and
regressors that are exactly invariant or equivariant
(`SymmetrizedClassifier`, `SymmetrizedRegressor`)."""

from ._predictors import SymmetrizedClassifier, SymmetrizedRegressor
from ._transformer import GroupAveragedTransformer

__all__ = [
    "GroupAveragedTransformer",
    "SymmetrizedClassifier",
    "SymmetrizedRegressor",
]
