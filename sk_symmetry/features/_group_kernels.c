/*
 * Kernels of GroupInvariantTransformer (sk_symmetry/features/_group_maps.py),
 * each doing per row, while the row is in cache, what the numpy functions of
 * that module do in several passes over a block. Their results are the
 * numpy functions' results to the bit; those stay the reference and the
 * fallback when this module was not built.
 *
 * canonical: given the scores w . g(x) of every element g (a BLAS product the
 *   caller computes exactly as the numpy path does), pick the best element,
 *   decide whether any other image scores within the rounding margin of it
 *   (the margin sums |x| in numpy's pairwise order, so it is numpy's value to
 *   the bit), settle near-ties by the same exact lexicographic comparison,
 *   and write the signed gather sign * x[perm] + 0.0 (by runs where the
 *   image is made of long runs of evenly spaced sources, as mirrors and
 *   turns of an image are: vector copies for steps +-1). Rows whose scores
 *   overflow are flagged for the caller, which runs the numpy code on them.
 *
 * averages: the group averages of signed products over orbits of pairs.
 *   Orbits of the same size s are done together: the s terms of every orbit
 *   are laid out term-major, sorted by a sorting network whose
 *   compare-exchanges run across all orbits at once (vectorised by the
 *   compiler), then summed in sorted order and divided by s. Sorting makes
 *   the sum independent of the order of the terms, hence the same for every
 *   image of a row; the sum and division are the numpy path's operations in
 *   its order, so the result has the same bits. Where the CPU has AVX2, the
 *   vector lanes are rows instead of orbits: a block of rows is transposed,
 *   so that every term is two vector loads and a multiply with no gather;
 *   the same operations lane by lane, so the same bits.
 *
 * Threads are the caller's: both kernels release the GIL and work on any
 * block of rows. Buffers come through the buffer protocol, so the module needs
 * no numpy headers; the caller passes shapes and item size and guarantees C
 * order. An index's top bit carries the sign of its term (set: negative).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define INDEX_MASK 0x7fffffffu

/* ---- numpy's pairwise sum of |a[i]| (numpy/_core/src/umath/loops_utils.h.src:
 * eight accumulators over blocks of at most 128 values, halving above that).
 * numpy's reduction adds this to its initial value 0, which changes nothing
 * for a sum of absolute values. */
#define PAIRWISE_ABS(T, NAME, ABS)                                             \
    static T NAME(const T *a, Py_ssize_t n)                                    \
    {                                                                          \
        if (n < 8) {                                                           \
            T res = 0;                                                         \
            for (Py_ssize_t i = 0; i < n; i++) {                               \
                res += ABS(a[i]);                                              \
            }                                                                  \
            return res;                                                        \
        }                                                                      \
        if (n <= 128) {                                                        \
            T r[8];                                                            \
            Py_ssize_t i;                                                      \
            for (int j = 0; j < 8; j++) {                                      \
                r[j] = ABS(a[j]);                                              \
            }                                                                  \
            for (i = 8; i < n - (n % 8); i += 8) {                             \
                for (int j = 0; j < 8; j++) {                                  \
                    r[j] += ABS(a[i + j]);                                     \
                }                                                              \
            }                                                                  \
            T res = ((r[0] + r[1]) + (r[2] + r[3])) +                          \
                    ((r[4] + r[5]) + (r[6] + r[7]));                           \
            for (; i < n; i++) {                                               \
                res += ABS(a[i]);                                              \
            }                                                                  \
            return res;                                                        \
        }                                                                      \
        Py_ssize_t n2 = n / 2;                                                 \
        n2 -= n2 % 8;                                                          \
        return NAME(a, n2) + NAME(a + n2, n - n2);                             \
    }

PAIRWISE_ABS(double, pairwise_abs_f64, fabs)
PAIRWISE_ABS(float, pairwise_abs_f32, fabsf)

/* ---- canonical form ------------------------------------------------------ */

/* Whether the image coded by a is lexicographically greater than that coded
 * by b: at the first position where they differ (as numbers: -0.0 == 0.0),
 * a's value is the larger. */
#define GREATER_FN(T, NAME)                                                    \
    static int NAME(const T *row, const uint32_t *a, const uint32_t *b,        \
                    Py_ssize_t n)                                              \
    {                                                                          \
        for (Py_ssize_t j = 0; j < n; j++) {                                   \
            const T va = (a[j] >> 31) ? -row[a[j] & INDEX_MASK]                \
                                      : row[a[j] & INDEX_MASK];                \
            const T vb = (b[j] >> 31) ? -row[b[j] & INDEX_MASK]                \
                                      : row[b[j] & INDEX_MASK];                \
            if (va != vb) {                                                    \
                return va > vb;                                                \
            }                                                                  \
        }                                                                      \
        return 0;                                                              \
    }

GREATER_FN(double, greater_f64)
GREATER_FN(float, greater_f32)

/* A stretch of an image whose sources are evenly spaced, with one sign:
 * out[dst + j] = sign * x[src + j * step], j < length. The dihedral group's
 * images of a square image are rows of such runs, of step +-1 (mirrors, half
 * turns: vector copies) or +-width (quarter turns, transposes). */
typedef struct {
    int32_t dst, src, length, step;
    int8_t negative;
} run;

/* The runs of each element's codes, in order; run_start[g] is element g's
 * first, run_start[n_elements] their number. The codes are checked. */
static void
find_runs(const uint32_t *codes, Py_ssize_t n_cols, Py_ssize_t n_elements,
          run *runs, Py_ssize_t *run_start)
{
    Py_ssize_t n = 0;
    for (Py_ssize_t g = 0; g < n_elements; g++) {
        const uint32_t *c = codes + g * n_cols;
        run_start[g] = n;
        for (Py_ssize_t j = 0; j < n_cols;) {
            const int64_t src = c[j] & INDEX_MASK;
            const uint32_t negative = c[j] >> 31;
            int64_t step = 1;
            Py_ssize_t end = j + 1;
            if (end < n_cols && (c[end] >> 31) == negative &&
                (int64_t)(c[end] & INDEX_MASK) != src) {
                step = (int64_t)(c[end] & INDEX_MASK) - src;
            }
            while (end < n_cols && (c[end] >> 31) == negative &&
                   (int64_t)(c[end] & INDEX_MASK) == src + step * (end - j)) {
                end++;
            }
            runs[n].dst = (int32_t)j;
            runs[n].src = (int32_t)src;
            runs[n].length = (int32_t)(end - j);
            runs[n].step = (int32_t)step;
            runs[n].negative = (int8_t)negative;
            n++;
            j = end;
        }
    }
    run_start[n_elements] = n;
}

/* Four runs of one step and length whose sources are consecutive (+-1)
 * and destinations adjacent: a transposed image's 4 x 4 tiles, each loaded
 * as four vectors and transposed in registers, the same value * sign + 0.0
 * per element. Returns whether the four runs at u fit this pattern (and were
 * copied). float32 only: the float64 canonical form is fast enough. */
#ifdef __SSE2__
#define HAVE_TILES 1
static int
tile_runs_f32(const float *row, const run *u, const run *last, float *d)
{
    if (last - u < 4 || u->length < 4 || u->step == 1 || u->step == -1) {
        return 0;
    }
    const int32_t delta = u[1].src - u[0].src;
    if (delta != 1 && delta != -1) {
        return 0;
    }
    for (int i = 1; i < 4; i++) {
        if (u[i].length != u->length || u[i].step != u->step ||
            u[i].negative != u->negative || u[i].src != u->src + i * delta ||
            u[i].dst != u->dst + i * u->length) {
            return 0;
        }
    }
    const Py_ssize_t step = u->step, length = u->length;
    const float sign = u->negative ? -1.0f : 1.0f;
    const __m128 vsign = _mm_set1_ps(sign), zero = _mm_setzero_ps();
    Py_ssize_t j = 0;
    for (; j + 4 <= length; j += 4) {
        __m128 v[4];
        for (int k = 0; k < 4; k++) {
            const float *at = row + u->src + step * (j + k);
            v[k] = delta == 1 ? _mm_loadu_ps(at)
                              : _mm_shuffle_ps(_mm_loadu_ps(at - 3),
                                               _mm_loadu_ps(at - 3), 0x1b);
        }
        _MM_TRANSPOSE4_PS(v[0], v[1], v[2], v[3]);
        for (int i = 0; i < 4; i++) {
            _mm_storeu_ps(d + u[i].dst + j,
                          _mm_add_ps(_mm_mul_ps(v[i], vsign), zero));
        }
    }
    for (; j < length; j++) {
        for (int i = 0; i < 4; i++) {
            d[u[i].dst + j] = row[u[i].src + step * j] * sign + 0.0f;
        }
    }
    return 1;
}
#endif

/* For each row: best[r] is the chosen element, or -1 when a score or the
 * threshold is not finite (an overflow numpy settles its own way), in which
 * case out's row is left for the caller. Returns the number of flagged rows.
 * The comparisons are numpy's: argmax keeps the first maximum, a near-tie is
 * a second score >= top - slack * sum|x| (all in T), settled as
 * _lexicographic_best does. */
#define CANONICAL(T, NAME, PAIRWISE, GREATER, UINT, SIGN_SHIFT, TILES)         \
    static Py_ssize_t NAME(const T *x, const T *scores, const uint32_t *codes, \
                           const int8_t *uniform, const run *runs,             \
                           const Py_ssize_t *run_start, T *out, int32_t *best, \
                           Py_ssize_t n_rows, Py_ssize_t n_cols,               \
                           Py_ssize_t n_elements, T slack)                     \
    {                                                                          \
        Py_ssize_t n_flagged = 0;                                              \
        for (Py_ssize_t r = 0; r < n_rows; r++) {                              \
            const T *row = x + r * n_cols;                                     \
            const T *s = scores + r * n_elements;                              \
            Py_ssize_t b = 0;                                                  \
            T top = s[0];                                                      \
            int finite = isfinite(top);                                        \
            for (Py_ssize_t g = 1; g < n_elements; g++) {                      \
                finite &= isfinite(s[g]) != 0;                                 \
                if (s[g] > top) {                                              \
                    top = s[g];                                                \
                    b = g;                                                     \
                }                                                              \
            }                                                                  \
            const T margin = slack * PAIRWISE(row, n_cols);                    \
            const T threshold = top - margin;                                  \
            Py_ssize_t count = 0;                                              \
            for (Py_ssize_t g = 0; g < n_elements; g++) {                      \
                count += s[g] >= threshold;                                    \
            }                                                                  \
            if (!finite || !isfinite(threshold)) {                             \
                best[r] = -1;                                                  \
                n_flagged++;                                                   \
                continue;                                                      \
            }                                                                  \
            if (count > 1) {                                                   \
                /* Near-tie: of the images scoring >= threshold, in order, */  \
                /* keep the first lexicographically largest.               */  \
                b = -1;                                                        \
                for (Py_ssize_t g = 0; g < n_elements; g++) {                  \
                    if (s[g] >= threshold &&                                   \
                        (b < 0 || GREATER(row, codes + g * n_cols,             \
                                          codes + b * n_cols, n_cols))) {      \
                        b = g;                                                 \
                    }                                                          \
                }                                                              \
            }                                                                  \
            best[r] = (int32_t)b;                                              \
            const uint32_t *c = codes + b * n_cols;                            \
            T *restrict d = out + r * n_cols;                                  \
            if (run_start[b + 1] - run_start[b] <= n_cols / 8) {               \
                /* long runs of evenly spaced sources, no codes to load */     \
                const run *last = runs + run_start[b + 1];                     \
                for (const run *u = runs + run_start[b]; u < last; u++) {      \
                    if (TILES(row, u, last, d)) {                              \
                        u += 3;                                                \
                        continue;                                              \
                    }                                                          \
                    const T *restrict src = row + u->src;                      \
                    T *restrict dst = d + u->dst;                              \
                    const T sign = u->negative ? (T)-1 : (T)1;                 \
                    const Py_ssize_t step = u->step;                           \
                    if (step == 1) {                                           \
                        for (Py_ssize_t j = 0; j < u->length; j++) {           \
                            dst[j] = src[j] * sign + (T)0;                     \
                        }                                                      \
                    }                                                          \
                    else if (step == -1) {                                     \
                        for (Py_ssize_t j = 0; j < u->length; j++) {           \
                            dst[j] = src[-j] * sign + (T)0;                    \
                        }                                                      \
                    }                                                          \
                    else {                                                     \
                        for (Py_ssize_t j = 0; j < u->length; j++) {           \
                            dst[j] = src[j * step] * sign + (T)0;              \
                        }                                                      \
                    }                                                          \
                }                                                              \
                continue;                                                      \
            }                                                                  \
            if (uniform[b] >= 0) {                                             \
                /* one sign for the whole image (rotations, inversion): a */   \
                /* plain gather, then sign and zeros in one vector pass   */   \
                for (Py_ssize_t j = 0; j < n_cols; j++) {                      \
                    d[j] = row[c[j] & INDEX_MASK];                             \
                }                                                              \
                const T sign = uniform[b] ? (T)-1 : (T)1;                      \
                for (Py_ssize_t j = 0; j < n_cols; j++) {                      \
                    d[j] = d[j] * sign + (T)0; /* -0.0 becomes 0.0 */          \
                }                                                              \
                continue;                                                      \
            }                                                                  \
            for (Py_ssize_t j = 0; j < n_cols; j++) {                          \
                /* sign * x[perm] as a flip of the sign bit: the same bits */  \
                T v = row[c[j] & INDEX_MASK];                                  \
                UINT bits;                                                     \
                memcpy(&bits, &v, sizeof bits);                                \
                bits ^= (UINT)(c[j] >> 31) << SIGN_SHIFT;                      \
                memcpy(&v, &bits, sizeof v);                                   \
                d[j] = v + (T)0; /* -0.0 becomes 0.0 */                        \
            }                                                                  \
        }                                                                      \
        return n_flagged;                                                      \
    }

#define NO_TILES(row, u, last, d) 0
CANONICAL(double, canonical_f64, pairwise_abs_f64, greater_f64, uint64_t, 63,
          NO_TILES)
#ifdef HAVE_TILES
CANONICAL(float, canonical_f32, pairwise_abs_f32, greater_f32, uint32_t, 31,
          tile_runs_f32)
#else
CANONICAL(float, canonical_f32, pairwise_abs_f32, greater_f32, uint32_t, 31,
          NO_TILES)
#endif

static PyObject *
canonical(PyObject *self, PyObject *args)
{
    Py_buffer x, scores, codes, out, best;
    Py_ssize_t n_rows, n_cols, n_elements, itemsize;
    double slack;
    if (!PyArg_ParseTuple(args, "y*y*y*w*w*nnnnd", &x, &scores, &codes, &out,
                          &best, &n_rows, &n_cols, &n_elements, &itemsize,
                          &slack)) {
        return NULL;
    }
    const char *problem = NULL;
    if (itemsize != 4 && itemsize != 8) {
        problem = "itemsize must be 4 (float32) or 8 (float64)";
    }
    else if (n_rows < 0 || n_cols < 1 || n_elements < 1 ||
             n_cols > (Py_ssize_t)INDEX_MASK || n_elements > INT32_MAX) {
        problem = "shapes out of range";
    }
    else if (n_rows > 0 && (n_cols > PY_SSIZE_T_MAX / 8 / n_rows ||
                            n_elements > PY_SSIZE_T_MAX / 8 / n_rows ||
                            n_cols > PY_SSIZE_T_MAX / 4 / n_elements)) {
        problem = "the shapes are too large";
    }
    else if (x.len != n_rows * n_cols * itemsize || out.len != x.len ||
             scores.len != n_rows * n_elements * itemsize ||
             codes.len != n_elements * n_cols * (Py_ssize_t)sizeof(uint32_t) ||
             best.len != n_rows * (Py_ssize_t)sizeof(int32_t)) {
        problem = "buffer sizes do not match the shapes";
    }
    for (Py_ssize_t i = 0; problem == NULL && i < n_elements * n_cols; i++) {
        if ((((const uint32_t *)codes.buf)[i] & INDEX_MASK) >= (uint32_t)n_cols) {
            problem = "index out of range";
        }
    }
    Py_ssize_t n_flagged = 0;
    /* uniform[g]: 0 if every sign of element g is +1, 1 if every one is -1,
     * -1 if they differ. Multiplying by +-1 is the same bits as flipping the
     * sign bit, and vectorises. */
    int8_t *uniform = problem == NULL ? PyMem_RawMalloc(n_elements) : NULL;
    for (Py_ssize_t g = 0; uniform != NULL && g < n_elements; g++) {
        const uint32_t *c = (const uint32_t *)codes.buf + g * n_cols;
        uniform[g] = (int8_t)(c[0] >> 31);
        for (Py_ssize_t j = 1; j < n_cols; j++) {
            if ((c[j] >> 31) != (c[0] >> 31)) {
                uniform[g] = -1;
            }
        }
    }
    run *runs = uniform != NULL ? PyMem_RawMalloc(n_elements * n_cols * sizeof(run))
                                : NULL;
    Py_ssize_t *run_start =
        runs != NULL ? PyMem_RawMalloc((n_elements + 1) * sizeof(Py_ssize_t)) : NULL;
    if (run_start != NULL) {
        Py_BEGIN_ALLOW_THREADS
        find_runs(codes.buf, n_cols, n_elements, runs, run_start);
        if (itemsize == 8) {
            n_flagged = canonical_f64(x.buf, scores.buf, codes.buf, uniform, runs,
                                      run_start, out.buf, best.buf, n_rows,
                                      n_cols, n_elements, slack);
        }
        else {
            n_flagged = canonical_f32(x.buf, scores.buf, codes.buf, uniform, runs,
                                      run_start, out.buf, best.buf, n_rows,
                                      n_cols, n_elements, (float)slack);
        }
        Py_END_ALLOW_THREADS
    }
    const int no_memory = problem == NULL && run_start == NULL;
    PyMem_RawFree(uniform);
    PyMem_RawFree(runs);
    PyMem_RawFree(run_start);
    PyBuffer_Release(&x);
    PyBuffer_Release(&scores);
    PyBuffer_Release(&codes);
    PyBuffer_Release(&out);
    PyBuffer_Release(&best);
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        return NULL;
    }
    if (no_memory) {
        return PyErr_NoMemory();
    }
    return PyLong_FromSsize_t(n_flagged);
}

/* ---- orbit averages ------------------------------------------------------ */

/* One group of orbits of the same size: `size` terms for each of `count`
 * orbits, stored term-major (term t of orbit o at t * stride + o, the
 * stride being count rounded up to a multiple of MAX_LANES). */
typedef struct {
    Py_ssize_t size, count, stride, n_comparators;
    const uint32_t *left, *right; /* size * count; left's top bit: sign */
    const uint32_t *columns;      /* count output columns */
    const uint32_t *comparators;  /* n_comparators pairs (i, j), i < j */
    int any_negative;
} orbit_group;

#define MAX_LANES 8

/* Sorting small groups of terms is most of the work. Orbits of 2, 4 or 8
 * terms (the common sizes: dihedral groups have 8 elements) are sorted in
 * registers, MAX_LANES or fewer orbits at a time, by fixed networks of
 * compare-exchanges: lo = min(a, b), hi = max(b, a). The SSE/AVX min and max
 * return their second operand unless the first is strictly smaller
 * (larger), so a compare-exchange swaps the two values or keeps them, and
 * the multiset of terms (signed zeros included) is what numpy sorts. Then the
 * terms are added in sorted order and divided by the size, as numpy does;
 * every step is one correctly rounded IEEE operation, so the bits agree. */
#define CE(a, b)                                                               \
    do {                                                                       \
        const VEC lo_ = MIN(a, b);                                             \
        b = MAX(b, a);                                                         \
        a = lo_;                                                               \
    } while (0)

#define SORT_SUMS(T, SUFFIX, TARGET, VEC, LANES, LOAD, STORE, MIN, MAX, ADD,    \
                  DIV, SET1, ZERO)                                             \
    TARGET static void sort_sum2_##SUFFIX(T *buf, Py_ssize_t stride, T *sums)  \
    {                                                                          \
        const VEC size = SET1(2), zero = ZERO();                               \
        for (Py_ssize_t o = 0; o < stride; o += LANES) {                       \
            VEC v0 = LOAD(buf + o), v1 = LOAD(buf + stride + o);               \
            CE(v0, v1);                                                        \
            STORE(sums + o, ADD(DIV(ADD(v0, v1), size), zero));                \
        }                                                                      \
    }                                                                          \
    TARGET static void sort_sum4_##SUFFIX(T *buf, Py_ssize_t stride, T *sums)  \
    {                                                                          \
        const VEC size = SET1(4), zero = ZERO();                               \
        for (Py_ssize_t o = 0; o < stride; o += LANES) {                       \
            VEC v0 = LOAD(buf + o), v1 = LOAD(buf + stride + o);               \
            VEC v2 = LOAD(buf + 2 * stride + o);                               \
            VEC v3 = LOAD(buf + 3 * stride + o);                               \
            CE(v0, v1); CE(v2, v3); CE(v0, v2); CE(v1, v3); CE(v1, v2);        \
            VEC total = ADD(ADD(ADD(v0, v1), v2), v3);                         \
            STORE(sums + o, ADD(DIV(total, size), zero));                      \
        }                                                                      \
    }                                                                          \
    TARGET static void sort_sum8_##SUFFIX(T *buf, Py_ssize_t stride, T *sums)  \
    {                                                                          \
        const VEC size = SET1(8), zero = ZERO();                               \
        for (Py_ssize_t o = 0; o < stride; o += LANES) {                       \
            VEC v0 = LOAD(buf + o), v1 = LOAD(buf + stride + o);               \
            VEC v2 = LOAD(buf + 2 * stride + o);                               \
            VEC v3 = LOAD(buf + 3 * stride + o);                               \
            VEC v4 = LOAD(buf + 4 * stride + o);                               \
            VEC v5 = LOAD(buf + 5 * stride + o);                               \
            VEC v6 = LOAD(buf + 6 * stride + o);                               \
            VEC v7 = LOAD(buf + 7 * stride + o);                               \
            /* Batcher's odd-even merge sort of 8: 19 compare-exchanges */     \
            CE(v0, v1); CE(v2, v3); CE(v4, v5); CE(v6, v7);                    \
            CE(v0, v2); CE(v1, v3); CE(v4, v6); CE(v5, v7);                    \
            CE(v1, v2); CE(v5, v6);                                            \
            CE(v0, v4); CE(v1, v5); CE(v2, v6); CE(v3, v7);                    \
            CE(v2, v4); CE(v3, v5);                                            \
            CE(v1, v2); CE(v3, v4); CE(v5, v6);                                \
            VEC total = ADD(ADD(ADD(v0, v1), v2), v3);                         \
            total = ADD(ADD(ADD(ADD(total, v4), v5), v6), v7);                 \
            STORE(sums + o, ADD(DIV(total, size), zero));                      \
        }                                                                      \
    }

typedef void (*sort_sum_f64)(double *, Py_ssize_t, double *);
typedef void (*sort_sum_f32)(float *, Py_ssize_t, float *);

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#define HAVE_SSE2 1
#define VEC __m128d
#define MIN _mm_min_pd
#define MAX _mm_max_pd
SORT_SUMS(double, f64_sse2, , __m128d, 2, _mm_loadu_pd, _mm_storeu_pd, _mm_min_pd,
          _mm_max_pd, _mm_add_pd, _mm_div_pd, _mm_set1_pd, _mm_setzero_pd)
#undef VEC
#undef MIN
#undef MAX
#define VEC __m128
#define MIN _mm_min_ps
#define MAX _mm_max_ps
SORT_SUMS(float, f32_sse2, , __m128, 4, _mm_loadu_ps, _mm_storeu_ps, _mm_min_ps,
          _mm_max_ps, _mm_add_ps, _mm_div_ps, _mm_set1_ps, _mm_setzero_ps)
#undef VEC
#undef MIN
#undef MAX
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_DISPATCH 1 /* AVX2 vectors, chosen at run time */
#define AVX2 __attribute__((target("avx2")))
#endif

/* Whether this CPU runs AVX2; set once when the module is imported. */
static int cpu_avx2 = 0;

/* The product table of a row: x[i] * x[i + d] for every step d, one after
 * the other. Contiguous multiplies, which the compiler vectorises. */
#define PRODUCTS(T, NAME, TARGET)                                              \
    TARGET static void NAME(const T *row, const int64_t *steps,                \
                            Py_ssize_t n_steps, Py_ssize_t n_cols,             \
                            T *restrict table)                                 \
    {                                                                          \
        for (Py_ssize_t s = 0; s < n_steps; s++) {                             \
            const Py_ssize_t d = steps[s];                                     \
            for (Py_ssize_t i = 0; i < n_cols - d; i++) {                      \
                table[i] = row[i] * row[i + d];                                \
            }                                                                  \
            table += n_cols - d;                                               \
        }                                                                      \
    }

typedef void (*products_f64_fn)(const double *, const int64_t *, Py_ssize_t,
                                Py_ssize_t, double *);
typedef void (*products_f32_fn)(const float *, const int64_t *, Py_ssize_t,
                                Py_ssize_t, float *);
PRODUCTS(double, products_f64, )
PRODUCTS(float, products_f32, )

/* Any other size: the group's comparators (a sorting network for its size)
 * over the buffer, then the same sum and division. Plain C with the same
 * compare-exchange, which the compiler vectorises across orbits. */
#define GENERIC_SORT_SUM(T, NAME)                                              \
    static void NAME(T *buf, const orbit_group *grp, T *sums)                  \
    {                                                                          \
        const Py_ssize_t m = grp->stride;                                      \
        for (Py_ssize_t c = 0; c < grp->n_comparators; c++) {                  \
            T *restrict a = buf + grp->comparators[2 * c] * m;                 \
            T *restrict b = buf + grp->comparators[2 * c + 1] * m;             \
            for (Py_ssize_t o = 0; o < m; o++) {                               \
                const T lo = a[o] < b[o] ? a[o] : b[o];                        \
                const T hi = b[o] > a[o] ? b[o] : a[o];                        \
                a[o] = lo;                                                     \
                b[o] = hi;                                                     \
            }                                                                  \
        }                                                                      \
        for (Py_ssize_t o = 0; o < m; o++) {                                   \
            sums[o] = buf[o];                                                  \
        }                                                                      \
        for (Py_ssize_t t = 1; t < grp->size; t++) {                           \
            const T *restrict term = buf + t * m;                              \
            for (Py_ssize_t o = 0; o < m; o++) {                               \
                sums[o] += term[o];                                            \
            }                                                                  \
        }                                                                      \
        const T size = (T)grp->size;                                           \
        for (Py_ssize_t o = 0; o < m; o++) {                                   \
            sums[o] = sums[o] / size + (T)0; /* no -0.0 */                     \
        }                                                                      \
    }

GENERIC_SORT_SUM(double, generic_sort_sum_f64)
GENERIC_SORT_SUM(float, generic_sort_sum_f32)

/* All rows: gather the signed products of each group into the buffer, sort
 * and sum them (fns[size] when there is one), scatter the sums to their
 * columns. Returns whether every output is finite (not all exponent bits
 * set). */
#define AVERAGES(T, NAME, UINT, SIGN_SHIFT, EXPONENT, GENERIC, FN, PRODUCTS_FN) \
    static int NAME(const T *x, T *out, T *buf, T *sums, T *table,             \
                    const int64_t *steps, Py_ssize_t n_steps,                  \
                    Py_ssize_t n_rows, Py_ssize_t n_cols, Py_ssize_t n_out,    \
                    const orbit_group *groups, Py_ssize_t n_groups,            \
                    const FN *fns, PRODUCTS_FN products)                       \
    {                                                                          \
        int bad = 0;                                                           \
        const Py_ssize_t right_step = table == NULL;                           \
        for (Py_ssize_t r = 0; r < n_rows; r++) {                              \
            const T *row = x + r * n_cols;                                     \
            T *dst = out + r * n_out;                                          \
            if (table != NULL) {                                               \
                products(row, steps, n_steps, n_cols, table);                  \
            }                                                                  \
            for (Py_ssize_t k = 0; k < n_groups; k++) {                        \
                const orbit_group *grp = groups + k;                           \
                const Py_ssize_t m = grp->count, stride = grp->stride;         \
                const uint32_t *left = grp->left, *right = grp->right;         \
                for (Py_ssize_t t = 0; t < grp->size; t++) {                   \
                    T *restrict dt = buf + t * stride;                         \
                    if (table != NULL && !grp->any_negative) {                 \
                        for (Py_ssize_t o = 0; o < m; o++) {                   \
                            dt[o] = table[left[o]];                            \
                        }                                                      \
                    }                                                          \
                    else {                                                     \
                        for (Py_ssize_t o = 0; o < m; o++) {                   \
                            const uint32_t l = left[o];                        \
                            T v = table != NULL                                \
                                      ? table[l & INDEX_MASK]                  \
                                      : row[l & INDEX_MASK] * row[right[o]];   \
                            UINT bits;                                         \
                            memcpy(&bits, &v, sizeof bits);                    \
                            bits ^= (UINT)(l >> 31) << SIGN_SHIFT;             \
                            memcpy(dt + o, &bits, sizeof bits);                \
                        }                                                      \
                    }                                                          \
                    left += m;                                                 \
                    right += right_step * m;                                   \
                }                                                              \
                if (grp->size <= 8 && fns[grp->size] != NULL) {                \
                    fns[grp->size](buf, stride, sums);                         \
                }                                                              \
                else {                                                         \
                    GENERIC(buf, grp, sums);                                   \
                }                                                              \
                for (Py_ssize_t o = 0; o < m; o++) {                           \
                    UINT bits;                                                 \
                    memcpy(&bits, sums + o, sizeof bits);                      \
                    bad |= (bits & EXPONENT) == EXPONENT;                      \
                    dst[grp->columns[o]] = sums[o];                            \
                }                                                              \
            }                                                                  \
        }                                                                      \
        return !bad;                                                           \
    }

AVERAGES(double, averages_f64, uint64_t, 63, 0x7ff0000000000000u,
         generic_sort_sum_f64, sort_sum_f64, products_f64_fn)
AVERAGES(float, averages_f32, uint32_t, 31, 0x7f800000u, generic_sort_sum_f32,
         sort_sum_f32, products_f32_fn)

/* ---- the same averages with rows as vector lanes (AVX2) ------------------
 * A block of LANES rows is transposed, feature-major, so that feature i of
 * every row of the block is one vector; each term x[l] * x[r] is then two
 * vector loads and a multiply, with no gather at all, whatever the pairs.
 * Each orbit's terms are sorted and summed in registers, lane by lane the
 * same IEEE operations as above, hence the same bits. */
#ifdef HAVE_AVX2_DISPATCH
/* Transposes of whole tiles: 8 x 8 float32 or 4 x 4 float64 values, row i
 * of the tile at src + i * src_stride, written as column i at dst (row j at
 * dst + j * dst_stride), by vector shuffles. */
AVX2 static void
tile_f32_avx2(const float *src, Py_ssize_t src_stride, float *dst,
              Py_ssize_t dst_stride)
{
    __m256 r[8], t[8];
    for (int i = 0; i < 8; i++) {
        r[i] = _mm256_loadu_ps(src + i * src_stride);
    }
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
        _mm256_storeu_ps(dst + i * dst_stride,
                         _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
        _mm256_storeu_ps(dst + (i + 4) * dst_stride,
                         _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
    }
}

AVX2 static void
tile_f64_avx2(const double *src, Py_ssize_t src_stride, double *dst,
              Py_ssize_t dst_stride)
{
    const __m256d r0 = _mm256_loadu_pd(src);
    const __m256d r1 = _mm256_loadu_pd(src + src_stride);
    const __m256d r2 = _mm256_loadu_pd(src + 2 * src_stride);
    const __m256d r3 = _mm256_loadu_pd(src + 3 * src_stride);
    const __m256d t0 = _mm256_unpacklo_pd(r0, r1);
    const __m256d t1 = _mm256_unpackhi_pd(r0, r1);
    const __m256d t2 = _mm256_unpacklo_pd(r2, r3);
    const __m256d t3 = _mm256_unpackhi_pd(r2, r3);
    _mm256_storeu_pd(dst, _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm256_storeu_pd(dst + dst_stride, _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm256_storeu_pd(dst + 2 * dst_stride, _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm256_storeu_pd(dst + 3 * dst_stride, _mm256_permute2f128_pd(t1, t3, 0x31));
}

/* A block of `lanes` rows of n values (row stride `stride`) to and from the
 * feature-major layout: value f of row i at f * LANES + i. Whole blocks go
 * by tiles, the rest value by value. */
#define BLOCK_TRANSPOSES(T, SUFFIX, LANES, TILE)                               \
    AVX2 static void to_lanes_##SUFFIX(const T *x, Py_ssize_t stride,          \
                                       Py_ssize_t n, Py_ssize_t lanes, T *xt)  \
    {                                                                          \
        Py_ssize_t f = 0;                                                      \
        for (; lanes == LANES && f + LANES <= n; f += LANES) {                 \
            TILE(x + f, stride, xt + f * LANES, LANES);                        \
        }                                                                      \
        for (; f < n; f++) {                                                   \
            for (Py_ssize_t i = 0; i < LANES; i++) {                           \
                xt[f * LANES + i] = i < lanes ? x[i * stride + f] : 0;         \
            }                                                                  \
        }                                                                      \
    }                                                                          \
    AVX2 static void from_lanes_##SUFFIX(const T *xt, Py_ssize_t n,            \
                                         Py_ssize_t lanes, T *x,               \
                                         Py_ssize_t stride)                    \
    {                                                                          \
        Py_ssize_t f = 0;                                                      \
        for (; lanes == LANES && f + LANES <= n; f += LANES) {                 \
            TILE(xt + f * LANES, LANES, x + f, stride);                        \
        }                                                                      \
        for (; f < n; f++) {                                                   \
            for (Py_ssize_t i = 0; i < lanes; i++) {                           \
                x[i * stride + f] = xt[f * LANES + i];                         \
            }                                                                  \
        }                                                                      \
    }

BLOCK_TRANSPOSES(float, f32_avx2, 8, tile_f32_avx2)
BLOCK_TRANSPOSES(double, f64_avx2, 4, tile_f64_avx2)

/* One signed term x[left] * x[right] of every row of a block, by two
 * vector loads and a multiply; a set top bit of left flips the sign. */
AVX2 static inline __m256
term_f32_avx2(const float *xt, const uint32_t *left, const uint32_t *right,
              Py_ssize_t at, __m256 sign)
{
    const uint32_t l = left[at];
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(xt + (l & INDEX_MASK) * 8),
                                   _mm256_loadu_ps(xt + right[at] * 8));
    return (l >> 31) ? _mm256_xor_ps(v, sign) : v;
}

AVX2 static inline __m256d
term_f64_avx2(const double *xt, const uint32_t *left, const uint32_t *right,
              Py_ssize_t at, __m256d sign)
{
    const uint32_t l = left[at];
    const __m256d v = _mm256_mul_pd(_mm256_loadu_pd(xt + (l & INDEX_MASK) * 4),
                                    _mm256_loadu_pd(xt + right[at] * 4));
    return (l >> 31) ? _mm256_xor_pd(v, sign) : v;
}

#define ROWS_KERNEL(T, NAME, VEC, LANES, LOAD, STORE, MUL, XOR, MIN, MAX, ADD, \
                    DIV, SET1, ZERO, SIGNBIT, OR, NOT_FINITE, MOVEMASK,         \
                    TO_LANES, FROM_LANES, TERM)                                \
    AVX2 static int NAME(const T *x, T *out, T *xt, T *ot, T *spill,           \
                         Py_ssize_t n_rows, Py_ssize_t n_cols,                 \
                         Py_ssize_t n_out, const orbit_group *groups,          \
                         Py_ssize_t n_groups)                                  \
    {                                                                          \
        const VEC sign = SIGNBIT, zero = ZERO();                               \
        VEC bad_lanes = zero;                                                  \
        for (Py_ssize_t r0 = 0; r0 < n_rows; r0 += LANES) {                    \
            const Py_ssize_t nr = n_rows - r0 < LANES ? n_rows - r0 : LANES;   \
            TO_LANES(x + r0 * n_cols, n_cols, n_cols, nr, xt);                 \
            for (Py_ssize_t k = 0; k < n_groups; k++) {                        \
                const orbit_group *grp = groups + k;                           \
                const Py_ssize_t m = grp->count, size = grp->size;             \
                const VEC divisor = SET1((T)size);                             \
                for (Py_ssize_t o = 0; o < m; o++) {                           \
                    const uint32_t *left = grp->left + o;                      \
                    const uint32_t *right = grp->right + o;                    \
                    VEC total, v0 = zero, v1 = zero, v2 = zero, v3 = zero;     \
                    VEC v4 = zero, v5 = zero, v6 = zero, v7 = zero;            \
                    /* term t of this orbit: left[t * m], right[t * m] */      \
                    if (size == 8 || size == 4 || size == 2) {                 \
                        VEC *vs[8] = {&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7}; \
                        for (Py_ssize_t t = 0; t < size; t++) {                \
                            *vs[t] = TERM(xt, left, right, t * m, sign);       \
                        }                                                      \
                    }                                                          \
                    if (size == 8) {                                           \
                        CE(v0, v1); CE(v2, v3); CE(v4, v5); CE(v6, v7);        \
                        CE(v0, v2); CE(v1, v3); CE(v4, v6); CE(v5, v7);        \
                        CE(v1, v2); CE(v5, v6);                                \
                        CE(v0, v4); CE(v1, v5); CE(v2, v6); CE(v3, v7);        \
                        CE(v2, v4); CE(v3, v5);                                \
                        CE(v1, v2); CE(v3, v4); CE(v5, v6);                    \
                        total = ADD(ADD(ADD(v0, v1), v2), v3);                 \
                        total = ADD(ADD(ADD(ADD(total, v4), v5), v6), v7);     \
                    }                                                          \
                    else if (size == 4) {                                      \
                        CE(v0, v1); CE(v2, v3); CE(v0, v2); CE(v1, v3);        \
                        CE(v1, v2);                                            \
                        total = ADD(ADD(ADD(v0, v1), v2), v3);                 \
                    }                                                          \
                    else if (size == 2) {                                      \
                        CE(v0, v1);                                            \
                        total = ADD(v0, v1);                                   \
                    }                                                          \
                    else {                                                     \
                        for (Py_ssize_t t = 0; t < size; t++) {                \
                            STORE(spill + t * LANES,                           \
                                  TERM(xt, left, right, t * m, sign));         \
                        }                                                      \
                        for (Py_ssize_t c = 0; c < grp->n_comparators; c++) {  \
                            T *a = spill + grp->comparators[2 * c] * LANES;    \
                            T *b = spill + grp->comparators[2 * c + 1] * LANES;\
                            VEC va = LOAD(a), vb = LOAD(b);                    \
                            CE(va, vb);                                        \
                            STORE(a, va);                                      \
                            STORE(b, vb);                                      \
                        }                                                      \
                        total = LOAD(spill);                                   \
                        for (Py_ssize_t t = 1; t < size; t++) {                \
                            total = ADD(total, LOAD(spill + t * LANES));       \
                        }                                                      \
                    }                                                          \
                    total = ADD(DIV(total, divisor), zero);                    \
                    /* infinite or NaN: |total| not less than infinity */      \
                    bad_lanes = OR(bad_lanes, NOT_FINITE(total, sign));        \
                    STORE(ot + grp->columns[o] * LANES, total);                \
                }                                                              \
            }                                                                  \
            FROM_LANES(ot, n_out, nr, out + r0 * n_out, n_out);                \
        }                                                                      \
        return MOVEMASK(bad_lanes) == 0;                                       \
    }

#define VEC __m256d
#define MIN _mm256_min_pd
#define MAX _mm256_max_pd
#define NOT_FINITE(v, sign)                                                    \
    _mm256_cmp_pd(_mm256_andnot_pd(sign, v), _mm256_set1_pd(INFINITY), _CMP_NLT_UQ)
ROWS_KERNEL(double, rows_f64_avx2, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd,
            _mm256_mul_pd, _mm256_xor_pd, _mm256_min_pd, _mm256_max_pd,
            _mm256_add_pd, _mm256_div_pd, _mm256_set1_pd, _mm256_setzero_pd,
            _mm256_set1_pd(-0.0), _mm256_or_pd, NOT_FINITE, _mm256_movemask_pd,
            to_lanes_f64_avx2, from_lanes_f64_avx2, term_f64_avx2)
#undef NOT_FINITE
#undef VEC
#undef MIN
#undef MAX
#define VEC __m256
#define MIN _mm256_min_ps
#define MAX _mm256_max_ps
#define NOT_FINITE(v, sign)                                                    \
    _mm256_cmp_ps(_mm256_andnot_ps(sign, v), _mm256_set1_ps(INFINITY), _CMP_NLT_UQ)
ROWS_KERNEL(float, rows_f32_avx2, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps,
            _mm256_mul_ps, _mm256_xor_ps, _mm256_min_ps, _mm256_max_ps,
            _mm256_add_ps, _mm256_div_ps, _mm256_set1_ps, _mm256_setzero_ps,
            _mm256_set1_ps(-0.0f), _mm256_or_ps, NOT_FINITE, _mm256_movemask_ps,
            to_lanes_f32_avx2, from_lanes_f32_avx2, term_f32_avx2)
#undef NOT_FINITE
#undef VEC
#undef MIN
#undef MAX
#endif

static const char *
read_groups(const Py_buffer *plan, const Py_buffer *left, const Py_buffer *right,
            const Py_buffer *columns, const Py_buffer *comparators,
            Py_ssize_t n_cols, Py_ssize_t n_out, Py_ssize_t table_size,
            orbit_group *groups, Py_ssize_t n_groups, Py_ssize_t *max_terms)
{
    const int direct = table_size == 0;
    const int64_t *p = plan->buf;
    Py_ssize_t n_terms = 0, n_orbits = 0, n_comparators = 0;
    *max_terms = 0;
    for (Py_ssize_t k = 0; k < n_groups; k++) {
        const int64_t size = p[3 * k], count = p[3 * k + 1], n_cmp = p[3 * k + 2];
        if (size < 1 || count < 1 || n_cmp < 0 || size > n_cols * n_cols ||
            count > n_out || n_cmp > size * size || size > INT32_MAX / count) {
            return "plan out of range";
        }
        groups[k].size = size;
        groups[k].count = count;
        groups[k].n_comparators = n_cmp;
        groups[k].stride = (count + MAX_LANES - 1) / MAX_LANES * MAX_LANES;
        groups[k].left = (const uint32_t *)left->buf + n_terms;
        groups[k].right = (const uint32_t *)right->buf + (direct ? n_terms : 0);
        groups[k].columns = (const uint32_t *)columns->buf + n_orbits;
        groups[k].comparators = (const uint32_t *)comparators->buf + 2 * n_comparators;
        if (size * groups[k].stride > *max_terms) {
            *max_terms = size * groups[k].stride;
        }
        n_terms += size * count;
        n_orbits += count;
        n_comparators += n_cmp;
        if (n_terms * (Py_ssize_t)sizeof(uint32_t) > left->len ||
            n_orbits * (Py_ssize_t)sizeof(uint32_t) > columns->len ||
            2 * n_comparators * (Py_ssize_t)sizeof(uint32_t) > comparators->len) {
            return "buffer sizes do not match the plan";
        }
        for (Py_ssize_t c = 0; c < 2 * n_cmp; c++) {
            if (groups[k].comparators[c] >= (uint64_t)size) {
                return "comparator out of range";
            }
        }
    }
    if (n_terms * (Py_ssize_t)sizeof(uint32_t) != left->len ||
        right->len != (direct ? left->len : 0) ||
        n_orbits * (Py_ssize_t)sizeof(uint32_t) != columns->len ||
        2 * n_comparators * (Py_ssize_t)sizeof(uint32_t) != comparators->len) {
        return "buffer sizes do not match the plan";
    }
    const uint64_t n_left = direct ? n_cols : table_size;
    for (Py_ssize_t i = 0; i < n_terms; i++) {
        if ((((const uint32_t *)left->buf)[i] & INDEX_MASK) >= n_left ||
            (direct && ((const uint32_t *)right->buf)[i] >= (uint64_t)n_cols)) {
            return "index out of range";
        }
    }
    for (Py_ssize_t k = 0; k < n_groups; k++) {
        groups[k].any_negative = 0;
        for (Py_ssize_t i = 0; i < groups[k].size * groups[k].count; i++) {
            groups[k].any_negative |= groups[k].left[i] >> 31;
        }
    }
    for (Py_ssize_t o = 0; o < n_orbits; o++) {
        if (((const uint32_t *)columns->buf)[o] >= (uint64_t)n_out) {
            return "column out of range";
        }
    }
    return NULL;
}

static PyObject *
averages(PyObject *self, PyObject *args)
{
    Py_buffer x, out, plan, steps, left, right, columns, comparators;
    Py_ssize_t n_rows, n_cols, n_out, itemsize;
    int avx2 = 1;
    if (!PyArg_ParseTuple(args, "y*w*y*y*y*y*y*y*nnnn|p", &x, &out, &plan, &steps,
                          &left, &right, &columns, &comparators, &n_rows,
                          &n_cols, &n_out, &itemsize, &avx2)) {
        return NULL;
    }
    const char *problem = NULL;
    const Py_ssize_t n_groups = plan.len / (3 * (Py_ssize_t)sizeof(int64_t));
    orbit_group *groups = NULL;
    void *buf = NULL;
    int status = 0, finite = 1;
    Py_ssize_t max_terms = 0;
    if (itemsize != 4 && itemsize != 8) {
        problem = "itemsize must be 4 (float32) or 8 (float64)";
    }
    else if (n_rows < 0 || n_cols < 1 || n_out < 1 || n_cols > (Py_ssize_t)INDEX_MASK) {
        problem = "shapes out of range";
    }
    else if (n_rows > 0 && (n_cols > PY_SSIZE_T_MAX / 8 / n_rows ||
                            n_out > PY_SSIZE_T_MAX / 8 / n_rows)) {
        problem = "the shapes are too large";
    }
    else if (x.len != n_rows * n_cols * itemsize ||
             out.len != n_rows * n_out * itemsize ||
             plan.len != n_groups * 3 * (Py_ssize_t)sizeof(int64_t) ||
             steps.len % sizeof(int64_t) != 0) {
        problem = "buffer sizes do not match the shapes";
    }
    /* The product table: x[i] * x[i + d] for every step d, concatenated. */
    const int64_t *step_values = steps.buf;
    const Py_ssize_t n_steps = steps.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t table_size = 0;
    for (Py_ssize_t s = 0; problem == NULL && s < n_steps; s++) {
        if (step_values[s] < 0 || step_values[s] >= n_cols) {
            problem = "step out of range";
        }
        else if ((table_size += n_cols - step_values[s]) > (Py_ssize_t)INDEX_MASK) {
            problem = "the product table is too large";
        }
    }
    if (problem == NULL) {
        groups = PyMem_RawMalloc((n_groups + 1) * sizeof(orbit_group));
        status = groups == NULL ? -1 : 0;
    }
    if (groups != NULL) {
        problem = read_groups(&plan, &left, &right, &columns, &comparators, n_cols,
                              n_out, table_size, groups, n_groups, &max_terms);
    }
    if (groups != NULL && problem == NULL) {
        /* zeroed: the padding lanes are sorted and summed, never stored */
        buf = PyMem_RawCalloc(max_terms + n_out + MAX_LANES + table_size, itemsize);
        status = buf == NULL ? -1 : 0;
    }
    Py_ssize_t max_size = 0;
    for (Py_ssize_t k = 0; buf != NULL && k < n_groups; k++) {
        max_size = groups[k].size > max_size ? groups[k].size : max_size;
    }
#ifdef HAVE_AVX2_DISPATCH
    if (buf != NULL && n_steps == 0 && avx2 && cpu_avx2) {
        /* rows as lanes: the buffer holds a transposed block of 8 rows */
        /* a block of rows, its outputs and one orbit's terms, as lanes */
        void *block = PyMem_RawMalloc(8 * (n_cols + n_out + max_size) * itemsize);
        if (block == NULL) {
            status = -1;
        }
        else {
            Py_BEGIN_ALLOW_THREADS
            if (itemsize == 8) {
                double *xt = block, *ot = xt + 4 * n_cols;
                finite = rows_f64_avx2(x.buf, out.buf, xt, ot, ot + 4 * n_out,
                                       n_rows, n_cols, n_out, groups, n_groups);
            }
            else {
                float *xt = block, *ot = xt + 8 * n_cols;
                finite = rows_f32_avx2(x.buf, out.buf, xt, ot, ot + 8 * n_out,
                                       n_rows, n_cols, n_out, groups, n_groups);
            }
            Py_END_ALLOW_THREADS
            PyMem_RawFree(block);
        }
        PyMem_RawFree(buf);
        buf = NULL;
    }
#endif
    if (buf != NULL) {
        Py_BEGIN_ALLOW_THREADS
        /* fns[size]: the register sorts of sizes 2, 4 and 8 */
        if (itemsize == 8) {
            sort_sum_f64 fns[9] = {NULL};
#ifdef HAVE_SSE2
            fns[2] = sort_sum2_f64_sse2;
            fns[4] = sort_sum4_f64_sse2;
            fns[8] = sort_sum8_f64_sse2;
#endif
            double *sums = (double *)buf + max_terms;
            double *table = n_steps ? sums + n_out + MAX_LANES : NULL;
            products_f64_fn products = products_f64;
            finite = averages_f64(x.buf, out.buf, buf, sums, table, step_values,
                                  n_steps, n_rows, n_cols, n_out, groups, n_groups,
                                  fns, products);
        }
        else {
            sort_sum_f32 fns[9] = {NULL};
#ifdef HAVE_SSE2
            fns[2] = sort_sum2_f32_sse2;
            fns[4] = sort_sum4_f32_sse2;
            fns[8] = sort_sum8_f32_sse2;
#endif
            float *sums = (float *)buf + max_terms;
            float *table = n_steps ? sums + n_out + MAX_LANES : NULL;
            products_f32_fn products = products_f32;
            finite = averages_f32(x.buf, out.buf, buf, sums, table, step_values,
                                  n_steps, n_rows, n_cols, n_out, groups, n_groups,
                                  fns, products);
        }
        Py_END_ALLOW_THREADS
    }
    PyMem_RawFree(groups);
    PyMem_RawFree(buf);
    PyBuffer_Release(&x);
    PyBuffer_Release(&out);
    PyBuffer_Release(&plan);
    PyBuffer_Release(&steps);
    PyBuffer_Release(&left);
    PyBuffer_Release(&right);
    PyBuffer_Release(&columns);
    PyBuffer_Release(&comparators);
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
    {"canonical", canonical, METH_VARARGS,
     "canonical(x, scores, codes, out, best, n_rows, n_cols, n_elements,"
     " itemsize, slack) -> int\n\n"
     "For C-ordered float32 or float64 x and scores (n_rows x n_elements),\n"
     "uint32 codes (n_elements x n_cols: index, top bit set for a negative\n"
     "sign) and int32 best (n_rows): writes each row's best element into\n"
     "best and its signed gather into out, or -1 into best for a row with a\n"
     "near-tie, left to the caller. Returns the number of such rows."},
    {"averages", averages, METH_VARARGS,
     "averages(x, out, plan, steps, left, right, columns, comparators, n_rows,"
     " n_cols, n_out, itemsize, avx2=True) -> bool\n\n"
     "Group averages of signed products: plan is int64 (size, count,\n"
     "n_comparators) per group of orbits of one size; left, right (uint32,\n"
     "term-major per group; left's top bit: negative), columns (uint32) and\n"
     "comparators (uint32 pairs) are concatenated over the groups.\n"
     "Without steps (int64), term = x[left] * x[right]; with steps, right\n"
     "is empty and term = table[left], the table holding x[i] * x[i + d]\n"
     "for i < n_cols - d, for each step d in turn.\n"
     "Returns whether every output is finite. On a CPU with AVX2 and without\n"
     "steps, rows are the vector lanes; else orbits are, with SSE2 (always\n"
     "with avx2=False)."},
    {"has_avx2", has_avx2, METH_NOARGS,
     "has_avx2() -> bool: whether averages can use AVX2 here."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_group_kernels",
    "Compiled kernels of GroupInvariantTransformer.", -1, methods,
};

PyMODINIT_FUNC
PyInit__group_kernels(void)
{
#ifdef HAVE_AVX2_DISPATCH
    __builtin_cpu_init();
    cpu_avx2 = __builtin_cpu_supports("avx2") != 0;
#endif
    return PyModule_Create(&module);
}
