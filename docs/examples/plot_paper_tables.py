"""
=============================================
The paper's Tables I and II on a small budget
=============================================

Tables I and II of the paper fit a (10, 5) tanh network with and without
biases, on raw pixels (trained on ``X`` or on the orbit ``±X``) and on three
inversion-invariant feature sets, and score every model on ``X_test`` and
``-X_test``. This example builds the same ten models from the public API
and scores them on one split by source image (no shifted copy of a test
digit is trained on) and one seed, with the paper's 200 L-BFGS iterations.
``sk-symmetry reproduce`` runs the full protocol (5 splits, 3 seeds); its
tables and figure are in the
:doc:`user guide <../user_guide/experiments>`.
"""

# %%
# The data and one leak-free split
# --------------------------------
# Five images per digit (the original and four one-pixel shifts), in
# [-1, 1], so that the inverted image is exactly ``-x``. ``groups`` is the
# index of the source image: the split keeps its five images together.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline

from sk_symmetry import (
    BiaslessMLPClassifier,
    InversionInvariantTransformer,
    OrbitAugmentedClassifier,
    inversion_accuracy_bound,
    load_shifted_digits,
)

digits = load_shifted_digits()
X, y = digits.data, digits.target
split = GroupShuffleSplit(1, test_size=0.2, random_state=0)
train, test = next(split.split(X, y, digits.groups))
print(f"{train.size} training and {test.size} test images")

# %%
# Ten models
# ----------
# The paper's network, with and without biases, on five inputs: raw pixels,
# raw pixels trained on ``X`` and ``-X`` together
# (:class:`~sk_symmetry.OrbitAugmentedClassifier`), and the three feature
# sets of :class:`~sk_symmetry.InversionInvariantTransformer`, which are the
# same for ``x`` and ``-x``.

# The paper's budget of 200 iterations stops most fits before they converge.
warnings.simplefilter("ignore", ConvergenceWarning)


def network(fit_bias):
    return BiaslessMLPClassifier(
        (10, 5), fit_bias=fit_bias, max_iter=200, random_state=0
    )


def make_model(features, fit_bias):
    if features == "raw":
        return network(fit_bias)
    if features == "raw, on ±X":
        return OrbitAugmentedClassifier(network(fit_bias))
    transformer = InversionInvariantTransformer(features, image_shape=(8, 8))
    return make_pipeline(transformer, network(fit_bias))


inputs = ["raw", "raw, on ±X", "neighbor", "permutation", "square"]
accuracy, total = {}, {}
for fit_bias in (False, True):
    for features in inputs:
        model = make_model(features, fit_bias).fit(X[train], y[train])
        bound = inversion_accuracy_bound(model, X[test], y[test])
        accuracy[features, fit_bias] = bound.accuracy, bound.inverted_accuracy
        total[features, fit_bias] = bound.total

print(f"{'inputs':<12} {'biases':<7} {'acc(X)':>7} {'acc(-X)':>8} {'sum':>6}")
for (features, fit_bias), (on_x, on_minus_x) in accuracy.items():
    print(f"{features:<12} {'yes' if fit_bias else 'no':<7} "
          f"{on_x:7.3f} {on_minus_x:8.3f} {total[features, fit_bias]:6.3f}")

# %%
# What the two tables say
# -----------------------
# Without biases, a tanh network is an odd function of its input, so on raw
# pixels its accuracies on ``X`` and ``-X`` add up to at most 1, trained on
# ``X`` or on ``±X``: the bound is a theorem, not a tendency. With biases the
# bound no longer holds, but the network still scores poorly on ``-X``.
# On invariant features every model scores exactly the same on both.
for features in ("raw", "raw, on ±X"):
    print(f"{features}, no biases: R + R_bar = {total[features, False]:.3f} <= 1")
for features in inputs[2:]:
    for fit_bias in (False, True):
        on_x, on_minus_x = accuracy[features, fit_bias]
        assert on_x == on_minus_x
print("invariant features: acc(X) == acc(-X) for all six models")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True, layout="constrained")
positions = np.arange(len(inputs))
for ax, fit_bias in zip(axes, (False, True), strict=True):
    on_x = [accuracy[features, fit_bias][0] for features in inputs]
    on_minus_x = [accuracy[features, fit_bias][1] for features in inputs]
    ax.bar(positions - 0.2, on_x, width=0.4, label="on X")
    ax.bar(positions + 0.2, on_minus_x, width=0.4, label="on -X")
    ax.set_xticks(positions, inputs, rotation=20, ha="right")
    ax.set_title("with biases" if fit_bias else "without biases (odd)")
axes[0].set_ylabel("test accuracy")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
           ncol=2)
plt.show()
