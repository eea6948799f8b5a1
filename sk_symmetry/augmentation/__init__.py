"""Augmentations: training on the orbit of the data under a symmetry (the
standard practice), and random affine changes of images for training."""

from ._affine import RandomAffine
from ._orbit import OrbitAugmentedClassifier

__all__ = ["OrbitAugmentedClassifier", "RandomAffine"]
