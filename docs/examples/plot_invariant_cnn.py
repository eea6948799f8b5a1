"""
=================================================
A convolutional network invariant by construction
=================================================

:class:`~sk_symmetry.InvariantCNNClassifier` runs a small convolutional
network on every image of each row's orbit under a
:class:`~sk_symmetry.SymmetryGroup` and pools the results over the orbit
before its dense head. The orbit is visited in an order set by the images
themselves, so the predictions on ``g(X)`` are those on ``X`` to the last
bit, for every element ``g``: invariance by construction, not by training.

Here: scikit-learn's 8 x 8 digits, trained upright, scored on all 16 images
of the test set under the dihedral group of the square times grayscale
inversion, beside the same network without a group and trained on the
orbit (the standard practice). Small budgets keep the example short.
"""

# %%
# Data and group
# --------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sk_symmetry import (
    InvariantCNNClassifier,
    OrbitAugmentedClassifier,
    SymmetryGroup,
    symmetry_report,
)

digits = load_digits()
X = digits.data / 8.0 - 1.0  # pixels in [-1, 1]: inversion is exactly -X
X_train, X_test, y_train, y_test = train_test_split(
    X, digits.target, train_size=600, test_size=300, random_state=0,
    stratify=digits.target,
)
group = SymmetryGroup.dihedral((8, 8)) * SymmetryGroup.inversion()
print(f"{len(group)} elements:", ", ".join(g.name for g in group[:5]), "...")

# %%
# Three networks
# --------------
# The same architecture each time (two convolutions of 8 and 16 channels, a
# dense layer of 32 units); only the group differs. ``SymmetryGroup([])`` is
# no symmetry at all. The budgets are too small to converge, which the
# networks say with a ``ConvergenceWarning``; it is silenced here.
warnings.simplefilter("ignore", ConvergenceWarning)
params = dict(image_shape=(8, 8), conv_channels=(8, 16), hidden_layer_sizes=(32,),
              random_state=0)
models = {
    "no group": InvariantCNNClassifier(SymmetryGroup([]), max_iter=20, **params),
    "no group, on the orbit": OrbitAugmentedClassifier(
        InvariantCNNClassifier(SymmetryGroup([]), max_iter=3, **params),
        symmetry=group,
    ),
    "invariant": InvariantCNNClassifier(group, max_iter=20, **params),
}
reports = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    reports[name] = symmetry_report(model, X_test, y_test, group)
    report = reports[name]
    print(f"{name:24} accuracy on X {report.scores[0]:.3f}, "
          f"worst case over the group {report.worst_case:.3f}")

# %%
# Exact invariance, checked
# -------------------------
# Every element's probabilities equal those on the upright images, bit for
# bit; the worst case is the accuracy on ``X``.
invariant = models["invariant"]
reference = invariant.predict_proba(X_test)
print("bitwise equal under every element:",
      all(np.array_equal(invariant.predict_proba(g(X_test)), reference)
          for g in group))

# %%
# Accuracy on each image of the test set
# --------------------------------------
fig, ax = plt.subplots(figsize=(7, 3.6))
names = [g.name for g in group]
for name, report in reports.items():
    ax.plot(range(len(names)), report.scores, marker="o", label=name)
ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1.02)
ax.set_title("8 x 8 digits under dihedral x inversion")
ax.legend(loc="lower left", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# The loss curve
# --------------
# ``loss_curve_`` has one value per epoch, as scikit-learn's MLP has.
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.arange(1, len(invariant.loss_curve_) + 1), invariant.loss_curve_)
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("InvariantCNNClassifier, 16 elements")
fig.tight_layout()
plt.show()
