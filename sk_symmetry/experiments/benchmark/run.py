"""``sk-symmetry benchmark``: the field's benchmarks, with the peers in the same run.

Two benchmarks with real data from the packages made for them (nothing is
downloaded; ``pip install "sk_symmetry[benchmark]"``):

- ``mnist1d`` (and ``mnist1d-shuffled``, its 40 positions permuted): MNIST-1D
  with its published split (4,000 train, 1,000 test); the symmetry is the
  cyclic translations of the ring of 40 positions. Five seeds of the models.
- ``digits``: 5,000 real 28 x 28 MNIST digits; five stratified splits of 4,000
  upright training images and 1,000 held out, scored on the held-out images
  under each of the 16 elements of the dihedral group x inversion (exact, no
  interpolation; the worst case is the headline) and turned by arbitrary
  angles (MNIST-rot's protocol: one uniform angle per image, interpolated),
  where no finite group is exact.

Every row is a `Pipeline` of ``pipelines.py``: baselines (raw inputs, and
trained on the orbit), ours (invariant features of the library) and the peers
a practitioner would pick (aeon's ROCKET family on MNIST-1D; on 28 x 28 the
same random features without the group average). Adding a row is one entry
of `PIPELINES` there. The
MNIST-1D paper's own numbers are quoted rows, marked as not measured here.
"""

import importlib.util
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import clone
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import Pipeline as SkPipeline
from threadpoolctl import threadpool_limits

from ...datasets import load_mnist1d, load_mnist_digits, rotate_images
from ...symmetry import SymmetryGroup
from .._arguments import positive_int
from .._backend import backend_context
from .._fitting import timed_fit
from .._protocol import Protocol
from .._runner import STDERR, run_tasks
from .pipelines import (
    _ROCKETS,
    BENCHMARKS,
    PIPELINES,
    RINGS,
    Benchmark,
    Pipeline,
    pipeline_named,
    skipped_note,
)

__all__ = [
    "BENCHMARKS",
    "DESCRIPTION",
    "HELP",
    "NAME",
    "PIPELINES",
    "QUICK",
    "BenchmarkProtocol",
    "Pipeline",
    "add_arguments",
    "element_accuracies",
    "load_benchmark",
    "make_protocol",
    "run",
    "summarize",
]

NAME = "benchmark"
TITLE = "The field's benchmarks, side by side (sk-symmetry benchmark)"
# What each fit measures; the summary holds the mean and sd over seeds of each.
METRICS = (
    "accuracy", "worst_case", "orbit_mean", "rotated_accuracy", "fit_time",
    "transform_time", "predict_time",
)
HELP = "the field's benchmarks: MNIST-1D and rotated 28 x 28 MNIST digits, with peers"
DESCRIPTION = (
    "MNIST-1D (published split, and its positions shuffled) and 28 x 28 MNIST "
    "digits trained upright and scored under the 16 elements of dihedral x "
    "inversion and at arbitrary angles: baselines, the library's invariant "
    "features, and the peers (aeon's ROCKET family; random features without "
    "the group average) in "
    "the same run, with the MNIST-1D paper's numbers quoted. Needs "
    'pip install "sk_symmetry[benchmark]". Progress goes to stderr.'
)
QUICK = "one seed, the cheap rows and MiniRocket, 1,000 digits: a check"

# The MNIST-1D paper's table (Greydanus & Kobak 2020, test accuracy on the
# published split): quoted, not measured here.
PUBLISHED = {
    "mnist1d": (
        ("logistic regression", 0.32),
        ("MLP", 0.68),
        ("CNN", 0.94),
        ("GRU", 0.91),
        ("human", 0.96),
    ),
}


# -- the protocol ----------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkProtocol(Protocol):
    """Benchmarks, seeds, pipelines and sizes of one run."""

    benchmarks: tuple = BENCHMARKS
    n_seeds: int = 5
    pipelines: tuple = tuple(p.name for p in PIPELINES)
    quick: bool = False
    # digits: training and held-out sizes of each stratified split
    n_train: int = 4000
    n_test: int = 1000
    # at most this many training and test rows of any benchmark (for checks)
    max_samples: int | None = None
    # packages missing, and the rows asked for that they left out
    skipped: tuple = field(default=())
    skipped_rows: tuple = field(default=())

    def describe(self):
        parts = []
        if any(b.startswith("mnist1d") for b in self.benchmarks):
            parts.append(
                "MNIST-1D: the published split (4,000 train, 1,000 test), "
                f"{self.n_seeds} seed(s) of the models; the group is the 40 cyclic "
                "translations"
            )
        if "digits" in self.benchmarks:
            parts.append(
                f"28 x 28 digits: {self.n_seeds} stratified split(s) of "
                f"{self.n_train:,} upright training and {self.n_test:,} held-out "
                "images, scored under the 16 elements of dihedral x inversion "
                "and at one uniform angle per image"
            )
        text = "; ".join(parts) + "."
        if self.quick:
            text += " Quick run: a check, not the result."
        return text


def add_arguments(parser):
    """The command's own options (the common ones come from the shared parser)."""
    parser.add_argument(
        "--benchmarks",
        nargs="+",
        choices=BENCHMARKS,
        default=None,
        help="which benchmarks to run (default: all; with --quick, mnist1d and "
        "digits)",
    )
    parser.add_argument(
        "--pipelines",
        nargs="+",
        choices=[p.name for p in PIPELINES],
        default=None,
        metavar="NAME",
        help="run only these rows (default: every row the run takes; names: "
        + ", ".join(p.name for p in PIPELINES) + ")",
    )
    parser.add_argument(
        "--seeds",
        type=positive_int,
        default=None,
        help="seeds of the models (and splits of the digits) (default: 5; 1 "
        "with --quick)",
    )


def make_protocol(args):
    """The protocol of parsed ``args`` (``quick``, ``benchmarks``, ``seeds``)."""
    quick = bool(getattr(args, "quick", False))
    benchmarks = getattr(args, "benchmarks", None)
    seeds = getattr(args, "seeds", None)
    if benchmarks is None:
        benchmarks = ("mnist1d", "digits") if quick else BENCHMARKS
    if seeds is None:
        seeds = 1 if quick else 5
    if seeds < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}.")
    pipelines = tuple(p.name for p in PIPELINES if p.quick or not quick)
    only = getattr(args, "pipelines", None)
    if only is not None:
        pipelines = tuple(p.name for p in PIPELINES if p.name in only)
    # Rows whose package is missing are left out, and named: those asked for
    # that would have run on one of the benchmarks.
    def lacks(name):
        needs = pipeline_named(name).needs
        return needs is not None and not _installed(needs)

    skipped_rows = tuple(
        name for name in pipelines
        if lacks(name) and set(pipeline_named(name).benchmarks) & set(benchmarks)
    )
    pipelines = tuple(name for name in pipelines if not lacks(name))
    missing = tuple(sorted({pipeline_named(name).needs for name in skipped_rows}))
    sizes = {"n_train": 1000, "n_test": 500} if quick else {}
    return BenchmarkProtocol(
        benchmarks=tuple(dict.fromkeys(benchmarks)),
        n_seeds=seeds,
        pipelines=pipelines,
        quick=quick,
        skipped=missing,
        skipped_rows=skipped_rows,
        **sizes,
    )


def _installed(package):
    return importlib.util.find_spec(package) is not None


# -- the data --------------------------------------------------------------------


def load_benchmark(name, protocol, seed):
    """``(X_train, y_train, X_test, y_test, X_rotated, group)`` of one run.

    ``X_rotated`` is the held-out images turned by uniform angles (digits
    only, else None).
    """
    limit = slice(protocol.max_samples)
    if name in RINGS:
        data = load_mnist1d(shuffle=name == "mnist1d-shuffled")
        X, y = data.data, data.target
        train, test = data.train[limit], data.test[limit]
        group = SymmetryGroup.translations(X.shape[1])
        return X[train], y[train], X[test], y[test], None, group
    if name != "digits":
        raise ValueError(f"unknown benchmark {name!r}; choose from {BENCHMARKS}.")
    data = load_mnist_digits()
    n_train, n_test = protocol.n_train, protocol.n_test
    if protocol.max_samples is not None:
        n_train, n_test = (min(n, protocol.max_samples) for n in (n_train, n_test))
    split = StratifiedShuffleSplit(
        1, train_size=n_train, test_size=n_test, random_state=seed
    )
    train, test = next(split.split(data.data, data.target))
    X_test = data.data[test]
    angles = np.random.default_rng(seed).uniform(0.0, 360.0, size=len(test))
    # The background is -1 after scaling: corners turned in are background.
    X_rotated = rotate_images(X_test, angles, data.image_shape, cval=-1.0)
    group = SymmetryGroup.dihedral(data.image_shape) * SymmetryGroup.inversion()
    return (
        data.data[train], data.target[train], X_test, data.target[test], X_rotated,
        group,
    )


# -- the run ---------------------------------------------------------------------


def _timed(func, *args):
    # Processor time of the (single-threaded) call: on a shared machine the
    # wall clock measures the neighbours too.
    start = time.process_time()
    out = func(*args)
    return out, time.process_time() - start


# Held-out images whose features an invariant pipeline must keep bitwise under
# every element before its element scores are taken from one transform.
INVARIANCE_CHECK_ROWS = 25


def _fit_and_score(model, invariant, X_train, y_train, X_test, y_test, X_rotated,
                   group):
    # One thread per fit: comparable (processor) times, and no oversubscription
    # when --n-jobs fits share the cores.
    with threadpool_limits(limits=1):
        return _fit_and_score_here(
            model, invariant, X_train, y_train, X_test, y_test, X_rotated, group
        )


def _fit_and_score_here(model, invariant, X_train, y_train, X_test, y_test,
                        X_rotated, group):
    model, _, fit_time = timed_fit(clone(model), X_train, y_train)
    transform_time = None  # a model without a feature step
    if _has_features(model):
        features, transform_time = _timed(model[:-1].transform, X_test)
        predicted, head_time = _timed(model[-1].predict, features)
        predict_time = transform_time + head_time
    else:
        predicted, predict_time = _timed(model.predict, X_test)
    result = {
        "accuracy": float(np.mean(predicted == y_test)),
        "fit_time": fit_time,
        "transform_time": transform_time,
        "predict_time": predict_time,
        "n_train": len(X_train),
        "n_test": len(X_test),
    }
    if X_rotated is not None:
        # The held-out images under every element of the group, exactly.
        scores, checked = element_accuracies(
            model, X_test, y_test, group, accuracy=result["accuracy"],
            invariant=invariant,
        )
        result["element_accuracy"] = scores
        result["element_names"] = [g.name for g in group]
        result["worst_case"] = min(scores)
        result["orbit_mean"] = float(np.mean(scores))
        result["invariance_checked_rows"] = checked
        result["rotated_accuracy"] = float(np.mean(model.predict(X_rotated) == y_test))
    return result


def _has_features(model):
    return isinstance(model, SkPipeline) and len(model.steps) > 1


def element_accuracies(model, X_test, y_test, group, *, accuracy, invariant=False,
                       check_rows=INVARIANCE_CHECK_ROWS):
    """Accuracy of the fitted ``model`` on ``g(X_test)`` for each element ``g``.

    ``accuracy`` is the model's accuracy on ``X_test``. With
    ``invariant=True``, for a pipeline whose features are invariant by
    construction (``transform(g(X)) == transform(X)`` bit for bit, for inputs
    of one shape), the features of the first ``check_rows`` images are
    computed upright and under every element; if they are bitwise equal, the
    construction's guarantee is taken for the rest of ``X_test`` (the check
    is a sample, not a proof) and each element's score is ``accuracy``. If
    any differs, or without ``invariant``, every element is scored on its
    own images.

    Returns ``(scores, checked)``: one accuracy per element, in the group's
    order, and the number of rows checked (0 when each element was scored).
    """
    if invariant and _has_features(model):
        head = X_test[:check_rows]
        transform = model[:-1].transform
        upright = transform(head)
        if all(np.array_equal(transform(g(head)), upright) for g in group):
            return [accuracy] * len(group), len(head)
    scores = [float(np.mean(model.predict(g(X_test)) == y_test)) for g in group]
    return scores, 0


def run(protocol, *, n_jobs=1, backend="loky", scheduler=None, progress="stderr"):
    """Fit and score every pipeline on every benchmark and seed; one record each."""
    note = skipped_note(protocol.skipped_rows)
    if note and progress is not None:
        print(note, file=sys.stderr if progress == STDERR else progress)
    tasks, keys = [], []
    # The digits' invariant random features are the longest fits: dispatched
    # first, so that short fits, not one long one, finish the run.
    for name in sorted(protocol.benchmarks, key=lambda name: name != "digits"):
        for seed in range(protocol.n_seeds):
            X_train, y_train, X_test, y_test, X_rotated, group = load_benchmark(
                name, protocol, seed
            )
            context = Benchmark(name, group, protocol.quick)
            for pipeline_name in protocol.pipelines:
                pipeline = pipeline_named(pipeline_name)
                if name not in pipeline.benchmarks:
                    continue
                model = pipeline.build(context, seed)
                scoring_group = group if X_rotated is not None else None
                tasks.append((
                    model, pipeline.invariant, X_train, y_train, X_test, y_test,
                    X_rotated, scoring_group,
                ))
                keys.append((name, pipeline_name, seed))

    def describe(index, result):
        name, pipeline_name, seed = keys[index]
        worst = (
            f", worst {result['worst_case']:.3f}" if "worst_case" in result else ""
        )
        return (
            f"{name:16} {pipeline_name:18} seed {seed}: {result['accuracy']:.3f}"
            f"{worst} ({result['fit_time']:.1f} s)"
        )

    def waiting(pending):
        # A long silence otherwise: aeon's ROCKETs compile their numba code in
        # each process on their first fit.
        rockets = sorted({keys[i][1] for i in pending if keys[i][1] in _ROCKETS})
        if rockets and len(pending) <= effective_n_jobs(n_jobs):
            return (
                f"waiting for {', '.join(rockets)}: aeon compiles its numba code "
                "on the first fit in each process (a minute or more)..."
            )
        return None

    with backend_context(backend, scheduler, n_jobs=n_jobs):
        results = run_tasks(
            _fit_and_score, tasks, n_jobs=n_jobs, describe=describe,
            progress=progress, waiting=waiting,
        )
    return [
        {"benchmark": name, "pipeline": pipeline_name, "seed": seed, **result}
        for (name, pipeline_name, seed), result in zip(keys, results, strict=True)
    ]


def summarize(protocol, records):
    """Means and standard deviations over seeds: one row per benchmark and
    pipeline, the published numbers as quoted rows. JSON-able."""
    tables = {}
    for name in protocol.benchmarks:
        rows = []
        for pipeline_name in protocol.pipelines:
            runs = [
                r for r in records
                if r["benchmark"] == name and r["pipeline"] == pipeline_name
            ]
            if not runs:
                continue
            pipeline = pipeline_named(pipeline_name)
            row = {
                "benchmark": name,
                "pipeline": pipeline_name,
                "label": pipeline.label,
                "kind": pipeline.kind,
                "measured": True,
                "n_seeds": len(runs),
            }
            for metric in METRICS:
                values = [r[metric] for r in runs if r.get(metric) is not None]
                if values:
                    row[f"{metric}_mean"] = float(np.mean(values))
                    row[f"{metric}_std"] = float(np.std(values))
            if "element_accuracy" in runs[0]:
                row["element_names"] = runs[0]["element_names"]
                row["element_accuracy"] = np.mean(
                    [r["element_accuracy"] for r in runs], axis=0
                ).tolist()
                # rows checked before the 16 scores came from one transform
                # (0: some seed scored each element on its own images)
                row["invariance_checked_rows"] = min(
                    r["invariance_checked_rows"] for r in runs
                )
            rows.append(row)
        for label, accuracy in PUBLISHED.get(name, ()):
            rows.append(
                {
                    "benchmark": name,
                    "pipeline": f"published {label}",
                    "label": f"{label} (MNIST-1D paper; quoted, not measured here)",
                    "kind": "quoted",
                    "measured": False,
                    "accuracy_mean": accuracy,
                }
            )
        tables[name] = rows
    return {
        "title": TITLE,
        "protocol": {
            "description": protocol.describe(),
            "benchmarks": list(protocol.benchmarks),
            "n_seeds": protocol.n_seeds,
            "pipelines": list(protocol.pipelines),
            "quick": protocol.quick,
            "skipped_packages": list(protocol.skipped),
            "skipped_rows": list(protocol.skipped_rows),
            "skipped_note": skipped_note(protocol.skipped_rows),
        },
        "tables": tables,
        "records": records,
    }
