/*
 * kiln_winograd.c — the Winograd convolution driver, shared by F(2x2,3x3)
 * (kiln_winograd_f2x3.c) and F(4x4,3x3) (kiln_winograd_f4x3.c); Lavin & Gray 2015.
 *
 *   u = G g G^T (per (oc, c), at compile time), v = B^T d B (per (c, tile)),
 *   m_f = u_f v_f for each of the alpha^2 frequencies f (GEMMs over C), y = A^T m A.
 *
 * Layout and schedule: the tiles of all images are numbered together (image, tile row,
 * tile column) and cut into blocks. A block runs input transform -> alpha^2 GEMMs ->
 * output transform before the next one starts, so v (alpha^2, C, block) and
 * m (alpha^2, OC, block) stay in cache; within v_f and m_f a block's tiles are contiguous,
 * so each GEMM's B and C operands are plain row-major matrices. Blocks are spread over
 * threads, each thread with its own workspace slot and a single-threaded GEMM. When all
 * tiles fit one block of moderate size (small batches), one block holds them all and each
 * phase is split across threads instead (split-phase): channels, frequencies, output
 * channels, so that the weights, which then dominate the traffic, are read once.
 * Narrow images (at most 7 tiles per row) put several whole tile rows in one vector of
 * the transforms (kiln_winograd_variant's input_rows/output_rows, where a variant has them).
 */
#include "kiln_kernels.h" /* kiln_thread_switches */
#include "kiln_winograd_simd.h"
#include "kiln_gemm.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>


/* Split-phase mode (below) while one block of all tiles has v + m within this many bytes:
 * each thread then reads only its share of the weights (frequencies), where blocks mode has
 * every thread read all of them. Measured on ResNet-18's layers at batches 1-8: split-phase
 * is 15-27% faster up to 6.4 MB of v + m (e.g. 56x56 at batch 1, 3.6 MB: 0.22 ms against
 * blocks mode's 0.30 ms) and slower from 7.2 MB. */
#define KILN_WINO_SPLIT_BYTES ((size_t)13 << 19)
/* Workspace slots: at most this many threads run blocks at once (each needs its own v/m).
 * Generated libraries are built with -DKILN_WINO_SLOTS=<the compiling machine's cores, at
 * most 4> so that their workspace holds no slot that no thread can use. */
#ifndef KILN_WINO_SLOTS
#define KILN_WINO_SLOTS 4
#endif
/* Target bytes of one slot's v + m (1-2x the L2): measured best of 0.5-8 MiB on ResNet-18 layers. */
#ifndef KILN_WINO_BLOCK_BYTES
#define KILN_WINO_BLOCK_BYTES (2u << 20)
#endif
/* Upper bound on tiles per block (few-channel layers): beyond it GEMMs gain nothing. */
#define KILN_WINO_MAX_BLOCK 512

/* ------------------------------------------------------------------ run-time dispatch */

/* A switch of the calling thread (see kiln_thread_set_switch), not of the process. */
void kiln_winograd_force_portable(int force) { kiln_thread_set_switch(KILN_SWITCH_PORTABLE_WINOGRAD, force != 0); }

#if KILN_WINO_AVX512
static int check_avx512(void) { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"); }
#endif

int kiln_winograd_use_avx512(void) {
#if KILN_WINO_AVX512
    static _Atomic int has = -1;
    return kiln_cpu_check_cached(&has, check_avx512) && !(kiln_thread_switches() & KILN_SWITCH_PORTABLE_WINOGRAD);
#else
    return 0;
#endif
}

/* ------------------------------------------------------------------ the GEMM backend */

/* Why one function: the per-frequency GEMM is the only place that names a GEMM library;
 * switching backends is this block plus the packing below. Kiln's own GEMM takes the
 * weights pre-packed at compile time and is single-threaded, so blocks can run on all
 * threads at once (OpenBLAS would spawn its own threads inside each call). */

#if KILN_WINO_KILN_GEMM
static size_t freq_size(int oc, int c) { return kiln_gemm_packed_a_size(oc, c); }
static size_t gemm_ws(int oc, int n, int c) { return kiln_gemm_workspace_size(oc, n, c); }

#if KILN_WINO_AVX512
/* m (OC, n) = u . v for n <= 16, on kiln_gemm's packed A (panels of MR rows, k-major; see
 * kiln_gemm.h): one 16-lane vector of columns, MR accumulators. Why: kiln_gemm computes
 * NR = 32 columns per panel, so for the few tiles of a deep layer at batch 1 (4 or 16)
 * most of its work would be padding. */
KILN_AVX512_FN static void gemm_narrow(int oc, int n, int c, const float *a, const float *v, size_t ldv, float *m) {
    const __mmask16 nm = (__mmask16)((1u << n) - 1);
    for (int p0 = 0; p0 < oc; p0 += KILN_GEMM_MR) {
        const float *ap = a + (size_t)p0 * c;
        __m512 acc[KILN_GEMM_MR];
        for (int i = 0; i < KILN_GEMM_MR; i++) acc[i] = _mm512_setzero_ps();
        for (int k = 0; k < c; k++) {
            const __m512 b = _mm512_maskz_loadu_ps(nm, v + (size_t)k * ldv);
            const float *ak = ap + (size_t)k * KILN_GEMM_MR;
            for (int i = 0; i < KILN_GEMM_MR; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(ak[i]), b, acc[i]);
        }
        const int rows = oc - p0 < KILN_GEMM_MR ? oc - p0 : KILN_GEMM_MR;
        /* Constant indices (full unroll, a test per row): with acc[i] for i < rows, gcc 12 kept
         * acc in memory and stored all MR accumulators on every k step, 2x the time. */
#pragma GCC unroll 8
        for (int i = 0; i < KILN_GEMM_MR; i++)
            if (i < rows) _mm512_mask_storeu_ps(m + (size_t)(p0 + i) * ldv, nm, acc[i]);
    }
}
#endif

// m (OC, n) = u (OC, C) . v (C, n); u packed by kiln_gemm_pack_a.
static void freq_gemm(int oc, int n, int c, const float *u, const float *v, size_t ldv, float *m,
                      float *ws) {
#if KILN_WINO_AVX512
    if (n <= 16 && kiln_winograd_use_avx512()) {
        gemm_narrow(oc, n, c, u, v, ldv, m);
        return;
    }
#endif
    kiln_gemm(oc, n, c, u, v, (int)ldv, m, (int)ldv, NULL, NULL, 0, NULL, ws);
}
static void freq_pack(int oc, int c, const float *u, float *dst) { kiln_gemm_pack_a(oc, c, u, c, dst); }
#else
#include <cblas.h>
static size_t freq_size(int oc, int c) { return (size_t)oc * c; }
static size_t gemm_ws(int oc, int n, int c) { (void)oc, (void)n, (void)c; return 0; }
static void freq_gemm(int oc, int n, int c, const float *u, const float *v, size_t ldv, float *m,
                      float *ws) {
    (void)ws;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, oc, n, c, 1.0f, u, c, v, (int)ldv,
                0.0f, m, (int)ldv);
}
static void freq_pack(int oc, int c, const float *u, float *dst) { memcpy(dst, u, sizeof(float) * oc * c); }
#endif

size_t kiln_winograd_packed_size(int alpha, int oc, int c) {
    return (size_t)alpha * alpha * freq_size(oc, c);
}

void kiln_winograd_pack_freqs(int alpha, int oc, int c, const float *u, float *packed) {
    for (int f = 0; f < alpha * alpha; f++)
        freq_pack(oc, c, u + (size_t)f * oc * c, packed + (size_t)f * freq_size(oc, c));
}

#if KILN_WINO_KILN_GEMM
typedef struct {
    int oc, c, a2;
    const float *gemm;
    float *packed;
    kiln_winograd_weight_fn transform;
} from_gemm_ctx;

/* Panels [p0, p1): both layouts are kiln_gemm's A panels (MR rows, k-major), the GEMM's with
 * K = 9C (k = 9c + tap), each frequency's with K = C. Padding rows are written +0 (a
 * transform with negative entries would turn their zeros into -0, unlike the packing). */
static void from_gemm_panels(void *vctx, size_t p0, size_t p1) {
    const from_gemm_ctx *x = (const from_gemm_ctx *)vctx;
    const size_t fsize = kiln_gemm_packed_a_size(x->oc, x->c), k9 = (size_t)9 * x->c;
    for (size_t pn = p0; pn < p1; pn++)
        for (int ch = 0; ch < x->c; ch++)
            for (int i = 0; i < KILN_GEMM_MR; i++) {
                float f[36] = {0};
                if (pn * KILN_GEMM_MR + (size_t)i < (size_t)x->oc)
                    x->transform(x->gemm + pn * KILN_GEMM_MR * k9 + (size_t)ch * 9 * KILN_GEMM_MR + i, KILN_GEMM_MR, f);
                float *dst = x->packed + pn * KILN_GEMM_MR * (size_t)x->c + (size_t)ch * KILN_GEMM_MR + i;
                for (int k = 0; k < x->a2; k++) dst[(size_t)k * fsize] = f[k];
            }
}
#endif

void kiln_winograd_pack_from_gemm(int alpha, int oc, int c, const float *gemm_packed, float *packed,
                                  kiln_winograd_weight_fn transform, kiln_winograd_pack_fn pack) {
#if KILN_WINO_KILN_GEMM
    /* One pass, no temporary copies, panels spread over the threads: the library builds these
     * weights on the first large batch (kiln_lazy_weights.c), inside a call. */
    (void)pack;
    from_gemm_ctx x = {oc, c, alpha * alpha, gemm_packed, packed, transform};
    kiln_parallel_for((size_t)(oc + KILN_GEMM_MR - 1) / KILN_GEMM_MR, 1, from_gemm_panels, &x);
#else
    (void)alpha, (void)transform;
    float *w = (float *)malloc(sizeof(float) * (size_t)oc * c * 9);
    if (!w) return;
    kiln_gemm_unpack_a(oc, c * 9, gemm_packed, w, c * 9);
    pack(oc, c, w, packed);
    free(w);
#endif
}

/* ------------------------------------------------------------------ the driver */

static size_t round16(size_t v) { return (v + 15) & ~(size_t)15; }

/* Block capacities are a multiple of the GEMM's column panel (kiln_gemm packs B in panels
 * of KILN_GEMM_NR columns, so a ragged block wastes part of a panel's work)... */
#if KILN_WINO_KILN_GEMM
#define KILN_WINO_ROUND KILN_GEMM_NR
#else
#define KILN_WINO_ROUND 16
#endif
/* ...but the tiles are shared out in multiples of 16 only (the GEMM's narrowest edge tile):
 * rounding shares to a whole panel split batch 1's 49 tiles of a 28x28 layer 48 + 1 and
 * left one core idle; 32 + 17 runs the layer in 0.26 ms instead of 0.39. */
#define KILN_WINO_SHARE 16
static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

/* Floats between frequency planes of v or m: rows * ldv plus one cache line. Why the
 * line: rows * ldv * 4 bytes is often a multiple of 4 KiB, and then the transforms' 36
 * (or 16) load/store streams, one per plane, would all fall into the same L1 set. */
static size_t plane_stride(int rows, size_t ldv) { return (size_t)rows * ldv + 16; }

/* Tiles per slot: v + m within KILN_WINO_BLOCK_BYTES, a multiple of KILN_WINO_ROUND. */
static size_t block_cap(int alpha, const kiln_conv2d_params *p) {
    size_t per_tile = (size_t)alpha * alpha * (size_t)(p->c + p->oc) * sizeof(float);
    size_t cap = KILN_WINO_BLOCK_BYTES / per_tile / KILN_WINO_ROUND * KILN_WINO_ROUND;
    return cap < KILN_WINO_ROUND ? KILN_WINO_ROUND : cap > KILN_WINO_MAX_BLOCK ? KILN_WINO_MAX_BLOCK : cap;
}

static size_t slot_floats(int alpha, const kiln_conv2d_params *p, size_t cap) {
    return round16((size_t)alpha * alpha * (plane_stride(p->c, cap) + plane_stride(p->oc, cap)) +
                   gemm_ws(p->oc, (int)cap, p->c));
}

size_t kiln_winograd_workspace_size_for(int alpha, const kiln_conv2d_params *p, int slots) {
    const size_t blocks = (size_t)slots * slot_floats(alpha, p, block_cap(alpha, p));
    /* Room for batch 1's split-phase schedule too, when it qualifies (kiln_winograd_run):
     * one image's tiles can need a little more than the blocks (ResNet's 56x56 layers at
     * 2 slots: 3.9 vs 3.6 MB), and batch 1 is where that schedule pays most. */
    const int m = alpha - 2;
    const size_t tiles = (size_t)((p->oh + m - 1) / m) * (size_t)((p->ow + m - 1) / m);
    const size_t ldv = round_up(tiles, KILN_WINO_SHARE);
    const size_t vm = (size_t)alpha * alpha * (plane_stride(p->c, ldv) + plane_stride(p->oc, ldv));
    const size_t split = vm + (size_t)slots * round16(gemm_ws(p->oc, (int)ldv, p->c));
    return vm * sizeof(float) <= KILN_WINO_SPLIT_BYTES && split > blocks ? split : blocks;
}

size_t kiln_winograd_workspace_size(int alpha, const kiln_conv2d_params *p) {
    return kiln_winograd_workspace_size_for(alpha, p, KILN_WINO_SLOTS);
}

typedef struct {
    const kiln_winograd_variant *var;
    const kiln_winograd_gemm *gemm; /* NULL: freq_gemm on kiln_winograd_pack_freqs's weights */
    const kiln_conv2d_params *p;
    const float *x, *u, *bias, *residual;
    float *y, *ws;
    size_t slot, ldv;       /* floats per slot; tiles per block (row stride of v_f, m_f) */
    size_t fsv, fsm;        /* plane strides of v and m */
    size_t total, per_img;  /* tiles in all images, per image */
    int tw;                 /* tiles per row */
    size_t g0, g1;          /* the single block (split-phase mode) */
    size_t nb, runners;     /* blocks; runners (threads), each with workspace slot = its index */
    float *split_gemm;      /* split-phase mode: runner r's GEMM scratch at split_gemm + r * split_gemm_stride */
    size_t split_gemm_stride;
} wino_ctx;

static size_t ctx_freq_floats(const wino_ctx *ctx) {
    return ctx->gemm ? ctx->gemm->freq_floats(ctx->p->oc, ctx->p->c) : freq_size(ctx->p->oc, ctx->p->c);
}
static void ctx_gemm(const wino_ctx *ctx, int n, const float *u, const float *v, float *m, float *ws) {
    if (ctx->gemm) ctx->gemm->run(ctx->p->oc, n, ctx->p->c, u, v, ctx->ldv, m);
    else freq_gemm(ctx->p->oc, n, ctx->p->c, u, v, ctx->ldv, m, ws);
}

static float *slot_v(wino_ctx *ctx, int s) { return ctx->ws + (size_t)s * ctx->slot; }
static float *slot_m(wino_ctx *ctx, int s) {
    return slot_v(ctx, s) + (size_t)ctx->var->alpha * ctx->var->alpha * ctx->fsv;
}
static float *slot_gemm(wino_ctx *ctx, int s) {
    return slot_m(ctx, s) + (size_t)ctx->var->alpha * ctx->var->alpha * ctx->fsm;
}

/* Tiles [g0, g1) as runs along one tile row: calls input (out = 0) or output (out = 1) for
 * channels [k0, k1) on each run. */
static void transform_runs(wino_ctx *ctx, size_t g0, size_t g1, int out, int k0, int k1, float *v, float *m) {
    const kiln_conv2d_params *p = ctx->p;
    const size_t in_img = (size_t)p->c * p->h * p->w, out_img = (size_t)p->oc * p->oh * p->ow;
    for (size_t g = g0; g < g1;) {
        const size_t n = g / ctx->per_img, r = g % ctx->per_img;
        const int ty = (int)(r / (size_t)ctx->tw), tx = (int)(r % (size_t)ctx->tw);
        const size_t col = g - g0;
        if (tx == 0 && ctx->tw >= 2 && ctx->tw <= 7 && ctx->var->input_rows) {
            /* Whole tile rows of a narrow image share a vector (kiln_winograd_variant). */
            const size_t th = ctx->per_img / (size_t)ctx->tw, fit = (g1 - g) / (size_t)ctx->tw;
            size_t rows = (size_t)(16 / ctx->tw);
            if (rows > th - (size_t)ty) rows = th - (size_t)ty;
            if (rows > fit) rows = fit;
            if (rows >= 2) {
                if (!out) {
                    ctx->var->input_rows(p, ctx->x + n * in_img, ty, (int)rows, k0, k1, v + col, ctx->ldv, ctx->fsv);
                } else {
                    ctx->var->output_rows(p, m + col, ctx->ldv, ctx->fsm, ty, (int)rows, k0, k1, ctx->bias,
                                          ctx->residual ? ctx->residual + n * out_img : NULL, ctx->y + n * out_img);
                }
                g += rows * (size_t)ctx->tw;
                continue;
            }
        }
        const int cnt = (int)((size_t)(ctx->tw - tx) < g1 - g ? (size_t)(ctx->tw - tx) : g1 - g);
        if (!out) {
            ctx->var->input(p, ctx->x + n * in_img, ty, tx, cnt, k0, k1, v + col, ctx->ldv, ctx->fsv);
        } else {
            ctx->var->output(p, m + col, ctx->ldv, ctx->fsm, ty, tx, cnt, k0, k1, ctx->bias,
                             ctx->residual ? ctx->residual + n * out_img : NULL, ctx->y + n * out_img);
        }
        g += (size_t)cnt;
    }
}

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }
/* Start of part i of [0, n) cut into k nearly equal parts. */
static size_t part_start(size_t n, size_t k, size_t i) { return (n / k) * i + (n % k) * i / k; }

/* Runners [r0, r1): runner r takes its share of the blocks and workspace slot r, and runs
 * each block through all three phases. Why runners rather than kiln_parallel_for over
 * the blocks: its min_chunk can only bound the chunk count from above, and the count
 * must be exact: each chunk needs a slot of its own, and fewer chunks than threads leaves
 * a core idle (ceil(nb / 2) as min_chunk ran an odd number of blocks on one thread). */
static void blocks_job(void *vctx, size_t r0, size_t r1) {
    wino_ctx *ctx = (wino_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int a2 = ctx->var->alpha * ctx->var->alpha;
    const size_t fu = ctx_freq_floats(ctx);
    for (size_t r = r0; r < r1; r++) {
        float *v = slot_v(ctx, (int)r), *m = slot_m(ctx, (int)r), *gws = slot_gemm(ctx, (int)r);
        for (size_t b = part_start(ctx->nb, ctx->runners, r); b < part_start(ctx->nb, ctx->runners, r + 1); b++) {
            const size_t g0 = b * ctx->ldv, g1 = g0 + ctx->ldv < ctx->total ? g0 + ctx->ldv : ctx->total;
            transform_runs(ctx, g0, g1, 0, 0, p->c, v, m);
            for (int f = 0; f < a2; f++)
                ctx_gemm(ctx, (int)(g1 - g0), ctx->u + f * fu, v + (size_t)f * ctx->fsv, m + (size_t)f * ctx->fsm, gws);
            transform_runs(ctx, g0, g1, 1, 0, p->oc, v, m);
        }
    }
}

// Split-phase mode: channel ranges, frequency ranges, output-channel ranges of one block.
static void input_job(void *vctx, size_t c0, size_t c1) {
    wino_ctx *ctx = (wino_ctx *)vctx;
    transform_runs(ctx, ctx->g0, ctx->g1, 0, (int)c0, (int)c1, slot_v(ctx, 0), NULL);
}
static void gemm_job(void *vctx, size_t r0, size_t r1) { /* runners, as blocks_job */
    wino_ctx *ctx = (wino_ctx *)vctx;
    const size_t fu = ctx_freq_floats(ctx), a2 = (size_t)ctx->var->alpha * ctx->var->alpha;
    for (size_t r = r0; r < r1; r++)
        for (size_t f = part_start(a2, ctx->runners, r); f < part_start(a2, ctx->runners, r + 1); f++)
            ctx_gemm(ctx, (int)(ctx->g1 - ctx->g0), ctx->u + f * fu, slot_v(ctx, 0) + f * ctx->fsv,
                     slot_m(ctx, 0) + f * ctx->fsm, ctx->split_gemm + r * ctx->split_gemm_stride);
}
static void output_job(void *vctx, size_t o0, size_t o1) {
    wino_ctx *ctx = (wino_ctx *)vctx;
    transform_runs(ctx, ctx->g0, ctx->g1, 1, (int)o0, (int)o1, NULL, slot_m(ctx, 0));
}

// x: (N, C, H, W), u: from the variant's pack, y: (N, OC, OH, OW).
void kiln_winograd_run(const kiln_winograd_variant *portable, const kiln_winograd_variant *avx512,
                       const kiln_conv2d_params *p, const float *x, const float *u,
                       const float *bias, const float *residual, float *y, float *workspace) {
    kiln_winograd_run_with(portable, avx512, NULL, p, x, u, bias, residual, y, workspace);
}

void kiln_winograd_run_with(const kiln_winograd_variant *portable, const kiln_winograd_variant *avx512,
                            const kiln_winograd_gemm *gemm, const kiln_conv2d_params *p, const float *x,
                            const float *u, const float *bias, const float *residual, float *y, float *workspace) {
    const kiln_winograd_variant *var = avx512 && kiln_winograd_use_avx512() ? avx512 : portable;
    const int alpha = var->alpha;
    const size_t cap = block_cap(alpha, p);
    float *owned = NULL, *ws = workspace;
    if (!ws) owned = ws = (float *)malloc(sizeof(float) * kiln_winograd_workspace_size(alpha, p));
    const int th = (p->oh + var->m - 1) / var->m, tw = (p->ow + var->m - 1) / var->m;
    wino_ctx ctx = {var, gemm, p, x, u, bias, residual, y, ws, slot_floats(alpha, p, cap), 0, 0, 0,
                    (size_t)p->n * th * tw, (size_t)th * tw, tw, 0, 0, 0, 1, NULL, 0};
    size_t k = (size_t)kiln_get_num_threads();
    if (k > KILN_WINO_SLOTS) k = KILN_WINO_SLOTS;
    /* Split-phase layout: v and m for all tiles, then one GEMM scratch per runner; it must
     * fit the workspace, which is sized for KILN_WINO_SLOTS blocks of cap tiles. One thread
     * takes it when the tiles overflow one block by less than a share: blocks of cap tiles
     * would cut batch 1's 49 tiles of a 28x28 layer (or of a 14x14 one in F(2,3)) into 48 + 1,
     * and the block of one tile reads all the weights again (one thread, CPU time, 128
     * channels: 1.22-1.33 ms in two blocks, 0.71-0.77 ms in one). Not for more tiles: at 56x56
     * (196 tiles, v + m 3.8 MB) one block made ResNet-18's four such layers 15% slower. */
    const size_t a2 = (size_t)alpha * alpha, split_ldv = round_up(ctx.total, KILN_WINO_SHARE);
    const size_t split_vm = a2 * (plane_stride(p->c, split_ldv) + plane_stride(p->oc, split_ldv));
    const size_t gemm_stride = round16(gemm_ws(p->oc, (int)split_ldv, p->c));
    const int split = (k > 1 || ctx.total <= cap + KILN_WINO_SHARE) && split_vm * sizeof(float) <= KILN_WINO_SPLIT_BYTES &&
                      split_vm + k * gemm_stride <= kiln_winograd_workspace_size(alpha, p);
    if (split) {
        ctx.ldv = split_ldv;
        ctx.g1 = ctx.total;
        ctx.fsv = plane_stride(p->c, ctx.ldv), ctx.fsm = plane_stride(p->oc, ctx.ldv);
        ctx.runners = k;
        ctx.split_gemm = ws + split_vm, ctx.split_gemm_stride = gemm_stride;
        /* The transforms: each thread its share of the channels, a quarter of it per claim,
         * a thread done early taking another's last channels (kiln_parallel_for_balanced). */
        kiln_parallel_for_balanced((size_t)p->c, (size_t)p->c / k, ceil_div((size_t)p->c, 4 * k), input_job, &ctx);
        kiln_parallel_for(k, 1, gemm_job, &ctx);
        kiln_parallel_for_balanced((size_t)p->oc, (size_t)p->oc / k, ceil_div((size_t)p->oc, 4 * k), output_job, &ctx);
    } else if (k > 1 && ctx.total >= 16 * k) {
        /* Blocks: a multiple of the thread count, as equal as possible, each <= cap tiles. */
        size_t nb = ceil_div(ceil_div(ctx.total, cap), k) * k;
        ctx.ldv = round_up(ceil_div(ctx.total, nb), KILN_WINO_SHARE);
        ctx.nb = ceil_div(ctx.total, ctx.ldv), ctx.runners = k;
        ctx.fsv = plane_stride(p->c, ctx.ldv), ctx.fsm = plane_stride(p->oc, ctx.ldv);
        kiln_parallel_for(k, 1, blocks_job, &ctx);
    } else {
        ctx.ldv = cap;
        ctx.nb = ceil_div(ctx.total, cap);
        ctx.fsv = plane_stride(p->c, ctx.ldv), ctx.fsm = plane_stride(p->oc, ctx.ldv);
        blocks_job(&ctx, 0, 1);
    }
    free(owned);
}
