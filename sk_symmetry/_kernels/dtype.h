/*
 * The element type of a kernel template, float32 or float64: include this,
 * then the template, once per type (it has no include guard on purpose):
 *
 *     #define SK_DTYPE 32
 *     #include "dtype.h"
 *     #include "_products_template.h"
 *     #undef SK_DTYPE
 *     #define SK_DTYPE 64
 *     ...
 *
 * A template writes its code once in terms of these names; FN(name) makes
 * name_f32 or name_f64 (name_f64_v3 in a copy, below). Only this file says
 * how float and double differ: the type and its bits, the SSE2 (V_) and
 * AVX2 (W_) vectors of it, and the constants of the kernels' functions.
 */
#include "common.h"

#undef T
#undef UINT
#undef SUFFIX
#undef SIGN_SHIFT
#undef EXPONENT
#undef MANTISSA_BITS
#undef EXPONENT_BIAS
#undef NONFINITE
#undef ABS
#undef PS
#undef EPI
#undef V
#undef V_LANES
#undef V_LOADU
#undef V_STOREU
#undef V_MUL
#undef V_ADD
#undef V_DIV
#undef V_MIN
#undef V_MAX
#undef V_OR
#undef V_ANDNOT
#undef V_SET1
#undef V_ZERO
#undef V_NONZERO_PAST_SIGN
#undef V_FROM_PAIRS
#undef V_REVERSE
#undef V_TRANSPOSE
#undef W
#undef W_LANES
#undef W_LOADU
#undef W_STOREU
#undef W_MUL
#undef W_ADD
#undef W_DIV
#undef W_MIN
#undef W_MAX
#undef W_OR
#undef W_XOR
#undef W_ANDNOT
#undef W_SET1
#undef W_ZERO
#undef W_SIGN
#undef W_NOT_FINITE
#undef W_MOVEMASK
#undef W_FOLD
#undef W_FROM_PAIRS
#undef SQRT
#undef MAGIC
#undef LN2_HI
#undef LN2_LO
#undef LOG2E
#undef EXP_MIN
#undef EXP_MAX
#undef TANH_MAX
#undef SQRT2
#undef EXPM1_COEFFS
#undef ATANH_COEFFS

#define SK_CAT_(a, b) a##_##b
#define SK_CAT(a, b) SK_CAT_(a, b)
#define SK_PASTE_(a, b, c) a##b##c
#define SK_PASTE(a, b, c) SK_PASTE_(a, b, c)
/* An includer that compiles a template again for another CPU level (see
 * common.h) defines SK_COPY as its suffix: FN(name) is then name_f64_v4. */
#undef FN
#ifdef SK_COPY
#define FN(name) SK_CAT(SK_CAT(name, SUFFIX), SK_COPY)
#else
#define FN(name) SK_CAT(name, SUFFIX)
#endif

#if SK_DTYPE == 32

#define T float
#define UINT uint32_t /* the bits of a T */
#define SUFFIX f32
#define SIGN_SHIFT 31
#define EXPONENT EXPONENT_F32
#define MANTISSA_BITS 23
#define EXPONENT_BIAS 127
#define NONFINITE nonfinite_f32
#define ABS fabsf
#define PS ps       /* the intrinsics' name for vectors of T */
#define EPI epi32   /* ... and for integer lanes of T's width */
#define V __m128 /* SSE2 */
#define V_LANES 4
#define W __m256 /* AVX2 */
#define W_LANES 8
/* row[i] for the V_LANES (W_LANES) indices i held two per uint64_t in q[] */
#define V_FROM_PAIRS(row, q)                                                   \
    _mm_set_ps((row)[(q)[1] >> 32], (row)[(uint32_t)(q)[1]], (row)[(q)[0] >> 32], \
               (row)[(uint32_t)(q)[0]])
#define W_FROM_PAIRS(row, q)                                                   \
    _mm256_set_ps((row)[(q)[3] >> 32], (row)[(uint32_t)(q)[3]],                \
                  (row)[(q)[2] >> 32], (row)[(uint32_t)(q)[2]],                \
                  (row)[(q)[1] >> 32], (row)[(uint32_t)(q)[1]],                \
                  (row)[(q)[0] >> 32], (row)[(uint32_t)(q)[0]])

/* The constants and polynomials of _mlp_kernels' exp, tanh and log (see
 * there). MAGIC: adding it rounds to an integer, kept in the low bits.
 * LN2_HI has few enough bits that n * LN2_HI is exact. exp is clamped to
 * [EXP_MIN, EXP_MAX], where 2^n is a normal number; tanh(TANH_MAX) rounds
 * to 1. Coefficients, highest power first: expm1(r) = r + r^2 p(r) for
 * |r| <= ln2 / 2, Taylor to r^7 (truncation below 2e-8 r); atanh(f) = f +
 * f^3 q(f^2) for |f| <= 0.172, to f^11. */
#define SQRT sqrtf
#define MAGIC 0x1.8p23f
#define LN2_HI 0x1.62ep-1f /* 13 bits: exact for |n| < 2^11 */
#define LN2_LO 0x1.0bfbe8p-15f
#define LOG2E 0x1.715476p0f
#define EXP_MIN -87.0f
#define EXP_MAX 88.0f
#define TANH_MAX 10.0f
#define SQRT2 0x1.6a09e6p0f
#define EXPM1_COEFFS                                                           \
    {1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f}
#define ATANH_COEFFS {1.0f / 11, 1.0f / 9, 1.0f / 7, 1.0f / 5, 1.0f / 3}

#elif SK_DTYPE == 64

#define T double
#define UINT uint64_t
#define SUFFIX f64
#define SIGN_SHIFT 63
#define EXPONENT EXPONENT_F64
#define MANTISSA_BITS 52
#define EXPONENT_BIAS 1023
#define NONFINITE nonfinite_f64
#define ABS fabs
#define PS pd
#define EPI epi64
#define V __m128d
#define V_LANES 2
#define W __m256d
#define W_LANES 4
#define V_FROM_PAIRS(row, q) _mm_set_pd((row)[(q)[0] >> 32], (row)[(uint32_t)(q)[0]])
#define W_FROM_PAIRS(row, q)                                                   \
    _mm256_set_pd((row)[(q)[1] >> 32], (row)[(uint32_t)(q)[1]],                \
                  (row)[(q)[0] >> 32], (row)[(uint32_t)(q)[0]])

/* As for float: expm1 to r^13 (truncation below 1e-17), atanh to f^23. */
#define SQRT sqrt
#define MAGIC 0x1.8p52
#define LN2_HI 0x1.62e42fee00000p-1 /* 32 bits */
#define LN2_LO 0x1.a39ef35793c76p-33
#define LOG2E 0x1.71547652b82fep0
#define EXP_MIN -708.0
#define EXP_MAX 709.0
#define TANH_MAX 40.0
#define SQRT2 0x1.6a09e667f3bcdp0
#define EXPM1_COEFFS                                                           \
    {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, \
     1.0 / 362880.0,     1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,     \
     1.0 / 120.0,        1.0 / 24.0,        1.0 / 6.0,        0.5}
#define ATANH_COEFFS                                                           \
    {1.0 / 23, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13,              \
     1.0 / 11, 1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3}

#else
#error "define SK_DTYPE as 32 or 64 before including dtype.h"
#endif

/* ---- SSE2 vectors of T: __m128 or __m128d, _mm_*_ps or _mm_*_pd ---------- */
#ifdef HAVE_SSE2
#define V_LOADU SK_CAT(_mm_loadu, PS)
#define V_STOREU SK_CAT(_mm_storeu, PS)
#define V_MUL SK_CAT(_mm_mul, PS)
#define V_ADD SK_CAT(_mm_add, PS)
#define V_DIV SK_CAT(_mm_div, PS)
#define V_MIN SK_CAT(_mm_min, PS)
#define V_MAX SK_CAT(_mm_max, PS)
#define V_OR SK_CAT(_mm_or, PS)
#define V_ANDNOT SK_CAT(_mm_andnot, PS) /* ~a & b */
#define V_SET1 SK_CAT(_mm_set1, PS)
#define V_ZERO SK_CAT(_mm_setzero, PS)
/* Whether any lane of acc has a bit set past its sign bit. */
#define V_NONZERO_PAST_SIGN(acc)                                               \
    (_mm_movemask_epi8(_mm_cmpeq_epi32(                                        \
         SK_CAT(_mm_slli, EPI)(SK_PASTE(_mm_cast, PS, _si128)(acc), 1),        \
         _mm_setzero_si128())) != 0xFFFF)
#if SK_DTYPE == 32
/* The lanes of a in reverse order, and the 4 x 4 transpose of v[0..3] (the
 * tiles of _group_kernels' canonical form: float32 only). */
#define V_REVERSE(a) _mm_shuffle_ps((a), (a), 0x1b)
#define V_TRANSPOSE(v) _MM_TRANSPOSE4_PS((v)[0], (v)[1], (v)[2], (v)[3])
#endif
#endif

/* ---- AVX2 vectors of T: __m256 or __m256d -------------------------------- */
#ifdef HAVE_AVX2_DISPATCH
#define W_LOADU SK_CAT(_mm256_loadu, PS)
#define W_STOREU SK_CAT(_mm256_storeu, PS)
#define W_MUL SK_CAT(_mm256_mul, PS)
#define W_ADD SK_CAT(_mm256_add, PS)
#define W_DIV SK_CAT(_mm256_div, PS)
#define W_MIN SK_CAT(_mm256_min, PS)
#define W_MAX SK_CAT(_mm256_max, PS)
#define W_OR SK_CAT(_mm256_or, PS)
#define W_XOR SK_CAT(_mm256_xor, PS)
#define W_ANDNOT SK_CAT(_mm256_andnot, PS) /* ~a & b */
#define W_SET1 SK_CAT(_mm256_set1, PS)
#define W_ZERO SK_CAT(_mm256_setzero, PS)
#define W_SIGN W_SET1((T)-0.0) /* the sign bit of every lane */
/* infinite or NaN: |v| not less than infinity */
#define W_NOT_FINITE(v, sign)                                                  \
    SK_CAT(_mm256_cmp, PS)(SK_CAT(_mm256_andnot, PS)(sign, v), W_SET1(INFINITY), \
                           _CMP_NLT_UQ)
#define W_MOVEMASK SK_CAT(_mm256_movemask, PS)
/* the two halves of a W ORed into a V */
#define W_FOLD(acc)                                                            \
    V_OR(SK_PASTE(_mm256_cast, PS, SK_PASTE(256_, PS, 128))(acc),              \
         SK_CAT(_mm256_extractf128, PS)(acc, 1))
#endif
