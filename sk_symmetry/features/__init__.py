"""Invariant features: plain feature maps, the compiled kernel, transformers."""

from ._inversion import InversionInvariantTransformer

__all__ = ["InversionInvariantTransformer"]
