/*
 * ops_reduce.c — mean over an axis, softmax and log-softmax, local response normalisation.
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

// One column of len values strided by inner: its max (NaN wins) and sum exp(x - max) in double.
static double column_exp_sum(const float *xs, size_t len, size_t inner, float *max) {
    float m = -INFINITY;
    for (size_t l = 0; l < len; l++) if (xs[l * inner] > m || xs[l * inner] != xs[l * inner]) m = xs[l * inner];
    double s = 0.0;
    for (size_t l = 0; l < len; l++) s += exp((double)xs[l * inner] - m);
    *max = m;
    return s;
}

// x, y: (outer, len, inner); softmax (log = 0) over len: exp(x - max) / sum, or log-softmax
// (log = 1): x - max - log(sum exp(x - max)), in double. Never log(softmax): a probability
// that underflows would give -inf.
static void softmax_ref(int log_softmax, size_t outer, size_t len, size_t inner, const float *x, float *y) {
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            const float *xs = x + o * len * inner + i;
            float *ys = y + o * len * inner + i;
            float m;
            const double s = column_exp_sum(xs, len, inner, &m), shift = (double)m + log(s);
            for (size_t l = 0; l < len; l++)
                ys[l * inner] = log_softmax ? (float)((double)xs[l * inner] - shift) : (float)(exp((double)xs[l * inner] - m) / s);
        }
}

void kiln_softmax_ref(size_t outer, size_t len, size_t inner, const float *x, float *y) {
    softmax_ref(0, outer, len, inner, x, y);
}

void kiln_log_softmax_ref(size_t outer, size_t len, size_t inner, const float *x, float *y) {
    softmax_ref(1, outer, len, inner, x, y);
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
/* Work (elements) per parallel chunk. */
#define KILN_REDUCE_GRAIN 32768

typedef struct {
    size_t len, inner;
    const float *x;
    float *y;
    int log; /* log-softmax */
} softmax_ctx;

// Columns [j0, j1) of the (outer x inner) columns, each a softmax over len strided values,
// in float (the reference works in double).
static void softmax_cols(void *vctx, size_t j0, size_t j1) {
    const softmax_ctx *c = (const softmax_ctx *)vctx;
    const size_t len = c->len, inner = c->inner;
    for (size_t j = j0; j < j1; j++) {
        const size_t o = j / inner, i = j % inner;
        const float *xs = c->x + o * len * inner + i;
        float *ys = c->y + o * len * inner + i;
        float m = -INFINITY;
        for (size_t l = 0; l < len; l++) if (xs[l * inner] > m || xs[l * inner] != xs[l * inner]) m = xs[l * inner];
        float sum = 0.0f;
        if (c->log) {
            /* y may alias x: the sum is taken before anything is written. */
            for (size_t l = 0; l < len; l++) sum += expf(xs[l * inner] - m);
            const float shift = m + logf(sum);
            for (size_t l = 0; l < len; l++) ys[l * inner] = xs[l * inner] - shift;
            continue;
        }
        for (size_t l = 0; l < len; l++) { ys[l * inner] = expf(xs[l * inner] - m); sum += ys[l * inner]; }
        const float inv = 1.0f / sum;
        for (size_t l = 0; l < len; l++) ys[l * inner] *= inv;
    }
}

// Threaded over the outer x inner columns.
void kiln_softmax(size_t outer, size_t len, size_t inner, const float *x, float *y) {
    softmax_ctx c = {len, inner, x, y, 0};
    kiln_parallel_for(outer * inner, len >= KILN_REDUCE_GRAIN ? 1 : KILN_REDUCE_GRAIN / (len ? len : 1), softmax_cols, &c);
}

// The same columns, log-softmax.
void kiln_log_softmax(size_t outer, size_t len, size_t inner, const float *x, float *y) {
    softmax_ctx c = {len, inner, x, y, 1};
    kiln_parallel_for(outer * inner, len >= KILN_REDUCE_GRAIN ? 1 : KILN_REDUCE_GRAIN / (len ? len : 1), softmax_cols, &c);
}

typedef struct {
    int c, hw, size;
    float alpha, beta, bias;
    const float *x;
    float *y;
} lrn_ctx;

// (image, channel) planes [i0, i1): the window's squares are summed into the output plane
// (a loop over pixels that vectorises; y never aliases x), then y = x / (bias + alpha/size *
// sum)^beta in place.
static void lrn_planes(void *vctx, size_t i0, size_t i1) {
    const lrn_ctx *c = (const lrn_ctx *)vctx;
    const int before = (c->size - 1) / 2, after = c->size - 1 - before;
    const float scale = c->alpha / (float)c->size;
    for (size_t i = i0; i < i1; i++) {
        const int b = (int)(i / (size_t)c->c), ch = (int)(i % (size_t)c->c);
        const float *xp = c->x + i * c->hw;
        float *yp = c->y + i * c->hw;
        for (int p = 0; p < c->hw; p++) yp[p] = 0.0f;
        for (int k = ch - before; k <= ch + after; k++) {
            if (k < 0 || k >= c->c) continue;
            const float *xk = c->x + ((size_t)b * c->c + k) * c->hw;
            for (int p = 0; p < c->hw; p++) yp[p] += xk[p] * xk[p];
        }
        for (int p = 0; p < c->hw; p++) yp[p] = xp[p] / powf(c->bias + scale * yp[p], c->beta);
    }
}

// Threaded over the N*C planes; float sums (the reference sums in double).
void kiln_lrn(int n, int c, int hw, int size, float alpha, float beta, float bias, const float *x, float *y) {
    lrn_ctx ctx = {c, hw, size, alpha, beta, bias, x, y};
    const size_t work = (size_t)(hw > 0 ? hw : 1) * (size_t)(size > 0 ? size : 1);
    kiln_parallel_for((size_t)n * c, work >= KILN_REDUCE_GRAIN ? 1 : KILN_REDUCE_GRAIN / work, lrn_planes, &ctx);
}
