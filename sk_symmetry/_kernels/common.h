/*
 * What every compiled kernel of sk_symmetry shares: the includes, which
 * vector instructions the build and the CPU offer, the checks of stored
 * values for infinity and NaN, argument errors and the module's boilerplate.
 * setup.py puts this folder on the include path of every extension; the
 * float32/float64 template parameters are in dtype.h.
 *
 * Buffers come through the buffer protocol, so no kernel needs numpy
 * headers; callers pass shapes and item sizes and guarantee C order.
 */
#ifndef SK_SYMMETRY_COMMON_H
#define SK_SYMMETRY_COMMON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- CPU features --------------------------------------------------------
 * One dispatch scheme for every kernel: code for a wider instruction set is
 * compiled into the module beside the baseline code, and a run-time check
 * of the CPU (detect_cpu, when the module is imported) says which runs.
 * SSE2 is part of every x86-64 CPU, so code under HAVE_SSE2 needs no check.
 * Hand-written AVX2 code is compiled, with GCC or clang on x86-64, for
 * functions marked AVX2 only, and runs where cpu_avx2 says the CPU has it.
 * Loops that the compiler vectorises are compiled again, with GCC on x86-64,
 * for the x86-64-v3 (AVX2, FMA) and x86-64-v4 (AVX-512) levels (TARGET_V3,
 * TARGET_V4), and the copy for cpu_level runs. Elsewhere the kernels run
 * their plain C loops. Compiling with -DSK_SYMMETRY_BASELINE_ONLY builds the
 * baseline copy only, for the compiler's own target (-march), e.g. to test
 * the AVX2 or SSE2 loops on any CPU; it is a build flag, not the run-time
 * switch SK_SYMMETRY_NO_KERNELS, which turns every kernel off. */
#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#define HAVE_SSE2 1
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_DISPATCH 1
#define AVX2 __attribute__((target("avx2")))
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&          \
    __GNUC__ >= 12 && !defined(SK_SYMMETRY_BASELINE_ONLY)
#define HAVE_LEVEL_DISPATCH 1
#define TARGET_V3 __attribute__((target("arch=x86-64-v3")))
#define TARGET_V4 __attribute__((target("arch=x86-64-v4")))
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)0)
#endif

/* Whether this CPU runs AVX2, and its x86-64 level for the copies (1: the
 * baseline copy, 3 or 4); set once, when the module is imported. */
static int cpu_avx2 = 0;
#ifdef HAVE_LEVEL_DISPATCH
static int cpu_level = 1;
#endif

static inline void
detect_cpu(void)
{
#ifdef HAVE_AVX2_DISPATCH
    __builtin_cpu_init();
    cpu_avx2 = __builtin_cpu_supports("avx2") != 0;
#endif
#ifdef HAVE_LEVEL_DISPATCH
    cpu_level = __builtin_cpu_supports("x86-64-v4")   ? 4
                : __builtin_cpu_supports("x86-64-v3") ? 3
                                                      : 1;
#endif
}

/* LEVEL_COPY(hidden, f64): hidden_f64_v4, hidden_f64_v3 or hidden_f64, the
 * copy of a function (see dtype.h's SK_COPY) for this CPU's level. */
#ifdef HAVE_LEVEL_DISPATCH
#define LEVEL_COPY(name, type)                                                 \
    (cpu_level >= 4   ? name##_##type##_v4                                     \
     : cpu_level >= 3 ? name##_##type##_v3                                     \
                      : name##_##type)
#else
#define LEVEL_COPY(name, type) name##_##type
#endif

static inline PyObject *
has_avx2(PyObject *self, PyObject *unused)
{
    return PyBool_FromLong(cpu_avx2);
}

/* A module's entry for has_avx2(), with the docstring saying what AVX2 is
 * used for. */
#define HAS_AVX2_METHOD(doc) {"has_avx2", has_avx2, METH_NOARGS, doc}

/* ---- non-finite values ---------------------------------------------------
 * Whether the value stored at v is infinite or NaN: all exponent bits set.
 * Scalar loops test the stored bits rather than the expression that was
 * stored: with x87 math (32-bit x86) that expression may still hold an
 * unrounded product that did not overflow although the stored one did. */
#define EXPONENT_F32 0x7f800000u
#define EXPONENT_F64 0x7ff0000000000000u

static inline int
nonfinite_f32(const float *v)
{
    uint32_t bits;
    memcpy(&bits, v, sizeof bits);
    return (bits & EXPONENT_F32) == EXPONENT_F32;
}

static inline int
nonfinite_f64(const double *v)
{
    uint64_t bits;
    memcpy(&bits, v, sizeof bits);
    return (bits & EXPONENT_F64) == EXPONENT_F64;
}

/* ---- arguments -----------------------------------------------------------
 * Wrappers collect the first problem with their arguments as a message, run
 * the kernel only without one, release their buffers, then return NULL if
 * failed() says so. */
static inline const char *
check_itemsize(Py_ssize_t itemsize)
{
    return itemsize == 4 || itemsize == 8
               ? NULL
               : "itemsize must be 4 (float32) or 8 (float64)";
}

/* Releases every buffer given, RELEASE_BUFFERS(&x, &out); one whose obj is
 * NULL (an optional argument not given) is skipped, as PyBuffer_Release
 * does. */
static inline void
release_buffers(Py_buffer **views, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        PyBuffer_Release(views[i]);
    }
}
#define RELEASE_BUFFERS(...)                                                   \
    release_buffers((Py_buffer *[]){__VA_ARGS__},                              \
                    sizeof((Py_buffer *[]){__VA_ARGS__}) / sizeof(Py_buffer *))

/* Whether rows x width values (of at most 8 bytes) would overflow a
 * Py_ssize_t count of bytes; rows and width are non-negative. */
static inline int
too_large(Py_ssize_t rows, Py_ssize_t width)
{
    return rows > 0 && width > PY_SSIZE_T_MAX / 8 / rows;
}

/* What the shapes say a buffer holds: `items` values of `itemsize` bytes,
 * or, for items == ANY_COUNT, any whole number of them. A buffer whose obj
 * is NULL (an optional argument given as None) is not checked. */
typedef struct {
    const Py_buffer *view;
    Py_ssize_t items, itemsize;
} buffer_size;
#define ANY_COUNT (-1)

/* "buffer sizes do not match the shapes" for the first buffer that holds
 * other than it should, else NULL:
 * CHECK_BUFFERS({&x, n_rows * n_cols, itemsize}, {&out, ...}). */
static inline const char *
check_buffers(const buffer_size *sizes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const Py_buffer *view = sizes[i].view;
        const Py_ssize_t items = sizes[i].items, itemsize = sizes[i].itemsize;
        if (view->obj != NULL && (items == ANY_COUNT
                                      ? view->len % itemsize != 0
                                      : view->len != items * itemsize)) {
            return "buffer sizes do not match the shapes";
        }
    }
    return NULL;
}
#define CHECK_BUFFERS(...)                                                     \
    check_buffers((buffer_size[]){__VA_ARGS__},                                \
                  sizeof((buffer_size[]){__VA_ARGS__}) / sizeof(buffer_size))

/* Whether the index (code & mask) of each of the n codes is below bound. */
static inline int
indices_below(const uint32_t *codes, Py_ssize_t n, uint32_t mask, uint64_t bound)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((codes[i] & mask) >= bound) {
            return 0;
        }
    }
    return 1;
}

/* Whether the call failed, with its exception set: a ValueError saying
 * `problem` if there is one, else a MemoryError if `no_memory`. */
static inline int
failed(const char *problem, int no_memory)
{
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
    }
    else if (no_memory) {
        PyErr_NoMemory();
    }
    return problem != NULL || no_memory;
}

/* A buffer argument that may be None (an optional array): then a view whose
 * obj is NULL, which check_buffers and release_buffers skip. */
static inline int
optional_buffer(PyObject *obj, Py_buffer *view, int writable)
{
    if (obj == Py_None) {
        view->buf = NULL;
        view->len = 0;
        view->obj = NULL;
        return 0;
    }
    return PyObject_GetBuffer(obj, view, writable ? PyBUF_WRITABLE : PyBUF_SIMPLE);
}

/* The end of every wrapper, after its scratch memory is freed: releases the
 * buffers, then returns NULL with the exception set if the call failed (see
 * failed()), else result, which is built only then:
 *     return RELEASED_RESULT(problem, no_memory, PyBool_FromLong(ok), &x);
 * (Py_NewRef(Py_None) for a wrapper that returns None.) */
#define RELEASED_RESULT(problem, no_memory, result, ...)                       \
    (RELEASE_BUFFERS(__VA_ARGS__), failed(problem, no_memory) ? NULL : (result))

/* ---- the module ----------------------------------------------------------
 * DEFINE_MODULE(_products, "doc") defines the module _products, whose
 * methods are the file's `methods` table, and its init function, which
 * detects the CPU's features first. DEFINE_MODULE_WITH(NAME, DOC, add) also
 * calls add(module), which returns -1 with an exception set on failure: for
 * constants that Python must read from the kernel rather than repeat. */
static inline int
add_nothing(PyObject *module)
{
    return 0;
}

#define DEFINE_MODULE_WITH(NAME, DOC, ADD)                                     \
    static struct PyModuleDef module_def = {                                   \
        PyModuleDef_HEAD_INIT, #NAME, DOC, -1, methods,                        \
    };                                                                         \
    PyMODINIT_FUNC PyInit_##NAME(void)                                         \
    {                                                                          \
        detect_cpu();                                                          \
        PyObject *module = PyModule_Create(&module_def);                       \
        if (module != NULL && ADD(module) < 0) {                               \
            Py_DECREF(module);                                                 \
            return NULL;                                                       \
        }                                                                      \
        return module;                                                         \
    }
#define DEFINE_MODULE(NAME, DOC) DEFINE_MODULE_WITH(NAME, DOC, add_nothing)

#endif /* SK_SYMMETRY_COMMON_H */
