/*
 * The passes of _mlp_kernels.c for double and for float, in one copy: the
 * includer defines LEVEL (the target of the copy's passes) and, for a copy
 * other than the baseline one, SK_COPY (its names' suffix; see dtype.h).
 */
#define SK_DTYPE 64
#include "dtype.h"
#include "_mlp_kernels_template.h"
#undef SK_DTYPE
#define SK_DTYPE 32
#include "dtype.h"
#include "_mlp_kernels_template.h"
#undef SK_DTYPE
