"""The models of ``sk-symmetry claims`` and how they are trained, shared by
the learning curves (`run`), the minima study (`minima`) and the report.

It imports no part of ``claims``, so those three import it without a circle.
"""

from dataclasses import replace

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from ...augmentation import OrbitAugmentedClassifier
from ...features import GroupInvariantTransformer, InversionInvariantTransformer
from ...neural_network import BiaslessMLPClassifier
from .._seeds import MODEL_SEED
from ..reproduce.run import named_protocol, protocol_splits

__all__ = [
    "MODELS",
    "build_models",
    "claims_splits",
    "inner_network",
    "nested_subsets",
    "with_seed",
]

# Model key -> label, in the order of every table and figure.
MODELS = {
    "raw": "raw pixels, bias, trained on X",
    "raw_orbit": "raw pixels, bias, trained on ±X",
    "neighbor_nobias": "neighbour products, no bias",
    "neighbor": "neighbour products, bias",
    "canonical": "canonical form, bias",
    "tuned": "tuned: neighbours both ways, alpha 30, bias",
}


def _network(**params):
    return BiaslessMLPClassifier((10, 5), "tanh", solver="lbfgs", **params)


def build_models(image_shape, *, max_iter, tuned_max_iter, alpha=1e-5):
    """The estimators of the learning curves, keyed as `MODELS`."""
    paper = dict(alpha=alpha, max_iter=max_iter)
    neighbor = InversionInvariantTransformer("neighbor", image_shape=image_shape)
    return {
        "raw": _network(fit_bias=True, **paper),
        "raw_orbit": OrbitAugmentedClassifier(_network(fit_bias=True, **paper)),
        "neighbor_nobias": Pipeline(
            [("features", neighbor), ("clf", _network(fit_bias=False, **paper))]
        ),
        "neighbor": Pipeline(
            [("features", neighbor), ("clf", _network(fit_bias=True, **paper))]
        ),
        "canonical": Pipeline(
            [
                ("features", GroupInvariantTransformer(random_state=MODEL_SEED)),
                ("clf", _network(fit_bias=True, **paper)),
            ]
        ),
        # What `sk-symmetry tune` chose (the user guide's tune section).
        "tuned": Pipeline(
            [
                (
                    "features",
                    InversionInvariantTransformer(
                        "neighbor", image_shape=image_shape, direction="both"
                    ),
                ),
                (
                    "clf",
                    _network(
                        fit_bias=True, alpha=30.0, max_iter=tuned_max_iter,
                        max_fun=10**6,
                    ),
                ),
            ]
        ),
    }


def with_seed(model, seed):
    """A clone of ``model`` whose network starts from ``seed`` (feature maps
    keep theirs, so every run sees the same features)."""
    model = clone(model)
    return model.set_params(**{
        name: seed for name in model.get_params()
        if name.endswith("random_state") and not name.startswith("features")
    })


def inner_network(model):
    """The BiaslessMLPClassifier at the end of a pipeline or orbit classifier."""
    while True:
        if hasattr(model, "steps"):
            model = model.steps[-1][1]
        elif hasattr(model, "estimator_"):
            model = model.estimator_
        else:
            return model


def nested_subsets(train, groups, sizes, seed):
    """Training rows for each size: the first ``n`` of the training part's
    source images in a shuffled order, all their rows (nested, as
    `learning_curve` takes the first ``n`` samples). None is the whole part."""
    images = np.random.default_rng(seed).permutation(np.unique(groups[train]))
    subsets = []
    for size in sizes:
        chosen = images if size is None else images[:size]
        subsets.append((len(chosen), train[np.isin(groups[train], chosen)]))
    return subsets


def claims_splits(protocol, data):
    """The leak-free splits of ``reproduce`` (the first ``n_splits``)."""
    leak_free = replace(named_protocol("leak-free"), n_splits=protocol.n_splits)
    return protocol_splits(leak_free, data)
