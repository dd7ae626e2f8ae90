/*
 * conv_depthwise.c — depthwise convolution (groups == C == OC): MobileNet's and
 * EfficientNet's 3x3 and 5x5 layers, stride 1 and 2, with the fused epilogue
 * y = act(conv + bias + residual).
 *
 * Why its own kernel: a depthwise layer has one filter of 9 or 25 taps per channel, so a
 * GEMM would have M = 1; the work is KH*KW multiply-adds per output, bound by how fast the
 * input rows stream through. The AVX-512 path computes 16 adjacent outputs of one row per
 * vector, each tap one (masked at the image edge) load and one FMA; stride 2 splits each
 * row's inputs once into even and odd columns and shifts those per tap. Planes at most 8
 * wide (7x7) go two per vector. Masks depend only on the column block, so they are
 * computed once per block and reused down all rows. 3x3 and 5x5 (dilation 1) compute 7
 * output rows per pass, so each input row is loaded once per pass instead of once per
 * output row it feeds; rows above and below the image read a shared row of zeros, so the
 * tap loop has no branch. Planes are threaded with kiln_parallel_for_balanced (each thread
 * its share of the planes, a thread done early finishing another's last ones).
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
/* Most output rows one pass of dw_plane_rows computes. */
#define KILN_DW_ROWS_MAX 8
/* Widest input row the row-pass kernels take: what the zero row stands in for. */
#define KILN_DW_ZERO_ROW 4096
static const float dw_zero_row[KILN_DW_ZERO_ROW];
/* Narrowest input row whose row-pass kernel prefetches the next pass (see dw_plane_rows). */
#define KILN_DW_PREFETCH_W 64

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

/* Per tap column kx, the lanes of a 16-output block whose inputs lie inside the row (input
 * column of lane l: base + kx*dil + l*S); stride 2 reads 32 inputs, m1 covering the upper 16. */
static inline __attribute__((always_inline)) void dw_masks(const int S, int kw, int base, int dil, int w,
                                                          __mmask16 *m0, __mmask16 *m1) {
    for (int kx = 0; kx < kw; kx++) {
        m0[kx] = dw_span_mask(base + kx * dil, w);
        m1[kx] = S == 2 ? dw_span_mask(base + kx * dil + 16, w) : 0;
    }
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
        dw_masks(S, kw, ox0 * S - p->pad_w, dw, w, m0, m1);
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

/* lo's lanes moved q (1 or 2: the 3x3 and 5x5 taps) down, hi's first lanes after them. The
 * shift is an immediate, so each count is spelled out (clang needs a literal at -O0). */
KILN_ACT_AVX512_FN static inline __attribute__((always_inline)) __m512 dw_shift(__m512 hi, __m512 lo, const int q) {
    const __m512i h = _mm512_castps_si512(hi), l = _mm512_castps_si512(lo);
    return _mm512_castsi512_ps(q == 1 ? _mm512_alignr_epi32(h, l, 1) : _mm512_alignr_epi32(h, l, 2));
}

// Dilation 1, KH x KW, stride S: R output rows per pass. Each input row of the pass is
// loaded once per tap column and feeds every output row whose window covers it (a 3x3
// stride-1 pass of 4 rows loads 6 rows x 3 columns instead of 4 x 9), all loop bounds
// compile-time so the tap-to-row matching unrolls away. A pass covers every column block
// of its rows before the next pass starts, so the input streams through in address order
// (column blocks outermost walked the plane once per block, a few cache lines of each row
// at a time, which the hardware prefetchers follow poorly: at 112x112 the plane arrives
// from L3, just written by the expanding 1x1). PF: wide planes (rows of 64 floats or more,
// the 112x112 layers) also prefetch, per column block, the rows the next pass adds; on the
// 56x56 planes the same prefetches cost more than they saved, so they are compiled out there.
KILN_ACT_AVX512_FN static inline __attribute__((always_inline)) void
dw_plane_rows(const int KH, const int KW, const int S, const int R, const int PF, const int ONE, const kiln_conv2d_params *p,
              const float *xp, const float *wc, float b, const float *rp, float *yp) {
    const int oh = p->oh, ow = p->ow, h = p->h, w = p->w;
    const __m512 bias = _mm512_set1_ps(b);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const int T = (R - 1) * S + KH; /* input rows per pass */
    /* ONE: the plane is one column block (9-16 outputs wide), whose masks are computed once
     * for all passes: recomputing them per pass cost ~8% on the 14x14 stride-1 planes. Not for
     * stride 2, whose 2 * KW + 3 masks do not fit the 8 mask registers (measured slower). */
    __mmask16 m0[KW], m1[KW], ma = 0, mb = 0, mc = 0;
    if (ONE) {
        dw_masks(S, KW, -p->pad_w, 1, w, m0, m1);
        ma = dw_span_mask(-p->pad_w, w), mb = dw_span_mask(16 - p->pad_w, w), mc = dw_span_mask(32 - p->pad_w, w);
    }
    for (int oy0 = 0; oy0 < oh; oy0 += R) {
        /* Rows outside the image read a row of zeros instead of being skipped: a branch in
         * the tap loop makes GCC keep acc[] in memory. */
        const float *rows[(KILN_DW_ROWS_MAX - 1) * 2 + 5];
        for (int t = 0; t < T; t++) {
            const int iy = oy0 * S - p->pad_h + t;
            rows[t] = ((unsigned)iy < (unsigned)h ? xp + (size_t)iy * w : dw_zero_row) - p->pad_w;
        }
        for (int ox0 = 0; ox0 < ow; ox0 += 16) {
            const int n = ow - ox0 < 16 ? ow - ox0 : 16, x0 = ox0 * S - p->pad_w;
            const __mmask16 om = (__mmask16)((1u << n) - 1);
            if (!ONE) {
                dw_masks(S, KW, x0, 1, w, m0, m1);
                ma = dw_span_mask(x0, w), mb = dw_span_mask(x0 + 16, w), mc = dw_span_mask(x0 + 32, w);
            }
            __m512 acc[R];
            for (int j = 0; j < R; j++) acc[j] = _mm512_setzero_ps();
#pragma GCC unroll 16
            for (int t = 0; t < T; t++) {
                const float *row = rows[t] + ox0 * S;
                if (PF && t >= T - R * S) { /* a row the next pass reads and this one does not */
                    const float *nx = row + (size_t)R * S * w;
                    _mm_prefetch((const char *)nx, _MM_HINT_T0);
                    _mm_prefetch((const char *)(nx + 16), _MM_HINT_T0);
                    if (S == 2) _mm_prefetch((const char *)(nx + 32), _MM_HINT_T0);
                }
                /* Stride 2: the row's 48 inputs from the block start, split once into even
                 * and odd columns; tap kx = 2q (+1) is the even (odd) run moved q lanes on,
                 * its last lanes from the third vector. 3 loads and 2-4 permutes per row
                 * instead of 2 loads and a permute per tap. */
                __m512 ev = _mm512_setzero_ps(), od = ev, c = ev, ec = ev, oc = ev;
                if (S == 2) {
                    const __m512 a = _mm512_maskz_loadu_ps(ma, row), bv = _mm512_maskz_loadu_ps(mb, row + 16);
                    c = _mm512_maskz_loadu_ps(mc, row + 32);
                    ev = _mm512_permutex2var_ps(a, even, bv);
                    od = _mm512_permutex2var_ps(a, odd, bv);
                    if (KW > 3) {
                        ec = _mm512_permutexvar_ps(even, c);
                        oc = _mm512_permutexvar_ps(odd, c);
                    }
                }
#pragma GCC unroll 8
                for (int kx = 0; kx < KW; kx++) {
                    __m512 v;
                    if (S == 1) {
                        v = _mm512_maskz_loadu_ps(m0[kx], row + kx);
                    } else if (kx == 0) {
                        v = ev;
                    } else if (kx == 1) {
                        v = od;
                    } else if (kx == 2 && KW <= 3) {
                        v = dw_shift(c, ev, 1);
                    } else if (kx % 2 == 0) {
                        v = dw_shift(ec, ev, kx / 2);
                    } else {
                        v = dw_shift(oc, od, kx / 2);
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

/* Planes at most 8 outputs wide (7x7: the last stage of MobileNet and EfficientNet), two
 * at a time: lanes 0-7 hold plane A's row, lanes 8-15 plane B's, so a vector does 14 useful
 * outputs instead of 7. Each tap is a masked load from A merged with one from B (stride 2:
 * both 16 wide, their even lanes picked by one permute); A's and B's weights, bias and
 * outputs sit in the two halves. */
KILN_ACT_AVX512_FN static inline __attribute__((always_inline)) void
dw_pair_rows(const int KH, const int KW, const int S, const int R, const kiln_conv2d_params *p, const float *xa,
             const float *xb, const float *wa, const float *wb, float ba, float bb, const float *ra, const float *rb,
             float *ya, float *yb) {
    const int oh = p->oh, ow = p->ow, h = p->h, w = p->w, base = -p->pad_w;
    const __mmask16 lo8 = 0x00ff, hi8 = 0xff00;
    const __m512 bias = _mm512_mask_blend_ps(hi8, _mm512_set1_ps(ba), _mm512_set1_ps(bb));
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __mmask16 om = (__mmask16)((1u << ow) - 1);
    __mmask16 ma[KW], mb[KW];
    __m512 wv[KH * KW];
    for (int kx = 0; kx < KW; kx++) {
        const __mmask16 m = dw_span_mask(base + kx, w);
        ma[kx] = S == 1 ? (__mmask16)(m & lo8) : m;
        mb[kx] = S == 1 ? (__mmask16)(m << 8) : m;
    }
    for (int k = 0; k < KH * KW; k++) wv[k] = _mm512_mask_blend_ps(hi8, _mm512_set1_ps(wa[k]), _mm512_set1_ps(wb[k]));
    for (int oy0 = 0; oy0 < oh; oy0 += R) {
        __m512 acc[R];
        for (int j = 0; j < R; j++) acc[j] = _mm512_setzero_ps();
        const int T = (R - 1) * S + KH;
        const float *rowa[(KILN_DW_ROWS_MAX - 1) * 2 + 5], *rowb[(KILN_DW_ROWS_MAX - 1) * 2 + 5];
        for (int t = 0; t < T; t++) {
            const int iy = oy0 * S - p->pad_h + t, inside = (unsigned)iy < (unsigned)h;
            rowa[t] = (inside ? xa + (size_t)iy * w : dw_zero_row) + base;
            rowb[t] = (inside ? xb + (size_t)iy * w : dw_zero_row) + base;
        }
#pragma GCC unroll 16
        for (int t = 0; t < T; t++) {
#pragma GCC unroll 8
            for (int kx = 0; kx < KW; kx++) {
                __m512 v;
                if (S == 1) {
                    v = _mm512_maskz_loadu_ps(ma[kx], rowa[t] + kx);
                    v = _mm512_mask_loadu_ps(v, mb[kx], rowb[t] + kx - 8);
                } else {
                    v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(ma[kx], rowa[t] + kx), even,
                                               _mm512_maskz_loadu_ps(mb[kx], rowb[t] + kx));
                }
#pragma GCC unroll 8
                for (int j = 0; j < R; j++) {
                    const int ky = t - j * S;
                    if (ky >= 0 && ky < KH) acc[j] = _mm512_fmadd_ps(v, wv[ky * KW + kx], acc[j]);
                }
            }
        }
        for (int j = 0; j < R && oy0 + j < oh; j++) {
            __m512 v = _mm512_add_ps(acc[j], bias);
            const size_t at = (size_t)(oy0 + j) * ow;
            if (ra) v = _mm512_add_ps(v, _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(om, ra + at), (__mmask16)(om << 8), rb + at - 8));
            if (p->act.kind == KILN_ACT_RELU) v = _mm512_max_ps(_mm512_setzero_ps(), v);
            else if (p->act.kind != KILN_ACT_NONE) v = kiln_act_avx512(&p->act, v);
            _mm512_mask_storeu_ps(ya + at, om, v);
            _mm512_mask_storeu_ps(yb + at - 8, (__mmask16)(om << 8), v);
        }
    }
}

/* Rows per pass: 7. MobileNet and EfficientNet planes are 7, 14, 28, 56 or 112 rows, so
 * no pass computes rows past the end (4-row passes would on every 14x14 and 7x7 plane),
 * and 7 accumulators hide the FMA latency; a 3x3 stride-1 pass loads 9 rows x 3 columns for
 * 63 FMAs. The 3x3 weights stay in registers; the 5x5 ones are broadcast from memory. */
KILN_ACT_AVX512_FN static void dw_plane_3x3_s1(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(3, 3, 1, 7, 0, 0, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_3x3_s1_one(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(3, 3, 1, 7, 0, 1, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_3x3_s1_wide(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(3, 3, 1, 7, 1, 0, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_3x3_s2(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(3, 3, 2, 7, 0, 0, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_3x3_s2_wide(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(3, 3, 2, 7, 1, 0, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_5x5_s1(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(5, 5, 1, 7, 0, 0, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_5x5_s1_one(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(5, 5, 1, 7, 0, 1, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_5x5_s1_wide(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(5, 5, 1, 7, 1, 0, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_5x5_s2(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(5, 5, 2, 7, 0, 0, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_5x5_s2_wide(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_rows(5, 5, 2, 7, 1, 0, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_any_s1(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_avx512(0, 0, 1, p, x, w, b, r, y); }
KILN_ACT_AVX512_FN static void dw_plane_any_s2(const kiln_conv2d_params *p, const float *x, const float *w, float b, const float *r, float *y) { dw_plane_avx512(0, 0, 2, p, x, w, b, r, y); }
typedef void (*dw_pair_fn)(const kiln_conv2d_params *p, const float *xa, const float *xb, const float *wa,
                           const float *wb, float ba, float bb, const float *ra, const float *rb, float *ya, float *yb);
#define DW_PAIR(name, KH, S)                                                                                        \
    KILN_ACT_AVX512_FN static void name(const kiln_conv2d_params *p, const float *xa, const float *xb, const float *wa, \
                                        const float *wb, float ba, float bb, const float *ra, const float *rb,        \
                                        float *ya, float *yb) {                                                       \
        dw_pair_rows(KH, KH, S, 7, p, xa, xb, wa, wb, ba, bb, ra, rb, ya, yb);                                        \
    }
DW_PAIR(dw_pair_3x3_s1, 3, 1)
DW_PAIR(dw_pair_3x3_s2, 3, 2)
DW_PAIR(dw_pair_5x5_s1, 5, 1)
DW_PAIR(dw_pair_5x5_s2, 5, 2)
#endif

typedef void (*dw_plane_fn)(const kiln_conv2d_params *p, const float *x, const float *w, float b,
                            const float *r, float *y);

/* The plane kernel for this geometry and CPU. */
static dw_plane_fn dw_pick(const kiln_conv2d_params *p) {
#if KILN_ACT_AVX512
    if (kiln_gemm_uses_avx512() && p->stride_w == p->stride_h && (p->stride_w == 1 || p->stride_w == 2) &&
        p->kw <= KILN_DW_MAX_KW) {
        const int s2 = p->stride_w == 2;
        const int dil1 = p->dil_h == 1 && p->dil_w == 1 && p->w <= KILN_DW_ZERO_ROW;
        if (dil1 && p->kh == 3 && p->kw == 3 && p->w >= KILN_DW_PREFETCH_W) return s2 ? dw_plane_3x3_s2_wide : dw_plane_3x3_s1_wide;
        if (dil1 && p->kh == 3 && p->kw == 3 && p->ow <= 16 && !s2) return dw_plane_3x3_s1_one;
        if (dil1 && p->kh == 3 && p->kw == 3) return s2 ? dw_plane_3x3_s2 : dw_plane_3x3_s1;
        if (dil1 && p->kh == 5 && p->kw == 5 && p->w >= KILN_DW_PREFETCH_W) return s2 ? dw_plane_5x5_s2_wide : dw_plane_5x5_s1_wide;
        if (dil1 && p->kh == 5 && p->kw == 5 && p->ow <= 16 && !s2) return dw_plane_5x5_s1_one;
        if (dil1 && p->kh == 5 && p->kw == 5) return s2 ? dw_plane_5x5_s2 : dw_plane_5x5_s1;
        return s2 ? dw_plane_any_s2 : dw_plane_any_s1;
    }
#endif
    return dw_plane_portable;
}

#if KILN_ACT_AVX512
/* The two-planes kernel for this geometry and CPU, or NULL. */
static dw_pair_fn dw_pick_pair(const kiln_conv2d_params *p) {
    if (!kiln_gemm_uses_avx512() || p->ow > 8 || p->stride_w != p->stride_h || p->dil_h != 1 || p->dil_w != 1 ||
        p->w > KILN_DW_ZERO_ROW || p->kh != p->kw)
        return NULL;
    if (p->kh == 3) return p->stride_w == 1 ? dw_pair_3x3_s1 : p->stride_w == 2 ? dw_pair_3x3_s2 : NULL;
    if (p->kh == 5) return p->stride_w == 1 ? dw_pair_5x5_s1 : p->stride_w == 2 ? dw_pair_5x5_s2 : NULL;
    return NULL;
}
#endif

typedef struct {
    const kiln_conv2d_params *p;
    const float *x, *w, *bias, *residual;
    float *y;
    dw_plane_fn plane;
#if KILN_ACT_AVX512
    dw_pair_fn pair; /* NULL, or the two-planes-per-vector kernel for planes <= 8 wide */
#endif
} dw_ctx;

// Planes [i0, i1) of the N*C planes.
static void dw_planes(void *vctx, size_t i0, size_t i1) {
    const dw_ctx *ctx = (const dw_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const size_t in_plane = (size_t)p->h * p->w, npix = (size_t)p->oh * p->ow;
    const size_t taps = (size_t)p->kh * p->kw;
    size_t i = i0;
#if KILN_ACT_AVX512
    if (ctx->pair)
        for (; i + 1 < i1; i += 2) {
            const size_t ca = i % (size_t)p->c, cb = (i + 1) % (size_t)p->c;
            ctx->pair(p, ctx->x + i * in_plane, ctx->x + (i + 1) * in_plane, ctx->w + ca * taps, ctx->w + cb * taps,
                      ctx->bias ? ctx->bias[ca] : 0.0f, ctx->bias ? ctx->bias[cb] : 0.0f,
                      ctx->residual ? ctx->residual + i * npix : NULL, ctx->residual ? ctx->residual + (i + 1) * npix : NULL,
                      ctx->y + i * npix, ctx->y + (i + 1) * npix);
        }
#endif
    for (; i < i1; i++) {
        const size_t c = i % (size_t)p->c;
        ctx->plane(p, ctx->x + i * in_plane, ctx->w + c * taps, ctx->bias ? ctx->bias[c] : 0.0f,
                   ctx->residual ? ctx->residual + i * npix : NULL, ctx->y + i * npix);
    }
}

// x: (N, C, H, W), w: (C, 1, KH, KW), bias: (C) or NULL, residual: (N, C, OH, OW) or NULL,
// y: (N, C, OH, OW).
void kiln_conv2d_depthwise(const kiln_conv2d_params *p, const float *x, const float *w,
                           const float *bias, const float *residual, float *y) {
    dw_ctx ctx = {p, x, w, bias, residual, y, dw_pick(p)};
    const size_t work = (size_t)p->oh * p->ow * p->kh * p->kw;
    size_t grain = work >= KILN_DW_GRAIN ? 1 : KILN_DW_GRAIN / (work ? work : 1);
#if KILN_ACT_AVX512
    ctx.pair = dw_pick_pair(p);
    /* Even chunks, so pairs never straddle two threads' chunks. */
    if (ctx.pair) grain += grain & 1;
#endif
    /* Claims of about a quarter of the minimum chunk: small enough that a thread left waiting
     * for a slower one takes the slower one's last planes instead, large enough that a claim
     * (one CAS) costs nothing beside its planes. */
    size_t claim = (grain + 3) / 4;
#if KILN_ACT_AVX512
    if (ctx.pair) claim += claim & 1;
#endif
    kiln_parallel_for_balanced((size_t)p->n * p->c, grain, claim, dw_planes, &ctx);
}
