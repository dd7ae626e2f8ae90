/*
 * kiln_conv_direct_bf16.c — convolution as an implicit bf16 GEMM: no im2col.
 *
 * The input is rounded to bf16 once per layer into a zero-padded, channel-PAIR layout
 *   xp: (N, CP, PLANE) 32-bit words, CP = ceil(C / 2), word (cp, r * Wp + s) =
 *       (bf16 x[2cp][r - pad_h][s - pad_w], bf16 x[2cp + 1][...]) (0 outside the image),
 * Wp = W + pad_w + pad_r, PLANE >= Hp * Wp. Output pixel (oh, ow) with tap (kh, kw) reads
 * word oh*sh*Wp + ow*sw + kh*dil*Wp + kw*dil of every pair plane: one 32-bit broadcast
 * feeds 16 output channels. So the pairs are built once and reused by all taps (the packed
 * GEMM gathers, rounds and interleaves a fresh im2col panel per tap), any stride works, and
 * no lane is spent on padding columns (7x7 outputs fill every lane; a pitch-vector layout
 * fills 49 of 64).
 *
 * Weights (packed once at compile time): panels of OCB = 64 output channels,
 *   wp[p][t][cp][i][h] = bf16 w[p*64 + i][2cp + h][t] (t = kh*KW + kw; 0 past OC or C),
 * so one (cp, t) step of a panel is four zmm of pair words, one per 16 output channels, and
 * 16 consecutive pairs of one tap are 16 rows 256 bytes apart: an AMX B tile
 * (kiln_conv_direct_bf16_amx.c).
 * Microkernel: 64 output channels x 6 output pixels (24 zmm accumulators), per (cp, t) four
 * weight loads, six broadcasts and 24 vdpbf16ps; fp32 accumulation over all of K, then the
 * fp32 epilogue (+ bias, + residual, act) scattered to the 6 pixels of 16 channels at once.
 *
 * Threads: batches of at least two images per thread give each runner whole images (it
 * pairs its image into its own buffer, then runs it); smaller batches pair all images first
 * (one parallel pass) and split (image, channel panels, pixel blocks) tasks, panels first:
 * each task then reads only its share of the weights, which dominate small outputs.
 */
#include "kiln_conv_variants.h"
#include "kiln_gemm_bf16.h"
#include "kiln_ops_internal.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DBF_AVX512 1
#include <immintrin.h>
#include "kiln_act_simd.h"
#endif

#define OCB 64 /* output channels per weight panel: four zmm of 16 lanes */
#define NVO (OCB / 16)
#define PB 6   /* output pixels per tile: 4 x 6 = 24 zmm accumulators */

typedef struct {
    int cp, taps, wp, hp, oh, ow;
    size_t plane;   /* words per channel pair */
    int toff[64];   /* word offset of each tap; KH*KW <= 64 */
} dbf_geom;

int kiln_conv2d_direct_bf16_applicable(const kiln_conv2d_params *p) {
    return p->groups == 1 && p->kh * p->kw <= 64;
}

static void geometry(const kiln_conv2d_params *p, dbf_geom *g) {
    g->cp = (p->c + 1) / 2;
    g->taps = p->kh * p->kw;
    g->wp = p->w + p->pad_w + p->pad_r;
    g->hp = p->h + p->pad_h + p->pad_b;
    g->oh = p->oh;
    g->ow = p->ow;
    /* Every read lies inside the padded image; rounded to 16 words so planes stay 64-byte
     * aligned relative to xp. */
    g->plane = ((size_t)g->hp * g->wp + p->pad_w + 15) & ~(size_t)15; /* + pad_w: the pairing's last row-end memset */
    for (int kh = 0; kh < p->kh; kh++)
        for (int kw = 0; kw < p->kw; kw++) g->toff[kh * p->kw + kw] = kh * p->dil_h * g->wp + kw * p->dil_w;
}

// Word offset in the padded plane of output pixel pix's top-left tap.
static inline int pixel_offset(const kiln_conv2d_params *p, const dbf_geom *g, int pix) {
    return pix / g->ow * p->stride_h * g->wp + pix % g->ow * p->stride_w;
}

size_t kiln_conv2d_direct_bf16_packed_size(const kiln_conv2d_params *p) {
    const size_t panels = (size_t)(p->oc + OCB - 1) / OCB;
    return panels * ((size_t)(p->c + 1) / 2) * (size_t)(p->kh * p->kw) * OCB; /* floats: 2 bf16 each */
}

// w: (OC, C, KH, KW) -> the panel layout above.
void kiln_conv2d_direct_bf16_pack(const kiln_conv2d_params *p, const float *w, void *packed) {
    const int cp = (p->c + 1) / 2, taps = p->kh * p->kw, panels = (p->oc + OCB - 1) / OCB;
    uint16_t *dst = (uint16_t *)packed;
    for (int pn = 0; pn < panels; pn++)
        for (int t = 0; t < taps; t++)
            for (int c2 = 0; c2 < cp; c2++)
                for (int i = 0; i < OCB; i++)
                    for (int h = 0; h < 2; h++) {
                        const int o = pn * OCB + i, c = 2 * c2 + h;
                        *dst++ = o < p->oc && c < p->c ? kiln_bf16_from_float(w[((size_t)o * p->c + c) * taps + t]) : 0;
                    }
}

/* ------------------------------------------------------------------ pairing the input */

// Channel pairs [cp0, cp1) of one image x: (C, H, W) -> xp (CP, PLANE), borders and margin 0.
static void pair_rows_portable(const kiln_conv2d_params *p, const dbf_geom *g, const float *x, uint32_t *xp,
                               int cp0, int cp1) {
    const size_t hw = (size_t)p->h * p->w;
    for (int c2 = cp0; c2 < cp1; c2++) {
        uint32_t *dst = xp + (size_t)c2 * g->plane;
        memset(dst, 0, sizeof(uint32_t) * g->plane);
        const float *x0 = x + (size_t)2 * c2 * hw, *x1 = 2 * c2 + 1 < p->c ? x0 + hw : NULL;
        for (int r = 0; r < p->h; r++) {
            uint32_t *row = dst + (size_t)(r + p->pad_h) * g->wp + p->pad_w;
            for (int s = 0; s < p->w; s++) {
                const uint32_t lo = kiln_bf16_from_float(x0[(size_t)r * p->w + s]);
                const uint32_t hi = x1 ? kiln_bf16_from_float(x1[(size_t)r * p->w + s]) : 0;
                row[s] = lo | hi << 16;
            }
        }
    }
}

#ifdef DBF_AVX512
#define DBF_FN __attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl,fma")))

// pair_rows_portable's contract, 16 pixels at a time: one vcvtne2ps2bf16 (round to nearest
// even, as kiln_bf16_from_float) and one vpermw interleaving the two channels' halves.
DBF_FN static void pair_rows_avx512(const kiln_conv2d_params *p, const dbf_geom *g, const float *x, uint32_t *xp,
                                    int cp0, int cp1) {
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const size_t hw = (size_t)p->h * p->w;
    for (int c2 = cp0; c2 < cp1; c2++) {
        uint32_t *dst = xp + (size_t)c2 * g->plane;
        const float *x0 = x + (size_t)2 * c2 * hw, *x1 = 2 * c2 + 1 < p->c ? x0 + hw : NULL;
        memset(dst, 0, sizeof(uint32_t) * ((size_t)p->pad_h * g->wp + p->pad_w));
        for (int r = 0; r < p->h; r++) {
            uint32_t *row = dst + (size_t)(r + p->pad_h) * g->wp + p->pad_w;
            for (int s = 0; s < p->w; s += 16) {
                const __mmask16 m = p->w - s >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (p->w - s)) - 1);
                const __m512 lo = _mm512_maskz_loadu_ps(m, x0 + (size_t)r * p->w + s);
                const __m512 hi = x1 ? _mm512_maskz_loadu_ps(m, x1 + (size_t)r * p->w + s) : _mm512_setzero_ps();
                const __m512i both = _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
                _mm512_mask_storeu_epi32(row + s, m, both);
            }
            /* right pad of this row + left pad of the next (contiguous in the pitch) */
            memset(row + p->w, 0, sizeof(uint32_t) * (size_t)(p->pad_r + p->pad_w));
        }
        uint32_t *tail = dst + (size_t)(p->h + p->pad_h) * g->wp; /* bottom pad rows + margin */
        memset(tail, 0, sizeof(uint32_t) * (g->plane - (size_t)(tail - dst)));
        /* the loop's last memset wrote pad_w words into the bottom pad: zero anyway */
    }
}

/* ------------------------------------------------------------------ microkernel */

// One tile: nvo*16 output channels (panel a) x np outputs (pixel offsets off[0..np)) over all
// (cp, t): per step nvo weight loads and np broadcasts of input pairs feed nvo*np vdpbf16ps.
// nvo and np are constants after inlining, so the accumulators stay in registers.
DBF_FN static inline __attribute__((always_inline)) void
tile_direct(const int nvo, const int np, const dbf_geom *g, const uint32_t *xq, const uint32_t *a, const int *off,
            __m512 acc[NVO][PB]) {
#pragma GCC unroll 4
    for (int v = 0; v < nvo; v++)
#pragma GCC unroll 6
        for (int j = 0; j < np; j++) acc[v][j] = _mm512_setzero_ps();
    int o[PB];
#pragma GCC unroll 6
    for (int j = 0; j < np; j++) o[j] = off[j];
    for (int c2 = 0; c2 < g->cp; c2++, xq += g->plane) {
        for (int t = 0; t < g->taps; t++) {
            const uint32_t *b = xq + g->toff[t], *at = a + ((size_t)t * g->cp + c2) * OCB;
            __m512bh av[NVO];
#pragma GCC unroll 4
            for (int v = 0; v < nvo; v++) av[v] = (__m512bh)_mm512_loadu_si512(at + 16 * v);
#pragma GCC unroll 6
            for (int j = 0; j < np; j++) {
                const __m512bh bv = (__m512bh)_mm512_set1_epi32((int)b[o[j]]);
#pragma GCC unroll 4
                for (int v = 0; v < nvo; v++) acc[v][j] = _mm512_dpbf16_ps(acc[v][j], av[v], bv);
            }
        }
    }
}

// Lanes = output channels o0 + 16v + lane, one vector per output pixel pix0 + j (y is
// (OC, OH*OW), so the 16 lanes are npix apart: scatter, and gather the residual alike).
DBF_FN static void store_tile(const kiln_conv2d_params *p, const dbf_geom *g, int nvo, int np, __m512 acc[NVO][PB],
                              int pix0, int o0, float *y, const float *bias, const float *res) {
    float lo, hi;
    const int clamp = kiln_act_bounds(&p->act, &lo, &hi);
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    const int npix = g->oh * g->ow;
    const __m512i stride = _mm512_mullo_epi32(_mm512_set1_epi32(npix),
                                              _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    for (int v = 0; v < nvo; v++) {
        const int ob = o0 + 16 * v, left = p->oc - ob;
        if (left <= 0) break;
        const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const __m512 b = bias ? _mm512_maskz_loadu_ps(m, bias + ob) : _mm512_setzero_ps();
        float *yb = y + (size_t)ob * npix + pix0;
        const float *rb = res ? res + (size_t)ob * npix + pix0 : NULL;
        for (int j = 0; j < np; j++) {
            __m512 z = _mm512_add_ps(acc[v][j], b);
            if (rb) z = _mm512_add_ps(z, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, stride, rb + j, 4));
            /* the bounds as first operands: max/min return the second (z) when z is NaN */
            z = clamp ? _mm512_min_ps(vhi, _mm512_max_ps(vlo, z)) : kiln_act_avx512(&p->act, z);
            _mm512_mask_i32scatter_ps(yb + j, m, stride, z, 4);
        }
    }
}

// Pixel blocks [b0, b1) x weight panels [p0, p1) of one paired image: each panel stays in
// L2 while its blocks run.
DBF_FN static void run_block_avx512(const kiln_conv2d_params *p, const dbf_geom *g, const uint32_t *xp,
                                    const uint32_t *w, int b0, int b1, int p0, int p1, float *y, const float *bias,
                                    const float *res) {
    const size_t panel_words = (size_t)g->cp * g->taps * OCB;
    const int npix = g->oh * g->ow;
    for (int pn = p0; pn < p1; pn++) {
        const uint32_t *a = w + (size_t)pn * panel_words;
        const int left = p->oc - pn * OCB, nvo = left >= 48 ? 4 : left > 32 ? 3 : left > 16 ? 2 : 1;
        for (int blk = b0; blk < b1; blk++) {
            const int pix0 = blk * PB, np = npix - pix0 < PB ? npix - pix0 : PB;
            int off[PB];
            for (int j = 0; j < np; j++) off[j] = pixel_offset(p, g, pix0 + j);
            __m512 acc[NVO][PB];
#define DBF_TILE(NV_)                                                             \
            switch (np) {                                                          \
            case 6: tile_direct(NV_, 6, g, xp, a, off, acc); break;                \
            case 5: tile_direct(NV_, 5, g, xp, a, off, acc); break;                \
            case 4: tile_direct(NV_, 4, g, xp, a, off, acc); break;                \
            case 3: tile_direct(NV_, 3, g, xp, a, off, acc); break;                \
            case 2: tile_direct(NV_, 2, g, xp, a, off, acc); break;                \
            default: tile_direct(NV_, 1, g, xp, a, off, acc); break;               \
            }
            if (nvo == 4) { DBF_TILE(4) } else if (nvo == 3) { DBF_TILE(3) } else if (nvo == 2) { DBF_TILE(2) } else { DBF_TILE(1) }
#undef DBF_TILE
            store_tile(p, g, nvo, np, acc, pix0, pn * OCB, y, bias, res);
        }
    }
}

static int check_bf16(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
}
#endif

/* ------------------------------------------------------------------ portable path */

// run_block_avx512's contract with scalar loops over the same layouts (CPUs without
// AVX512_BF16, and tests that force it): products of bf16 values are exact in fp32.
static void run_block_portable(const kiln_conv2d_params *p, const dbf_geom *g, const uint32_t *xp, const uint32_t *w,
                               int b0, int b1, int p0, int p1, float *y, const float *bias, const float *res) {
    const size_t panel_words = (size_t)g->cp * g->taps * OCB;
    const int npix = g->oh * g->ow;
    for (int pn = p0; pn < p1; pn++)
        for (int pix = b0 * PB; pix < b1 * PB && pix < npix; pix++) {
            const int base = pixel_offset(p, g, pix);
            float acc[OCB] = {0};
            const uint32_t *a = w + (size_t)pn * panel_words;
            for (int t = 0; t < g->taps; t++) /* the weights' order: tap, then pair */
                for (int c2 = 0; c2 < g->cp; c2++, a += OCB) {
                    const uint32_t bw = xp[(size_t)c2 * g->plane + base + g->toff[t]];
                    const float b0f = kiln_bf16_to_float((uint16_t)bw), b1f = kiln_bf16_to_float((uint16_t)(bw >> 16));
                    for (int i = 0; i < OCB; i++)
                        acc[i] += kiln_bf16_to_float((uint16_t)a[i]) * b0f + kiln_bf16_to_float((uint16_t)(a[i] >> 16)) * b1f;
                }
            for (int i = 0; i < OCB && pn * OCB + i < p->oc; i++) {
                const size_t o = (size_t)(pn * OCB + i) * npix + pix;
                float v = acc[i] + (bias ? bias[pn * OCB + i] : 0.0f);
                if (res) v += res[o];
                y[o] = kiln_act_scalar(&p->act, v);
            }
        }
}

/* ------------------------------------------------------------------ driver */

typedef struct {
    const kiln_conv2d_params *p;
    dbf_geom g;
    const float *x, *bias, *residual;
    const uint32_t *w;
    float *y;
    uint32_t *xp;        /* paired batch (small batches), else NULL: runners pair per image */
    int fast, block_pieces, panel_pieces, blocks, panels;
    size_t tasks;
    _Atomic size_t next;
} dbf_ctx;

static void pair_image(const dbf_ctx *c, const float *x, uint32_t *xp, int cp0, int cp1) {
#ifdef DBF_AVX512
    if (c->fast) { pair_rows_avx512(c->p, &c->g, x, xp, cp0, cp1); return; }
#endif
    pair_rows_portable(c->p, &c->g, x, xp, cp0, cp1);
}

static void run_block(const dbf_ctx *c, const uint32_t *xp, int b0, int b1, int p0, int p1, size_t image) {
    const size_t out = image * (size_t)c->p->oc * c->g.oh * c->g.ow;
    float *y = c->y + out;
    const float *res = c->residual ? c->residual + out : NULL;
#ifdef DBF_AVX512
    if (c->fast) { run_block_avx512(c->p, &c->g, xp, c->w, b0, b1, p0, p1, y, c->bias, res); return; }
#endif
    run_block_portable(c->p, &c->g, xp, c->w, b0, b1, p0, p1, y, c->bias, res);
}

// Rows r = (image, channel pair) of the batch into ctx->xp.
static void pair_runner(void *vctx, size_t r0, size_t r1) {
    const dbf_ctx *c = (const dbf_ctx *)vctx;
    const size_t cp = (size_t)c->g.cp, in_image = (size_t)c->p->c * c->p->h * c->p->w;
    for (size_t r = r0; r < r1; r++) {
        const size_t image = r / cp;
        pair_image(c, c->x + image * in_image, c->xp + image * cp * c->g.plane, (int)(r % cp), (int)(r % cp) + 1);
    }
}

// Claims tasks until none is left: whole images (own buffer), or (image, tile piece, panel
// piece) blocks of the paired batch.
static void block_runner(void *vctx, size_t r0, size_t r1) {
    (void)r0; (void)r1;
    dbf_ctx *c = (dbf_ctx *)vctx;
    const size_t in_image = (size_t)c->p->c * c->p->h * c->p->w, words = (size_t)c->g.cp * c->g.plane;
    uint32_t *own = NULL;
    for (size_t t; (t = atomic_fetch_add_explicit(&c->next, 1, memory_order_relaxed)) < c->tasks;) {
        if (!c->xp) {
            if (!own && !(own = aligned_alloc(64, (sizeof(uint32_t) * words + 63) & ~(size_t)63))) abort();
            pair_image(c, c->x + t * in_image, own, 0, c->g.cp);
            run_block(c, own, 0, c->blocks, 0, c->panels, t);
            continue;
        }
        const size_t per_image = (size_t)c->block_pieces * c->panel_pieces, image = t / per_image;
        const int pp = (int)(t % per_image / (size_t)c->block_pieces), bp = (int)(t % (size_t)c->block_pieces);
        const int b0 = (int)((long)bp * c->blocks / c->block_pieces), b1 = (int)((long)(bp + 1) * c->blocks / c->block_pieces);
        const int p0 = (int)((long)pp * c->panels / c->panel_pieces), p1 = (int)((long)(pp + 1) * c->panels / c->panel_pieces);
        if (b0 < b1 && p0 < p1) run_block(c, c->xp + image * words, b0, b1, p0, p1, image);
    }
    free(own);
}

// x: (N, C, H, W), packed: kiln_conv2d_direct_bf16_pack(w), bias: (OC) or NULL,
// residual: (N, OC, OH, OW) or NULL, y: (N, OC, OH, OW). Any stride (applicable()).
void kiln_conv2d_direct_bf16(const kiln_conv2d_params *p, const float *x, const void *packed, const float *bias,
                             const float *residual, float *y) {
    static _Atomic int cached = -1;
    if (kiln_conv2d_direct_bf16_amx(p, x, packed, bias, residual, y)) return;
    dbf_ctx c = {0};
    c.p = p;
    geometry(p, &c.g);
    c.x = x; c.bias = bias; c.residual = residual; c.w = (const uint32_t *)packed; c.y = y;
#ifdef DBF_AVX512
    c.fast = !kiln_gemm_bf16_portable_forced() && kiln_cpu_check_cached(&cached, check_bf16);
#else
    (void)cached;
#endif
    c.blocks = (c.g.oh * c.g.ow + PB - 1) / PB;
    c.panels = (p->oc + OCB - 1) / OCB;
    const int threads = kiln_get_num_threads();
    if (p->n >= 2 * threads) { /* whole images, each paired by its runner */
        c.tasks = (size_t)p->n;
        kiln_parallel_for((size_t)threads, 1, block_runner, &c);
        return;
    }
    /* About eight tasks per thread, cut along output channels first (each piece reads its
     * share of the weights once; the paired input is small and shared), then along pixels
     * (consecutive tasks share a panel). */
    const int want = 8 * threads, per_image = (want + p->n - 1) / p->n;
    c.panel_pieces = per_image < c.panels ? per_image : c.panels;
    c.block_pieces = (per_image + c.panel_pieces - 1) / c.panel_pieces;
    if (c.block_pieces > c.blocks) c.block_pieces = c.blocks;
    c.tasks = (size_t)p->n * c.block_pieces * c.panel_pieces;
    const size_t words = (size_t)c.g.cp * c.g.plane;
    if (!(c.xp = aligned_alloc(64, (sizeof(uint32_t) * words * p->n + 63) & ~(size_t)63))) abort();
    kiln_parallel_for((size_t)p->n * c.g.cp, 4, pair_runner, &c);
    kiln_parallel_for(c.tasks < (size_t)threads ? c.tasks : (size_t)threads, 1, block_runner, &c);
    free(c.xp);
}

// The naive twin: x and w rounded to bf16 (kiln_bf16_from_float), products summed in double,
// the fp32 epilogue (+ bias, + residual, act). Any kiln_conv2d_params with groups 1.
void kiln_conv2d_direct_bf16_ref(const kiln_conv2d_params *p, const float *x, const float *w, const float *bias,
                                 const float *residual, float *y) {
    const size_t npix = (size_t)p->oh * p->ow;
    for (int n = 0; n < p->n; n++)
        for (int o = 0; o < p->oc; o++)
            for (int r = 0; r < p->oh; r++)
                for (int s = 0; s < p->ow; s++) {
                    double sum = 0;
                    for (int c = 0; c < p->c; c++)
                        for (int kh = 0; kh < p->kh; kh++)
                            for (int kw = 0; kw < p->kw; kw++) {
                                const int ih = r * p->stride_h - p->pad_h + kh * p->dil_h;
                                const int iw = s * p->stride_w - p->pad_w + kw * p->dil_w;
                                if (ih < 0 || ih >= p->h || iw < 0 || iw >= p->w) continue;
                                const float xv = x[(((size_t)n * p->c + c) * p->h + ih) * p->w + iw];
                                const float wv = w[(((size_t)o * p->c + c) * p->kh + kh) * p->kw + kw];
                                sum += (double)kiln_bf16_to_float(kiln_bf16_from_float(xv)) *
                                       kiln_bf16_to_float(kiln_bf16_from_float(wv));
                            }
                    const size_t out = ((size_t)n * p->oc + o) * npix + (size_t)r * p->ow + s;
                    float v = (float)sum + (bias ? bias[o] : 0.0f);
                    if (residual) v += residual[out];
                    y[out] = kiln_act_scalar(&p->act, v);
                }
}
