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
 * tests/test_mlp_kernels.py compares every pass with the numpy path. float32
 * is computed in float, as numpy does, with shorter polynomials. Inputs are
 * clamped where exp would overflow: exp(x) for x < -708 (float: -87) returns
 * about the smallest normal number instead of a subnormal or 0, and larger x
 * than 709 (88) count as 709 (88); this only matters where a result rounds
 * to 0 or 1 next to values of order 1.
 *
 * On x86-64 Linux with GCC each pass is compiled for AVX-512, AVX2 and the
 * SSE2 baseline and the best is chosen at load time (target_clones); other
 * compilers get the portable loops. On this AMD EPYC one tanh took 0.8 ns
 * (AVX-512), 1.4 ns (AVX2) and 4.8 ns (SSE2 only, no faster than libm) per
 * double. Buffers come through the buffer protocol (no numpy headers); the
 * caller passes shapes and item size and guarantees C order. The GIL is
 * released while a kernel runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
/* Without trapping math GCC may evaluate both sides of the selects below
 * (clamps, signs) and so vectorise them for AVX2 (for AVX-512 it masks);
 * the flags of floating-point exceptions are nobody's business here. Without
 * math errno, sqrt is one instruction. Set for the whole file, because GCC
 * does not inline across functions with different optimisation flags. */
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

/* Define SK_SYMMETRY_NO_CLONES to build one version, for the compiler's
 * own target (-march), e.g. to test the AVX2 or SSE2 loops on any CPU. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&          \
    defined(__linux__) && !defined(SK_SYMMETRY_NO_CLONES)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", \
                                            "default")))
#else
#define CLONES
#endif

/* Samples per block of the output pass: 10 outputs x 128 samples x 8 bytes
 * for Z and again for Y is 20 KB, inside L1 with room for the scratch. */
#define BLOCK 128

enum { IDENTITY = 0, TANH = 1, LOGISTIC = 2, RELU = 3 };

/* ---- bit-level helpers (vectorise: bit casts, integer adds and shifts) --- */

static inline uint64_t
bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double
from_bits(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

#define MAGIC 0x1.8p52 /* adding it rounds to an integer, kept in the low bits */
#define LN2_HI 0x1.62e42fee00000p-1 /* 32 bits: n * LN2_HI is exact */
#define LN2_LO 0x1.a39ef35793c76p-33
#define LOG2E 0x1.71547652b82fep0

/* x = n ln2 + r with |r| <= ln2 / 2; returns r and sets *scale = 2^n, for
 * x in [-708, 709] (so that 2^n is a normal number). */
static inline double
reduce(double x, double *scale)
{
    double k = x * LOG2E + MAGIC;
    uint64_t n = bits_of(k) - bits_of(MAGIC); /* two's complement n */
    k -= MAGIC;
    *scale = from_bits((n + 1023) << 52);
    return (x - k * LN2_HI) - k * LN2_LO;
}

/* expm1(r) for |r| <= ln2 / 2: Taylor to r^13 (truncation below 1e-17). */
static inline double
expm1_small(double r)
{
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    return r + (r * r) * p;
}

static inline double
clamp(double x, double lo, double hi)
{
    x = x < lo ? lo : x; /* NaN stays NaN */
    return x > hi ? hi : x;
}

/* exp(x); see the header for x outside [-708, 709]. */
static inline double
exp_(double x)
{
    double scale;
    double r = reduce(clamp(x, -708.0, 709.0), &scale);
    double q = expm1_small(r);
    return scale + scale * q;
}

/* expm1(y) for y <= 0: 2^n expm1(r) + (2^n - 1), where 2^n - 1 is exact
 * for the n that matter and dominates otherwise. */
static inline double
expm1_neg(double y)
{
    double scale;
    double r = reduce(y < -708.0 ? -708.0 : y, &scale);
    return scale * expm1_small(r) + (scale - 1.0);
}

/* tanh(x) = sign(x) * |e / (e + 2)|, e = expm1(-2|x|): no cancellation near
 * 0, and odd exactly (the sign is x's bit, zeros included), as the
 * odd-network identity needs. */
static inline double
tanh_(double x)
{
    const uint64_t sign = 0x8000000000000000u;
    double a = clamp(from_bits(bits_of(x) & ~sign), 0.0, 40.0); /* tanh(40) = 1 */
    double e = expm1_neg(-2.0 * a);
    double t = e / (e + 2.0); /* <= 0 */
    return from_bits((bits_of(t) & ~sign) | (bits_of(x) & sign));
}

static inline double
expit_(double x)
{
    return 1.0 / (1.0 + exp_(-x));
}

/* log(x) for positive normal x: x = 2^e m with m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh(f), f = (m - 1) / (m + 1), |f| <= 0.172, to f^23. */
static inline double
log_(double x)
{
    uint64_t u = bits_of(x);
    double m = from_bits((u & 0x000fffffffffffffu) | 0x3ff0000000000000u);
    /* the biased exponent as a double, without an int64 -> double conversion */
    double e = from_bits((u >> 52) | bits_of(MAGIC)) - (MAGIC + 1023.0);
    int big = m > 0x1.6a09e667f3bcdp0;
    m = big ? 0.5 * m : m;
    e = big ? e + 1.0 : e;
    double f = (m - 1.0) / (m + 1.0), f2 = f * f;
    double p = 1.0 / 23;
    p = p * f2 + 1.0 / 21;
    p = p * f2 + 1.0 / 19;
    p = p * f2 + 1.0 / 17;
    p = p * f2 + 1.0 / 15;
    p = p * f2 + 1.0 / 13;
    p = p * f2 + 1.0 / 11;
    p = p * f2 + 1.0 / 9;
    p = p * f2 + 1.0 / 7;
    p = p * f2 + 1.0 / 5;
    p = p * f2 + 1.0 / 3;
    double s = 2.0 * f;
    return e * LN2_HI + (s + (s * f2 * p + e * LN2_LO));
}

/* log(1 + t) for t >= 0, with the rounding of 1 + t corrected. */
static inline double
log1p_(double t)
{
    double u = 1.0 + t;
    return log_(u) - ((u - 1.0) - t) / u;
}

/* log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)) */
static inline double
softplus_(double x)
{
    double a = x < 0 ? -x : x;
    return (x > 0 ? x : 0.0) + log1p_(exp_(-a));
}

/* ---- the same in float, for float32 data ---------------------------------
 * numpy computes float32 in float32; so do these (computing in double and
 * rounding would halve the vector width and cost conversions). */

static inline uint32_t
bits_of_f(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float
from_bits_f(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

#define MAGIC_F 0x1.8p23f
#define LN2_HI_F 0x1.62ep-1f /* 13 bits: n * LN2_HI_F is exact for |n| < 2^11 */
#define LN2_LO_F 0x1.0bfbe8p-15f
#define LOG2E_F 0x1.715476p0f

/* x = n ln2 + r, |r| <= ln2 / 2, *scale = 2^n, for x in [-87, 88]. */
static inline float
reduce_f(float x, float *scale)
{
    float k = x * LOG2E_F + MAGIC_F;
    uint32_t n = bits_of_f(k) - bits_of_f(MAGIC_F);
    k -= MAGIC_F;
    *scale = from_bits_f((n + 127) << 23);
    return (x - k * LN2_HI_F) - k * LN2_LO_F;
}

/* expm1(r) for |r| <= ln2 / 2: Taylor to r^7 (truncation below 2e-8 r). */
static inline float
expm1_small_f(float r)
{
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    return r + (r * r) * p;
}

static inline float
clamp_f(float x, float lo, float hi)
{
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
}

static inline float
exp_f(float x)
{
    float scale;
    float r = reduce_f(clamp_f(x, -87.0f, 88.0f), &scale);
    float q = expm1_small_f(r);
    return scale + scale * q;
}

static inline float
tanh_f(float x)
{
    const uint32_t sign = 0x80000000u;
    float a = clamp_f(from_bits_f(bits_of_f(x) & ~sign), 0.0f, 10.0f); /* = 1 */
    float scale;
    float r = reduce_f(-2.0f * a, &scale);
    float e = scale * expm1_small_f(r) + (scale - 1.0f);
    float t = e / (e + 2.0f);
    return from_bits_f((bits_of_f(t) & ~sign) | (bits_of_f(x) & sign));
}

static inline float
expit_f(float x)
{
    return 1.0f / (1.0f + exp_f(-x));
}

static inline float
log_f(float x)
{
    uint32_t u = bits_of_f(x);
    float m = from_bits_f((u & 0x007fffffu) | 0x3f800000u);
    float e = from_bits_f((u >> 23) | bits_of_f(MAGIC_F)) - (MAGIC_F + 127.0f);
    int big = m > 0x1.6a09e6p0f;
    m = big ? 0.5f * m : m;
    e = big ? e + 1.0f : e;
    float f = (m - 1.0f) / (m + 1.0f), f2 = f * f;
    float p = 1.0f / 11;
    p = p * f2 + 1.0f / 9;
    p = p * f2 + 1.0f / 7;
    p = p * f2 + 1.0f / 5;
    p = p * f2 + 1.0f / 3;
    float s = 2.0f * f;
    return e * LN2_HI_F + (s + (s * f2 * p + e * LN2_LO_F));
}

static inline float
softplus_f(float x)
{
    float a = x < 0 ? -x : x;
    float t = exp_f(-a), u = 1.0f + t;
    return (x > 0 ? x : 0.0f) + (log_f(u) - ((u - 1.0f) - t) / u);
}

/* ---- the passes, for T = float or double ---------------------------------
 * Sums over samples (the loss, the bias gradients) run in double, in 8
 * partial sums, which the compiler vectorises where one running sum would
 * stay scalar (no reassociation without -ffast-math). */

#define DEFINE_KERNELS(T, SUFFIX, TANH_, EXPIT_, EXP_, LOG_, SOFTPLUS_)        \
    static inline double sum_##SUFFIX(const T *x, Py_ssize_t n)               \
    {                                                                          \
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};                              \
        Py_ssize_t j = 0;                                                      \
        for (; j + 8 <= n; j += 8)                                             \
            for (int l = 0; l < 8; l++)                                        \
                acc[l] += (double)x[j + l];                                    \
        for (; j < n; j++)                                                     \
            acc[0] += (double)x[j];                                            \
        return ((acc[0] + acc[1]) + (acc[2] + acc[3])) +                       \
               ((acc[4] + acc[5]) + (acc[6] + acc[7]));                        \
    }                                                                          \
                                                                               \
    /* Without a bias, add -0.0: x + -0.0 is x for every x, -0.0 included,    \
     * where x + 0.0 would turn -0.0 into +0.0. */                             \
    CLONES static void hidden_##SUFFIX(T *z, const T *b, Py_ssize_t units,     \
                                       Py_ssize_t n, int kind)                 \
    {                                                                          \
        for (Py_ssize_t u = 0; u < units; u++) {                               \
            T *row = z + u * n;                                                \
            const T bu = b != NULL ? b[u] : (T)-0.0;                              \
            if (kind == TANH) {                                                \
                for (Py_ssize_t j = 0; j < n; j++)                             \
                    row[j] = TANH_(row[j] + bu);                               \
            }                                                                  \
            else if (kind == LOGISTIC) {                                       \
                for (Py_ssize_t j = 0; j < n; j++)                             \
                    row[j] = EXPIT_(row[j] + bu);                              \
            }                                                                  \
            else if (kind == RELU) {                                           \
                for (Py_ssize_t j = 0; j < n; j++) {                           \
                    T v = row[j] + bu;                                         \
                    row[j] = v < 0 ? (T)0 : v;                                 \
                }                                                              \
            }                                                                  \
            else if (b != NULL) {                                              \
                for (Py_ssize_t j = 0; j < n; j++)                             \
                    row[j] += bu;                                              \
            }                                                                  \
        }                                                                      \
    }                                                                          \
                                                                               \
    /* delta <- delta * g'(a), one loop per kind so that each vectorises;     \
     * then the row's sum, while it is in L1. */                               \
    CLONES static void backward_##SUFFIX(const T *a, T *delta, T *gb,          \
                                         Py_ssize_t units, Py_ssize_t n,       \
                                         int kind)                             \
    {                                                                          \
        for (Py_ssize_t u = 0; u < units; u++) {                               \
            const T *ar = a + u * n;                                           \
            T *d = delta + u * n;                                              \
            double row_sum = 0.0;                                              \
            for (Py_ssize_t j0 = 0; j0 < n; j0 += 4 * BLOCK) {                 \
                const Py_ssize_t j1 = n - j0 < 4 * BLOCK ? n : j0 + 4 * BLOCK; \
                if (kind == TANH) {                                            \
                    for (Py_ssize_t j = j0; j < j1; j++)                       \
                        d[j] *= (T)1 - ar[j] * ar[j];                          \
                }                                                              \
                else if (kind == LOGISTIC) {                                   \
                    for (Py_ssize_t j = j0; j < j1; j++)                       \
                        d[j] = d[j] * ar[j] * ((T)1 - ar[j]);                  \
                }                                                              \
                else if (kind == RELU) {                                       \
                    for (Py_ssize_t j = j0; j < j1; j++)                       \
                        d[j] = ar[j] <= 0 ? (T)0 : d[j];                       \
                }                                                              \
                if (gb != NULL)                                                \
                    row_sum += sum_##SUFFIX(d + j0, j1 - j0);                  \
            }                                                                  \
            if (gb != NULL)                                                    \
                gb[u] = (T)row_sum;                                            \
        }                                                                      \
    }                                                                          \
                                                                               \
    /* One block of w <= BLOCK samples starting at column j0, softmax output. \
     * Returns the block's sum of sc_i * loss_i; adds the block's delta rows  \
     * to gacc. */                                                             \
    CLONES static double softmax_block_##SUFFIX(                               \
        T *z, const T *y, Py_ssize_t ldy, const T *b, const T *sc,             \
        Py_ssize_t k, Py_ssize_t n, Py_ssize_t j0, Py_ssize_t w, double *gacc) \
    {                                                                          \
        T mx[BLOCK], s[BLOCK], yz[BLOCK];                                      \
        for (Py_ssize_t u = 0; u < k; u++) {                                   \
            T *zr = z + u * n + j0;                                            \
            const T bu = b != NULL ? b[u] : (T)-0.0;                              \
            for (Py_ssize_t j = 0; j < w; j++)                                 \
                zr[j] += bu;                                                   \
        }                                                                      \
        for (Py_ssize_t j = 0; j < w; j++)                                     \
            mx[j] = z[j0 + j];                                                 \
        for (Py_ssize_t u = 1; u < k; u++) {                                   \
            const T *zr = z + u * n + j0;                                      \
            for (Py_ssize_t j = 0; j < w; j++)                                 \
                mx[j] = zr[j] > mx[j] ? zr[j] : mx[j];                         \
        }                                                                      \
        for (Py_ssize_t j = 0; j < w; j++) {                                   \
            s[j] = 0;                                                          \
            yz[j] = 0;                                                         \
        }                                                                      \
        for (Py_ssize_t u = 0; u < k; u++) {                                   \
            T *zr = z + u * n + j0;                                            \
            const T *yr = y + u * ldy + j0;                                    \
            for (Py_ssize_t j = 0; j < w; j++) {                               \
                T t = zr[j] - mx[j];                                           \
                T e = EXP_(t);                                                 \
                yz[j] += yr[j] * t;                                            \
                s[j] += e;                                                     \
                zr[j] = e;                                                     \
            }                                                                  \
        }                                                                      \
        /* -log p_y = log(sum_k exp t_k) - t_y, for one-hot y; then 1 / s,    \
         * so that the probabilities below cost a product, not a quotient */  \
        for (Py_ssize_t j = 0; j < w; j++) {                                   \
            yz[j] = sc[j] * (LOG_(s[j]) - yz[j]);                              \
            s[j] = (T)1 / s[j];                                                \
        }                                                                      \
        for (Py_ssize_t u = 0; u < k; u++) {                                   \
            T *zr = z + u * n + j0;                                            \
            const T *yr = y + u * ldy + j0;                                    \
            for (Py_ssize_t j = 0; j < w; j++)                                 \
                zr[j] = (zr[j] * s[j] - yr[j]) * sc[j];                        \
            gacc[u] += sum_##SUFFIX(zr, w);                                    \
        }                                                                      \
        return sum_##SUFFIX(yz, w);                                            \
    }                                                                          \
                                                                               \
    /* The same for a logistic output (binary and multilabel targets). */     \
    CLONES static double logistic_block_##SUFFIX(                              \
        T *z, const T *y, Py_ssize_t ldy, const T *b, const T *sc,             \
        Py_ssize_t k, Py_ssize_t n, Py_ssize_t j0, Py_ssize_t w, double *gacc) \
    {                                                                          \
        T l[BLOCK];                                                            \
        for (Py_ssize_t j = 0; j < w; j++)                                     \
            l[j] = 0;                                                          \
        for (Py_ssize_t u = 0; u < k; u++) {                                   \
            T *zr = z + u * n + j0;                                            \
            const T *yr = y + u * ldy + j0;                                    \
            const T bu = b != NULL ? b[u] : (T)-0.0;                              \
            for (Py_ssize_t j = 0; j < w; j++) {                               \
                /* -y log p - (1-y) log(1-p) = softplus(v) - y v */            \
                T v = zr[j] + bu;                                              \
                l[j] += SOFTPLUS_(v) - yr[j] * v;                              \
                zr[j] = (EXPIT_(v) - yr[j]) * sc[j];                           \
            }                                                                  \
            gacc[u] += sum_##SUFFIX(zr, w);                                    \
        }                                                                      \
        for (Py_ssize_t j = 0; j < w; j++)                                     \
            l[j] *= sc[j];                                                     \
        return sum_##SUFFIX(l, w);                                             \
    }                                                                          \
                                                                               \
    /* Each sample's share of the mean, w_i / sum(w) or 1 / n, in T. */       \
    static void shares_##SUFFIX(const T *sw, double sw_sum, Py_ssize_t j0,     \
                                Py_ssize_t w, T *sc)                           \
    {                                                                          \
        for (Py_ssize_t j = 0; j < w; j++)                                     \
            sc[j] = sw != NULL ? sw[j0 + j] / (T)sw_sum : (T)(1.0 / sw_sum);   \
    }                                                                          \
                                                                               \
    CLONES static void adam_##SUFFIX(T *p, const T *g, T *m, T *v,             \
                                     Py_ssize_t n, double b1_, double b2_,     \
                                     double lr_, double eps_)                  \
    {                                                                          \
        /* the operations of _optimizers.AdamOptimizer.step, whose Python     \
         * floats numpy rounds to T */                                         \
        const T b1 = (T)b1_, b2 = (T)b2_, c1 = (T)(1 - b1_), c2 = (T)(1 - b2_); \
        const T lr = (T)lr_, eps = (T)eps_;                                    \
        for (Py_ssize_t i = 0; i < n; i++) {                                   \
            T mi = m[i] * b1 + g[i] * c1;                                      \
            T vi = v[i] * b2 + (g[i] * g[i]) * c2;                             \
            m[i] = mi;                                                         \
            v[i] = vi;                                                         \
            p[i] += mi / (T)(SQRT(vi) + eps) * -lr;                            \
        }                                                                      \
    }

#define SQRT(x) (sizeof(x) == 4 ? (float)sqrtf((float)(x)) : sqrt((double)(x)))

DEFINE_KERNELS(double, f64, tanh_, expit_, exp_, log_, softplus_)
DEFINE_KERNELS(float, f32, tanh_f, expit_f, exp_f, log_f, softplus_f)

/* ---- Python wrappers ----------------------------------------------------- */

/* A buffer argument that may be None (no bias, no sample weights). */
static int
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

static void
release(Py_buffer *view)
{
    if (view->obj != NULL) {
        PyBuffer_Release(view);
    }
}

static const char *
check_sizes(Py_ssize_t rows, Py_ssize_t n, Py_ssize_t itemsize)
{
    if (itemsize != 4 && itemsize != 8) {
        return "itemsize must be 4 (float32) or 8 (float64)";
    }
    if (rows < 0 || n < 0 || (rows > 0 && n > PY_SSIZE_T_MAX / 8 / rows)) {
        return "the shapes must be non-negative and not too large";
    }
    return NULL;
}

static PyObject *
finish(const char *problem)
{
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        return NULL;
    }
    Py_RETURN_NONE;
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
    const char *problem = check_sizes(units, n, itemsize);
    if (problem == NULL && (kind < IDENTITY || kind > RELU)) {
        problem = "unknown activation";
    }
    if (problem == NULL &&
        (z.len != units * n * itemsize || (b.buf && b.len != units * itemsize))) {
        problem = "buffer sizes do not match the shapes";
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            hidden_f64(z.buf, b.buf, units, n, kind);
        else
            hidden_f32(z.buf, b.buf, units, n, kind);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&z);
    release(&b);
    return finish(problem);
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
        PyBuffer_Release(&a);
        PyBuffer_Release(&d);
        return NULL;
    }
    const char *problem = check_sizes(units, n, itemsize);
    if (problem == NULL && (kind < IDENTITY || kind > RELU)) {
        problem = "unknown activation";
    }
    if (problem == NULL &&
        (a.len != units * n * itemsize || d.len != units * n * itemsize ||
         (gb.buf && gb.len != units * itemsize))) {
        problem = "buffer sizes do not match the shapes";
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            backward_f64(a.buf, d.buf, gb.buf, units, n, kind);
        else
            backward_f32(a.buf, d.buf, gb.buf, units, n, kind);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&a);
    PyBuffer_Release(&d);
    release(&gb);
    return finish(problem);
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
        PyBuffer_Release(&z);
        PyBuffer_Release(&y);
        release(&b);
        release(&sw);
        return NULL;
    }
    const char *problem = check_sizes(k, n, itemsize);
    if (problem == NULL && (k < 1 || ldy < n || ldy > PY_SSIZE_T_MAX / 8 / k)) {
        problem = "need at least one output and ldy >= n";
    }
    if (problem == NULL &&
        (z.len != k * n * itemsize ||
         (k > 0 && n > 0 && y.len < ((k - 1) * ldy + n) * itemsize) ||
         (b.buf && b.len != k * itemsize) || (sw.buf && sw.len != n * itemsize) ||
         (gb.buf && gb.len != k * itemsize))) {
        problem = "buffer sizes do not match the shapes";
    }
    double loss = 0.0;
    double *gacc = NULL;
    if (problem == NULL) {
        gacc = PyMem_Calloc(k, sizeof(double));
        if (gacc == NULL) {
            PyErr_NoMemory();
        }
    }
    if (gacc != NULL) {
        Py_BEGIN_ALLOW_THREADS
        double sc64[BLOCK];
        float sc32[BLOCK];
        for (Py_ssize_t j0 = 0; j0 < n; j0 += BLOCK) {
            Py_ssize_t w = n - j0 < BLOCK ? n - j0 : BLOCK;
            if (itemsize == 8) {
                shares_f64(sw.buf, sw_sum, j0, w, sc64);
                loss += (softmax ? softmax_block_f64 : logistic_block_f64)(
                    z.buf, y.buf, ldy, b.buf, sc64, k, n, j0, w, gacc);
            }
            else {
                shares_f32(sw.buf, sw_sum, j0, w, sc32);
                loss += (softmax ? softmax_block_f32 : logistic_block_f32)(
                    z.buf, y.buf, ldy, b.buf, sc32, k, n, j0, w, gacc);
            }
        }
        for (Py_ssize_t u = 0; gb.buf != NULL && u < k; u++) {
            if (itemsize == 8)
                ((double *)gb.buf)[u] = gacc[u];
            else
                ((float *)gb.buf)[u] = (float)gacc[u];
        }
        Py_END_ALLOW_THREADS
    }
    PyMem_Free(gacc);
    PyBuffer_Release(&z);
    PyBuffer_Release(&y);
    release(&b);
    release(&sw);
    release(&gb);
    if (problem != NULL || gacc == NULL) {
        return problem != NULL ? finish(problem) : NULL;
    }
    return PyFloat_FromDouble(loss);
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
    if (problem == NULL && (p.len != n * itemsize || g.len != n * itemsize ||
                            m.len != n * itemsize || v.len != n * itemsize)) {
        problem = "buffer sizes do not match the shapes";
    }
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8)
            adam_f64(p.buf, g.buf, m.buf, v.buf, n, b1, b2, lr, eps);
        else
            adam_f32(p.buf, g.buf, m.buf, v.buf, n, b1, b2, lr, eps);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&p);
    PyBuffer_Release(&g);
    PyBuffer_Release(&m);
    PyBuffer_Release(&v);
    return finish(problem);
}

static PyMethodDef methods[] = {
    {"hidden", hidden, METH_VARARGS,
     "hidden(z, bias, units, n, itemsize, kind) -> None\n\n"
     "z[u, :] <- g(z[u, :] + bias[u]) in place for a C-ordered (units, n)\n"
     "float32/float64 buffer; bias may be None. kind: 0 identity, 1 tanh,\n"
     "2 logistic, 3 relu."},
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

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_mlp_kernels",
    "Compiled element-wise passes of BiaslessMLPClassifier's training.", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__mlp_kernels(void)
{
    return PyModule_Create(&module);
}
