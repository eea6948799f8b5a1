/*
 * gather_multiply: out[r, j] = x[r, j mod m] * x[r, partners[j]] in one pass.
 *
 * numpy's np.take(X, P, axis=1) costs about three times a plain elementwise
 * multiply, so the permutation features of InversionInvariantTransformer were
 * far slower than the other kinds. Here each row of x (a few KB) stays in L1
 * while it is gathered, so the pass runs at memory speed. Pure numpy remains
 * the fallback when this module was not built (sk_symmetry/_feature_maps.py).
 *
 * Buffers come through the buffer protocol, so the module needs no numpy
 * headers; the caller passes shapes and item size and guarantees C order.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)0)
#endif

/* The gather visits a row's cache lines in random order, which hardware
 * prefetchers do not follow: rows ahead are prefetched explicitly (without
 * this the pass ran at half memory speed). restrict: out never aliases x. */
#define PREFETCH_AHEAD 2
#define GATHER_MULTIPLY(T)                                      \
    for (Py_ssize_t r = 0; r < n_rows; r++) {                                \
        const T *restrict row = (const T *)x.buf + r * n_cols;               \
        T *restrict dst = (T *)out.buf + r * n_out;                          \
        if (r + PREFETCH_AHEAD < n_rows) {                                   \
            const char *ahead = (const char *)(row + PREFETCH_AHEAD * n_cols); \
            for (Py_ssize_t b = 0; b < n_cols * (Py_ssize_t)sizeof(T); b += 64) { \
                PREFETCH(ahead + b);                                         \
            }                                                                \
        }                                                                    \
        for (Py_ssize_t base = 0; base < n_out; base += n_cols) {            \
            const int64_t *restrict p = partners + base;                     \
            T *restrict d = dst + base;                                      \
            for (Py_ssize_t i = 0; i < n_cols; i++) {                        \
                d[i] = row[i] * row[p[i]];                                   \
            }                                                                \
        }                                                                    \
    }

static PyObject *
gather_multiply(PyObject *self, PyObject *args)
{
    Py_buffer x, idx, out;
    Py_ssize_t n_rows, n_cols, n_out, itemsize;
    if (!PyArg_ParseTuple(args, "y*y*w*nnnn", &x, &idx, &out, &n_rows, &n_cols,
                          &n_out, &itemsize)) {
        return NULL;
    }
    const char *problem = NULL;
    if (itemsize != 4 && itemsize != 8) {
        problem = "itemsize must be 4 (float32) or 8 (float64)";
    }
    else if (n_rows < 0 || n_cols < 1 || n_out < 1 || n_out % n_cols != 0) {
        problem = "n_out must be a positive multiple of n_cols";
    }
    else if (x.len != n_rows * n_cols * itemsize ||
             out.len != n_rows * n_out * itemsize ||
             idx.len != n_out * (Py_ssize_t)sizeof(int64_t)) {
        problem = "buffer sizes do not match the shapes";
    }
    const int64_t *partners = (const int64_t *)idx.buf;
    for (Py_ssize_t j = 0; problem == NULL && j < n_out; j++) {
        if (partners[j] < 0 || partners[j] >= n_cols) {
            problem = "partner index out of range";
        }
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8) {
            GATHER_MULTIPLY(double)
        }
        else {
            GATHER_MULTIPLY(float)
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&x);
    PyBuffer_Release(&idx);
    PyBuffer_Release(&out);
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"gather_multiply", gather_multiply, METH_VARARGS,
     "gather_multiply(x, partners, out, n_rows, n_cols, n_out, itemsize)\n\n"
     "out[r, j] = x[r, j % n_cols] * x[r, partners[j]] for C-ordered float32\n"
     "or float64 buffers and int64 partners."},
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
    return PyModule_Create(&module);
}
