"""Invariant features: plain feature maps, the compiled kernel, transformers."""

from ._group import GroupInvariantTransformer
from ._inversion import InversionInvariantTransformer

__all__ = ["GroupInvariantTransformer", "InversionInvariantTransformer"]
