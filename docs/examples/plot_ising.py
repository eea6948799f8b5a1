"""
========================================
The 2D Ising model: the theorem on spins
========================================

In the 2D Ising model every spin ``s_i = ±1`` interacts with its four
neighbours through the energy ``E = -sum s_i s_j``, which stays the same
when every spin flips. The symmetry of the physics is therefore exactly the
library's inversion ``x -> -x``, and the paper's theorem says something
sharp about it: a tanh network without biases, fed raw spins, answers
oppositely on a configuration and on its flip, so it cannot call both
magnetised states ``+m`` and ``-m`` "ordered". This example shows that on a
small budget with :func:`~sk_symmetry.make_ising`, next to spins made
invariant, and then finds Onsager's critical temperature
``T_c = 2 / ln(1 + sqrt 2) = 2.269`` without any network, from the Binder
cumulant. The full experiment, ``sk-symmetry ising``, is described in the
:ref:`user guide <ising-experiment>`.
"""

# %%
# Configurations below, at and above T_c
# --------------------------------------
# One configuration of a 48 x 48 lattice at each of three temperatures.
# Below ``T_c`` one sign dominates (which one is up to chance: the Wolff
# updates flip whole clusters, so a chain visits both); at ``T_c`` domains
# of every size coexist; above it the spins are disordered and ``m`` is
# close to 0.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sk_symmetry import BiaslessMLPClassifier, canonical_spins, make_ising

T_c = 2 / np.log(1 + np.sqrt(2))  # Onsager
snapshots = make_ising(48, [1.8, T_c, 3.0], 1, random_state=0)

fig, axes = plt.subplots(1, 3, figsize=(8, 3))
for ax, spins, t, m in zip(
    axes,
    snapshots.data,
    snapshots.temperatures,
    snapshots.magnetization,
    strict=True,
):
    ax.imshow(spins.reshape(48, 48), cmap="gray_r", vmin=-1, vmax=1)
    ax.set_title(f"T = {t:.3f}, m = {m:+.2f}", fontsize=9)
    ax.set_axis_off()
fig.suptitle("L = 48 (black +1, white -1)", fontsize=10)
fig.tight_layout()
plt.show()

# %%
# The data set
# ------------
# A 16 x 16 lattice at 15 temperatures from 1.6 to 3.0, 300 configurations
# each from two independent Markov chains. ``target`` is 1 ("ordered")
# below Onsager's ``T_c``; ``groups`` numbers the chains, so that training
# and test sets can be kept apart by chain. The samples of a chain are
# spaced by twice its measured autocorrelation time, which grows near
# ``T_c``.
temperatures = np.linspace(1.6, 3.0, 15)
ising = make_ising(16, temperatures, 300, n_chains=2, random_state=0)
print("data:", ising.data.shape)
print("share ordered:", ising.target.mean().round(2))
print("cluster updates between samples:")
print(ising.spacing)

# Chain 0 of every temperature for training, chain 1 for testing.
train = ising.groups % 2 == 0
X_train, y_train = ising.data[train], ising.target[train]
X_test, y_test = ising.data[~train], ising.target[~train]
T_test = ising.temperature[~train]

# %%
# Raw spins against canonical spins
# ---------------------------------
# Four small tanh networks (hidden layers (10, 5), L-BFGS, as in the full
# experiment): on raw spins, with and without biases, and on the canonical
# spins ``s * sign(m)``, the configuration turned so that its
# magnetisation is positive. Canonical spins are an invariant of the flip:
# a configuration and its flip give the same row. Each model is scored on
# the test chains (``X``), on the same configurations flipped (``-X``),
# and on the ordered configurations alone, where the bound bites.


def network(fit_bias):
    return BiaslessMLPClassifier(
        (10, 5), fit_bias=fit_bias, alpha=0.1, max_iter=100,
        random_state=0,
    )


canonical = FunctionTransformer(canonical_spins)
models = {
    "raw spins, no bias": make_pipeline("passthrough", network(False)),
    "raw spins, bias": make_pipeline("passthrough", network(True)),
    "canonical, no bias": make_pipeline(canonical, network(False)),
    "canonical, bias": make_pipeline(canonical, network(True)),
}

ordered = y_test == 1
print(f"{'model':20s} acc X  acc -X  ordered: X + -X")
for name, model in models.items():
    with warnings.catch_warnings():
        # A fixed iteration budget, as in the experiment.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    acc = model.score(X_test, y_test)
    acc_flipped = model.score(-X_test, y_test)
    on_x = model.score(X_test[ordered], y_test[ordered])
    on_flip = model.score(-X_test[ordered], y_test[ordered])
    print(
        f"{name:20s} {acc:.3f}  {acc_flipped:.3f}   "
        f"{on_x:.3f} + {on_flip:.3f} = {on_x + on_flip:.3f}"
    )

# %%
# On the ordered configurations the biasless network on raw spins scores
# exactly 1 in total over ``X`` and ``-X``: whatever it calls a magnetised
# state, it calls the opposite state the opposite, as the theorem says.
# Its probability of "ordered" on a flipped configuration is one minus
# that on the configuration itself, so its curves below stay near 1/2 and
# say nothing about the temperature. Biases lift the bound (a biased
# network can compute ``|m|``, as Carrasquilla and Melko's networks do).
# Canonical spins escape it even without biases, and give the same curve
# for ``X`` and ``-X`` (drawn on top of each other), since the two have
# the same features.

fig, axes = plt.subplots(2, 2, figsize=(8, 6), sharex=True, sharey=True)
for ax, (name, model) in zip(axes.ravel(), models.items(), strict=True):
    for sign, style, label in ((1, "-", "X"), (-1, "--", "-X")):
        proba = model.predict_proba(sign * X_test)[:, 1]
        curve = [proba[T_test == t].mean() for t in temperatures]
        ax.plot(temperatures, curve, style, marker=".", label=label)
    ax.axvline(T_c, color="black", lw=0.8, ls=":")
    ax.axhline(0.5, color="grey", lw=0.6)
    ax.set_title(name, fontsize=10)
for ax in axes[1]:
    ax.set_xlabel("T")
for ax in axes[:, 0]:
    ax.set_ylabel('mean P("ordered")')
axes[0, 0].legend()
fig.suptitle(
    'Probability of "ordered" on the test chains, on X and on -X '
    "(dotted: T_c)",
    fontsize=10,
)
fig.tight_layout()
plt.show()

# %%
# T_c without a network: the Binder cumulant
# ------------------------------------------
# The Binder cumulant ``U = 1 - <m^4> / (3 <m^2>^2)`` goes from 2/3 in the
# ordered phase to 0 in the disordered one, more steeply the larger the
# lattice, and the curves of different sizes cross near ``T_c``. It is the
# classical way to locate the transition, and it is invariant under the
# flip too (it depends on even powers of ``m`` only). Here it is for
# L = 8, 16 and 32 at 11 temperatures around ``T_c``, 2,000 configurations
# each. On a budget this small the crossing moves with the seed: six seeds
# put the crossing of 16 and 32 between 2.261 and 2.271.


def binder(m):
    return 1 - np.mean(m**4) / (3 * np.mean(m**2) ** 2)


near = np.linspace(2.15, 2.40, 11)
curves = {}
for L in (8, 16, 32):
    data = make_ising(L, near, 2000, n_chains=4, random_state=L)
    m = data.magnetization
    curves[L] = np.array([binder(m[data.temperature == t]) for t in near])

# Where U_16 - U_32 changes sign, linear between grid points.
d = curves[16] - curves[32]
i = np.flatnonzero((d[:-1] < 0) & (d[1:] >= 0))[0]
crossing = near[i] - d[i] * (near[i + 1] - near[i]) / (d[i + 1] - d[i])
error = 100 * (crossing - T_c) / T_c
print(f"U_16 and U_32 cross at T = {crossing:.3f} ({error:+.2f} %)")
print(f"Onsager's T_c = {T_c:.3f}")

fig, ax = plt.subplots(figsize=(5, 3.5))
for L, curve in curves.items():
    ax.plot(near, curve, ".-", label=f"L = {L}")
ax.axvline(T_c, color="black", lw=0.8, ls=":", label="Onsager's T_c")
ax.set_xlabel("T")
ax.set_ylabel("Binder cumulant U")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
