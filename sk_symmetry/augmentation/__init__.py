"""The standard practice: training on the orbit of the data under a symmetry."""

from ._orbit import OrbitAugmentedClassifier

__all__ = ["OrbitAugmentedClassifier"]
