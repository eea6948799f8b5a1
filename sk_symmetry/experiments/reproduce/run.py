"""The paper's experiment (Tables I and II) from the library's public pieces.

One `Pipeline` (features -> `BiaslessMLPClassifier`) and one parameter grid
over the feature set, ``fit_bias`` and the training practice (X, or the orbit
{X, -X} through `OrbitAugmentedClassifier`); every candidate is scored by
`cross_validate` with the symmetric scorers on each split. The grid is the one
a `GridSearchCV(..., refit=False)` would search; the fits are dispatched here
one by one so that progress, with an estimate of the time left, can be shown.

A task carries only the protocol and the candidate, never the data: each
process loads the data and draws the splits itself (both deterministic, and
cached per process). On a Dask cluster joblib then has no data to scatter,
whose only copy a dying worker could take with it: a worker that dies loses
only its running fits, which the scheduler runs again elsewhere.
"""

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import (
    GroupShuffleSplit,
    ParameterGrid,
    ShuffleSplit,
    cross_validate,
)
from sklearn.pipeline import Pipeline

from ...augmentation import OrbitAugmentedClassifier
from ...datasets import load_shifted_digits
from ...features import InversionInvariantTransformer
from ...metrics import symmetric_scoring
from ...neural_network import BiaslessMLPClassifier
from .._arguments import positive_int
from .._backend import backend_context
from .._fitting import budget_reached_is_expected
from .._protocol import Protocol
from .._runner import STDERR, run_tasks
from .._seeds import MODEL_SEED, PAPER_MODEL_SEEDS, PERMUTATION_SEED, SPLIT_SEED

__all__ = [
    "HELP",
    "NAME",
    "PAPER_TABLES",
    "ReproduceProtocol",
    "add_arguments",
    "build_search_space",
    "make_protocol",
    "named_protocol",
    "protocol_splits",
    "run",
    "run_experiment",
    "summarize",
    "summarize_cells",
]

NAME = "reproduce"
HELP = "reproduce Tables I and II of Bergman (2019)"
DESCRIPTION = (
    "Run the paper's experiment and print Tables I and II with the paper's "
    "numbers beside ours. Progress goes to stderr."
)
QUICK = "fewer splits, seeds and iterations (100): a check, not the result"

# Tables I and II of the paper: (fit_bias, features, trained on) ->
# (accuracy on X_test, accuracy on -X_test). Table II reports one number for
# both, since invariant features make them equal.
PAPER_TABLES = {
    (False, "raw", "X"): (0.84, 0.001),
    (False, "raw", "+-X"): (0.12, 0.09),
    (True, "raw", "X"): (0.81, 0.02),
    (True, "raw", "+-X"): (0.68, 0.69),
    (False, "square", "X"): (0.65, 0.65),
    (False, "neighbor", "X"): (0.84, 0.84),
    (False, "permutation", "X"): (0.81, 0.81),
    (True, "square", "X"): (0.66, 0.66),
    (True, "neighbor", "X"): (0.87, 0.87),
    (True, "permutation", "X"): (0.82, 0.82),
}

FEATURE_SETS = ("raw", "square", "neighbor", "permutation")


@dataclass(frozen=True)
class ReproduceProtocol(Protocol):
    """How the experiment is run: data scaling, splits, seeds and budget."""

    name: str
    scaling: str
    leak_free: bool
    n_splits: int
    seeds: tuple
    max_iter: int
    alpha: float = 1e-5
    test_size: float = 0.2

    def describe(self):
        split = (
            f"{self.n_splits} split(s) by source image (leak-free)"
            if self.leak_free
            else "the paper's split after shifting (leaks shifted copies)"
        )
        seeds = "the paper's seeds" if not self.seeds else f"seeds {list(self.seeds)}"
        return (
            f"protocol {self.name}: {self.scaling} scaling, {split}, "
            f"test size {self.test_size}, {seeds}, (10, 5) tanh, L-BFGS, "
            f"{self.max_iter} iterations, alpha {self.alpha:g}"
        )


def named_protocol(name="leak-free", *, quick=False, max_iter=None):
    """The named protocol; ``quick`` trades repeats and iterations for time."""
    if name == "paper":
        protocol = ReproduceProtocol("paper", "per_column", False, 1, (), 200)
    elif name == "leak-free":
        seeds = tuple(range(MODEL_SEED, MODEL_SEED + (1 if quick else 3)))
        protocol = ReproduceProtocol(
            "leak-free", "fixed", True, 1 if quick else 5, seeds, 200
        )
    else:
        raise ValueError(f"protocol must be 'paper' or 'leak-free', got {name!r}.")
    if quick:
        protocol = replace(protocol, max_iter=100)
    if max_iter is not None:
        protocol = replace(protocol, max_iter=max_iter)
    return protocol


def add_arguments(parser):
    """``--protocol`` and ``--max-iter``."""
    parser.add_argument(
        "--protocol",
        choices=("leak-free", "paper"),
        default="leak-free",
        help="'paper': the paper's split after shifting, per-column scaling, its "
        "seeds; 'leak-free': splits by source image, fixed scaling, repeated "
        "over splits and seeds (default: %(default)s)",
    )
    parser.add_argument(
        "--max-iter",
        type=positive_int,
        default=None,
        help="L-BFGS iteration budget (default: 200, the paper's; 100 with --quick)",
    )


def make_protocol(args):
    """The protocol the parsed command line asks for."""
    return named_protocol(args.protocol, quick=args.quick, max_iter=args.max_iter)


def run(protocol, *, n_jobs=1, backend="loky", scheduler=None):
    """Every fit of the protocol (`run_experiment`) on the chosen backend."""
    with backend_context(backend, scheduler, n_jobs=n_jobs):
        return run_experiment(protocol, n_jobs=n_jobs)


def summarize(protocol, records):
    """``{"protocol": description, "cells": one row per cell, "runs": records}``."""
    return {
        "protocol": protocol.describe(),
        "cells": summarize_cells(records),
        "runs": records,
    }


def protocol_splits(protocol, data):
    """The (train, test) index pairs of the protocol on `load_shifted_digits` data."""
    n = data.target.shape[0]
    if protocol.leak_free:
        cv = GroupShuffleSplit(
            protocol.n_splits, test_size=protocol.test_size, random_state=SPLIT_SEED
        )
        return list(cv.split(data.data, data.target, data.groups))
    # train_test_split(X, y, test_size=0.2, random_state=0) draws exactly this.
    cv = ShuffleSplit(1, test_size=protocol.test_size, random_state=SPLIT_SEED)
    return list(cv.split(np.zeros(n)))


def build_search_space(protocol, image_shape):
    """The pipeline and the parameter grid of the experiment."""
    network = BiaslessMLPClassifier(
        hidden_layer_sizes=(10, 5),
        activation="tanh",
        solver="lbfgs",
        alpha=protocol.alpha,
        max_iter=protocol.max_iter,
    )
    pipeline = Pipeline([("features", "passthrough"), ("clf", network)])
    invariant = [
        InversionInvariantTransformer("square"),
        InversionInvariantTransformer("neighbor", image_shape=image_shape),
        InversionInvariantTransformer("permutation", random_state=PERMUTATION_SEED),
    ]
    grid = []
    for fit_bias in (False, True):
        seeds = list(protocol.seeds or PAPER_MODEL_SEEDS[fit_bias])
        own = {"clf__fit_bias": [fit_bias], "clf__random_state": seeds}
        grid.append({"features": ["passthrough"], "clf": [network], **own})
        grid.append({"features": invariant, "clf": [network], **own})
        grid.append(
            {
                "features": ["passthrough"],
                "clf": [OrbitAugmentedClassifier(network)],
                "clf__estimator__fit_bias": [fit_bias],
                "clf__estimator__random_state": seeds,
            }
        )
    return pipeline, grid


def describe_candidate(params):
    """(fit_bias, features, trained on, seed) of one grid candidate."""
    features = params["features"]
    kind = "raw" if features == "passthrough" else features.kind
    if isinstance(params["clf"], OrbitAugmentedClassifier):
        return (
            params["clf__estimator__fit_bias"],
            kind,
            "+-X",
            params["clf__estimator__random_state"],
        )
    return params["clf__fit_bias"], kind, "X", params["clf__random_state"]


@lru_cache(maxsize=2)
def _protocol_data(protocol):
    """The data and the splits of ``protocol``, made once per process."""
    data = load_shifted_digits(scaling=protocol.scaling)
    return data, protocol_splits(protocol, data)


def _fit_and_score(pipeline, params, protocol, split_index):
    data, splits = _protocol_data(protocol)
    X, y, split = data.data, data.target, splits[split_index]
    estimator = clone(pipeline).set_params(**clone(params, safe=False))
    with budget_reached_is_expected():
        scores = cross_validate(
            estimator,
            X,
            y,
            cv=[split],
            scoring=symmetric_scoring("accuracy"),
            error_score="raise",
        )
    return {
        "accuracy": float(scores["test_accuracy"][0]),
        "inverted_accuracy": float(scores["test_inverted_accuracy"][0]),
        "fit_time": float(scores["fit_time"][0]),
    }


def run_experiment(protocol, *, n_jobs=1, progress=STDERR):
    """Fit every candidate on every split; return one record per fit.

    Each record holds the cell (``fit_bias``, ``features``, ``trained_on``),
    the model ``seed``, the ``split`` index and the accuracies on ``X_test``
    and ``-X_test``. ``progress`` is a file for one line per finished fit
    (standard error by default) or None.
    """
    data, splits = _protocol_data(protocol)
    pipeline, grid = build_search_space(protocol, data.image_shape)
    tasks = [
        (pipeline, params, protocol, split_index)
        for params in ParameterGrid(grid)
        for split_index in range(len(splits))
    ]

    def describe(index, scores):
        _, params, _, split_index = tasks[index]
        fit_bias, features, trained_on, seed = describe_candidate(params)
        return (
            f"bias={'yes' if fit_bias else 'no ':3} {features:11} on "
            f"{trained_on:3} seed {seed} split {split_index}: acc "
            f"{scores['accuracy']:.3f} / -X {scores['inverted_accuracy']:.3f} "
            f"({scores['fit_time']:.1f} s)"
        )

    results = run_tasks(
        _fit_and_score, tasks, n_jobs=n_jobs, describe=describe, progress=progress
    )
    records = []
    for (_, params, _, split_index), scores in zip(tasks, results, strict=True):
        fit_bias, features, trained_on, seed = describe_candidate(params)
        records.append(
            {
                "fit_bias": fit_bias,
                "features": features,
                "trained_on": trained_on,
                "seed": seed,
                "split": split_index,
                **scores,
            }
        )
    return records


def summarize_cells(records):
    """One row per cell: mean and standard deviation over seeds and splits."""
    cells = {}
    for record in records:
        key = (record["fit_bias"], record["features"], record["trained_on"])
        cells.setdefault(key, []).append(record)
    rows = []
    for key in sorted(cells, key=_cell_order):
        runs = cells[key]
        acc = np.array([r["accuracy"] for r in runs])
        inv = np.array([r["inverted_accuracy"] for r in runs])
        paper = PAPER_TABLES.get(key, (None, None))
        fit_bias, features, trained_on = key
        rows.append(
            {
                "table": "I" if features == "raw" else "II",
                "fit_bias": fit_bias,
                "features": features,
                "trained_on": trained_on,
                "n_runs": len(runs),
                "accuracy_mean": float(acc.mean()),
                "accuracy_std": float(acc.std()),
                "inverted_accuracy_mean": float(inv.mean()),
                "inverted_accuracy_std": float(inv.std()),
                "sum_mean": float((acc + inv).mean()),
                "sum_max": float((acc + inv).max()),
                "max_abs_difference": float(np.abs(acc - inv).max()),
                "paper_accuracy": paper[0],
                "paper_inverted_accuracy": paper[1],
            }
        )
    return rows


def _cell_order(key):
    fit_bias, features, trained_on = key
    return (
        features != "raw",
        fit_bias,
        FEATURE_SETS.index(features),
        trained_on != "X",
    )
