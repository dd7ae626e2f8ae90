/*
 * kiln_winograd_f4x3_bf16.c — Winograd F(4x4, 3x3) with its 36 per-frequency GEMMs in bf16
 * (kiln_gemm_bf16: operands rounded to nearest even, fp32 accumulation with vdpbf16ps).
 * The transforms are F(4,3)'s fp32 ones (kiln_winograd_f4x3.c) and run by the same driver
 * (kiln_winograd.c), so only the GEMM and the weights' packed form differ.
 *
 * Why, although F(4,3)'s transforms (entries up to 5 in B^T, 8 in A^T) amplify the rounding
 * of v and u: on one layer its error is ~20x a direct bf16 product's, but it is independent
 * from tile to tile and output channel to output channel, so the following layers average it
 * out (ResNet-18 with its 56x56 and 28x28 stride-1 layers on it: see the README's bf16
 * section). 36 multiplies per 4x4 outputs (4x fewer than direct) at the bf16 rate.
 */
#include "kiln_conv_variants.h"
#include "kiln_gemm_bf16.h" /* kiln_bf16_from_float */
#include "kiln_ops_internal.h" /* kiln_act_scalar */

#include <stdint.h>
#include <stdlib.h>

size_t kiln_winograd_f4x3_bf16_packed_size(int oc, int c) { return 36 * kiln_winograd_bf16_gemm.freq_floats(oc, c); }

size_t kiln_winograd_f4x3_bf16_workspace_size(const kiln_conv2d_params *p) { return kiln_winograd_f4x3_workspace_size(p); }

// w: (OC, C, 3, 3) -> per frequency f the (OC, C) matrix (G g G^T)[f] packed as bf16 A panels.
void kiln_winograd_f4x3_bf16_pack(int oc, int c, const float *w, float *packed) {
    float *u = (float *)malloc(sizeof(float) * 36 * (size_t)oc * c);
    if (!u) return;
    kiln_winograd_f4x3_planes(oc, c, w, u);
    kiln_winograd_bf16_pack_planes(36, oc, c, u, packed);
    free(u);
}

// x: (N, C, H, W), u: kiln_winograd_f4x3_bf16_pack's, y: (N, OC, OH, OW).
void kiln_conv2d_winograd_f4x3_bf16(const kiln_conv2d_params *p, const float *x, const float *u,
                                    const float *bias, const float *residual, float *y, float *workspace) {
    kiln_conv2d_winograd_f4x3_with(&kiln_winograd_bf16_gemm, p, x, u, bias, residual, y, workspace);
}

static float round_bf16(float v) { return kiln_bf16_to_float(kiln_bf16_from_float(v)); }

/* The naive twin, one tile and output channel at a time, with F(4,3)'s matrices as tables:
 * v = B^T d B in double and u = G g G^T (the packing's transform), each rounded to bf16, the 36
 * products summed over C in double, y = A^T m A in double, then bias, residual and the
 * activation in fp32. Unlike the F(2,3) twin it does not follow the fast transforms' fp32
 * operation order (they use fused multiply-adds, the portable ones whatever the compiler
 * contracts), so an fp32 v one ulp from a bf16 rounding boundary may round the other way:
 * the tests' tolerance against it says how much that can move y.
 * w: (OC, C, 3, 3); x: (N, C, H, W); y: (N, OC, OH, OW). */
void kiln_conv2d_winograd_f4x3_bf16_ref(const kiln_conv2d_params *p, const float *x, const float *w,
                                        const float *bias, const float *residual, float *y) {
    static const double BT[6][6] = {{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
    static const double AT[4][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
    const int th = (p->oh + 3) / 4, tw = (p->ow + 3) / 4;
    const size_t npix = (size_t)p->oh * p->ow;
    float *u = (float *)malloc(sizeof(float) * 36 * (size_t)p->oc * p->c);
    float *v = (float *)malloc(sizeof(float) * 36 * (size_t)p->c);
    if (!u || !v) { free(u), free(v); return; }
    for (size_t oi = 0; oi < (size_t)p->oc * p->c; oi++) {
        kiln_winograd_f4x3_weight_transform(w + oi * 9, 1, u + oi * 36);
        for (int k = 0; k < 36; k++) u[oi * 36 + k] = round_bf16(u[oi * 36 + k]);
    }
    for (int n = 0; n < p->n; n++)
        for (int ty = 0; ty < th; ty++)
            for (int tx = 0; tx < tw; tx++) {
                for (int c = 0; c < p->c; c++) {
                    const float *xc = x + ((size_t)n * p->c + c) * p->h * p->w;
                    double d[6][6];
                    for (int i = 0; i < 6; i++)
                        for (int j = 0; j < 6; j++) {
                            const int iy = ty * 4 - p->pad_h + i, ix = tx * 4 - p->pad_w + j;
                            d[i][j] = iy >= 0 && iy < p->h && ix >= 0 && ix < p->w ? xc[(size_t)iy * p->w + ix] : 0.0;
                        }
                    for (int r = 0; r < 6; r++)
                        for (int s = 0; s < 6; s++) {
                            double sum = 0;
                            for (int i = 0; i < 6; i++)
                                for (int j = 0; j < 6; j++) sum += BT[r][i] * d[i][j] * BT[s][j];
                            v[c * 36 + r * 6 + s] = round_bf16((float)sum);
                        }
                }
                for (int o = 0; o < p->oc; o++) {
                    double m[36] = {0};
                    for (int c = 0; c < p->c; c++)
                        for (int k = 0; k < 36; k++) m[k] += (double)u[((size_t)o * p->c + c) * 36 + k] * v[c * 36 + k];
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 4; j++) {
                            const int oy = ty * 4 + i, ox = tx * 4 + j;
                            if (oy >= p->oh || ox >= p->ow) continue;
                            double r = 0;
                            for (int a = 0; a < 6; a++)
                                for (int b = 0; b < 6; b++) r += AT[i][a] * m[a * 6 + b] * AT[j][b];
                            const size_t at = ((size_t)n * p->oc + o) * npix + (size_t)oy * p->ow + ox;
                            float val = (float)r + (bias ? bias[o] : 0.0f);
                            if (residual) val += residual[at];
                            y[at] = kiln_act_scalar(&p->act, val);
                        }
                }
            }
    free(u), free(v);
}
