"""
=============================================
The paper's Tables I and II on a small budget
=============================================

``sk-symmetry reproduce`` fits the paper's (10, 5) tanh network with and
without biases, on raw pixels (trained on ``X`` or on the orbit ``±X``) and
on the three inversion-invariant feature sets, and scores every model on
``X_test`` and ``-X_test``. Here the same experiment runs twice from Python:
under the paper's own protocol (one split, the full 200 iterations, a few
seconds) and under the leak-free protocol with its ``quick`` budget (one
split by source image, one seed, 100 iterations). The full leak-free run
(5 splits, 3 seeds) is in the :doc:`user guide <../user_guide/experiments>`.
"""

# %%
# The paper's protocol
# --------------------
# The data are shifted before the split, as in the paper, so shifted copies of
# the test images are in the training set. ``progress=None`` keeps the
# per-fit progress lines out of this page.
import matplotlib.pyplot as plt

from sk_symmetry.experiments.report import accuracy_figure, format_tables
from sk_symmetry.experiments.reproduce import make_protocol, run_experiment, summarize

paper = make_protocol("paper")
rows = summarize(run_experiment(paper, n_jobs=2, progress=None))
print(format_tables(rows, paper.describe()))

# %%
# Every biasless network on raw pixels has ``R + R_bar <= 1``, trained on
# ``X`` or on ``±X``; the invariant features score exactly the same on ``X``
# and ``-X``.
bound = [r for r in rows if r["features"] == "raw" and not r["fit_bias"]]
print("biasless raw-pixel networks, largest R + R_bar:",
      max(r["sum_max"] for r in bound))
invariant = [r for r in rows if r["features"] != "raw"]
print("invariant models, largest |acc(X) - acc(-X)|:",
      max(r["max_abs_difference"] for r in invariant))

fig = accuracy_figure(rows, paper.describe())
plt.show()

# %%
# The leak-free protocol, quick budget
# ------------------------------------
# Split by source image, so no shifted copy of a test digit is trained on.
leak_free = make_protocol("leak-free", quick=True)
rows = summarize(run_experiment(leak_free, n_jobs=2, progress=None))
print(format_tables(rows, leak_free.describe()))
fig = accuracy_figure(rows, leak_free.describe())
plt.show()
