"""Scoring a model on the symmetric images of the data: scorers for
`GridSearchCV` and `cross_validate`. A leaf, as scikit-learn's ``metrics``:
it imports no estimator; the diagnostics built on it are in
`sk_symmetry.inspection`."""

from ._pairwise import invariant_kernel
from ._scoring import make_symmetric_scorer, symmetric_scoring

__all__ = [
    "invariant_kernel",
    "make_symmetric_scorer",
    "symmetric_scoring",
]
