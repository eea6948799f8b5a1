/*
 * The memory-bound passes of a training step of the invariant convolutional
 * networks (_cnn_layers.py), each one pass in C where numpy needs several:
 *   im2col:        the receptive fields of every output pixel as rows,
 *                  with the zero or wrap padding done on the way (numpy:
 *                  np.pad, then a copy of a six-dimensional strided view
 *                  whose innermost run is a few channels long);
 *   col2im:        the adjoint of im2col after one product with the whole
 *                  kernel matrix, written straight into the gradient of
 *                  the unpadded input (numpy: a shifted addition per tap);
 *   activate:      |z| and its sign for the even first layer, the bias and
 *                  relu, in place;
 *   pool:          2 x 2 (1 x 2, 2 x 1) max or mean pooling;
 *   conv_backward: the pooling's and the activation's backward passes, the
 *                  bias gradient and the even layer's sign flips, in one
 *                  pass that writes the gradient of the convolution's output.
 * The matrix products stay on BLAS, called from Python.
 *
 * Parity with the numpy path is bitwise: each pass does the arithmetic of
 * its numpy counterpart, element by element in the same order (the taps of
 * col2im in row-major order from 0, the window of a pooling in row-major
 * order, numpy's maximum with its treatment of NaN and signed zeros, the
 * bias gradient summed over rows in order, as numpy sums a C-ordered
 * (rows, channels) array with several channels over axis 0). Floating-point
 * contraction is off, so that no a * b + c becomes one fused instruction
 * that rounds once. tests/neural_network/test_cnn_kernels.py compares every
 * pass, and whole training steps, with the numpy path bit for bit.
 *
 * The passes are plain loops, which the compiler vectorises for the
 * baseline instruction set (SSE2 on x86-64): they move data more than they
 * compute. Built for AVX2 (x86-64-v3) they were no faster on the machine
 * they were written on (im2col slower, the backward pass 10 to 30% faster,
 * a small part of a step), so there is no copy per CPU level. The GIL is
 * released while a pass runs.
 */
#include "common.h"

/* No fused multiply-adds, which round once where numpy rounds twice. Without
 * trapping math GCC may evaluate both sides of a select (x * (a > 0)) and so
 * vectorise it; without it each element took a branch that the CPU could
 * not predict (relu's zeros), 5 ns each. */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off", "no-trapping-math")
#endif

/* The poolings' and the activations' codes, defined here only: the module
 * exports them as POOLING_CODES ({"none": 0, "max": 1, "mean": 2}) and
 * ACTIVATION_CODES, which _cnn_layers.py passes back. */
enum { NONE = 0, MAX = 1, MEAN = 2 };
enum { IDENTITY = 0, RELU = 1, TANH = 2 };

static const struct code {
    const char *name;
    int code;
} pooling_codes[] = {{"none", NONE}, {"max", MAX}, {"mean", MEAN}, {NULL, 0}},
  activation_codes[] = {
      {"identity", IDENTITY}, {"relu", RELU}, {"tanh", TANH}, {NULL, 0}};

/* module.name <- {code's name: code} */
static int
add_table(PyObject *module, const char *name, const struct code *codes)
{
    PyObject *table = PyDict_New();
    if (table == NULL) {
        return -1;
    }
    for (; codes->name != NULL; codes++) {
        PyObject *code = PyLong_FromLong(codes->code);
        if (code == NULL || PyDict_SetItemString(table, codes->name, code) < 0) {
            Py_XDECREF(code);
            Py_DECREF(table);
            return -1;
        }
        Py_DECREF(code);
    }
    if (PyModule_AddObject(module, name, table) < 0) {
        Py_DECREF(table);
        return -1;
    }
    return 0;
}

static int
add_codes(PyObject *module)
{
    if (add_table(module, "POOLING_CODES", pooling_codes) < 0) {
        return -1;
    }
    return add_table(module, "ACTIVATION_CODES", activation_codes);
}

/* A convolution's geometry: n images of h x w x c (the input for im2col,
 * the output window for col2im), the padding before the first row and
 * column, the convolution's output size and its kernel. */
typedef struct {
    Py_ssize_t n, h, w, c, top, left, out_h, out_w, kh, kw, dilation;
    int wrap;
} conv_geometry;

/* A pooling's input: n images of h x w x c, windows of ph x pw, the kind of
 * pooling and (for the backward pass) the activation before it. */
typedef struct {
    Py_ssize_t n, h, w, c, ph, pw;
    int kind, act;
} pool_geometry;

/* index modulo size, in 0 .. size - 1 also for negative index */
static inline Py_ssize_t
wrap_index(Py_ssize_t index, Py_ssize_t size)
{
    index %= size;
    return index < 0 ? index + size : index;
}

#define SK_DTYPE 64
#include "dtype.h"
#include "_cnn_kernels_template.h"
#undef SK_DTYPE
#define SK_DTYPE 32
#include "dtype.h"
#include "_cnn_kernels_template.h"
#undef SK_DTYPE

/* ---- Python wrappers ----------------------------------------------------- */

/* The product of k non-negative sizes, or -1 if one is negative or the
 * product (of values of up to 8 bytes) would overflow a byte count. */
static Py_ssize_t
count(const Py_ssize_t *sizes, int k)
{
    Py_ssize_t total = 1;
    for (int i = 0; i < k; i++) {
        if (sizes[i] < 0 || (sizes[i] > 0 && total > PY_SSIZE_T_MAX / 8 / sizes[i])) {
            return -1;
        }
        total *= sizes[i];
    }
    return total;
}

#define BAD_SHAPE "the shapes must be non-negative, the kernel and pooling positive"

/* The item counts of a convolution's image side and column side, or a
 * problem. */
static const char *
check_conv(const conv_geometry *g, Py_ssize_t itemsize, Py_ssize_t *images,
           Py_ssize_t *cols)
{
    const char *problem = check_itemsize(itemsize);
    if (problem != NULL) {
        return problem;
    }
    const Py_ssize_t image[] = {g->n, g->h, g->w, g->c};
    const Py_ssize_t rows[] = {g->n, g->out_h, g->out_w, g->kh, g->kw, g->c};
    *images = count(image, 4);
    *cols = count(rows, 6);
    if (*images < 0 || *cols < 0 || g->kh < 1 || g->kw < 1 || g->dilation < 1 ||
        g->top < 0 || g->left < 0) {
        return BAD_SHAPE;
    }
    if (g->wrap && *cols > 0 && (g->h < 1 || g->w < 1)) {
        return "wrap padding needs an image of at least one pixel";
    }
    return NULL;
}

#define GEOMETRY_FORMAT "(nnnnnnnnnnn)"
#define GEOMETRY_FIELDS(g)                                                     \
    &(g).n, &(g).h, &(g).w, &(g).c, &(g).top, &(g).left, &(g).out_h, &(g).out_w, \
        &(g).kh, &(g).kw, &(g).dilation

static PyObject *
im2col(PyObject *self, PyObject *args)
{
    Py_buffer src, cols;
    conv_geometry g;
    Py_ssize_t itemsize, n_src, n_cols;
    if (!PyArg_ParseTuple(args, "y*w*" GEOMETRY_FORMAT "pn", &src, &cols,
                          GEOMETRY_FIELDS(g), &g.wrap, &itemsize)) {
        return NULL;
    }
    const char *problem = check_conv(&g, itemsize, &n_src, &n_cols);
    if (problem == NULL) {
        problem = CHECK_BUFFERS({&src, n_src, itemsize}, {&cols, n_cols, itemsize});
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            im2col_f64(src.buf, cols.buf, &g);
        else
            im2col_f32(src.buf, cols.buf, &g);
        Py_END_ALLOW_THREADS
    }
    return RELEASED_RESULT(problem, 0, Py_NewRef(Py_None), &src, &cols);
}

static PyObject *
col2im(PyObject *self, PyObject *args)
{
    Py_buffer dcols, out;
    conv_geometry g;
    Py_ssize_t itemsize, n_out, n_cols;
    if (!PyArg_ParseTuple(args, "y*w*" GEOMETRY_FORMAT "n", &dcols, &out,
                          GEOMETRY_FIELDS(g), &itemsize)) {
        return NULL;
    }
    g.wrap = 0;
    const char *problem = check_conv(&g, itemsize, &n_out, &n_cols);
    if (problem == NULL) {
        problem = CHECK_BUFFERS({&dcols, n_cols, itemsize}, {&out, n_out, itemsize});
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            col2im_f64(dcols.buf, out.buf, &g);
        else
            col2im_f32(dcols.buf, out.buf, &g);
        Py_END_ALLOW_THREADS
    }
    return RELEASED_RESULT(problem, 0, Py_NewRef(Py_None), &dcols, &out);
}

static PyObject *
activate(PyObject *self, PyObject *args)
{
    Py_buffer z, bias, negative;
    PyObject *bias_obj, *negative_obj;
    Py_ssize_t rows, c, itemsize;
    int relu;
    if (!PyArg_ParseTuple(args, "w*OOnnnp", &z, &bias_obj, &negative_obj, &rows, &c,
                          &itemsize, &relu)) {
        return NULL;
    }
    bias.obj = negative.obj = NULL;
    if (optional_buffer(bias_obj, &bias, 0) < 0 ||
        optional_buffer(negative_obj, &negative, 1) < 0) {
        RELEASE_BUFFERS(&z, &bias);
        return NULL;
    }
    const Py_ssize_t shape[] = {rows, c};
    const Py_ssize_t items = count(shape, 2);
    const char *problem = check_itemsize(itemsize);
    if (problem == NULL && items < 0) {
        problem = BAD_SHAPE;
    }
    if (problem == NULL) {
        problem = CHECK_BUFFERS({&z, items, itemsize}, {&bias, c, itemsize},
                                {&negative, items, 1});
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            activate_f64(z.buf, bias.buf, negative.buf, rows, c, relu);
        else
            activate_f32(z.buf, bias.buf, negative.buf, rows, c, relu);
        Py_END_ALLOW_THREADS
    }
    return RELEASED_RESULT(problem, 0, Py_NewRef(Py_None), &z, &bias, &negative);
}

#define POOL_FORMAT "(nnnnnnii)"
#define POOL_FIELDS(p)                                                         \
    &(p).n, &(p).h, &(p).w, &(p).c, &(p).ph, &(p).pw, &(p).kind, &(p).act

/* The item counts of a pooling's input and output, or a problem. */
static const char *
check_pool(const pool_geometry *p, Py_ssize_t itemsize, Py_ssize_t *inputs,
           Py_ssize_t *outputs)
{
    const char *problem = check_itemsize(itemsize);
    if (problem != NULL) {
        return problem;
    }
    if (p->ph < 1 || p->pw < 1 || p->kind < NONE || p->kind > MEAN ||
        p->act < IDENTITY || p->act > TANH) {
        return BAD_SHAPE;
    }
    const Py_ssize_t in[] = {p->n, p->h, p->w, p->c};
    const int pooled = p->kind != NONE;
    const Py_ssize_t out[] = {p->n, pooled ? p->h / p->ph : p->h,
                              pooled ? p->w / p->pw : p->w, p->c};
    *inputs = count(in, 4);
    *outputs = count(out, 4);
    return *inputs < 0 || *outputs < 0 ? BAD_SHAPE : NULL;
}

static PyObject *
pool(PyObject *self, PyObject *args)
{
    Py_buffer a, out;
    pool_geometry p;
    Py_ssize_t itemsize, n_in, n_out;
    if (!PyArg_ParseTuple(args, "y*w*" POOL_FORMAT "n", &a, &out, POOL_FIELDS(p),
                          &itemsize)) {
        return NULL;
    }
    const char *problem = check_pool(&p, itemsize, &n_in, &n_out);
    if (problem == NULL && p.kind == NONE) {
        problem = "pool needs kind MAX or MEAN";
    }
    if (problem == NULL) {
        problem = CHECK_BUFFERS({&a, n_in, itemsize}, {&out, n_out, itemsize});
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            pool_f64(a.buf, out.buf, &p);
        else
            pool_f32(a.buf, out.buf, &p);
        Py_END_ALLOW_THREADS
    }
    return RELEASED_RESULT(problem, 0, Py_NewRef(Py_None), &a, &out);
}

static PyObject *
conv_backward(PyObject *self, PyObject *args)
{
    Py_buffer grad, a, pooled, negative, dz, bias_grad;
    PyObject *pooled_obj, *negative_obj, *bias_grad_obj;
    pool_geometry p;
    Py_ssize_t itemsize, n_in, n_out;
    if (!PyArg_ParseTuple(args, "y*y*OOw*O" POOL_FORMAT "n", &grad, &a, &pooled_obj,
                          &negative_obj, &dz, &bias_grad_obj, POOL_FIELDS(p),
                          &itemsize)) {
        return NULL;
    }
    pooled.obj = negative.obj = bias_grad.obj = NULL;
    if (optional_buffer(pooled_obj, &pooled, 0) < 0 ||
        optional_buffer(negative_obj, &negative, 0) < 0 ||
        optional_buffer(bias_grad_obj, &bias_grad, 1) < 0) {
        RELEASE_BUFFERS(&grad, &a, &dz, &pooled, &negative);
        return NULL;
    }
    const char *problem = check_pool(&p, itemsize, &n_in, &n_out);
    if (problem == NULL && (p.kind == MAX) != (pooled.obj != NULL)) {
        problem = "the max pooling's backward pass needs its output, no other";
    }
    if (problem == NULL) {
        problem = CHECK_BUFFERS({&grad, n_out, itemsize}, {&a, n_in, itemsize},
                                {&pooled, n_out, itemsize}, {&negative, n_in, 1},
                                {&dz, n_in, itemsize}, {&bias_grad, p.c, itemsize});
    }
    void *sums = problem == NULL && bias_grad.obj != NULL
                     ? PyMem_Malloc(p.c > 0 ? p.c * itemsize : 1)
                     : NULL;
    const int no_memory = problem == NULL && bias_grad.obj != NULL && sums == NULL;
    if (problem == NULL && !no_memory) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            conv_backward_f64(grad.buf, a.buf, pooled.buf, negative.buf, dz.buf,
                              bias_grad.buf, sums, &p);
        else
            conv_backward_f32(grad.buf, a.buf, pooled.buf, negative.buf, dz.buf,
                              bias_grad.buf, sums, &p);
        Py_END_ALLOW_THREADS
    }
    PyMem_Free(sums);
    return RELEASED_RESULT(problem, no_memory, Py_NewRef(Py_None), &grad, &a, &pooled, &negative, &dz, &bias_grad);
}

static PyMethodDef methods[] = {
    {"im2col", im2col, METH_VARARGS,
     "im2col(images, cols, geometry, wrap, itemsize) -> None\n\n"
     "cols[(img, y, x), (i, j, ch)] <- images[img, y + i d - top,\n"
     "x + j d - left, ch]: zero outside the image, or around the torus if\n"
     "wrap. geometry: (n, h, w, c, top, left, out_h, out_w, kh, kw, d), h x w\n"
     "the images' size, out_h x out_w the convolution's. C-ordered buffers."},
    {"col2im", col2im, METH_VARARGS,
     "col2im(dcols, out, geometry, itemsize) -> None\n\n"
     "The adjoint of im2col (without wrap) on the window of the padded frame\n"
     "whose first pixel is (top, left) and whose size is h x w (geometry as\n"
     "for im2col): out[img, y, x] <- 0 + the taps covering the pixel, in\n"
     "row-major order of the taps."},
    {"activate", activate, METH_VARARGS,
     "activate(z, bias, negative, rows, c, itemsize, relu) -> None\n\n"
     "In place on z (rows, c): with negative (a bool buffer, or None),\n"
     "negative <- z < 0 and z <- |z|; z <- z + bias (or None); then\n"
     "numpy's maximum(z, 0) if relu."},
    {"pool", pool, METH_VARARGS,
     "pool(a, out, (n, h, w, c, ph, pw, kind, act), itemsize) -> None\n\n"
     "out <- the max (kind 1) or mean (kind 2) of each ph x pw window of a\n"
     "(n, h, w, c); an odd last row or column is dropped. act is ignored."},
    {"conv_backward", conv_backward, METH_VARARGS,
     "conv_backward(grad, a, pooled, negative, dz, bias_grad,\n"
     "(n, h, w, c, ph, pw, kind, act), itemsize) -> None\n\n"
     "dz <- the gradient with respect to z of a = act(z + b) (act 0:\n"
     "identity, 1: relu, 2: tanh) from grad, that with respect to the\n"
     "pooling (kind 1: max, whose output `pooled` is given; 2: mean) of a,\n"
     "or to a itself (kind 0); bias_grad (or None) += the column sums of\n"
     "dz; then dz <- -dz where negative (a bool buffer, or None)."},
    {NULL, NULL, 0, NULL},
};

DEFINE_MODULE_WITH(_cnn_kernels,
                   "Compiled memory-bound passes of the invariant convolutional "
                   "networks' training.",
                   add_codes)
