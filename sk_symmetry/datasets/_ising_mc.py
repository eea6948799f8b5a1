"""Monte Carlo of the 2D Ising model as plain functions: Wolff updates, one chain.

`wolff_updates` runs the compiled kernel of ``_wolff.c`` when it was built and
a pure-Python version of the same algorithm otherwise: it draws the same
random numbers, so the chains are bitwise the same, but it is about 200x
slower at T_c for L = 32 (`make_ising` warns when it falls back). `run_chain`
is one Markov chain at one temperature: a random start, equilibration, a pilot
run that measures the integrated autocorrelation time, then samples spaced by
at least twice that time, each after a global flip with probability 1/2.
Energies and magnetisations are totals here (ints); `make_ising` divides them
by the number of spins.
"""

import math

import numpy as np

from .._utils import compiled_kernel

# The compiled kernel of _wolff.c; None when built without a compiler.
_kernel = compiled_kernel("sk_symmetry.datasets._wolff", "clusters")

__all__ = [
    "integrated_autocorrelation_time",
    "lattice_energy",
    "run_chain",
    "wolff_updates",
]


def lattice_energy(spins):
    """Total energy ``-sum_<ij> s_i s_j`` of periodic ``(..., L, L)`` lattices."""
    spins = np.asarray(spins, dtype=np.int64)
    right = np.roll(spins, -1, axis=-1)
    down = np.roll(spins, -1, axis=-2)
    return -(spins * (right + down)).sum(axis=(-2, -1))


def _neighbours(i, L):
    """The four neighbours of site ``i`` on the periodic ``L x L`` lattice:
    right, left, down, up (the order in which the kernel visits them)."""
    r, c = divmod(i, L)
    return (
        r * L + (c + 1) % L,
        r * L + (c - 1) % L,
        ((r + 1) % L) * L + c,
        ((r - 1) % L) * L + c,
    )


_MASK64 = (1 << 64) - 1


def _join_threshold(p_add):
    """The kernel's threshold: a neighbour joins when 32 random bits fall
    below it (``p_add`` rounded to a multiple of ``2**-32``, capped)."""
    scaled = p_add * 4294967296.0 + 0.5
    return 0xFFFFFFFF if scaled >= 4294967295.0 else int(scaled)


def _wolff_python(spins, L, p_add, n_clusters, state, energy, magnetization):
    """The kernel's algorithm in Python, drawing the kernel's random numbers.

    ``state`` is the kernel's xoshiro256** state (4 uint64, advanced in
    place), and every draw is used as the kernel uses it: the seed site from
    the high 32 bits of one draw (Lemire's multiply-shift), then one draw per
    visited site for its four neighbours, 32 bits each, in the kernel's
    order. So the same state gives bitwise the same chain either way.
    """
    N = L * L
    flat = spins.reshape(-1)
    E = int(lattice_energy(spins.reshape(L, L)))
    M = int(flat.sum(dtype=np.int64))
    flipped = 0
    threshold = _join_threshold(p_add)
    s0, s1, s2, s3 = (int(v) for v in state)
    s_list = flat.tolist()  # Python ints are much faster to index than numpy's
    # A table of neighbours, as the kernel has, instead of a division per visit.
    neighbours = [_neighbours(i, L) for i in range(N)]
    for k in range(n_clusters):
        # One draw per step, in the kernel's order: the first picks the seed
        # site, each later one decides a pair of neighbours of stack[pos]
        # (right and left, then down and up), 32 bits for each.
        stack = []
        pos = 0
        pair = 0  # 0: right and left of stack[pos]; 2: down and up
        while pos < len(stack) or not stack:
            # xoshiro256** inlined (a call per draw costs a third of the time).
            x = (s1 * 5) & _MASK64
            draw = (((x << 7) | (x >> 57)) & _MASK64) * 9 & _MASK64
            t = (s1 << 17) & _MASK64
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = ((s3 << 45) | (s3 >> 19)) & _MASK64
            if not stack:
                seed = ((draw >> 32) * N) >> 32
                s = s_list[seed]
                s_list[seed] = -s
                stack.append(seed)
                continue
            near = neighbours[stack[pos]]
            a = near[pair]
            b = near[pair + 1]
            if pair:
                pos += 1
            pair ^= 2
            # In order: on L = 2, a and b are the same site.
            if s_list[a] == s and (draw & 0xFFFFFFFF) < threshold:
                s_list[a] = -s
                stack.append(a)
            if s_list[b] == s and (draw >> 32) < threshold:
                s_list[b] = -s
                stack.append(b)
        members = set(stack)
        outside = 0
        for i in stack:
            for n in neighbours[i]:
                if n not in members:
                    outside += s_list[n]
        E += 2 * s * outside
        M -= 2 * s * len(stack)
        flipped += len(stack)
        if energy.size:
            energy[k] = E
            magnetization[k] = M
    flat[:] = s_list
    state[:] = np.array([s0, s1, s2, s3], dtype=np.uint64)
    return flipped


def wolff_updates(
    spins, temperature, n_clusters, state, *, record=True, python=False
):
    """Run ``n_clusters`` Wolff updates on ``spins`` in place.

    Parameters
    ----------
    spins : ndarray of shape (L, L), dtype int8, C-contiguous
        Spins of +-1, updated in place.
    temperature : float
        Temperature in units of ``J / k_B``.
    n_clusters : int
        Number of single-cluster updates.
    state : ndarray of 4 uint64
        The xoshiro256** state (advanced in place), not all zero.
    record : bool, default=True
        Whether to return the energy and magnetisation after each update;
        the compiled kernel runs 10-15% faster without (at T_c).
    python : bool, default=False
        Run the Python fallback even when the kernel is built; it draws the
        same random numbers, so the result is bitwise the same.

    Returns
    -------
    energy, magnetization : ndarray of shape (n_clusters,), int64, or None
        Total energy and magnetisation after each update (None unless
        ``record``).
    flipped : int
        Number of spins flipped over all updates.
    """
    L = spins.shape[0]
    p_add = -math.expm1(-2.0 / temperature)
    energy = np.empty(n_clusters if record else 0, dtype=np.int64)
    magnetization = np.empty_like(energy)
    if python or _kernel is None:
        flipped = _wolff_python(
            spins, L, p_add, n_clusters, state, energy, magnetization
        )
    else:
        flipped = _kernel(spins, L, p_add, n_clusters, state, energy, magnetization)
    if not record:
        return None, None, flipped
    return energy, magnetization, flipped


def integrated_autocorrelation_time(series, *, c=5.0):
    """Integrated autocorrelation time of a 1-D series, in its steps.

    ``tau = 1/2 + sum_{t=1}^{W} rho(t)`` with Sokal's automatic window: the
    smallest ``W >= c * tau(W)``. Independent samples give about 0.5; samples
    spaced by ``2 tau`` steps are roughly independent.

    Parameters
    ----------
    series : array-like of shape (n,)
    c : float, default=5.0
        Window factor; 5 to 10 is usual.

    Returns
    -------
    tau : float
        ``0.5`` for a constant series.
    """
    x = np.asarray(series, dtype=np.float64)
    x = x - x.mean()
    n = x.size
    variance = x @ x / n
    if n < 2 or variance == 0.0:
        return 0.5
    # Autocovariance by FFT, zero-padded so that it does not wrap around.
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(x, size)
    rho = np.fft.irfft(spectrum * spectrum.conj(), size)[:n] / (n * variance)
    taus = np.cumsum(rho) - 0.5
    window = np.flatnonzero(np.arange(n) >= c * taus)
    return float(taus[window[0]] if window.size else taus[-1])


def _random_state_of(seed):
    state = seed.generate_state(4, np.uint64)
    # xoshiro256** must not start from all zeros (odds 2**-256).
    state[0] |= np.uint64(state.any() == 0)
    return state


# The most values of E and of |m| a pilot run records (8 MiB each; the FFT
# of integrated_autocorrelation_time takes about 20 times that at its peak).
# A pilot is 100 sweeps or more: 1e8 updates at L = 1000 and high T, which
# took 6 GiB when every update was recorded.
MAX_PILOT_RECORD = 1 << 20


def _pilot_tau(spins, temperature, n_pilot, state, python=False):
    """The autocorrelation time, in updates, of ``n_pilot`` Wolff updates.

    A pilot of more than `MAX_PILOT_RECORD` updates records only every
    ``k``-th value, in chunks, so its memory does not grow with the lattice.
    The thinned series' ``tau`` times ``k`` is then the estimate: the same
    when ``tau`` spans many strides, and never below ``k / 2`` otherwise, an
    overestimate that only spaces the samples further apart.
    """
    stride = -(-n_pilot // MAX_PILOT_RECORD)
    n_kept = n_pilot // stride
    energy = np.empty(n_kept, dtype=np.int64)
    magnetization = np.empty(n_kept, dtype=np.int64)
    per_chunk = max(1, MAX_PILOT_RECORD // stride)
    for start in range(0, n_kept, per_chunk):
        stop = min(start + per_chunk, n_kept)
        e, m, _ = wolff_updates(
            spins, temperature, (stop - start) * stride, state, python=python
        )
        energy[start:stop] = e[stride - 1 :: stride]
        magnetization[start:stop] = m[stride - 1 :: stride]
    return stride * max(
        integrated_autocorrelation_time(energy),
        integrated_autocorrelation_time(np.abs(magnetization)),
    )


def run_chain(L, temperature, n_samples, seed, *, n_equilibration=100, python=None):
    """One Markov chain at one temperature: its samples and its measurements.

    Parameters
    ----------
    L : int
        Lattice side.
    temperature : float
    n_samples : int
        Configurations to return.
    seed : int or numpy.random.SeedSequence
        Entropy of the chain's random numbers.
    n_equilibration : int, default=100
        Sweeps (``L * L`` spin flips, counted over clusters) run from the
        random start before the pilot run.
    python : bool, default=None
        Use the Python fallback (the same chain, bitwise, only slower);
        default: only when the kernel is not built or turned off.

    Returns
    -------
    dict
        ``spins`` (n_samples, L, L) int8, ``energy`` and ``magnetization``
        (totals, int64), ``tau`` (in cluster updates, the larger of the
        energy's and ``|M|``'s), ``spacing`` (cluster updates between
        samples) and ``mean_cluster_size``.
    """
    python = _kernel is None if python is None else python
    if not isinstance(seed, np.random.SeedSequence):
        seed = np.random.SeedSequence(seed)
    start_seed, update_seed = seed.spawn(2)
    state = _random_state_of(update_seed)
    start = np.random.default_rng(start_seed)
    spins = np.where(start.random((L, L)) < 0.5, 1, -1).astype(np.int8)
    N = L * L
    # Equilibrate in rounds until n_equilibration sweeps' worth of spins have
    # flipped; the mean cluster size of the last round sizes the pilot run.
    flipped, clusters = 0, 0
    batch = 16
    # At least one round, also for n_equilibration=0: it measures the mean
    # cluster size.
    while clusters == 0 or flipped < n_equilibration * N:
        _, _, f = wolff_updates(
            spins, temperature, batch, state, record=False, python=python
        )
        flipped += f
        clusters += batch
        batch = min(2 * batch, 1 << 16)
    mean_cluster = max(flipped / clusters, 1.0)
    # Pilot run long enough for ~100 sweeps and many autocorrelation times.
    n_pilot = max(1000, int(100 * N / mean_cluster))
    for _ in range(4):
        tau = _pilot_tau(spins, temperature, n_pilot, state, python)
        if n_pilot >= 100 * tau:
            break
        n_pilot *= 4
    spacing = max(1, math.ceil(2.0 * tau))
    samples = np.empty((n_samples, L, L), dtype=np.int8)
    # Deep in the ordered phase a cluster is nearly the whole majority domain,
    # so m changes sign at almost every update and its sign stays strongly
    # (anti)correlated over many updates, more than tau of E and |m| shows.
    # A global flip s -> -s with probability 1/2 before each sample leaves
    # the energy, hence the Boltzmann weight, unchanged (an exact Monte Carlo
    # move), and makes the signs of successive samples independent.
    flips = start.random(n_samples) < 0.5
    total_flipped = 0
    for k in range(n_samples):
        _, _, f = wolff_updates(
            spins, temperature, spacing, state, record=False, python=python
        )
        total_flipped += f
        if flips[k]:
            np.negative(spins, out=spins)
        samples[k] = spins
    return {
        "spins": samples,
        "energy": lattice_energy(samples),
        "magnetization": samples.sum(axis=(1, 2), dtype=np.int64),
        "tau": tau,
        "spacing": spacing,
        "mean_cluster_size": total_flipped / (n_samples * spacing),
    }
