/*
 * The products kernel for one element type (see dtype.h); _products.c
 * includes it for float and for double. Each function does one segment of
 * one row, or all rows; see _products.c for the plan of segments.
 */

/* d[i] = row[i] * row[p[i]] for i in [start, n), accumulating `bad`. */
static inline int
FN(scalar_products)(const T *row, const uint32_t *p, T *d, Py_ssize_t start,
                    Py_ssize_t n, int bad)
{
    for (Py_ssize_t i = start; i < n; i++) {
        d[i] = row[i] * row[p[i]];
        bad |= NONFINITE(d + i);
    }
    return bad;
}

/* A segment whose partners are mostly a fixed step ahead. */
static int
FN(step)(const T *row, const uint32_t *p, T *d, Py_ssize_t n,
         const segment_plan *plan)
{
    const Py_ssize_t step = plan->step;
    Py_ssize_t i = 0;
    int bad = 0;
#ifdef HAVE_SSE2
    const V zero = V_ZERO();
    V acc = zero;
    for (; i + V_LANES <= n - step; i += V_LANES) {
        V v = V_MUL(V_LOADU(row + i), V_LOADU(row + i + step));
        acc = V_OR(acc, V_MUL(v, zero));
        V_STOREU(d + i, v);
    }
    bad = V_NONZERO_PAST_SIGN(acc);
#endif
    for (; i < n - step; i++) {
        d[i] = row[i] * row[i + step];
        bad |= NONFINITE(d + i);
    }
    /* The loops above also formed products at the exceptions that lie below
     * n - step; those may overflow where the true ones do not, which only
     * makes the caller re-check exactly. */
    for (Py_ssize_t e = 0; e < plan->n_except; e++) {
        const uint32_t k = plan->except[e];
        d[k] = row[k] * row[p[k]];
        bad |= NONFINITE(d + k);
    }
    return !bad;
}

/* Any other segment: a gather, indices read two per 64-bit load. */
static int
FN(gather)(const T *row, const uint32_t *p, T *d, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    int bad = 0;
#ifdef HAVE_SSE2
    const V zero = V_ZERO();
    V acc = zero;
    GATHER_VECTORS(V, row, p, d, i, n, acc, zero);
    bad = V_NONZERO_PAST_SIGN(acc);
#endif
    return !FN(scalar_products)(row, p, d, i, n, bad);
}

#ifdef HAVE_AVX2_DISPATCH
/* The same gather with AVX2 vectors. */
AVX2 static int
FN(gather_avx2)(const T *row, const uint32_t *p, T *d, Py_ssize_t n)
{
    const W zero = W_ZERO();
    W acc = zero;
    Py_ssize_t i = 0;
    GATHER_VECTORS(W, row, p, d, i, n, acc, zero);
    V folded = W_FOLD(acc);
    int bad = V_NONZERO_PAST_SIGN(folded);
    return !FN(scalar_products)(row, p, d, i, n, bad);
}
#endif

/* All rows; returns whether every product is finite. */
static int
FN(rows)(const T *x, const uint32_t *partners, T *out, Py_ssize_t n_rows,
         Py_ssize_t n_cols, Py_ssize_t n_out, const segment_plan *plans,
         int any_gather, int avx2)
{
    int (*gather)(const T *, const uint32_t *, T *, Py_ssize_t) = FN(gather);
    (void)avx2; /* unused without AVX2 dispatch */
#ifdef HAVE_AVX2_DISPATCH
    if (avx2 && cpu_avx2) {
        gather = FN(gather_avx2);
    }
#endif
    const Py_ssize_t n_segments = n_out / n_cols;
    int finite = 1;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        const T *row = x + r * n_cols;
        T *dst = out + r * n_out;
        if (any_gather && r + PREFETCH_AHEAD < n_rows) {
            const char *ahead = (const char *)(row + PREFETCH_AHEAD * n_cols);
            for (Py_ssize_t b = 0; b < n_cols * (Py_ssize_t)sizeof(T); b += 64) {
                PREFETCH(ahead + b);
            }
        }
        for (Py_ssize_t s = 0; s < n_segments; s++) {
            const uint32_t *p = partners + s * n_cols;
            T *d = dst + s * n_cols;
            finite &= plans[s].step >= 0 ? FN(step)(row, p, d, n_cols, plans + s)
                                         : gather(row, p, d, n_cols);
        }
    }
    return finite;
}
