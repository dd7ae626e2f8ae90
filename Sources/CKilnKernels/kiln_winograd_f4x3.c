/*
 * kiln_winograd_f4x3.c — Winograd F(4x4, 3x3) transforms (Lavin & Gray 2015), run by the
 * driver in kiln_winograd.c: 36 multiplies per 4x4 outputs per channel pair instead of
 * 144 (4x fewer), as 36 GEMMs over C.
 *
 * Interpolation points 0, 1, -1, 2, -2 and infinity: the smallest-magnitude set with six
 * points, so B^T and A^T have small integer entries (|entry| <= 8) and the fp32 error stays
 * about 10x that of direct convolution (measured in WinogradKernelTests); points such as
 * +-1/2 need alpha = 8 (F(6x6, 3x3), as NNPACK), which would cost more accuracy again.
 *
 *   G = [ 1/4     0     0  ]   B^T = [4  0 -5  0 1 0]   A^T = [1 1  1 1  1 0]
 *       [-1/6  -1/6  -1/6  ]         [0 -4 -4  1 1 0]         [0 1 -1 2 -2 0]
 *       [-1/6   1/6  -1/6  ]         [0  4 -4 -1 1 0]         [0 1  1 4  4 0]
 *       [1/24  1/12   1/6  ]         [0 -2 -1  2 1 0]         [0 1 -1 8 -8 1]
 *       [1/24 -1/12   1/6  ]         [0  2 -1 -2 1 0]
 *       [  0     0     1   ]         [0  4  0 -5 0 1]
 */
#include "kiln_winograd_simd.h"
#include "kiln_gemm.h"

#include <math.h>
#include <stdlib.h>


int kiln_winograd_f4x3_applicable(const kiln_conv2d_params *p) { return kiln_winograd_f2x3_applicable(p); }
size_t kiln_winograd_f4x3_packed_size(int oc, int c) { return kiln_winograd_packed_size(6, oc, c); }
size_t kiln_winograd_f4x3_workspace_size(const kiln_conv2d_params *p) { return kiln_winograd_workspace_size(6, p); }

/* One filter's 36 values of G g G^T; g's 9 taps at g[tap * stride] (row-major 3x3). One
 * function for both packings below, so they agree bit for bit. */
static void f4_weight_transform(const float *g, size_t stride, float u[36]) {
    static const double G[6][3] = {{1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                   {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                   {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
    double t[6][3]; /* G g, in double: the compile-time transform adds no error */
    for (int r = 0; r < 6; r++)
        for (int j = 0; j < 3; j++)
            t[r][j] = G[r][0] * g[j * stride] + G[r][1] * g[(3 + j) * stride] + G[r][2] * g[(6 + j) * stride];
    for (int r = 0; r < 6; r++)
        for (int s = 0; s < 6; s++) u[r * 6 + s] = (float)(t[r][0] * G[s][0] + t[r][1] * G[s][1] + t[r][2] * G[s][2]);
}

void kiln_winograd_f4x3_weight_transform(const float *g, size_t stride, float *u) { f4_weight_transform(g, stride, u); }

// w: (OC, C, 3, 3) -> u: (G g G^T)[f / 6][f % 6] as 36 (OC, C) matrices.
void kiln_winograd_f4x3_planes(int oc, int c, const float *w, float *u) {
    const size_t plane = (size_t)oc * c;
    for (size_t oi = 0; oi < plane; oi++) {
        float f[36];
        f4_weight_transform(w + oi * 9, 1, f);
        for (int k = 0; k < 36; k++) u[(size_t)k * plane + oi] = f[k];
    }
}

// w: (OC, C, 3, 3) -> the 36 planes of kiln_winograd_f4x3_planes, packed.
void kiln_winograd_f4x3_pack(int oc, int c, const float *w, float *packed) {
    float *u = (float *)malloc(sizeof(float) * 36 * (size_t)oc * c);
    if (!u) return;
    kiln_winograd_f4x3_planes(oc, c, w, u);
    kiln_winograd_pack_freqs(6, oc, c, u, packed);
    free(u);
}

void kiln_winograd_f4x3_pack_from_gemm(int oc, int c, const float *gemm_packed, float *packed) {
    kiln_winograd_pack_from_gemm(6, oc, c, gemm_packed, packed, f4_weight_transform, kiln_winograd_f4x3_pack);
}

/* Filter g (3x3, row-major) back from its F(2x2, 3x3) weights u = G2 g G2^T (4x4, at
 * u[k * stride]), G2 = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]: rows and columns 0 and 3 of
 * G2 pick taps 0 and 2, and row 1 - row 2 picks tap 1. Exact but for u's own rounding to
 * float (a few ulp of the filter's largest taps). */
static void f2_weights_to_filter(const float *u, size_t stride, float g[9]) {
    double t[4][3]; /* u G2^-T: per row r of u, the three columns of G2 g */
    for (int r = 0; r < 4; r++) {
        const double u0 = u[(r * 4) * stride], u1 = u[(r * 4 + 1) * stride], u2 = u[(r * 4 + 2) * stride],
                     u3 = u[(r * 4 + 3) * stride];
        t[r][0] = u0, t[r][1] = u1 - u2, t[r][2] = u3;
    }
    for (int j = 0; j < 3; j++) {
        g[j] = (float)t[0][j];
        g[3 + j] = (float)(t[1][j] - t[2][j]);
        g[6 + j] = (float)t[3][j];
    }
}

typedef struct {
    int oc, c;
    const float *u2;
    float *u4;
} from_f2_ctx;

/* Rows [r0, r1) of every frequency plane: the (OC, C) planes of both packings share one
 * layout (kiln_gemm's A panels, or row-major), so (o, ch) sits at the same offset in each. */
static size_t plane_offset(int c, int o, int ch) {
#if KILN_WINO_KILN_GEMM
    return (size_t)(o / KILN_GEMM_MR) * KILN_GEMM_MR * c + (size_t)ch * KILN_GEMM_MR + o % KILN_GEMM_MR;
#else
    return (size_t)o * c + ch;
#endif
}

static void from_f2_rows(void *vctx, size_t r0, size_t r1) {
    const from_f2_ctx *x = (const from_f2_ctx *)vctx;
    const size_t fs2 = kiln_winograd_f2x3_packed_size(x->oc, x->c) / 16;
    const size_t fs4 = kiln_winograd_f4x3_packed_size(x->oc, x->c) / 36;
    for (size_t o = r0; o < r1; o++)
        for (int ch = 0; ch < x->c; ch++) {
            const size_t off = plane_offset(x->c, (int)o, ch);
            float g[9], f[36] = {0}; /* padding rows: +0, as kiln_winograd_f4x3_pack's */
            if (o < (size_t)x->oc) {
                f2_weights_to_filter(x->u2 + off, fs2, g);
                f4_weight_transform(g, 1, f);
            }
            for (int k = 0; k < 36; k++) x->u4[off + (size_t)k * fs4] = f[k];
        }
}

void kiln_winograd_f4x3_pack_from_f2x3(int oc, int c, const float *f2x3_packed, float *packed) {
    from_f2_ctx x = {oc, c, f2x3_packed, packed};
    /* All rows of the planes, padding rows (zero in, zero out) included. */
    const size_t rows = kiln_winograd_f4x3_packed_size(oc, c) / 36 / (size_t)(c > 0 ? c : 1);
    kiln_parallel_for(rows, 8, from_f2_rows, &x);
}

/* ------------------------------------------------------------------ portable path */

/* r = B^T d for 6 values with stride s (in) and so (out). */
static inline void bt6(const float *d, int s, float *r, int so) {
    const float d0 = d[0], d1 = d[s], d2 = d[2 * s], d3 = d[3 * s], d4 = d[4 * s], d5 = d[5 * s];
    const float t0 = d4 - 4 * d2, t1 = d3 - 4 * d1, t2 = d4 - d2, t3 = 2 * (d3 - d1);
    r[0] = 4 * d0 - 5 * d2 + d4;
    r[so] = t0 + t1;
    r[2 * so] = t0 - t1;
    r[3 * so] = t2 + t3;
    r[4 * so] = t2 - t3;
    r[5 * so] = 4 * d1 - 5 * d3 + d5;
}

/* r = A^T m for 6 values with stride s (in) and so (out). */
static inline void at6(const float *m, size_t s, float *r, int so) {
    const float s12 = m[s] + m[2 * s], d12 = m[s] - m[2 * s];
    const float s34 = m[3 * s] + m[4 * s], d34 = m[3 * s] - m[4 * s];
    r[0] = m[0] + s12 + s34;
    r[so] = d12 + 2 * d34;
    r[2 * so] = s12 + 4 * s34;
    r[3 * so] = d12 + 8 * d34 + m[5 * s];
}

static void f4_input_portable(const kiln_conv2d_params *p, const float *xn, int ty, int tx0, int cnt,
                              int c0, int c1, float *v, size_t ldv, size_t fs) {
    for (int c = c0; c < c1; c++) {
        const float *xc = xn + (size_t)c * p->h * p->w;
        for (int t = 0; t < cnt; t++) {
            const int y0 = ty * 4 - p->pad_h, x0 = (tx0 + t) * 4 - p->pad_w;
            float d[6][6], b[6][6], r[6][6];
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++) {
                    const int iy = y0 + i, ix = x0 + j;
                    d[i][j] = (iy >= 0 && iy < p->h && ix >= 0 && ix < p->w) ? xc[(size_t)iy * p->w + ix] : 0.0f;
                }
            for (int j = 0; j < 6; j++) bt6(&d[0][j], 6, &b[0][j], 6); /* B^T d */
            for (int i = 0; i < 6; i++) bt6(&b[i][0], 1, &r[i][0], 1); /* (B^T d) B */
            for (int f = 0; f < 36; f++) v[(size_t)f * fs + (size_t)c * ldv + t] = r[f / 6][f % 6];
        }
    }
}

static void f4_output_portable(const kiln_conv2d_params *p, const float *m, size_t ldm, size_t fs, int ty,
                               int tx0, int cnt, int o0, int o1, const float *bias, const float *rn,
                               float *yn) {
    const size_t npix = (size_t)p->oh * p->ow;
    float lo, hi;
    kiln_act_bounds(&p->act, &lo, &hi);
    for (int o = o0; o < o1; o++) {
        const float b = bias ? bias[o] : 0.0f;
        for (int t = 0; t < cnt; t++) {
            const float *mt = m + (size_t)o * ldm + t;
            float a[4][6], r[4][4];
            for (int j = 0; j < 6; j++) at6(mt + (size_t)j * fs, 6 * fs, &a[0][j], 6); /* A^T m */
            for (int i = 0; i < 4; i++) at6(&a[i][0], 1, &r[i][0], 1);                /* (A^T m) A */
            for (int i = 0; i < 4 && ty * 4 + i < p->oh; i++)
                for (int j = 0; j < 4 && (tx0 + t) * 4 + j < p->ow; j++) {
                    const size_t at = (size_t)o * npix + (size_t)(ty * 4 + i) * p->ow + (tx0 + t) * 4 + j;
                    const float val = r[i][j] + b + (rn ? rn[at] : 0.0f);
                    yn[at] = kiln_act_scalar(&p->act, val); /* every kind: this is the portable path */
                }
        }
    }
}

/* ------------------------------------------------------------------ AVX-512 path */

#if KILN_WINO_AVX512
#define ADD _mm512_add_ps
#define SUB _mm512_sub_ps
#define MUL _mm512_mul_ps
#define FMA _mm512_fmadd_ps
#define FNMA _mm512_fnmadd_ps /* -(a b) + c */

KILN_AVX512_FN static inline void bt6v(const __m512 d[6], __m512 r[6]) {
    const __m512 four = _mm512_set1_ps(4), five = _mm512_set1_ps(5), two = _mm512_set1_ps(2);
    const __m512 t0 = FNMA(four, d[2], d[4]), t1 = FNMA(four, d[1], d[3]);
    const __m512 t2 = SUB(d[4], d[2]), t3 = MUL(two, SUB(d[3], d[1]));
    r[0] = FMA(four, d[0], FNMA(five, d[2], d[4]));
    r[1] = ADD(t0, t1);
    r[2] = SUB(t0, t1);
    r[3] = ADD(t2, t3);
    r[4] = SUB(t2, t3);
    r[5] = FMA(four, d[1], FNMA(five, d[3], d[5]));
}

KILN_AVX512_FN static inline void at6v(const __m512 m[6], __m512 r[4]) {
    const __m512 s12 = ADD(m[1], m[2]), d12 = SUB(m[1], m[2]), s34 = ADD(m[3], m[4]), d34 = SUB(m[3], m[4]);
    r[0] = ADD(ADD(m[0], s12), s34);
    r[1] = FMA(_mm512_set1_ps(2), d34, d12);
    r[2] = FMA(_mm512_set1_ps(4), s34, s12);
    r[3] = ADD(FMA(_mm512_set1_ps(8), d34, d12), m[5]);
}

/* The input transforms' column pass: t[i] = row i of d B (16 tiles) -> v's planes at vc. */
KILN_AVX512_FN static inline void f4_input_columns(__m512 t[6][6], float *vc, size_t fs, __mmask16 sm) {
    for (int j = 0; j < 6; j++) {
        const __m512 col[6] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]};
        __m512 r[6];
        bt6v(col, r); /* B^T (d B), column j */
        for (int k = 0; k < 6; k++) _mm512_mask_storeu_ps(vc + (size_t)(k * 6 + j) * fs, sm, r[k]);
    }
}

/* The output transforms' first pass: a[k][j] = (A^T m)[k][j], m's planes at mt (16 tiles). */
KILN_AVX512_FN static inline void f4_output_columns(const float *mt, size_t fs, __mmask16 sm, __m512 a[4][6]) {
    for (int j = 0; j < 6; j++) {
        __m512 col[6], r[4];
        for (int i = 0; i < 6; i++) col[i] = _mm512_maskz_loadu_ps(sm, mt + (size_t)(i * 6 + j) * fs);
        at6v(col, r);
        for (int k = 0; k < 4; k++) a[k][j] = r[k];
    }
}

/* Output row k of 16 tiles: r = (A^T m A)[k] (r[j]: column j of every tile) re-interleaved
 * into w[0..3], 64 floats in tile order (4 per tile), so that stores to y are contiguous. */
KILN_AVX512_FN static inline void f4_output_row(const __m512 ak[6], __m512 w[4]) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    __m512 r[4];
    at6v(ak, r);
    const __m512 q0 = _mm512_permutex2var_ps(r[0], lo, r[2]), q2 = _mm512_permutex2var_ps(r[0], hi, r[2]);
    const __m512 q1 = _mm512_permutex2var_ps(r[1], lo, r[3]), q3 = _mm512_permutex2var_ps(r[1], hi, r[3]);
    w[0] = _mm512_permutex2var_ps(q0, lo, q1), w[1] = _mm512_permutex2var_ps(q0, hi, q1);
    w[2] = _mm512_permutex2var_ps(q2, lo, q3), w[3] = _mm512_permutex2var_ps(q2, hi, q3);
}

/* 16 tiles of a tile row per vector (lane l = tile tx0 + g + l). Each input row's 66
 * columns are loaded as plain vectors (masked at the image edge: zero padding for free)
 * and de-interleaved by two rounds of even/odd permutes into "column j of every tile";
 * outputs are re-interleaved the same way, so all stores to v and y are contiguous. */
KILN_AVX512_FN static void f4_input_avx512(const kiln_conv2d_params *p, const float *xn, int ty, int tx0,
                                           int cnt, int c0, int c1, float *v, size_t ldv, size_t fs) {
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const int y0 = ty * 4 - p->pad_h, W = p->w, prefetch = wino_prefetch_input(p);
    for (int c = c0; c < c1; c++) {
        const float *xc = xn + (size_t)c * p->h * W;
        if (prefetch) wino_prefetch_rows(xc, p->h, p->w, y0 + 6, y0 + 10, tx0 * 4 - p->pad_w, (tx0 + cnt) * 4 - p->pad_w + 2);
        for (int g = 0; g < cnt; g += 16) {
            const __mmask16 sm = (__mmask16)((1u << (cnt - g < 16 ? cnt - g : 16)) - 1);
            const int xs = (tx0 + g) * 4 - p->pad_w;
            __m512 t[6][6];
            for (int i = 0; i < 6; i++) {
                const int iy = y0 + i;
                __m512 d[6];
                if (iy < 0 || iy >= p->h) {
                    for (int j = 0; j < 6; j++) d[j] = _mm512_setzero_ps();
                } else {
                    const float *row = xc + (size_t)iy * W + xs;
                    const __m512 a0 = _mm512_maskz_loadu_ps(span_mask(xs, W), row);
                    const __m512 a1 = _mm512_maskz_loadu_ps(span_mask(xs + 16, W), row + 16);
                    const __m512 a2 = _mm512_maskz_loadu_ps(span_mask(xs + 32, W), row + 32);
                    const __m512 a3 = _mm512_maskz_loadu_ps(span_mask(xs + 48, W), row + 48);
                    const __m512i a4 = _mm512_castps_si512(_mm512_maskz_loadu_ps(span_mask(xs + 64, W) & 3, row + 64));
                    const __m512 p0 = _mm512_permutex2var_ps(a0, ev, a1), p1 = _mm512_permutex2var_ps(a0, od, a1);
                    const __m512 p2 = _mm512_permutex2var_ps(a2, ev, a3), p3 = _mm512_permutex2var_ps(a2, od, a3);
                    d[0] = _mm512_permutex2var_ps(p0, ev, p2); /* column 4l */
                    d[2] = _mm512_permutex2var_ps(p0, od, p2); /* column 4l + 2 */
                    d[1] = _mm512_permutex2var_ps(p1, ev, p3);
                    d[3] = _mm512_permutex2var_ps(p1, od, p3);
                    d[4] = _mm512_castsi512_ps(_mm512_alignr_epi32(a4, _mm512_castps_si512(d[0]), 1));
                    d[5] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_alignr_epi32(a4, a4, 1), _mm512_castps_si512(d[1]), 1));
                }
                bt6v(d, t[i]); /* row i times B */
            }
            f4_input_columns(t, v + (size_t)c * ldv + g, fs, sm);
        }
    }
}

KILN_AVX512_FN static void f4_output_avx512(const kiln_conv2d_params *p, const float *m, size_t ldm, size_t fs,
                                            int ty, int tx0, int cnt, int o0, int o1, const float *bias,
                                            const float *rn, float *yn) {
    const size_t npix = (size_t)p->oh * p->ow;
    const int prefetch = rn && wino_prefetch_residual(p);
    for (int o = o0; o < o1; o++) {
        const __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.0f);
        if (prefetch) wino_prefetch_rows(rn + (size_t)o * npix, p->oh, p->ow, (ty + 1) * 4, (ty + 2) * 4, tx0 * 4, (tx0 + cnt) * 4);
        for (int g = 0; g < cnt; g += 16) {
            const int lanes = cnt - g < 16 ? cnt - g : 16;
            __m512 a[4][6]; /* A^T m: a[k][j] */
            f4_output_columns(m + (size_t)o * ldm + g, fs, (__mmask16)((1u << lanes) - 1), a);
            const int base = (tx0 + g) * 4, lim = (tx0 + g + lanes) * 4 < p->ow ? (tx0 + g + lanes) * 4 : p->ow;
            for (int k = 0; k < 4; k++) {
                const int oy = ty * 4 + k;
                if (oy >= p->oh) break;
                __m512 w[4];
                f4_output_row(a[k], w);
                const size_t at = (size_t)o * npix + (size_t)oy * p->ow + base;
                for (int q = 0; q < 4 && base + 16 * q < lim; q++)
                    wino_store16(p, w[q], b, rn, yn, at + 16 * q, span_mask(base + 16 * q, lim));
            }
        }
    }
}

/* Narrow images (2 <= tw <= 7 tiles per row: ResNet's 28x28 and 14x14 layers) put `rows`
 * whole tile rows ty.. in one vector, lane s * tw + l = tile (ty + s, l), where the one-row
 * transforms would fill 7 or 4 of 16 lanes and repeat all their arithmetic and stores per
 * row. Sub-row s's input row (4 tw + 2 <= 30 columns) is two vectors; column j of its tiles
 * is one permute of them (index 4 l + j), blended into the sub-row's lanes. */
KILN_AVX512_FN static void f4_input_rows_avx512(const kiln_conv2d_params *p, const float *xn, int ty, int rows,
                                                int c0, int c1, float *v, size_t ldv, size_t fs) {
    const int tw = (p->ow + 3) / 4, lanes = rows * tw, W = p->w, xs = -p->pad_w, next = (ty + rows) * 4 - p->pad_h + 2;
    const __mmask16 sm = (__mmask16)((1u << lanes) - 1), m0 = span_mask(xs, W), m1 = span_mask(xs + 16, W);
    __m512i idx[6];
    for (int j = 0, at[16]; j < 6; j++) {
        for (int q = 0; q < 16; q++) at[q] = q < lanes ? 4 * (q % tw) + j : 0;
        idx[j] = _mm512_loadu_si512(at);
    }
    for (int c = c0, prefetch = wino_prefetch_input(p); c < c1; c++) {
        const float *xc = xn + (size_t)c * p->h * W;
        if (prefetch) wino_prefetch_rows(xc, p->h, W, next, next + 4 * rows, xs, xs + 4 * tw + 2);
        __m512 t[6][6];
        for (int i = 0; i < 6; i++) {
            __m512 d[6];
            for (int j = 0; j < 6; j++) d[j] = _mm512_setzero_ps();
            for (int s = 0; s < rows; s++) {
                const int iy = (ty + s) * 4 - p->pad_h + i;
                if (iy < 0 || iy >= p->h) continue; /* padding rows: the lanes stay zero */
                const float *row = xc + (size_t)iy * W + xs;
                const __m512 a0 = _mm512_maskz_loadu_ps(m0, row), a1 = _mm512_maskz_loadu_ps(m1, row + 16);
                const __mmask16 sub = (__mmask16)(((1u << tw) - 1) << (s * tw));
                for (int j = 0; j < 6; j++) d[j] = _mm512_mask_mov_ps(d[j], sub, _mm512_permutex2var_ps(a0, idx[j], a1));
            }
            bt6v(d, t[i]); /* row i times B */
        }
        f4_input_columns(t, v + (size_t)c * ldv, fs, sm);
    }
}

/* The output side of f4_input_rows_avx512: after the re-interleave, output row k of sub-row
 * s's tiles is floats [4 s tw, 4 s tw + OW) of the 64 in w[0..3]; each 16-float piece of it
 * is stored masked at its place in output row 4 (ty + s) + k (the address of lane 0 may lie
 * before the row: masked-off lanes are not accessed). */
KILN_AVX512_FN static void f4_output_rows_avx512(const kiln_conv2d_params *p, const float *m, size_t ldm, size_t fs,
                                                 int ty, int rows, int o0, int o1, const float *bias,
                                                 const float *rn, float *yn) {
    const size_t npix = (size_t)p->oh * p->ow;
    const int tw = (p->ow + 3) / 4, lanes = rows * tw, OW = p->ow, prefetch = rn && wino_prefetch_residual(p);
    for (int o = o0; o < o1; o++) {
        const __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.0f);
        if (prefetch) wino_prefetch_rows(rn + (size_t)o * npix, p->oh, OW, (ty + rows) * 4, (ty + 2 * rows) * 4, 0, OW);
        __m512 a[4][6]; /* A^T m: a[k][j] */
        f4_output_columns(m + (size_t)o * ldm, fs, (__mmask16)((1u << lanes) - 1), a);
        for (int k = 0; k < 4; k++) {
            __m512 w[4];
            f4_output_row(a[k], w);
            for (int s = 0; s < rows; s++) {
                const int oy = (ty + s) * 4 + k;
                if (oy >= p->oh) break;
                const int start = 4 * s * tw; /* first float of this row in w */
                const size_t row = (size_t)o * npix + (size_t)oy * OW;
                for (int q = start / 16; q < 4 && 16 * q < start + OW; q++)
                    wino_store16(p, w[q], b, rn, yn, row + 16 * q - start, span_mask(16 * q - start, OW));
            }
        }
    }
}
#endif

#if KILN_WINO_ONLY_AVX512 /* see kiln_winograd_simd.h: the portable transforms cannot run here */
static const kiln_winograd_variant f4_portable = {4, 6, f4_input_avx512, f4_output_avx512, f4_input_rows_avx512,
                                                  f4_output_rows_avx512};
#else
static const kiln_winograd_variant f4_portable = {4, 6, f4_input_portable, f4_output_portable, NULL, NULL};
#endif
#if KILN_WINO_AVX512
static const kiln_winograd_variant f4_avx512 = {4, 6, f4_input_avx512, f4_output_avx512, f4_input_rows_avx512,
                                                f4_output_rows_avx512};
#define F4_AVX512 (&f4_avx512)
#else
#define F4_AVX512 NULL
#endif

// x: (N, C, H, W), u: kiln_winograd_f4x3_pack's, y: (N, OC, OH, OW).
void kiln_conv2d_winograd_f4x3(const kiln_conv2d_params *p, const float *x, const float *u,
                               const float *bias, const float *residual, float *y,
                               float *workspace) {
    kiln_winograd_run(&f4_portable, F4_AVX512, p, x, u, bias, residual, y, workspace);
}

void kiln_conv2d_winograd_f4x3_with(const kiln_winograd_gemm *gemm, const kiln_conv2d_params *p, const float *x,
                                    const float *u, const float *bias, const float *residual, float *y,
                                    float *workspace) {
    kiln_winograd_run_with(&f4_portable, F4_AVX512, gemm, p, x, u, bias, residual, y, workspace);
}
