"""``sk-symmetry ising``: the critical temperature of the 2D Ising model, three ways.

Data: `make_ising` at each lattice size, on one grid of temperatures that
spans both phases, a few independent chains per temperature. Every network is
a `Pipeline` (features -> `BiaslessMLPClassifier`, or the orbit-trained
`OrbitAugmentedClassifier`) scored with group-aware cross-validation: the
folds split the chains, so a chain is never both trained and tested on.

- Protocol A (Carrasquilla & Melko 2017): labels "ordered" for ``T < T_c``
  from Onsager's value, so the labels contain the answer. Each size's
  ``T_c(L)`` is where the cross-validated probability of "ordered", averaged
  per temperature, crosses 1/2.
- Protocol B, learning by confusion (van Nieuwenburg, Liu & Huber 2017): no
  ``T_c`` is given. For each trial ``T*`` the data are labelled ``T < T*``
  and scored by cross-validation; accuracy against ``T*`` is W-shaped, and
  its middle peak is ``T_c(L)``.
- The Binder cumulant ``1 - <m^4> / (3 <m^2>^2)`` of the same data, whose
  curves for different sizes cross at ``T_c``: the classical reference.

Each estimate is extrapolated in ``L`` with ``T_c(L) = T_c + a L^(-1/nu)``,
with ``nu = 1`` (exact in 2D) and with ``nu`` fitted.

The pieces: `_ising_models` (the networks), `_ising_physics` (T_c from
curves, extrapolation, Binder cumulant), `_ising_schedule` (folds, the two
rounds of fits, dispatch); this module holds the protocol, the data and the
command's interface (see `sk_symmetry.experiments`).
"""

import sys
import time
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.utils import Bunch

from ...datasets import make_ising
from ...features import canonical_spins
from .._backend import backend_context
from .._protocol import TemperatureScan
from .._runner import STDERR
from .._seeds import DATA_SEED
from .models import MODELS, Model
from .physics import (
    TC,
    binder_crossings,
    binder_summary,
    confusion_peak,
    extrapolate,
    probability_crossing,
)
from .schedule import (
    confusion_curve,
    dispatch,
    first_round,
    second_round,
    tasks_of,
)

__all__ = [
    "HELP",
    "MODELS",
    "NAME",
    "IsingProtocol",
    "Model",
    "add_arguments",
    "binder_crossings",
    "canonical_spins",
    "confusion_peak",
    "extrapolate",
    "make_data",
    "make_ising_protocol",
    "make_protocol",
    "network_view",
    "probability_crossing",
    "run",
    "run_ising_experiment",
    "summarize",
]

NAME = "ising"
HELP = "physics: the 2D Ising critical temperature from networks"
DESCRIPTION = (
    "Generate 2D Ising data with Wolff cluster Monte Carlo, find T_c with "
    "networks (protocol A: labels from Onsager's T_c; protocol B: learning by "
    "confusion, no T_c given) and with the Binder cumulant, and compare with "
    "Onsager's value. Progress goes to stderr."
)
QUICK = "small sizes and fewer models: a check"


def add_arguments(parser):
    """No options of its own beyond the common ones."""


def make_protocol(args):
    """The protocol the parsed command line asks for."""
    return make_ising_protocol(quick=args.quick)


def run(protocol, *, n_jobs=1, backend="loky", scheduler=None):
    """Data, fits and analysis: the result `summarize` passes on.

    The analysis is part of the run here: the second round of fits is placed
    around the peaks that the first round's analysis finds.
    """
    with backend_context(backend, scheduler, n_jobs=n_jobs):
        return run_ising_experiment(protocol, n_jobs=n_jobs)


def summarize(protocol, records):
    """The run's result as it is (`run` already analysed it)."""
    return records


@dataclass(frozen=True)
class IsingProtocol(TemperatureScan):
    """Sizes, temperatures, samples, folds and network budget of a run."""

    sizes: tuple = (8, 16, 32)
    t_min: float = 1.6
    t_max: float = 3.0
    n_temperatures: int = 29
    n_samples: int = 60
    n_samples_a: int = 200
    n_binder_samples: int = 4000
    n_chains: int = 4
    n_folds: int = 2
    max_iter: int = 100
    alpha: float = 0.1
    confusion_stride: int = 2
    seed: int = DATA_SEED
    models: tuple = MODELS

    def describe(self):
        return (
            f"L in {list(self.sizes)}, {self.n_temperatures} temperatures in "
            f"[{self.t_min}, {self.t_max}], {self.n_binder_samples} samples each "
            f"from {self.n_chains} Wolff chains (of them, evenly spaced, "
            f"{self.n_samples_a} for protocol A, {self.n_samples} for B), "
            f"{self.n_folds}-fold CV by chain, "
            f"tanh networks, L-BFGS {self.max_iter} iterations, alpha "
            f"{self.alpha:g}, seed {self.seed}"
        )


def make_ising_protocol(*, quick=False):
    """The default protocol, or a small quick one (a check, not the result)."""
    if quick:
        return IsingProtocol(
            sizes=(8, 12, 16),
            n_temperatures=15,
            n_samples=40,
            n_samples_a=80,
            n_binder_samples=400,
            max_iter=60,
            models=tuple(
                m
                for m in MODELS
                if m.hidden == (10, 5)
                and (m.features != "raw" or not m.fit_bias or m.symmetrized)
            ),
        )
    return IsingProtocol()


def make_data(protocol, *, n_jobs=1):
    """`make_ising` at every size of the protocol, as a dict keyed by L.

    Each temperature gets ``n_binder_samples`` configurations, all of which
    the Binder cumulant uses; `network_view` picks the networks' share.
    """
    return {
        L: make_ising(
            L,
            protocol.temperatures,
            protocol.n_binder_samples,
            n_chains=protocol.n_chains,
            random_state=protocol.seed + L,
            n_jobs=n_jobs,
        )
        for L in protocol.sizes
    }


def network_view(data, n_samples):
    """The rows the networks see: ``n_samples`` per temperature, evenly spaced
    within each chain (so farther apart in time than consecutive samples)."""
    n_groups = data.groups.max() + 1
    per_group = n_samples // (n_groups // data.temperatures.size)
    rows = []
    for group in range(n_groups):
        members = np.flatnonzero(data.groups == group)
        step = len(members) / per_group
        rows.append(members[(np.arange(per_group) * step).astype(int)])
    rows = np.concatenate(rows)
    return Bunch(
        data=data.data[rows],
        target=data.target[rows],
        temperature=data.temperature[rows],
        groups=data.groups[rows],
        temperatures=data.temperatures,
        image_shape=data.image_shape,
    )


def run_ising_experiment(protocol, *, n_jobs=1, progress=STDERR):
    """Generate the data, fit every model, and return the results as a dict."""
    if progress == STDERR:
        progress = sys.stderr
    clock = time.perf_counter()
    data_by_size = make_data(protocol, n_jobs=n_jobs)
    data_time = time.perf_counter() - clock
    if progress is not None:
        print(f"data: {data_time:.1f} s", file=progress, flush=True)
    views = {}
    for L, data in data_by_size.items():
        views[("A", L)] = network_view(data, protocol.n_samples_a)
        views[("B", L)] = network_view(data, protocol.n_samples)
    per = {}
    for make_round in (first_round, second_round):
        labellings = (
            make_round(protocol, views)
            if make_round is first_round
            else make_round(protocol, views, per)
        )
        tasks = tasks_of(protocol, views, labellings)
        per.update(dispatch(protocol, views, tasks, n_jobs, progress))
    result = _summarize(protocol, views, per)
    result["binder"] = binder_summary(data_by_size)
    result["autocorrelation_time"] = {
        L: d.autocorrelation_time.tolist() for L, d in data_by_size.items()
    }
    result["data_seconds"] = data_time
    result["fit_cpu_seconds"] = sum(
        out["cpu_seconds"] for runs in per.values() for _, out in runs
    )
    result["total_seconds"] = time.perf_counter() - clock
    return result



def _summarize(protocol, views, per):
    """Collect per-model curves, T_c(L), extrapolations and accuracies."""
    sizes = list(protocol.sizes)
    models = []
    for model in protocol.models:
        row = {
            "model": model.name,
            "features": model.features,
            "fit_bias": model.fit_bias,
            "trained_on": "+-X" if model.orbit else "X",
            "hidden": list(model.hidden),
            "sizes": {},
        }
        tc_a, tc_b = [], []
        for L in sizes:
            data = views[("A", L)]
            temperatures = data.temperatures
            # Protocol A: out-of-fold probabilities of "ordered".
            proba = np.empty(len(data.target))
            proba_inverted = np.empty(len(data.target))
            for test, out in per[(model.name, L, "A", TC)]:
                proba[test] = out["proba"]
                proba_inverted[test] = out["proba_inverted"]
            curve = np.array(
                [proba[data.temperature == t].mean() for t in temperatures]
            )
            y = data.target
            ordered = y == 1
            predicted = (proba >= 0.5).astype(int)
            predicted_inverted = (proba_inverted >= 0.5).astype(int)
            a = probability_crossing(temperatures, curve)
            # Protocol B: accuracy for each trial T*, mean over folds.
            t_star, accuracy, majority = confusion_curve(
                per, model.name, views[("B", L)], L
            )
            b = confusion_peak(t_star, accuracy, majority)
            tc_a.append(a)
            tc_b.append(b)
            row["sizes"][L] = {
                "tc_A": a,
                "tc_B": b,
                "accuracy": accuracy_score(y, predicted),
                "inverted_accuracy": accuracy_score(y, predicted_inverted),
                "ordered_accuracy": accuracy_score(y[ordered], predicted[ordered]),
                "ordered_inverted_accuracy": accuracy_score(
                    y[ordered], predicted_inverted[ordered]
                ),
                "probability_curve": curve.tolist(),
                "confusion_t_star": t_star.tolist(),
                "confusion_accuracy": accuracy.tolist(),
            }
        for kind, estimates in (("A", tc_a), ("B", tc_b)):
            fit = extrapolate(sizes, estimates)
            row[f"protocol_{kind}"] = {
                **fit,
                "relative_error": (fit["extrapolated_tc"] - TC) / TC,
                "relative_error_fitted_nu": (fit["extrapolated_tc_fitted_nu"] - TC)
                / TC,
            }
        models.append(row)
    return {
        "protocol": protocol.describe(),
        "onsager_tc": TC,
        "temperatures": protocol.temperatures.tolist(),
        "sizes": sizes,
        "models": models,
    }


