"""Scoring under a symmetry and the diagnostics built on it."""

from ._bound import InversionAccuracyBound, inversion_accuracy_bound
from ._degeneracy import (
    SymmetryDegeneracy,
    first_layer_action,
    symmetry_degeneracy,
)
from ._report import SymmetryReport, symmetry_report
from ._scoring import make_symmetric_scorer, symmetric_scoring

__all__ = [
    "InversionAccuracyBound",
    "SymmetryDegeneracy",
    "first_layer_action",
    "inversion_accuracy_bound",
    "make_symmetric_scorer",
    "symmetric_scoring",
    "symmetry_degeneracy",
    "SymmetryReport",
    "symmetry_report",
]
