/*
 * kiln_conv_stem_pool.c — the stem convolution with the max pool after it fused: ResNet's
 * conv1 (7x7 stride 2, 3 -> 64 channels, ReLU) and its 3x3 stride-2 max pool, y =
 * maxpool(act(conv(x) + bias)).
 *
 * Why: unfused, the convolution writes its whole output (64 x 112 x 112 floats, 3.2 MB per
 * image: the largest activation of the network, beyond L2) and the pool reads it back. Here
 * each task computes the convolution's rows with kiln_conv2d_stem's own tiles
 * (kiln_stem_rows) into a ring of STEM_RING rows per channel, which stays in L2, and pools a
 * row as soon as its window is complete (kiln_maxpool_row, the plain pool's row code), so the
 * result has the same bits as the two steps, and the library's arena loses that activation.
 *
 * Threading as the stem's: at batch 1 each thread takes a share of the output-channel blocks
 * through every row (one ring for all threads: the shares are disjoint); otherwise tasks are
 * (image, group of pooled rows), each group computing again the convolution rows its first
 * window shares with the group before (one row of 28 for ResNet's pool).
 */
#include "kiln_conv_stem.h"
#include "kiln_ops_internal.h" /* kiln_maxpool_row, kiln_act_scalar */

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Rows per channel in the ring: a window of up to STEM_POOL_MAX_KH rows plus a band of
 * STEM_BAND rows computed after the window's first row must fit (kh - 1 + STEM_BAND). */
#define STEM_RING 8
#define STEM_POOL_MAX_KH (STEM_RING - STEM_BAND + 1)

int kiln_conv2d_stem_maxpool_applicable(const kiln_conv2d_params *p, const kiln_maxpool2d_params *q) {
    return kiln_conv2d_stem_applicable(p) && q->n == p->n && q->c == p->oc && q->h == p->oh && q->w == p->ow &&
           q->dil_h == 1 && q->dil_w == 1 && q->kh <= STEM_POOL_MAX_KH && q->w <= KILN_POOL_MAX_ROW && q->oh >= 1 &&
           q->ow >= 1;
}

static inline float max_nan(float m, float v) { return (v > m || v != v) ? v : m; }

// The naive twin: each pooled value is the max (NaN wins) of its window's convolution values,
// each computed as kiln_conv2d_stem_ref does (a double sum over the packed weights, + bias,
// the activation); no buffer. Also the fallback where the fast path cannot run.
void kiln_conv2d_stem_maxpool_ref(const kiln_conv2d_params *p, const kiln_maxpool2d_params *q, const float *x,
                                  const float *packed, const float *bias, float *y) {
    for (int n = 0; n < p->n; n++)
        for (int o = 0; o < p->oc; o++)
            for (int py = 0; py < q->oh; py++)
                for (int px = 0; px < q->ow; px++) {
                    float m = -INFINITY;
                    for (int wy = 0; wy < q->kh; wy++)
                        for (int wx = 0; wx < q->kw; wx++) {
                            const int oy = py * q->stride_h - q->pad_h + wy * q->dil_h;
                            const int ox = px * q->stride_w - q->pad_w + wx * q->dil_w;
                            if (oy < 0 || oy >= p->oh || ox < 0 || ox >= p->ow) continue;
                            const double s = kiln_stem_ref_sum(p, x, packed, n, o, oy, ox);
                            m = max_nan(m, kiln_act_scalar(&p->act, (float)s + (bias ? bias[o] : 0.0f)));
                        }
                    y[(((size_t)n * p->oc + o) * q->oh + py) * q->ow + px] = m;
                }
}

typedef struct {
    const kiln_conv2d_params *p;
    const kiln_maxpool2d_params *q;
    const float *x, *packed, *bias;
    float *y;
    const int *kx_range; /* per pooled column: its taps inside the row */
    float *ring;         /* runner r's ring at ring + r * ring_step (0 with channel shares) */
    size_t ring_step;
    int groups;          /* groups of pooled rows per image */
    size_t tasks;
    _Atomic size_t next;
    int oc_pieces;       /* > 1: runner r pools the r-th share of the output channels */
} stem_pool_ctx;

// Pooled rows [pr0, pr1) of one image for channels [oc_begin, oc_end): per pooled row, the
// convolution rows its window needs that are not computed yet (whole bands, into the ring),
// then the row of every channel.
static void stem_pool_rows(const stem_pool_ctx *ctx, int image, int pr0, int pr1, int oc_begin, int oc_end, float *buf) {
    const kiln_conv2d_params *p = ctx->p;
    const kiln_maxpool2d_params *q = ctx->q;
    const float *xi = ctx->x + (size_t)image * p->c * p->h * p->w;
    const size_t ring_plane = (size_t)STEM_RING * p->ow, pooled_plane = (size_t)q->oh * q->ow;
    const float *rows[STEM_POOL_MAX_KH];
    int next = 0; /* convolution rows below it are in the ring (those a window still needs) */
    for (int r = pr0; r < pr1; r++) {
        const int top = r * q->stride_h - q->pad_h;
        const int lo = top < 0 ? 0 : top, hi = top + q->kh < p->oh ? top + q->kh : p->oh;
        if (next < lo) next = lo; /* rows no window reads (stride beyond the window) are skipped */
        /* From lo to the band's end is at most kh - 1 + STEM_BAND rows: lo's slot is not reused. */
        for (; next < hi; next = next + STEM_BAND < p->oh ? next + STEM_BAND : p->oh)
            kiln_stem_rows(p, xi, ctx->packed, ctx->bias, ctx->ring, ring_plane, STEM_RING - 1, next,
                           next + STEM_BAND < p->oh ? next + STEM_BAND : p->oh, oc_begin, oc_end, buf);
        for (int o = oc_begin; o < oc_end; o++) {
            const float *ring = ctx->ring + (size_t)o * ring_plane;
            for (int iy = lo; iy < hi; iy++) rows[iy - lo] = ring + (size_t)(iy & (STEM_RING - 1)) * p->ow;
            kiln_maxpool_row(q, rows, hi > lo ? hi - lo : 0, ctx->kx_range,
                             ctx->y + ((size_t)image * p->oc + o) * pooled_plane + (size_t)r * q->ow);
        }
    }
}

// Claims (image, group) tasks, or with a channel share takes every image's rows in order.
static void stem_pool_runner(void *vctx, size_t r0, size_t r1) {
    (void)r1;
    stem_pool_ctx *ctx = (stem_pool_ctx *)vctx;
    stem_pool_ctx mine = *ctx; /* this runner's ring */
    mine.ring = ctx->ring + r0 * ctx->ring_step;
    _Alignas(64) float buf[STEM_LINE_FLOATS];
    int oc_begin, oc_end;
    kiln_stem_share(ctx->p->oc, ctx->oc_pieces, (int)r0, &oc_begin, &oc_end);
    const int shared = ctx->oc_pieces > 1, oh = ctx->q->oh;
    for (size_t t = shared ? 0 : atomic_fetch_add_explicit(&ctx->next, 1, memory_order_relaxed); t < ctx->tasks;
         t = shared ? t + 1 : atomic_fetch_add_explicit(&ctx->next, 1, memory_order_relaxed)) {
        const int image = (int)(t / (size_t)ctx->groups), g = (int)(t % (size_t)ctx->groups);
        stem_pool_rows(&mine, image, g * oh / ctx->groups, (g + 1) * oh / ctx->groups, oc_begin, oc_end, buf);
    }
}

// x: (N, C, H, W), packed: kiln_conv2d_stem_pack(w (OC, C, KH, KW)), bias: (OC) or NULL,
// q: the pool over the convolution's (N, OC, OH, OW) output, y: (N, OC, q->oh, q->ow).
void kiln_conv2d_stem_maxpool(const kiln_conv2d_params *p, const kiln_maxpool2d_params *q, const float *x,
                              const float *packed, const float *bias, float *y) {
    if (!kiln_conv2d_stem_maxpool_applicable(p, q) || !kiln_stem_can_run(p)) {
        kiln_conv2d_stem_maxpool_ref(p, q, x, packed, bias, y);
        return;
    }
    const int threads = kiln_get_num_threads(), shared = kiln_stem_shares(p, threads);
    /* About four tasks per thread when the batch has fewer images. */
    int groups = shared || p->n >= 4 * threads ? 1 : (4 * threads + p->n - 1) / p->n;
    if (groups > q->oh) groups = q->oh;
    const size_t tasks = (size_t)p->n * (size_t)groups;
    const size_t runners = shared ? (size_t)threads : tasks < (size_t)threads ? tasks : (size_t)threads;
    const size_t ring_floats = (size_t)p->oc * STEM_RING * (size_t)p->ow;
    float *ring = (float *)malloc(sizeof(float) * ring_floats * (shared ? 1 : runners));
    int *kx_range = (int *)malloc(sizeof(int) * 2 * (size_t)q->ow);
    if (!ring || !kx_range) { /* out of memory: the twin needs none */
        free(ring), free(kx_range);
        kiln_conv2d_stem_maxpool_ref(p, q, x, packed, bias, y);
        return;
    }
    kiln_maxpool_kx_ranges(q, kx_range);
    stem_pool_ctx ctx = {p, q, x, packed, bias, y, kx_range, ring, shared ? 0 : ring_floats, groups, tasks, 0,
                         shared ? threads : 1};
    kiln_parallel_for(runners, 1, stem_pool_runner, &ctx);
    free(ring), free(kx_range);
}
