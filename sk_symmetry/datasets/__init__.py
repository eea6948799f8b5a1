"""Data sets: the paper's shifted digits and 2D Ising configurations."""

from ._digits import load_shifted_digits
from ._ising import make_ising

__all__ = ["load_shifted_digits", "make_ising"]
