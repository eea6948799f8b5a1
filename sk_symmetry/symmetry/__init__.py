"""What a symmetry is: the inversion ``x -> -x``."""

from ._invert import invert

__all__ = ["invert"]
