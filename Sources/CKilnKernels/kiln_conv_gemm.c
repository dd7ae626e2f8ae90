/*
 * kiln_conv_gemm.c — convolution on Kiln's packed GEMM (kiln_gemm.h).
 *
 * Per image: y (OC, OH*OW) = w (OC, C*KH*KW) . col (C*KH*KW, OH*OW). The weights are packed
 * once (at aotCompile time) into the GEMM's A panels. im2col is fused into the packing of
 * the B panels: each KC x NR panel is gathered straight from the input, so the column
 * matrix never exists in memory; 1x1 stride-1 unpadded convolutions read the input as B.
 * The bias/residual/ReLU epilogue runs inside the GEMM on the last K block, while the tile
 * is still in registers.
 *
 * Threading: the work is cut into tasks that threads claim dynamically: whole images when
 * the batch gives four per thread, else (image, column block) while there are at least two
 * B panels per block, else (image, output-channel block): at batch 1 the 7x7 layers have
 * 49 pixels (two B panels) but 512 output channels, so they split M.
 */
#include "kiln_conv_variants.h"
#include "kiln_gemm.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* At most this many (oy, ox-run) segments cover one NR-column panel: NR pixels can span
 * at most NR output rows. */
#define MAX_SEGMENTS (KILN_GEMM_NR + 1)

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
           p->pad_h == 0 && p->pad_w == 0;
}

/* ------------------------------------------------------------------ fused im2col packing */

typedef struct {
    const kiln_conv2d_params *p;
    const float *x; /* one image: (C, H, W) */
    int n_offset;   /* the GEMM's column 0 is this pixel of the image */
} im2col_b;

// dst (kc, NR) = col rows [k0, k0+kc), columns (pixels) [n0, n0+nc), zero past nc.
// Row r = (c, ky, kx); column j = (oy, ox); value x[c, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw]
// or 0 outside the input. The panel's pixels are first cut into runs within one output row,
// so each (row, run) is one bounds computation and a contiguous copy when stride is 1.
static void pack_b_im2col(const void *vctx, int k0, int kc, int n0, int nc, float *dst) {
    const im2col_b *ctx = (const im2col_b *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int ow = p->ow, h = p->h, w = p->w, sw = p->stride_w;
    int seg_oy[MAX_SEGMENTS], seg_ox[MAX_SEGMENTS], seg_j[MAX_SEGMENTS], seg_len[MAX_SEGMENTS];
    int segs = 0;
    n0 += ctx->n_offset;
    for (int j = 0; j < nc;) {
        const int pix = n0 + j, oy = pix / ow, ox = pix % ow;
        const int len = ow - ox < nc - j ? ow - ox : nc - j;
        seg_oy[segs] = oy; seg_ox[segs] = ox; seg_j[segs] = j; seg_len[segs] = len;
        segs++;
        j += len;
    }
    const int khw = p->kh * p->kw;
    int c = k0 / khw, ky = (k0 % khw) / p->kw, kx = k0 % p->kw;
    for (int kk = 0; kk < kc; kk++, dst += KILN_GEMM_NR) {
        const float *xc = ctx->x + (size_t)c * h * w;
        const int offx = kx * p->dil_w - p->pad_w, offy = ky * p->dil_h - p->pad_h;
        for (int s = 0; s < segs; s++) {
            float *d = dst + seg_j[s];
            const int iy = seg_oy[s] * p->stride_h + offy, len = seg_len[s], ox0 = seg_ox[s];
            if (iy < 0 || iy >= h) {
                memset(d, 0, sizeof(float) * len);
                continue;
            }
            /* Valid t in [0, len): 0 <= (ox0 + t)*sw + offx < w. */
            const int start = ox0 * sw + offx;
            int lo = start >= 0 ? 0 : (-start + sw - 1) / sw;
            int hi = start >= w ? 0 : (w - start + sw - 1) / sw;
            if (hi > len) hi = len;
            if (lo > hi) lo = hi;
            const float *xr = xc + (size_t)iy * w + start;
            if (lo > 0) memset(d, 0, sizeof(float) * lo);
            if (sw == 1) {
                memcpy(d + lo, xr + lo, sizeof(float) * (hi - lo));
            } else {
                for (int t = lo; t < hi; t++) d[t] = xr[t * sw];
            }
            if (hi < len) memset(d + hi, 0, sizeof(float) * (len - hi));
        }
        if (nc < KILN_GEMM_NR) memset(dst + nc, 0, sizeof(float) * (KILN_GEMM_NR - nc));
        if (++kx == p->kw) {
            kx = 0;
            if (++ky == p->kh) { ky = 0; c++; }
        }
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define NV (KILN_GEMM_NR / 16)
/* Tap x segment entries the AVX-512 packer precomputes (6 KB of stack at most). */
#define MAX_TAP_LOADS 256

/* One segment of one tap: the masked load(s) that fill its lanes of a panel row. */
typedef struct {
    long off;                          /* from the channel plane's start; lanes shifted by j0 */
    __mmask16 m[NV], lo[NV], hi[NV];   /* lanes; stride 2: source masks of the two halves */
} tap_load;

// The same contract as pack_b_im2col, one NR-float panel row as NV zmm registers: each
// (output row, run) segment is a masked load (stride 1) or masked gather (other strides)
// merged into its lanes, so padding lanes stay 0 and there is no per-element branch or
// memcpy call. Masked-off lanes are never read, so addresses outside the input are safe.
__attribute__((target("avx512f,avx512vl,fma,bmi2")))
static void pack_b_im2col_avx512(const void *vctx, int k0, int kc, int n0, int nc, float *dst) {
    const im2col_b *ctx = (const im2col_b *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int ow = p->ow, h = p->h, w = p->w, sw = p->stride_w, khw = p->kh * p->kw;
    int seg_oy[MAX_SEGMENTS], seg_ox[MAX_SEGMENTS], seg_j[MAX_SEGMENTS], seg_len[MAX_SEGMENTS];
    int segs = 0;
    for (int j = 0; j < nc;) {
        const int pix = n0 + ctx->n_offset + j, oy = pix / ow, ox = pix % ow;
        const int len = ow - ox < nc - j ? ow - ox : nc - j;
        seg_oy[segs] = oy; seg_ox[segs] = ox; seg_j[segs] = j; seg_len[segs] = len;
        segs++;
        j += len;
    }
    if (khw * segs > MAX_TAP_LOADS) { /* tiny outputs under big kernels: rare, go scalar */
        pack_b_im2col(vctx, k0, kc, n0, nc, dst);
        return;
    }
    /* Rows of the panel repeat the same KH*KW taps for every channel: work out each tap's
     * (segment -> masked load) once, so a row is just its loads. */
    tap_load table[MAX_TAP_LOADS];
    for (int t = 0; t < khw; t++) {
        const int offx = (t % p->kw) * p->dil_w - p->pad_w, offy = (t / p->kw) * p->dil_h - p->pad_h;
        for (int s = 0; s < segs; s++) {
            tap_load *e = &table[t * segs + s];
            const int iy = seg_oy[s] * p->stride_h + offy, len = seg_len[s], j0 = seg_j[s];
            const int start = seg_ox[s] * sw + offx;
            int lo = start >= 0 ? 0 : (-start + sw - 1) / sw;
            int hi = start >= w ? 0 : (w - start + sw - 1) / sw;
            if (hi > len) hi = len;
            if (iy < 0 || iy >= h || lo > hi) lo = hi = 0;
            /* Lanes [j0 + lo, j0 + hi); lane j reads base[j * sw], base shifted back by j0. */
            const uint64_t bits = (((uint64_t)1 << hi) - ((uint64_t)1 << lo)) << j0;
            e->off = (long)iy * w + start - (long)j0 * sw;
            for (int q = 0; q < NV; q++) {
                e->m[q] = (__mmask16)(bits >> (16 * q));
                /* stride 2: lane j's bit spread to source element 2j of the 32-float span */
                e->lo[q] = (__mmask16)_pdep_u32(e->m[q] & 0xFFu, 0x5555u);
                e->hi[q] = (__mmask16)_pdep_u32((unsigned)e->m[q] >> 8, 0x5555u);
            }
        }
    }
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i idx = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(sw));
    const __m512i even = _mm512_add_epi32(lanes, lanes);
    /* Input floats one panel row spans (NR outputs at the stride), up to 4 cache lines. */
    const int span = KILN_GEMM_NR * sw < 64 ? KILN_GEMM_NR * sw : 64;
    int c = k0 / khw, t = k0 % khw;
    for (int kk = 0; kk < kc; kk++, dst += KILN_GEMM_NR) {
        const float *xc = ctx->x + (size_t)c * h * w;
        const tap_load *row = &table[t * segs];
        __m512 v[NV];
        for (int q = 0; q < NV; q++) v[q] = _mm512_setzero_ps();
        /* The next panel reads about NR * stride further along the same input rows: fetch
         * them now. Rows of a panel come from up to KC / (KH*KW) channel planes at once, too
         * many streams for the hardware prefetcher once the input has left L2 (batches). */
        for (int o = 0; o < span; o += 16)
            _mm_prefetch((const char *)(xc + row[0].off + span + o), _MM_HINT_T0);
        for (int s = 0; s < segs; s++) {
            const float *base = xc + row[s].off;
            for (int q = 0; q < NV; q++) {
                const __mmask16 m = row[s].m[q];
                if (!m) continue;
                if (sw == 1) {
                    v[q] = _mm512_mask_loadu_ps(v[q], m, base + 16 * q);
                } else if (sw == 2) {
                    /* Two masked loads of the source span and one permute picking the even
                     * elements: much cheaper than a gather. */
                    const __m512 a = _mm512_maskz_loadu_ps(row[s].lo[q], base + 32 * q);
                    const __m512 b = _mm512_maskz_loadu_ps(row[s].hi[q], base + 32 * q + 16);
                    v[q] = _mm512_mask_mov_ps(v[q], m, _mm512_permutex2var_ps(a, even, b));
                } else {
                    v[q] = _mm512_mask_i32gather_ps(v[q], m, idx, base + 16 * q * sw, 4);
                }
            }
        }
        for (int q = 0; q < NV; q++) _mm512_storeu_ps(dst + 16 * q, v[q]);
        if (++t == khw) { t = 0; c++; }
    }
}
#endif

/* The packer for this CPU: the AVX-512 one needs NR a multiple of 16, at most 64 (the lane
 * mask is 64 bits). */
static kiln_gemm_pack_b_fn im2col_packer(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (KILN_GEMM_NR % 16 == 0 && KILN_GEMM_NR <= 64 && kiln_gemm_uses_avx512() &&
        __builtin_cpu_supports("bmi2"))
        return pack_b_im2col_avx512;
#endif
    return pack_b_im2col;
}

/* ------------------------------------------------------------------ tasks */

typedef struct {
    const kiln_conv2d_params *p;
    const float *x, *packed, *bias, *residual;
    float *y;
    int pieces;       /* tasks per image */
    int split_m;      /* 1: pieces cut output channels, 0: pixels */
    int unit_panels;  /* panels (MR rows or NR columns) in the split dimension */
    size_t tasks;     /* images * pieces */
    _Atomic size_t next; /* next unclaimed task */
} conv_gemm_ctx;

// One runner per thread: claims tasks t = (image t / pieces, piece t % pieces) until none is
// left and runs each (its block of rows or columns of the image's GEMM) single-threaded with
// this thread's own packed-B buffer. Claiming dynamically keeps both cores busy when one is
// slowed by other work; each task's result does not depend on which thread runs it.
static void conv_gemm_runner(void *vctx, size_t r0, size_t r1) {
    (void)r0; (void)r1;
    conv_gemm_ctx *ctx = (conv_gemm_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int k = gemm_k(p), npix = p->oh * p->ow;
    const size_t in_image = (size_t)p->c * p->h * p->w, out_image = (size_t)p->oc * npix;
    /* One KC x NR panel (36 KB): on this thread's stack, so no shared workspace. */
    _Alignas(64) float bpack[KILN_GEMM_KC * KILN_GEMM_NR];
    for (size_t t; (t = atomic_fetch_add_explicit(&ctx->next, 1, memory_order_relaxed)) < ctx->tasks;) {
        const int image = (int)(t / (size_t)ctx->pieces), piece = (int)(t % (size_t)ctx->pieces);
        /* Piece i covers units [i*U/P, (i+1)*U/P) of the split dimension. */
        const int u0 = (int)((long)piece * ctx->unit_panels / ctx->pieces);
        const int u1 = (int)((long)(piece + 1) * ctx->unit_panels / ctx->pieces);
        if (u0 >= u1) continue;
        int m0 = 0, m1 = p->oc, n0 = 0, n1 = npix;
        if (ctx->split_m) {
            m0 = u0 * KILN_GEMM_MR;
            m1 = u1 * KILN_GEMM_MR < p->oc ? u1 * KILN_GEMM_MR : p->oc;
        } else {
            n0 = u0 * KILN_GEMM_NR;
            n1 = u1 * KILN_GEMM_NR < npix ? u1 * KILN_GEMM_NR : npix;
        }
        const float *xi = ctx->x + image * in_image;
        float *yi = ctx->y + image * out_image + (size_t)m0 * npix + n0;
        const float *ri = ctx->residual ? ctx->residual + image * out_image + (size_t)m0 * npix + n0 : NULL;
        const float *a = ctx->packed + (size_t)m0 * k; /* m0 is a multiple of MR */
        const float *bias = ctx->bias ? ctx->bias + m0 : NULL;
        if (is_pointwise(p)) {
            kiln_gemm(m1 - m0, n1 - n0, k, a, xi + n0, npix, yi, npix, bias, ri, npix, p->relu, bpack);
        } else {
            im2col_b b = {p, xi, n0};
            kiln_gemm_with_packer(m1 - m0, n1 - n0, k, a, im2col_packer(), &b, yi, npix,
                                  bias, ri, npix, p->relu, bpack);
        }
    }
}

// x: (N, C, H, W), packed: kiln_conv2d_gemm_pack(w (OC, C, KH, KW)), bias: (OC) or NULL,
// residual: (N, OC, OH, OW) or NULL, y: (N, OC, OH, OW).
void kiln_conv2d_gemm(const kiln_conv2d_params *p, const float *x, const float *packed,
                      const float *bias, const float *residual, float *y, float *workspace) {
    (void)workspace;
    const int npix = p->oh * p->ow, threads = kiln_get_num_threads();
    const int n_panels = (npix + KILN_GEMM_NR - 1) / KILN_GEMM_NR;
    const int m_panels = (p->oc + KILN_GEMM_MR - 1) / KILN_GEMM_MR;
    /* About four tasks per thread (whole images when the batch gives that many), so dynamic
     * claiming can even out threads that run at different speeds. */
    int pieces = threads > 1 && p->n < 4 * threads ? (4 * threads + p->n - 1) / p->n : 1;
    /* Split pixels while there are at least two B panels per piece; otherwise output channels
     * when they have more panels. An M split packs the same B panels once per piece, so it
     * gets half as many pieces (about two per thread). */
    const int split_m = pieces > 1 && n_panels < 2 * pieces && m_panels > n_panels;
    if (split_m) pieces = (pieces + 1) / 2;
    conv_gemm_ctx ctx = {p, x, packed, bias, residual, y, pieces, split_m,
                         split_m ? m_panels : n_panels, (size_t)p->n * pieces, 0};
    const size_t runners = ctx.tasks < (size_t)threads ? ctx.tasks : (size_t)threads;
    kiln_parallel_for(runners, 1, conv_gemm_runner, &ctx);
}
