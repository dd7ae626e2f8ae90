/*
 * ops_copy.c — strided copies (transpose, slice, concat, split) and pad.
 */
#include "kiln_kernels.h"
#include "kiln_ops.h"

// shape: rank (<= 6) dims; dst[idx . dst_strides] = src[idx . src_strides] for every idx.
void kiln_copy_strided_ref(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                           float *dst, const int64_t *dst_strides) {
    int64_t idx[KILN_OPS_MAX_RANK] = {0};
    size_t total = 1;
    for (int d = 0; d < rank; d++) total *= (size_t)shape[d];
    for (size_t i = 0; i < total; i++) {
        int64_t so = 0, dof = 0;
        for (int d = 0; d < rank; d++) { so += idx[d] * src_strides[d]; dof += idx[d] * dst_strides[d]; }
        dst[dof] = src[so];
        for (int d = rank - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
}

void kiln_copy_strided(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                       float *dst, const int64_t *dst_strides) {
    kiln_copy_strided_ref(rank, shape, src, src_strides, dst, dst_strides);
}

/* The input index of output index o along a dim of n inputs with `begin` padding, or -1
 * for a constant cell. Reflect mirrors without repeating the edge (ONNX/NumPy "reflect"). */
static int64_t pad_source(int64_t o, int64_t begin, int64_t n, int mode) {
    int64_t i = o - begin;
    if (i >= 0 && i < n) return i;
    if (mode == 0) return -1;
    if (mode == 2) return i < 0 ? 0 : n - 1;
    if (n == 1) return 0;
    const int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
}

// x: in_shape, y: in_shape + begins + ends (contiguous), rank <= 6.
void kiln_pad_ref(int rank, const int64_t *in_shape, const int64_t *pads, int mode, float value,
                  const float *x, float *y) {
    int64_t out[KILN_OPS_MAX_RANK], in_strides[KILN_OPS_MAX_RANK], idx[KILN_OPS_MAX_RANK] = {0};
    size_t total = 1;
    int64_t stride = 1;
    for (int d = rank - 1; d >= 0; d--) { in_strides[d] = stride; stride *= in_shape[d]; }
    for (int d = 0; d < rank; d++) { out[d] = in_shape[d] + pads[d] + pads[rank + d]; total *= (size_t)out[d]; }
    for (size_t i = 0; i < total; i++) {
        int64_t off = 0;
        int constant = 0;
        for (int d = 0; d < rank && !constant; d++) {
            const int64_t s = pad_source(idx[d], pads[d], in_shape[d], mode);
            if (s < 0) constant = 1; else off += s * in_strides[d];
        }
        y[i] = constant ? value : x[off];
        for (int d = rank - 1; d >= 0; d--) {
            if (++idx[d] < out[d]) break;
            idx[d] = 0;
        }
    }
}

void kiln_pad(int rank, const int64_t *in_shape, const int64_t *pads, int mode, float value,
              const float *x, float *y) {
    kiln_pad_ref(rank, in_shape, pads, mode, value, x, y);
}
