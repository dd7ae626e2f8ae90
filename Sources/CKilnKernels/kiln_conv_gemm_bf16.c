/*
 * kiln_conv_gemm_bf16.c — convolution on the bf16 packed GEMM (kiln_gemm_bf16.h):
 * kiln_conv2d_gemm's algorithm with the weights packed as bf16 pairs at compile time and
 * the im2col panels (kiln_gemm_im2col.c's fp32 packers) rounded to bf16 in L1.
 *
 * Per image: y (OC, OH*OW) = w (OC, C*KH*KW) . col (C*KH*KW, OH*OW), epilogue in fp32.
 * Threads claim tasks dynamically: whole images when the batch gives four per thread,
 * else (image, column block), else (image, output-channel block) when the output has few
 * pixels; with long K (batch 1 of ResNet's 7x7 layers: 49 pixels, K = 4608) the
 * output-channel split becomes a K split whose parts are summed with the epilogue. Batches
 * of small outputs (7x7 = 48 + 1 columns: a third of each image's tiles would be a 1-column
 * edge) put all images' pixels side by side in shared column blocks (SPLIT_GROUPED), as
 * kiln_conv_gemm.c does.
 */
#include "kiln_conv_variants.h"
#include "kiln_gemm_bf16.h"
#include "kiln_ops_internal.h"

#include <stdatomic.h>
#include <stdlib.h>

int kiln_conv2d_gemm_bf16_applicable(const kiln_conv2d_params *p) { return p->groups == 1; }

static int gemm_k(const kiln_conv2d_params *p) { return p->c * p->kh * p->kw; }

size_t kiln_conv2d_gemm_bf16_packed_size(const kiln_conv2d_params *p) {
    return kiln_gemm_bf16_packed_a_size(p->oc, gemm_k(p)) / 2; /* even: KP is even */
}

// w: (OC, C, KH, KW) is the row-major (OC, C*KH*KW) A matrix.
void kiln_conv2d_gemm_bf16_pack(const kiln_conv2d_params *p, const float *w, void *packed) {
    kiln_gemm_bf16_pack_a(p->oc, gemm_k(p), w, gemm_k(p), (uint16_t *)packed);
}

typedef struct {
    const kiln_conv2d_params *p;
    const float *x, *bias, *residual;
    const uint16_t *packed;
    float *y;
    int pieces;          /* tasks per image */
    int mode;            /* SPLIT_N, SPLIT_M or SPLIT_K */
    int units;           /* panels (N or M) or K blocks in the split dimension */
    size_t tasks;
    _Atomic size_t next;
    float *scratch;      /* SPLIT_K: one (OC, OH*OW) part per task; SPLIT_GROUPED: one
                          * (OC, GROUP_COLS) block per runner */
} bf16_conv_ctx;

enum { SPLIT_N, SPLIT_M, SPLIT_K, SPLIT_GROUPED };

/* Columns per grouped task: 4 B panels, so each streamed A panel feeds 192 columns. */
#define GROUP_COLS (4 * KILN_GEMM_BF16_NR)

static int pointwise(const kiln_conv2d_params *p) {
    return p->kh == 1 && p->kw == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 0 && p->pad_w == 0 &&
           p->pad_b == 0 && p->pad_r == 0;
}

static void bf16_conv_runner(void *vctx, size_t r0, size_t r1) {
    (void)r0; (void)r1;
    bf16_conv_ctx *ctx = (bf16_conv_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int k = gemm_k(p), kp = k + (k & 1), npix = p->oh * p->ow;
    const size_t in_image = (size_t)p->c * p->h * p->w, out_image = (size_t)p->oc * npix;
    for (size_t t; (t = atomic_fetch_add_explicit(&ctx->next, 1, memory_order_relaxed)) < ctx->tasks;) {
        const int image = (int)(t / (size_t)ctx->pieces), piece = (int)(t % (size_t)ctx->pieces);
        const int u0 = (int)((long)piece * ctx->units / ctx->pieces), u1 = (int)((long)(piece + 1) * ctx->units / ctx->pieces);
        if (u0 >= u1) continue;
        const float *xi = ctx->x + image * in_image;
        kiln_gemm_im2col b = {p, xi, 0};
        if (ctx->mode == SPLIT_K) { /* K blocks [u0, u1) of the whole image, into its part */
            const int k0 = u0 * KILN_GEMM_BF16_KC, k1 = u1 * KILN_GEMM_BF16_KC < k ? u1 * KILN_GEMM_BF16_KC : k;
            kiln_gemm_bf16_with_packer_range(p->oc, npix, k0, k1, k, ctx->packed, kiln_gemm_im2col_packer(p), &b,
                                             ctx->scratch + t * out_image, npix, NULL, NULL, 0, NULL);
            continue;
        }
        int m0 = 0, m1 = p->oc, n0 = 0, n1 = npix;
        if (ctx->mode == SPLIT_M) {
            m0 = u0 * KILN_GEMM_BF16_MR;
            m1 = u1 * KILN_GEMM_BF16_MR < p->oc ? u1 * KILN_GEMM_BF16_MR : p->oc;
        } else {
            n0 = u0 * KILN_GEMM_BF16_NR;
            n1 = u1 * KILN_GEMM_BF16_NR < npix ? u1 * KILN_GEMM_BF16_NR : npix;
        }
        float *yi = ctx->y + image * out_image + (size_t)m0 * npix + n0;
        const float *ri = ctx->residual ? ctx->residual + image * out_image + (size_t)m0 * npix + n0 : NULL;
        const uint16_t *a = ctx->packed + (size_t)m0 * kp; /* m0 is a multiple of MR */
        const float *bias = ctx->bias ? ctx->bias + m0 : NULL;
        if (pointwise(p)) {
            kiln_gemm_bf16(m1 - m0, n1 - n0, k, a, xi + n0, npix, yi, npix, bias, ri, npix, &p->act);
        } else {
            b.n_offset = n0;
            kiln_gemm_bf16_with_packer_range(m1 - m0, n1 - n0, 0, k, k, a, kiln_gemm_im2col_packer(p), &b, yi, npix,
                                             bias, ri, npix, &p->act);
        }
    }
}

// SPLIT_GROUPED: task t computes columns [t*GROUP_COLS, ..) of all images' pixels side by
// side into this runner's scratch block, then copies each image's run of them out with the
// epilogue (+ bias, + residual, act).
static void bf16_conv_grouped_runner(void *vctx, size_t r0, size_t r1) {
    (void)r1;
    bf16_conv_ctx *ctx = (bf16_conv_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int k = gemm_k(p), npix = p->oh * p->ow, oc = p->oc, total = p->n * npix;
    float *block = ctx->scratch + r0 * (size_t)oc * GROUP_COLS;
    for (size_t t; (t = atomic_fetch_add_explicit(&ctx->next, 1, memory_order_relaxed)) < ctx->tasks;) {
        const int n0 = (int)t * GROUP_COLS, cols = total - n0 < GROUP_COLS ? total - n0 : GROUP_COLS;
        kiln_gemm_im2col b = {p, ctx->x, n0};
        kiln_gemm_bf16_with_packer_range(oc, cols, 0, k, k, ctx->packed, kiln_gemm_im2col_packer(p), &b, block, cols,
                                         NULL, NULL, 0, NULL);
        for (int j = 0; j < cols;) {
            const int image = (n0 + j) / npix, pix = (n0 + j) % npix;
            const int len = npix - pix < cols - j ? npix - pix : cols - j;
            for (int o = 0; o < oc; o++) {
                const size_t out = ((size_t)image * oc + o) * npix + pix;
                const float *src = block + (size_t)o * cols + j, *res = ctx->residual ? ctx->residual + out : NULL;
                const float bv = ctx->bias ? ctx->bias[o] : 0.0f;
                float *dst = ctx->y + out;
                for (int i = 0; i < len; i++) {
                    dst[i] = kiln_act_scalar(&p->act, src[i] + bv + (res ? res[i] : 0.0f));
                }
            }
            j += len;
        }
    }
}

// Rows [r0, r1) of all images' output channels: y = the parts summed in piece order
// + bias, + residual, act.
static void bf16_conv_reduce(void *vctx, size_t r0, size_t r1) {
    const bf16_conv_ctx *ctx = (const bf16_conv_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int npix = p->oh * p->ow;
    const size_t out_image = (size_t)p->oc * npix;
    for (size_t r = r0; r < r1; r++) {
        const size_t image = r / (size_t)p->oc, o = r % (size_t)p->oc, off = o * npix;
        const float *part = ctx->scratch + image * ctx->pieces * out_image + off;
        float *dst = ctx->y + image * out_image + off;
        const float *res = ctx->residual ? ctx->residual + image * out_image + off : NULL;
        const float bv = ctx->bias ? ctx->bias[o] : 0.0f;
        for (int i = 0; i < npix; i++) {
            float v = part[i];
            for (int q = 1; q < ctx->pieces; q++) v += part[(size_t)q * out_image + i];
            v += bv;
            if (res) v += res[i];
            dst[i] = kiln_act_scalar(&p->act, v);
        }
    }
}

// x: (N, C, H, W), packed: kiln_conv2d_gemm_bf16_pack(w), bias: (OC) or NULL,
// residual: (N, OC, OH, OW) or NULL, y: (N, OC, OH, OW). workspace unused.
void kiln_conv2d_gemm_bf16(const kiln_conv2d_params *p, const float *x, const void *packed,
                           const float *bias, const float *residual, float *y, float *workspace) {
    (void)workspace;
    const int npix = p->oh * p->ow, threads = kiln_get_num_threads();
    const int n_panels = (npix + KILN_GEMM_BF16_NR - 1) / KILN_GEMM_BF16_NR;
    const int m_panels = (p->oc + KILN_GEMM_BF16_MR - 1) / KILN_GEMM_BF16_MR;
    int pieces = threads > 1 && p->n < 4 * threads ? (4 * threads + p->n - 1) / p->n : 1;
    const int split_m = pieces > 1 && n_panels < 2 * pieces && m_panels > n_panels;
    if (split_m) pieces = (pieces + 1) / 2;
    bf16_conv_ctx ctx = {p, x, bias, residual, (const uint16_t *)packed, y, pieces, split_m ? SPLIT_M : SPLIT_N,
                         split_m ? m_panels : n_panels, (size_t)p->n * pieces, 0, NULL};
    const size_t groups = ((size_t)p->n * npix + GROUP_COLS - 1) / GROUP_COLS;
    if (p->n > 1 && npix < GROUP_COLS && npix % KILN_GEMM_BF16_NR != 0 && groups >= 2 * (size_t)threads) {
        ctx.scratch = malloc(sizeof(float) * (size_t)threads * p->oc * GROUP_COLS);
        if (ctx.scratch) { /* else: whole images */
            ctx.mode = SPLIT_GROUPED;
            ctx.tasks = groups;
            kiln_parallel_for((size_t)threads, 1, bf16_conv_grouped_runner, &ctx);
            free(ctx.scratch);
            return;
        }
    }
    const int kpieces = 2 * threads, kblocks = (gemm_k(p) + KILN_GEMM_BF16_KC - 1) / KILN_GEMM_BF16_KC;
    if (split_m && threads > 1 && kblocks >= 2 * kpieces) {
        ctx.scratch = malloc(sizeof(float) * (size_t)p->n * kpieces * p->oc * npix);
        if (ctx.scratch) { /* else: the output-channel split */
            ctx.mode = SPLIT_K;
            ctx.pieces = kpieces;
            ctx.units = kblocks;
            ctx.tasks = (size_t)p->n * kpieces;
            kiln_parallel_for((size_t)threads, 1, bf16_conv_runner, &ctx);
            kiln_parallel_for((size_t)p->n * p->oc, 16, bf16_conv_reduce, &ctx);
            free(ctx.scratch);
            return;
        }
    }
    const size_t runners = ctx.tasks < (size_t)threads ? ctx.tasks : (size_t)threads;
    kiln_parallel_for(runners, 1, bf16_conv_runner, &ctx);
}
