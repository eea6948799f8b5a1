"""Data sets: the paper's shifted digits."""

from ._digits import load_shifted_digits

__all__ = ["load_shifted_digits"]
