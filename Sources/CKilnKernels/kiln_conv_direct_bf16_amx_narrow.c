/*
 * kiln_conv_direct_bf16_amx_narrow.c — kiln_conv2d_direct_bf16's AMX path for at most 4
 * input channels (a CNN's first layer on the RGB image), where 32 channels per K step
 * (kiln_conv_direct_bf16_amx.c) would leave 29 of 32 products zero.
 *
 * Here a K step spans taps instead: each image is rounded once into a zero-padded
 * position-major layout, 4 channels (2 pair words, 8 bytes) per position,
 *   xn[row][col][2] words, rows Hp, cols WN >= Wp,
 * so 8 consecutive positions of one row are 32 bf16: channels 0-3 of taps kw .. kw + 7 of
 * one kernel row. An A tile is 16 output positions of one output row, row i starting at
 * input position (oh*sh + kh*dil_h, (ow0 + i)*sw + kw): a row stride of sw * 8 bytes (rows
 * overlap; tile loads allow it). K steps: KH x ceil(KW / 8) (ResNet's 7x7 stem: 7 steps of
 * 21 useful products in 32, against 147 / 32 = 4.6 steps at full use).
 *
 * W: per call, from the direct_bf16 panels, as B tiles [OC tile][kh][kw block][16 pairs]
 * [16 channels], pair r = (kw block * 8 + r / 2, channel pair r % 2), 0 past KW or C.
 * Blocks of 2 x 2 tiles (2 position tiles, which may lie in different output rows, x 32
 * output channels) and the shared epilogue (kiln_amx_store_tile). Dilation along W is not
 * covered (8 adjacent positions are 8 adjacent taps only at dil_w = 1): the caller checks.
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

typedef struct {
    int hp, wn, kwb, tiles_row, tiles, blocks_q, blocks_o, otiles;
    size_t image; /* words per rounded image */
} narrow_geom;

static void geometry(const kiln_conv2d_params *p, narrow_geom *g) {
    g->hp = p->h + p->pad_h + p->pad_b;
    g->kwb = (p->kw + 7) / 8;
    g->tiles_row = (p->ow + 15) / 16;
    g->tiles = p->oh * g->tiles_row;
    g->blocks_q = (g->tiles + 1) / 2;
    g->blocks_o = (p->oc + 31) / 32;
    g->otiles = 2 * g->blocks_o;
    /* The last tile of a row reads 16 positions and a whole K step past its start. */
    const int reach = (16 * g->tiles_row - 1) * p->stride_w + 8 * g->kwb, wp = p->w + p->pad_w + p->pad_r;
    g->wn = reach > wp ? reach : wp;
    g->image = (size_t)g->hp * g->wn * 2;
}

// One image x: (C <= 4, H, W) -> xn (layout above), 16 positions at a time: channels rounded
// to nearest even in pairs, the two pair words of each position interleaved.
KILN_AMX_TARGET static void round_image(const kiln_conv2d_params *p, const narrow_geom *g, const float *x, uint32_t *xn) {
    const __m512i pairs = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                           23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i first = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i second = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const size_t hw = (size_t)p->h * p->w;
    for (int r = 0; r < g->hp; r++) {
        uint32_t *dst = xn + (size_t)r * g->wn * 2;
        const int ih = r - p->pad_h;
        for (int s = 0; s < g->wn; s += 16) {
            /* lanes whose column is in the image: a contiguous range, loaded in order */
            const int lo = s - p->pad_w < 0 ? p->pad_w - s : 0, hi = p->w + p->pad_w - s < 16 ? p->w + p->pad_w - s : 16;
            __m512 ch[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            if (ih >= 0 && ih < p->h && lo < hi) {
                const __mmask16 m = (__mmask16)(((1u << (hi - lo)) - 1) << lo);
                const float *src = x + (size_t)ih * p->w + (s + lo - p->pad_w);
                for (int c = 0; c < p->c; c++) ch[c] = _mm512_maskz_expandloadu_ps(m, src + c * hw);
            }
            const __m512i p0 = _mm512_permutexvar_epi16(pairs, (__m512i)_mm512_cvtne2ps_pbh(ch[1], ch[0]));
            const __m512i p1 = _mm512_permutexvar_epi16(pairs, (__m512i)_mm512_cvtne2ps_pbh(ch[3], ch[2]));
            const int n = g->wn - s < 16 ? g->wn - s : 16; /* positions left in the row */
            const __mmask16 m0 = n >= 8 ? 0xFFFF : (__mmask16)((1u << (2 * n)) - 1);
            const __mmask16 m1 = n >= 16 ? 0xFFFF : n > 8 ? (__mmask16)((1u << (2 * (n - 8))) - 1) : 0;
            _mm512_mask_storeu_epi32(dst + (size_t)s * 2, m0, _mm512_permutex2var_epi32(p0, first, p1));
            if (m1) _mm512_mask_storeu_epi32(dst + (size_t)s * 2 + 16, m1, _mm512_permutex2var_epi32(p0, second, p1));
        }
    }
}

// The direct_bf16 panels -> wn: [OC tile][kh][kw block] B tiles of 16 pairs x 16 channels.
static void weight_tiles(const kiln_conv2d_params *p, const narrow_geom *g, const uint32_t *w, uint32_t *wn) {
    const int cp = (p->c + 1) / 2, taps = p->kh * p->kw;
    for (int ot = 0; ot < g->otiles; ot++)
        for (int kh = 0; kh < p->kh; kh++)
            for (int kb = 0; kb < g->kwb; kb++) {
                uint32_t *tile = wn + (((size_t)ot * p->kh + kh) * g->kwb + kb) * 256;
                for (int r = 0; r < 16; r++) {
                    const int kw = 8 * kb + r / 2, c2 = r % 2;
                    if (kw < p->kw && c2 < cp) {
                        const size_t t = (size_t)kh * p->kw + kw;
                        memcpy(tile + 16 * r, w + ((size_t)(16 * ot / PANEL) * taps * cp + t * cp + c2) * PANEL + 16 * ot % PANEL,
                               64);
                    } else {
                        memset(tile + 16 * r, 0, 64);
                    }
                }
            }
}

typedef struct {
    const kiln_conv2d_params *p;
    narrow_geom g;
    const float *x, *bias, *residual;
    const uint32_t *wn; /* weight tiles */
    uint32_t *xn;       /* the rounded batch */
    float *y;
    int emulated;
} narrow_ctx;

// Position tile u of one image: the A tile's first word for kernel row 0, kw block 0 (kernel
// row kh, kw block kb are (kh * dil_h * WN + 8 kb) * 2 words further).
static inline const uint32_t *a_tile(const narrow_ctx *c, const uint32_t *xn, int u) {
    const kiln_conv2d_params *p = c->p;
    const int oh = u / c->g.tiles_row, ow0 = u % c->g.tiles_row * 16;
    return xn + ((size_t)oh * p->stride_h * c->g.wn + (size_t)ow0 * p->stride_w) * 2;
}

// Block b of one image into ct (4 tiles: [position tile][channel half]).
KILN_AMX_TARGET static inline __attribute__((always_inline)) void
block_tiles(kiln_amx_emu *emu, const narrow_ctx *c, size_t image, int b, float *ct) {
    const kiln_conv2d_params *p = c->p;
    const int ob = b / c->g.blocks_q, u0 = b % c->g.blocks_q * 2, u1 = u0 + 1 < c->g.tiles ? u0 + 1 : u0;
    const uint32_t *xn = c->xn + image * c->g.image, *a0 = a_tile(c, xn, u0), *a1 = a_tile(c, xn, u1);
    const size_t as = (size_t)p->stride_w * 8; /* bytes from one output position's row to the next */
    if (!emu) __asm__ volatile("" ::: "memory"); /* tileloadd reads memory gcc cannot see */
    T_ZERO(0); T_ZERO(1); T_ZERO(2); T_ZERO(3);
    for (int kh = 0; kh < p->kh; kh++)
        for (int kb = 0; kb < c->g.kwb; kb++) {
            const uint32_t *w0 = c->wn + (((size_t)(2 * ob) * p->kh + kh) * c->g.kwb + kb) * 256;
            const uint32_t *w1 = w0 + (size_t)p->kh * c->g.kwb * 256;
            const size_t step = ((size_t)kh * p->dil_h * c->g.wn + 8 * (size_t)kb) * 2;
            T_LOAD(4, a0 + step, as);
            T_LOAD(5, a1 + step, as);
            T_LOAD(6, w0, 64);
            T_LOAD(7, w1, 64);
            T_DP(0, 4, 6); T_DP(1, 4, 7); T_DP(2, 5, 6); T_DP(3, 5, 7);
        }
    T_STORE(0, ct, 64); T_STORE(1, ct + 256, 64); T_STORE(2, ct + 512, 64); T_STORE(3, ct + 768, 64);
}

// ct of block b of one image into y (the shared epilogue, one run per position tile).
KILN_AMX_TARGET static void store_block(const narrow_ctx *c, size_t image, int b, const float *ct) {
    const kiln_conv2d_params *p = c->p;
    const int ob = b / c->g.blocks_q, u0 = b % c->g.blocks_q * 2, u1 = u0 + 1 < c->g.tiles ? u0 + 1 : u0;
    const size_t npix = (size_t)p->oh * p->ow, out = image * (size_t)p->oc * npix;
    const int o0 = 32 * ob, count = p->oc - o0 < 32 ? p->oc - o0 : 32;
    for (int half = 0; half < (u1 > u0 ? 2 : 1); half++) {
        const int u = half ? u1 : u0, oh = u / c->g.tiles_row, ow0 = u % c->g.tiles_row * 16;
        const __mmask16 mask = p->ow - ow0 >= 16 ? 0xFFFF : (__mmask16)((1u << (p->ow - ow0)) - 1);
        const size_t off = (size_t)oh * p->ow + ow0;
        for (int oc_half = 0; oc_half < 2 && 16 * oc_half < count; oc_half++)
            kiln_amx_store_tile(ct + (size_t)(2 * half + oc_half) * 256, o0 + 16 * oc_half,
                                count - 16 * oc_half < 16 ? count - 16 * oc_half : 16, &mask, &off, 1, npix,
                                c->y + out, c->bias, c->residual ? c->residual + out : NULL, &p->act);
    }
}

// Items (image, output-channel block, position block), consecutive ones sharing weights.
KILN_AMX_TARGET static void block_runner(void *vctx, size_t i0, size_t i1) {
    const narrow_ctx *c = (const narrow_ctx *)vctx;
    kiln_amx_emu *emu = kiln_amx_begin(c->emulated, &kiln_amx_full_tiles);
    /* Each block's epilogue runs after the next block's tile instructions are issued, from a
     * second C buffer, so the vector units work while the tile unit multiplies. */
    const size_t per_image = (size_t)c->g.blocks_o * c->g.blocks_q;
    _Alignas(64) float ct[2][4 * 256];
    for (size_t i = i0; i <= i1; i++) {
        if (i < i1) block_tiles(emu, c, i / per_image, (int)(i % per_image), ct[i & 1]);
        if (i > i0) store_block(c, (i - 1) / per_image, (int)((i - 1) % per_image), ct[(i - 1) & 1]);
    }
    kiln_amx_end(emu);
}

KILN_AMX_TARGET static void round_runner(void *vctx, size_t n0, size_t n1) {
    const narrow_ctx *c = (const narrow_ctx *)vctx;
    for (size_t n = n0; n < n1; n++)
        round_image(c->p, &c->g, c->x + n * (size_t)c->p->c * c->p->h * c->p->w, c->xn + n * c->g.image);
}

int kiln_conv2d_direct_bf16_amx_narrow(const kiln_conv2d_params *p, const float *x, const void *packed,
                                       const float *bias, const float *residual, float *y, int emulated) {
    if (p->c > 4 || p->dil_w != 1) return 0;
    narrow_ctx c = {0};
    c.p = p;
    geometry(p, &c.g);
    c.x = x; c.bias = bias; c.residual = residual; c.y = y; c.emulated = emulated;
    uint32_t *wn = aligned_alloc(64, sizeof(uint32_t) * 256 * (size_t)c.g.otiles * p->kh * c.g.kwb);
    if (!wn || !(c.xn = aligned_alloc(64, (sizeof(uint32_t) * c.g.image * p->n + 63) & ~(size_t)63))) abort();
    weight_tiles(p, &c.g, (const uint32_t *)packed, wn);
    c.wn = wn;
    kiln_parallel_for((size_t)p->n, 1, round_runner, &c);
    kiln_parallel_for_balanced((size_t)p->n * c.g.blocks_o * c.g.blocks_q, 4, 4, block_runner, &c);
    free(c.xn);
    free(wn);
    return 1;
}

#else /* not x86-64 */

int kiln_conv2d_direct_bf16_amx_narrow(const kiln_conv2d_params *p, const float *x, const void *packed,
                                       const float *bias, const float *residual, float *y, int emulated) {
    (void)p, (void)x, (void)packed, (void)bias, (void)residual, (void)y, (void)emulated;
    return 0;
}
#endif
