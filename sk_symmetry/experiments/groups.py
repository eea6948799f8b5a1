"""``sk-symmetry groups``: the paper's experiment under mirrors and rotations.

Train on the training images as they are; score on the orbit of the test set
under three groups: inversion, mirror x inversion and the dihedral group of
the square x inversion (16 elements). The models are the paper's (10, 5) tanh
network with biases on raw pixels, on raw pixels trained on the orbit, on the
group-averaged quadratic invariants and on the canonical form, and the tuned
network (``sk-symmetry tune``'s ``alpha`` and budget) on the invariants that
do best. Splits are leak-free (by source image).
"""

import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline

from ..augmentation import OrbitAugmentedClassifier
from ..datasets import load_shifted_digits
from ..features import GroupInvariantTransformer
from ..inspection import symmetry_report
from ..neural_network import BiaslessMLPClassifier
from ..symmetry import SymmetryGroup
from ._backend import backend_context
from ._runner import STDERR, run_tasks
from ._seeds import SPLIT_SEED
from .groups_report import format_groups_table, write_groups_outputs

__all__ = [
    "GROUPS",
    "HELP",
    "NAME",
    "GroupsProtocol",
    "add_arguments",
    "build_model",
    "format_report",
    "groups_protocol",
    "make_group",
    "make_protocol",
    "run",
    "run_groups",
    "summarize",
    "summarize_groups",
    "write_outputs",
]

NAME = "groups"
HELP = "the paper's experiment under mirrors and rotations"
DESCRIPTION = (
    "Train on the digits as they are; score every model on the orbit of the "
    "test set under inversion, mirror x inversion and the dihedral group x "
    "inversion (16 elements). Progress goes to stderr."
)
QUICK = "one split, two groups, five models, 40 iterations: a check"

GROUPS = ("inversion", "mirror x inversion", "dihedral x inversion")

# The paper's network, and the penalty and budget `sk-symmetry tune` chose.
NETWORKS = {
    "paper": {"alpha": 1e-5, "max_iter": 200},
    "tuned": {"alpha": 30.0, "max_iter": 2000},
}

# (features, trained on, network)
MODELS = (
    ("raw", "X", "paper"),
    ("raw", "orbit", "paper"),
    ("averaged neighbor", "X", "paper"),
    ("averaged all", "X", "paper"),
    ("canonical", "X", "paper"),
    ("averaged all", "X", "tuned"),
    ("canonical", "X", "tuned"),
)

# Averages of all n (n + 1) / 2 pairs leave about n^2 / (2 |G|) columns: 2080
# for inversion alone, where one fit takes most of a minute. They are run for
# the 16-element group only, which cuts them to 300 columns.
_MIN_GROUP_SIZE = {"averaged all": 16}


@dataclass(frozen=True)
class GroupsProtocol:
    """Splits, groups, models and the budget cap of one run."""

    n_splits: int
    groups: tuple
    models: tuple
    max_iter_cap: int | None = None
    test_size: float = 0.2

    def describe(self):
        cap = "" if self.max_iter_cap is None else f", at most {self.max_iter_cap} "
        cap += "L-BFGS iterations" if cap else ""
        return (
            f"groups: shifted digits, {self.n_splits} leak-free split(s) by source "
            f"image ({self.test_size:.0%} test), trained on X_train, scored on the "
            f"orbit of X_test; (10, 5) tanh networks with biases{cap}"
        )


def add_arguments(parser):
    """No options of its own beyond the common ones."""


def make_protocol(args):
    """The protocol the parsed command line asks for."""
    return groups_protocol(quick=args.quick)


def run(protocol, *, n_jobs=1, backend="loky", scheduler=None):
    """Every fit (`run_groups`) on the chosen backend; one record per fit."""
    with backend_context(backend, scheduler, n_jobs=n_jobs):
        return run_groups(protocol, n_jobs=n_jobs, progress=STDERR)


def summarize(protocol, records):
    """``{"protocol": description, "cells": one row per model, "runs": records}``."""
    return {
        "protocol": protocol.describe(),
        "cells": summarize_groups(records),
        "runs": records,
    }


def format_report(summary):
    """The table and its legend, as printed."""
    return format_groups_table(summary["cells"], summary["protocol"])


def write_outputs(summary, out):
    """groups.csv, .json, .md and the figures in ``out``; the paths."""
    return write_groups_outputs(out, summary)


def groups_protocol(*, quick=False):
    """The default run, or with ``quick`` a check of under a minute."""
    if quick:
        return GroupsProtocol(
            n_splits=1,
            groups=("inversion", "dihedral x inversion"),
            models=MODELS[:5],
            max_iter_cap=40,
        )
    return GroupsProtocol(n_splits=3, groups=GROUPS, models=MODELS)


def make_group(name, image_shape):
    """The named group on ``image_shape`` images."""
    inversion = SymmetryGroup.inversion()
    if name == "inversion":
        return SymmetryGroup.inversion(image_shape[0] * image_shape[1])
    if name == "mirror x inversion":
        return SymmetryGroup.mirror(image_shape) * inversion
    if name == "dihedral x inversion":
        return SymmetryGroup.dihedral(image_shape) * inversion
    raise ValueError(f"unknown group {name!r}; choose from {GROUPS}.")


def build_model(features, trained_on, network, group, *, max_iter_cap=None):
    """One pipeline of the experiment."""
    settings = dict(NETWORKS[network])
    if max_iter_cap is not None:
        settings["max_iter"] = min(settings["max_iter"], max_iter_cap)
    net = BiaslessMLPClassifier(
        (10, 5), activation="tanh", solver="lbfgs", fit_bias=True,
        random_state=0, **settings,
    )
    if features == "raw":
        if trained_on == "orbit":
            return make_pipeline(OrbitAugmentedClassifier(net, symmetry=group))
        return make_pipeline(net)
    if features == "canonical":
        return make_pipeline(GroupInvariantTransformer(group, random_state=0), net)
    pairs = features.removeprefix("averaged ")
    return make_pipeline(
        GroupInvariantTransformer(group, kind="averaged", pairs=pairs), net
    )


def _fit_and_score(model, X, y, train, test, group):
    start = time.perf_counter()
    with warnings.catch_warnings():
        # The budget is part of the protocol: hitting it is expected.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = clone(model).fit(X[train], y[train])
    fit_time = time.perf_counter() - start
    report = symmetry_report(model, X[test], y[test], group)
    confusion = np.zeros((10, 10), dtype=np.int64)
    for g in group:  # pooled over the orbit: which digits the group merges
        np.add.at(confusion, (y[test], model.predict(g(X[test]))), 1)
    return {
        "element_accuracy": [float(s) for s in report.scores],
        "changed": [float(c) for c in report.changed],
        "fit_time": fit_time,
        "n_test": len(test),
        "confusion": confusion.tolist(),
    }


def run_groups(protocol, *, n_jobs=1, progress=None):
    """Fit every model on every split for every group; one record per fit."""
    data = load_shifted_digits()
    splits = list(
        GroupShuffleSplit(
            protocol.n_splits, test_size=protocol.test_size, random_state=SPLIT_SEED
        ).split(data.data, data.target, data.groups)
    )
    tasks, keys = [], []
    for group_name in protocol.groups:
        group = make_group(group_name, data.image_shape)
        for features, trained_on, network in protocol.models:
            if len(group) < _MIN_GROUP_SIZE.get(features, 0):
                continue
            model = build_model(
                features, trained_on, network, group,
                max_iter_cap=protocol.max_iter_cap,
            )
            for split, (train, test) in enumerate(splits):
                tasks.append((model, data.data, data.target, train, test, group))
                keys.append((group_name, features, trained_on, network, split))
    names = {g: [e.name for e in make_group(g, data.image_shape)] for g in GROUPS}

    def describe(index, result):
        group_name, features, trained_on, network, split = keys[index]
        scores = result["element_accuracy"]
        return (
            f"{group_name:20} {features:17} on {trained_on:5} {network:5} "
            f"split {split}: X {scores[0]:.3f}, worst {min(scores):.3f} "
            f"({result['fit_time']:.1f} s)"
        )

    results = run_tasks(
        _fit_and_score, tasks, n_jobs=n_jobs, describe=describe, progress=progress
    )
    return [
        {
            "group": key[0],
            "features": key[1],
            "trained_on": key[2],
            "network": key[3],
            "split": key[4],
            "elements": names[key[0]],
            **result,
        }
        for key, result in zip(keys, results, strict=True)
    ]


def summarize_groups(records):
    """One row per (group, model): means over splits."""
    cells = {}
    for record in records:
        key = tuple(record[k] for k in ("group", "features", "trained_on", "network"))
        cells.setdefault(key, []).append(record)
    rows = []
    for key, runs in cells.items():
        scores = np.array([r["element_accuracy"] for r in runs])
        confusion = np.sum([r["confusion"] for r in runs], axis=0)
        per_class = confusion.sum(axis=1)
        worst = scores.min(axis=1)
        rows.append(
            {
                "group": key[0],
                "features": key[1],
                "trained_on": key[2],
                "network": key[3],
                "n_splits": len(runs),
                "n_elements": scores.shape[1],
                "accuracy_X": float(scores[:, 0].mean()),
                "worst_case": float(worst.mean()),
                "worst_case_std": float(worst.std()),
                "orbit_mean": float(scores.mean()),
                "six_as_nine": float(confusion[6, 9] / per_class[6]),
                "nine_as_six": float(confusion[9, 6] / per_class[9]),
                "fit_time": float(np.mean([r["fit_time"] for r in runs])),
                "element_names": runs[0]["elements"],
                "element_accuracy": scores.mean(axis=0).tolist(),
                "confusion": confusion.tolist(),
            }
        )
    return rows
