"""What the other subpackages use of `symmetry` beyond its public names.

The one module of this subpackage that others may import besides its
``__init__`` (the layout test checks it): each subpackage that others need
has one ``_internal`` module, so no code reaches into another subpackage's
private modules.
"""

from ._group import SymmetryGroup
from ._group import _image_shape as as_image_shape
from ._orbit_order import (
    as_arrays,
    image,
    negation_pairs,
    orbit_order,
    signed_permutations,
)

__all__ = [
    "as_arrays",
    "group_or_none",
    "as_image_shape",
    "image",
    "negation_pairs",
    "orbit_order",
    "signed_permutations",
]


def group_or_none(symmetry):
    """The `SymmetryGroup` that a `check_symmetry` result is, or None for the
    pair ``{identity, f}`` of a plain function (which has no group to keep)."""
    return symmetry if isinstance(symmetry, SymmetryGroup) else None
