"""`make_ising`: configurations of the 2D Ising model from Wolff cluster Monte Carlo."""

import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.utils import Bunch, check_random_state

from . import _ising_mc
from ._ising_exact import CRITICAL_TEMPERATURE

__all__ = ["make_ising"]

_DESCR = """\
2D Ising configurations (Wolff cluster Monte Carlo)
---------------------------------------------------

Spins s_i = +-1 on a periodic L x L square lattice with energy
E = -sum_<ij> s_i s_j (J = k_B = 1), sampled at each temperature by Wolff
single-cluster updates: a random start, equilibration, a pilot run that
measures the integrated autocorrelation time tau (in cluster updates, the
larger of the energy's and |m|'s), then samples spaced by ceil(2 tau) updates.
Cluster flips change the sign of m freely, so the ordered phase holds both
signs: E(s) = E(-s), and the model's symmetry is exactly the inversion X -> -X.

target is 1 ("ordered") for T < T_c = 2 / ln(1 + sqrt 2) = 2.269185 (Onsager),
else 0. groups numbers the Markov chains: split with GroupKFold on it so that
no chain is both trained and tested on. energy and magnetization are per spin.
"""


def _check_int(value, name, minimum):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return int(value)


def _check_temperatures(temperatures):
    values = np.asarray(temperatures) if temperatures is not None else None
    if values is None or values.dtype.kind not in "iuf":
        # Complex numbers are refused as scikit-learn refuses complex data:
        # numpy would silently run at the real part.
        kind = "" if values is None or values.dtype.kind != "c" else " (complex)"
        raise ValueError(
            f"temperatures must be real numbers; got {temperatures!r}{kind}."
        )
    values = values.astype(np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("temperatures must be a non-empty 1-D array.")
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError("temperatures must be positive and finite.")
    # Below T ~ 0.0534 the Wolff bond probability 1 - exp(-2 / T) rounds to 1
    # in float64, where the sampler is undefined (its clusters never stop).
    too_cold = values[-np.expm1(-2.0 / values) >= 1.0]
    if too_cold.size:
        raise ValueError(
            f"temperatures must be above about {_MIN_TEMPERATURE:.4f}, where "
            "the Wolff bond probability 1 - exp(-2 / T) rounds to 1 in float64; "
            f"got {too_cold.tolist()}. The model is in its ground state "
            "(all spins equal) well before that: T = 0.1 gives it."
        )
    return values


# About the smallest temperature whose bond probability is below 1: 1 - x
# rounds to 1 for x below 2 ** -54 (half the gap below 1.0), and x is
# exp(-2 / T), so T > 2 / (54 ln 2).
_MIN_TEMPERATURE = 2.0 / (54 * np.log(2.0))


def _chain(L, temperature, n_samples, seed, n_equilibration):
    return _ising_mc.run_chain(
        L, temperature, n_samples, seed, n_equilibration=n_equilibration
    )


def make_ising(
    L,
    temperatures,
    n_samples,
    *,
    n_chains=1,
    n_equilibration=100,
    random_state=None,
    n_jobs=None,
):
    """Generate 2D Ising configurations at the given temperatures.

    Each (temperature, chain) pair is an independent Markov chain of Wolff
    cluster updates on a periodic ``L x L`` lattice, started from random
    spins, equilibrated, and sampled every ``ceil(2 tau)`` updates, where
    ``tau`` is the chain's measured integrated autocorrelation time. The
    updates run in a compiled kernel; without it a pure-Python version runs,
    correct but over a hundred times slower (with a warning).

    Parameters
    ----------
    L : int
        Lattice side, at least 2.
    temperatures : array-like of shape (n_temperatures,)
        Positive temperatures in units of ``J / k_B``.
    n_samples : int
        Configurations per temperature, shared out over its chains.
    n_chains : int, default=1
        Independent chains per temperature (each one group).
    n_equilibration : int, default=100
        Sweeps (``L * L`` spin flips, counted over clusters) discarded from
        each chain's random start before its pilot run.
    random_state : int, RandomState instance or None, default=None
        Seeds every chain; the result does not depend on ``n_jobs``.
    n_jobs : int, default=None
        Chains run in parallel with joblib (``-1``: all cores).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - data : ndarray of shape (n_temperatures * n_samples, L * L), the
          spins as floats +-1, rows ordered by temperature, chain, time.
        - target : ndarray of int, 1 for ``T < T_c`` (ordered), else 0.
        - temperature : ndarray, the temperature of each row.
        - groups : ndarray of int, the chain of each row.
        - energy : ndarray, energy per spin of each row.
        - magnetization : ndarray, signed magnetisation per spin of each row.
        - temperatures : ndarray, the temperatures asked for.
        - autocorrelation_time : ndarray of shape (n_temperatures,), the
          largest measured ``tau`` over a temperature's chains, in updates.
        - spacing : ndarray of shape (n_temperatures,), the largest number
          of cluster updates between samples there.
        - mean_cluster_size : ndarray of shape (n_temperatures,).
        - image_shape : tuple ``(L, L)``.
        - critical_temperature : float, Onsager's ``T_c``.
        - target_names : ndarray ``["disordered", "ordered"]``.
        - DESCR : str.

    Examples
    --------
    >>> from sk_symmetry import make_ising
    >>> ising = make_ising(8, [1.5, 3.5], 20, n_chains=2, random_state=0)
    >>> ising.data.shape, ising.image_shape, len(set(ising.groups))
    ((40, 64), (8, 8), 4)
    >>> ising.target[:20].tolist() == [1] * 20, ising.target[20:].tolist() == [0] * 20
    (True, True)
    >>> bool(abs(ising.magnetization[:20]).mean() > 0.9)
    True
    """
    L = _check_int(L, "L", 2)
    n_samples = _check_int(n_samples, "n_samples", 1)
    n_chains = _check_int(n_chains, "n_chains", 1)
    n_equilibration = _check_int(n_equilibration, "n_equilibration", 0)
    if n_chains > n_samples:
        raise ValueError(
            f"n_chains ({n_chains}) must not exceed n_samples ({n_samples})."
        )
    temperatures = _check_temperatures(temperatures)
    if _ising_mc._kernel is None:
        warnings.warn(
            "sk_symmetry.datasets._wolff is not built (no C compiler at install "
            "time) or SK_SYMMETRY_NO_KERNELS turns it off: make_ising runs "
            "pure-Python Wolff updates, the same data over 100x slower.",
            RuntimeWarning,
            stacklevel=2,
        )
    entropy = int(check_random_state(random_state).randint(2**31))
    per_chain = np.full(n_chains, n_samples // n_chains)
    per_chain[: n_samples % n_chains] += 1
    tasks = [(t, c) for t in range(temperatures.size) for c in range(n_chains)]
    seeds = np.random.SeedSequence(entropy).spawn(len(tasks))
    # Threads: the kernel releases the GIL for all but a few microseconds per
    # sample, and threads start in no time where processes take seconds.
    chains = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_chain)(L, temperatures[t], per_chain[c], seed, n_equilibration)
        for (t, c), seed in zip(tasks, seeds, strict=True)
    )
    n_spins = L * L
    rows = [
        np.full(len(chain["energy"]), t)
        for (t, _), chain in zip(tasks, chains, strict=True)
    ]
    which = np.concatenate(rows)
    groups = np.concatenate([np.full(len(r), i) for i, r in enumerate(rows)])
    temperature = temperatures[which]

    def per_temperature(key):
        values = np.array([chain[key] for chain in chains], dtype=np.float64)
        return values.reshape(temperatures.size, n_chains).max(axis=1)

    return Bunch(
        data=np.concatenate([c["spins"] for c in chains])
        .reshape(-1, n_spins)
        .astype(np.float64),
        target=(temperature < CRITICAL_TEMPERATURE).astype(np.int64),
        temperature=temperature,
        groups=groups,
        energy=np.concatenate([c["energy"] for c in chains]) / n_spins,
        magnetization=np.concatenate([c["magnetization"] for c in chains]) / n_spins,
        temperatures=temperatures,
        autocorrelation_time=per_temperature("tau"),
        spacing=per_temperature("spacing").astype(np.int64),
        mean_cluster_size=per_temperature("mean_cluster_size"),
        image_shape=(L, L),
        critical_temperature=CRITICAL_TEMPERATURE,
        target_names=np.array(["disordered", "ordered"]),
        DESCR=_DESCR,
    )
