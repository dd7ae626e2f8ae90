/*
 * kiln_conv_gemm.c — convolution on Kiln's packed GEMM (kiln_gemm.h).
 *
 * Per image: y (OC, OH*OW) = w (OC, C*KH*KW) . col (C*KH*KW, OH*OW). The weights are packed
 * once (at aotCompile time) into the GEMM's A panels. im2col is fused into the packing of
 * the B panels (kiln_gemm_im2col.c): each KC x NR panel is gathered straight from the
 * input, so the column matrix never exists in memory; 1x1 stride-1 unpadded convolutions
 * read the input as B. The bias/residual/ReLU epilogue runs inside the GEMM on the last K
 * block, while the tile is still in registers (except in the grouped and K-split modes
 * below, which apply it while copying their scratch results out).
 *
 * Threading: whole images, claimed dynamically, when the batch gives four per thread; else
 * B panels (pixels) while there are at least two per piece, else output-channel panels: at
 * batch 1 the 7x7 layers have 49 pixels (two B panels) but 512 output channels, so they
 * split M. Fewer images split with kiln_parallel_for_balanced: thread i starts on the i-th
 * share of the panels and claims a part at a time, and a thread done early takes the last
 * parts of another's share. So at batch 1 the caller computes the first output channels of
 * an M-split layer, the planes the depthwise layer after it gives to the caller too. An
 * M split whose B is packed (im2col) keeps one claim per thread, since each claim packs all
 * of B again. Two special modes:
 *   - batches of small outputs (fewer than 4 B panels, partial last one: 7x7 = 48 + 1) group
 *     the images' pixels into shared column blocks, so each B panel is full (27-32 ms
 *     per layer4 3x3 at batch 32 on 2 threads, against 43 ms without grouping);
 *   - an output-channel split with long K (at least two KC blocks per piece, one piece per
 *     thread; at batch 1 also K >= 2 OC over more than one B panel, the 14x14 projections
 *     after a depthwise layer) splits K into equal shares instead, and sums the parts, so
 *     every thread streams a share of the weights and reads or packs only its share of B
 *     (1.23 ms per layer4 3x3 at batch 1 against 1.64 ms, with the one-column edge kernel of
 *     kiln_gemm.c).
 */
#include "kiln_conv_variants.h"
#include "kiln_gemm.h"
#include "kiln_ops_internal.h"
#include "kiln_act_simd.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int kiln_conv2d_gemm_applicable(const kiln_conv2d_params *p) { return p->groups == 1; }

static int gemm_k(const kiln_conv2d_params *p) { return p->c * p->kh * p->kw; }

size_t kiln_conv2d_gemm_packed_size(const kiln_conv2d_params *p) {
    return kiln_gemm_packed_a_size(p->oc, gemm_k(p));
}

// w: (OC, C, KH, KW) is already the row-major (OC, C*KH*KW) A matrix.
void kiln_conv2d_gemm_pack(const kiln_conv2d_params *p, const float *w, float *packed) {
    kiln_gemm_pack_a(p->oc, gemm_k(p), w, gemm_k(p), packed);
}

size_t kiln_conv2d_gemm_workspace_size(const kiln_conv2d_params *p) {
    (void)p;
    return 0;
}

static int is_pointwise(const kiln_conv2d_params *p) {
    return p->kh == 1 && p->kw == 1 && p->stride_h == 1 && p->stride_w == 1 &&
           p->pad_h == 0 && p->pad_w == 0 && p->pad_b == 0 && p->pad_r == 0;
}

/* ------------------------------------------------------------------ tasks */

typedef struct {
    const kiln_conv2d_params *p;
    const float *x, *packed, *bias, *residual;
    float *y;
    int pieces;       /* tasks per image */
    int split_m;      /* 1: pieces cut output channels, 0: pixels */
    int unit_panels;  /* panels (MR rows or NR columns) in the split dimension */
    size_t tasks;     /* images * pieces, or column blocks when grouped */
    _Atomic size_t next; /* next unclaimed task */
    float *scratch;   /* grouped: one (OC, GROUP_COLS) block per runner, else NULL */
    const float *scale; /* (N, C) input channel scales (kiln_conv2d_gemm_scaled), or NULL */
} conv_gemm_ctx;

/* B's packer: im2col's, or the scaled pointwise one. */
static kiln_gemm_pack_b_fn conv_packer(const conv_gemm_ctx *ctx) {
    return ctx->scale ? kiln_gemm_pack_b_scaled : kiln_gemm_im2col_packer(ctx->p);
}

/* Columns per task when images are grouped (4 B panels: the A panels streamed per task
 * feed 192 columns instead of one image's few pixels). */
#define GROUP_COLS (4 * KILN_GEMM_NR)

// Output channels [m0, m1) x pixels [n0, n1) of one image's GEMM, single-threaded with this
// thread's packed-B buffer.
static void conv_gemm_block(const conv_gemm_ctx *ctx, int image, int m0, int m1, int n0, int n1, float *bpack) {
    const kiln_conv2d_params *p = ctx->p;
    const int k = gemm_k(p), npix = p->oh * p->ow;
    const size_t in_image = (size_t)p->c * p->h * p->w, out_image = (size_t)p->oc * npix;
    const float *xi = ctx->x + image * in_image;
    float *yi = ctx->y + image * out_image + (size_t)m0 * npix + n0;
    const float *ri = ctx->residual ? ctx->residual + image * out_image + (size_t)m0 * npix + n0 : NULL;
    const float *a = ctx->packed + (size_t)m0 * k; /* m0 is a multiple of MR */
    const float *bias = ctx->bias ? ctx->bias + m0 : NULL;
    if (is_pointwise(p) && !ctx->scale) {
        kiln_gemm(m1 - m0, n1 - n0, k, a, xi + n0, npix, yi, npix, bias, ri, npix, &p->act, bpack);
    } else {
        kiln_gemm_im2col b = {p, xi, n0, ctx->scale ? ctx->scale + (size_t)image * p->c : NULL};
        kiln_gemm_with_packer(m1 - m0, n1 - n0, k, a, conv_packer(ctx), &b, yi, npix,
                              bias, ri, npix, &p->act, bpack);
    }
}

// Task t = (image t / pieces, piece t % pieces): its block of rows or columns of the image's
// GEMM.
static void conv_gemm_task(const conv_gemm_ctx *ctx, size_t t, float *bpack) {
    const kiln_conv2d_params *p = ctx->p;
    const int npix = p->oh * p->ow;
    const int image = (int)(t / (size_t)ctx->pieces), piece = (int)(t % (size_t)ctx->pieces);
    /* Piece i covers units [i*U/P, (i+1)*U/P) of the split dimension. */
    const int u0 = (int)((long)piece * ctx->unit_panels / ctx->pieces);
    const int u1 = (int)((long)(piece + 1) * ctx->unit_panels / ctx->pieces);
    if (u0 >= u1) return;
    if (ctx->split_m)
        conv_gemm_block(ctx, image, u0 * KILN_GEMM_MR, u1 * KILN_GEMM_MR < p->oc ? u1 * KILN_GEMM_MR : p->oc, 0, npix, bpack);
    else
        conv_gemm_block(ctx, image, 0, p->oc, u0 * KILN_GEMM_NR, u1 * KILN_GEMM_NR < npix ? u1 * KILN_GEMM_NR : npix, bpack);
}

// Panels [u0, u1) of the split dimension over all images, image after image
// (kiln_parallel_for_balanced's claims): A panels (MR output channels) with every pixel when
// the split cuts M, else B panels (NR pixels) with every output channel.
static void conv_gemm_panels(void *vctx, size_t u0, size_t u1) {
    const conv_gemm_ctx *ctx = (const conv_gemm_ctx *)vctx;
    const int oc = ctx->p->oc, npix = ctx->p->oh * ctx->p->ow;
    const size_t per = (size_t)ctx->unit_panels;
    _Alignas(64) float bpack[KILN_GEMM_KC * KILN_GEMM_NR];
    while (u0 < u1) {
        const size_t image = u0 / per, first = u0 % per, last = u1 - image * per < per ? u1 - image * per : per;
        if (ctx->split_m)
            conv_gemm_block(ctx, (int)image, (int)first * KILN_GEMM_MR,
                            (int)last * KILN_GEMM_MR < oc ? (int)last * KILN_GEMM_MR : oc, 0, npix, bpack);
        else
            conv_gemm_block(ctx, (int)image, 0, oc, (int)first * KILN_GEMM_NR,
                            (int)last * KILN_GEMM_NR < npix ? (int)last * KILN_GEMM_NR : npix, bpack);
        u0 = image * per + last;
    }
}

// One runner per thread: claims tasks until none is left. Claiming dynamically keeps both
// cores busy when one is slowed by other work; each task's result does not depend on which
// thread runs it.
static void conv_gemm_runner(void *vctx, size_t r0, size_t r1) {
    (void)r0; (void)r1;
    conv_gemm_ctx *ctx = (conv_gemm_ctx *)vctx;
    /* One KC x NR panel (36 KB): on this thread's stack, so no shared workspace. */
    _Alignas(64) float bpack[KILN_GEMM_KC * KILN_GEMM_NR];
    for (size_t t; (t = atomic_fetch_add_explicit(&ctx->next, 1, memory_order_relaxed)) < ctx->tasks;)
        conv_gemm_task(ctx, t, bpack);
}

// One task per thread (batch 1 output-channel blocks when B is packed): chunk i runs task i,
// so each thread gets the same piece of every such layer (chunk 0 runs on the caller).
static void conv_gemm_static_runner(void *vctx, size_t t0, size_t t1) {
    _Alignas(64) float bpack[KILN_GEMM_KC * KILN_GEMM_NR];
    for (size_t t = t0; t < t1; t++) conv_gemm_task((const conv_gemm_ctx *)vctx, t, bpack);
}

// Grouped images (batches of small outputs, e.g. ResNet's 7x7 layers, 49 pixels = 48 + 1
// columns, so a third of each image's tiles is an edge): the GEMM's columns are all images'
// pixels one after another, so the B panels run across image boundaries (the packers cut
// segments there) and every column block of A is used for GROUP_COLS columns. Each task
// computes its columns into this runner's scratch (OC, GROUP_COLS), then copies them to
// their images applying the epilogue in kiln_conv2d's order (+bias, +residual, ReLU).
static void conv_gemm_grouped_runner(void *vctx, size_t r0, size_t r1) {
    (void)r1;
    conv_gemm_ctx *ctx = (conv_gemm_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int k = gemm_k(p), npix = p->oh * p->ow, oc = p->oc, total = p->n * npix;
    float *scratch = ctx->scratch + r0 * (size_t)oc * GROUP_COLS;
    float lo, hi; /* clamp kinds in the copy loop, the others over each run after it */
    const int clamp = kiln_act_bounds(&p->act, &lo, &hi);
    _Alignas(64) float bpack[KILN_GEMM_KC * KILN_GEMM_NR];
    for (size_t t; (t = atomic_fetch_add_explicit(&ctx->next, 1, memory_order_relaxed)) < ctx->tasks;) {
        const int n0 = (int)t * GROUP_COLS;
        const int cols = total - n0 < GROUP_COLS ? total - n0 : GROUP_COLS;
        kiln_gemm_im2col b = {p, ctx->x, n0, ctx->scale};
        kiln_gemm_with_packer(oc, cols, k, ctx->packed, conv_packer(ctx), &b, scratch, cols,
                              NULL, NULL, 0, NULL, bpack);
        for (int j = 0; j < cols;) { /* one image's run of columns at a time */
            const int image = (n0 + j) / npix, pix = (n0 + j) % npix;
            const int len = npix - pix < cols - j ? npix - pix : cols - j;
            const size_t out = (size_t)image * oc * npix + pix;
            for (int o = 0; o < oc; o++) {
                const float *src = scratch + (size_t)o * cols + j;
                float *dst = ctx->y + out + (size_t)o * npix;
                const float *res = ctx->residual ? ctx->residual + out + (size_t)o * npix : NULL;
                const float bv = ctx->bias ? ctx->bias[o] : 0.0f;
                for (int i = 0; i < len; i++) {
                    float v = src[i] + bv;
                    if (res) v += res[i];
                    v = v < lo ? lo : v; /* NaN passes */
                    dst[i] = v > hi ? hi : v;
                }
                if (!clamp) kiln_act_span(&p->act, (size_t)len, dst);
            }
            j += len;
        }
    }
}

// K split (batch 1 of layers with few pixels and long K, e.g. layer4's 3x3: 49 pixels, K =
// 4608): task (image, piece) computes the image's whole output over its share of K into its
// own scratch block (OC, OH*OW), so each thread packs only its share of the B panels; an
// output-channel split would have every piece pack all of them. Shares are equal to a
// multiple of 16 (A panels stay 64-byte aligned), not whole KC blocks: MobileNetV2's 960
// channels are 5 blocks, and a 2 + 3 block split left one thread idle for a fifth of the
// layer (measured at the join: 35-65 us per 7x7 projection at batch 1).
static int ksplit_start(int k, int piece, int pieces) {
    return piece >= pieces ? k : (int)((long)piece * k / pieces) / 16 * 16;
}

// Units [u0, u1) of the K split, unit u = (task u / A panels, A panel u % A panels) with task t
// = (image t / pieces, piece t % pieces): the piece's share of K for the panel's output
// channels, into the task's part. Claimed by kiln_parallel_for_balanced, so thread i starts
// on piece i and a thread done early computes the other piece's last panels; each part is
// the same sum whichever thread computes it.
static void conv_gemm_ksplit_units(void *vctx, size_t u0, size_t u1) {
    const conv_gemm_ctx *ctx = (const conv_gemm_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int k = gemm_k(p), npix = p->oh * p->ow;
    const size_t in_image = (size_t)p->c * p->h * p->w, out_image = (size_t)p->oc * npix;
    const size_t per = (size_t)ctx->unit_panels;
    _Alignas(64) float bpack[KILN_GEMM_KC * KILN_GEMM_NR];
    while (u0 < u1) {
        const size_t t = u0 / per, first = u0 % per, last = u1 - t * per < per ? u1 - t * per : per;
        const int image = (int)(t / (size_t)ctx->pieces), piece = (int)(t % (size_t)ctx->pieces);
        const int k0 = ksplit_start(k, piece, ctx->pieces), k1 = ksplit_start(k, piece + 1, ctx->pieces);
        const int m0 = (int)first * KILN_GEMM_MR, m1 = (int)last * KILN_GEMM_MR < p->oc ? (int)last * KILN_GEMM_MR : p->oc;
        float *part = ctx->scratch + t * out_image + (size_t)m0 * npix;
        const float *a = ctx->packed + (size_t)m0 * k; /* m0 is a multiple of MR */
        if (is_pointwise(p) && !ctx->scale) {
            kiln_gemm_range(m1 - m0, npix, k0, k1, k, a, ctx->x + image * in_image, npix, part, npix, NULL, NULL, 0,
                            NULL, bpack);
        } else {
            kiln_gemm_im2col b = {p, ctx->x + image * in_image, 0, ctx->scale ? ctx->scale + (size_t)image * p->c : NULL};
            kiln_gemm_with_packer_range(m1 - m0, npix, k0, k1, k, a, conv_packer(ctx), &b, part, npix, NULL, NULL, 0,
                                        NULL, bpack);
        }
        u0 = t * per + last;
    }
}

// Rows [r0, r1) of all images' (OC) output rows: y = sum of the pieces' parts (in piece
// order) + bias, + residual, ReLU (kiln_conv2d's epilogue order).
static void conv_gemm_ksplit_reduce(void *vctx, size_t r0, size_t r1) {
    const conv_gemm_ctx *ctx = (const conv_gemm_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int npix = p->oh * p->ow;
    const size_t out_image = (size_t)p->oc * npix;
    float lo, hi; /* clamp kinds in the loop, the others over each row after it */
    const int clamp = kiln_act_bounds(&p->act, &lo, &hi);
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
            v = v < lo ? lo : v; /* NaN passes */
            dst[i] = v > hi ? hi : v;
        }
        if (!clamp) kiln_act_span(&p->act, (size_t)npix, dst);
    }
}

#if KILN_ACT_AVX512
/* ------------------------------------------------------------------ one pixel */

/* Multiply-adds per chunk of a one-pixel product (below it stays on one thread: a thread
 * hand-off costs more than such a product takes). */
#define KILN_MATVEC_GRAIN 32768

// One-pixel 1x1 layers (EfficientNet's squeeze-excitation: 96->4 ... 1152->48 and back, on
// the pooled (N, C, 1, 1)): per image a product of the packed weights with the input
// column. The packed GEMM would copy that column into a B panel 48 floats per k apart,
// once per piece, and run 8-row column tiles on it (hot caches, one thread: 1152->48 11.5
// us, 48->1152 10.5 us); read in place, with four partial sums per panel, 2.7 and 3.6 us.
// Tasks t = image * panels + panel, rows [8 * panel, +8) of output channels.
static void conv_matvec_panels(void *vctx, size_t t0, size_t t1);

KILN_ACT_AVX512_FN static void matvec_panels_avx512(const conv_gemm_ctx *ctx, size_t t0, size_t t1) {
    const kiln_conv2d_params *p = ctx->p;
    const int k = p->c, panels = (p->oc + KILN_GEMM_MR - 1) / KILN_GEMM_MR;
    for (size_t t = t0; t < t1; t++) {
        const int image = (int)(t / (size_t)panels), panel = (int)(t % (size_t)panels);
        const float *a = ctx->packed + (size_t)panel * KILN_GEMM_MR * k, *x = ctx->x + (size_t)image * k;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        int kk = 0;
        for (; kk + 3 < k; kk += 4) { /* four chains hide the FMA latency */
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (size_t)kk * KILN_GEMM_MR), _mm256_set1_ps(x[kk]), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (size_t)(kk + 1) * KILN_GEMM_MR), _mm256_set1_ps(x[kk + 1]), s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (size_t)(kk + 2) * KILN_GEMM_MR), _mm256_set1_ps(x[kk + 2]), s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (size_t)(kk + 3) * KILN_GEMM_MR), _mm256_set1_ps(x[kk + 3]), s3);
        }
        for (; kk < k; kk++) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (size_t)kk * KILN_GEMM_MR), _mm256_set1_ps(x[kk]), s0);
        const int row = panel * KILN_GEMM_MR, rows = p->oc - row < KILN_GEMM_MR ? p->oc - row : KILN_GEMM_MR;
        const __mmask16 m = (__mmask16)((1u << rows) - 1);
        const size_t at = (size_t)image * p->oc + row;
        /* kiln_conv2d's epilogue order: + bias, + residual, activation. */
        __m512 v = _mm512_castps256_ps512(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
        if (ctx->bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, ctx->bias + row));
        if (ctx->residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, ctx->residual + at));
        if (p->act.kind != KILN_ACT_NONE) v = kiln_act_avx512(&p->act, v);
        _mm512_mask_storeu_ps(ctx->y + at, m, v);
    }
}

static void conv_matvec_panels(void *vctx, size_t t0, size_t t1) { matvec_panels_avx512((const conv_gemm_ctx *)vctx, t0, t1); }
#endif

// x: (N, C, H, W), scale: (N, C) or NULL (x's channels are read times it; pointwise only),
// packed: kiln_conv2d_gemm_pack(w (OC, C, KH, KW)), bias: (OC) or NULL,
// residual: (N, OC, OH, OW) or NULL, y: (N, OC, OH, OW).
static void conv_gemm_run(const kiln_conv2d_params *p, const float *x, const float *scale, const float *packed,
                          const float *bias, const float *residual, float *y) {
    const int npix = p->oh * p->ow, threads = kiln_get_num_threads();
#if KILN_ACT_AVX512
    if (npix == 1 && is_pointwise(p) && !scale && kiln_gemm_uses_avx512()) {
        conv_gemm_ctx ctx = {.p = p, .x = x, .packed = packed, .bias = bias, .residual = residual, .y = y};
        const size_t panels = (size_t)(p->oc + KILN_GEMM_MR - 1) / KILN_GEMM_MR, work = (size_t)KILN_GEMM_MR * p->c;
        kiln_parallel_for((size_t)p->n * panels, work >= KILN_MATVEC_GRAIN ? 1 : KILN_MATVEC_GRAIN / (work ? work : 1),
                          conv_matvec_panels, &ctx);
        return;
    }
#endif
    const int n_panels = (npix + KILN_GEMM_NR - 1) / KILN_GEMM_NR;
    const int m_panels = (p->oc + KILN_GEMM_MR - 1) / KILN_GEMM_MR;
    /* About four tasks per thread (whole images when the batch gives that many), so dynamic
     * claiming can even out threads that run at different speeds. */
    int pieces = threads > 1 && p->n < 4 * threads ? (4 * threads + p->n - 1) / p->n : 1;
    /* Split pixels while there are at least two B panels per piece; otherwise output channels
     * when they have more panels. An M split packs the same B panels once per piece, so it
     * gets half as many pieces (about two per thread), and a single image exactly one per
     * thread: the 14x14 and 7x7 1x1 layers of MobileNetV2 and EfficientNet at batch 1 (K up
     * to 1152, 2-5 B panels) did 1.07-1.24x the one-piece work as four pieces and 1.03-1.08x
     * as two (the squeeze-excitation 1x1 at one pixel: 2.7x and 1.6x). */
    const int split_m = pieces > 1 && n_panels < 2 * pieces && m_panels > n_panels;
    if (split_m) pieces = p->n == 1 ? threads : (pieces + 1) / 2;
    conv_gemm_ctx ctx = {p, x, packed, bias, residual, y, pieces, split_m,
                         split_m ? m_panels : n_panels, (size_t)p->n * pieces, 0, NULL, scale};
    /* Group images when one has fewer than four B panels with a partial last one, and the
     * batch gives every thread at least two column blocks. */
    const size_t blocks = ((size_t)p->n * npix + GROUP_COLS - 1) / GROUP_COLS;
    if (p->n > 1 && npix < GROUP_COLS && npix % KILN_GEMM_NR != 0 && blocks >= 2 * (size_t)threads) {
        const size_t runners = (size_t)threads;
        ctx.scratch = malloc(sizeof(float) * runners * (size_t)p->oc * GROUP_COLS);
        if (ctx.scratch) { /* else: fall back to whole images */
            ctx.tasks = blocks;
            kiln_parallel_for(runners, 1, conv_gemm_grouped_runner, &ctx);
            free(ctx.scratch);
            return;
        }
    }
    /* Long K with few pixels: split K instead of output channels when every piece gets at
     * least two K blocks; one piece per thread, since every piece packs its own B panels and
     * adds a part for the reduction to sum (two threads, batch 1, best wall of 40 in a C
     * harness, load 6-11: 3x3 stride 2 128->256 to 14x14, 6 K blocks, 0.61 ms against 0.72-0.78
     * for the output-channel split; 256->512 to 7x7, 12 K blocks, 0.57-0.59 against 0.61-0.77
     * in four pieces; 512->512 at 7x7, 24 K blocks, 1.18-1.22 against 1.23-1.26). */
    const int kpieces = threads, kblocks = (gemm_k(p) + KILN_GEMM_KC - 1) / KILN_GEMM_KC;
    /* Batch 1 also splits K when it is at least twice the output channels over more than one
     * B panel of pixels: the 14x14 projections after a depthwise layer (MobileNetV2's 384->64
     * and 576->96, EfficientNet's 480->80). The depthwise layer gave each thread half the
     * channels, so each thread reads only the channels it computed, where an output-channel
     * split has every thread read all of them, half from the other core; the parts summed are
     * small (K >= 2 OC). Two libraries alternating, batch 1: MobileNetV2 0.92-0.94x with the
     * vCPUs far apart (core round trip ~320 ns), 0.98-1.00x near; EfficientNet-B0 0.96-0.97x
     * and 0.99-1.02x; with B read in place rather than packed, still 1.02-1.04x faster for
     * MobileNetV2 than the output-channel split. Not at 7x7 (49 pixels): there 320->1280 took 0.32 ms as a K split
     * against 0.24. */
    const int short_k_split = p->n == 1 && kblocks >= 2 && gemm_k(p) >= 2 * p->oc && npix > KILN_GEMM_NR + 1;
    if (split_m && threads > 1 && (kblocks >= 2 * kpieces || short_k_split)) {
        ctx.scratch = malloc(sizeof(float) * (size_t)p->n * kpieces * p->oc * npix);
        if (ctx.scratch) { /* else: fall back to the output-channel split */
            ctx.pieces = kpieces;
            ctx.tasks = (size_t)p->n * kpieces;
            /* B read in place: a quarter of a piece's panels per claim. Packed B (im2col): the
             * whole piece, since every claim packs its share of B again (ResNet-18's 7x7 3x3
             * layers took 1.2x as long in quarters). The reduce in rows of 16 or more. */
            const size_t units = ctx.tasks * (size_t)m_panels, rows = (size_t)p->n * p->oc;
            const size_t claim = !is_pointwise(p) || ctx.scale ? (size_t)m_panels : m_panels >= 8 ? (size_t)m_panels / 4 : 2;
            kiln_parallel_for_balanced(units, (size_t)m_panels, claim, conv_gemm_ksplit_units, &ctx);
            kiln_parallel_for_balanced(rows, 16, rows / threads >= 64 ? rows / threads / 4 : 16,
                                       conv_gemm_ksplit_reduce, &ctx);
            free(ctx.scratch);
            return;
        }
    }
    /* Pixels of fewer images than four per thread: each thread a contiguous half (third, ...)
     * of all B panels, claimed a sixteenth of its share at a time, the faster thread taking
     * the slower one's last panels (kiln_parallel_for_balanced). Pieces claimed from one
     * counter left a thread waiting up to a piece (an eighth of the layer) at the join. */
    if (!split_m && pieces > 1) {
        const size_t units = (size_t)p->n * n_panels, share = units / (size_t)threads;
        kiln_parallel_for_balanced(units, 2, share >= 16 ? share / 16 : 1, conv_gemm_panels, &ctx);
        return;
    }
    /* One image's output channels, B read in place: each thread its share of the A panels, a
     * quarter of it per claim (each claim reads all of B again, from L2), the faster thread
     * taking the slower one's last panels. A packed B stays one piece per thread: every
     * claim would pack all of it again. */
    if (split_m && p->n == 1 && is_pointwise(p) && !ctx.scale) {
        const size_t share = (size_t)m_panels / (size_t)threads;
        kiln_parallel_for_balanced((size_t)m_panels, 1, share >= 4 ? share / 4 : 1, conv_gemm_panels, &ctx);
        return;
    }
    const size_t runners = ctx.tasks < (size_t)threads ? ctx.tasks : (size_t)threads;
    kiln_parallel_for(runners, 1, ctx.tasks == runners ? conv_gemm_static_runner : conv_gemm_runner, &ctx);
}

void kiln_conv2d_gemm(const kiln_conv2d_params *p, const float *x, const float *packed,
                      const float *bias, const float *residual, float *y, float *workspace) {
    (void)workspace;
    conv_gemm_run(p, x, NULL, packed, bias, residual, y);
}

int kiln_conv2d_gemm_scaled_applicable(const kiln_conv2d_params *p) { return p->groups == 1 && is_pointwise(p); }

// x: (N, C, H, W), scale: (N, C) (e.g. a squeeze-excitation gate (N, C, 1, 1)), the rest as
// kiln_conv2d_gemm: y = conv(x * scale) with p pointwise (kiln_conv2d_gemm_scaled_applicable).
void kiln_conv2d_gemm_scaled(const kiln_conv2d_params *p, const float *x, const float *scale, const float *packed,
                             const float *bias, const float *residual, float *y) {
    conv_gemm_run(p, x, scale, packed, bias, residual, y);
}
