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
 * follows (each boundary bond i-n changes by 2 s s_n).
 *
 * The running total energy E = -sum_<ij> s_i s_j and magnetisation
 * M = sum_i s_i are written after every update, so a caller can measure
 * autocorrelation times without another pass. Random numbers come from
 * xoshiro256** (Blackman & Vigna), whose 256-bit state the caller owns: a
 * chain is reproducible from that state alone. The pure-Python fallback is
 * in _ising_mc.py. Buffers come through the buffer protocol, so the module
 * needs no numpy headers; the caller guarantees C order and dtypes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

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

/* The four neighbours of site i = r * L + c, with wraparound. */
#define NEIGHBOURS(i, L, N, out)                                               \
    do {                                                                       \
        const Py_ssize_t c_ = (i) % (L);                                       \
        (out)[0] = c_ + 1 == (L) ? (i) + 1 - (L) : (i) + 1;                    \
        (out)[1] = c_ == 0 ? (i) + (L) - 1 : (i) - 1;                          \
        (out)[2] = (i) + (L) >= (N) ? (i) + (L) - (N) : (i) + (L);             \
        (out)[3] = (i) < (L) ? (i) + (N) - (L) : (i) - (L);                    \
    } while (0)

/* Runs n_clusters updates; returns the number of spins flipped in all. */
static int64_t
run(int8_t *spin, Py_ssize_t L, double p_add, Py_ssize_t n_clusters,
    uint64_t *state, int64_t *energy, int64_t *magnetization, int32_t *stack,
    uint8_t *in_cluster)
{
    const Py_ssize_t N = L * L;
    /* An added neighbour is one whose top 53 random bits fall below this. */
    const uint64_t threshold = (uint64_t)(p_add * 9007199254740992.0);
    int64_t E = 0, M = 0, flipped = 0;
    for (Py_ssize_t i = 0; i < N; i++) {
        Py_ssize_t nb[4];
        NEIGHBOURS(i, L, N, nb);
        E -= spin[i] * (spin[nb[0]] + spin[nb[2]]);
        M += spin[i];
    }
    for (Py_ssize_t k = 0; k < n_clusters; k++) {
        /* Lemire's multiply-shift maps 32 random bits onto 0..N-1. */
        const Py_ssize_t seed =
            (Py_ssize_t)(((next_random(state) >> 32) * (uint64_t)N) >> 32);
        const int8_t s = spin[seed];
        spin[seed] = (int8_t)-s;
        stack[0] = (int32_t)seed;
        Py_ssize_t top = 1;
        for (Py_ssize_t pos = 0; pos < top; pos++) {
            Py_ssize_t nb[4];
            NEIGHBOURS((Py_ssize_t)stack[pos], L, N, nb);
            for (int j = 0; j < 4; j++) {
                if (spin[nb[j]] == s && (next_random(state) >> 11) < threshold) {
                    spin[nb[j]] = (int8_t)-s;
                    stack[top++] = (int32_t)nb[j];
                }
            }
        }
        for (Py_ssize_t pos = 0; pos < top; pos++) {
            in_cluster[stack[pos]] = 1;
        }
        int64_t outside = 0;
        for (Py_ssize_t pos = 0; pos < top; pos++) {
            Py_ssize_t nb[4];
            NEIGHBOURS((Py_ssize_t)stack[pos], L, N, nb);
            for (int j = 0; j < 4; j++) {
                outside += in_cluster[nb[j]] ? 0 : spin[nb[j]];
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
             energy.len != n_clusters * (Py_ssize_t)sizeof(int64_t) ||
             magnetization.len != n_clusters * (Py_ssize_t)sizeof(int64_t)) {
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
    int32_t *stack = NULL;
    uint8_t *in_cluster = NULL;
    int64_t flipped = 0;
    if (problem == NULL) {
        stack = PyMem_RawMalloc(L * L * sizeof(int32_t));
        in_cluster = PyMem_RawCalloc(L * L, 1);
    }
    if (stack != NULL && in_cluster != NULL) {
        Py_BEGIN_ALLOW_THREADS
        flipped = run(spin.buf, L, p_add, n_clusters, state.buf, energy.buf,
                      magnetization.buf, stack, in_cluster);
        Py_END_ALLOW_THREADS
    }
    int no_memory = problem == NULL && (stack == NULL || in_cluster == NULL);
    PyMem_RawFree(stack);
    PyMem_RawFree(in_cluster);
    PyBuffer_Release(&spin);
    PyBuffer_Release(&state);
    PyBuffer_Release(&energy);
    PyBuffer_Release(&magnetization);
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        return NULL;
    }
    if (no_memory) {
        return PyErr_NoMemory();
    }
    return PyLong_FromLongLong(flipped);
}

static PyMethodDef methods[] = {
    {"clusters", clusters, METH_VARARGS,
     "clusters(spins, L, p_add, n_clusters, state, energy, magnetization)"
     " -> int\n\n"
     "Run n_clusters Wolff updates on the int8 +-1 spins of an L x L\n"
     "periodic lattice in place, drawing from the uint64[4] xoshiro256**\n"
     "state (advanced in place). After update k, the total energy and\n"
     "magnetisation are written to the int64 buffers energy[k] and\n"
     "magnetization[k]. Returns the number of spins flipped."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_wolff",
    "Compiled Wolff cluster updates for make_ising.", -1, methods,
};

PyMODINIT_FUNC
PyInit__wolff(void)
{
    return PyModule_Create(&module);
}
