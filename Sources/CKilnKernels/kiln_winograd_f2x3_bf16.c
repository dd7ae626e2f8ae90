/*
 * kiln_winograd_f2x3_bf16.c — Winograd F(2x2, 3x3) with its 16 per-frequency GEMMs in bf16
 * (kiln_gemm_bf16: operands rounded to nearest even, fp32 accumulation with vdpbf16ps).
 * The transforms are F(2,3)'s fp32 ones (kiln_winograd_f2x3.c) and run by the same driver
 * (kiln_winograd.c), so only the GEMM and the weights' packed form differ.
 *
 * Why F(2,3) and not F(4,3) in bf16: F(2,3)'s B^T and A^T hold only 0 and +-1, so rounding
 * v = B^T d B and u = G g G^T to bf16 costs about what rounding d and g does in a direct
 * bf16 convolution; F(4,3)'s transforms (entries up to 8 and 1/4) amplify it ~20x on a
 * ResNet layer. 16 multiplies per 2x2 outputs (2.25x fewer than direct) at the bf16 rate.
 */
#include "kiln_conv_variants.h"
#include "kiln_gemm_bf16.h"
#include "kiln_ops_internal.h" /* kiln_act_scalar */

#include <stdint.h>
#include <stdlib.h>

/* Floats of one frequency's packed bf16 u (kiln_gemm_bf16's A panels; an even count of bf16). */
static size_t freq_floats(int oc, int c) { return kiln_gemm_bf16_packed_a_size(oc, c) / 2; }

size_t kiln_winograd_f2x3_bf16_packed_size(int oc, int c) { return 16 * freq_floats(oc, c); }

void kiln_winograd_bf16_pack_planes(int planes, int oc, int c, const float *u, float *packed) {
    const size_t plane = (size_t)oc * c;
    for (int k = 0; k < planes; k++)
        kiln_gemm_bf16_pack_a(oc, c, u + (size_t)k * plane, c, (uint16_t *)(packed + (size_t)k * freq_floats(oc, c)));
}

size_t kiln_winograd_f2x3_bf16_workspace_size(const kiln_conv2d_params *p) { return kiln_winograd_f2x3_workspace_size(p); }

// w: (OC, C, 3, 3) -> per frequency f the (OC, C) matrix (G g G^T)[f] packed as bf16 A panels.
void kiln_winograd_f2x3_bf16_pack(int oc, int c, const float *w, float *packed) {
    const size_t plane = (size_t)oc * c;
    float *u = (float *)malloc(sizeof(float) * 16 * plane);
    if (!u) return;
    kiln_winograd_f2x3_planes(oc, c, w, u);
    kiln_winograd_bf16_pack_planes(16, oc, c, u, packed);
    free(u);
}

static void gemm_bf16(int oc, int n, int c, const float *u, const float *v, size_t ldv, float *m) {
    kiln_gemm_bf16(oc, n, c, (const uint16_t *)u, v, (int)ldv, m, (int)ldv, NULL, NULL, 0, NULL);
}

const kiln_winograd_gemm kiln_winograd_bf16_gemm = {gemm_bf16, freq_floats};

// x: (N, C, H, W), u: kiln_winograd_f2x3_bf16_pack's, y: (N, OC, OH, OW).
void kiln_conv2d_winograd_f2x3_bf16(const kiln_conv2d_params *p, const float *x, const float *u,
                                    const float *bias, const float *residual, float *y, float *workspace) {
    kiln_conv2d_winograd_f2x3_with(&kiln_winograd_bf16_gemm, p, x, u, bias, residual, y, workspace);
}

static float round_bf16(float v) { return kiln_bf16_to_float(kiln_bf16_from_float(v)); }

/* The naive twin, one tile and output channel at a time: v = B^T d B in fp32 (in the order of
 * the transforms kiln_winograd_use_avx512 picks, so v rounds to the same bf16) and u = G g G^T, each rounded to bf16, the 16 products summed
 * over C in double, y = A^T m A in double, then bias, residual and the activation in fp32.
 * w: (OC, C, 3, 3); x: (N, C, H, W); y: (N, OC, OH, OW). */
void kiln_conv2d_winograd_f2x3_bf16_ref(const kiln_conv2d_params *p, const float *x, const float *w,
                                        const float *bias, const float *residual, float *y) {
    const int th = (p->oh + 1) / 2, tw = (p->ow + 1) / 2;
    const size_t npix = (size_t)p->oh * p->ow;
    float *u = (float *)malloc(sizeof(float) * 16 * (size_t)p->oc * p->c);
    float *v = (float *)malloc(sizeof(float) * 16 * (size_t)p->c);
    if (!u || !v) { free(u), free(v); return; }
    for (size_t oi = 0; oi < (size_t)p->oc * p->c; oi++) {
        kiln_winograd_f2x3_weight_transform(w + oi * 9, 1, u + oi * 16);
        for (int k = 0; k < 16; k++) u[oi * 16 + k] = round_bf16(u[oi * 16 + k]);
    }
    for (int n = 0; n < p->n; n++)
        for (int ty = 0; ty < th; ty++)
            for (int tx = 0; tx < tw; tx++) {
                for (int c = 0; c < p->c; c++) {
                    const float *xc = x + ((size_t)n * p->c + c) * p->h * p->w;
                    float d[4][4], b[4][4];
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 4; j++) {
                            const int iy = ty * 2 - p->pad_h + i, ix = tx * 2 - p->pad_w + j;
                            d[i][j] = iy >= 0 && iy < p->h && ix >= 0 && ix < p->w ? xc[(size_t)iy * p->w + ix] : 0.0f;
                        }
                    /* B^T d B as the transforms that run: the AVX-512 ones combine columns first. */
                    const int cols_first = kiln_winograd_use_avx512();
                    if (cols_first)
                        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) b[i][j] = d[j][i];
                    else
                        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) b[i][j] = d[i][j];
                    float t[4][4], e[4][4];
                    for (int j = 0; j < 4; j++) /* the first pass over the first index */
                        t[0][j] = b[0][j] - b[2][j], t[1][j] = b[1][j] + b[2][j], t[2][j] = b[2][j] - b[1][j],
                        t[3][j] = b[1][j] - b[3][j];
                    for (int i = 0; i < 4; i++) /* the second over the other */
                        e[i][0] = t[i][0] - t[i][2], e[i][1] = t[i][1] + t[i][2], e[i][2] = t[i][2] - t[i][1],
                        e[i][3] = t[i][1] - t[i][3];
                    for (int r = 0; r < 4; r++) /* v[r * 4 + s]: row combination r, column combination s */
                        for (int q = 0; q < 4; q++) v[c * 16 + r * 4 + q] = round_bf16(cols_first ? e[q][r] : e[r][q]);
                }
                for (int o = 0; o < p->oc; o++) {
                    double m[16] = {0}, a[2][4];
                    for (int c = 0; c < p->c; c++)
                        for (int k = 0; k < 16; k++) m[k] += (double)u[((size_t)o * p->c + c) * 16 + k] * v[c * 16 + k];
                    for (int j = 0; j < 4; j++)
                        a[0][j] = m[j] + m[4 + j] + m[8 + j], a[1][j] = m[4 + j] - m[8 + j] - m[12 + j];
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++) {
                            const int oy = ty * 2 + i, ox = tx * 2 + j;
                            if (oy >= p->oh || ox >= p->ow) continue;
                            const double r = j == 0 ? a[i][0] + a[i][1] + a[i][2] : a[i][1] - a[i][2] - a[i][3];
                            const size_t at = ((size_t)n * p->oc + o) * npix + (size_t)oy * p->ow + ox;
                            float val = (float)r + (bias ? bias[o] : 0.0f);
                            if (residual) val += residual[at];
                            y[at] = kiln_act_scalar(&p->act, val);
                        }
                }
            }
    free(u), free(v);
}
