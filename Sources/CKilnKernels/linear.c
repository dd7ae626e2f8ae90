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

// x: (N, IN), w: (OUT, IN), bias: (OUT) or NULL, y: (N, OUT).
// The bias is broadcast into y first and sgemm runs with beta = 1, so it is added inside
// the gemm's own write-back instead of in a second pass over y.
void kiln_linear(int n, int in, int out, const float *x, const float *w,
                 const float *bias, float *y) {
    if (n <= 0 || out <= 0) return;
    if (bias)
        for (int i = 0; i < n; i++) memcpy(y + (size_t)i * out, bias, sizeof(float) * out);
    if (in <= 0) { /* empty reduction: y is just the bias (sgemm rejects K = 0 strides) */
        if (!bias) memset(y, 0, sizeof(float) * (size_t)n * out);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in,
                bias ? 1.0f : 0.0f, y, out);
}
