"""What a symmetry is: the inversion ``x -> -x`` and finite groups of signed
permutations (`SymmetryGroup`)."""

from ._group import GroupElement, SymmetryGroup
from ._invert import invert

__all__ = ["GroupElement", "SymmetryGroup", "invert"]
