"""Benchmark `make_ising`'s Wolff kernel against a numpy checkerboard Metropolis.

Both sample the 2D Ising model at Onsager's ``T_c`` on a periodic 32 x 32
lattice. The baseline is what a user would write first: a vectorised
checkerboard Metropolis sweep (half the sites at a time, neighbour sums by
``np.roll``, acceptance from a table of ``exp(-dE / T)``) on one lattice.

Each is counted at its own measured autocorrelation time: a decorrelated
configuration costs ``2 tau`` updates (Metropolis: sweeps; Wolff: cluster
updates), with ``tau`` the larger of the integrated autocorrelation times of
the energy and of ``|m|``, measured on independent chains.

1. Verify: both samplers give the same ``<E>/N`` and ``<|m|>`` at ``T_c``
   within 5 standard errors (their chains are independent).
2. Time: updates per second of each, alone on one thread (best of
   ``--repeats``), then decorrelated configurations per second and the ratio
   Wolff / Metropolis (target: at least 100). Wolff runs as `make_ising`
   runs it between samples, without recording the energy after every update.
3. The time `make_ising` takes for the default data of ``sk-symmetry ising``
   (target: under 30 s), on one and on two workers.

Usage::

    python benchmarks/bench_ising.py [--L 32] [--repeats 3]
"""

import argparse
import math
import time

import numpy as np

from sk_symmetry.datasets._ising_exact import CRITICAL_TEMPERATURE
from sk_symmetry.datasets._ising_mc import (
    _kernel,
    integrated_autocorrelation_time,
    lattice_energy,
    wolff_updates,
)

TC = CRITICAL_TEMPERATURE


class CheckerboardMetropolis:
    """Vectorised Metropolis on ``(..., L, L)`` lattices, one colour at a time."""

    def __init__(self, spins, temperature, rng):
        self.spins = spins
        self.rng = rng
        L = spins.shape[-1]
        colour = np.add.outer(np.arange(L), np.arange(L)) % 2
        self.masks = [colour == 0, colour == 1]
        # dE = 2 s h with h in {-4, ..., 4}: acceptance min(1, exp(-dE / T)).
        self.table = np.minimum(1.0, np.exp(-2.0 * np.arange(-4, 5) / temperature))

    def sweep(self):
        s = self.spins
        for mask in self.masks:
            h = (
                np.roll(s, 1, -1)
                + np.roll(s, -1, -1)
                + np.roll(s, 1, -2)
                + np.roll(s, -1, -2)
            )
            accept = self.rng.random(s.shape) < self.table[s * h + 4]
            s[accept & mask] *= -1


def metropolis_series(L, n_chains, n_sweeps, seed):
    """Energy and |m| per spin after each sweep, for independent chains."""
    rng = np.random.default_rng(seed)
    spins = np.where(rng.random((n_chains, L, L)) < 0.5, 1, -1).astype(np.int64)
    sampler = CheckerboardMetropolis(spins, TC, rng)
    for _ in range(n_sweeps // 5):  # equilibrate
        sampler.sweep()
    energy = np.empty((n_sweeps, n_chains))
    abs_m = np.empty((n_sweeps, n_chains))
    for t in range(n_sweeps):
        sampler.sweep()
        energy[t] = lattice_energy(spins) / L**2
        abs_m[t] = np.abs(spins.sum(axis=(-2, -1))) / L**2
    return energy.T, abs_m.T


def wolff_series(L, n_chains, n_clusters, seed):
    energies, abs_ms = [], []
    for sequence in np.random.SeedSequence(seed).spawn(n_chains):
        state = sequence.generate_state(4, np.uint64)
        spins = np.ones((L, L), dtype=np.int8)
        wolff_updates(spins, TC, n_clusters // 5, state)  # equilibrate
        energy, magnetization, _ = wolff_updates(spins, TC, n_clusters, state)
        energies.append(energy / L**2)
        abs_ms.append(np.abs(magnetization) / L**2)
    return np.array(energies), np.array(abs_ms)


def tau_of(energy, abs_m):
    """Mean over chains of max(tau_E, tau_|m|), and its standard error."""
    taus = np.array(
        [
            max(integrated_autocorrelation_time(e), integrated_autocorrelation_time(a))
            for e, a in zip(energy, abs_m, strict=True)
        ]
    )
    return taus.mean(), taus.std(ddof=1) / math.sqrt(len(taus))


def mean_and_error(series):
    """Grand mean over chains and the standard error from the chain means."""
    per_chain = series.mean(axis=1)
    return per_chain.mean(), per_chain.std(ddof=1) / math.sqrt(len(per_chain))


def best_rate(run, n_updates, repeats):
    """Updates per second, best of ``repeats``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(n_updates)
        times.append(time.perf_counter() - start)
    return n_updates / min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if _kernel is None:
        raise SystemExit("The compiled kernel is not built: run build_ext first.")
    L = args.L

    print(f"Measuring autocorrelation times at T_c, L = {L} ...")
    m_energy, m_abs = metropolis_series(L, 16, 20000, seed=0)
    w_energy, w_abs = wolff_series(L, 16, 20000, seed=1)
    tau_m, tau_m_err = tau_of(m_energy, m_abs)
    tau_w, tau_w_err = tau_of(w_energy, w_abs)

    print("Verifying that both sample the same distribution ...")
    for name, m_series, w_series in (
        ("<E>/N", m_energy, w_energy),
        ("<|m|>", m_abs, w_abs),
    ):
        (a, ea), (b, eb) = mean_and_error(m_series), mean_and_error(w_series)
        z = (a - b) / math.hypot(ea, eb)
        print(f"  {name}: Metropolis {a:.4f} ± {ea:.4f}, Wolff {b:.4f} ± {eb:.4f}")
        if abs(z) > 5:
            raise SystemExit(f"The samplers disagree on {name} ({z:.1f} sigma).")

    rng = np.random.default_rng(2)
    spins = np.where(rng.random((L, L)) < 0.5, 1, -1).astype(np.int64)
    metropolis = CheckerboardMetropolis(spins, TC, rng)

    def run_metropolis(n):
        for _ in range(n):
            metropolis.sweep()

    lattice = np.ones((L, L), dtype=np.int8)
    state = np.random.SeedSequence(3).generate_state(4, np.uint64)

    def run_wolff(n):
        wolff_updates(lattice, TC, n, state, record=False)

    run_wolff(1000)
    rate_m = best_rate(run_metropolis, 2000, args.repeats)
    rate_w = best_rate(run_wolff, 200000, args.repeats)
    decorrelated_m = rate_m / (2 * tau_m)
    decorrelated_w = rate_w / (2 * tau_w)
    print()
    print(f"2D Ising at T_c = {TC:.6f}, L = {L}, one thread")
    print("| sampler | updates / s | tau (updates) | decorrelated configs / s |")
    print("|---|---|---|---|")
    print(
        f"| numpy checkerboard Metropolis | {rate_m:,.0f} sweeps | "
        f"{tau_m:.0f} ± {tau_m_err:.0f} | {decorrelated_m:,.1f} |"
    )
    print(
        f"| Wolff kernel (_wolff.c) | {rate_w:,.0f} clusters | "
        f"{tau_w:.2f} ± {tau_w_err:.2f} | {decorrelated_w:,.0f} |"
    )
    print(f"Ratio Wolff / Metropolis: {decorrelated_w / decorrelated_m:,.0f}x")

    from sk_symmetry.experiments.ising.run import make_data, make_ising_protocol

    protocol = make_ising_protocol()
    for n_jobs in (1, 2):
        start = time.perf_counter()
        make_data(protocol, n_jobs=n_jobs)
        print(
            f"Default data of sk-symmetry ising ({len(protocol.sizes)} sizes x "
            f"{protocol.n_temperatures} temperatures x {protocol.n_binder_samples}"
            f" samples), n_jobs={n_jobs}: {time.perf_counter() - start:.1f} s"
        )

if __name__ == "__main__":
    main()
