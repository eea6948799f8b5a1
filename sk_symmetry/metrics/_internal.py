"""What the other subpackages use of `metrics` beyond its public names: the
pieces of the symmetric scorers that `inspection.symmetry_report` reuses.

The one module of this subpackage that others may import besides its
``__init__`` (the layout test checks it).
"""

from ._scoring import _base_scorer as base_scorer
from ._scoring import _estimator_type as estimator_type
from ._scoring import _n_features as n_features
from ._scoring import _name_of as name_of
from ._scoring import check_target, target_signs, transform_target

__all__ = [
    "base_scorer",
    "check_target",
    "estimator_type",
    "n_features",
    "name_of",
    "target_signs",
    "transform_target",
]
