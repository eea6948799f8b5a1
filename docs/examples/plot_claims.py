"""
=============================================================
The paper's claims: training data, time and degenerate minima
=============================================================

``sk-symmetry claims`` measures what the paper's abstract and its Sec. IV.A
claim for invariant features: that they need less training data and less
time, over-fit less, and remove the degenerate minima that training on
transformed copies creates. This runs the command's ``quick`` protocol (2
leak-free splits, training sizes of 100, 250 and 600 source images, 100
L-BFGS iterations, a minima study from 3 seeds); the full run and what its
numbers say are in the :ref:`user guide <claims-experiment>`.
"""

# %%
# Learning curves and the minima study, on a small budget
# -------------------------------------------------------
import matplotlib.pyplot as plt

from sk_symmetry.experiments.claims import (
    make_claims_protocol,
    run_learning_curves,
    summarize_curves,
    threshold_table,
)
from sk_symmetry.experiments.claims_minima import study_minima
from sk_symmetry.experiments.claims_report import (
    fit_time_figure,
    format_claims,
    learning_curve_figure,
)

protocol = make_claims_protocol(quick=True)
records = run_learning_curves(protocol, n_jobs=2)
minima = study_minima(protocol, n_jobs=2)
summary = summarize_curves(records)
table = threshold_table(summary, protocol.threshold)
print(format_claims(summary, table, minima, protocol.describe(), protocol.threshold))

# %%
# Worst case and over-fitting against the training size
# ------------------------------------------------------
# The worst of the accuracies on ``X_test`` and ``-X_test`` for each model,
# and the gap between accuracy on the training rows and on ``X_test``.
fig = learning_curve_figure(records, protocol.threshold)
plt.show()

# %%
# Time per fit
# ------------
# CPU time and L-BFGS iterations per fit. The model trained on the orbit has
# twice the rows of the others.
fig = fit_time_figure(records)
plt.show()
