"""
=====================================================
Invariant random features for a symmetry of your own
=====================================================

A user's own data and a symmetry built from its generators, with the public
API only: first ask the data which elements of the symmetry they have
(:func:`~sk_symmetry.symmetry_test`), then impose the part that passes with
:class:`~sk_symmetry.InvariantRandomFeatures` in a scikit-learn pipeline,
and check the result on every image of the test set with
:func:`~sk_symmetry.symmetry_report`.

The data are signals from a ring of 12 sensors read from an arbitrary
starting point: turning the ring does not change the class. Reading the
ring the other way round (a reflection) looks like a symmetry too, but it is
not one here: two of the classes are a rising and a falling ramp, and a
reflection turns one into the other.
"""

# %%
# The data: three shapes on a ring
# --------------------------------
# A pulse, a rising ramp and a falling ramp (the rising one read backwards),
# each at a random position on the ring, with a random amplitude and noise.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeClassifierCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_symmetry import (
    InvariantRandomFeatures,
    SymmetryGroup,
    symmetry_report,
    symmetry_test,
)

n = 12
t = np.arange(n)
ramp = np.where(t < 6, t / 5.0, 0.0)
shapes = np.array([
    np.exp(-0.5 * ((t - 3) / 1.0) ** 2),  # a pulse
    ramp,                                  # a rising ramp, then a drop
    ramp[::-1],                            # the same read backwards
])


def make_signals(n_samples, rng):
    y = rng.integers(0, len(shapes), n_samples)
    start = rng.integers(0, n, n_samples)
    X = np.stack([np.roll(shapes[k], s) for k, s in zip(y, start, strict=True)])
    X *= rng.uniform(0.7, 1.3, (n_samples, 1))
    return X + 0.15 * rng.standard_normal(X.shape), y


rng = np.random.default_rng(0)
X_train, y_train = make_signals(600, rng)
X_test, y_test = make_signals(600, rng)

fig, axes = plt.subplots(1, 3, figsize=(9, 2.4), sharey=True)
for k, ax in enumerate(axes):
    for row in X_train[y_train == k][:3]:
        ax.plot(row, marker=".", linewidth=1)
    ax.set_title(f"class {k}: three training signals", fontsize=9)
    ax.set_xlabel("sensor")
    ax.set_xticks(range(0, n, 2))
axes[0].set_ylabel("reading")
fig.tight_layout()
plt.show()

# %%
# The symmetry, from its generators
# ---------------------------------
# Each generator is a signed permutation of the 12 features: a turn of the
# ring by one sensor, and reading it backwards. The group they generate (the
# dihedral group of the ring) has 24 elements.
turn = (np.roll(t, 1), 1, "turn")
backwards = (t[::-1].copy(), 1, "backwards")
G = SymmetryGroup([turn, backwards])
print(G)

# %%
# Which elements do the data have?
# --------------------------------
# ``symmetry_test`` asks, for every element ``g``, whether ``X`` and ``g(X)``
# are alike and whether the labels survive ``g``, with exact p-values. A
# nearest-neighbour model is flexible enough to see a shape read backwards.
result = symmetry_test(
    X_train, y_train, G, estimator=KNeighborsClassifier(5), random_state=0
)
# A few of the per-element results (``print(result)`` or, with pandas,
# ``result.to_frame()`` shows them all): the adjusted p-values of the input
# and label tests, the accuracy on ``g(X)`` and what was rejected.
print(f"{'element':<26} {'p, X vs g(X)':>12} {'acc g(X)':>9} {'p, labels':>10}"
      "  rejected")
columns = (result.elements, result.input_pvalue_adjusted,
           result.transformed_accuracy, result.label_pvalue_adjusted,
           result.rejected)
for name, p_input, accuracy, p_labels, rejected in zip(*columns, strict=True):
    print(f"{name:<26} {p_input:12.3g} {accuracy:9.3f} {p_labels:10.3g}  {rejected}")
print("safe to impose:", result.subgroup_)
print("backwards moves:", result.relabelled("backwards"))

# %%
# The turns pass, every element that reads the ring backwards fails its
# label test (the inputs alone look the same either way: the classes come in
# equal numbers), and the ramps are what moves: class 1 becomes class 2 and
# the reverse. ``subgroup_`` is the 12 turns.
#
# Invariant random features under each group
# ------------------------------------------
# The same pipeline twice: random features averaged over the group (exactly
# invariant), a scaler and a ridge classifier. Once over the subgroup the
# test allows, once over the whole group.
models = {}
for name, group in (("turns (the test's subgroup)", result.subgroup_),
                    ("turns and reflections", G)):
    model = make_pipeline(
        InvariantRandomFeatures(group, n_components=500, random_state=0),
        StandardScaler(),
        RidgeClassifierCV(alphas=np.logspace(-2, 4, 13)),
    )
    models[name] = model.fit(X_train, y_train)

# %%
# Scored on every image of the test set
# -------------------------------------
# ``symmetry_report`` scores each model on ``g(X_test)`` against ``y_test``
# for every element of the whole group. Under a reflection the true class of
# a ramp changes, so a model that is right must *lose* accuracy there: the
# report shows what each model assumes.
fig, ax = plt.subplots(figsize=(9, 4))
for name, model in models.items():
    report = symmetry_report(model, X_test, y_test, G)
    print(f"{name:28} on X_test {report.scores[0]:.3f}, "
          f"worst {report.worst_case:.3f}, mean {report.mean:.3f}")
    ax.plot(report.scores, marker="o", markersize=4, label=name)
ax.set_xticks(range(len(G)), report.elements, rotation=60, ha="right", fontsize=7)
ax.set_xlabel("group element applied to X_test")
ax.set_ylabel("accuracy against y_test")
ax.set_ylim(0, 1.05)
ax.set_title("Invariant random features + ridge, scored on each image of the "
             "test set", fontsize=10)
ax.legend(fontsize=8, loc="lower center", ncol=2)
fig.tight_layout()
plt.show()

# %%
# What it shows
# -------------
# Over the turns alone the model is right on the signals as they are and on
# every turn of them (one number for the 12 turns: the features are the
# same bits). Over the whole group it cannot tell a rising ramp from a
# falling one, since each is the other read backwards: it scores the same on
# every element, and lower, because it merges two classes. The test said so
# before any model was fitted.
