/*
 * kiln_winograd_simd.h — private to kiln_winograd*.c (not in include/: Swift never sees it):
 * the AVX-512 switch and the helpers the F(2,3) and F(4,3) transforms share. Shipped inside
 * generated libraries with the other kernel sources.
 */
#ifndef KILN_WINOGRAD_SIMD_H
#define KILN_WINOGRAD_SIMD_H

#include "kiln_conv_variants.h"
#include "kiln_act_simd.h"

/* The per-frequency GEMM backend (kiln_winograd.c): Kiln's packed GEMM, or with
 * -DKILN_WINO_KILN_GEMM=0 OpenBLAS, for comparison. It fixes the weights' packed layout. */
#ifndef KILN_WINO_KILN_GEMM
#define KILN_WINO_KILN_GEMM 1
#endif

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
 * y = act(v + bias (b, broadcast) + residual rn (when given)), in registers. */
KILN_AVX512_FN static inline void wino_store16(const kiln_conv2d_params *p, __m512 v, __m512 b,
                                               const float *rn, float *yn, size_t at, __mmask16 om) {
    v = _mm512_add_ps(v, b);
    if (rn) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(om, rn + at));
    float lo, hi;
    if (kiln_act_bounds(&p->act, &lo, &hi) && p->act.kind != KILN_ACT_NONE) /* (bound, v): a NaN passes, as in the reference */
        v = _mm512_min_ps(_mm512_set1_ps(hi), _mm512_max_ps(_mm512_set1_ps(lo), v));
    else if (p->act.kind != KILN_ACT_NONE) v = kiln_act_avx512(&p->act, v);
    _mm512_mask_storeu_ps(yn + at, om, v);
}

/* Whether the input transform prefetches (KILN_PREFETCH_MIN_BYTES), and the output
 * transform the residual. */
static inline int wino_prefetch_input(const kiln_conv2d_params *p) {
    return (size_t)p->n * p->c * p->h * p->w * sizeof(float) > KILN_PREFETCH_MIN_BYTES;
}
static inline int wino_prefetch_residual(const kiln_conv2d_params *p) {
    return (size_t)p->n * p->oc * p->oh * p->ow * sizeof(float) > KILN_PREFETCH_MIN_BYTES;
}

/* Prefetches rows [r0, r1), columns [x0, x1) (clipped to h x w) of the plane at xc. The
 * input transforms call it for the next tile row's new input rows while they work on this
 * one, the output transforms for the next tile row's residual rows. Why: the transforms read 64-256 channel planes a few hundred bytes at a time, too
 * many short streams for the hardware prefetcher; perf showed three quarters of F(4,3)'s
 * input transform waiting on these loads at batch 32 (56x56 layer: 9.4 ms with the
 * prefetch, 11.5 ms without). */
static inline void wino_prefetch_rows(const float *xc, int h, int w, int r0, int r1, int x0, int x1) {
    if (r0 < 0) r0 = 0;
    if (r1 > h) r1 = h;
    if (x0 < 0) x0 = 0;
    if (x1 > w) x1 = w;
    for (int r = r0; r < r1; r++) {
        const char *row = (const char *)(xc + (size_t)r * w);
        for (int b = x0 * (int)sizeof(float); b < x1 * (int)sizeof(float); b += 64) _mm_prefetch(row + b, _MM_HINT_T0);
    }
}
#else
#define KILN_WINO_AVX512 0
#endif

/* KILN_WINO_ONLY_AVX512: in a generated library (KILN_GENERATED_MODEL, built with
 * -march=native) for an AVX-512 + FMA host the AVX-512 variants always run: the compiler may
 * use AVX-512 anywhere in the library, so no CPU without it runs it at all, and nothing in it
 * can force the portable path (kiln_winograd_force_portable is hidden). There the portable
 * transforms are left out of the build, which saves about a third of each Winograd file's
 * compiler time on every cold aotCompile. libKiln (eager runs, the tests) keeps both. */
#if KILN_WINO_AVX512 && defined(KILN_GENERATED_MODEL) && defined(__AVX512F__) && defined(__FMA__)
#define KILN_WINO_ONLY_AVX512 1
#else
#define KILN_WINO_ONLY_AVX512 0
#endif

#endif /* KILN_WINOGRAD_SIMD_H */
