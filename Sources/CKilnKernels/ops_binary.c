/*
 * ops_binary.c — NumPy-broadcast add/sub/mul/div (kiln_binary).
 */
#include "kiln_kernels.h"
#include "kiln_ops.h"

static inline float binary1(int kind, float a, float b) {
    switch (kind) {
    case KILN_BIN_SUB: return a - b;
    case KILN_BIN_MUL: return a * b;
    case KILN_BIN_DIV: return a / b;
    default: return a + b;
    }
}

// y: out_shape (rank <= 6), contiguous; a, b read through their strides (0 = broadcast).
// An odometer over the output index: obviously right, one element at a time.
void kiln_binary_ref(int kind, int rank, const int64_t *out_shape,
                     const float *a, const int64_t *a_strides,
                     const float *b, const int64_t *b_strides, float *y) {
    int64_t idx[KILN_OPS_MAX_RANK] = {0};
    size_t total = 1;
    for (int d = 0; d < rank; d++) total *= (size_t)out_shape[d];
    for (size_t i = 0; i < total; i++) {
        int64_t ao = 0, bo = 0;
        for (int d = 0; d < rank; d++) { ao += idx[d] * a_strides[d]; bo += idx[d] * b_strides[d]; }
        y[i] = binary1(kind, a[ao], b[bo]);
        for (int d = rank - 1; d >= 0; d--) {
            if (++idx[d] < out_shape[d]) break;
            idx[d] = 0;
        }
    }
}

void kiln_binary(int kind, int rank, const int64_t *out_shape,
                 const float *a, const int64_t *a_strides,
                 const float *b, const int64_t *b_strides, float *y) {
    kiln_binary_ref(kind, rank, out_shape, a, a_strides, b, b_strides, y);
}
