/*
 * kiln_conv_direct_bf16_amx.c — kiln_conv2d_direct_bf16 on AMX tiles: the same packed
 * weights, the same rounding, full 16 x 16 tiles, no im2col.
 *
 * C (16 output positions x 16 output channels) += X (16 positions x 32 channels of one tap)
 * . W (16 channel pairs x 16 output channels x 2), summed over taps and channel blocks.
 *
 * W is the direct_bf16 weight layout as it is: in a 64-channel panel, one (tap, pair) row
 * holds 64 output channels' pair words and a tap's pairs follow each other, so 16 channels
 * of 16 consecutive pairs are a B tile with a row stride of 256 bytes. Only the input changes layout: each image is
 * rounded once per call into channel blocks of 32 (16 pair words, 64 bytes per position),
 *   xb[cb][phase][plane][16] words,
 * and split into stride phases: phase (a, b) holds padded input pixel (r*sh + a, s*sw + b) at
 * (r, s) of a WQ-wide plane. Tap (kh, kw) then reads phase ((kh*dil) % sh, (kw*dil) % sw) at
 * offset ((kh*dil) / sh) * WQ + (kw*dil) / sw, and output (oh, ow) is position
 * q = oh * WQ + ow of every phase: 16 consecutive q are 1 KB of contiguous memory, an A
 * tile, for any stride. The WQ - OW positions past each output row are computed and
 * dropped (7x7 at stride 1: 63 positions for 49 outputs).
 *
 * Blocks of 2 x 2 tiles (32 positions x 32 output channels: tmm0-3 accumulate, tmm4-5 X,
 * tmm6-7 W), one tile load per TDPBF16PS; or, for kernels larger than 1x1 and outputs that
 * fill 48-position blocks, 3 x 1 (48 positions x 16 channels: the channel tile's weights stay
 * in L1 across the taps). The epilogue gathers each output channel's 16
 * positions out of the stored C tile, adds bias and residual, applies the activation and
 * stores each output row's run of them into y (N, OC, OH, OW) in fp32, as the vdpbf16ps path.
 *
 * Layers with at most 4 input channels take kiln_conv_direct_bf16_amx_narrow.c instead.
 * Taken at run time, where kiln_cpu_has_amx_bf16() says the tiles work (Linux granted the
 * tile state, the GEMM's self-check agreed) and no switch turns AMX off; the emulated tile
 * unit (kiln_amx_tiles.h) runs it for tests on any AVX512_BF16 machine.
 */
#include "kiln_kernels.h"
#include "kiln_conv_variants.h"
#include "kiln_gemm_bf16.h"
#include "kiln_amx_tiles.h"
#include "kiln_ops_internal.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#define PANEL 64 /* kiln_conv_direct_bf16.c's OCB */
/* K steps ahead that the weights are prefetched into L2, for layers whose weights come from
 * L3 (over 1 MB): ResNet-18's 7x7 layers 0.89x the time; hot weights gain nothing (0.96x). */
#define PF_DIST 4

typedef struct {
    int sh, sw, phases, wq, cp, cb, taps, q, blocks_q, blocks_o;
    int pt, ot;             /* tiles per block: 2 x 2 (positions x channels), or 3 x 1 */
    size_t plane;          /* positions per phase plane, margin included */
    int tph[64], toff[64]; /* phase and position offset of each tap; KH*KW <= 64 */
    unsigned char used[64]; /* phases some tap reads (a 1x1 at stride 2 reads one of four) */
    int prefetch;           /* weights over 1 MB: prefetch them PF_DIST steps ahead */
} amx_geom;

static void geometry(const kiln_conv2d_params *p, amx_geom *g) {
    g->sh = p->stride_h, g->sw = p->stride_w;
    g->phases = g->sh * g->sw;
    const int hp = p->h + p->pad_h + p->pad_b, wp = p->w + p->pad_w + p->pad_r;
    const int hq = (hp + g->sh - 1) / g->sh;
    g->wq = (wp + g->sw - 1) / g->sw;
    g->cp = (p->c + 1) / 2;
    g->cb = (g->cp + 15) / 16;
    g->taps = p->kh * p->kw;
    g->q = p->oh * g->wq;
    /* 3 x 1 for kernels larger than 1x1 unless 48-position blocks compute over 10% more
     * positions than 32-position ones (a 7x7 output: 96 for 63). Its channel tile's weights
     * stay in L1 across the taps, and its input tiles overlap from tap to tap. Two threads,
     * batch 1, against 2 x 2: ResNet's 56x56 0.95x, 28x28 0.84x, 14x14 0.96x, stride 2 to 28x28
     * 0.98x; 7x7 1.06x (batch 32: 1.25x); 1x1 stride 2 1.06-1.07x. */
    const int q32 = (g->q + 31) / 32 * 32, q48 = (g->q + 47) / 48 * 48;
    g->ot = g->taps > 1 && 10 * q48 <= 11 * q32 ? 1 : 2;
    g->pt = g->ot == 1 ? 3 : 2;
    g->blocks_q = (g->q + 16 * g->pt - 1) / (16 * g->pt);
    g->blocks_o = (p->oc + 16 * g->ot - 1) / (16 * g->ot);
    int reach = 0;
    memset(g->used, 0, sizeof g->used);
    for (int kh = 0; kh < p->kh; kh++)
        for (int kw = 0; kw < p->kw; kw++) {
            const int dh = kh * p->dil_h, dw = kw * p->dil_w, t = kh * p->kw + kw;
            g->tph[t] = dh % g->sh * g->sw + dw % g->sw;
            g->toff[t] = dh / g->sh * g->wq + dw / g->sw;
            g->used[g->tph[t]] = 1;
            if (g->toff[t] > reach) reach = g->toff[t];
        }
    g->prefetch = (size_t)(p->oc + PANEL - 1) / PANEL * PANEL * g->cp * g->taps * 4 > ((size_t)1 << 20);
    /* Every block reads its positions from each tap's offset; the plane holds them all. */
    const size_t need = (size_t)g->blocks_q * 16 * g->pt + reach, image = (size_t)hq * g->wq;
    g->plane = ((need > image ? need : image) + 15) & ~(size_t)15;
}

/* At most 4 input channels: kiln_conv_direct_bf16_amx_narrow.c (taps along K); 0 when the
 * layer is not one for it. */
int kiln_conv2d_direct_bf16_amx_narrow(const kiln_conv2d_params *p, const float *x, const void *packed,
                                       const float *bias, const float *residual, float *y, int emulated);

static size_t image_words(const amx_geom *g) { return (size_t)g->cb * g->phases * g->plane * 16; }

/* ------------------------------------------------------------------ the input, blocked */

// Channel blocks [cb0, cb1) of one image x: (C, H, W) -> xb (layout above): position by
// position, the block's 32 channels gathered (plane stride), rounded to nearest even and
// stored as one 64-byte row; 0 for padding, margin and channels past C.
KILN_AMX_TARGET static void block_input(const kiln_conv2d_params *p, const amx_geom *g, const float *x, uint32_t *xb,
                                        int cb0, int cb1) {
    const int hw = p->h * p->w;
    const __m512i lanes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(hw));
    for (int cb = cb0; cb < cb1; cb++) {
        const int c0 = 32 * cb, left = p->c - c0;
        const __mmask16 mlo = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
        const __mmask16 mhi = left >= 32 ? 0xFFFF : left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
        const float *xc = x + (size_t)c0 * hw;
        for (int ph = 0; ph < g->phases; ph++) {
            if (!g->used[ph]) continue; /* never read */
            const int a = ph / g->sw, b = ph % g->sw;
            uint32_t *dst = xb + ((size_t)cb * g->phases + ph) * g->plane * 16;
            for (size_t pos = 0; pos < g->plane; pos++) {
                const int r = (int)(pos / (size_t)g->wq), s = (int)(pos % (size_t)g->wq);
                const int ih = r * g->sh + a - p->pad_h, iw = s * g->sw + b - p->pad_w;
                __m512i row = _mm512_setzero_si512();
                if (ih >= 0 && ih < p->h && iw >= 0 && iw < p->w) {
                    const float *src = xc + (size_t)ih * p->w + iw;
                    const __m512 lo = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mlo, lanes, src, 4);
                    const __m512 hi = mhi ? _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mhi, lanes, src + (size_t)16 * hw, 4)
                                          : _mm512_setzero_ps();
                    row = (__m512i)_mm512_cvtne2ps_pbh(hi, lo); /* bf16 of channels c0..c0+31 in order: pair words */
                }
                _mm512_store_si512(dst + pos * 16, row);
            }
        }
    }
}

/* ------------------------------------------------------------------ one block */

// Positions [q0, q0 + 16 pt) x output channels [o0, o0 + 16 ot) over every channel block and
// tap, into ct (tiles of 16 x 16 fp32, [position tile][channel tile]). Tiles (all 16 x 64
// bytes): 2 x 2: C in tmm0-3, X in tmm4-5, W in tmm6-7; 3 x 1: C in tmm0-2, X in tmm4-6, W in
// tmm7. tail: 16 rows of 32 words, zeroed, for the last channel block's W rows when CP is not
// a multiple of 16.
KILN_AMX_TARGET static inline __attribute__((always_inline)) void
block_tiles(kiln_amx_emu *emu, const amx_geom *g, const uint32_t *xb, const uint32_t *w, int q0, int o0,
            uint32_t tail[16][32], float *ct) {
    const int panel = o0 / PANEL, lane0 = o0 % PANEL, rem = g->cp - 16 * (g->cb - 1);
    const size_t wstride = (size_t)PANEL * 4; /* bytes from one pair's row to the next */
    const uint32_t *wpanel = w + (size_t)panel * g->cp * g->taps * PANEL + lane0;
    if (!emu) __asm__ volatile("" ::: "memory"); /* tileloadd reads memory gcc cannot see */
    T_ZERO(0); T_ZERO(1); T_ZERO(2); T_ZERO(3);
    for (int cb = 0; cb < g->cb; cb++) {
        const int partial = cb == g->cb - 1 && rem < 16;
        for (int t = 0; t < g->taps; t++) {
            const uint32_t *xa = xb + (((size_t)cb * g->phases + g->tph[t]) * g->plane + q0 + g->toff[t]) * 16;
            const uint32_t *wb = wpanel + ((size_t)t * g->cp + 16 * cb) * PANEL;
            size_t ws = wstride;
            if (partial) { /* the pairs past CP are not in the panel: copy the rest, keep zeros */
                for (int r = 0; r < rem; r++) memcpy(tail[r], wb + (size_t)r * PANEL, (size_t)64 * g->ot);
                if (!emu) __asm__ volatile("" ::: "memory");
                wb = tail[0], ws = sizeof tail[0];
            }
            if (g->prefetch) {
                const int k = (cb * g->taps + t) + PF_DIST;
                if (k < g->cb * g->taps) {
                    const char *pf = (const char *)(wpanel + ((size_t)(k % g->taps) * g->cp + 16 * (k / g->taps)) * PANEL);
                    for (int r = 0; r < 16; r++) { _mm_prefetch(pf + r * 256, _MM_HINT_T1); _mm_prefetch(pf + r * 256 + 64, _MM_HINT_T1); }
                }
            }
            if (g->ot == 2) {
                T_LOAD(4, xa, 64);
                T_LOAD(5, xa + 16 * 16, 64);
                T_LOAD(6, wb, ws);
                T_LOAD(7, wb + 16, ws);
                T_DP(0, 4, 6); T_DP(1, 4, 7); T_DP(2, 5, 6); T_DP(3, 5, 7);
            } else {
                T_LOAD(7, wb, ws);
                T_LOAD(4, xa, 64); T_DP(0, 4, 7);
                T_LOAD(5, xa + 16 * 16, 64); T_DP(1, 5, 7);
                T_LOAD(6, xa + 32 * 16, 64); T_DP(2, 6, 7);
            }
        }
    }
    T_STORE(0, ct, 64); T_STORE(1, ct + 256, 64); T_STORE(2, ct + 512, 64);
    if (g->ot == 2) T_STORE(3, ct + 768, 64);
}

// ct's block into y (and residual), output channels [o0, min(o0 + 16 ot, OC)).
KILN_AMX_TARGET static void store_block(const kiln_conv2d_params *p, const amx_geom *g, const float *ct, int q0, int o0,
                                        float *y, const float *bias, const float *res) {
    const int count = p->oc - o0 < 16 * g->ot ? p->oc - o0 : 16 * g->ot;
    for (int half = 0; half < g->pt; half++) {
        /* This tile's 16 positions as runs inside output rows: lanes (mask) -> y offset. */
        const int qa = q0 + 16 * half;
        __mmask16 mask[17];
        size_t off[17];
        int runs = 0;
        for (int r = qa / g->wq; r < p->oh && r * g->wq < qa + 16; r++) {
            const int first = r * g->wq > qa ? r * g->wq : qa, end = r * g->wq + p->ow < qa + 16 ? r * g->wq + p->ow : qa + 16;
            if (first >= end) continue;
            mask[runs] = (__mmask16)(((1u << (end - first)) - 1) << (first - qa));
            off[runs++] = (size_t)r * p->ow + (size_t)(first - r * g->wq);
        }
        if (!runs) continue;
        for (int oc_half = 0; oc_half < g->ot && 16 * oc_half < count; oc_half++)
            kiln_amx_store_tile(ct + (size_t)(g->ot * half + oc_half) * 256, o0 + 16 * oc_half,
                                count - 16 * oc_half < 16 ? count - 16 * oc_half : 16,
                                mask, off, runs, (size_t)p->oh * p->ow, y, bias, res, &p->act);
    }
}

/* ------------------------------------------------------------------ driver */

typedef struct {
    const kiln_conv2d_params *p;
    amx_geom g;
    const float *x, *bias, *residual;
    const uint32_t *w;
    float *y;
    uint32_t *xb;  /* the blocked batch (small batches), else NULL: runners block per image */
    int emulated;
} amx_ctx;

// Blocks [b0, b1) of one blocked image, b = output-channel block * blocks_q + position block:
// consecutive blocks share their weights.
// Each block's epilogue runs after the next block's tile instructions are issued, from a second
// C buffer, so the vector units work while the tile unit multiplies.
KILN_AMX_TARGET static void run_blocks(kiln_amx_emu *emu, const amx_ctx *c, const uint32_t *xb, size_t image, int b0, int b1) {
    _Alignas(64) float ct[2][4 * 256];
    _Alignas(64) uint32_t tail[16][32];
    memset(tail, 0, sizeof tail);
    const size_t out = image * (size_t)c->p->oc * c->p->oh * c->p->ow;
    float *y = c->y + out;
    const float *res = c->residual ? c->residual + out : NULL;
    for (int b = b0; b <= b1; b++) {
        if (b < b1) block_tiles(emu, &c->g, xb, c->w, b % c->g.blocks_q * 16 * c->g.pt, b / c->g.blocks_q * 16 * c->g.ot, tail, ct[b & 1]);
        if (b > b0) {
            const int a = b - 1;
            store_block(c->p, &c->g, ct[a & 1], a % c->g.blocks_q * 16 * c->g.pt, a / c->g.blocks_q * 16 * c->g.ot, y, c->bias, res);
        }
    }
}

// Items are whole images (c->xb NULL) or (image, block) pairs of the blocked batch.
KILN_AMX_TARGET static void amx_runner(void *vctx, size_t i0, size_t i1) {
    const amx_ctx *c = (const amx_ctx *)vctx;
    kiln_amx_emu *emu = kiln_amx_begin(c->emulated, &kiln_amx_full_tiles);
    const size_t per_image = (size_t)c->g.blocks_o * c->g.blocks_q, words = image_words(&c->g);
    const size_t in_image = (size_t)c->p->c * c->p->h * c->p->w;
    if (!c->xb) {
        uint32_t *own = aligned_alloc(64, sizeof(uint32_t) * words);
        if (!own) abort();
        for (size_t n = i0; n < i1; n++) {
            block_input(c->p, &c->g, c->x + n * in_image, own, 0, c->g.cb);
            run_blocks(emu, c, own, n, 0, (int)per_image);
        }
        free(own);
    } else {
        for (size_t i = i0; i < i1;) { /* the range's runs inside one image */
            const size_t n = i / per_image, end = (n + 1) * per_image < i1 ? (n + 1) * per_image : i1;
            run_blocks(emu, c, c->xb + n * words, n, (int)(i - n * per_image), (int)(end - n * per_image));
            i = end;
        }
    }
    kiln_amx_end(emu);
}

// Rows r = (image, channel block) of the batch into c->xb.
KILN_AMX_TARGET static void block_runner(void *vctx, size_t r0, size_t r1) {
    const amx_ctx *c = (const amx_ctx *)vctx;
    const size_t in_image = (size_t)c->p->c * c->p->h * c->p->w, words = image_words(&c->g);
    for (size_t r = r0; r < r1; r++) {
        const size_t n = r / (size_t)c->g.cb;
        const int cb = (int)(r % (size_t)c->g.cb);
        block_input(c->p, &c->g, c->x + n * in_image, c->xb + n * words, cb, cb + 1);
    }
}

int kiln_conv2d_direct_bf16_amx(const kiln_conv2d_params *p, const float *x, const void *packed, const float *bias,
                                const float *residual, float *y) {
    const unsigned sw = kiln_thread_switches();
    if (sw & (KILN_SWITCH_PORTABLE_GEMM_BF16 | KILN_SWITCH_NO_AMX)) return 0;
    const int emulated = (sw & KILN_SWITCH_EMULATED_AMX) != 0;
    if (emulated ? !kiln_cpu_has_avx512_bf16() : !kiln_cpu_has_amx_bf16()) return 0;
    /* Up to 64 stride phases (geometry's `used`); larger strides stay on vdpbf16ps. */
    if (!kiln_conv2d_direct_bf16_applicable(p) || p->stride_h * p->stride_w > 64) return 0;
    if (kiln_conv2d_direct_bf16_amx_narrow(p, x, packed, bias, residual, y, emulated)) return 1;
    amx_ctx c = {0};
    c.p = p;
    geometry(p, &c.g);
    c.x = x; c.bias = bias; c.residual = residual; c.w = (const uint32_t *)packed; c.y = y;
    c.emulated = emulated;
    const int threads = kiln_get_num_threads();
    if (p->n >= 2 * threads) { /* whole images, each blocked by its runner into its own buffer */
        kiln_parallel_for_balanced((size_t)p->n, 1, 1, amx_runner, &c);
        return 1;
    }
    const size_t words = image_words(&c.g), per_image = (size_t)c.g.blocks_o * c.g.blocks_q;
    if (!(c.xb = aligned_alloc(64, sizeof(uint32_t) * words * p->n))) abort();
    kiln_parallel_for((size_t)p->n * c.g.cb, 1, block_runner, &c);
    /* Thread i's share is a run of output-channel blocks (its part of the weights), claimed
     * four blocks at a time so a thread that falls behind is helped. */
    kiln_parallel_for_balanced((size_t)p->n * per_image, 4, 4, amx_runner, &c);
    free(c.xb);
    return 1;
}

#else /* not x86-64 */

int kiln_conv2d_direct_bf16_amx(const kiln_conv2d_params *p, const float *x, const void *packed, const float *bias,
                                const float *residual, float *y) {
    (void)p, (void)x, (void)packed, (void)bias, (void)residual, (void)y;
    return 0;
}
#endif
