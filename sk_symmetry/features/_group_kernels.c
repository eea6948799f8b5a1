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
 * block of rows. An index's top bit carries the sign of its term (set:
 * negative). The kernels are written once, in _group_kernels_template.h, for
 * float and double; what is specific to one type (the float32 tiles of the
 * canonical form, the AVX2 transposes) is here.
 */
#include "common.h"

#define INDEX_MASK 0x7fffffffu

/* A stretch of an image whose sources are evenly spaced, with one sign:
 * out[dst + j] = sign * x[src + j * step], j < length. The dihedral group's
 * images of a square image are rows of such runs, of step +-1 (mirrors, half
 * turns: vector copies) or +-width (quarter turns, transposes). */
typedef struct {
    int32_t dst, src, length, step;
    int8_t negative;
} run;

/* The runs of one element's n_cols codes c (checked), in order, written to
 * runs; returns their number. */
static Py_ssize_t
find_runs(const uint32_t *c, Py_ssize_t n_cols, run *runs)
{
    Py_ssize_t n = 0;
    for (Py_ssize_t j = 0; j < n_cols; n++) {
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
        j = end;
    }
    return n;
}

/* What canonical() needs of the group, made once per transform by
 * canonical_plan() rather than for every block of rows: the checked codes,
 * whether each element has one sign (uniform[g]: 0 if every sign is +1, 1 if
 * every one is -1, -1 if they differ; multiplying by +-1 is the same bits as
 * flipping the sign bit, and vectorises) and each element's runs. One
 * allocation, held by a capsule that Python code cannot forge. */
typedef struct {
    Py_ssize_t n_cols, n_elements;
    uint32_t *codes;
    int8_t *uniform;
    run *runs;
    Py_ssize_t *run_start;
} canonical_plan_t;

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
#define CE(VEC, MIN, MAX, a, b)                                                \
    do {                                                                       \
        const VEC lo_ = MIN(a, b);                                             \
        b = MAX(b, a);                                                         \
        a = lo_;                                                               \
    } while (0)
/* ... with the template type's SSE2 (V) or AVX2 (W) vectors */
#define CE_V(a, b) CE(V, V_MIN, V_MAX, a, b)
#define CE_W(a, b) CE(W, W_MIN, W_MAX, a, b)

/* Batcher's odd-even merge sorts of 4 and 8 values, by 5 and 19 of those
 * compare-exchanges, and the sums of the sorted values in order. */
#define SORT4(CE, v0, v1, v2, v3)                                              \
    do {                                                                       \
        CE(v0, v1); CE(v2, v3); CE(v0, v2); CE(v1, v3); CE(v1, v2);            \
    } while (0)
#define SORT8(CE, v0, v1, v2, v3, v4, v5, v6, v7)                              \
    do {                                                                       \
        CE(v0, v1); CE(v2, v3); CE(v4, v5); CE(v6, v7);                        \
        CE(v0, v2); CE(v1, v3); CE(v4, v6); CE(v5, v7);                        \
        CE(v1, v2); CE(v5, v6);                                                \
        CE(v0, v4); CE(v1, v5); CE(v2, v6); CE(v3, v7);                        \
        CE(v2, v4); CE(v3, v5);                                                \
        CE(v1, v2); CE(v3, v4); CE(v5, v6);                                    \
    } while (0)
#define SUM4(ADD, v0, v1, v2, v3) ADD(ADD(ADD(v0, v1), v2), v3)
#define SUM8(ADD, v0, v1, v2, v3, v4, v5, v6, v7)                              \
    ADD(ADD(ADD(ADD(SUM4(ADD, v0, v1, v2, v3), v4), v5), v6), v7)

/* total <- the sum in sorted order of the terms v0, v1, ... of an orbit of
 * 2, 4 or 8 terms (size), for the SSE2 (CE_V, V_ADD) and AVX2 (CE_W, W_ADD)
 * paths alike; a size the compiler knows leaves one branch. */
#define SORTED_SUM(CE, ADD, size, total, v0, v1, v2, v3, v4, v5, v6, v7)       \
    do {                                                                       \
        if ((size) == 8) {                                                     \
            SORT8(CE, v0, v1, v2, v3, v4, v5, v6, v7);                         \
            total = SUM8(ADD, v0, v1, v2, v3, v4, v5, v6, v7);                 \
        }                                                                      \
        else if ((size) == 4) {                                                \
            SORT4(CE, v0, v1, v2, v3);                                         \
            total = SUM4(ADD, v0, v1, v2, v3);                                 \
        }                                                                      \
        else {                                                                 \
            CE(v0, v1);                                                        \
            total = ADD(v0, v1);                                               \
        }                                                                      \
    } while (0)


/* ---- the same averages with rows as vector lanes (AVX2) ------------------
 * A block of W_LANES rows is transposed, feature-major, so that feature i of
 * every row of the block is one vector; each term x[l] * x[r] is then two
 * vector loads and a multiply, with no gather at all, whatever the pairs.
 * Each orbit's terms are sorted and summed in registers, lane by lane the
 * same IEEE operations as above, hence the same bits. */
#ifdef HAVE_AVX2_DISPATCH
/* Transposes of whole tiles: 8 x 8 float32 or 4 x 4 float64 values, row i
 * of the tile at src + i * src_stride, written as column i at dst (row j at
 * dst + j * dst_stride), by vector shuffles. */
AVX2 static void
tile_avx2_f32(const float *src, Py_ssize_t src_stride, float *dst,
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
tile_avx2_f64(const double *src, Py_ssize_t src_stride, double *dst,
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
#endif

#define SK_TEMPLATE "_group_kernels_template.h"
#include "each_dtype.h"

#define PLAN_NAME "sk_symmetry.features._group_kernels.canonical_plan"

static void
free_plan(PyObject *capsule)
{
    PyMem_RawFree(PyCapsule_GetPointer(capsule, PLAN_NAME));
}

static PyObject *
canonical_plan(PyObject *self, PyObject *args)
{
    Py_buffer codes;
    Py_ssize_t n_cols, n_elements;
    if (!PyArg_ParseTuple(args, "y*nn", &codes, &n_cols, &n_elements)) {
        return NULL;
    }
    const char *problem = NULL;
    if (n_cols < 1 || n_elements < 1 || n_cols > (Py_ssize_t)INDEX_MASK ||
        n_elements > INT32_MAX ||
        n_cols > PY_SSIZE_T_MAX / 2 / (Py_ssize_t)sizeof(run) / n_elements) {
        problem = "shapes out of range";
    }
    else {
        problem = CHECK_BUFFERS({&codes, n_elements * n_cols, sizeof(uint32_t)});
    }
    if (problem == NULL &&
        !indices_below(codes.buf, n_elements * n_cols, INDEX_MASK, n_cols)) {
        problem = "index out of range";
    }
    const Py_ssize_t n_codes = n_elements * n_cols;
    canonical_plan_t *plan =
        problem != NULL ? NULL
                        : PyMem_RawMalloc(sizeof(canonical_plan_t) +
                                          n_codes * (sizeof(uint32_t) + sizeof(run)) +
                                          (n_elements + 1) * sizeof(Py_ssize_t) +
                                          n_elements);
    if (plan != NULL) {
        plan->n_cols = n_cols;
        plan->n_elements = n_elements;
        /* the parts in order of decreasing alignment */
        plan->run_start = (Py_ssize_t *)(plan + 1);
        plan->runs = (run *)(plan->run_start + n_elements + 1);
        plan->codes = (uint32_t *)(plan->runs + n_codes);
        plan->uniform = (int8_t *)(plan->codes + n_codes);
        memcpy(plan->codes, codes.buf, n_codes * sizeof(uint32_t));
        Py_ssize_t n_runs = 0;
        for (Py_ssize_t g = 0; g < n_elements; g++) {
            const uint32_t *c = plan->codes + g * n_cols;
            plan->uniform[g] = (int8_t)(c[0] >> 31);
            for (Py_ssize_t j = 1; j < n_cols; j++) {
                if ((c[j] >> 31) != (c[0] >> 31)) {
                    plan->uniform[g] = -1;
                }
            }
            plan->run_start[g] = n_runs;
            n_runs += find_runs(c, n_cols, plan->runs + n_runs);
        }
        plan->run_start[n_elements] = n_runs;
    }
    RELEASE_BUFFERS(&codes);
    if (failed(problem, plan == NULL)) {
        return NULL;
    }
    PyObject *capsule = PyCapsule_New(plan, PLAN_NAME, free_plan);
    if (capsule == NULL) {
        PyMem_RawFree(plan);
    }
    return capsule;
}

static PyObject *
canonical(PyObject *self, PyObject *args)
{
    Py_buffer x, scores, out, best, peak;
    PyObject *capsule;
    Py_ssize_t n_rows, itemsize;
    double slack, limit;
    int avx2 = 1;
    if (!PyArg_ParseTuple(args, "y*y*Ow*w*w*nndd|p", &x, &scores, &capsule, &out,
                          &best, &peak, &n_rows, &itemsize, &slack, &limit,
                          &avx2)) {
        return NULL;
    }
    const canonical_plan_t *plan = PyCapsule_IsValid(capsule, PLAN_NAME)
                                       ? PyCapsule_GetPointer(capsule, PLAN_NAME)
                                       : NULL;
    const Py_ssize_t n_cols = plan != NULL ? plan->n_cols : 1;
    const Py_ssize_t n_elements = plan != NULL ? plan->n_elements : 1;
    const char *problem = check_itemsize(itemsize);
    if (plan == NULL) {
        problem = "plan must be made by canonical_plan";
    }
    else if (problem != NULL) {
        /* reported below, once the buffers are released */
    }
    else if (n_rows < 0) {
        problem = "shapes out of range";
    }
    else if (too_large(n_rows, n_cols) || too_large(n_rows, n_elements)) {
        problem = "the shapes are too large";
    }
    else {
        problem = CHECK_BUFFERS({&x, n_rows * n_cols, itemsize},
                                {&out, n_rows * n_cols, itemsize},
                                {&scores, n_rows * n_elements, itemsize},
                                {&best, n_rows, sizeof(int32_t)}, {&peak, 1, itemsize});
    }
    Py_ssize_t n_flagged = 0;
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        n_flagged = itemsize == 8
                        ? canonical_rows_f64(x.buf, scores.buf, plan, out.buf, best.buf,
                                             peak.buf, n_rows, slack, limit, avx2)
                        : canonical_rows_f32(x.buf, scores.buf, plan, out.buf, best.buf,
                                             peak.buf, n_rows, (float)slack,
                                             (float)limit, avx2);
        Py_END_ALLOW_THREADS
    }
    return RELEASED_RESULT(problem, 0, PyLong_FromSsize_t(n_flagged), &x, &scores,
                           &out, &best, &peak);
}

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
        if (!indices_below(groups[k].comparators, 2 * n_cmp, UINT32_MAX, size)) {
            return "comparator out of range";
        }
    }
    if (n_terms * (Py_ssize_t)sizeof(uint32_t) != left->len ||
        right->len != (direct ? left->len : 0) ||
        n_orbits * (Py_ssize_t)sizeof(uint32_t) != columns->len ||
        2 * n_comparators * (Py_ssize_t)sizeof(uint32_t) != comparators->len) {
        return "buffer sizes do not match the plan";
    }
    if (!indices_below(left->buf, n_terms, INDEX_MASK, direct ? n_cols : table_size) ||
        (direct && !indices_below(right->buf, n_terms, UINT32_MAX, n_cols))) {
        return "index out of range";
    }
    for (Py_ssize_t k = 0; k < n_groups; k++) {
        groups[k].any_negative = 0;
        for (Py_ssize_t i = 0; i < groups[k].size * groups[k].count; i++) {
            groups[k].any_negative |= groups[k].left[i] >> 31;
        }
    }
    return indices_below(columns->buf, n_orbits, UINT32_MAX, n_out)
               ? NULL
               : "column out of range";
}

/* What is wrong with the shapes and buffers of averages() (but for the plan
 * and the orbits: read_groups), or NULL; *table_size gets the size of the
 * product table, x[i] * x[i + d] for every step d, concatenated. */
static const char *
check_averages(const Py_buffer *x, const Py_buffer *out, const Py_buffer *plan,
               const Py_buffer *steps, Py_ssize_t n_rows, Py_ssize_t n_cols,
               Py_ssize_t n_out, Py_ssize_t itemsize, Py_ssize_t *table_size)
{
    const char *problem = check_itemsize(itemsize);
    if (problem != NULL) {
        return problem;
    }
    if (n_rows < 0 || n_cols < 1 || n_out < 1 || n_cols > (Py_ssize_t)INDEX_MASK) {
        return "shapes out of range";
    }
    if (too_large(n_rows, n_cols) || too_large(n_rows, n_out)) {
        return "the shapes are too large";
    }
    problem = CHECK_BUFFERS({x, n_rows * n_cols, itemsize}, {out, n_rows * n_out, itemsize},
                            {plan, ANY_COUNT, 3 * sizeof(int64_t)},
                            {steps, ANY_COUNT, sizeof(int64_t)});
    const int64_t *step_values = steps->buf;
    const Py_ssize_t n_steps = steps->len / (Py_ssize_t)sizeof(int64_t);
    for (Py_ssize_t s = 0; problem == NULL && s < n_steps; s++) {
        if (step_values[s] < 0 || step_values[s] >= n_cols) {
            problem = "step out of range";
        }
        else if ((*table_size += n_cols - step_values[s]) > (Py_ssize_t)INDEX_MASK) {
            problem = "the product table is too large";
        }
    }
    return problem;
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
    const Py_ssize_t n_groups = plan.len / (3 * (Py_ssize_t)sizeof(int64_t));
    const int64_t *step_values = steps.buf;
    const Py_ssize_t n_steps = steps.len / (Py_ssize_t)sizeof(int64_t);
    orbit_group *groups = NULL;
    void *buf = NULL;
    int status = 0, finite = 1;
    Py_ssize_t max_terms = 0, table_size = 0;
    const char *problem = check_averages(&x, &out, &plan, &steps, n_rows, n_cols,
                                         n_out, itemsize, &table_size);
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
        /* rows as lanes: a block of up to 8 rows, its outputs and one
         * orbit's terms, transposed */
        void *block = PyMem_RawMalloc(8 * (n_cols + n_out + max_size) * itemsize);
        if (block == NULL) {
            status = -1;
        }
        else {
            Py_BEGIN_ALLOW_THREADS
            finite = itemsize == 8 ? lane_averages_f64(x.buf, out.buf, block, n_rows,
                                                       n_cols, n_out, groups, n_groups)
                                   : lane_averages_f32(x.buf, out.buf, block, n_rows,
                                                       n_cols, n_out, groups, n_groups);
            Py_END_ALLOW_THREADS
            PyMem_RawFree(block);
        }
        PyMem_RawFree(buf);
        buf = NULL;
    }
#endif
    if (buf != NULL) {
        Py_BEGIN_ALLOW_THREADS
        finite = itemsize == 8
                     ? orbit_averages_f64(x.buf, out.buf, buf, max_terms, step_values,
                                          n_steps, n_rows, n_cols, n_out, groups,
                                          n_groups)
                     : orbit_averages_f32(x.buf, out.buf, buf, max_terms, step_values,
                                          n_steps, n_rows, n_cols, n_out, groups,
                                          n_groups);
        Py_END_ALLOW_THREADS
    }
    PyMem_RawFree(groups);
    PyMem_RawFree(buf);
    return RELEASED_RESULT(problem, status != 0, PyBool_FromLong(finite), &x, &out,
                           &plan, &steps, &left, &right, &columns, &comparators);
}

static PyMethodDef methods[] = {
    {"canonical_plan", canonical_plan, METH_VARARGS,
     "canonical_plan(codes, n_cols, n_elements) -> plan\n\n"
     "What canonical() needs of the group, from uint32 codes (n_elements x\n"
     "n_cols: index, top bit set for a negative sign), checked: made once\n"
     "and used for every block of rows."},
    {"canonical", canonical, METH_VARARGS,
     "canonical(x, scores, plan, out, best, peak, n_rows, itemsize, slack,"
     " limit, avx2=True) -> int\n\n"
     "For C-ordered float32 or float64 x (n_rows x n_cols) and scores\n"
     "(n_rows x n_elements), a plan from canonical_plan and int32 best\n"
     "(n_rows): writes each row's best element into best and its signed\n"
     "gather into out, or -1 into best for a row whose scores or margin are\n"
     "not finite, left to the caller; writes into peak (one value of x's\n"
     "type) max |x| over the rows whose sum |x| exceeds limit, else 0: max\n"
     "|x| itself whenever that exceeds limit. Returns the number of rows\n"
     "left to the caller. The sums |x| use AVX2 where the CPU has it, unless\n"
     "avx2=False (the same bits either way)."},
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
    HAS_AVX2_METHOD("has_avx2() -> bool: whether averages and canonical can use"
                    " AVX2 here."),
    {NULL, NULL, 0, NULL},
};

DEFINE_MODULE(_group_kernels, "Compiled kernels of GroupInvariantTransformer.")
