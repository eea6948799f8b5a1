/*
 * Includes a kernel template once for float32 and once for float64, each
 * time after dtype.h has set the template's parameters:
 *
 *     #define SK_TEMPLATE "_products_template.h"
 *     #include "each_dtype.h"
 *
 * (no include guard: a kernel may include it for more than one template).
 */
#ifndef SK_TEMPLATE
#error "define SK_TEMPLATE as the template's file name before each_dtype.h"
#endif

#define SK_DTYPE 32
#include "dtype.h"
#include SK_TEMPLATE
#undef SK_DTYPE
#define SK_DTYPE 64
#include "dtype.h"
#include SK_TEMPLATE
#undef SK_DTYPE
#undef SK_TEMPLATE
