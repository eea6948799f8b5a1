"""What a symmetry is: the inversion ``x -> -x``, finite groups of signed
permutations (`SymmetryGroup`), and `check_symmetry`, which turns any
``symmetry`` argument into the group the rest of the library iterates."""

from ._check import check_symmetry
from ._group import GroupElement, SymmetryGroup
from ._invert import invert

__all__ = ["GroupElement", "SymmetryGroup", "check_symmetry", "invert"]
