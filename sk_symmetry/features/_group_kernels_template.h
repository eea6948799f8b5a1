/*
 * The kernels of _group_kernels.c for one element type (see dtype.h):
 * _group_kernels.c includes this once for float and once for double, after
 * the type-independent definitions it uses (run, canonical_plan_t,
 * orbit_group, CE_V, CE_W) and the transposes of AVX2 tiles (tile_avx2_*).
 * Its header says why each step is numpy's operation, in numpy's order.
 */

/* ---- canonical form ------------------------------------------------------ */

/* Runs that make tiles: V_LANES runs of one step and length whose sources
 * are consecutive (+-1) and destinations adjacent, as a transposed image's
 * tiles are, each loaded as V_LANES vectors and transposed in registers,
 * the same value * sign + 0 per element. Returns whether the runs at u fit
 * this pattern (and were copied). Only where dtype.h has V_TRANSPOSE (4 x 4
 * float32 tiles): the float64 canonical form is fast enough without. */
#ifdef V_TRANSPOSE
static int
FN(tile_runs)(const T *row, const run *u, const run *last, T *d)
{
    if (last - u < V_LANES || u->length < V_LANES || u->step == 1 ||
        u->step == -1) {
        return 0;
    }
    const int32_t delta = u[1].src - u[0].src;
    if (delta != 1 && delta != -1) {
        return 0;
    }
    for (int i = 1; i < V_LANES; i++) {
        if (u[i].length != u->length || u[i].step != u->step ||
            u[i].negative != u->negative || u[i].src != u->src + i * delta ||
            u[i].dst != u->dst + i * u->length) {
            return 0;
        }
    }
    const Py_ssize_t step = u->step, length = u->length;
    const T sign = u->negative ? (T)-1 : (T)1;
    const V vsign = V_SET1(sign), zero = V_ZERO();
    Py_ssize_t j = 0;
    for (; j + V_LANES <= length; j += V_LANES) {
        V v[V_LANES];
        for (int k = 0; k < V_LANES; k++) {
            const T *at = row + u->src + step * (j + k);
            v[k] = delta == 1 ? V_LOADU(at) : V_REVERSE(V_LOADU(at - (V_LANES - 1)));
        }
        V_TRANSPOSE(v);
        for (int i = 0; i < V_LANES; i++) {
            V_STOREU(d + u[i].dst + j, V_ADD(V_MUL(v[i], vsign), zero));
        }
    }
    for (; j < length; j++) {
        for (int i = 0; i < V_LANES; i++) {
            d[u[i].dst + j] = row[u[i].src + step * j] * sign + (T)0;
        }
    }
    return 1;
}
#else
static inline int
FN(tile_runs)(const T *row, const run *u, const run *last, T *d)
{
    return 0;
}
#endif

/* The eight partial sums of a block of numpy's pairwise sum (below):
 * r[j] = |a[j]| + |a[j + 8]| + ... over a[0 .. end), end a multiple of 8. */
static void
FN(block_sums)(const T *a, Py_ssize_t end, T *r)
{
    for (int j = 0; j < 8; j++) {
        r[j] = ABS(a[j]);
    }
    for (Py_ssize_t i = 8; i < end; i += 8) {
        for (int j = 0; j < 8; j++) {
            r[j] += ABS(a[i + j]);
        }
    }
}

#ifdef HAVE_AVX2_DISPATCH
/* The same with r in AVX2 vectors (W_LANES partial sums per vector): lane
 * by lane the same additions in the same order, and |a[i]| as the sign bit
 * cleared, as fabs does, so the same bits. */
AVX2 static void
FN(block_sums_avx2)(const T *a, Py_ssize_t end, T *r)
{
    const W sign = W_SIGN;
    W v[8 / W_LANES];
    for (int k = 0; k < 8 / W_LANES; k++) {
        v[k] = W_ANDNOT(sign, W_LOADU(a + k * W_LANES));
    }
    for (Py_ssize_t i = 8; i < end; i += 8) {
        for (int k = 0; k < 8 / W_LANES; k++) {
            v[k] = W_ADD(v[k], W_ANDNOT(sign, W_LOADU(a + i + k * W_LANES)));
        }
    }
    for (int k = 0; k < 8 / W_LANES; k++) {
        W_STOREU(r + k * W_LANES, v[k]);
    }
}
#endif

/* numpy's pairwise sum of |a[i]| (numpy/_core/src/umath/loops_utils.h.src:
 * eight accumulators over blocks of at most 128 values, halving above that),
 * the accumulators in AVX2 vectors if avx2 (which the CPU must have).
 * numpy's reduction adds this to its initial value 0, which changes nothing
 * for a sum of absolute values. */
static T
FN(pairwise_abs)(const T *a, Py_ssize_t n, int avx2)
{
    if (n < 8) {
        T res = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            res += ABS(a[i]);
        }
        return res;
    }
    if (n <= 128) {
        T r[8];
        Py_ssize_t i = n - (n % 8);
#ifdef HAVE_AVX2_DISPATCH
        if (avx2) {
            FN(block_sums_avx2)(a, i, r);
        }
        else
#endif
        {
            FN(block_sums)(a, i, r);
        }
        T res = ((r[0] + r[1]) + (r[2] + r[3])) +
                ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) {
            res += ABS(a[i]);
        }
        return res;
    }
    Py_ssize_t n2 = n / 2;
    n2 -= n2 % 8;
    return FN(pairwise_abs)(a, n2, avx2) + FN(pairwise_abs)(a + n2, n - n2, avx2);
}

/* max(high, |a[i]|) for i < n: only for the rare rows whose sum |a[i]|
 * exceeds the caller's limit (see canonical_rows), so a plain loop. */
static T
FN(peak_abs)(const T *a, Py_ssize_t n, T high)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        const T v = ABS(a[i]);
        high = v > high ? v : high;
    }
    return high;
}

/* Whether the image coded by a is lexicographically greater than that coded
 * by b: at the first position where they differ (as numbers: -0.0 == 0.0),
 * a's value is the larger. */
static int
FN(greater)(const T *row, const uint32_t *a, const uint32_t *b, Py_ssize_t n)
{
    for (Py_ssize_t j = 0; j < n; j++) {
        const T va = (a[j] >> 31) ? -row[a[j] & INDEX_MASK]
                                  : row[a[j] & INDEX_MASK];
        const T vb = (b[j] >> 31) ? -row[b[j] & INDEX_MASK]
                                  : row[b[j] & INDEX_MASK];
        if (va != vb) {
            return va > vb;
        }
    }
    return 0;
}

/* For each row: best[r] is the chosen element, or -1 when a score or the
 * threshold is not finite (an overflow numpy settles its own way), in which
 * case out's row is left for the caller. Returns the number of flagged rows.
 * The comparisons are numpy's: argmax keeps the first maximum, a near-tie is
 * a second score >= top - slack * sum|x| (all in T), settled as
 * _lexicographic_best does. *peak is max |x| over the rows whose sum |x|
 * (the margin's, which is never below the row's largest |x|: rounding a sum
 * of non-negative values up or down keeps it at or above each term) exceeds
 * limit, else 0: whenever some |x| exceeds limit, it is max |x| over all the
 * rows (meaningful when no row is flagged: a NaN or infinity flags its row).
 * The caller's range check needs no more, and the common rows cost one
 * comparison instead of a pass of their own. */
static Py_ssize_t
FN(canonical_rows)(const T *x, const T *scores, const canonical_plan_t *plan,
                   T *out, int32_t *best, T *peak, Py_ssize_t n_rows, T slack,
                   T limit, int avx2)
{
#ifdef HAVE_AVX2_DISPATCH
    avx2 = avx2 && cpu_avx2;
#else
    avx2 = 0;
#endif
    const Py_ssize_t n_cols = plan->n_cols, n_elements = plan->n_elements;
    const uint32_t *codes = plan->codes;
    const int8_t *uniform = plan->uniform;
    const run *runs = plan->runs;
    const Py_ssize_t *run_start = plan->run_start;
    Py_ssize_t n_flagged = 0;
    T high = 0;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        const T *row = x + r * n_cols;
        const T *s = scores + r * n_elements;
        Py_ssize_t b = 0;
        T top = s[0];
        int finite = isfinite(top);
        for (Py_ssize_t g = 1; g < n_elements; g++) {
            finite &= isfinite(s[g]) != 0;
            if (s[g] > top) {
                top = s[g];
                b = g;
            }
        }
        const T total = FN(pairwise_abs)(row, n_cols, avx2);
        if (total > limit) {
            high = FN(peak_abs)(row, n_cols, high);
        }
        const T margin = slack * total;
        const T threshold = top - margin;
        Py_ssize_t count = 0;
        for (Py_ssize_t g = 0; g < n_elements; g++) {
            count += s[g] >= threshold;
        }
        if (!finite || !isfinite(threshold)) {
            best[r] = -1;
            n_flagged++;
            continue;
        }
        if (count > 1) {
            /* Near-tie: of the images scoring >= threshold, in order, */
            /* keep the first lexicographically largest.               */
            b = -1;
            for (Py_ssize_t g = 0; g < n_elements; g++) {
                if (s[g] >= threshold &&
                    (b < 0 || FN(greater)(row, codes + g * n_cols,
                                      codes + b * n_cols, n_cols))) {
                    b = g;
                }
            }
        }
        best[r] = (int32_t)b;
        const uint32_t *c = codes + b * n_cols;
        T *restrict d = out + r * n_cols;
        if (run_start[b + 1] - run_start[b] <= n_cols / 8) {
            /* long runs of evenly spaced sources, no codes to load */
            const run *last = runs + run_start[b + 1];
            for (const run *u = runs + run_start[b]; u < last; u++) {
                if (FN(tile_runs)(row, u, last, d)) {
                    u += 3;
                    continue;
                }
                const T *restrict src = row + u->src;
                T *restrict dst = d + u->dst;
                const T sign = u->negative ? (T)-1 : (T)1;
                const Py_ssize_t step = u->step;
                if (step == 1) {
                    for (Py_ssize_t j = 0; j < u->length; j++) {
                        dst[j] = src[j] * sign + (T)0;
                    }
                }
                else if (step == -1) {
                    for (Py_ssize_t j = 0; j < u->length; j++) {
                        dst[j] = src[-j] * sign + (T)0;
                    }
                }
                else {
                    for (Py_ssize_t j = 0; j < u->length; j++) {
                        dst[j] = src[j * step] * sign + (T)0;
                    }
                }
            }
            continue;
        }
        if (uniform[b] >= 0) {
            /* one sign for the whole image (rotations, inversion): a */
            /* plain gather, then sign and zeros in one vector pass   */
            for (Py_ssize_t j = 0; j < n_cols; j++) {
                d[j] = row[c[j] & INDEX_MASK];
            }
            const T sign = uniform[b] ? (T)-1 : (T)1;
            for (Py_ssize_t j = 0; j < n_cols; j++) {
                d[j] = d[j] * sign + (T)0; /* -0.0 becomes 0.0 */
            }
            continue;
        }
        for (Py_ssize_t j = 0; j < n_cols; j++) {
            /* sign * x[perm] as a flip of the sign bit: the same bits */
            T v = row[c[j] & INDEX_MASK];
            UINT bits;
            memcpy(&bits, &v, sizeof bits);
            bits ^= (UINT)(c[j] >> 31) << SIGN_SHIFT;
            memcpy(&v, &bits, sizeof v);
            d[j] = v + (T)0; /* -0.0 becomes 0.0 */
        }
    }
    *peak = high;
    return n_flagged;
}

/* ---- orbit averages ------------------------------------------------------ */

typedef void (*FN(sort_sum_fn))(T *, Py_ssize_t, T *);

#ifdef HAVE_SSE2
/* The register sorts and sums of orbits of 2, 4 and 8 terms (size), V_LANES
 * orbits at a time; inlined into one function per size below. */
static inline void
FN(sort_sum_sse2)(T *buf, Py_ssize_t stride, T *sums, const Py_ssize_t size)
{
    const V divisor = V_SET1((T)size), zero = V_ZERO();
    for (Py_ssize_t o = 0; o < stride; o += V_LANES) {
        V total, v0 = zero, v1 = zero, v2 = zero, v3 = zero;
        V v4 = zero, v5 = zero, v6 = zero, v7 = zero;
        V *vs[8] = {&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7};
        for (Py_ssize_t t = 0; t < size; t++) {
            *vs[t] = V_LOADU(buf + t * stride + o);
        }
        SORTED_SUM(CE_V, V_ADD, size, total, v0, v1, v2, v3, v4, v5, v6, v7);
        V_STOREU(sums + o, V_ADD(V_DIV(total, divisor), zero));
    }
}
static void
FN(sort_sum2_sse2)(T *buf, Py_ssize_t stride, T *sums)
{
    FN(sort_sum_sse2)(buf, stride, sums, 2);
}
static void
FN(sort_sum4_sse2)(T *buf, Py_ssize_t stride, T *sums)
{
    FN(sort_sum_sse2)(buf, stride, sums, 4);
}
static void
FN(sort_sum8_sse2)(T *buf, Py_ssize_t stride, T *sums)
{
    FN(sort_sum_sse2)(buf, stride, sums, 8);
}
#endif

/* The product table of a row: x[i] * x[i + d] for every step d, one after
 * the other. Contiguous multiplies, which the compiler vectorises. */
static void
FN(products)(const T *row, const int64_t *steps, Py_ssize_t n_steps,
             Py_ssize_t n_cols, T *restrict table)
{
    for (Py_ssize_t s = 0; s < n_steps; s++) {
        const Py_ssize_t d = steps[s];
        for (Py_ssize_t i = 0; i < n_cols - d; i++) {
            table[i] = row[i] * row[i + d];
        }
        table += n_cols - d;
    }
}

typedef void (*FN(products_fn))(const T *, const int64_t *, Py_ssize_t, Py_ssize_t,
                                T *);

/* Any other size: the group's comparators (a sorting network for its size)
 * over the buffer, then the same sum and division. Plain C with the same
 * compare-exchange, which the compiler vectorises across orbits. */
static void
FN(generic_sort_sum)(T *buf, const orbit_group *grp, T *sums)
{
    const Py_ssize_t m = grp->stride;
    for (Py_ssize_t c = 0; c < grp->n_comparators; c++) {
        T *restrict a = buf + grp->comparators[2 * c] * m;
        T *restrict b = buf + grp->comparators[2 * c + 1] * m;
        for (Py_ssize_t o = 0; o < m; o++) {
            const T lo = a[o] < b[o] ? a[o] : b[o];
            const T hi = b[o] > a[o] ? b[o] : a[o];
            a[o] = lo;
            b[o] = hi;
        }
    }
    for (Py_ssize_t o = 0; o < m; o++) {
        sums[o] = buf[o];
    }
    for (Py_ssize_t t = 1; t < grp->size; t++) {
        const T *restrict term = buf + t * m;
        for (Py_ssize_t o = 0; o < m; o++) {
            sums[o] += term[o];
        }
    }
    const T size = (T)grp->size;
    for (Py_ssize_t o = 0; o < m; o++) {
        sums[o] = sums[o] / size + (T)0; /* no -0.0 */
    }
}

/* All rows: gather the signed products of each group into the buffer, sort
 * and sum them (fns[size] when there is one), scatter the sums to their
 * columns. Returns whether every output is finite (not all exponent bits
 * set). */
static int
FN(averages_rows)(const T *x, T *out, T *buf, T *sums, T *table,
                  const int64_t *steps, Py_ssize_t n_steps, Py_ssize_t n_rows,
                  Py_ssize_t n_cols, Py_ssize_t n_out, const orbit_group *groups,
                  Py_ssize_t n_groups, const FN(sort_sum_fn) *fns,
                  FN(products_fn) products)
{
    int bad = 0;
    const Py_ssize_t right_step = table == NULL;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        const T *row = x + r * n_cols;
        T *dst = out + r * n_out;
        if (table != NULL) {
            products(row, steps, n_steps, n_cols, table);
        }
        for (Py_ssize_t k = 0; k < n_groups; k++) {
            const orbit_group *grp = groups + k;
            const Py_ssize_t m = grp->count, stride = grp->stride;
            const uint32_t *left = grp->left, *right = grp->right;
            for (Py_ssize_t t = 0; t < grp->size; t++) {
                T *restrict dt = buf + t * stride;
                if (table != NULL && !grp->any_negative) {
                    for (Py_ssize_t o = 0; o < m; o++) {
                        dt[o] = table[left[o]];
                    }
                }
                else {
                    for (Py_ssize_t o = 0; o < m; o++) {
                        const uint32_t l = left[o];
                        T v = table != NULL
                                  ? table[l & INDEX_MASK]
                                  : row[l & INDEX_MASK] * row[right[o]];
                        UINT bits;
                        memcpy(&bits, &v, sizeof bits);
                        bits ^= (UINT)(l >> 31) << SIGN_SHIFT;
                        memcpy(dt + o, &bits, sizeof bits);
                    }
                }
                left += m;
                right += right_step * m;
            }
            if (grp->size <= 8 && fns[grp->size] != NULL) {
                fns[grp->size](buf, stride, sums);
            }
            else {
                FN(generic_sort_sum)(buf, grp, sums);
            }
            for (Py_ssize_t o = 0; o < m; o++) {
                UINT bits;
                memcpy(&bits, sums + o, sizeof bits);
                bad |= (bits & EXPONENT) == EXPONENT;
                dst[grp->columns[o]] = sums[o];
            }
        }
    }
    return !bad;
}

/* The orbits-as-lanes path of averages(): buf holds the terms of the largest
 * group (max_terms values), then the sums, then the product table (when there
 * are steps). */
static int
FN(orbit_averages)(const T *x, T *out, T *buf, Py_ssize_t max_terms,
                   const int64_t *steps, Py_ssize_t n_steps, Py_ssize_t n_rows,
                   Py_ssize_t n_cols, Py_ssize_t n_out, const orbit_group *groups,
                   Py_ssize_t n_groups)
{
    /* fns[size]: the register sorts of sizes 2, 4 and 8 */
    FN(sort_sum_fn) fns[9] = {NULL};
#ifdef HAVE_SSE2
    fns[2] = FN(sort_sum2_sse2);
    fns[4] = FN(sort_sum4_sse2);
    fns[8] = FN(sort_sum8_sse2);
#endif
    T *sums = buf + max_terms;
    T *table = n_steps ? sums + n_out + MAX_LANES : NULL;
    FN(products_fn) products = FN(products);
    return FN(averages_rows)(x, out, buf, sums, table, steps, n_steps, n_rows,
                             n_cols, n_out, groups, n_groups, fns, products);
}

#ifdef HAVE_AVX2_DISPATCH
/* ---- the same averages with rows as vector lanes (AVX2) ------------------ */

/* A block of `lanes` rows of n values (row stride `stride`) to and from the
 * feature-major layout: value f of row i at f * W_LANES + i. Whole blocks go
 * by tiles, the rest value by value. */
AVX2 static void
FN(to_lanes_avx2)(const T *x, Py_ssize_t stride, Py_ssize_t n, Py_ssize_t lanes,
                  T *xt)
{
    Py_ssize_t f = 0;
    for (; lanes == W_LANES && f + W_LANES <= n; f += W_LANES) {
        FN(tile_avx2)(x + f, stride, xt + f * W_LANES, W_LANES);
    }
    for (; f < n; f++) {
        for (Py_ssize_t i = 0; i < W_LANES; i++) {
            xt[f * W_LANES + i] = i < lanes ? x[i * stride + f] : 0;
        }
    }
}
AVX2 static void
FN(from_lanes_avx2)(const T *xt, Py_ssize_t n, Py_ssize_t lanes, T *x,
                    Py_ssize_t stride)
{
    Py_ssize_t f = 0;
    for (; lanes == W_LANES && f + W_LANES <= n; f += W_LANES) {
        FN(tile_avx2)(xt + f * W_LANES, W_LANES, x + f, stride);
    }
    for (; f < n; f++) {
        for (Py_ssize_t i = 0; i < lanes; i++) {
            x[i * stride + f] = xt[f * W_LANES + i];
        }
    }
}

/* One signed term x[left] * x[right] of every row of a block, by two
 * vector loads and a multiply; a set top bit of left flips the sign. */
AVX2 static inline W
FN(term_avx2)(const T *xt, const uint32_t *left, const uint32_t *right,
              Py_ssize_t at, W sign)
{
    const uint32_t l = left[at];
    const W v = W_MUL(W_LOADU(xt + (l & INDEX_MASK) * W_LANES),
                      W_LOADU(xt + right[at] * W_LANES));
    return (l >> 31) ? W_XOR(v, sign) : v;
}

AVX2 static int
FN(rows_avx2)(const T *x, T *out, T *xt, T *ot, T *spill, Py_ssize_t n_rows,
              Py_ssize_t n_cols, Py_ssize_t n_out, const orbit_group *groups,
              Py_ssize_t n_groups)
{
    const W sign = W_SIGN, zero = W_ZERO();
    W bad_lanes = zero;
    for (Py_ssize_t r0 = 0; r0 < n_rows; r0 += W_LANES) {
        const Py_ssize_t nr = n_rows - r0 < W_LANES ? n_rows - r0 : W_LANES;
        FN(to_lanes_avx2)(x + r0 * n_cols, n_cols, n_cols, nr, xt);
        for (Py_ssize_t k = 0; k < n_groups; k++) {
            const orbit_group *grp = groups + k;
            const Py_ssize_t m = grp->count, size = grp->size;
            const W divisor = W_SET1((T)size);
            for (Py_ssize_t o = 0; o < m; o++) {
                const uint32_t *left = grp->left + o;
                const uint32_t *right = grp->right + o;
                W total, v0 = zero, v1 = zero, v2 = zero, v3 = zero;
                W v4 = zero, v5 = zero, v6 = zero, v7 = zero;
                /* term t of this orbit: left[t * m], right[t * m] */
                if (size == 8 || size == 4 || size == 2) {
                    W *vs[8] = {&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7};
                    for (Py_ssize_t t = 0; t < size; t++) {
                        *vs[t] = FN(term_avx2)(xt, left, right, t * m, sign);
                    }
                    SORTED_SUM(CE_W, W_ADD, size, total, v0, v1, v2, v3, v4, v5, v6,
                               v7);
                }
                else {
                    for (Py_ssize_t t = 0; t < size; t++) {
                        W_STOREU(spill + t * W_LANES,
                              FN(term_avx2)(xt, left, right, t * m, sign));
                    }
                    for (Py_ssize_t c = 0; c < grp->n_comparators; c++) {
                        T *a = spill + grp->comparators[2 * c] * W_LANES;
                        T *b = spill + grp->comparators[2 * c + 1] * W_LANES;
                        W va = W_LOADU(a), vb = W_LOADU(b);
                        CE_W(va, vb);
                        W_STOREU(a, va);
                        W_STOREU(b, vb);
                    }
                    total = W_LOADU(spill);
                    for (Py_ssize_t t = 1; t < size; t++) {
                        total = W_ADD(total, W_LOADU(spill + t * W_LANES));
                    }
                }
                total = W_ADD(W_DIV(total, divisor), zero);
                /* infinite or NaN: |total| not less than infinity */
                bad_lanes = W_OR(bad_lanes, W_NOT_FINITE(total, sign));
                W_STOREU(ot + grp->columns[o] * W_LANES, total);
            }
        }
        FN(from_lanes_avx2)(ot, n_out, nr, out + r0 * n_out, n_out);
    }
    return W_MOVEMASK(bad_lanes) == 0;
}

/* The rows-as-lanes path of averages(): block holds a transposed block of
 * W_LANES rows, its outputs and one orbit's terms (max_size), as lanes. */
static int
FN(lane_averages)(const T *x, T *out, T *block, Py_ssize_t n_rows,
                  Py_ssize_t n_cols, Py_ssize_t n_out, const orbit_group *groups,
                  Py_ssize_t n_groups)
{
    T *xt = block, *ot = xt + W_LANES * n_cols;
    return FN(rows_avx2)(x, out, xt, ot, ot + W_LANES * n_out, n_rows, n_cols,
                         n_out, groups, n_groups);
}
#endif
