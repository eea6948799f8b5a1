"""sk_symmetry: symmetry-constrained machine learning for scikit-learn.

The library is arranged as scikit-learn is, one subpackage per concern, each
importing only from those listed before it:

- ``symmetry``: the symmetries themselves (`invert`, `SymmetryGroup`) and
  `check_symmetry`, which every ``symmetry`` parameter goes through;
- ``features``: invariant feature maps and their transformers
  (`InversionInvariantTransformer`, `GroupInvariantTransformer`,
  `InvariantRandomFeatures`, `InvariantConvolutionFeatures`, `canonical_spins`);
- ``neural_network``: `BiaslessMLPClassifier`, `BiaslessMLPRegressor`, the
  invariant convolutional networks (`InvariantCNNClassifier`,
  `InvariantCNNRegressor`) and their math;
- ``augmentation``: `OrbitAugmentedClassifier`, training on the orbit, and
  `RandomAffine`, random turns and shifts of images for training;
- ``metrics``: symmetric scorers (`make_symmetric_scorer`,
  `symmetric_scoring`);
- ``averaging``: group averages of any estimator (`GroupAveragedTransformer`,
  `SymmetrizedClassifier`, `SymmetrizedRegressor`), whose signed targets are
  the scorers';
- ``inspection``: diagnostics of fitted models, such as the bound
  ``accuracy(X) + accuracy(-X) <= 1`` of odd networks
  (`inversion_accuracy_bound`, `symmetry_report`, `symmetry_degeneracy`),
  and exact tests of which symmetries the data have (`symmetry_test`);
- ``datasets``: the paper's shifted digits and 2D Ising configurations, and
  the field's benchmarks (MNIST-1D, 28 x 28 MNIST digits; optional packages).

``experiments`` and the command line (``sk-symmetry``) sit on top and are not
part of the public API. Every public name is importable from here.

Why: a tanh network without biases is an odd function of its input, so on
inverted images (``x -> -x``) it provably scores
``accuracy(X) + accuracy(-X) <= 1``, and training on inverted copies does not
rescue it. Features that are invariant under the symmetry do: the model then
scores the same on ``X`` and ``-X``. The pieces are ordinary scikit-learn
estimators, so they go into a `~sklearn.pipeline.Pipeline` and a
`~sklearn.model_selection.GridSearchCV` as any other.

Command line: ``sk-symmetry reproduce`` reproduces the paper's Tables I and
II (``--protocol paper`` for its own protocol, ``--out FOLDER`` to keep
tables, CSV, JSON and figures); ``groups`` runs the experiment under mirrors
and rotations, ``tune`` tunes the invariant network, ``claims`` measures the
paper's claims and ``ising`` finds the 2D Ising critical temperature with
symmetry-constrained networks. ``sk-symmetry --help`` has the details; the
user guide (``docs/user_guide``) sets out the results, and
``docs/PAPER-PROTOCOL.md`` the paper's protocol.

References
----------
D. L. Bergman, "Symmetry constrained machine learning", Intelligent Systems
and Applications (IntelliSys 2019), arXiv:1811.07051.

Examples
--------
Products of neighbouring pixels are the same for an image and its inversion:

>>> import numpy as np
>>> from sk_symmetry import InversionInvariantTransformer
>>> X = np.array([[0.5, -1.0, 2.0, 0.25]])  # one 2 x 2 image
>>> features = InversionInvariantTransformer("neighbor", image_shape=(2, 2))
>>> features.fit_transform(X)
array([[-0.5, -0.5,  0.5,  0.5]])
>>> bool((features.transform(-X) == features.transform(X)).all())
True
"""

from .augmentation import OrbitAugmentedClassifier, RandomAffine
from .averaging import (
    GroupAveragedTransformer,
    SymmetrizedClassifier,
    SymmetrizedRegressor,
)
from .datasets import (
    load_mnist1d,
    load_mnist_digits,
    load_shifted_digits,
    make_ising,
    rotate_images,
)
from .features import (
    GroupInvariantTransformer,
    InvariantConvolutionFeatures,
    InvariantRandomFeatures,
    InversionInvariantTransformer,
    canonical_spins,
)
from .inspection import (
    InversionAccuracyBound,
    SymmetryDegeneracy,
    SymmetryReport,
    SymmetryTestDisplay,
    SymmetryTestResult,
    inversion_accuracy_bound,
    symmetry_degeneracy,
    symmetry_report,
    symmetry_test,
)
from .metrics import invariant_kernel, make_symmetric_scorer, symmetric_scoring
from .neural_network import (
    BiaslessMLPClassifier,
    BiaslessMLPRegressor,
    InvariantCNNClassifier,
    InvariantCNNRegressor,
)
from .symmetry import SymmetryGroup, check_symmetry, invert

__version__ = "0.1.0"

__all__ = [
    "BiaslessMLPClassifier",
    "BiaslessMLPRegressor",
    "GroupAveragedTransformer",
    "GroupInvariantTransformer",
    "InvariantCNNClassifier",
    "InvariantCNNRegressor",
    "InvariantConvolutionFeatures",
    "InvariantRandomFeatures",
    "InversionAccuracyBound",
    "InversionInvariantTransformer",
    "OrbitAugmentedClassifier",
    "RandomAffine",
    "SymmetrizedClassifier",
    "SymmetrizedRegressor",
    "SymmetryDegeneracy",
    "SymmetryGroup",
    "SymmetryReport",
    "SymmetryTestDisplay",
    "SymmetryTestResult",
    "__version__",
    "canonical_spins",
    "check_symmetry",
    "invariant_kernel",
    "invert",
    "inversion_accuracy_bound",
    "load_mnist1d",
    "load_mnist_digits",
    "load_shifted_digits",
    "make_ising",
    "make_symmetric_scorer",
    "rotate_images",
    "symmetric_scoring",
    "symmetry_degeneracy",
    "symmetry_report",
    "symmetry_test",
]
