/*
 * kiln_winograd_f2x3.c — Winograd F(2x2, 3x3) transforms (Lavin & Gray 2015), run by the
 * driver in kiln_winograd.c: 16 multiplies per 2x2 outputs per channel pair instead of 36
 * (2.25x fewer), as 16 GEMMs over C. Entries of B^T and A^T are 0 and +-1, so its fp32
 * error is close to direct convolution's.
 *
 * G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   A^T = [1 1 1 0; 0 1 -1 -1]
 */
#include "kiln_winograd_simd.h"
#include "kiln_gemm.h"

#include <math.h>
#include <stdlib.h>


int kiln_winograd_f2x3_applicable(const kiln_conv2d_params *p) {
    return p->kh == 3 && p->kw == 3 && p->stride_h == 1 && p->stride_w == 1 && p->dil_h == 1 &&
           p->dil_w == 1 && p->groups == 1;
}

size_t kiln_winograd_f2x3_packed_size(int oc, int c) { return kiln_winograd_packed_size(4, oc, c); }
size_t kiln_winograd_f2x3_workspace_size(const kiln_conv2d_params *p) { return kiln_winograd_workspace_size(4, p); }

// w: (OC, C, 3, 3) -> (G g G^T)[f / 4][f % 4] as 16 (OC, C) matrices, then packed.
/* u = G g G^T for one 3x3 filter g (taps g[0], g[stride], ... g[8 * stride]), as 16 floats
 * u[r * 4 + s]; in double, so the compile-time transform adds no error. */
static void f2_weight_transform(const float *g, size_t stride, float u[16]) {
    double t[4][3]; /* G g */
    for (int j = 0; j < 3; j++) {
        const double g0 = g[j * stride], g1 = g[(3 + j) * stride], g2 = g[(6 + j) * stride];
        t[0][j] = g0;
        t[1][j] = 0.5 * (g0 + g1 + g2);
        t[2][j] = 0.5 * (g0 - g1 + g2);
        t[3][j] = g2;
    }
    for (int r = 0; r < 4; r++) {
        const double uu[4] = {t[r][0], 0.5 * (t[r][0] + t[r][1] + t[r][2]),
                              0.5 * (t[r][0] - t[r][1] + t[r][2]), t[r][2]};
        for (int s = 0; s < 4; s++) u[r * 4 + s] = (float)uu[s];
    }
}

void kiln_winograd_f2x3_weight_transform(const float *g, size_t stride, float *u) { f2_weight_transform(g, stride, u); }

void kiln_winograd_f2x3_planes(int oc, int c, const float *w, float *u) {
    const size_t plane = (size_t)oc * c;
    for (size_t oi = 0; oi < plane; oi++) {
        float f[16];
        f2_weight_transform(w + oi * 9, 1, f);
        for (int k = 0; k < 16; k++) u[(size_t)k * plane + oi] = f[k];
    }
}

void kiln_winograd_f2x3_pack(int oc, int c, const float *w, float *packed) {
    float *u = (float *)malloc(sizeof(float) * 16 * (size_t)oc * c);
    kiln_winograd_f2x3_planes(oc, c, w, u);
    kiln_winograd_pack_freqs(4, oc, c, u, packed);
    free(u);
}

void kiln_winograd_f2x3_pack_from_gemm(int oc, int c, const float *gemm_packed, float *packed) {
    kiln_winograd_pack_from_gemm(4, oc, c, gemm_packed, packed, f2_weight_transform, kiln_winograd_f2x3_pack);
}

/* Portable path: one tile at a time. */
static void f2_input_portable(const kiln_conv2d_params *p, const float *xn, int ty, int tx0, int cnt,
                              int c0, int c1, float *v, size_t ldv, size_t fs) {
    for (int c = c0; c < c1; c++) {
        const float *xc = xn + (size_t)c * p->h * p->w;
        for (int t = 0; t < cnt; t++) {
            const int y0 = ty * 2 - p->pad_h, x0 = (tx0 + t) * 2 - p->pad_w;
            float d[4][4], b[4][4];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) {
                    const int iy = y0 + i, ix = x0 + j;
                    d[i][j] = (iy >= 0 && iy < p->h && ix >= 0 && ix < p->w) ? xc[(size_t)iy * p->w + ix] : 0.0f;
                }
            for (int j = 0; j < 4; j++) { /* B^T d */
                b[0][j] = d[0][j] - d[2][j];
                b[1][j] = d[1][j] + d[2][j];
                b[2][j] = d[2][j] - d[1][j];
                b[3][j] = d[1][j] - d[3][j];
            }
            float *vt = v + (size_t)c * ldv + t;
            for (int i = 0; i < 4; i++) { /* (B^T d) B */
                vt[(size_t)(i * 4 + 0) * fs] = b[i][0] - b[i][2];
                vt[(size_t)(i * 4 + 1) * fs] = b[i][1] + b[i][2];
                vt[(size_t)(i * 4 + 2) * fs] = b[i][2] - b[i][1];
                vt[(size_t)(i * 4 + 3) * fs] = b[i][1] - b[i][3];
            }
        }
    }
}

static void f2_output_portable(const kiln_conv2d_params *p, const float *m, size_t ldm, size_t fs, int ty,
                               int tx0, int cnt, int o0, int o1, const float *bias, const float *rn,
                               float *yn) {
    const size_t npix = (size_t)p->oh * p->ow;
    float lo, hi;
    kiln_act_bounds(&p->act, &lo, &hi);
    for (int o = o0; o < o1; o++) {
        const float b = bias ? bias[o] : 0.0f;
        for (int t = 0; t < cnt; t++) {
            const float *mt = m + (size_t)o * ldm + t;
            float a[2][4]; /* A^T m */
            for (int j = 0; j < 4; j++) {
                const float m0 = mt[(size_t)j * fs], m1 = mt[(size_t)(4 + j) * fs];
                const float m2 = mt[(size_t)(8 + j) * fs], m3 = mt[(size_t)(12 + j) * fs];
                a[0][j] = m0 + m1 + m2;
                a[1][j] = m1 - m2 - m3;
            }
            for (int i = 0; i < 2; i++) {
                const int oy = ty * 2 + i;
                if (oy >= p->oh) break;
                const float r[2] = {a[i][0] + a[i][1] + a[i][2], a[i][1] - a[i][2] - a[i][3]};
                for (int j = 0; j < 2; j++) {
                    const int ox = (tx0 + t) * 2 + j;
                    if (ox >= p->ow) break;
                    const size_t at = (size_t)o * npix + (size_t)oy * p->ow + ox;
                    const float val = r[j] + b + (rn ? rn[at] : 0.0f);
                    yn[at] = kiln_act_scalar(&p->act, val); /* every kind: this is the portable path */
                }
            }
        }
    }
}

#if KILN_WINO_AVX512
/* AVX-512 path: 16 tiles of a tile row per vector (lane l = tile tx0 + g + l). A tile
 * row's input columns are loaded as plain vectors (masked at the image edge: zero padding
 * for free) and de-interleaved with permutes into "column j of each tile" vectors; the
 * outputs are re-interleaved the same way, so all stores to v and y are contiguous. */
/* The input transforms' column pass: t[i] = row i of d B (16 tiles) -> v's planes at vc. */
KILN_AVX512_FN static inline void f2_input_columns(const __m512 t[4][4], float *vc, size_t fs, __mmask16 sm) {
    for (int j = 0; j < 4; j++) {
        _mm512_mask_storeu_ps(vc + (size_t)(0 + j) * fs, sm, _mm512_sub_ps(t[0][j], t[2][j]));
        _mm512_mask_storeu_ps(vc + (size_t)(4 + j) * fs, sm, _mm512_add_ps(t[1][j], t[2][j]));
        _mm512_mask_storeu_ps(vc + (size_t)(8 + j) * fs, sm, _mm512_sub_ps(t[2][j], t[1][j]));
        _mm512_mask_storeu_ps(vc + (size_t)(12 + j) * fs, sm, _mm512_sub_ps(t[1][j], t[3][j]));
    }
}

/* A^T m A for 16 tiles (lanes sm) of one output channel, m's planes at mt, re-interleaved:
 * w[i][0..1] = output row i of the tiles in tile order (2 floats per tile). */
KILN_AVX512_FN static inline void f2_output_tiles(const float *mt, size_t fs, __mmask16 sm, __m512 w[2][2]) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    __m512 a[2][4]; /* A^T m */
    for (int j = 0; j < 4; j++) {
        const __m512 m0 = _mm512_maskz_loadu_ps(sm, mt + (size_t)j * fs);
        const __m512 m1 = _mm512_maskz_loadu_ps(sm, mt + (size_t)(4 + j) * fs);
        const __m512 m2 = _mm512_maskz_loadu_ps(sm, mt + (size_t)(8 + j) * fs);
        const __m512 m3 = _mm512_maskz_loadu_ps(sm, mt + (size_t)(12 + j) * fs);
        a[0][j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
        a[1][j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
    }
    for (int i = 0; i < 2; i++) {
        const __m512 r0 = _mm512_add_ps(_mm512_add_ps(a[i][0], a[i][1]), a[i][2]);
        const __m512 r1 = _mm512_sub_ps(_mm512_sub_ps(a[i][1], a[i][2]), a[i][3]);
        w[i][0] = _mm512_permutex2var_ps(r0, lo, r1), w[i][1] = _mm512_permutex2var_ps(r0, hi, r1);
    }
}

KILN_AVX512_FN static void f2_input_avx512(const kiln_conv2d_params *p, const float *xn, int ty, int tx0,
                                           int cnt, int c0, int c1, float *v, size_t ldv, size_t fs) {
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const int y0 = ty * 2 - p->pad_h, prefetch = wino_prefetch_input(p);
    for (int c = c0; c < c1; c++) {
        const float *xc = xn + (size_t)c * p->h * p->w;
        if (prefetch) wino_prefetch_rows(xc, p->h, p->w, y0 + 4, y0 + 6, tx0 * 2 - p->pad_w, (tx0 + cnt) * 2 - p->pad_w + 2);
        for (int g = 0; g < cnt; g += 16) {
            const __mmask16 sm = (__mmask16)((1u << (cnt - g < 16 ? cnt - g : 16)) - 1);
            const int xs = (tx0 + g) * 2 - p->pad_w;
            __m512 t[4][4];
            for (int i = 0; i < 4; i++) {
                const int iy = y0 + i;
                __m512 d0 = _mm512_setzero_ps(), d1 = d0, d2 = d0, d3 = d0;
                if (iy >= 0 && iy < p->h) {
                    const float *row = xc + (size_t)iy * p->w + xs;
                    const __m512 a0 = _mm512_maskz_loadu_ps(span_mask(xs, p->w), row);
                    const __m512 a1 = _mm512_maskz_loadu_ps(span_mask(xs + 16, p->w), row + 16);
                    const __m512i a2 = _mm512_castps_si512(_mm512_maskz_loadu_ps(span_mask(xs + 32, p->w) & 3, row + 32));
                    d0 = _mm512_permutex2var_ps(a0, ev, a1); /* column 2l */
                    d1 = _mm512_permutex2var_ps(a0, od, a1); /* column 2l + 1 */
                    d2 = _mm512_castsi512_ps(_mm512_alignr_epi32(a2, _mm512_castps_si512(d0), 1));
                    d3 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_alignr_epi32(a2, a2, 1), _mm512_castps_si512(d1), 1));
                }
                t[i][0] = _mm512_sub_ps(d0, d2);
                t[i][1] = _mm512_add_ps(d1, d2);
                t[i][2] = _mm512_sub_ps(d2, d1);
                t[i][3] = _mm512_sub_ps(d1, d3);
            }
            f2_input_columns(t, v + (size_t)c * ldv + g, fs, sm);
        }
    }
}

KILN_AVX512_FN static void f2_output_avx512(const kiln_conv2d_params *p, const float *m, size_t ldm, size_t fs,
                                            int ty, int tx0, int cnt, int o0, int o1, const float *bias,
                                            const float *rn, float *yn) {
    const size_t npix = (size_t)p->oh * p->ow;
    const int prefetch = rn && wino_prefetch_residual(p);
    for (int o = o0; o < o1; o++) {
        const __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.0f);
        if (prefetch) wino_prefetch_rows(rn + (size_t)o * npix, p->oh, p->ow, (ty + 1) * 2, (ty + 2) * 2, tx0 * 2, (tx0 + cnt) * 2);
        for (int g = 0; g < cnt; g += 16) {
            const int lanes = cnt - g < 16 ? cnt - g : 16;
            __m512 w[2][2];
            f2_output_tiles(m + (size_t)o * ldm + g, fs, (__mmask16)((1u << lanes) - 1), w);
            const int base = (tx0 + g) * 2, lim = (tx0 + g + lanes) * 2 < p->ow ? (tx0 + g + lanes) * 2 : p->ow;
            for (int i = 0; i < 2; i++) {
                const int oy = ty * 2 + i;
                if (oy >= p->oh) break;
                const size_t at = (size_t)o * npix + (size_t)oy * p->ow + base;
                for (int q = 0; q < 2; q++)
                    wino_store16(p, w[i][q], b, rn, yn, at + 16 * q, span_mask(base + 16 * q, lim));
            }
        }
    }
}
#endif

#if KILN_WINO_AVX512
/* Narrow images (2 <= tw <= 7 tiles per row: ResNet's 14x14 layers at batch 1, its 7x7 ones
 * from batch 2) put `rows` whole tile rows ty.. in one vector, lane s * tw + l = tile
 * (ty + s, l), as F(4,3)'s input_rows. Sub-row s's input row (2 tw + 2 <= 16 columns) is one
 * vector; column j of its tiles is one permute of it (index 2 l + j) into the sub-row's lanes. */
KILN_AVX512_FN static void f2_input_rows_avx512(const kiln_conv2d_params *p, const float *xn, int ty, int rows,
                                                int c0, int c1, float *v, size_t ldv, size_t fs) {
    const int tw = (p->ow + 1) / 2, lanes = rows * tw, W = p->w, xs = -p->pad_w, next = (ty + rows) * 2 - p->pad_h + 2;
    const __mmask16 sm = (__mmask16)((1u << lanes) - 1), m0 = span_mask(xs, W);
    __m512i idx[4];
    for (int j = 0, at[16]; j < 4; j++) {
        for (int q = 0; q < 16; q++) at[q] = q < lanes ? 2 * (q % tw) + j : 0;
        idx[j] = _mm512_loadu_si512(at);
    }
    for (int c = c0, prefetch = wino_prefetch_input(p); c < c1; c++) {
        const float *xc = xn + (size_t)c * p->h * W;
        if (prefetch) wino_prefetch_rows(xc, p->h, W, next, next + 2 * rows, xs, xs + 2 * tw + 2);
        __m512 t[4][4];
        for (int i = 0; i < 4; i++) {
            __m512 d[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int s = 0; s < rows; s++) {
                const int iy = (ty + s) * 2 - p->pad_h + i;
                if (iy < 0 || iy >= p->h) continue; /* padding rows: the lanes stay zero */
                const __m512 a0 = _mm512_maskz_loadu_ps(m0, xc + (size_t)iy * W + xs);
                const __mmask16 sub = (__mmask16)(((1u << tw) - 1) << (s * tw));
                for (int j = 0; j < 4; j++) d[j] = _mm512_mask_permutexvar_ps(d[j], sub, idx[j], a0);
            }
            t[i][0] = _mm512_sub_ps(d[0], d[2]);
            t[i][1] = _mm512_add_ps(d[1], d[2]);
            t[i][2] = _mm512_sub_ps(d[2], d[1]);
            t[i][3] = _mm512_sub_ps(d[1], d[3]);
        }
        f2_input_columns(t, v + (size_t)c * ldv, fs, sm);
    }
}

/* The output side: output row i of sub-row s's tiles is floats [2 s tw, 2 s tw + OW) of the
 * 32 in w[0..1], each 16-float piece stored masked at its place (as f4_output_rows_avx512). */
KILN_AVX512_FN static void f2_output_rows_avx512(const kiln_conv2d_params *p, const float *m, size_t ldm, size_t fs,
                                                 int ty, int rows, int o0, int o1, const float *bias,
                                                 const float *rn, float *yn) {
    const size_t npix = (size_t)p->oh * p->ow;
    const int tw = (p->ow + 1) / 2, lanes = rows * tw, OW = p->ow, prefetch = rn && wino_prefetch_residual(p);
    for (int o = o0; o < o1; o++) {
        const __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.0f);
        if (prefetch) wino_prefetch_rows(rn + (size_t)o * npix, p->oh, OW, (ty + rows) * 2, (ty + 2 * rows) * 2, 0, OW);
        __m512 w[2][2];
        f2_output_tiles(m + (size_t)o * ldm, fs, (__mmask16)((1u << lanes) - 1), w);
        for (int i = 0; i < 2; i++)
            for (int s = 0; s < rows; s++) {
                const int oy = (ty + s) * 2 + i, start = 2 * s * tw; /* first float of this row in w[i] */
                if (oy >= p->oh) break;
                const size_t row = (size_t)o * npix + (size_t)oy * OW;
                for (int q = start / 16; q < 2 && 16 * q < start + OW; q++)
                    wino_store16(p, w[i][q], b, rn, yn, row + 16 * q - start, span_mask(16 * q - start, OW));
            }
    }
}
#endif

#if KILN_WINO_ONLY_AVX512 /* see kiln_winograd_simd.h: the portable transforms cannot run here */
static const kiln_winograd_variant f2_portable = {2, 4, f2_input_avx512, f2_output_avx512, f2_input_rows_avx512,
                                                  f2_output_rows_avx512};
#else
static const kiln_winograd_variant f2_portable = {2, 4, f2_input_portable, f2_output_portable, NULL, NULL};
#endif
#if KILN_WINO_AVX512
static const kiln_winograd_variant f2_avx512 = {2, 4, f2_input_avx512, f2_output_avx512, f2_input_rows_avx512,
                                                f2_output_rows_avx512};
#define F2_AVX512 (&f2_avx512)
#else
#define F2_AVX512 NULL
#endif

// x: (N, C, H, W), u: kiln_winograd_f2x3_pack's, y: (N, OC, OH, OW).
void kiln_conv2d_winograd_f2x3(const kiln_conv2d_params *p, const float *x, const float *u,
                               const float *bias, const float *residual, float *y,
                               float *workspace) {
    kiln_winograd_run(&f2_portable, F2_AVX512, p, x, u, bias, residual, y, workspace);
}

void kiln_conv2d_winograd_f2x3_with(const kiln_winograd_gemm *gemm, const kiln_conv2d_params *p, const float *x,
                                    const float *u, const float *bias, const float *residual, float *y,
                                    float *workspace) {
    kiln_winograd_run_with(&f2_portable, F2_AVX512, gemm, p, x, u, bias, residual, y, workspace);
}
