"""Invariant features: plain feature maps, the compiled kernel, transformers."""

from ._convolution import InvariantConvolutionFeatures
from ._group import GroupInvariantTransformer
from ._inversion import InversionInvariantTransformer
from ._random_features import InvariantRandomFeatures
from ._spins import canonical_spins

__all__ = [
    "GroupInvariantTransformer",
    "InvariantConvolutionFeatures",
    "InvariantRandomFeatures",
    "InversionInvariantTransformer",
    "canonical_spins",
]
