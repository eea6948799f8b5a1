"""The networks of ``sk-symmetry ising``: a small registry of models by name.

Each `Model` says which features feed which network; `Model.build` makes the
`~sklearn.pipeline.Pipeline` for one fit. Adding a model is one line in
`MODELS`.
"""

from dataclasses import dataclass

from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from ...augmentation import OrbitAugmentedClassifier
from ...averaging import SymmetrizedClassifier
from ...features import InversionInvariantTransformer, canonical_spins
from ...neural_network import BiaslessMLPClassifier
from .._seeds import PERMUTATION_SEED

__all__ = ["MODELS", "Model"]


@dataclass(frozen=True)
class Model:
    """One network: its features, bias, training practice and hidden layers."""

    name: str
    features: str
    fit_bias: bool
    orbit: bool
    hidden: tuple
    # The Reynolds operator on the network (issue 27): trained on the data,
    # its predict_proba averaged over x and -x, so exactly invariant.
    symmetrized: bool = False

    def build(self, image_shape, max_iter, alpha, seed):
        network = BiaslessMLPClassifier(
            self.hidden,
            "tanh",
            fit_bias=self.fit_bias,
            solver="lbfgs",
            alpha=alpha,
            max_iter=max_iter,
            random_state=seed,
        )
        clf = OrbitAugmentedClassifier(network) if self.orbit else network
        if self.symmetrized:
            clf = SymmetrizedClassifier(network, fit_on="data")
        if self.features == "raw":
            features = "passthrough"
        elif self.features == "canonical":
            features = FunctionTransformer(canonical_spins)
        elif self.features == "neighbor":
            features = InversionInvariantTransformer(
                "neighbor", image_shape=image_shape, direction="both"
            )
        else:
            features = InversionInvariantTransformer(
                "permutation", random_state=PERMUTATION_SEED
            )
        return Pipeline([("features", features), ("clf", clf)])


MODELS = (
    Model("raw, no bias", "raw", False, False, (10, 5)),
    Model("raw, bias", "raw", True, False, (10, 5)),
    Model("raw, bias, on ±X", "raw", True, True, (10, 5)),
    Model("raw, bias, 100 units", "raw", True, False, (100,)),
    Model("neighbour products", "neighbor", True, False, (10, 5)),
    Model("permutation products", "permutation", True, False, (10, 5)),
    Model("canonical spins", "canonical", True, False, (10, 5)),
    Model("canonical spins, 100 units", "canonical", True, False, (100,)),
    Model("raw, bias, symmetrized", "raw", True, False, (10, 5), symmetrized=True),
)

