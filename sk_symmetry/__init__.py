"""sk_symmetry: symmetry-constrained machine learning for scikit-learn."""

from ._datasets import load_shifted_digits
from ._mlp import BiaslessMLPClassifier
from ._symmetry import invert
from ._transformer import InversionInvariantTransformer

__version__ = "0.1.0"

__all__ = [
    "BiaslessMLPClassifier",
    "InversionInvariantTransformer",
    "__version__",
    "invert",
    "load_shifted_digits",
]
