"""Scoring under a symmetry and the diagnostics built on it."""

from ._bound import InversionAccuracyBound, inversion_accuracy_bound
from ._report import SymmetryReport, symmetry_report
from ._scoring import make_symmetric_scorer, symmetric_scoring

__all__ = [
    "InversionAccuracyBound",
    "inversion_accuracy_bound",
    "make_symmetric_scorer",
    "symmetric_scoring",
    "SymmetryReport",
    "symmetry_report",
]
