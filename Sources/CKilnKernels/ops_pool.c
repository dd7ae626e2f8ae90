/*
 * ops_pool.c — average and max pooling with asymmetric pads (ONNX AveragePool/MaxPool),
 * global average and max pooling.
 */
#include "kiln_kernels.h"
#include "kiln_ops.h"
#include "kiln_gemm.h" /* kiln_gemm_uses_avx512: the kernels' one CPU switch */

#include <math.h>
#include <stdlib.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define KILN_OPS_POOL_AVX512 1
/* Built without -march (runs on any x86-64): the AVX-512 code carries its own target. */
#define KILN_OPS_POOL_AVX512_FN __attribute__((target("avx512f")))
#else
#define KILN_OPS_POOL_AVX512 0
#endif

/* Work (taps or elements) per parallel chunk: below it a thread hand-off costs more. */
#define KILN_OPS_POOL_GRAIN 32768

static int ops_floor_div(int a, int b) {
    int q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* PyTorch's pooling_output_shape with separate begin/end pads: with ceil_mode the last
 * window must still start inside the input or the begin padding, otherwise it is dropped. */
static int pool_out(int in, int k, int s, int pb, int pe, int dil, int ceil_mode) {
    int out = ops_floor_div(in + pb + pe - dil * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
    if (ceil_mode && (out - 1) * s >= in + pb) out--;
    return out;
}

int kiln_pool2d_init(kiln_pool2d_params *p) {
    if (!p) return -1;
    if (p->n <= 0 || p->c <= 0 || p->h <= 0 || p->w <= 0) return -1;
    if (p->kh <= 0 || p->kw <= 0 || p->stride_h <= 0 || p->stride_w <= 0) return -1;
    if (p->dil_h <= 0 || p->dil_w <= 0) return -1;
    if (p->pad_t < 0 || p->pad_l < 0 || p->pad_b < 0 || p->pad_r < 0) return -1;
    int oh = pool_out(p->h, p->kh, p->stride_h, p->pad_t, p->pad_b, p->dil_h, p->ceil_mode);
    int ow = pool_out(p->w, p->kw, p->stride_w, p->pad_l, p->pad_r, p->dil_w, p->ceil_mode);
    if (oh < 1 || ow < 1) return -1;
    p->oh = oh;
    p->ow = ow;
    return 0;
}

// x: (N, C, H, W), y: (N, C, OH, OW); every tap of every window tested one by one.
// Max: padding is -inf; a NaN in a window gives NaN. Average: the taps inside the input are
// summed; the divisor is their count, or with count_include_pad the taps inside the padded
// input (rows < H + pad_b, columns < W + pad_r), never those only ceil_mode added. A window
// with no tap to count gives 0.
static void pool_ref(const kiln_pool2d_params *p, const float *x, float *y, int max) {
    for (size_t pl = 0; pl < (size_t)p->n * p->c; pl++) {
        const float *xp = x + pl * p->h * p->w;
        float *yp = y + pl * p->oh * p->ow;
        for (int oy = 0; oy < p->oh; oy++)
            for (int ox = 0; ox < p->ow; ox++) {
                double sum = 0.0;
                float m = -INFINITY;
                int valid = 0, padded_y = 0, padded_x = 0;
                for (int kx = 0; kx < p->kw; kx++)
                    if (ox * p->stride_w - p->pad_l + kx * p->dil_w < p->w + p->pad_r) padded_x++;
                for (int ky = 0; ky < p->kh; ky++) {
                    const int iy = oy * p->stride_h - p->pad_t + ky * p->dil_h;
                    if (iy < p->h + p->pad_b) padded_y++;
                    if (iy < 0 || iy >= p->h) continue;
                    for (int kx = 0; kx < p->kw; kx++) {
                        const int ix = ox * p->stride_w - p->pad_l + kx * p->dil_w;
                        if (ix < 0 || ix >= p->w) continue;
                        const float v = xp[(size_t)iy * p->w + ix];
                        sum += v;
                        valid++;
                        if (v > m || v != v) m = v; /* once m is NaN nothing replaces it */
                    }
                }
                const int count = p->count_include_pad ? padded_y * padded_x : valid;
                yp[(size_t)oy * p->ow + ox] = max ? m : count > 0 ? (float)(sum / count) : 0.0f;
            }
    }
}

void kiln_avgpool2d_ref(const kiln_pool2d_params *p, const float *x, float *y) { pool_ref(p, x, y, 0); }
void kiln_maxpool2d_pads_ref(const kiln_pool2d_params *p, const float *x, float *y) { pool_ref(p, x, y, 1); }

/* ------------------------------------------------------------------ fast windowed pools */

/* Per output position along one axis: the first tap, the valid taps [lo, hi) (those inside
 * the input) and the taps inside the padded input (count_include_pad's divisor). */
typedef struct { int start, lo, hi, padded; } pool_axis;

static void pool_axis_fill(pool_axis *ax, int out, int in, int k, int s, int pb, int pe, int dil) {
    for (int o = 0; o < out; o++) {
        const int start = o * s - pb;
        int lo = 0, hi = 0, padded = 0;
        for (int t = 0; t < k; t++) {
            const int i = start + t * dil;
            if (i < in + pe) padded++;
            if (i < 0) lo = t + 1;
            if (i < in) hi = t + 1;
        }
        if (hi < lo) hi = lo;
        ax[o] = (pool_axis){start, lo, hi, padded};
    }
}

typedef struct {
    const kiln_pool2d_params *p;
    const float *x;
    float *y;
    const pool_axis *ay, *ax;
    int max;
} pool_ctx;

// Planes [i0, i1): every window sums (or maxes) only its valid taps, no per-tap test.
static void pool_planes(void *vctx, size_t i0, size_t i1) {
    const pool_ctx *c = (const pool_ctx *)vctx;
    const kiln_pool2d_params *p = c->p;
    for (size_t pl = i0; pl < i1; pl++) {
        const float *xp = c->x + pl * p->h * p->w;
        float *yp = c->y + pl * p->oh * p->ow;
        for (int oy = 0; oy < p->oh; oy++) {
            const pool_axis ry = c->ay[oy];
            for (int ox = 0; ox < p->ow; ox++) {
                const pool_axis rx = c->ax[ox];
                float v;
                if (c->max) {
                    v = -INFINITY;
                    for (int ky = ry.lo; ky < ry.hi; ky++) {
                        const float *row = xp + (size_t)(ry.start + ky * p->dil_h) * p->w + rx.start;
                        for (int kx = rx.lo; kx < rx.hi; kx++) {
                            const float t = row[kx * p->dil_w];
                            if (t > v || t != t) v = t;
                        }
                    }
                } else {
                    float sum = 0.0f;
                    for (int ky = ry.lo; ky < ry.hi; ky++) {
                        const float *row = xp + (size_t)(ry.start + ky * p->dil_h) * p->w + rx.start;
                        for (int kx = rx.lo; kx < rx.hi; kx++) sum += row[kx * p->dil_w];
                    }
                    const int count = p->count_include_pad ? ry.padded * rx.padded : (ry.hi - ry.lo) * (rx.hi - rx.lo);
                    v = count > 0 ? sum / (float)count : 0.0f;
                }
                yp[(size_t)oy * p->ow + ox] = v;
            }
        }
    }
}

static void pool_run(const kiln_pool2d_params *p, const float *x, float *y, int max) {
    pool_axis *ay = malloc(sizeof(pool_axis) * (size_t)(p->oh + p->ow));
    if (!ay) { /* out of memory: the references need no scratch */
        if (max) kiln_maxpool2d_pads_ref(p, x, y); else kiln_avgpool2d_ref(p, x, y);
        return;
    }
    pool_axis *ax = ay + p->oh;
    pool_axis_fill(ay, p->oh, p->h, p->kh, p->stride_h, p->pad_t, p->pad_b, p->dil_h);
    pool_axis_fill(ax, p->ow, p->w, p->kw, p->stride_w, p->pad_l, p->pad_r, p->dil_w);
    pool_ctx c = {p, x, y, ay, ax, max};
    const size_t work = (size_t)p->oh * p->ow * p->kh * p->kw;
    kiln_parallel_for((size_t)p->n * p->c, work >= KILN_OPS_POOL_GRAIN ? 1 : KILN_OPS_POOL_GRAIN / (work ? work : 1), pool_planes, &c);
    free(ay);
}

// x: (N, C, H, W), y: (N, C, OH, OW). Float sums (the reference sums in double).
void kiln_avgpool2d(const kiln_pool2d_params *p, const float *x, float *y) { pool_run(p, x, y, 0); }

// x: (N, C, H, W), y: (N, C, OH, OW). Symmetric pads within PyTorch's limits go to
// kiln_maxpool2d (its AVX-512 path); the rest to the windowed loop.
void kiln_maxpool2d_pads(const kiln_pool2d_params *p, const float *x, float *y) {
    if (p->pad_t == p->pad_b && p->pad_l == p->pad_r) {
        kiln_maxpool2d_params q = {.n = p->n, .c = p->c, .h = p->h, .w = p->w, .kh = p->kh, .kw = p->kw,
                                   .stride_h = p->stride_h, .stride_w = p->stride_w, .pad_h = p->pad_t, .pad_w = p->pad_l,
                                   .dil_h = p->dil_h, .dil_w = p->dil_w, .ceil_mode = p->ceil_mode};
        if (kiln_maxpool2d_init(&q) == 0 && q.oh == p->oh && q.ow == p->ow) {
            kiln_maxpool2d(&q, x, y);
            return;
        }
    }
    pool_run(p, x, y, 1);
}

// x: (NC, HW) -> y: (NC), double accumulation.
void kiln_global_avgpool_ref(size_t nc, size_t hw, const float *x, float *y) {
    for (size_t i = 0; i < nc; i++) {
        double s = 0.0;
        for (size_t j = 0; j < hw; j++) s += x[i * hw + j];
        y[i] = (float)(s / (double)hw);
    }
}

// x: (NC, HW) -> y: (NC). NaN propagates.
void kiln_global_maxpool_ref(size_t nc, size_t hw, const float *x, float *y) {
    for (size_t i = 0; i < nc; i++) {
        float m = -INFINITY;
        for (size_t j = 0; j < hw; j++) {
            const float v = x[i * hw + j];
            if (v > m || v != v) m = v;
            if (m != m) break;
        }
        y[i] = m;
    }
}

typedef struct {
    size_t hw;
    const float *x;
    float *y;
} global_ctx;

static void global_max_rows(void *vctx, size_t r0, size_t r1) {
    const global_ctx *c = (const global_ctx *)vctx;
    kiln_global_maxpool_ref(r1 - r0, c->hw, c->x + r0 * c->hw, c->y + r0);
}

// x: (NC, HW) -> y: (NC), threaded over rows.
void kiln_global_maxpool(size_t nc, size_t hw, const float *x, float *y) {
    global_ctx c = {hw, x, y};
    kiln_parallel_for(nc, hw >= KILN_OPS_POOL_GRAIN ? 1 : KILN_OPS_POOL_GRAIN / (hw ? hw : 1), global_max_rows, &c);
}
