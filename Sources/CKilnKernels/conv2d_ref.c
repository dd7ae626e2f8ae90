/*
 * conv2d_ref.c — parameter validation and the naive convolution oracle.
 */
#include "kiln_kernels.h"
#include "kiln_ops_internal.h"
#include "kiln_conv_variants.h"

#include <stdlib.h>

/* Floor division for a possibly negative numerator (C's '/' truncates toward zero). */
static int floor_div(int a, int b) {
    int q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// out = floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1; may be <= 0 for invalid shapes.
int kiln_conv_out_dim(int in, int k, int stride, int pad, int dil) {
    if (stride <= 0) return 0;
    return floor_div(in + 2 * pad - dil * (k - 1) - 1, stride) + 1;
}

int kiln_conv_out_dim2(int in, int k, int stride, int pad_begin, int pad_end, int dil) {
    if (stride <= 0) return 0;
    return floor_div(in + pad_begin + pad_end - dil * (k - 1) - 1, stride) + 1;
}

int kiln_conv2d_init(kiln_conv2d_params *p) {
    if (!p) return -1;
    if (p->n <= 0 || p->c <= 0 || p->h <= 0 || p->w <= 0) return -1;
    if (p->oc <= 0 || p->kh <= 0 || p->kw <= 0) return -1;
    if (p->stride_h <= 0 || p->stride_w <= 0) return -1;
    if (p->pad_h < 0 || p->pad_w < 0 || p->pad_b < 0 || p->pad_r < 0) return -1;
    if (p->dil_h <= 0 || p->dil_w <= 0) return -1;
    if (p->groups <= 0 || p->c % p->groups != 0 || p->oc % p->groups != 0) return -1;
    int oh = kiln_conv_out_dim2(p->h, p->kh, p->stride_h, p->pad_h, p->pad_b, p->dil_h);
    int ow = kiln_conv_out_dim2(p->w, p->kw, p->stride_w, p->pad_w, p->pad_r, p->dil_w);
    if (oh < 1 || ow < 1) return -1;
    p->oh = oh;
    p->ow = ow;
    return 0;
}

// x: (N, C, H, W), w: (OC, C/groups, KH, KW), bias: (OC) or NULL,
// residual: (N, OC, OH, OW) or NULL, y: (N, OC, OH, OW).
// Direct 7-deep loop with double accumulation: slow, but obviously right.
void kiln_conv2d_ref(const kiln_conv2d_params *p, const float *x, const float *w,
                     const float *bias, const float *residual, float *y) {
    const int cg = p->c / p->groups, ocg = p->oc / p->groups;
    for (int n = 0; n < p->n; n++) {
        for (int oc = 0; oc < p->oc; oc++) {
            const int g = oc / ocg;
            for (int oy = 0; oy < p->oh; oy++) {
                for (int ox = 0; ox < p->ow; ox++) {
                    double acc = 0.0;
                    for (int ic = 0; ic < cg; ic++) {
                        const int c = g * cg + ic;
                        for (int ky = 0; ky < p->kh; ky++) {
                            const int iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
                            if (iy < 0 || iy >= p->h) continue;
                            for (int kx = 0; kx < p->kw; kx++) {
                                const int ix = ox * p->stride_w - p->pad_w + kx * p->dil_w;
                                if (ix < 0 || ix >= p->w) continue;
                                const size_t xi = (((size_t)n * p->c + c) * p->h + iy) * p->w + ix;
                                const size_t wi = (((size_t)oc * cg + ic) * p->kh + ky) * p->kw + kx;
                                acc += (double)x[xi] * (double)w[wi];
                            }
                        }
                    }
                    if (bias) acc += bias[oc];
                    const size_t yi = (((size_t)n * p->oc + oc) * p->oh + oy) * p->ow + ox;
                    float v = (float)acc;
                    if (residual) v += residual[yi];
                    y[yi] = kiln_act_scalar(&p->act, v);
                }
            }
        }
    }
}

// x: (N, C, H, W), scale: (N, C), w: (OC, C, KH, KW) unpacked: kiln_conv2d_ref of x * scale,
// the oracle of kiln_conv2d_gemm_scaled.
int kiln_conv2d_gemm_scaled_ref(const kiln_conv2d_params *p, const float *x, const float *scale, const float *w,
                                const float *bias, const float *residual, float *y) {
    const size_t plane = (size_t)p->h * p->w, planes = (size_t)p->n * p->c;
    float *xs = (float *)malloc(sizeof(float) * planes * plane);
    if (!xs) return -1;
    for (size_t i = 0; i < planes; i++)
        for (size_t j = 0; j < plane; j++) xs[i * plane + j] = x[i * plane + j] * scale[i];
    kiln_conv2d_ref(p, xs, w, bias, residual, y);
    free(xs);
    return 0;
}
