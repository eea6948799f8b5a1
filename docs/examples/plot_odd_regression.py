"""
====================================================
An odd target: the Ising magnetization from one sign
====================================================

The magnetization per spin ``m`` of a spin configuration changes sign when
every spin flips. A network without biases and with an odd activation is an
odd function of its input, so
:class:`~sk_symmetry.BiaslessMLPRegressor` predicts ``-m`` for the flipped
configuration exactly, whatever it was trained on. Here both it and
scikit-learn's :class:`~sklearn.neural_network.MLPRegressor` are trained on
configurations with ``m > 0`` only, and scored on both signs with
:func:`~sk_symmetry.make_symmetric_scorer` and ``target="odd"``, which
compares the predictions on ``-X`` with ``-m``.
"""

# %%
# Data: 8 x 8 configurations at temperatures on both sides of T_c
# ----------------------------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from sk_symmetry import BiaslessMLPRegressor, make_ising, make_symmetric_scorer

temperatures = np.linspace(1.5, 3.5, 11)
train = make_ising(8, temperatures, 100, n_chains=2, random_state=0)
test = make_ising(8, temperatures, 100, n_chains=2, random_state=1)
positive = train.magnetization > 0  # what a short run at low T would give
X_train, m_train = train.data[positive], train.magnetization[positive]
X_test, m_test = test.data, test.magnetization

# %%
# Two networks, the same budget, trained on one sign
# --------------------------------------------------
params = dict(solver="lbfgs", alpha=1.0, max_iter=200, random_state=0)
models = {
    "BiaslessMLPRegressor": BiaslessMLPRegressor((10, 5), "tanh", **params),
    "MLPRegressor (biases)": MLPRegressor(
        hidden_layer_sizes=(10, 5), activation="tanh", **params),
}
worst_case = make_symmetric_scorer("r2", aggregate="min", target="odd")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, model in models.items():
        model.fit(X_train, m_train)
        print(f"{name}: R^2 {model.score(X_test, m_test):.3f}, worst case over "
              f"X and -X {worst_case(model, X_test, m_test):.3f}")

# %%
# Predictions on the flipped test set
# -----------------------------------
# The odd network puts the flipped configurations on the diagonal as it does
# the originals; the biased one, which never saw ``m < 0``, does not.
fig, axes = plt.subplots(1, 2, figsize=(8, 4), sharey=True)
for ax, (name, model) in zip(axes, models.items(), strict=True):
    ax.scatter(-m_test, model.predict(-X_test), s=4, alpha=0.5)
    ax.plot([-1, 1], [-1, 1], color="k", lw=0.8)
    ax.set(title=name, xlabel="true -m (flipped configurations)")
axes[0].set_ylabel("predicted")
fig.tight_layout()
plt.show()

# %%
# The same odd network is the wrong tool for an even target such as the
# energy: it would predict ``-E`` on flipped configurations. Feed it
# invariant features instead (neighbour products, see the user guide page
# on regression, and ``sk-symmetry ising-regression`` for the full table).
