/*
 * kiln_winograd_simd.h — private to kiln_winograd*.c (not in include/: Swift never sees it):
 * the AVX-512 switch and the helpers the F(2,3) and F(4,3) transforms share. Shipped inside
 * generated libraries with the other kernel sources.
 */
#ifndef KILN_WINOGRAD_SIMD_H
#define KILN_WINOGRAD_SIMD_H

#include "kiln_conv_variants.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
/* Why target attributes: CKilnKernels is built without -march (it must run on any x86-64),
 * so the AVX-512 code is compiled for AVX-512 alone and chosen at run time
 * (kiln_winograd_use_avx512). */
#define KILN_WINO_AVX512 1
#define KILN_AVX512_FN __attribute__((target("avx512f,fma")))

/* Lanes 0 <= l < 16 with 0 <= base + l < limit: the in-bounds part of a 16-float row span. */
static inline __mmask16 span_mask(int base, int limit) {
    const int lo = base < 0 ? -base : 0, hi = limit - base > 16 ? 16 : limit - base;
    return hi <= lo ? 0 : (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

/* The output transforms' epilogue for 16 outputs of channel row yn + at (lanes `om`):
 * y = v + bias (b, broadcast), + residual rn (when given), ReLU when p->relu. */
KILN_AVX512_FN static inline void wino_store16(const kiln_conv2d_params *p, __m512 v, __m512 b,
                                               const float *rn, float *yn, size_t at, __mmask16 om) {
    v = _mm512_add_ps(v, b);
    if (rn) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(om, rn + at));
    if (p->relu) v = _mm512_max_ps(_mm512_setzero_ps(), v); /* (0, v): a NaN passes, as in the reference */
    _mm512_mask_storeu_ps(yn + at, om, v);
}
#else
#define KILN_WINO_AVX512 0
#endif

#endif /* KILN_WINOGRAD_SIMD_H */
