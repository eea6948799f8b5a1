/*
 * clusters: Wolff single-cluster updates of the 2D Ising model (J = 1) on a
 * periodic L x L lattice, for make_ising.
 *
 * One update picks a random site, grows the cluster of equal spins around it
 * by adding each equal neighbour with probability p_add = 1 - exp(-2 / T),
 * and flips the whole cluster; it satisfies detailed balance with no
 * rejection and, near T_c, decorrelates the lattice in a few sweeps where
 * single-spin Metropolis needs about L^2.17 (Wolff 1989). The cluster is
 * flipped while it grows, so "not yet in the cluster" is simply "spin equal
 * to the seed's old value"; a mark per site is needed only afterwards, to sum
 * the spins just outside the cluster, from which the change of energy
 * follows (each boundary bond i-n changes by 2 s s_n). The growth loop has
 * no data-dependent branch (see run).
 *
 * The running total energy E = -sum_<ij> s_i s_j and magnetisation
 * M = sum_i s_i are written after every update, so a caller can measure
 * autocorrelation times without another pass. Random numbers come from
 * xoshiro256** (Blackman & Vigna), whose 256-bit state the caller owns: a
 * chain is reproducible from that state alone. The pure-Python fallback is
 * in _ising_mc.py. The caller guarantees C order and dtypes.
 */
#include "common.h"

static inline uint64_t
rotl(const uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256**: one 64-bit output, state advanced in place. */
static inline uint64_t
next_random(uint64_t *s)
{
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Grows and flips one cluster from a random seed; returns its size and the
 * seed's old spin. With record, it also marks the members in in_cluster
 * (which the caller clears) so that the energy change can be summed. */
static inline Py_ssize_t
grow(int8_t *spin, Py_ssize_t N, uint32_t threshold, uint64_t *state,
     int32_t *stack, int8_t *in_cluster, const int32_t *neighbour,
     const int record, int8_t *old_spin)
{
    /* Lemire's multiply-shift maps 32 random bits onto 0..N-1. */
    const int32_t seed = (int32_t)(((next_random(state) >> 32) * (uint64_t)N) >> 32);
    const int8_t s = spin[seed];
    spin[seed] = (int8_t)-s;
    if (record) {
        in_cluster[seed] = 1;
    }
    stack[0] = seed;
    Py_ssize_t top = 1;
    for (Py_ssize_t pos = 0; pos < top; pos++) {
        const int32_t *nb = neighbour + 4 * (Py_ssize_t)stack[pos];
        /* Branch-free: whether a neighbour joins is a coin flip, which a
         * branch predictor cannot learn, so every neighbour gets a random
         * number: 32 bits each, two neighbours per 64-bit draw. */
        for (int j = 0; j < 4; j += 2) {
            const uint64_t r = next_random(state);
            const int32_t a = nb[j], b = nb[j + 1];
            const int join_a = (spin[a] == s) & ((uint32_t)r < threshold);
            spin[a] = join_a ? (int8_t)-s : spin[a];
            stack[top] = a;
            top += join_a;
            const int join_b = (spin[b] == s) & ((uint32_t)(r >> 32) < threshold);
            spin[b] = join_b ? (int8_t)-s : spin[b];
            stack[top] = b;
            top += join_b;
            if (record) {
                in_cluster[a] |= (int8_t)join_a;
                in_cluster[b] |= (int8_t)join_b;
            }
        }
    }
    *old_spin = s;
    return top;
}

/* Runs n_clusters updates; returns the number of spins flipped in all. With
 * record, writes the total energy and magnetisation after each update.
 * stack holds N + 1 sites, neighbour 4 N, in_cluster N zeros. */
static int64_t
run(int8_t *spin, Py_ssize_t L, double p_add, Py_ssize_t n_clusters,
    uint64_t *state, int64_t *energy, int64_t *magnetization, int record,
    int32_t *stack, int8_t *in_cluster, int32_t *neighbour)
{
    const Py_ssize_t N = L * L;
    /* A neighbour joins when 32 random bits fall below this: p_add rounded
     * to a multiple of 2^-32 (an error below 1.2e-10), capped below 1. */
    const double scaled = p_add * 4294967296.0 + 0.5;
    const uint32_t threshold =
        scaled >= 4294967295.0 ? UINT32_MAX : (uint32_t)scaled;
    int64_t E = 0, M = 0, flipped = 0;
    /* Right, left, down, up, with wraparound: a table lookup in the loops
     * instead of a division per site. */
    for (Py_ssize_t i = 0; i < N; i++) {
        const Py_ssize_t c = i % L;
        int32_t *nb = neighbour + 4 * i;
        nb[0] = (int32_t)(c + 1 == L ? i + 1 - L : i + 1);
        nb[1] = (int32_t)(c == 0 ? i + L - 1 : i - 1);
        nb[2] = (int32_t)(i + L >= N ? i + L - N : i + L);
        nb[3] = (int32_t)(i < L ? i + N - L : i - L);
        E -= spin[i] * (spin[nb[0]] + spin[nb[2]]);
        M += spin[i];
    }
    int8_t s;
    if (!record) {
        for (Py_ssize_t k = 0; k < n_clusters; k++) {
            flipped += grow(spin, N, threshold, state, stack, in_cluster,
                            neighbour, 0, &s);
        }
        return flipped;
    }
    for (Py_ssize_t k = 0; k < n_clusters; k++) {
        const Py_ssize_t top =
            grow(spin, N, threshold, state, stack, in_cluster, neighbour, 1, &s);
        /* Each bond from the cluster to a spin s_n outside it changes the
         * energy by 2 s s_n when the cluster flips. */
        int64_t outside = 0;
        for (Py_ssize_t pos = 0; pos < top; pos++) {
            const int32_t *nb = neighbour + 4 * (Py_ssize_t)stack[pos];
            for (int j = 0; j < 4; j++) {
                outside += spin[nb[j]] & (int8_t)(in_cluster[nb[j]] - 1);
            }
        }
        for (Py_ssize_t pos = 0; pos < top; pos++) {
            in_cluster[stack[pos]] = 0;
        }
        E += 2 * s * outside;
        M -= 2 * s * (int64_t)top;
        flipped += top;
        energy[k] = E;
        magnetization[k] = M;
    }
    return flipped;
}

static PyObject *
clusters(PyObject *self, PyObject *args)
{
    Py_buffer spin, state, energy, magnetization;
    Py_ssize_t L, n_clusters;
    double p_add;
    if (!PyArg_ParseTuple(args, "w*ndnw*w*w*", &spin, &L, &p_add, &n_clusters,
                          &state, &energy, &magnetization)) {
        return NULL;
    }
    const char *problem = NULL;
    if (L < 2 || L > 46340) { /* N = L * L must fit in int32 */
        problem = "L must be between 2 and 46340";
    }
    else if (!(p_add >= 0.0 && p_add < 1.0)) {
        problem = "p_add must be in [0, 1)";
    }
    else if (n_clusters < 0) {
        problem = "n_clusters must be non-negative";
    }
    else if (spin.len != L * L || state.len != 4 * (Py_ssize_t)sizeof(uint64_t) ||
             energy.len != magnetization.len ||
             (energy.len != 0 &&
              energy.len != n_clusters * (Py_ssize_t)sizeof(int64_t))) {
        problem = "buffer sizes do not match L and n_clusters";
    }
    for (Py_ssize_t i = 0; problem == NULL && i < spin.len; i++) {
        const int8_t v = ((const int8_t *)spin.buf)[i];
        if (v != 1 && v != -1) {
            problem = "spins must be +1 or -1";
        }
    }
    const uint64_t *s = state.buf;
    if (problem == NULL && (s[0] | s[1] | s[2] | s[3]) == 0) {
        problem = "the random state must not be all zero";
    }
    /* One block for the stack (N + 1 sites: a rejected neighbour is written
     * one past the top), the neighbour table (4 N) and the marks (N). */
    int32_t *work = NULL;
    int64_t flipped = 0;
    if (problem == NULL) {
        work = PyMem_RawCalloc(6 * L * L + 1, sizeof(int32_t));
    }
    if (work != NULL) {
        Py_BEGIN_ALLOW_THREADS
        flipped = run(spin.buf, L, p_add, n_clusters, state.buf, energy.buf,
                      magnetization.buf, energy.len != 0, work,
                      (int8_t *)(work + 5 * L * L + 1),
                      work + L * L + 1);
        Py_END_ALLOW_THREADS
    }
    int no_memory = problem == NULL && work == NULL;
    PyMem_RawFree(work);
    return RELEASED_RESULT(problem, no_memory, PyLong_FromLongLong(flipped), &spin, &state, &energy, &magnetization);
}

static PyMethodDef methods[] = {
    {"clusters", clusters, METH_VARARGS,
     "clusters(spins, L, p_add, n_clusters, state, energy, magnetization)"
     " -> int\n\n"
     "Run n_clusters Wolff updates on the int8 +-1 spins of an L x L\n"
     "periodic lattice in place, drawing from the uint64[4] xoshiro256**\n"
     "state (advanced in place). After update k, the total energy and\n"
     "magnetisation are written to the int64 buffers energy[k] and\n"
     "magnetization[k]; pass two empty buffers to skip that (faster).\n"
     "Returns the number of spins flipped."},
    {NULL, NULL, 0, NULL},
};

DEFINE_MODULE(_wolff, "Compiled Wolff cluster updates for make_ising.")
