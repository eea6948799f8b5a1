"""``sk-symmetry ising-regression``: regressing odd and even observables of the
2D Ising model from its spins, trained on one sign of the magnetization.

Under the spin flip ``s -> -s`` the magnetization per spin ``m`` is odd and
the energy per spin ``E`` is even. A short simulation at low temperature
sees one sign of ``m`` only; a model trained on it should still be right on
the flipped configurations, where ``m`` has the other sign and ``E`` the same
value. Here:

- training: `make_ising` configurations at temperatures at least ``t_gap``
  from ``T_c``, keeping those with ``m > 0`` only;
- test: configurations from other chains (another seed) at every
  temperature, both signs, and their sign-flipped copy ``-X``, scored
  against ``-m`` (``target="odd"``) or ``E`` (``target="invariant"``) with
  `make_symmetric_scorer`.

Rows: ``m`` from raw spins by `BiaslessMLPRegressor` (no biases: an odd
function, exactly) and by scikit-learn's `MLPRegressor` (biases), each also
trained on the orbit (``X`` and ``-X``, with ``m`` and ``-m``); ``E`` from
neighbour products (`InversionInvariantTransformer`, exactly invariant) into
either network, and from raw spins into either for reference. Every network
is (10, 5) tanh trained by L-BFGS with the same budget and seeds.
"""

import sys
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import get_scorer
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from ...averaging import SymmetrizedRegressor
from ...datasets import make_ising
from ...datasets._internal import CRITICAL_TEMPERATURE
from ...features import InversionInvariantTransformer
from ...metrics import make_symmetric_scorer
from ...neural_network import BiaslessMLPRegressor
from .._arguments import int_at_least, positive_int
from .._backend import backend_context
from .._fitting import budget_reached_is_expected
from .._protocol import TemperatureScan
from .._runner import STDERR, run_tasks
from .._seeds import DATA_SEED, MODEL_SEED

__all__ = [
    "HELP",
    "NAME",
    "ROWS",
    "IsingRegressionProtocol",
    "add_arguments",
    "make_protocol",
    "run",
    "summarize",
]

NAME = "ising-regression"
HELP = "regress the Ising magnetization (odd) and energy (even) from one sign of m"
DESCRIPTION = (
    "Train on configurations with m > 0 at temperatures away from T_c; test on "
    "all temperatures, both signs and the sign-flipped copy of the test set. "
    "Compares the biasless (odd) regressor with a biased MLPRegressor for the "
    "magnetization, and invariant neighbour products for the energy."
)
QUICK = "an 8 x 8 lattice, fewer samples and iterations, one seed"

# The worst-case R^2 over X and -X that the biasless regressor must reach for
# the magnetization (issue 19).
TARGET_R2 = 0.95


@dataclass(frozen=True)
class Row:
    """One line of the table: which observable, features, network, training."""

    observable: str  # "m" or "E"
    features: str  # "raw" or "neighbour products"
    fit_bias: bool
    orbit: bool
    # The biased network made exactly odd (or even) by the Reynolds operator,
    # SymmetrizedRegressor, trained on the data as they are (issue 27).
    symmetrized: bool = False

    @property
    def target(self):
        """How the observable transforms under the spin flip."""
        return "odd" if self.observable == "m" else "invariant"

    @property
    def network(self):
        if self.symmetrized:
            return "MLPRegressor (biases), symmetrized"
        return "MLPRegressor (biases)" if self.fit_bias else "BiaslessMLPRegressor"

    @property
    def training(self):
        return "orbit (X, -X)" if self.orbit else "m > 0 only"


ROWS = (
    Row("m", "raw", False, False),
    Row("m", "raw", True, False),
    Row("m", "raw", False, True),
    Row("m", "raw", True, True),
    Row("E", "neighbour products", False, False),
    Row("E", "neighbour products", True, False),
    Row("E", "raw", False, False),
    Row("E", "raw", True, False),
    Row("m", "raw", True, False, symmetrized=True),
)


@dataclass(frozen=True)
class IsingRegressionProtocol(TemperatureScan):
    """Lattice, temperatures, samples, network budget and seeds of a run."""

    L: int = 16
    t_min: float = 1.5
    t_max: float = 3.5
    n_temperatures: int = 21
    t_gap: float = 0.3
    n_samples: int = 200
    n_chains: int = 2
    max_iter: int = 200
    # One L2 strength for every network. A sweep over 1e-4, 1e-2, 0.1 and 1
    # on this data improved every row up to 1 (the (10, 5) network has more
    # weights than ~1500 training configurations can pin down).
    alpha: float = 1.0
    seeds: tuple = tuple(range(MODEL_SEED, MODEL_SEED + 3))
    data_seed: int = DATA_SEED

    def describe(self):
        return (
            f"L = {self.L}, {self.n_temperatures} temperatures in "
            f"[{self.t_min}, {self.t_max}], {self.n_samples} configurations each "
            f"from {self.n_chains} Wolff chains for training and as many from "
            f"other chains for testing; trained on |T - T_c| >= {self.t_gap} "
            f"and m > 0 only; (10, 5) tanh networks, L-BFGS {self.max_iter} "
            f"iterations, alpha {self.alpha:g}, seeds {list(self.seeds)}"
        )


def add_arguments(parser):
    """``--size`` (the lattice side) and ``--n-seeds``."""
    parser.add_argument(
        "--size", type=int_at_least(2), default=None, metavar="L",
        help="lattice side L (default: 16, or 8 with --quick)",
    )
    parser.add_argument(
        "--n-seeds", type=positive_int, default=None, metavar="N",
        help="network seeds per row (default: 3, or 1 with --quick)",
    )


def make_protocol(args):
    """The protocol from ``args.quick``, ``args.size`` and ``args.n_seeds``."""
    quick = getattr(args, "quick", False)
    base = (
        IsingRegressionProtocol(L=8, n_temperatures=11, n_samples=40,
                                max_iter=100, seeds=(MODEL_SEED,))
        if quick else IsingRegressionProtocol()
    )
    changes = {}
    size = getattr(args, "size", None)
    if size is not None:
        if size < 2:
            raise ValueError(f"--size must be at least 2, got {size}.")
        changes["L"] = size
    n_seeds = getattr(args, "n_seeds", None)
    if n_seeds is not None:
        if n_seeds < 1:
            raise ValueError(f"--n-seeds must be at least 1, got {n_seeds}.")
        changes["seeds"] = tuple(range(MODEL_SEED, MODEL_SEED + n_seeds))
    return IsingRegressionProtocol(**{**asdict(base), **changes})


def make_data(protocol, *, n_jobs=1):
    """Training (away from T_c, m > 0) and test (all T, both signs) sets."""
    common = dict(n_chains=protocol.n_chains, n_jobs=n_jobs)
    train = make_ising(protocol.L, protocol.temperatures, protocol.n_samples,
                       random_state=protocol.data_seed, **common)
    test = make_ising(protocol.L, protocol.temperatures, protocol.n_samples,
                      random_state=protocol.data_seed + 1, **common)
    keep = (np.abs(train.temperature - CRITICAL_TEMPERATURE) >= protocol.t_gap) & (
        train.magnetization > 0)
    return {
        "X_train": train.data[keep],
        "m_train": train.magnetization[keep],
        "E_train": train.energy[keep],
        "X_test": test.data,
        "m_test": test.magnetization,
        "E_test": test.energy,
        "image_shape": train.image_shape,
    }


def _build(row, protocol, seed, image_shape):
    params = dict(solver="lbfgs", alpha=protocol.alpha, max_iter=protocol.max_iter,
                  random_state=seed)
    if row.fit_bias:
        network = MLPRegressor(hidden_layer_sizes=(10, 5), activation="tanh", **params)
    else:
        network = BiaslessMLPRegressor((10, 5), "tanh", **params)
    if row.symmetrized:
        network = SymmetrizedRegressor(network, fit_on="data", target=row.target)
    if row.features == "raw":
        return network
    features = InversionInvariantTransformer(
        "neighbor", image_shape=image_shape, direction="both")
    return Pipeline([("features", features), ("network", network)])


def _fit_and_score(row, protocol, seed, data):
    """One row and seed: fit, then R^2 and RMSE on X_test and on -X_test."""
    X, y = data["X_train"], data[f"{row.observable}_train"]
    if row.orbit:
        sign = -1 if row.target == "odd" else 1
        X, y = np.vstack([X, -X]), np.concatenate([y, sign * y])
    model = _build(row, protocol, seed, data["image_shape"])
    # Small networks: one BLAS thread each, the fits run side by side.
    with threadpool_limits(1), budget_reached_is_expected():
        model.fit(X, y)
        X_test, y_test = data["X_test"], data[f"{row.observable}_test"]
        record = {**asdict(row), "seed": seed, "n_train": len(y)}
        for metric, scoring in (("r2", "r2"), ("rmse", "neg_root_mean_squared_error")):
            plain = get_scorer(scoring)
            flipped = make_symmetric_scorer(scoring, target=row.target)
            sign = -1 if metric == "rmse" else 1  # the scorer negates errors
            record[f"{metric}_test"] = sign * float(plain(model, X_test, y_test))
            record[f"{metric}_flipped"] = sign * float(flipped(model, X_test, y_test))
        # the half of the test set of the sign never trained on
        negative = data["m_test"] < 0
        record["r2_negative"] = float(
            get_scorer("r2")(model, X_test[negative], y_test[negative]))
    return record


def run(protocol, *, n_jobs=1, backend="loky", scheduler=None, progress=STDERR):
    """Data, then every (row, seed) fit through joblib; the records."""
    with backend_context(backend, scheduler, n_jobs=n_jobs):
        if progress is not None:
            print(f"{NAME}: generating configurations...",
                  file=sys.stderr if progress == STDERR else progress)
        data = make_data(protocol, n_jobs=n_jobs)
        tasks = [(row, protocol, seed, data) for row in ROWS for seed in protocol.seeds]
        return run_tasks(
            _fit_and_score, tasks, n_jobs=n_jobs, progress=progress,
            describe=lambda i, r: (
                f"{r['observable']}, {r['features']}, bias={r['fit_bias']}, "
                f"orbit={r['orbit']}, seed {r['seed']}: R^2 {r['r2_test']:.3f} / "
                f"flipped {r['r2_flipped']:.3f}"
            ),
        )


def summarize(protocol, records):
    """Per row: the mean over seeds of each score, the worst cases, the
    biasless magnetization row's check against the target."""
    rows = []
    for row in ROWS:
        mine = [r for r in records if all(r[k] == v for k, v in asdict(row).items())]
        worst_r2 = [min(r["r2_test"], r["r2_flipped"]) for r in mine]
        worst_rmse = [max(r["rmse_test"], r["rmse_flipped"]) for r in mine]
        rows.append({
            "observable": row.observable,
            "target": row.target,
            "features": row.features,
            "network": row.network,
            "training": row.training,
            "n_train": mine[0]["n_train"],
            "r2_test": float(np.mean([r["r2_test"] for r in mine])),
            "r2_flipped": float(np.mean([r["r2_flipped"] for r in mine])),
            "r2_worst": float(np.mean(worst_r2)),
            "r2_worst_over_seeds": float(np.min(worst_r2)),
            "r2_negative": float(np.mean([r["r2_negative"] for r in mine])),
            "rmse_test": float(np.mean([r["rmse_test"] for r in mine])),
            "rmse_flipped": float(np.mean([r["rmse_flipped"] for r in mine])),
            "rmse_worst": float(np.mean(worst_rmse)),
            # exact equality, seed by seed: the guarantee, not a tolerance
            "same_on_flipped": all(
                r["r2_test"] == r["r2_flipped"] and r["rmse_test"] == r["rmse_flipped"]
                for r in mine),
        })
    one_sign = [
        r for r in rows if r["observable"] == "m" and r["training"] == "m > 0 only"
    ]
    odd = next(r for r in one_sign if r["network"] == "BiaslessMLPRegressor")
    biased = next(r for r in one_sign if r["network"] == "MLPRegressor (biases)")
    return {
        "protocol": protocol.describe(),
        "rows": rows,
        "check": {
            "biasless_m_worst_r2": odd["r2_worst_over_seeds"],
            "biased_m_worst_r2": biased["r2_worst_over_seeds"],
            "target": TARGET_R2,
            "met": odd["r2_worst_over_seeds"] >= TARGET_R2,
        },
        "runs": records,
    }
