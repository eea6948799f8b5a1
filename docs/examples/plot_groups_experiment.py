"""
=======================================================
The groups experiment: mirrors, rotations and inversion
=======================================================

The paper's question for a larger group: train on the digits as they are,
then score on every image of the test set under the dihedral group of the
square times the inversion (16 elements: quarter turns, mirrors, each with
and without inverting the gray levels). This example builds four of the
experiment's models from the public API on one split by source image and
scores them with :func:`~sk_symmetry.symmetry_report`. ``sk-symmetry
groups`` runs the full experiment (more models, three groups, more splits
and components); its results are in the :ref:`user guide
<groups-experiment>`.
"""

# %%
# The group and the models
# ------------------------
# The paper's (10, 5) tanh network on raw pixels, the same network trained on
# the 16 images of every training digit
# (:class:`~sk_symmetry.OrbitAugmentedClassifier`), the same network on the
# group averages of products of pixel pairs
# (:class:`~sk_symmetry.GroupInvariantTransformer`), and invariant random
# features (:class:`~sk_symmetry.InvariantRandomFeatures`, 200 components)
# under a ridge classifier. The two invariant models give the same features
# for all 16 images of a digit.
import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeClassifierCV
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_symmetry import (
    BiaslessMLPClassifier,
    GroupInvariantTransformer,
    InvariantRandomFeatures,
    OrbitAugmentedClassifier,
    SymmetryGroup,
    load_shifted_digits,
    symmetry_report,
)

# Small budgets: the networks stop before they converge.
warnings.simplefilter("ignore", ConvergenceWarning)
G = SymmetryGroup.dihedral((8, 8)) * SymmetryGroup.inversion()
print(textwrap.fill(f"{len(G)} elements: " + ", ".join(g.name for g in G), 79))

digits = load_shifted_digits()
X, y = digits.data, digits.target
split = GroupShuffleSplit(1, test_size=0.2, random_state=0)
train, test = next(split.split(X, y, digits.groups))
X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]


def network(max_iter):
    return BiaslessMLPClassifier((10, 5), fit_bias=True, max_iter=max_iter,
                                 random_state=0)


def random_features(n_components):
    return make_pipeline(
        InvariantRandomFeatures(G, n_components, image_shape=(8, 8),
                                random_state=0),
        StandardScaler(),
        RidgeClassifierCV(np.logspace(-2, 3, 6)),
    )


models = {
    "raw pixels": network(100),
    "raw pixels, on the orbit": OrbitAugmentedClassifier(network(20), symmetry=G),
    "averaged pair products": make_pipeline(
        GroupInvariantTransformer(G, kind="averaged", pairs="all"), network(100)
    ),
    "random features + ridge": random_features(200),
}
reports = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    reports[name] = symmetry_report(model, X_test, y_test, G)
    print(f"{name:<26} worst case {reports[name].worst_case:.3f}, "
          f"mean {reports[name].mean:.3f}")

# %%
# Accuracy on each image of the test set
# --------------------------------------
# One row per model, one column per element. The raw-pixel network does well
# only on the identity; trained on the orbit (with its small budget here) it
# is mediocre everywhere; each invariant model has one number per row.
scores = np.array([report.scores for report in reports.values()])
fig, ax = plt.subplots(figsize=(10, 4.4))
image = ax.imshow(scores, vmin=0, vmax=1, cmap="viridis", aspect="auto")
ax.set_xticks(range(len(G)), reports["raw pixels"].elements, rotation=60,
              ha="right", fontsize=9)
ax.set_yticks(range(len(reports)), list(reports), fontsize=10)
for (row, column), score in np.ndenumerate(scores):
    ax.text(column, row, f"{score:.2f}", ha="center", va="center", fontsize=8,
            color="black" if score > 0.5 else "white")
fig.colorbar(image, ax=ax, label="test accuracy", fraction=0.03)
fig.tight_layout()
plt.show()

# %%
# What the group costs: 6 and 9
# -----------------------------
# A half turn maps a 6 onto something close to a 9, so a model invariant
# under the group must tell them apart by the details of their shapes. The
# confusion of the random features, pooled over the 16 images of the test
# set, shows where the errors go.
best = models["random features + ridge"]
predictions = np.concatenate([best.predict(image) for image in G.orbit(X_test)])
fig, ax = plt.subplots(figsize=(6.4, 5.6))
ConfusionMatrixDisplay.from_predictions(
    np.tile(y_test, len(G)), predictions, normalize="true", values_format=".2f",
    colorbar=False, ax=ax, text_kw={"fontsize": 8},
)
ax.set_title("random features + ridge, the whole orbit", fontsize=10)
fig.tight_layout()
plt.show()

# %%
# The price of completeness
# -------------------------
# Invariant random features tell more orbits apart the more components they
# have. The full run goes to 3,000 components on the larger split.
widths = [50, 100, 200, 400]
worst = [symmetry_report(random_features(n).fit(X_train, y_train), X_test, y_test,
                         G).worst_case for n in widths]
for n, score in zip(widths, worst, strict=True):
    print(f"{n:4d} components: worst case {score:.3f}")
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.semilogx(widths, worst, marker="o")
ax.minorticks_off()
ax.set_xticks(widths, [str(n) for n in widths])
ax.set_xlabel("n_components")
ax.set_ylabel("worst case over the 16 elements")
fig.tight_layout()
plt.show()
