"""sk_symmetry: symmetry-constrained machine learning for scikit-learn."""

from ._augment import OrbitAugmentedClassifier
from ._bound import inversion_accuracy_bound
from ._datasets import load_shifted_digits
from ._mlp import BiaslessMLPClassifier
from ._scoring import make_symmetric_scorer, symmetric_scoring
from ._symmetry import invert
from ._transformer import InversionInvariantTransformer

__version__ = "0.1.0"

__all__ = [
    "BiaslessMLPClassifier",
    "InversionInvariantTransformer",
    "OrbitAugmentedClassifier",
    "__version__",
    "invert",
    "inversion_accuracy_bound",
    "load_shifted_digits",
    "make_symmetric_scorer",
    "symmetric_scoring",
]
