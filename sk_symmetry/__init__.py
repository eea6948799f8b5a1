"""sk_symmetry: symmetry-constrained machine learning for scikit-learn.

The library is arranged as scikit-learn is, one subpackage per concern, each
importing only from those listed before it:

- ``symmetry``: the symmetries themselves (`invert`);
- ``features``: invariant feature maps and their transformers;
- ``neural_network``: `BiaslessMLPClassifier` and its math;
- ``augmentation``: `OrbitAugmentedClassifier`, training on the orbit;
- ``metrics``: symmetric scorers and diagnostics such as the bound
  ``accuracy(X) + accuracy(-X) <= 1`` of odd networks;
- ``datasets``: the paper's shifted digits and 2D Ising configurations.

``experiments`` and the command line (``sk-symmetry``) sit on top and are not
part of the public API. Every public name is importable from here.
"""

from .augmentation import OrbitAugmentedClassifier
from .datasets import load_shifted_digits, make_ising
from .features import InversionInvariantTransformer
from .metrics import inversion_accuracy_bound, make_symmetric_scorer, symmetric_scoring
from .neural_network import BiaslessMLPClassifier
from .symmetry import invert

__version__ = "0.1.0"

__all__ = [
    "BiaslessMLPClassifier",
    "InversionInvariantTransformer",
    "OrbitAugmentedClassifier",
    "__version__",
    "invert",
    "inversion_accuracy_bound",
    "load_shifted_digits",
    "make_ising",
    "make_symmetric_scorer",
    "symmetric_scoring",
]
