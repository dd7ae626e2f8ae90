/*
 * conv_depthwise.c — depthwise convolution (groups == C == OC): MobileNet's and
 * EfficientNet's 3x3 and 5x5 layers, stride 1 and 2, with the fused epilogue
 * y = act(conv + bias + residual).
 *
 * Why its own kernel: a depthwise layer has one filter of 9 or 25 taps per channel, so a
 * GEMM would have M = 1; the work is KH*KW multiply-adds per output, bound by how fast the
 * input rows stream through. The AVX-512 path computes 16 adjacent outputs of one row per
 * vector, each tap one (masked at the image edge) load and one FMA; stride 2 loads 32
 * inputs and keeps the even lanes with one permute. Masks depend only on the column block,
 * so they are computed once per block and reused down all rows. 3x3 and 5x5 (dilation 1)
 * compute 4 output rows per pass, so each input row is loaded once per pass instead of once
 * per output row it feeds. Planes are threaded.
 */
#include "kiln_conv_variants.h"
#include "kiln_gemm.h" /* kiln_gemm_uses_avx512: the kernels' one CPU switch */
#include "kiln_act_simd.h"

#include <string.h>

/* Planes per chunk are sized to roughly this many multiply-adds, so a thread hand-off
 * (~5-20 µs) stays small against its work. */
#define KILN_DW_GRAIN 65536
/* Widest kernel the vector path keeps per-tap masks for. */
#define KILN_DW_MAX_KW 32

int kiln_conv2d_depthwise_applicable(const kiln_conv2d_params *p) {
    return p->groups == p->c && p->oc == p->c;
}

/* Indices t in [0, count) with 0 <= start + t*step < size, as [*lo, *hi). */
static void dw_valid_range(int start, int step, int count, int size, int *lo, int *hi) {
    int l = start >= 0 ? 0 : (-start + step - 1) / step;
    int h = start >= size ? 0 : (size - start + step - 1) / step;
    if (h > count) h = count;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

// xp: (H, W), wc: (KH, KW), rp: (OH, OW) or NULL -> yp: (OH, OW). Tap-outer: for each
// tap the valid output rectangle is computed once and its rows get a branch-free
// multiply-add; then the epilogue while the plane is in cache.
static void dw_plane_portable(const kiln_conv2d_params *p, const float *xp, const float *wc, float b,
                              const float *rp, float *yp) {
    const int oh = p->oh, ow = p->ow, h = p->h, w = p->w, sh = p->stride_h, sw = p->stride_w;
    const size_t npix = (size_t)oh * ow;
    memset(yp, 0, sizeof(float) * npix);
    for (int ky = 0; ky < p->kh; ky++) {
        const int offy = ky * p->dil_h - p->pad_h;
        int ylo, yhi;
        dw_valid_range(offy, sh, oh, h, &ylo, &yhi);
        for (int kx = 0; kx < p->kw; kx++) {
            const float wv = wc[ky * p->kw + kx];
            const int offx = kx * p->dil_w - p->pad_w;
            int xlo, xhi;
            dw_valid_range(offx, sw, ow, w, &xlo, &xhi);
            for (int oy = ylo; oy < yhi; oy++) {
                float *yr = yp + (size_t)oy * ow;
                const float *xr = xp + (size_t)(oy * sh + offy) * w;
                for (int ox = xlo; ox < xhi; ox++) yr[ox] += wv * xr[ox * sw + offx];
            }
        }
    }
    for (size_t i = 0; i < npix; i++) {
        float v = yp[i] + b;
        if (rp) v += rp[i];
        yp[i] = kiln_act_scalar(&p->act, v);
    }
}

#if KILN_ACT_AVX512
/* Lanes 0 <= l < 16 with 0 <= base + l < limit. */
static inline __mmask16 dw_span_mask(int base, int limit) {
    const int lo = base < 0 ? -base : 0, hi = limit - base > 16 ? 16 : limit - base;
    return hi <= lo ? 0 : (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

/* The epilogue of one output vector: + bias, + residual, act, masked store. */
KILN_ACT_AVX512_FN static inline __attribute__((always_inline)) void
dw_store(const kiln_conv2d_params *p, __m512 acc, __m512 bias, const float *rp, float *yp, size_t at, __mmask16 om) {
    acc = _mm512_add_ps(acc, bias);
    if (rp) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(om, rp + at));
    if (p->act.kind == KILN_ACT_RELU) acc = _mm512_max_ps(_mm512_setzero_ps(), acc);
    else if (p->act.kind != KILN_ACT_NONE) acc = kiln_act_avx512(&p->act, acc);
    _mm512_mask_storeu_ps(yp + at, om, acc);
}

// The vector plane for stride S (1 or 2), any kernel up to KILN_DW_MAX_KW wide and any
// dilation (KH = KW = 0: sizes read from p), one output row at a time.
KILN_ACT_AVX512_FN static inline __attribute__((always_inline)) void
dw_plane_avx512(const int KH, const int KW, const int S, const kiln_conv2d_params *p, const float *xp,
                const float *wc, float b, const float *rp, float *yp) {
    const int oh = p->oh, ow = p->ow, h = p->h, w = p->w, dh = p->dil_h, dw = p->dil_w;
    const int kh = KH ? KH : p->kh, kw = KW ? KW : p->kw;
    const __m512 bias = _mm512_set1_ps(b), zero = _mm512_setzero_ps();
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int ox0 = 0; ox0 < ow; ox0 += 16) {
        const int n = ow - ox0 < 16 ? ow - ox0 : 16;
        const __mmask16 om = (__mmask16)((1u << n) - 1);
        __mmask16 m0[KILN_DW_MAX_KW], m1[KILN_DW_MAX_KW];
        for (int kx = 0; kx < kw; kx++) {
            const int base = ox0 * S - p->pad_w + kx * dw;
            m0[kx] = dw_span_mask(base, w);
            m1[kx] = S == 2 ? dw_span_mask(base + 16, w) : 0;
        }
        const float *xc = xp + ox0 * S - p->pad_w;
        for (int oy = 0; oy < oh; oy++) {
            __m512 acc = zero;
            for (int ky = 0; ky < kh; ky++) {
                const int iy = oy * S - p->pad_h + ky * dh;
                if (iy < 0 || iy >= h) continue;
                const float *row = xc + (size_t)iy * w;
                for (int kx = 0; kx < kw; kx++) {
                    const __m512 wv = _mm512_set1_ps(wc[ky * kw + kx]);
                    __m512 v;
                    if (S == 1) {
                        v = _mm512_maskz_loadu_ps(m0[kx], row + kx * dw);
                    } else {
                        const __m512 lo = _mm512_maskz_loadu_ps(m0[kx], row + kx * dw);
                        const __m512 hi = _mm512_maskz_loadu_ps(m1[kx], row + kx * dw + 16);
                        v = _mm512_permutex2var_ps(lo, even, hi);
                    }
                    acc = _mm512_fmadd_ps(v, wv, acc);
                }
            }
            dw_store(p, acc, bias, rp, yp, (size_t)oy * ow + ox0, om);
        }
    }
}

// Dilation 1, KH x KW, stride S: R output rows per pass. Each input row of the pass is
// loaded once per tap column and feeds every output row whose window covers it (a 3x3
// stride-1 pass of 4 rows loads 6 rows x 3 columns instead of 4 x 9), all loop bounds
// compile-time so the tap-to-row matching unrolls away.
KILN_ACT_AVX512_FN static inline __attribute__((always_inline)) void
dw_plane_rows(const int KH, const int KW, const int S, const int R, const kiln_conv2d_params *p, const float *xp,
              const float *wc, float b, const float *rp, float *yp) {
    const int oh = p->oh, ow = p->ow, h = p->h, w = p->w;
    const __m512 bias = _mm512_set1_ps(b);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int ox0 = 0; ox0 < ow; ox0 += 16) {
        const int n = ow - ox0 < 16 ? ow - ox0 : 16;
        const __mmask16 om = (__mmask16)((1u << n) - 1);
        __mmask16 m0[KW], m1[KW];
        for (int kx = 0; kx < KW; kx++) {
            const int base = ox0 * S - p->pad_w + kx;
            m0[kx] = dw_span_mask(base, w);
            m1[kx] = S == 2 ? dw_span_mask(base + 16, w) : 0;
        }
        const float *xc = xp + ox0 * S - p->pad_w;
        for (int oy0 = 0; oy0 < oh; oy0 += R) {
            __m512 acc[R];
            for (int j = 0; j < R; j++) acc[j] = _mm512_setzero_ps();
#pragma GCC unroll 16
            for (int t = 0; t < (R - 1) * S + KH; t++) {
                const int iy = oy0 * S - p->pad_h + t;
                if (iy < 0 || iy >= h) continue;
                const float *row = xc + (size_t)iy * w;
#pragma GCC unroll 8
                for (int kx = 0; kx < KW; kx++) {
                    __m512 v;
                    if (S == 1) {
                        v = _mm512_maskz_loadu_ps(m0[kx], row + kx);
                    } else {
                        const __m512 lo = _mm512_maskz_loadu_ps(m0[kx], row + kx);
                        const __m512 hi = _mm512_maskz_loadu_ps(m1[kx], row + kx + 16);
                        v = _mm512_permutex2var_ps(lo, even, hi);
                    }
#pragma GCC unroll 8
                    for (int j = 0; j < R; j++) {
                        const int ky = t - j * S;
                        if (ky >= 0 && ky < KH) acc[j] = _mm512_fmadd_ps(v, _mm512_set1_ps(wc[ky * KW + kx]), acc[j]);
                    }
                }
            }
            for (int j = 0; j < R && oy0 + j < oh; j++) dw_store(p, acc[j], bias, rp, yp, (size_t)(oy0 + j) * ow + ox0, om);
        }
    }
}

/* Rows per pass: 4 (stride 1: 6 input rows for 4 outputs) and 4 (stride 2: 9 for 4);
 * 4 accumulators + the loaded row leave registers for the 9 or 25 broadcast weights. */
KILN_ACT_AVX512_FN static void dw_plane_3x3_s1(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(3, 3, 1, 4, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_3x3_s2(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(3, 3, 2, 4, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_5x5_s1(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(5, 5, 1, 4, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_5x5_s2(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(5, 5, 2, 4, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_any_s1(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_avx512(0, 0, 1, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_any_s2(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_avx512(0, 0, 2, p, x, w, b, r, y); }
#endif

typedef void (*dw_plane_fn)(const kiln_conv2d_params *p, const float *x, const float *w, float b,
                            const float *r, float *y);

/* The plane kernel for this geometry and CPU. */
static dw_plane_fn dw_pick(const kiln_conv2d_params *p) {
#if KILN_ACT_AVX512
    if (kiln_gemm_uses_avx512() && p->stride_w == p->stride_h && (p->stride_w == 1 || p->stride_w == 2) &&
        p->kw <= KILN_DW_MAX_KW) {
        const int s2 = p->stride_w == 2;
        const int dil1 = p->dil_h == 1 && p->dil_w == 1;
        if (dil1 && p->kh == 3 && p->kw == 3) return s2 ? dw_plane_3x3_s2 : dw_plane_3x3_s1;
        if (dil1 && p->kh == 5 && p->kw == 5) return s2 ? dw_plane_5x5_s2 : dw_plane_5x5_s1;
        return s2 ? dw_plane_any_s2 : dw_plane_any_s1;
    }
#endif
    return dw_plane_portable;
}

typedef struct {
    const kiln_conv2d_params *p;
    const float *x, *w, *bias, *residual;
    float *y;
    dw_plane_fn plane;
} dw_ctx;

// Planes [i0, i1) of the N*C planes.
static void dw_planes(void *vctx, size_t i0, size_t i1) {
    const dw_ctx *ctx = (const dw_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const size_t in_plane = (size_t)p->h * p->w, npix = (size_t)p->oh * p->ow;
    for (size_t i = i0; i < i1; i++) {
        const size_t c = i % (size_t)p->c;
        ctx->plane(p, ctx->x + i * in_plane, ctx->w + c * (size_t)p->kh * p->kw, ctx->bias ? ctx->bias[c] : 0.0f,
                   ctx->residual ? ctx->residual + i * npix : NULL, ctx->y + i * npix);
    }
}

// x: (N, C, H, W), w: (C, 1, KH, KW), bias: (C) or NULL, residual: (N, C, OH, OW) or NULL,
// y: (N, C, OH, OW).
void kiln_conv2d_depthwise(const kiln_conv2d_params *p, const float *x, const float *w,
                           const float *bias, const float *residual, float *y) {
    dw_ctx ctx = {p, x, w, bias, residual, y, dw_pick(p)};
    const size_t work = (size_t)p->oh * p->ow * p->kh * p->kw;
    const size_t grain = work >= KILN_DW_GRAIN ? 1 : KILN_DW_GRAIN / (work ? work : 1);
    kiln_parallel_for((size_t)p->n * p->c, grain, dw_planes, &ctx);
}
