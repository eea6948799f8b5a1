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
 * name_f32 or name_f64. Only this file says how float and double differ:
 * the type and its bits, and the SSE2 (V_) and AVX2 (W_) vectors of it.
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
#undef V_SET1
#undef V_ZERO
#undef V_NONZERO_PAST_SIGN
#undef V_FROM_PAIRS
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
#undef W_SET1
#undef W_ZERO
#undef W_SIGN
#undef W_NOT_FINITE
#undef W_MOVEMASK
#undef W_FOLD
#undef W_FROM_PAIRS

#define SK_CAT_(a, b) a##_##b
#define SK_CAT(a, b) SK_CAT_(a, b)
#define FN(name) SK_CAT(name, SUFFIX)

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

#ifdef HAVE_SSE2
#define V __m128
#define V_LANES 4
#define V_LOADU _mm_loadu_ps
#define V_STOREU _mm_storeu_ps
#define V_MUL _mm_mul_ps
#define V_ADD _mm_add_ps
#define V_DIV _mm_div_ps
#define V_MIN _mm_min_ps
#define V_MAX _mm_max_ps
#define V_OR _mm_or_ps
#define V_SET1 _mm_set1_ps
#define V_ZERO _mm_setzero_ps
/* Whether any lane of acc has a bit set past its sign bit. */
#define V_NONZERO_PAST_SIGN(acc)                                               \
    (_mm_movemask_epi8(_mm_cmpeq_epi32(                                        \
         _mm_slli_epi32(_mm_castps_si128(acc), 1), _mm_setzero_si128())) != 0xFFFF)
/* row[i] for the V_LANES indices i held two per uint64_t in q[] */
#define V_FROM_PAIRS(row, q)                                                   \
    _mm_set_ps((row)[(q)[1] >> 32], (row)[(uint32_t)(q)[1]], (row)[(q)[0] >> 32], \
               (row)[(uint32_t)(q)[0]])
#endif

#ifdef HAVE_AVX2_DISPATCH
#define W __m256
#define W_LANES 8
#define W_LOADU _mm256_loadu_ps
#define W_STOREU _mm256_storeu_ps
#define W_MUL _mm256_mul_ps
#define W_ADD _mm256_add_ps
#define W_DIV _mm256_div_ps
#define W_MIN _mm256_min_ps
#define W_MAX _mm256_max_ps
#define W_OR _mm256_or_ps
#define W_XOR _mm256_xor_ps
#define W_SET1 _mm256_set1_ps
#define W_ZERO _mm256_setzero_ps
#define W_SIGN _mm256_set1_ps(-0.0f) /* the sign bit of every lane */
/* infinite or NaN: |v| not less than infinity */
#define W_NOT_FINITE(v, sign)                                                  \
    _mm256_cmp_ps(_mm256_andnot_ps(sign, v), _mm256_set1_ps(INFINITY), _CMP_NLT_UQ)
#define W_MOVEMASK _mm256_movemask_ps
/* the two halves of a W ORed into a V */
#define W_FOLD(acc)                                                            \
    _mm_or_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1))
#define W_FROM_PAIRS(row, q)                                                   \
    _mm256_set_ps((row)[(q)[3] >> 32], (row)[(uint32_t)(q)[3]],                \
                  (row)[(q)[2] >> 32], (row)[(uint32_t)(q)[2]],                \
                  (row)[(q)[1] >> 32], (row)[(uint32_t)(q)[1]],                \
                  (row)[(q)[0] >> 32], (row)[(uint32_t)(q)[0]])
#endif

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

#ifdef HAVE_SSE2
#define V __m128d
#define V_LANES 2
#define V_LOADU _mm_loadu_pd
#define V_STOREU _mm_storeu_pd
#define V_MUL _mm_mul_pd
#define V_ADD _mm_add_pd
#define V_DIV _mm_div_pd
#define V_MIN _mm_min_pd
#define V_MAX _mm_max_pd
#define V_OR _mm_or_pd
#define V_SET1 _mm_set1_pd
#define V_ZERO _mm_setzero_pd
#define V_NONZERO_PAST_SIGN(acc)                                               \
    (_mm_movemask_epi8(_mm_cmpeq_epi32(                                        \
         _mm_slli_epi64(_mm_castpd_si128(acc), 1), _mm_setzero_si128())) != 0xFFFF)
#define V_FROM_PAIRS(row, q) _mm_set_pd((row)[(q)[0] >> 32], (row)[(uint32_t)(q)[0]])
#endif

#ifdef HAVE_AVX2_DISPATCH
#define W __m256d
#define W_LANES 4
#define W_LOADU _mm256_loadu_pd
#define W_STOREU _mm256_storeu_pd
#define W_MUL _mm256_mul_pd
#define W_ADD _mm256_add_pd
#define W_DIV _mm256_div_pd
#define W_MIN _mm256_min_pd
#define W_MAX _mm256_max_pd
#define W_OR _mm256_or_pd
#define W_XOR _mm256_xor_pd
#define W_SET1 _mm256_set1_pd
#define W_ZERO _mm256_setzero_pd
#define W_SIGN _mm256_set1_pd(-0.0)
#define W_NOT_FINITE(v, sign)                                                  \
    _mm256_cmp_pd(_mm256_andnot_pd(sign, v), _mm256_set1_pd(INFINITY), _CMP_NLT_UQ)
#define W_MOVEMASK _mm256_movemask_pd
#define W_FOLD(acc)                                                            \
    _mm_or_pd(_mm256_castpd256_pd128(acc), _mm256_extractf128_pd(acc, 1))
#define W_FROM_PAIRS(row, q)                                                   \
    _mm256_set_pd((row)[(q)[1] >> 32], (row)[(uint32_t)(q)[1]],                \
                  (row)[(q)[0] >> 32], (row)[(uint32_t)(q)[0]])
#endif

#else
#error "define SK_DTYPE as 32 or 64 before including dtype.h"
#endif
