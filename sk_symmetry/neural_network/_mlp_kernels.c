/*
 * The element-wise work of one loss-and-gradient evaluation of
 * BiaslessMLPClassifier (_mlp_math.py), fused into few passes.
 *
 * Layers are feature-major, (units, n) C-ordered, as in _mlp_math.py. numpy
 * needs a pass (and a Python call) per operation: bias add, activation, max,
 * subtract, exp, sum, divide, log, the loss, P - Y, the derivative (three
 * passes for tanh) and the bias gradient. Here:
 *   hidden:   z <- g(z + b), one pass per layer;
 *   output:   bias, softmax (or logistic), per-sample log-loss, delta =
 *             (P - Y) * w_i / sum(w) and the output bias gradient, one pass
 *             over blocks of BLOCK samples that stay in L1;
 *   backward: delta <- delta * g'(a) and the bias gradient, one pass;
 *   adam:     one Adam update of the flat parameter vector, one pass.
 *
 * numpy's tanh, exp and log are SIMD only where numpy ships a kernel for the
 * CPU (float64 tanh: AVX-512 only; on AVX2 it calls libm per element, 4.5 ns
 * each on the machine this was written on, which alone cost about as much as
 * the matrix products of the paper's network). So the functions below are
 * branch-free polynomials that the compiler vectorises: exp by Cody-Waite
 * reduction and a Taylor polynomial, tanh from expm1, log from atanh. Over
 * two million inputs tanh was within 2.5 units in the last place (ulp) of the
 * exact result and expit within 2.4 (numpy's tanh: 1.4, scipy's expit: 2.4);
 * tests/neural_network/test_mlp_kernels.py compares every pass with the numpy path. float32
 * is computed in float, as numpy does, with shorter polynomials. Inputs are
 * clamped where exp would overflow: exp(x) for x < -708 (float: -87) returns
 * about the smallest normal number instead of a subnormal or 0, and larger x
 * than 709 (88) count as 709 (88); this only matters where a result rounds
 * to 0 or 1 next to values of order 1.
 *
 * Parity with the numpy path is therefore a bound, not bitwise: each
 * activation value within 8 ulp, one loss-and-gradient evaluation within
 * 64 eps of the gradient's largest entry (sums run in another order), and
 * trained weights within 256 eps of each layer's largest weight after 5
 * L-BFGS iterations and 64 eps after 50 Adam epochs (measured: 17.5 and 3.5;
 * tests/neural_network/test_mlp_kernels.py). Longer L-BFGS runs amplify the difference
 * (float32, 50 iterations: up to 4e-2 relative), so weights trained with
 * and without the kernels (SK_SYMMETRY_NO_KERNELS=1) are close, not equal;
 * each way is reproducible on its own.
 *
 * On x86-64 with GCC each pass is compiled for AVX-512, AVX2 and the SSE2
 * baseline, and the copy for the CPU runs (common.h's run-time check, the
 * one dispatch scheme of every kernel; until the kernels shared it, GCC's
 * target_clones made the same three copies, so the results are the same
 * bits); other compilers get the portable loops. On this AMD EPYC one tanh took 0.8 ns
 * (AVX-512), 1.4 ns (AVX2) and 4.8 ns (SSE2 only, no faster than libm) per
 * double. The GIL is released while a kernel runs. The passes and the
 * functions are written once, in _mlp_kernels_template.h, for double and
 * float; the constants and polynomials that differ between them are in
 * dtype.h with every other difference of the two types.
 */
#include "common.h"

#if defined(__GNUC__) && !defined(__clang__)
/* Without trapping math GCC may evaluate both sides of the selects below
 * (clamps, signs) and so vectorise them for AVX2 (for AVX-512 it masks);
 * the flags of floating-point exceptions are nobody's business here. Without
 * math errno, sqrt is one instruction. Set for the whole file, because GCC
 * does not inline across functions with different optimisation flags. */
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

/* Samples per block of the output pass: 10 outputs x 128 samples x 8 bytes
 * for Z and again for Y is 20 KB, inside L1 with room for the scratch. */
#define BLOCK 128

/* The activations' codes, defined here only: the module exports them as
 * ACTIVATION_CODES ({"identity": 0, ...}), which _mlp_math.py passes back. */
enum { IDENTITY = 0, TANH = 1, LOGISTIC = 2, RELU = 3 };

static int
add_activation_codes(PyObject *module)
{
    static const struct {
        const char *name;
        int code;
    } codes[] = {
        {"identity", IDENTITY}, {"tanh", TANH}, {"logistic", LOGISTIC}, {"relu", RELU},
    };
    PyObject *table = PyDict_New();
    if (table == NULL) {
        return -1;
    }
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        PyObject *code = PyLong_FromLong(codes[i].code);
        if (code == NULL || PyDict_SetItemString(table, codes[i].name, code) < 0) {
            Py_XDECREF(code);
            Py_DECREF(table);
            return -1;
        }
        Py_DECREF(code);
    }
    if (PyModule_AddObject(module, "ACTIVATION_CODES", table) < 0) {
        Py_DECREF(table);
        return -1;
    }
    return 0;
}

/* The passes for each type, once for the baseline and, with
 * HAVE_LEVEL_DISPATCH, again for x86-64-v3 and v4: the functions marked
 * LEVEL are compiled for the copy's level (the functions they inline with
 * them), the others for the baseline, as target_clones did. Define
 * SK_SYMMETRY_BASELINE_ONLY to build the baseline copy only, for the compiler's
 * own target (-march), e.g. to test the AVX2 or SSE2 loops on any CPU. */
#define LEVEL
#include "_mlp_kernels_types.h"
#undef LEVEL
#ifdef HAVE_LEVEL_DISPATCH
#define LEVEL TARGET_V3
#define SK_COPY v3
#include "_mlp_kernels_types.h"
#undef SK_COPY
#undef LEVEL
#define LEVEL TARGET_V4
#define SK_COPY v4
#include "_mlp_kernels_types.h"
#undef SK_COPY
#undef LEVEL
#endif

/* ---- Python wrappers ----------------------------------------------------- */

static const char *
check_sizes(Py_ssize_t rows, Py_ssize_t n, Py_ssize_t itemsize)
{
    const char *problem = check_itemsize(itemsize);
    if (problem != NULL) {
        return problem;
    }
    if (rows < 0 || n < 0 || too_large(rows, n)) {
        return "the shapes must be non-negative and not too large";
    }
    return NULL;
}

/* check_sizes, and an activation code that exists */
static const char *
check_layer(Py_ssize_t units, Py_ssize_t n, Py_ssize_t itemsize, int kind)
{
    const char *problem = check_sizes(units, n, itemsize);
    if (problem == NULL && (kind < IDENTITY || kind > RELU)) {
        problem = "unknown activation";
    }
    return problem;
}

static PyObject *
hidden(PyObject *self, PyObject *args)
{
    Py_buffer z, b;
    PyObject *b_obj;
    Py_ssize_t units, n, itemsize;
    int kind;
    if (!PyArg_ParseTuple(args, "w*Onnni", &z, &b_obj, &units, &n, &itemsize,
                          &kind)) {
        return NULL;
    }
    if (optional_buffer(b_obj, &b, 0) < 0) {
        PyBuffer_Release(&z);
        return NULL;
    }
    const char *problem = check_layer(units, n, itemsize, kind);
    if (problem == NULL) {
        problem = CHECK_BUFFERS({&z, units * n, itemsize}, {&b, units, itemsize});
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            LEVEL_COPY(hidden, f64)(z.buf, b.buf, units, n, kind);
        else
            LEVEL_COPY(hidden, f32)(z.buf, b.buf, units, n, kind);
        Py_END_ALLOW_THREADS
    }
    return RELEASED_RESULT(problem, 0, Py_NewRef(Py_None), &z, &b);
}

static PyObject *
backward(PyObject *self, PyObject *args)
{
    Py_buffer a, d, gb;
    PyObject *gb_obj;
    Py_ssize_t units, n, itemsize;
    int kind;
    if (!PyArg_ParseTuple(args, "y*w*Onnni", &a, &d, &gb_obj, &units, &n,
                          &itemsize, &kind)) {
        return NULL;
    }
    if (optional_buffer(gb_obj, &gb, 1) < 0) {
        RELEASE_BUFFERS(&a, &d);
        return NULL;
    }
    const char *problem = check_layer(units, n, itemsize, kind);
    if (problem == NULL) {
        problem = CHECK_BUFFERS({&a, units * n, itemsize}, {&d, units * n, itemsize},
                                {&gb, units, itemsize});
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            LEVEL_COPY(backward, f64)(a.buf, d.buf, gb.buf, units, n, kind);
        else
            LEVEL_COPY(backward, f32)(a.buf, d.buf, gb.buf, units, n, kind);
        Py_END_ALLOW_THREADS
    }
    return RELEASED_RESULT(problem, 0, Py_NewRef(Py_None), &a, &d, &gb);
}

static PyObject *
output(PyObject *self, PyObject *args)
{
    Py_buffer z, y, b, sw, gb;
    PyObject *b_obj, *sw_obj, *gb_obj;
    Py_ssize_t k, n, ldy, itemsize;
    double sw_sum;
    int softmax;
    if (!PyArg_ParseTuple(args, "w*y*OOdOnnnnp", &z, &y, &b_obj, &sw_obj, &sw_sum,
                          &gb_obj, &k, &n, &ldy, &itemsize, &softmax)) {
        return NULL;
    }
    b.obj = sw.obj = gb.obj = NULL;
    if (optional_buffer(b_obj, &b, 0) < 0 || optional_buffer(sw_obj, &sw, 0) < 0 ||
        optional_buffer(gb_obj, &gb, 1) < 0) {
        RELEASE_BUFFERS(&z, &y, &b, &sw);
        return NULL;
    }
    const char *problem = check_sizes(k, n, itemsize);
    if (problem == NULL && (k < 1 || ldy < n || ldy > PY_SSIZE_T_MAX / 8 / k)) {
        problem = "need at least one output and ldy >= n";
    }
    if (problem == NULL) {
        problem = CHECK_BUFFERS({&z, k * n, itemsize}, {&b, k, itemsize},
                                {&sw, n, itemsize}, {&gb, k, itemsize});
    }
    if (problem == NULL && k > 0 && n > 0 && y.len < ((k - 1) * ldy + n) * itemsize) {
        problem = "buffer sizes do not match the shapes"; /* y: rows of ldy */
    }
    double loss = 0.0;
    double *gacc = problem == NULL ? PyMem_Calloc(k, sizeof(double)) : NULL;
    const int no_memory = problem == NULL && gacc == NULL;
    if (gacc != NULL) {
        Py_BEGIN_ALLOW_THREADS
        loss = itemsize == 8
                   ? LEVEL_COPY(output_pass, f64)(z.buf, y.buf, ldy, b.buf, sw.buf,
                                                  sw_sum, gb.buf, k, n, softmax, gacc)
                   : LEVEL_COPY(output_pass, f32)(z.buf, y.buf, ldy, b.buf, sw.buf,
                                                  sw_sum, gb.buf, k, n, softmax, gacc);
        Py_END_ALLOW_THREADS
    }
    PyMem_Free(gacc);
    return RELEASED_RESULT(problem, no_memory, PyFloat_FromDouble(loss), &z, &y, &b, &sw, &gb);
}

static PyObject *
adam(PyObject *self, PyObject *args)
{
    Py_buffer p, g, m, v;
    Py_ssize_t n, itemsize;
    double b1, b2, lr, eps;
    if (!PyArg_ParseTuple(args, "w*y*w*w*nndddd", &p, &g, &m, &v, &n, &itemsize,
                          &b1, &b2, &lr, &eps)) {
        return NULL;
    }
    const char *problem = check_sizes(1, n, itemsize);
    if (problem == NULL) {
        problem = CHECK_BUFFERS({&p, n, itemsize}, {&g, n, itemsize}, {&m, n, itemsize},
                                {&v, n, itemsize});
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            LEVEL_COPY(adam, f64)(p.buf, g.buf, m.buf, v.buf, n, b1, b2, lr, eps);
        else
            LEVEL_COPY(adam, f32)(p.buf, g.buf, m.buf, v.buf, n, b1, b2, lr, eps);
        Py_END_ALLOW_THREADS
    }
    return RELEASED_RESULT(problem, 0, Py_NewRef(Py_None), &p, &g, &m, &v);
}

static PyMethodDef methods[] = {
    {"hidden", hidden, METH_VARARGS,
     "hidden(z, bias, units, n, itemsize, kind) -> None\n\n"
     "z[u, :] <- g(z[u, :] + bias[u]) in place for a C-ordered (units, n)\n"
     "float32/float64 buffer; bias may be None. kind: the activation's\n"
     "code in ACTIVATION_CODES."},
    {"output", output, METH_VARARGS,
     "output(z, y, bias, sw, sw_sum, bias_grad, k, n, ldy, itemsize, softmax)\n"
     "-> float\n\n"
     "For output logits z (k, n) (before the bias; bias may be None) and\n"
     "targets y (k rows of ldy, the first n used): z <- (P - Y) * s with\n"
     "s_i = sw[i] / sw_sum, or 1 / sw_sum if sw is None; bias_grad (or None)\n"
     "<- the row sums of the new z. Returns sum_i s_i * log-loss_i. softmax:\n"
     "softmax over each column, else a logistic output per entry."},
    {"backward", backward, METH_VARARGS,
     "backward(a, delta, bias_grad, units, n, itemsize, kind) -> None\n\n"
     "delta <- delta * g'(z) given a = g(z), and bias_grad (or None) <- the\n"
     "row sums of the new delta."},
    {"adam", adam, METH_VARARGS,
     "adam(params, grad, m, v, n, itemsize, beta_1, beta_2, lr, eps) -> None\n\n"
     "m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;\n"
     "params <- params - lr * m / (sqrt(v) + eps), all in place."},
    {NULL, NULL, 0, NULL},
};

DEFINE_MODULE_WITH(
    _mlp_kernels,
    "Compiled element-wise passes of BiaslessMLPClassifier's training.",
    add_activation_codes)
