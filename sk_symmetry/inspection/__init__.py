"""Diagnostics of fitted models under a symmetry: how a model fares on each
image of the data (`symmetry_report`), the bound ``accuracy(X) +
accuracy(-X) <= 1`` of odd networks (`inversion_accuracy_bound`) and the
degenerate minima of training on the orbit (`symmetry_degeneracy`); and,
before any model, which elements of a group leave the data and its labels
unchanged (`symmetry_test`, with `SymmetryTestDisplay`).

Each function returns a result (`SymmetryReport`, `InversionAccuracyBound`,
`SymmetryDegeneracy`, `SymmetryTestResult`) with the same surface:
``to_frame()`` for a pandas DataFrame and ``plot(ax=None)`` for a figure.

As scikit-learn keeps model inspection apart from ``metrics``, these sit
above the scorers (`sk_symmetry.metrics`), the networks and the orbit
classifier, which they look into.
"""

from ._bound import InversionAccuracyBound, inversion_accuracy_bound
from ._degeneracy import (
    SymmetryDegeneracy,
    first_layer_action,
    symmetry_degeneracy,
)
from ._report import SymmetryReport, symmetry_report
from ._symmetry_test import symmetry_test
from ._symmetry_test_display import SymmetryTestDisplay
from ._symmetry_test_result import SymmetryTestResult

__all__ = [
    "InversionAccuracyBound",
    "SymmetryDegeneracy",
    "SymmetryReport",
    "SymmetryTestDisplay",
    "SymmetryTestResult",
    "first_layer_action",
    "inversion_accuracy_bound",
    "symmetry_degeneracy",
    "symmetry_report",
    "symmetry_test",
]
