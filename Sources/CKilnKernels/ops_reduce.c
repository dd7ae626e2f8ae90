/*
 * ops_reduce.c — mean and the other reductions over an axis, softmax and log-softmax, local response normalisation.
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

// x: (outer, len, inner) -> y: (outer, inner), every kind in double (max and min exactly).
void kiln_reduce_ref(int kind, size_t outer, size_t len, size_t inner, const float *x, float *y) {
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            const float *xs = x + o * len * inner + i;
            double m = -INFINITY;
            if (kind == KILN_REDUCE_LOG_SUM_EXP) {
                for (size_t l = 0; l < len; l++) if (xs[l * inner] > m) m = xs[l * inner];
                if (isinf(m)) m = 0.0; /* all -inf (or +inf somewhere): no shift keeps inf/NaN right */
            }
            double acc = kind == KILN_REDUCE_PROD ? 1.0 : kind == KILN_REDUCE_MAX ? -INFINITY : kind == KILN_REDUCE_MIN ? INFINITY : 0.0;
            int nan = 0;
            for (size_t l = 0; l < len; l++) {
                const double v = xs[l * inner];
                nan |= v != v;
                switch (kind) {
                case KILN_REDUCE_MAX: if (v > acc) acc = v; break;
                case KILN_REDUCE_MIN: if (v < acc) acc = v; break;
                case KILN_REDUCE_PROD: acc *= v; break;
                case KILN_REDUCE_L1: acc += fabs(v); break;
                case KILN_REDUCE_L2: case KILN_REDUCE_SUM_SQUARE: acc += v * v; break;
                case KILN_REDUCE_LOG_SUM_EXP: acc += exp(v - m); break;
                default: acc += v; break; /* mean, log_sum */
                }
            }
            switch (kind) {
            case KILN_REDUCE_MEAN: acc /= (double)len; break;
            case KILN_REDUCE_MAX: case KILN_REDUCE_MIN: if (nan) acc = NAN; break;
            case KILN_REDUCE_L2: acc = sqrt(acc); break;
            case KILN_REDUCE_LOG_SUM: acc = log(acc); break;
            case KILN_REDUCE_LOG_SUM_EXP: acc = m + log(acc); break;
            default: break;
            }
            y[o * inner + i] = (float)acc;
        }
}

/* Columns per work item: accumulators of one item stay in registers/L1. */
#define KILN_REDUCE_COLS 256

typedef struct {
    int kind;
    size_t len, inner, blocks;
    const float *x;
    float *y;
} reduce_ctx;

// Work items [j0, j1), each KILN_REDUCE_COLS columns of one outer row: y's row is the float
// accumulator, updated a whole row of x at a time (a loop over columns that vectorises).
static void reduce_items(void *vctx, size_t j0, size_t j1) {
    const reduce_ctx *c = (const reduce_ctx *)vctx;
    const size_t len = c->len, inner = c->inner;
    for (size_t j = j0; j < j1; j++) {
        const size_t o = j / c->blocks, i0 = (j % c->blocks) * KILN_REDUCE_COLS;
        const size_t w = inner - i0 < KILN_REDUCE_COLS ? inner - i0 : KILN_REDUCE_COLS;
        const float *xo = c->x + o * len * inner + i0;
        float *yo = c->y + o * inner + i0;
        float shift[KILN_REDUCE_COLS];
        const int kind = c->kind;
        if (kind == KILN_REDUCE_LOG_SUM_EXP) {
            for (size_t i = 0; i < w; i++) shift[i] = -INFINITY;
            for (size_t l = 0; l < len; l++)
                for (size_t i = 0; i < w; i++) shift[i] = xo[l * inner + i] > shift[i] ? xo[l * inner + i] : shift[i];
            for (size_t i = 0; i < w; i++) if (isinf(shift[i])) shift[i] = 0.0f;
        }
        /* Max and min start from x's first row, the others from their identity. */
        const int extremum = kind == KILN_REDUCE_MAX || kind == KILN_REDUCE_MIN;
        const float identity = kind == KILN_REDUCE_PROD ? 1.0f : 0.0f;
        for (size_t i = 0; i < w; i++) yo[i] = extremum ? xo[i] : identity;
        for (size_t l = extremum ? 1 : 0; l < len; l++) {
            const float *xl = xo + l * inner;
            switch (kind) {
            /* x != x: a NaN wins and, once in y, stays (comparisons with it are false). */
            case KILN_REDUCE_MAX: for (size_t i = 0; i < w; i++) yo[i] = xl[i] > yo[i] || xl[i] != xl[i] ? xl[i] : yo[i]; break;
            case KILN_REDUCE_MIN: for (size_t i = 0; i < w; i++) yo[i] = xl[i] < yo[i] || xl[i] != xl[i] ? xl[i] : yo[i]; break;
            case KILN_REDUCE_PROD: for (size_t i = 0; i < w; i++) yo[i] *= xl[i]; break;
            case KILN_REDUCE_L1: for (size_t i = 0; i < w; i++) yo[i] += fabsf(xl[i]); break;
            case KILN_REDUCE_L2: case KILN_REDUCE_SUM_SQUARE: for (size_t i = 0; i < w; i++) yo[i] += xl[i] * xl[i]; break;
            case KILN_REDUCE_LOG_SUM_EXP: for (size_t i = 0; i < w; i++) yo[i] += expf(xl[i] - shift[i]); break;
            default: for (size_t i = 0; i < w; i++) yo[i] += xl[i]; break;
            }
        }
        switch (kind) {
        case KILN_REDUCE_L2: for (size_t i = 0; i < w; i++) yo[i] = sqrtf(yo[i]); break;
        case KILN_REDUCE_LOG_SUM: for (size_t i = 0; i < w; i++) yo[i] = logf(yo[i]); break;
        case KILN_REDUCE_LOG_SUM_EXP: for (size_t i = 0; i < w; i++) yo[i] = shift[i] + logf(yo[i]); break;
        default: break;
        }
    }
}

// Threaded over (outer row, column block) items; float accumulation (the reference: double).
void kiln_reduce(int kind, size_t outer, size_t len, size_t inner, const float *x, float *y) {
    if (kind == KILN_REDUCE_MEAN) { kiln_reduce_mean(outer, len, inner, x, y); return; }
    if (outer == 0 || len == 0 || inner == 0) return;
    const size_t blocks = (inner + KILN_REDUCE_COLS - 1) / KILN_REDUCE_COLS;
    reduce_ctx c = {kind, len, inner, blocks, x, y};
    const size_t work = len * (inner < KILN_REDUCE_COLS ? inner : KILN_REDUCE_COLS);
    kiln_parallel_for(outer * blocks, work >= KILN_REDUCE_GRAIN ? 1 : KILN_REDUCE_GRAIN / work, reduce_items, &c);
}
