/*
 * ops_reduce.c — mean over an axis, softmax, local response normalisation.
 */
#include "kiln_kernels.h"
#include "kiln_ops.h"

#include <math.h>

// x: (outer, len, inner) -> y: (outer, inner), double accumulation.
void kiln_reduce_mean_ref(size_t outer, size_t len, size_t inner, const float *x, float *y) {
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            double s = 0.0;
            for (size_t l = 0; l < len; l++) s += x[(o * len + l) * inner + i];
            y[o * inner + i] = (float)(s / (double)len);
        }
}

// x, y: (outer, len, inner); softmax over len: exp(x - max) / sum, in double.
void kiln_softmax_ref(size_t outer, size_t len, size_t inner, const float *x, float *y) {
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            const float *xs = x + o * len * inner + i;
            float *ys = y + o * len * inner + i;
            float m = -INFINITY;
            for (size_t l = 0; l < len; l++) if (xs[l * inner] > m || xs[l * inner] != xs[l * inner]) m = xs[l * inner];
            double s = 0.0;
            for (size_t l = 0; l < len; l++) s += exp((double)xs[l * inner] - m);
            for (size_t l = 0; l < len; l++) ys[l * inner] = (float)(exp((double)xs[l * inner] - m) / s);
        }
}

// x, y: (N, C, HW). ONNX LRN: the window of channel c is
// [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to [0, C).
void kiln_lrn_ref(int n, int c, int hw, int size, float alpha, float beta, float bias, const float *x, float *y) {
    const int before = (size - 1) / 2, after = size - 1 - before;
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < hw; i++) {
                double sq = 0.0;
                for (int k = ch - before; k <= ch + after; k++) {
                    if (k < 0 || k >= c) continue;
                    const double v = x[((size_t)b * c + k) * hw + i];
                    sq += v * v;
                }
                const size_t at = ((size_t)b * c + ch) * hw + i;
                y[at] = (float)(x[at] / pow(bias + alpha / size * sq, beta));
            }
}

// Over the last axis (inner == 1, e.g. a ReduceMean over H*W) the rows are global average
// pooling's; other layouts run the reference loop.
void kiln_reduce_mean(size_t outer, size_t len, size_t inner, const float *x, float *y) {
    if (inner == 1) { kiln_global_avgpool(outer, len, x, y); return; }
    kiln_reduce_mean_ref(outer, len, inner, x, y);
}
void kiln_softmax(size_t outer, size_t len, size_t inner, const float *x, float *y) {
    kiln_softmax_ref(outer, len, inner, x, y);
}
void kiln_lrn(int n, int c, int hw, int size, float alpha, float beta, float bias, const float *x, float *y) {
    kiln_lrn_ref(n, c, hw, size, alpha, beta, bias, x, y);
}
