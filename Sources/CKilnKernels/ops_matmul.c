/*
 * ops_matmul.c — one matrix product of ONNX MatMul (the batch loop is the caller's).
 */
#include "kiln_kernels.h"
#include "kiln_ops.h"

#include <cblas.h>

// a: (M, K), b: (K, N), y: (M, N); double accumulation.
void kiln_matmul_ref(int m, int n, int k, const float *a, const float *b, float *y) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int kk = 0; kk < k; kk++) s += (double)a[(size_t)i * k + kk] * b[(size_t)kk * n + j];
            y[(size_t)i * n + j] = (float)s;
        }
}

// a: (M, K), b: (K, N), y: (M, N) with OpenBLAS.
void kiln_matmul(int m, int n, int k, const float *a, const float *b, float *y) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (size_t i = 0; i < (size_t)m * n; i++) y[i] = 0.0f;
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, y, n);
}
