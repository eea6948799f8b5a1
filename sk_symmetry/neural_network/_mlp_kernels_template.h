/*
 * The passes of _mlp_kernels.c for one element type (see dtype.h):
 * _mlp_kernels.c includes this for double and for float; the constants and
 * polynomial coefficients of each type (MAGIC, EXPM1_COEFFS, ...) are in
 * dtype.h. float32 is computed in float, as numpy does.
 */

static const T FN(expm1_coeffs)[] = EXPM1_COEFFS;
static const T FN(atanh_coeffs)[] = ATANH_COEFFS;

/* ---- bit-level helpers (vectorise: bit casts, integer adds and shifts) --- */

static inline UINT
FN(bits_of)(T x)
{
    UINT u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline T
FN(from_bits)(UINT u)
{
    T x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* c[0] x^(n-1) + c[1] x^(n-2) + ... + c[n-1] by Horner's rule, for a
 * constant array c (the loop is unrolled, the coefficients folded in). */
static inline T
FN(horner)(const T *c, int n, T x)
{
    T p = c[0];
    for (int k = 1; k < n; k++) {
        p = p * x + c[k];
    }
    return p;
}
#define HORNER(c, x) FN(horner)(c, (int)(sizeof(c) / sizeof((c)[0])), x)

static inline T
FN(expm1_small)(T r)
{
    T p = HORNER(FN(expm1_coeffs), r);
    return r + (r * r) * p;
}

/* x = n ln2 + r with |r| <= ln2 / 2; returns r and sets *scale = 2^n, for
 * x in [EXP_MIN, EXP_MAX] (so that 2^n is a normal number). */
static inline T
FN(reduce)(T x, T *scale)
{
    T k = x * LOG2E + MAGIC;
    UINT n = FN(bits_of)(k) - FN(bits_of)(MAGIC); /* two's complement n */
    k -= MAGIC;
    *scale = FN(from_bits)((n + EXPONENT_BIAS) << MANTISSA_BITS);
    return (x - k * LN2_HI) - k * LN2_LO;
}

static inline T
FN(clamp)(T x, T lo, T hi)
{
    x = x < lo ? lo : x; /* NaN stays NaN */
    return x > hi ? hi : x;
}

/* exp(x); see the header of _mlp_kernels.c for x outside the range. */
static inline T
FN(fast_exp)(T x)
{
    T scale;
    T r = FN(reduce)(FN(clamp)(x, EXP_MIN, EXP_MAX), &scale);
    T q = FN(expm1_small)(r);
    return scale + scale * q;
}

/* expm1(y) for y <= 0: 2^n expm1(r) + (2^n - 1), where 2^n - 1 is exact
 * for the n that matter and dominates otherwise. */
static inline T
FN(expm1_neg)(T y)
{
    T scale;
    T r = FN(reduce)(y < EXP_MIN ? EXP_MIN : y, &scale);
    return scale * FN(expm1_small)(r) + (scale - (T)1);
}

/* tanh(x) = sign(x) * |e / (e + 2)|, e = expm1(-2|x|): no cancellation near
 * 0, and odd exactly (the sign is x's bit, zeros included), as the
 * odd-network identity needs. tanh(TANH_MAX) rounds to 1. */
static inline T
FN(fast_tanh)(T x)
{
    const UINT sign = (UINT)1 << SIGN_SHIFT;
    T a = FN(clamp)(FN(from_bits)(FN(bits_of)(x) & ~sign), (T)0, TANH_MAX);
    T e = FN(expm1_neg)((T)-2 * a);
    T t = e / (e + (T)2); /* <= 0 */
    return FN(from_bits)((FN(bits_of)(t) & ~sign) | (FN(bits_of)(x) & sign));
}

static inline T
FN(fast_expit)(T x)
{
    return (T)1 / ((T)1 + FN(fast_exp)(-x));
}

/* log(x) for positive normal x: x = 2^e m with m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh(f), f = (m - 1) / (m + 1), |f| <= 0.172. */
static inline T
FN(fast_log)(T x)
{
    const UINT mantissa = ((UINT)1 << MANTISSA_BITS) - 1;
    UINT u = FN(bits_of)(x);
    T m = FN(from_bits)((u & mantissa) | ((UINT)EXPONENT_BIAS << MANTISSA_BITS));
    /* the biased exponent as a T, without an integer -> T conversion */
    T e = FN(from_bits)((u >> MANTISSA_BITS) | FN(bits_of)(MAGIC)) -
          (MAGIC + (T)EXPONENT_BIAS);
    int big = m > SQRT2;
    m = big ? (T)0.5 * m : m;
    e = big ? e + (T)1 : e;
    T f = (m - (T)1) / (m + (T)1), f2 = f * f;
    T p = HORNER(FN(atanh_coeffs), f2);
    T s = (T)2 * f;
    return e * LN2_HI + (s + (s * f2 * p + e * LN2_LO));
}

/* log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), log1p(t) = log(u) with
 * the rounding of u = 1 + t corrected. */
static inline T
FN(fast_softplus)(T x)
{
    T a = x < 0 ? -x : x;
    T t = FN(fast_exp)(-a), u = (T)1 + t;
    return (x > 0 ? x : (T)0) + (FN(fast_log)(u) - ((u - (T)1) - t) / u);
}

/* ---- the passes ----------------------------------------------------------
 * Sums over samples (the loss, the bias gradients) run in double, in 8
 * partial sums, which the compiler vectorises where one running sum would
 * stay scalar (no reassociation without -ffast-math). */

static inline double FN(sum)(const T *x, Py_ssize_t n)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    Py_ssize_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++)
            acc[l] += (double)x[j + l];
    for (; j < n; j++)
        acc[0] += (double)x[j];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
           ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Without a bias, add -0.0: x + -0.0 is x for every x, -0.0 included,
 * where x + 0.0 would turn -0.0 into +0.0. */
LEVEL static void FN(hidden)(T *z, const T *b, Py_ssize_t units,
                                   Py_ssize_t n, int kind)
{
    for (Py_ssize_t u = 0; u < units; u++) {
        T *row = z + u * n;
        const T bu = b != NULL ? b[u] : (T)-0.0;
        if (kind == TANH) {
            for (Py_ssize_t j = 0; j < n; j++)
                row[j] = FN(fast_tanh)(row[j] + bu);
        }
        else if (kind == LOGISTIC) {
            for (Py_ssize_t j = 0; j < n; j++)
                row[j] = FN(fast_expit)(row[j] + bu);
        }
        else if (kind == RELU) {
            for (Py_ssize_t j = 0; j < n; j++) {
                T v = row[j] + bu;
                row[j] = v < 0 ? (T)0 : v;
            }
        }
        else if (b != NULL) {
            for (Py_ssize_t j = 0; j < n; j++)
                row[j] += bu;
        }
    }
}

/* delta <- delta * g'(a), one loop per kind so that each vectorises;
 * then the row's sum, while it is in L1. */
LEVEL static void FN(backward)(const T *a, T *delta, T *gb,
                                     Py_ssize_t units, Py_ssize_t n,
                                     int kind)
{
    for (Py_ssize_t u = 0; u < units; u++) {
        const T *ar = a + u * n;
        T *d = delta + u * n;
        double row_sum = 0.0;
        for (Py_ssize_t j0 = 0; j0 < n; j0 += 4 * BLOCK) {
            const Py_ssize_t j1 = n - j0 < 4 * BLOCK ? n : j0 + 4 * BLOCK;
            if (kind == TANH) {
                for (Py_ssize_t j = j0; j < j1; j++)
                    d[j] *= (T)1 - ar[j] * ar[j];
            }
            else if (kind == LOGISTIC) {
                for (Py_ssize_t j = j0; j < j1; j++)
                    d[j] = d[j] * ar[j] * ((T)1 - ar[j]);
            }
            else if (kind == RELU) {
                for (Py_ssize_t j = j0; j < j1; j++)
                    d[j] = ar[j] <= 0 ? (T)0 : d[j];
            }
            if (gb != NULL)
                row_sum += FN(sum)(d + j0, j1 - j0);
        }
        if (gb != NULL)
            gb[u] = (T)row_sum;
    }
}

/* One block of w <= BLOCK samples starting at column j0, softmax output.
 * Returns the block's sum of sc_i * loss_i; adds the block's delta rows
 * to gacc. */
LEVEL static double FN(softmax_block)(
    T *z, const T *y, Py_ssize_t ldy, const T *b, const T *sc,
    Py_ssize_t k, Py_ssize_t n, Py_ssize_t j0, Py_ssize_t w, double *gacc)
{
    T mx[BLOCK], s[BLOCK], yz[BLOCK];
    for (Py_ssize_t u = 0; u < k; u++) {
        T *zr = z + u * n + j0;
        const T bu = b != NULL ? b[u] : (T)-0.0;
        for (Py_ssize_t j = 0; j < w; j++)
            zr[j] += bu;
    }
    for (Py_ssize_t j = 0; j < w; j++)
        mx[j] = z[j0 + j];
    for (Py_ssize_t u = 1; u < k; u++) {
        const T *zr = z + u * n + j0;
        for (Py_ssize_t j = 0; j < w; j++)
            mx[j] = zr[j] > mx[j] ? zr[j] : mx[j];
    }
    for (Py_ssize_t j = 0; j < w; j++) {
        s[j] = 0;
        yz[j] = 0;
    }
    for (Py_ssize_t u = 0; u < k; u++) {
        T *zr = z + u * n + j0;
        const T *yr = y + u * ldy + j0;
        for (Py_ssize_t j = 0; j < w; j++) {
            T t = zr[j] - mx[j];
            T e = FN(fast_exp)(t);
            yz[j] += yr[j] * t;
            s[j] += e;
            zr[j] = e;
        }
    }
    /* -log p_y = log(sum_k exp t_k) - t_y, for one-hot y; then 1 / s,
     * so that the probabilities below cost a product, not a quotient */
    for (Py_ssize_t j = 0; j < w; j++) {
        yz[j] = sc[j] * (FN(fast_log)(s[j]) - yz[j]);
        s[j] = (T)1 / s[j];
    }
    for (Py_ssize_t u = 0; u < k; u++) {
        T *zr = z + u * n + j0;
        const T *yr = y + u * ldy + j0;
        for (Py_ssize_t j = 0; j < w; j++)
            zr[j] = (zr[j] * s[j] - yr[j]) * sc[j];
        gacc[u] += FN(sum)(zr, w);
    }
    return FN(sum)(yz, w);
}

/* The same for a logistic output (binary and multilabel targets). */
LEVEL static double FN(logistic_block)(
    T *z, const T *y, Py_ssize_t ldy, const T *b, const T *sc,
    Py_ssize_t k, Py_ssize_t n, Py_ssize_t j0, Py_ssize_t w, double *gacc)
{
    T l[BLOCK];
    for (Py_ssize_t j = 0; j < w; j++)
        l[j] = 0;
    for (Py_ssize_t u = 0; u < k; u++) {
        T *zr = z + u * n + j0;
        const T *yr = y + u * ldy + j0;
        const T bu = b != NULL ? b[u] : (T)-0.0;
        for (Py_ssize_t j = 0; j < w; j++) {
            /* -y log p - (1-y) log(1-p) = softplus(v) - y v */
            T v = zr[j] + bu;
            l[j] += FN(fast_softplus)(v) - yr[j] * v;
            zr[j] = (FN(fast_expit)(v) - yr[j]) * sc[j];
        }
        gacc[u] += FN(sum)(zr, w);
    }
    for (Py_ssize_t j = 0; j < w; j++)
        l[j] *= sc[j];
    return FN(sum)(l, w);
}

/* Each sample's share of the mean, w_i / sum(w) or 1 / n, in T. */
static void FN(shares)(const T *sw, double sw_sum, Py_ssize_t j0,
                            Py_ssize_t w, T *sc)
{
    for (Py_ssize_t j = 0; j < w; j++)
        sc[j] = sw != NULL ? sw[j0 + j] / (T)sw_sum : (T)(1.0 / sw_sum);
}

LEVEL static void FN(adam)(T *p, const T *g, T *m, T *v,
                                 Py_ssize_t n, double b1_, double b2_,
                                 double lr_, double eps_)
{
    /* the operations of _optimizers.AdamOptimizer.step, whose Python
     * floats numpy rounds to T */
    const T b1 = (T)b1_, b2 = (T)b2_, c1 = (T)(1 - b1_), c2 = (T)(1 - b2_);
    const T lr = (T)lr_, eps = (T)eps_;
    for (Py_ssize_t i = 0; i < n; i++) {
        T mi = m[i] * b1 + g[i] * c1;
        T vi = v[i] * b2 + (g[i] * g[i]) * c2;
        m[i] = mi;
        v[i] = vi;
        p[i] += mi / (T)(SQRT(vi) + eps) * -lr;
    }
}

/* The output pass over all blocks of BLOCK samples: returns the loss; gb (or
 * NULL) gets the bias gradient. */
static double
FN(output_pass)(T *z, const T *y, Py_ssize_t ldy, const T *b, const T *sw,
                double sw_sum, T *gb, Py_ssize_t k, Py_ssize_t n, int softmax,
                double *gacc)
{
    T sc[BLOCK];
    double loss = 0.0;
    for (Py_ssize_t j0 = 0; j0 < n; j0 += BLOCK) {
        Py_ssize_t w = n - j0 < BLOCK ? n - j0 : BLOCK;
        FN(shares)(sw, sw_sum, j0, w, sc);
        loss += (softmax ? FN(softmax_block) : FN(logistic_block))(
            z, y, ldy, b, sc, k, n, j0, w, gacc);
    }
    for (Py_ssize_t u = 0; gb != NULL && u < k; u++) {
        gb[u] = (T)gacc[u];
    }
    return loss;
}
