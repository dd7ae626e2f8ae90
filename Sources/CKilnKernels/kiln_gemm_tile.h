/*
 * kiln_gemm_tile.h — private to the kernels: the packed GEMMs' shared tile epilogue, so the
 * fp32 GEMM (kiln_gemm.c) and the bf16 one (kiln_gemm_bf16.c) store their fp32 accumulator
 * tiles through the same code: + C (later K blocks), then on the last K block + bias,
 * + residual and the activation (a clamp for NONE/ReLU/Clip in registers, kiln_act_avx512
 * over the stored tile for the other kinds). Shipped inside generated libraries.
 */
#ifndef KILN_GEMM_TILE_H
#define KILN_GEMM_TILE_H

#include "kiln_gemm.h"
#include "kiln_ops_internal.h"

#include <stddef.h>

/* How a K block treats C: the first block overwrites, later ones accumulate, the last one
 * also applies the epilogue. */
typedef struct {
    int first, last, clamp; /* clamp: act is max(lo, min(hi, v)) (NONE/RELU/CLIP), in registers */
    int silu;              /* act is SiLU, also in registers */
    float lo, hi;
    const kiln_act *act;   /* other kinds: applied to each vector before it is stored; or NULL */
    const float *bias;     /* already offset to the panel's first row, or NULL */
    const float *residual; /* already offset to the tile, or NULL */
    int ldr;
} tile_epilogue;

/* The epilogue of the K block [pc, pc + kc) of k (act NULL or NONE: none). */
static inline tile_epilogue kiln_tile_epilogue(int pc, int kc, int k, const kiln_act *act, int ldr) {
    if (act && act->kind == KILN_ACT_NONE) act = NULL;
    tile_epilogue e = {pc == 0, pc + kc >= k, 0, 0, -INFINITY, INFINITY, act, NULL, NULL, ldr};
    if (act) e.clamp = kiln_act_bounds(act, &e.lo, &e.hi);
    e.silu = act && act->kind == KILN_ACT_SILU;
    return e;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "kiln_act_simd.h"

#define KILN_TILE_NV (KILN_GEMM_NR / 16) /* zmm vectors per tile row */
/* SiLU (EfficientNet's every expand and stem layer) stays in registers in the full-width
 * one-panel tile, the shape that does nearly all of such a layer's work; the other tile
 * shapes take the post-store pass below, so only one copy of its code is inlined per file. */
#define KILN_TILE_INLINE_SILU(rows, nv) ((nv) == KILN_TILE_NV && (rows) <= 8)

// One activation kind over a stored tile of rows x nr (see kiln_tile_act_avx512).
__attribute__((target("avx512f,avx512vl,fma"))) static inline __attribute__((always_inline)) void
kiln_tile_act_kind(float *c, int ldc, int rows, int nr, const kiln_act *act, const int kind) {
    kiln_act a = *act;
    a.kind = kind; /* a constant after inlining (but in the default case): the switch folds away */
    for (int i = 0; i < rows; i++) {
        float *cr = c + (size_t)i * ldc;
        for (int j = 0; j < nr; j += 16) {
            const __mmask16 m = nr - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (nr - j)) - 1);
            _mm512_mask_storeu_ps(cr + j, m, kiln_act_avx512(&a, _mm512_maskz_loadu_ps(m, cr + j)));
        }
    }
}

// The other activation kinds (SiLU, sigmoid, ...) over a just-stored tile of rows x nr, while
// it is in L1: one call per tile. A kiln_act_span call per stored row of 48 floats costs more
// than the GEMM itself on low-K 1x1 layers (EfficientNet's 16->96 channels at 112x112,
// K = 16), and inlining the activation into every unrolled row of every tile shape tripled
// the compile time of each file including this header; so this pass is not inlined either.
__attribute__((target("avx512f,avx512vl,fma"), noinline)) static void
kiln_tile_act_avx512(float *c, int ldc, int rows, int nr, const kiln_act *act) {
    switch (act->kind) { /* the kinds CNNs fuse, each with its own loop */
    case KILN_ACT_SILU: kiln_tile_act_kind(c, ldc, rows, nr, act, KILN_ACT_SILU); break;
    case KILN_ACT_SIGMOID: kiln_tile_act_kind(c, ldc, rows, nr, act, KILN_ACT_SIGMOID); break;
    case KILN_ACT_HARD_SWISH: kiln_tile_act_kind(c, ldc, rows, nr, act, KILN_ACT_HARD_SWISH); break;
    case KILN_ACT_GELU: kiln_tile_act_kind(c, ldc, rows, nr, act, KILN_ACT_GELU); break;
    case KILN_ACT_LEAKY_RELU: kiln_tile_act_kind(c, ldc, rows, nr, act, KILN_ACT_LEAKY_RELU); break;
    default: kiln_tile_act_kind(c, ldc, rows, nr, act, act->kind);
    }
}

// Stores rows [0, min(rows, mr)) of an accumulator tile (nv vectors of 16 columns per row,
// nr columns valid) to c with the epilogue. rows and nv are compile-time constants after
// inlining, so the accumulators stay in registers.
__attribute__((target("avx512f,avx512vl,fma"))) static inline __attribute__((always_inline)) void
kiln_tile_store_avx512(const int rows, const int nv, __m512 (*acc)[KILN_TILE_NV], float *c, int ldc, int mr, int nr,
                       const tile_epilogue *e) {
    __mmask16 mask[KILN_TILE_NV];
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        const int cols = nr - 16 * v;
        mask[v] = cols >= 16 ? (__mmask16)0xFFFF : cols > 0 ? (__mmask16)((1u << cols) - 1) : 0;
    }
    const __m512 lo = _mm512_set1_ps(e->lo), hi = _mm512_set1_ps(e->hi);
#pragma GCC unroll 24
    for (int i = 0; i < rows; i++) {
        if (i >= mr) break;
        float *cr = c + (size_t)i * ldc;
        const float *rr = e->residual ? e->residual + (size_t)i * e->ldr : NULL;
        const __m512 bias = _mm512_set1_ps(e->bias ? e->bias[i] : 0.0f);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            __m512 x = acc[i][v];
            if (!e->first) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask[v], cr + 16 * v));
            if (e->last) {
                x = _mm512_add_ps(x, bias);
                if (rr) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask[v], rr + 16 * v));
                /* the bounds as first operands: max/min return the second (x) when x is NaN. */
                if (e->clamp) x = _mm512_min_ps(hi, _mm512_max_ps(lo, x));
                else if (KILN_TILE_INLINE_SILU(rows, nv) && e->silu) x = kiln_act_avx512(&(kiln_act){KILN_ACT_SILU, 0, 0}, x);
            }
            _mm512_mask_storeu_ps(cr + 16 * v, mask[v], x);
        }
    }
    if (e->last && !e->clamp && !(KILN_TILE_INLINE_SILU(rows, nv) && e->silu) && e->act) kiln_tile_act_avx512(c, ldc, rows < mr ? rows : mr, nr, e->act);
}
#endif

#endif /* KILN_GEMM_TILE_H */
