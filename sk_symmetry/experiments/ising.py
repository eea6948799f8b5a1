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
"""

import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import Bunch
from threadpoolctl import threadpool_limits

from ..augmentation import OrbitAugmentedClassifier
from ..datasets import make_ising
from ..datasets._ising_exact import CRITICAL_TEMPERATURE, binder_cumulant
from ..features import InversionInvariantTransformer
from ..metrics import make_symmetric_scorer
from ..neural_network import BiaslessMLPClassifier
from ._runner import STDERR, run_tasks

__all__ = [
    "MODELS",
    "IsingProtocol",
    "binder_crossings",
    "canonical_spins",
    "confusion_peak",
    "extrapolate",
    "make_data",
    "make_ising_protocol",
    "probability_crossing",
    "run_ising_experiment",
]

TC = CRITICAL_TEMPERATURE


def canonical_spins(X):
    """Spins times the sign of their magnetisation: ``x * sign(sum(x))``.

    An invariant of the spin flip (``canonical_spins(-X) == canonical_spins(X)``
    exactly) that keeps the order parameter: the canonical configuration has
    ``m >= 0``. A tie (``m = 0``, possible for an even number of spins) is
    broken by the sign of the first nonzero spin, so that the result is the
    same for ``x`` and ``-x`` there too. Use it in a `FunctionTransformer`.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry.experiments.ising import canonical_spins
    >>> X = np.array([[1.0, -1.0, -1.0, 1.0], [-1.0, 1.0, 1.0, -1.0]])
    >>> canonical_spins(X)
    array([[ 1., -1., -1.,  1.],
           [ 1., -1., -1.,  1.]])
    """
    X = np.asarray(X, dtype=np.float64)
    sign = np.sign(X.sum(axis=1))
    nonzero = X != 0
    first = np.where(
        nonzero.any(axis=1),
        X[np.arange(len(X)), nonzero.argmax(axis=1)],
        1.0,
    )
    sign = np.where(sign == 0, np.sign(first), sign)
    return X * sign[:, np.newaxis]


@dataclass(frozen=True)
class Model:
    """One network: its features, bias, training practice and hidden layers."""

    name: str
    features: str
    fit_bias: bool
    orbit: bool
    hidden: tuple

    def build(self, image_shape, max_iter, alpha, seed):
        network = BiaslessMLPClassifier(
            self.hidden,
            "tanh",
            fit_bias=self.fit_bias,
            solver="lbfgs",
            alpha=alpha,
            max_iter=max_iter,
            random_state=seed,
        )
        clf = OrbitAugmentedClassifier(network) if self.orbit else network
        if self.features == "raw":
            features = "passthrough"
        elif self.features == "canonical":
            features = FunctionTransformer(canonical_spins)
        elif self.features == "neighbor":
            features = InversionInvariantTransformer(
                "neighbor", image_shape=image_shape, direction="both"
            )
        else:
            features = InversionInvariantTransformer(
                "permutation", random_state=_PERMUTATION_SEED
            )
        return Pipeline([("features", features), ("clf", clf)])


_PERMUTATION_SEED = 1717

MODELS = (
    Model("raw, no bias", "raw", False, False, (10, 5)),
    Model("raw, bias", "raw", True, False, (10, 5)),
    Model("raw, bias, on ±X", "raw", True, True, (10, 5)),
    Model("raw, bias, 100 units", "raw", True, False, (100,)),
    Model("neighbour products", "neighbor", True, False, (10, 5)),
    Model("permutation products", "permutation", True, False, (10, 5)),
    Model("canonical spins", "canonical", True, False, (10, 5)),
    Model("canonical spins, 100 units", "canonical", True, False, (100,)),
)


@dataclass(frozen=True)
class IsingProtocol:
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
    seed: int = 0
    models: tuple = MODELS

    @property
    def temperatures(self):
        return np.linspace(self.t_min, self.t_max, self.n_temperatures)

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
                if m.hidden == (10, 5) and (m.features != "raw" or not m.fit_bias)
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


def _folds(data, n_folds):
    """Folds over chains such that every temperature is in every fold.

    Chain ``c`` of each temperature goes to fold ``c mod n_folds`` (the
    chains of one temperature are numbered consecutively by `make_ising`).
    """
    n_chains = np.bincount(data.groups).size // data.temperatures.size
    slot = data.groups % n_chains
    return list(GroupKFold(n_folds).split(data.data, groups=slot))


def _fit_fold(model, protocol, data, labels, train, test):
    """Fit on ``train``; probabilities of "ordered" on X and -X of ``test``."""
    estimator = model.build(data.image_shape, protocol.max_iter, protocol.alpha, 0)
    with warnings.catch_warnings():
        # The iteration budget is part of the protocol: hitting it is expected.
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(data.data[train], labels[train])
    X_test = data.data[test]
    proba = estimator.predict_proba(X_test)[:, list(estimator.classes_).index(1)]
    inverted = make_symmetric_scorer("accuracy")(estimator, X_test, labels[test])
    return {
        "proba": proba,
        "proba_inverted": estimator.predict_proba(-X_test)[
            :, list(estimator.classes_).index(1)
        ],
        "inverted_accuracy": inverted,
    }


def probability_crossing(temperatures, probability, level=0.5):
    """Where a curve, linear between its points, crosses ``level`` downwards.

    Of several downward crossings the steepest is taken; NaN if none.
    """
    above = probability >= level
    candidates = np.flatnonzero(above[:-1] & ~above[1:])
    if candidates.size == 0:
        return float("nan")
    drops = probability[candidates] - probability[candidates + 1]
    i = candidates[np.argmax(drops)]
    t0, t1 = temperatures[i], temperatures[i + 1]
    p0, p1 = probability[i], probability[i + 1]
    return float(t0 + (p0 - level) / (p0 - p1) * (t1 - t0))


def confusion_peak(t_star, accuracy, majority):
    """The middle peak of a confusion W curve, refined by a parabola.

    The peak is located where the accuracy most exceeds the majority-class
    baseline (which rises to 1 at both ends of the grid, where the trivial
    labellings sit), then refined to the vertex of the parabola through it
    and its two neighbours on the accuracy curve. NaN when the accuracy
    never beats that baseline (a network that learned nothing has no peak).
    """
    excess = accuracy - majority
    i = int(np.argmax(excess))
    if excess[i] <= 0:
        # Nowhere better than always answering the larger class: no peak.
        return float("nan")
    if 0 < i < len(t_star) - 1:
        curvature, slope, _ = np.polyfit(
            t_star[i - 1 : i + 2], accuracy[i - 1 : i + 2], 2
        )
        if curvature < 0:
            vertex = -slope / (2 * curvature)
            return float(np.clip(vertex, t_star[i - 1], t_star[i + 1]))
    return float(t_star[i])


def _scaling(L, tc, a, inverse_nu):
    return tc + a * L ** (-inverse_nu)


def extrapolate(sizes, estimates):
    """``T_c(L) = T_c + a L^(-1/nu)``: T_c with nu = 1, and T_c and nu fitted.

    Returns a dict with ``extrapolated_tc`` (nu = 1, a straight line in 1/L),
    ``extrapolated_tc_fitted_nu`` and ``fitted_nu`` (through the points
    exactly when there are three sizes; NaN when it does not converge or
    ends on a bound of ``0.1 <= 1/nu <= 10``).
    """
    sizes = np.asarray(sizes, dtype=np.float64)
    estimates = np.asarray(estimates, dtype=np.float64)
    ok = np.isfinite(estimates)
    result = {
        "extrapolated_tc": float("nan"),
        "extrapolated_tc_fitted_nu": float("nan"),
        "fitted_nu": float("nan"),
    }
    if ok.sum() >= 2:
        slope, intercept = np.polyfit(1.0 / sizes[ok], estimates[ok], 1)
        result["extrapolated_tc"] = float(intercept)
    if ok.sum() >= 3:
        try:
            with warnings.catch_warnings():
                # Three sizes fit exactly: no covariance, which is expected.
                warnings.simplefilter("ignore", OptimizeWarning)
                (tc, _, inverse_nu), _ = curve_fit(
                    _scaling,
                    sizes[ok],
                    estimates[ok],
                    p0=(result["extrapolated_tc"], slope, 1.0),
                    bounds=([0.0, -np.inf, 0.1], [np.inf, np.inf, 10.0]),
                    maxfev=10000,
                )
        except (RuntimeError, ValueError):
            return result
        # A fit that ends on a bound of 1/nu found no exponent: say so.
        if 0.1 + 1e-6 < inverse_nu < 10.0 - 1e-6:
            result["extrapolated_tc_fitted_nu"] = float(tc)
            result["fitted_nu"] = float(1.0 / inverse_nu)
    return result


def binder_crossings(data_by_size):
    """Binder cumulant per size and temperature, and the crossings of pairs.

    The crossing of sizes ``L < L'`` is where ``U_L - U_L'`` changes sign
    from negative to positive (bigger lattices are more ordered below T_c),
    linear between grid points; of several, the steepest. (Cubic fits over
    a window of the grid, tried first, were pulled off by the kink of the
    largest lattice's curve near T_c.)
    """
    sizes = sorted(data_by_size)
    curves = {}
    for L in sizes:
        data = data_by_size[L]
        curves[L] = np.array(
            [
                binder_cumulant(data.magnetization[data.temperature == t])
                for t in data.temperatures
            ]
        )
    temperatures = data_by_size[sizes[0]].temperatures
    crossings = {}
    for i, small in enumerate(sizes):
        for large in sizes[i + 1 :]:
            # U_L - U_L' rises through 0 at the crossing, so U_L' - U_L falls.
            crossings[(small, large)] = probability_crossing(
                temperatures, curves[large] - curves[small], level=0.0
            )
    return curves, crossings


def _trial_temperatures(temperatures):
    """The trial T* of protocol B: midpoints of the temperature grid."""
    return (temperatures[:-1] + temperatures[1:]) / 2


def _tasks(protocol, views, labellings):
    """Every fit of ``labellings``, a list of (model, L, kind, threshold)."""
    folds = {key: _folds(data, protocol.n_folds) for key, data in views.items()}
    return [
        (model, L, kind, threshold, fold, train, test)
        for model, L, kind, threshold in labellings
        for fold, (train, test) in enumerate(folds[(kind, L)])
    ]


def _first_round(protocol, views):
    """Protocol A, and protocol B on every ``confusion_stride``-th trial T*."""
    labellings = []
    for L in protocol.sizes:
        data = views[("B", L)]
        coarse = _trial_temperatures(data.temperatures)[:: protocol.confusion_stride]
        for model in protocol.models:
            labellings.append((model, L, "A", TC))
            labellings.extend((model, L, "B", float(t)) for t in coarse)
    return labellings


def _second_round(protocol, views, per):
    """The trial T* skipped by the first round, within one coarse step of
    each coarse confusion peak: full resolution where the peak is, found
    without knowing T_c."""
    labellings = []
    for L in protocol.sizes:
        data = views[("B", L)]
        every = _trial_temperatures(data.temperatures)
        stride = protocol.confusion_stride
        for model in protocol.models:
            curve = _confusion_curve(per, model.name, data, L)
            peak = confusion_peak(*curve)
            near = np.abs(every - peak) <= stride * (every[1] - every[0])
            done = set(curve[0].tolist())
            labellings.extend(
                (model, L, "B", float(t)) for t in every[near] if float(t) not in done
            )
    return labellings


def _run_task(protocol, model, data, threshold, train, test):
    labels = (data.temperature < threshold).astype(np.int64)
    # One BLAS thread per fit: these products are thin, and on a busy
    # machine a threaded BLAS made an L = 32 fit 10-20x slower.
    start = time.process_time()
    with threadpool_limits(1, user_api="blas"):
        output = _fit_fold(model, protocol, data, labels, train, test)
    output["cpu_seconds"] = time.process_time() - start
    return output


def _dispatch(protocol, views, tasks, n_jobs, progress):
    """Run ``tasks`` in parallel; return {(model, L, kind, T): [(test, out)]}."""
    # Larger lattices first, so that the longest fits do not come last.
    tasks = sorted(tasks, key=lambda task: -task[1])
    calls = [
        (protocol, model, views[(kind, L)], threshold, train, test)
        for model, L, kind, threshold, _, train, test in tasks
    ]

    def describe(index, _):
        model, L, kind, threshold, *_ = tasks[index]
        return f"fits (last: L={L} {model.name}, {kind} at T={threshold:.3f})"

    outputs = run_tasks(
        _run_task, calls, n_jobs=n_jobs, describe=describe, progress=progress,
        every=25,
    )
    per = {}
    for (model, L, kind, threshold, _, _, test), output in zip(
        tasks, outputs, strict=True
    ):
        per.setdefault((model.name, L, kind, threshold), []).append((test, output))
    return per


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
    for make_round in (_first_round, _second_round):
        labellings = (
            make_round(protocol, views)
            if make_round is _first_round
            else make_round(protocol, views, per)
        )
        tasks = _tasks(protocol, views, labellings)
        per.update(_dispatch(protocol, views, tasks, n_jobs, progress))
    result = _summarize(protocol, views, per)
    result["binder"] = _binder_summary(data_by_size)
    result["autocorrelation_time"] = {
        L: d.autocorrelation_time.tolist() for L, d in data_by_size.items()
    }
    result["data_seconds"] = data_time
    result["fit_cpu_seconds"] = sum(
        out["cpu_seconds"] for runs in per.values() for _, out in runs
    )
    result["total_seconds"] = time.perf_counter() - clock
    return result


def _confusion_curve(per, name, data, L):
    """Trial T*, mean accuracy over folds, and the majority-class baseline."""
    t_star = np.array(sorted(k[3] for k in per if k[:3] == (name, L, "B")))
    accuracy, majority = [], []
    for t in t_star:
        labels = (data.temperature < t).astype(int)
        scores = [
            accuracy_score(labels[test], (out["proba"] >= 0.5).astype(int))
            for test, out in per[(name, L, "B", t)]
        ]
        accuracy.append(float(np.mean(scores)))
        majority.append(max(labels.mean(), 1 - labels.mean()))
    return t_star, np.array(accuracy), np.array(majority)


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
            t_star, accuracy, majority = _confusion_curve(
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


def _binder_summary(data_by_size):
    """Binder curves, crossings of every pair, and the estimate of T_c."""
    sizes = sorted(data_by_size)
    curves, crossings = binder_crossings(data_by_size)
    # The largest size against half of it (or the next largest): the pair
    # with the smallest finite-size shift whose curves still differ clearly.
    largest = sizes[-1]
    partner = largest // 2 if largest // 2 in sizes else sizes[-2]
    tc = crossings[(partner, largest)]
    return {
        "curves": {L: c.tolist() for L, c in curves.items()},
        "crossings": {f"{a}-{b}": v for (a, b), v in crossings.items()},
        "crossing_tc": tc,
        "relative_error": (tc - TC) / TC,
    }
