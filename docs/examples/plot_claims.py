"""
=============================================================
The paper's claims: training data, time and degenerate minima
=============================================================

``sk-symmetry claims`` measures what the paper's abstract and its Sec. IV.A
claim for invariant features: that they need less training data and less
time, over-fit less, and remove the degenerate minima that training on
transformed copies creates. This runs the command's ``quick`` protocol (2
leak-free splits, training sizes of 100, 250 and 600 source images, 100
L-BFGS iterations, a minima study from 3 seeds) through the command line,
the experiment's runner (it is not public API), and shows the figures it
writes; the full run and what its numbers say are in the
:ref:`user guide <claims-experiment>`.
"""

# %%
# Learning curves and the minima study, on a small budget
# -------------------------------------------------------
# ``sk-symmetry claims --quick --out FOLDER``, as in a terminal; the per-fit
# progress lines go to standard error, which is not shown here.
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

out = Path(tempfile.mkdtemp())
command = [sys.executable, "-m", "sk_symmetry", "claims", "--quick", "--n-jobs", "2"]
run = subprocess.run(
    [*command, "--out", str(out)], capture_output=True, text=True, check=True
)
print(run.stdout)


def show(path):
    """A PNG file the command wrote, as a figure of this page."""
    image = plt.imread(path)
    fig, ax = plt.subplots(figsize=(image.shape[1] / 110, image.shape[0] / 110))
    ax.imshow(image)
    ax.set_axis_off()
    fig.tight_layout(pad=0)
    plt.show()


# %%
# Worst case and over-fitting against the training size
# ------------------------------------------------------
# The worst of the accuracies on ``X_test`` and ``-X_test`` for each model,
# and the gap between accuracy on the training rows and on ``X_test``.
show(out / "claims_learning_curve.png")

# %%
# Time per fit
# ------------
# CPU time and L-BFGS iterations per fit. The model trained on the orbit has
# twice the rows of the others.
show(out / "claims_fit_time.png")
