/*
 * batchnorm.c — inference batch norm: y = (x - mean) / sqrt(var + eps) * gamma + beta.
 */
#include "kiln_kernels.h"

#include <math.h>
#include <stdlib.h>

/* Planes per chunk are sized to roughly this many floats so thread spawns stay cheap. */
#define KILN_BN_GRAIN 32768

// x, y: (N, C, HW); gamma, beta, mean, var: (C). y may alias x.
// The formula exactly as written, in double: the oracle.
void kiln_batchnorm_ref(int n, int c, int hw, const float *x, const float *gamma,
                        const float *beta, const float *mean, const float *var, float eps,
                        float *y) {
    for (int i = 0; i < n; i++) {
        for (int ch = 0; ch < c; ch++) {
            const double inv = 1.0 / sqrt((double)var[ch] + (double)eps);
            const size_t base = ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++)
                y[base + j] = (float)(((double)x[base + j] - mean[ch]) * inv * gamma[ch] + beta[ch]);
        }
    }
}

typedef struct {
    int c, hw;
    const float *x, *scale, *shift;
    float *y;
} bn_ctx;

// Planes [i0, i1) of the N*C planes of HW floats; plane i uses channel i % C.
static void bn_planes(void *vctx, size_t i0, size_t i1) {
    const bn_ctx *ctx = (const bn_ctx *)vctx;
    const size_t hw = (size_t)ctx->hw;
    for (size_t i = i0; i < i1; i++) {
        const float s = ctx->scale[i % (size_t)ctx->c], t = ctx->shift[i % (size_t)ctx->c];
        const float *xp = ctx->x + i * hw;
        float *yp = ctx->y + i * hw;
        /* One multiply-add per element: vectorises (x and y may alias, element-wise). */
        for (size_t j = 0; j < hw; j++) yp[j] = xp[j] * s + t;
    }
}

// x, y: (N, C, HW); gamma, beta, mean, var: (C). y may alias x.
// Why precompute: folding the four per-channel vectors into scale = gamma/sqrt(var+eps)
// and shift = beta - mean*scale turns the per-element work into a single FMA.
void kiln_batchnorm(int n, int c, int hw, const float *x, const float *gamma,
                    const float *beta, const float *mean, const float *var, float eps,
                    float *y) {
    if (n <= 0 || c <= 0 || hw <= 0) return;
    float *scale = (float *)malloc(sizeof(float) * 2 * (size_t)c);
    if (!scale) {
        kiln_batchnorm_ref(n, c, hw, x, gamma, beta, mean, var, eps, y);
        return;
    }
    float *shift = scale + c;
    for (int ch = 0; ch < c; ch++) {
        const double s = (double)gamma[ch] / sqrt((double)var[ch] + (double)eps);
        scale[ch] = (float)s;
        shift[ch] = (float)((double)beta[ch] - (double)mean[ch] * s);
    }
    bn_ctx ctx = {c, hw, x, scale, shift, y};
    size_t grain = (size_t)hw >= KILN_BN_GRAIN ? 1 : KILN_BN_GRAIN / (size_t)hw;
    kiln_parallel_for((size_t)n * c, grain, bn_planes, &ctx);
    free(scale);
}
