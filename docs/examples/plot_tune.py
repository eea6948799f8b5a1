"""
=================================================
Tuning the invariant network: the penalty matters
=================================================

``sk-symmetry tune`` asks how far the paper's (10, 5) tanh network goes on
invariant features once it is tuned. Its full grid (108 candidates, about
four minutes on two cores) chose neighbour products in both directions and a
strong L2 penalty, ``alpha=30``, and scored 0.943 on both ``X_test`` and
``-X_test``. This example shows the two steps on a small budget: the
command's ``quick`` search, then a validation curve over ``alpha`` that
shows why the penalty was the main lever.
"""

# %%
# The command's quick search
# --------------------------
# One candidate (horizontal neighbours, ``alpha=0.01``, 200 iterations)
# through the same machinery: a ``GridSearchCV`` over three folds split by
# source image, scored by the symmetric scorers, refitted on the worst case
# of ``X`` and ``-X``, then scored on the held-out split. The search is the
# command's (not public API), so it runs as ``sk-symmetry tune --quick``; its
# outcome is printed as JSON.
import subprocess
import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold, GroupShuffleSplit, validation_curve
from sklearn.pipeline import make_pipeline

from sk_symmetry import (
    BiaslessMLPClassifier,
    InversionInvariantTransformer,
    load_shifted_digits,
    make_symmetric_scorer,
)

command = [sys.executable, "-m", "sk_symmetry", "tune", "--quick", "--n-jobs", "2"]
print(subprocess.run(command, capture_output=True, text=True, check=True).stdout)

# %%
# A validation curve over the penalty
# -----------------------------------
# Neighbour products in both directions (128 inputs), biases on, 300 L-BFGS
# iterations; cross-validated by source image on the training part of the
# first leak-free split, scored by the worst of the accuracies on ``X`` and
# ``-X``. For invariant features the two are equal, so the worst case is the
# accuracy itself. The first leak-free split of ``sk-symmetry reproduce`` is
# scikit-learn's ``GroupShuffleSplit`` by source image with seed 0.

# The iteration budget is part of each candidate; reaching it is expected.
warnings.simplefilter("ignore", ConvergenceWarning)
data = load_shifted_digits(scaling="fixed")
splits = GroupShuffleSplit(5, test_size=0.2, random_state=0)
train, _ = next(splits.split(data.data, data.target, data.groups))
X, y, groups = data.data[train], data.target[train], data.groups[train]

model = make_pipeline(
    InversionInvariantTransformer("neighbor", image_shape=(8, 8), direction="both"),
    BiaslessMLPClassifier((10, 5), fit_bias=True, max_iter=300, random_state=0),
)
alphas = np.array([1e-3, 1.0, 10.0, 30.0])
train_scores, test_scores = validation_curve(
    model, X, y, param_name="biaslessmlpclassifier__alpha", param_range=alphas,
    groups=groups, cv=GroupKFold(3), n_jobs=2,
    scoring=make_symmetric_scorer("accuracy", aggregate="min"),
)
means = zip(alphas, train_scores.mean(1), test_scores.mean(1), strict=True)
for alpha, tr, te in means:
    print(f"alpha={alpha:<6g} train worst case {tr:.3f}  CV worst case {te:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.4))
ax.semilogx(alphas, train_scores.mean(1), marker="o", label="training folds")
ax.semilogx(alphas, test_scores.mean(1), marker="o", label="held-out folds")
ax.set_xlabel("alpha (L2 penalty)")
ax.set_ylabel("worst of acc(X), acc(-X)")
ax.set_title("Neighbour products in both directions, (10, 5) tanh, 300 iterations",
             fontsize=9)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
# The paper's weak penalty lets the ten-unit first layer fit the training
# folds much better than the held-out ones; a penalty of 10 to 30 closes most
# of that gap and lifts the held-out score, which is what the full search
# found with more iterations and restarts.
