/*
 * linear.c — fully connected layer: y = x w^T + bias.
 */
#include "kiln_kernels.h"

#include <cblas.h>
#include <string.h>

// x: (N, IN), w: (OUT, IN), bias: (OUT) or NULL, y: (N, OUT). Double accumulation.
void kiln_linear_ref(int n, int in, int out, const float *x, const float *w,
                     const float *bias, float *y) {
    for (int i = 0; i < n; i++) {
        for (int o = 0; o < out; o++) {
            double acc = bias ? bias[o] : 0.0;
            for (int k = 0; k < in; k++)
                acc += (double)x[(size_t)i * in + k] * (double)w[(size_t)o * in + k];
            y[(size_t)i * out + o] = (float)acc;
        }
    }
}

/* Small batches: sgemm's packing and threading overhead outweighs the work (ResNet's fc at
 * batch 1 is a 512x1000 matrix-vector product, bound by reading w once), so each output is
 * a dot product over 16 independent lanes (vectorises without -ffast-math, since the lanes
 * are separate sums), threaded over output features. */
#define KILN_LINEAR_SMALL_N 4

typedef struct {
    int n, in, out;
    const float *x, *w, *bias;
    float *y;
} linear_ctx;

static void linear_small_rows(void *vctx, size_t o0, size_t o1) {
    const linear_ctx *c = (const linear_ctx *)vctx;
    for (size_t o = o0; o < o1; o++) {
        const float *wr = c->w + o * (size_t)c->in;
        for (int i = 0; i < c->n; i++) {
            const float *xr = c->x + (size_t)i * c->in;
            float lane[16] = {0};
            int k = 0;
            for (; k + 16 <= c->in; k += 16)
                for (int l = 0; l < 16; l++) lane[l] += xr[k + l] * wr[k + l];
            float acc = c->bias ? c->bias[o] : 0.0f;
            for (int l = 0; l < 16; l++) acc += lane[l];
            for (; k < c->in; k++) acc += xr[k] * wr[k];
            c->y[(size_t)i * c->out + o] = acc;
        }
    }
}

// x: (N, IN), w: (OUT, IN), bias: (OUT) or NULL, y: (N, OUT).
// The bias is broadcast into y first and sgemm runs with beta = 1, so it is added inside
// the gemm's own write-back instead of in a second pass over y.
void kiln_linear(int n, int in, int out, const float *x, const float *w,
                 const float *bias, float *y) {
    if (n <= 0 || out <= 0) return;
    if (n <= KILN_LINEAR_SMALL_N && in > 0) {
        linear_ctx c = {n, in, out, x, w, bias, y};
        /* ~32k multiply-adds per chunk keeps the fork/join cost small against the work */
        size_t per = (size_t)n * (size_t)in;
        kiln_parallel_for((size_t)out, per >= 32768 ? 1 : 32768 / per, linear_small_rows, &c);
        return;
    }
    if (bias)
        for (int i = 0; i < n; i++) memcpy(y + (size_t)i * out, bias, sizeof(float) * out);
    if (in <= 0) { /* empty reduction: y is just the bias (sgemm rejects K = 0 strides) */
        if (!bias) memset(y, 0, sizeof(float) * (size_t)n * out);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in,
                bias ? 1.0f : 0.0f, y, out);
}
