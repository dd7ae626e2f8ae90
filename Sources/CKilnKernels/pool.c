/*
 * pool.c — max pooling and adaptive average pooling (PyTorch semantics).
 */
#include "kiln_kernels.h"

#include "kiln_gemm.h" /* kiln_gemm_cpu_has_avx512: the kernels' one cached CPU check */
#include "kiln_ops_internal.h" /* kiln_maxpool_row */

#include <math.h>
#include <stdlib.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
/* AVX-512 functions carry their own target: this file is also built without -march. */
#define KILN_POOL_AVX512 1
#define KILN_POOL_AVX512_FN __attribute__((target("avx512f")))
#else
#define KILN_POOL_AVX512 0
#endif

/* Planes per chunk are sized to roughly this many floats of work so spawns stay cheap. */
#define KILN_POOL_GRAIN 32768

/* Floor division for a possibly negative numerator (C's '/' truncates toward zero). */
static int pool_floor_div(int a, int b) {
    int q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Indices t in [0, count) with 0 <= start + t*step < size, as [*lo, *hi). Why: the window
 * taps that fall in the padding are skipped by range instead of tested one by one. */
static void pool_valid_range(int start, int step, int count, int size, int *lo, int *hi) {
    int l = start >= 0 ? 0 : (-start + step - 1) / step;
    int h = start >= size ? 0 : (size - start + step - 1) / step;
    if (h > count) h = count;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* PyTorch's pooling_output_shape: with ceil_mode the last window must still start inside
 * the input or the left padding, otherwise it is dropped. */
static int pool_out_dim(int in, int k, int stride, int pad, int dil, int ceil_mode) {
    int out = pool_floor_div(in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
    if (ceil_mode && (out - 1) * stride >= in + pad) out--;
    return out;
}

int kiln_maxpool2d_init(kiln_maxpool2d_params *p) {
    if (!p) return -1;
    if (p->n <= 0 || p->c <= 0 || p->h <= 0 || p->w <= 0) return -1;
    if (p->kh <= 0 || p->kw <= 0 || p->stride_h <= 0 || p->stride_w <= 0) return -1;
    if (p->dil_h <= 0 || p->dil_w <= 0) return -1;
    if (p->pad_h < 0 || p->pad_w < 0 || p->pad_h > p->kh / 2 || p->pad_w > p->kw / 2) return -1;
    int oh = pool_out_dim(p->h, p->kh, p->stride_h, p->pad_h, p->dil_h, p->ceil_mode);
    int ow = pool_out_dim(p->w, p->kw, p->stride_w, p->pad_w, p->dil_w, p->ceil_mode);
    if (oh < 1 || ow < 1) return -1;
    p->oh = oh;
    p->ow = ow;
    return 0;
}

/* max that lets NaN win, as PyTorch's CPU kernel does (`val > max || isnan(val)`). */
static inline float max_nan(float m, float v) { return (v > m || v != v) ? v : m; }

// x: (N, C, H, W), y: (N, C, OH, OW). Every tap tested against the bounds; padding = -inf.
void kiln_maxpool2d_ref(const kiln_maxpool2d_params *p, const float *x, float *y) {
    for (size_t pl = 0; pl < (size_t)p->n * p->c; pl++) {
        const float *xp = x + pl * p->h * p->w;
        float *yp = y + pl * p->oh * p->ow;
        for (int oy = 0; oy < p->oh; oy++) {
            for (int ox = 0; ox < p->ow; ox++) {
                float m = -INFINITY;
                for (int ky = 0; ky < p->kh; ky++) {
                    const int iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
                    if (iy < 0 || iy >= p->h) continue;
                    for (int kx = 0; kx < p->kw; kx++) {
                        const int ix = ox * p->stride_w - p->pad_w + kx * p->dil_w;
                        if (ix < 0 || ix >= p->w) continue;
                        m = max_nan(m, xp[(size_t)iy * p->w + ix]);
                    }
                }
                yp[(size_t)oy * p->ow + ox] = m;
            }
        }
    }
}

typedef struct {
    const kiln_maxpool2d_params *p;
    const int *kx_range; /* per ox: [kx_lo, kx_hi) of taps inside the input */
    const float *x;
    float *y;
} maxpool_ctx;

/* Separable max pooling for dil_w == 1: per output row, the elementwise max of its KH input
 * rows (contiguous, vectorises), then each output's max over its KW neighbours in that row.
 * Why: the direct loop does KH*KW scalar taps per output with a bounds-checked gather; this
 * does KH vector taps per input column plus KW scalar taps per output (ResNet's 3x3/2 pool:
 * ~5x fewer instructions). Same NaN propagation (max_nan) and the same result, since max is
 * associative. */
#if KILN_POOL_AVX512
/* max_nan on 16 lanes, bit for bit: v where v > m or v is NaN, else m. */
KILN_POOL_AVX512_FN static inline __m512 max_nan16(__m512 m, __m512 v) {
    const __mmask16 take = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_mov_ps(m, take, v);
}

/* The column step of a 3-wide, stride-2, pad-1 window (ResNet's stem pool) on one row of
 * vertical maxima, 16 outputs per step: y[ox] = max(row[2ox - 1], row[2ox], row[2ox + 1]),
 * taps outside [0, w) skipped. Why: the generic column loop is scalar with a per-output tap
 * range and took ~2/3 of the pool's time (8.6 ms of ResNet18 at batch 32, far from the
 * memory bound). 32 row values load as two vectors (-inf past the row's end, which max
 * skips exactly as the range does) and split into even and odd columns; the odd ones
 * shifted by one lane give each output's left tap. Same tap order as the scalar loop, so the
 * same bits, signed zeros and NaNs included. */
KILN_POOL_AVX512_FN static void maxpool_row_3s2(const float *row, int w, float *y, int ow) {
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    for (int ox0 = 0; ox0 < ow; ox0 += 16) {
        const int base = 2 * ox0, left = w - base;
        const __mmask16 ma = left >= 16 ? 0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
        const __mmask16 mb = left >= 32 ? 0xFFFF : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
        const __m512 a = _mm512_mask_loadu_ps(ninf, ma, row + base);
        const __m512 b = _mm512_mask_loadu_ps(ninf, mb, row + base + 16);
        const __m512 e = _mm512_permutex2var_ps(a, ev, b), o = _mm512_permutex2var_ps(a, od, b);
        const float prev = base >= 1 && base - 1 < w ? row[base - 1] : -INFINITY;
        const __m512 ol = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(o),
                                                                   _mm512_castps_si512(_mm512_set1_ps(prev)), 15));
        const __m512 out = max_nan16(max_nan16(max_nan16(ninf, ol), e), o);
        const int n = ow - ox0 < 16 ? ow - ox0 : 16;
        _mm512_mask_storeu_ps(y + ox0, (__mmask16)((1u << n) - 1), out);
    }
}

#endif

// One output row of a max pool with dil_w == 1 and w <= KILN_POOL_MAX_ROW: rows[0..nrows) are
// the input rows its window covers inside the input, top to bottom (none: the window lies
// wholly in the padding), kx_range the per-output tap ranges (kiln_maxpool2d's). The same
// code for the plain pool and for the stem convolution that pools its own rows
// (kiln_conv2d_stem_maxpool), so both give the same bits.
void kiln_maxpool_row(const kiln_maxpool2d_params *p, const float *const *rows, int nrows, const int *kx_range,
                      float *yr) {
    if (nrows == 0) {
        for (int ox = 0; ox < p->ow; ox++) yr[ox] = -INFINITY;
        return;
    }
    float row[KILN_POOL_MAX_ROW];
    const int w = p->w;
    for (int i = 0; i < w; i++) row[i] = rows[0][i];
    for (int r = 1; r < nrows; r++) {
        const float *xr = rows[r];
        for (int i = 0; i < w; i++) row[i] = max_nan(row[i], xr[i]);
    }
#if KILN_POOL_AVX512
    if (p->kw == 3 && p->stride_w == 2 && p->pad_w == 1 && kiln_gemm_cpu_has_avx512()) {
        maxpool_row_3s2(row, w, yr, p->ow);
        return;
    }
#endif
    for (int ox = 0; ox < p->ow; ox++) {
        const int sx = ox * p->stride_w - p->pad_w;
        float m = -INFINITY;
        for (int kx = kx_range[2 * ox]; kx < kx_range[2 * ox + 1]; kx++) m = max_nan(m, row[sx + kx]);
        yr[ox] = m;
    }
}

// Tap ranges of every output column: kx_range[2 ox], [2 ox + 1] = the taps inside the input.
void kiln_maxpool_kx_ranges(const kiln_maxpool2d_params *p, int *kx_range) {
    for (int ox = 0; ox < p->ow; ox++)
        pool_valid_range(ox * p->stride_w - p->pad_w, p->dil_w, p->kw, p->w, &kx_range[2 * ox], &kx_range[2 * ox + 1]);
}

static void maxpool_plane_separable(const kiln_maxpool2d_params *p, const int *kx_range,
                                    const float *xp, float *yp) {
    const float *rows[KILN_POOL_MAX_KH];
    for (int oy = 0; oy < p->oh; oy++) {
        const int sy = oy * p->stride_h - p->pad_h;
        int ky0, ky1;
        pool_valid_range(sy, p->dil_h, p->kh, p->h, &ky0, &ky1);
        for (int ky = ky0; ky < ky1; ky++) rows[ky - ky0] = xp + (size_t)(sy + ky * p->dil_h) * p->w;
        kiln_maxpool_row(p, rows, ky1 - ky0, kx_range, yp + (size_t)oy * p->ow);
    }
}

// Planes [i0, i1) of the N*C planes: (H, W) -> (OH, OW).
static void maxpool_planes(void *vctx, size_t i0, size_t i1) {
    const maxpool_ctx *ctx = (const maxpool_ctx *)vctx;
    const kiln_maxpool2d_params *p = ctx->p;
    if (p->dil_w == 1 && p->w <= KILN_POOL_MAX_ROW && p->kh <= KILN_POOL_MAX_KH) {
        for (size_t pl = i0; pl < i1; pl++)
            maxpool_plane_separable(p, ctx->kx_range, ctx->x + pl * p->h * p->w, ctx->y + pl * p->oh * p->ow);
        return;
    }
    for (size_t pl = i0; pl < i1; pl++) {
        const float *xp = ctx->x + pl * p->h * p->w;
        float *yp = ctx->y + pl * p->oh * p->ow;
        for (int oy = 0; oy < p->oh; oy++) {
            const int sy = oy * p->stride_h - p->pad_h;
            int ky0, ky1;
            pool_valid_range(sy, p->dil_h, p->kh, p->h, &ky0, &ky1);
            for (int ox = 0; ox < p->ow; ox++) {
                const int sx = ox * p->stride_w - p->pad_w;
                const int kx0 = ctx->kx_range[2 * ox], kx1 = ctx->kx_range[2 * ox + 1];
                float m = -INFINITY;
                for (int ky = ky0; ky < ky1; ky++) {
                    const float *xr = xp + (size_t)(sy + ky * p->dil_h) * p->w;
                    for (int kx = kx0; kx < kx1; kx++) m = max_nan(m, xr[sx + kx * p->dil_w]);
                }
                yp[(size_t)oy * p->ow + ox] = m;
            }
        }
    }
}

// x: (N, C, H, W), y: (N, C, OH, OW). Parallel over (n, c) planes; the column tap ranges
// are computed once per call rather than per output row.
void kiln_maxpool2d(const kiln_maxpool2d_params *p, const float *x, float *y) {
    int *kx_range = (int *)malloc(sizeof(int) * 2 * (size_t)p->ow);
    if (!kx_range) {
        kiln_maxpool2d_ref(p, x, y);
        return;
    }
    kiln_maxpool_kx_ranges(p, kx_range);
    maxpool_ctx ctx = {p, kx_range, x, y};
    size_t work = (size_t)p->oh * p->ow * p->kh * p->kw;
    size_t grain = work >= KILN_POOL_GRAIN ? 1 : KILN_POOL_GRAIN / work;
    /* Each thread its share of the planes, a quarter per claim (kiln_parallel_for_balanced). */
    kiln_parallel_for_balanced((size_t)p->n * p->c, grain, (grain + 3) / 4, maxpool_planes, &ctx);
    free(kx_range);
}

/* ------------------------------------------------------------------ adaptive average */

/* Bin i of `out` over `in`: [floor(i*in/out), ceil((i+1)*in/out)). */
static int bin_start(int i, int in, int out) { return (int)(((long long)i * in) / out); }
static int bin_end(int i, int in, int out) {
    return (int)(((long long)(i + 1) * in + out - 1) / out);
}

// x: (N, C, H, W), y: (N, C, OH, OW). Double sums; bins may overlap when OH doesn't divide H.
void kiln_adaptive_avgpool2d_ref(int n, int c, int h, int w, int oh, int ow,
                                 const float *x, float *y) {
    for (size_t pl = 0; pl < (size_t)n * c; pl++) {
        const float *xp = x + pl * h * w;
        float *yp = y + pl * oh * ow;
        for (int oy = 0; oy < oh; oy++) {
            const int y0 = bin_start(oy, h, oh), y1 = bin_end(oy, h, oh);
            for (int ox = 0; ox < ow; ox++) {
                const int x0 = bin_start(ox, w, ow), x1 = bin_end(ox, w, ow);
                double s = 0.0;
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) s += xp[(size_t)iy * w + ix];
                yp[(size_t)oy * ow + ox] = (float)(s / ((double)(y1 - y0) * (x1 - x0)));
            }
        }
    }
}

typedef struct {
    int h, w, oh, ow;
    const int *xbins; /* per ox: [x0, x1) */
    const float *x;
    float *y;
} avgpool_ctx;

// Planes [i0, i1) of the N*C planes: (H, W) -> (OH, OW).
static void avgpool_planes(void *vctx, size_t i0, size_t i1) {
    const avgpool_ctx *ctx = (const avgpool_ctx *)vctx;
    const int h = ctx->h, w = ctx->w, oh = ctx->oh, ow = ctx->ow;
    for (size_t pl = i0; pl < i1; pl++) {
        const float *xp = ctx->x + pl * h * w;
        float *yp = ctx->y + pl * oh * ow;
        for (int oy = 0; oy < oh; oy++) {
            const int y0 = bin_start(oy, h, oh), y1 = bin_end(oy, h, oh);
            for (int ox = 0; ox < ow; ox++) {
                const int x0 = ctx->xbins[2 * ox], x1 = ctx->xbins[2 * ox + 1];
                float s = 0.0f;
                for (int iy = y0; iy < y1; iy++) {
                    const float *xr = xp + (size_t)iy * w;
                    for (int ix = x0; ix < x1; ix++) s += xr[ix];
                }
                /* Multiply by the reciprocal count: one division per output, not per tap. */
                yp[(size_t)oy * ow + ox] = s * (1.0f / (float)((y1 - y0) * (x1 - x0)));
            }
        }
    }
}

/* ------------------------------------------------------------------ global average */
/* Here rather than in ops_pool.c beside the other ONNX pools: adaptive average pooling to 1x1
 * (every ResNet and squeeze-excitation block) runs it, and a library compiles only the kernel
 * files it calls into. */

typedef struct {
    size_t hw;
    const float *x;
    float *y;
    int avx512;
} global_avg_ctx;

#if KILN_POOL_AVX512
// One row's sum, four 16-lane accumulators (hides the add latency), the tail masked.
KILN_POOL_AVX512_FN static float row_sum_avx512(size_t n, const float *x) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_add_ps(a0, _mm512_loadu_ps(x + i));
        a1 = _mm512_add_ps(a1, _mm512_loadu_ps(x + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_loadu_ps(x + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_loadu_ps(x + i + 48));
    }
    for (; i + 16 <= n; i += 16) a0 = _mm512_add_ps(a0, _mm512_loadu_ps(x + i));
    if (i < n) a1 = _mm512_add_ps(a1, _mm512_maskz_loadu_ps((__mmask16)((1u << (n - i)) - 1), x + i));
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}
#endif

// One row's sum with eight partial sums (a loop the compiler can vectorise without
// reassociating a single accumulator).
static float row_sum(size_t n, const float *x) {
    float acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += x[i + j];
    float s = 0.0f;
    for (; i < n; i++) s += x[i];
    return s + ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static void global_avg_rows(void *vctx, size_t r0, size_t r1) {
    const global_avg_ctx *c = (const global_avg_ctx *)vctx;
    const float inv = 1.0f / (float)c->hw;
    for (size_t r = r0; r < r1; r++) {
#if KILN_POOL_AVX512
        if (c->avx512) { c->y[r] = row_sum_avx512(c->hw, c->x + r * c->hw) * inv; continue; }
#endif
        c->y[r] = row_sum(c->hw, c->x + r * c->hw) * inv;
    }
}

// x: (NC, HW) -> y: (NC), threaded over rows, float sums times 1/HW.
void kiln_global_avgpool(size_t nc, size_t hw, const float *x, float *y) {
    global_avg_ctx c = {hw, x, y, 0};
#if KILN_POOL_AVX512
    c.avx512 = kiln_gemm_uses_avx512();
#endif
    kiln_parallel_for(nc, hw >= KILN_POOL_GRAIN ? 1 : KILN_POOL_GRAIN / (hw ? hw : 1), global_avg_rows, &c);
}

// x: (N, C, H, W), y: (N, C, OH, OW). Parallel over (n, c) planes; column bins computed once.
// OH = OW = 1 (global pooling, e.g. every squeeze-excitation block) sums whole planes as vectors.
void kiln_adaptive_avgpool2d(int n, int c, int h, int w, int oh, int ow,
                             const float *x, float *y) {
    if (n <= 0 || c <= 0 || h <= 0 || w <= 0 || oh <= 0 || ow <= 0) return;
    if (oh == 1 && ow == 1) {
        kiln_global_avgpool((size_t)n * c, (size_t)h * w, x, y);
        return;
    }
    int *xbins = (int *)malloc(sizeof(int) * 2 * (size_t)ow);
    if (!xbins) {
        kiln_adaptive_avgpool2d_ref(n, c, h, w, oh, ow, x, y);
        return;
    }
    for (int ox = 0; ox < ow; ox++) {
        xbins[2 * ox] = bin_start(ox, w, ow);
        xbins[2 * ox + 1] = bin_end(ox, w, ow);
    }
    avgpool_ctx ctx = {h, w, oh, ow, xbins, x, y};
    /* Every input element is read about once (more where bins overlap). */
    size_t work = (size_t)h * w + (size_t)oh * ow;
    size_t grain = work >= KILN_POOL_GRAIN ? 1 : KILN_POOL_GRAIN / work;
    kiln_parallel_for((size_t)n * c, grain, avgpool_planes, &ctx);
    free(xbins);
}
