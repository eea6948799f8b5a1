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
 * the kernel releases the GIL and works on any block of rows. The loops are
 * written once, in _products_template.h, for float and double.
 */
#include "common.h"

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

/* The vector loop of a gather, for the SSE2 (VEC = V) and the AVX2 (W)
 * vectors of T alike: d[i] = row[i] * row[p[i]] from i on, a whole vector
 * at a time while one fits in n, the indices read two per 64-bit load; i is
 * left at the first product not formed, and acc ORs in the bits of each
 * v * 0 (the finite check). */
#define GATHER_VECTORS(VEC, row, p, d, i, n, acc, zero)                        \
    for (; (i) + VEC##_LANES <= (n); (i) += VEC##_LANES) {                     \
        uint64_t q[VEC##_LANES / 2];                                           \
        memcpy(q, (p) + (i), sizeof q);                                        \
        VEC v = VEC##_MUL(VEC##_LOADU((row) + (i)), VEC##_FROM_PAIRS(row, q)); \
        (acc) = VEC##_OR(acc, VEC##_MUL(v, zero));                             \
        VEC##_STOREU((d) + (i), v);                                            \
    }

#define SK_TEMPLATE "_products_template.h"
#include "each_dtype.h"

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
    *finite_out = itemsize == 8 ? rows_f64(x, partners, out, n_rows, n_cols, n_out,
                                           plans, any_gather, avx2)
                                : rows_f32(x, partners, out, n_rows, n_cols, n_out,
                                           plans, any_gather, avx2);
    PyMem_RawFree(plans);
    PyMem_RawFree(except_storage);
    return 0;
}

/* What is wrong with the shapes and buffers of products(), or NULL. */
static const char *
check_shapes(const Py_buffer *x, const Py_buffer *idx, const Py_buffer *out,
             Py_ssize_t n_rows, Py_ssize_t n_cols, Py_ssize_t n_out,
             Py_ssize_t itemsize)
{
    if (n_rows < 0 || n_cols < 1 || n_out < 1 || n_out % n_cols != 0) {
        return "n_out must be a positive multiple of n_cols";
    }
    if ((uint64_t)n_cols > UINT32_MAX) {
        return "n_cols must be below 2**32";
    }
    if (n_out > PY_SSIZE_T_MAX / 8 ||
        (n_rows > 0 && n_out > PY_SSIZE_T_MAX / itemsize / n_rows)) {
        return "the shapes are too large"; /* n_out >= n_cols bounds all sizes */
    }
    return CHECK_BUFFERS({x, n_rows * n_cols, itemsize}, {out, n_rows * n_out, itemsize},
                         {idx, n_out, sizeof(int64_t)});
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
    const char *problem = check_itemsize(itemsize);
    if (problem == NULL) {
        problem = check_shapes(&x, &idx, &out, n_rows, n_cols, n_out, itemsize);
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
    return RELEASED_RESULT(problem, status != 0, PyBool_FromLong(finite), &x, &idx,
                           &out);
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
    HAS_AVX2_METHOD("has_avx2() -> bool: whether products can use AVX2 gathers here."),
    {NULL, NULL, 0, NULL},
};

DEFINE_MODULE(_products,
              "Compiled kernel for the products of InversionInvariantTransformer.")
