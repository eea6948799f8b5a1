"""The paper's claims, measured: training data, training time, over-fitting
and the degenerate minima of Sec. IV.A.

Learning curves on the shifted digits, leak-free: the splits of ``sk-symmetry
reproduce`` (by source image), and within each training part nested subsets
of whole source images (all five shifted copies of an image together), from
about 100 images to the whole part, as `~sklearn.model_selection.learning_curve`
draws them but aware of the groups. Every model is scored on ``X_test``,
``-X_test`` and the worse of the two (`symmetry_report`), and on its own
training rows; its fit is timed (wall clock and the worker's CPU time).

The minima of Sec. IV.A are studied in `minima`; the models are in `models`.
"""

import sys
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from ...datasets import load_shifted_digits
from ...inspection import symmetry_report
from ...symmetry import invert
from .._backend import backend_context
from .._fitting import timed_fit
from .._protocol import Protocol
from .._runner import STDERR, run_tasks
from .minima import study_minima
from .models import (
    MODELS,
    build_models,
    claims_splits,
    inner_network,
    nested_subsets,
    with_seed,
)

__all__ = [
    "HELP",
    "NAME",
    "ClaimsProtocol",
    "add_arguments",
    "make_claims_protocol",
    "make_protocol",
    "run",
    "run_learning_curves",
    "summarize",
    "summarize_curves",
    "threshold_table",
]

NAME = "claims"
HELP = "the paper's claims measured: data, time, over-fitting, minima"
DESCRIPTION = (
    "Learning curves by training size (leak-free, by source image) for raw "
    "pixels on X and on +-X, invariant features and the tuned network: "
    "worst-case accuracy, over-fitting gap, fit time, iterations; the training "
    "size each needs for a worst case of 0.80; and the minima of Sec. IV.A "
    "from several seeds. Progress goes to stderr."
)
QUICK = (
    "2 splits, 3 sizes up to 600 images, fewer iterations and seeds: a check, "
    "not the result"
)

@dataclass(frozen=True)
class ClaimsProtocol(Protocol):
    """Splits, training sizes, budgets and the minima study of ``claims``."""

    n_splits: int
    sizes: tuple  # training sizes in source images (x5 rows each)
    max_iter: int  # the paper's (10, 5) networks
    tuned_max_iter: int
    minima_seeds: int
    minima_images: int  # source images the minima study trains on
    minima_max_iter: int
    minima_alpha: float = 30.0
    threshold: float = 0.80
    same_tol: float = 0.05  # relative distance below which two minima are one

    def describe(self):
        sizes = ", ".join("all" if n is None else str(n) for n in self.sizes)
        return (
            f"leak-free: {self.n_splits} split(s) by source image (those of "
            f"'reproduce'), training sizes {sizes} source images (x5 shifted "
            f"rows; 'all' is the whole training part), "
            f"(10, 5) tanh, L-BFGS, alpha 1e-5, {self.max_iter} iterations; "
            f"tuned: {self.tuned_max_iter} iterations; model seed = split index"
        )


def make_claims_protocol(*, quick=False):
    """The default protocol, or a short check with ``quick``."""
    if quick:
        return ClaimsProtocol(2, (100, 250, 600), 100, 300, 3, 100, 2000)
    sizes = (100, 180, 320, 570, 1000, None)  # about x1.8 apart
    return ClaimsProtocol(5, sizes, 200, 2000, 10, 300, 5000)


def add_arguments(parser):
    """No options of its own beyond the common ones."""


def make_protocol(args):
    """The protocol the parsed command line asks for."""
    return make_claims_protocol(quick=args.quick)


def run(protocol, *, n_jobs=1, backend="loky", scheduler=None):
    """The learning curves and the minima study on the chosen backend.

    Returns ``{"curves": one record per fit, "minima": study_minima's dict}``.
    """
    with backend_context(backend, scheduler, n_jobs=n_jobs):
        records = run_learning_curves(protocol, n_jobs=n_jobs, progress=STDERR)
        minima = study_minima(protocol, n_jobs=n_jobs, progress=STDERR)
    cpu = sum(r["cpu_time"] for r in records) + minima["cpu_time"]
    print(
        f"{len(records)} learning-curve fits and {minima['n_fits']} minima fits used "
        f"{cpu:.0f} s of CPU in the fitting processes.",
        file=sys.stderr,
    )
    return {"curves": records, "minima": minima}


def summarize(protocol, records):
    """The tables' content: curves by size, the threshold table, the minima."""
    curves = summarize_curves(records["curves"])
    return {
        "protocol": protocol.describe(),
        "threshold": protocol.threshold,
        "table": threshold_table(curves, protocol.threshold),
        "curves": curves,
        "minima": records["minima"],
        "runs": records["curves"],
    }


def _fit_and_score(model, X, y, train, test):
    model, wall, cpu = timed_fit(clone(model), X[train], y[train])
    scores = {"fit_time": wall, "cpu_time": cpu}
    for part, rows in (("test", test), ("train", train)):
        # One prediction on X and one on -X (the scorers would repeat them).
        report = symmetry_report(model, X[rows], y[rows], invert)
        scores[f"{part}_accuracy"], scores[f"{part}_inverted_accuracy"] = map(
            float, report.scores
        )
        scores[f"{part}_worst_case_accuracy"] = float(report.worst_case)
    scores["n_iter"] = int(inner_network(model).n_iter_)
    return scores


def _progress_line(key, split_index, n_images, s):
    """What a learning-curve point prints when it is done."""
    return (
        f"{key:15} split {split_index} {n_images:4d} images: worst case "
        f"{s['test_worst_case_accuracy']:.3f}, train {s['train_accuracy']:.3f}"
        f" ({s['cpu_time']:.1f} s CPU, {s['n_iter']} it.)"
    )


def run_learning_curves(protocol, *, n_jobs=1, progress=None, data=None):
    """One record per (model, split, size): accuracies, fit time, iterations."""
    data = load_shifted_digits() if data is None else data
    models = build_models(
        data.image_shape, max_iter=protocol.max_iter,
        tuned_max_iter=protocol.tuned_max_iter,
    )
    splits = claims_splits(protocol, data)
    tasks = []
    for split_index, (train, test) in enumerate(splits):
        subsets = nested_subsets(train, data.groups, protocol.sizes, split_index)
        for key, model in models.items():
            model = with_seed(model, split_index)
            for n_images, rows in subsets:
                tasks.append((key, split_index, n_images, model, rows, test))
    calls = [
        (model, data.data, data.target, rows, test) for *_, model, rows, test in tasks
    ]
    results = run_tasks(
        _fit_and_score, calls, n_jobs=n_jobs, progress=progress,
        describe=lambda i, scores: _progress_line(*tasks[i][:3], scores),
    )
    return [
        {"model": key, "split": split, "n_images": n_images, "n_train": len(rows),
         **scores}
        for (key, split, n_images, _, rows, _), scores in zip(
            tasks, results, strict=True
        )
    ]


_CURVE_FIELDS = (
    "test_accuracy", "test_inverted_accuracy", "test_worst_case_accuracy",
    "train_accuracy", "train_worst_case_accuracy", "gap", "fit_time",
    "cpu_time", "n_iter",
)


def summarize_curves(records):
    """Mean and standard deviation over splits per (model, size)."""
    cells = {}
    for r in records:
        r = {**r, "gap": r["train_accuracy"] - r["test_accuracy"]}
        cells.setdefault((r["model"], r["n_images"]), []).append(r)
    rows = []
    for (key, n_images), runs in sorted(
        cells.items(), key=lambda item: (list(MODELS).index(item[0][0]), item[0][1])
    ):
        row = {"model": key, "n_images": n_images, "n_splits": len(runs),
               "n_train": int(np.mean([r["n_train"] for r in runs]))}
        for field in _CURVE_FIELDS:
            values = np.array([r[field] for r in runs], dtype=float)
            row[f"{field}_mean"] = float(values.mean())
            row[f"{field}_std"] = float(values.std())
        rows.append(row)
    return rows


def _size_to_reach(rows, field, threshold):
    """Training size (source images) where the mean of ``field`` first reaches
    ``threshold``, interpolated in log size: a number, ``"<= n"`` if the
    smallest size already does, None if no size does."""
    sizes = np.array([r["n_images"] for r in rows], dtype=float)
    values = np.array([r[f"{field}_mean"] for r in rows])
    reached = np.flatnonzero(values >= threshold)
    if reached.size == 0:
        return None, None
    k = int(reached[0])
    if k == 0:
        return f"<= {int(sizes[0])}", 0.0
    t = (threshold - values[k - 1]) / (values[k] - values[k - 1])
    return float(sizes[k - 1] * (sizes[k] / sizes[k - 1]) ** t), k - 1 + t


def threshold_table(summary, threshold):
    """Per model: training size to reach ``threshold`` (worst case, and on X
    alone), the CPU time of a fit there, and the state at full size."""
    table = []
    baseline = None
    for key in MODELS:
        rows = [r for r in summary if r["model"] == key]
        if not rows:
            continue
        size, position = _size_to_reach(rows, "test_worst_case_accuracy", threshold)
        size_x, _ = _size_to_reach(rows, "test_accuracy", threshold)
        cpu_there = None
        if position is not None:  # the CPU time at the same place on the curve
            cpu = np.log([r["cpu_time_mean"] for r in rows])
            k = min(int(position), len(rows) - 2)
            step = (position - k) * (cpu[k + 1] - cpu[k])
            cpu_there = float(np.exp(cpu[k] + step))
        full = rows[-1]
        if key == "raw":
            baseline = full["cpu_time_mean"]
        table.append({
            "model": key,
            "images_to_threshold": size,
            "cpu_time_at_threshold": cpu_there,
            "images_to_threshold_on_x": size_x,
            "full_images": full["n_images"],
            "full_worst_case": full["test_worst_case_accuracy_mean"],
            "full_test_accuracy": full["test_accuracy_mean"],
            "full_train_accuracy": full["train_accuracy_mean"],
            "full_gap": full["gap_mean"],
            "full_gap_std": full["gap_std"],
            "full_n_iter": full["n_iter_mean"],
            "full_cpu_time": full["cpu_time_mean"],
            "full_cpu_ratio": (
                None if baseline is None else full["cpu_time_mean"] / baseline
            ),
        })
    return table
