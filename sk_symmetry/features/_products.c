/*
 * products: out[r, j] = x[r, j mod m] * x[r, partners[j]] for an n x m array
 * x, in one pass, returning whether every product is finite.
 *
 * This is the dense kernel of InversionInvariantTransformer for its three
 * kinds. numpy needs a gather (permutation), strided fix-ups (neighbour
 * wraparound) and a finite check as separate passes; here each row of x (a
 * few KB) stays in L1 while its products are formed and checked in registers.
 * Pure numpy remains the fallback when this module was not built
 * (_feature_maps.py).
 *
 * Each block of m output columns is a segment. A segment whose partners are
 * mostly a fixed step ahead (square: step 0, neighbour: 1 or the image width)
 * is a contiguous multiply plus a short list of exceptions (the columns that
 * wrap around). Any other segment (permutation) is a gather: its indices are
 * read two per 64-bit load and the gathered values assembled into vectors.
 * On one core of the machine this was written on (AMD EPYC, AVX-512) that ran
 * about 1.4x faster than a scalar loop, and AVX2 vectors (chosen at run time)
 * a further 10% for float32; the gather instructions of AVX2 and AVX-512 were
 * slower than the scalar loop.
 *
 * The finite check ORs the bits of v * 0 (+-0 for finite v, NaN otherwise)
 * into an accumulator. Checking the output in a second pass, even while it is
 * in L1, made the whole kernel about 20% slower.
 *
 * Apart from the AVX2 gathers, vector code uses SSE2 only, which every x86-64
 * CPU has; elsewhere the same loops run as plain C. Threads are the caller's:
 * the kernel releases the GIL and works on any block of rows. Buffers come
 * through the buffer protocol, so the module needs no numpy headers; the
 * caller passes shapes and item size and guarantees C order.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#define HAVE_SSE2 1
/* Whether any lane of acc has a bit set past its sign bit. */
#define NONZERO_PAST_SIGN_32(acc)                                              \
    (_mm_movemask_epi8(_mm_cmpeq_epi32(                                        \
         _mm_slli_epi32(_mm_castps_si128(acc), 1), _mm_setzero_si128())) != 0xFFFF)
#define NONZERO_PAST_SIGN_64(acc)                                              \
    (_mm_movemask_epi8(_mm_cmpeq_epi32(                                        \
         _mm_slli_epi64(_mm_castpd_si128(acc), 1), _mm_setzero_si128())) != 0xFFFF)
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_DISPATCH 1 /* AVX2 gathers, chosen at run time */
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)0)
#endif

/* A gather visits a row's cache lines in random order, which hardware
 * prefetchers do not follow: the next row is prefetched explicitly (without
 * this a gather runs at about two thirds of the speed; two rows ahead was
 * about 5% slower for float64 rows of 784 values). */
#define PREFETCH_AHEAD 1

typedef struct {
    Py_ssize_t step;        /* partner of column i is i + step; -1: gather */
    Py_ssize_t n_except;    /* columns whose partner is not i + step */
    const uint32_t *except; /* their indices within the segment */
} segment_plan;

/* Whether the value stored at v is infinite or NaN. The scalar loops test
 * the stored bits rather than the expression that was stored: with x87 math
 * (32-bit x86) that expression may still hold an unrounded product that did
 * not overflow although the stored one did. */
static inline int
nonfinite_f32(const float *v)
{
    uint32_t bits;
    memcpy(&bits, v, sizeof bits);
    return (bits & 0x7f800000u) == 0x7f800000u;
}

static inline int
nonfinite_f64(const double *v)
{
    uint64_t bits;
    memcpy(&bits, v, sizeof bits);
    return (bits & 0x7ff0000000000000u) == 0x7ff0000000000000u;
}

/* d[i] = row[i] * row[p[i]] for i in [start, n), accumulating `bad`. */
#define SCALAR_PRODUCTS(row, p, d, start, n, bad, NONFINITE)                  \
    for (Py_ssize_t i_ = (start); i_ < (n); i_++) {                           \
        (d)[i_] = (row)[i_] * (row)[(p)[i_]];                                 \
        bad |= NONFINITE((d) + i_);                                           \
    }

/* ---- one segment of one row, float32 ------------------------------------ */

static int
step_f32(const float *row, const uint32_t *p, float *d, Py_ssize_t n,
         const segment_plan *plan)
{
    const Py_ssize_t step = plan->step;
    Py_ssize_t i = 0;
    int bad = 0;
#ifdef HAVE_SSE2
    const __m128 zero = _mm_setzero_ps();
    __m128 acc = zero;
    for (; i + 4 <= n - step; i += 4) {
        __m128 v = _mm_mul_ps(_mm_loadu_ps(row + i), _mm_loadu_ps(row + i + step));
        acc = _mm_or_ps(acc, _mm_mul_ps(v, zero));
        _mm_storeu_ps(d + i, v);
    }
    bad = NONZERO_PAST_SIGN_32(acc);
#endif
    for (; i < n - step; i++) {
        d[i] = row[i] * row[i + step];
        bad |= nonfinite_f32(d + i);
    }
    /* The loops above also formed products at the exceptions that lie below
     * n - step; those may overflow where the true ones do not, which only
     * makes the caller re-check exactly. */
    for (Py_ssize_t e = 0; e < plan->n_except; e++) {
        const uint32_t k = plan->except[e];
        d[k] = row[k] * row[p[k]];
        bad |= nonfinite_f32(d + k);
    }
    return !bad;
}

static int
gather_f32(const float *row, const uint32_t *p, float *d, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    int bad = 0;
#ifdef HAVE_SSE2
    const __m128 zero = _mm_setzero_ps();
    __m128 acc = zero;
    for (; i + 4 <= n; i += 4) {
        uint64_t q0, q1;
        memcpy(&q0, p + i, 8);
        memcpy(&q1, p + i + 2, 8);
        __m128 far = _mm_set_ps(row[q1 >> 32], row[(uint32_t)q1], row[q0 >> 32],
                                row[(uint32_t)q0]);
        __m128 v = _mm_mul_ps(_mm_loadu_ps(row + i), far);
        acc = _mm_or_ps(acc, _mm_mul_ps(v, zero));
        _mm_storeu_ps(d + i, v);
    }
    bad = NONZERO_PAST_SIGN_32(acc);
#endif
    SCALAR_PRODUCTS(row, p, d, i, n, bad, nonfinite_f32)
    return !bad;
}

/* ---- one segment of one row, float64 ------------------------------------ */

static int
step_f64(const double *row, const uint32_t *p, double *d, Py_ssize_t n,
         const segment_plan *plan)
{
    const Py_ssize_t step = plan->step;
    Py_ssize_t i = 0;
    int bad = 0;
#ifdef HAVE_SSE2
    const __m128d zero = _mm_setzero_pd();
    __m128d acc = zero;
    for (; i + 2 <= n - step; i += 2) {
        __m128d v = _mm_mul_pd(_mm_loadu_pd(row + i), _mm_loadu_pd(row + i + step));
        acc = _mm_or_pd(acc, _mm_mul_pd(v, zero));
        _mm_storeu_pd(d + i, v);
    }
    bad = NONZERO_PAST_SIGN_64(acc);
#endif
    for (; i < n - step; i++) {
        d[i] = row[i] * row[i + step];
        bad |= nonfinite_f64(d + i);
    }
    for (Py_ssize_t e = 0; e < plan->n_except; e++) {
        const uint32_t k = plan->except[e];
        d[k] = row[k] * row[p[k]];
        bad |= nonfinite_f64(d + k);
    }
    return !bad;
}

static int
gather_f64(const double *row, const uint32_t *p, double *d, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    int bad = 0;
#ifdef HAVE_SSE2
    const __m128d zero = _mm_setzero_pd();
    __m128d acc = zero;
    for (; i + 2 <= n; i += 2) {
        uint64_t q;
        memcpy(&q, p + i, 8);
        __m128d far = _mm_set_pd(row[q >> 32], row[(uint32_t)q]);
        __m128d v = _mm_mul_pd(_mm_loadu_pd(row + i), far);
        acc = _mm_or_pd(acc, _mm_mul_pd(v, zero));
        _mm_storeu_pd(d + i, v);
    }
    bad = NONZERO_PAST_SIGN_64(acc);
#endif
    SCALAR_PRODUCTS(row, p, d, i, n, bad, nonfinite_f64)
    return !bad;
}

/* ---- AVX2 versions of the gathers, eight (four) values per vector -------- */

#ifdef HAVE_AVX2_DISPATCH
__attribute__((target("avx2"))) static int
gather_f32_avx2(const float *row, const uint32_t *p, float *d, Py_ssize_t n)
{
    const __m256 zero = _mm256_setzero_ps();
    __m256 acc = zero;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t q0, q1, q2, q3;
        memcpy(&q0, p + i, 8);
        memcpy(&q1, p + i + 2, 8);
        memcpy(&q2, p + i + 4, 8);
        memcpy(&q3, p + i + 6, 8);
        __m256 far = _mm256_set_ps(row[q3 >> 32], row[(uint32_t)q3], row[q2 >> 32],
                                   row[(uint32_t)q2], row[q1 >> 32], row[(uint32_t)q1],
                                   row[q0 >> 32], row[(uint32_t)q0]);
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(row + i), far);
        acc = _mm256_or_ps(acc, _mm256_mul_ps(v, zero));
        _mm256_storeu_ps(d + i, v);
    }
    __m128 folded = _mm_or_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    int bad = NONZERO_PAST_SIGN_32(folded);
    SCALAR_PRODUCTS(row, p, d, i, n, bad, nonfinite_f32)
    return !bad;
}

__attribute__((target("avx2"))) static int
gather_f64_avx2(const double *row, const uint32_t *p, double *d, Py_ssize_t n)
{
    const __m256d zero = _mm256_setzero_pd();
    __m256d acc = zero;
    Py_ssize_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint64_t q0, q1;
        memcpy(&q0, p + i, 8);
        memcpy(&q1, p + i + 2, 8);
        __m256d far = _mm256_set_pd(row[q1 >> 32], row[(uint32_t)q1], row[q0 >> 32],
                                    row[(uint32_t)q0]);
        __m256d v = _mm256_mul_pd(_mm256_loadu_pd(row + i), far);
        acc = _mm256_or_pd(acc, _mm256_mul_pd(v, zero));
        _mm256_storeu_pd(d + i, v);
    }
    __m128d folded = _mm_or_pd(_mm256_castpd256_pd128(acc), _mm256_extractf128_pd(acc, 1));
    int bad = NONZERO_PAST_SIGN_64(folded);
    SCALAR_PRODUCTS(row, p, d, i, n, bad, nonfinite_f64)
    return !bad;
}
#endif

/* ---- all rows ----------------------------------------------------------- */

#define ROWS(T, STEP, GATHER)                                                  \
    for (Py_ssize_t r = 0; r < n_rows; r++) {                                 \
        const T *row = (const T *)x + r * n_cols;                             \
        T *dst = (T *)out + r * n_out;                                        \
        if (any_gather && r + PREFETCH_AHEAD < n_rows) {                      \
            const char *ahead = (const char *)(row + PREFETCH_AHEAD * n_cols); \
            for (Py_ssize_t b = 0; b < n_cols * (Py_ssize_t)sizeof(T); b += 64) { \
                PREFETCH(ahead + b);                                          \
            }                                                                 \
        }                                                                     \
        for (Py_ssize_t s = 0; s < n_segments; s++) {                         \
            const uint32_t *p = partners + s * n_cols;                        \
            T *d = dst + s * n_cols;                                          \
            finite &= plans[s].step >= 0 ? STEP(row, p, d, n_cols, plans + s) \
                                         : GATHER(row, p, d, n_cols);         \
        }                                                                     \
    }

/* Each segment's step is that of its first column (square: 0, neighbour: 1
 * or the image width); it is kept when at least half the columns follow it.
 * Returns whether any segment is a gather. */
static int
plan_segments(const uint32_t *partners, Py_ssize_t n_cols, Py_ssize_t n_segments,
              segment_plan *plans, uint32_t *except_storage)
{
    int any_gather = 0;
    for (Py_ssize_t s = 0; s < n_segments; s++) {
        const uint32_t *p = partners + s * n_cols;
        uint32_t *except = except_storage + s * n_cols;
        Py_ssize_t step = (Py_ssize_t)p[0], n_except = 0;
        for (Py_ssize_t i = 0; i < n_cols; i++) {
            if ((Py_ssize_t)p[i] != i + step) {
                except[n_except++] = (uint32_t)i;
            }
        }
        plans[s].step = 2 * n_except <= n_cols ? step : -1;
        plans[s].n_except = n_except;
        plans[s].except = except;
        any_gather |= plans[s].step < 0;
    }
    return any_gather;
}

typedef int (*gather_f32_fn)(const float *, const uint32_t *, float *, Py_ssize_t);
typedef int (*gather_f64_fn)(const double *, const uint32_t *, double *, Py_ssize_t);

/* Whether this CPU runs AVX2; set once when the module is imported. */
static int cpu_avx2 = 0;

static int
run(const void *x, const uint32_t *partners, void *out, Py_ssize_t n_rows,
    Py_ssize_t n_cols, Py_ssize_t n_out, Py_ssize_t itemsize, int avx2,
    int *finite_out)
{
    const Py_ssize_t n_segments = n_out / n_cols;
    segment_plan *plans = PyMem_RawMalloc(n_segments * sizeof(segment_plan));
    uint32_t *except_storage = PyMem_RawMalloc(n_out * sizeof(uint32_t));
    if (plans == NULL || except_storage == NULL) {
        PyMem_RawFree(plans);
        PyMem_RawFree(except_storage);
        return -1;
    }
    const int any_gather =
        plan_segments(partners, n_cols, n_segments, plans, except_storage);
    (void)avx2; /* unused without AVX2 dispatch */
    gather_f32_fn gather32 = gather_f32;
    gather_f64_fn gather64 = gather_f64;
#ifdef HAVE_AVX2_DISPATCH
    if (avx2 && cpu_avx2) {
        gather32 = gather_f32_avx2;
        gather64 = gather_f64_avx2;
    }
#endif
    int finite = 1;
    if (itemsize == 8) {
        ROWS(double, step_f64, gather64)
    }
    else {
        ROWS(float, step_f32, gather32)
    }
    PyMem_RawFree(plans);
    PyMem_RawFree(except_storage);
    *finite_out = finite;
    return 0;
}

static PyObject *
products(PyObject *self, PyObject *args)
{
    Py_buffer x, idx, out;
    Py_ssize_t n_rows, n_cols, n_out, itemsize;
    int avx2 = 1;
    if (!PyArg_ParseTuple(args, "y*y*w*nnnn|p", &x, &idx, &out, &n_rows, &n_cols,
                          &n_out, &itemsize, &avx2)) {
        return NULL;
    }
    const char *problem = NULL;
    if (itemsize != 4 && itemsize != 8) {
        problem = "itemsize must be 4 (float32) or 8 (float64)";
    }
    else if (n_rows < 0 || n_cols < 1 || n_out < 1 || n_out % n_cols != 0) {
        problem = "n_out must be a positive multiple of n_cols";
    }
    else if ((uint64_t)n_cols > UINT32_MAX) {
        problem = "n_cols must be below 2**32";
    }
    else if (n_out > PY_SSIZE_T_MAX / 8 ||
             (n_rows > 0 && n_out > PY_SSIZE_T_MAX / itemsize / n_rows)) {
        problem = "the shapes are too large"; /* n_out >= n_cols bounds all sizes */
    }
    else if (x.len != n_rows * n_cols * itemsize ||
             out.len != n_rows * n_out * itemsize ||
             idx.len != n_out * (Py_ssize_t)sizeof(int64_t)) {
        problem = "buffer sizes do not match the shapes";
    }
    uint32_t *partners = NULL;
    int status = 0, finite = 1;
    if (problem == NULL) {
        partners = PyMem_RawMalloc(n_out * sizeof(uint32_t));
        status = partners == NULL ? -1 : 0;
    }
    for (Py_ssize_t j = 0; partners != NULL && problem == NULL && j < n_out; j++) {
        const int64_t k = ((const int64_t *)idx.buf)[j];
        if (k < 0 || k >= n_cols) {
            problem = "partner index out of range";
        }
        partners[j] = (uint32_t)k;
    }
    if (partners != NULL && problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        status = run(x.buf, partners, out.buf, n_rows, n_cols, n_out, itemsize,
                     avx2, &finite);
        Py_END_ALLOW_THREADS
    }
    PyMem_RawFree(partners);
    PyBuffer_Release(&x);
    PyBuffer_Release(&idx);
    PyBuffer_Release(&out);
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        return NULL;
    }
    if (status != 0) {
        return PyErr_NoMemory();
    }
    return PyBool_FromLong(finite);
}

static PyObject *
has_avx2(PyObject *self, PyObject *unused)
{
    return PyBool_FromLong(cpu_avx2);
}

static PyMethodDef methods[] = {
    {"products", products, METH_VARARGS,
     "products(x, partners, out, n_rows, n_cols, n_out, itemsize, avx2=True)"
     " -> bool\n\n"
     "out[r, j] = x[r, j % n_cols] * x[r, partners[j]] for C-ordered float32\n"
     "or float64 buffers and int64 partners; out must not overlap x.\n"
     "Returns False if a product is not finite; it may also return False\n"
     "for finite products when a product outside the map overflows, so\n"
     "re-check exactly on False.\n"
     "avx2=False keeps gathers to SSE2 even on a CPU with AVX2."},
    {"has_avx2", has_avx2, METH_NOARGS,
     "has_avx2() -> bool: whether products can use AVX2 gathers here."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_products",
    "Compiled kernel for the products of InversionInvariantTransformer.", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__products(void)
{
#ifdef HAVE_AVX2_DISPATCH
    __builtin_cpu_init();
    cpu_avx2 = __builtin_cpu_supports("avx2") != 0;
#endif
    return PyModule_Create(&module);
}
