/*
 * kiln_conv_stem.c — direct convolution for few input channels: the first convolution of a
 * CNN ("stem"), 3 channels of a 224x224 image (ResNet's 7x7 stride 2 to 64 channels,
 * MobileNetV2's and EfficientNet's 3x3 stride 2 to 32), with the fused epilogue
 * y = act(conv + bias + residual).
 *
 * Why its own kernel: with C*KH*KW = 27 or 147 the packed GEMM's K is short, so its
 * per-panel costs (gathering a KC x NR im2col panel, loading and storing the 24
 * accumulators, the epilogue) weigh on few multiply-adds, and the panel is built again for
 * every 48 pixels. Here each input row is split once per band of output rows into
 * zero-margined "phase lines" (stride 2: its even and odd columns), so every tap of a
 * 16-pixel output vector is one unaligned load at a fixed offset of a line: no im2col, no
 * masks, no gathers. The tile is 4 output channels x up to 6 vectors of one output row (24
 * accumulators, 4 broadcast weights, 1 input vector: 29 of the 32 zmm registers); per tap
 * it loads each input vector once and broadcasts 4 weights (the packed weights hold the 4
 * channels of a tap side by side). Output pixels are in the lanes, so the tile stores
 * straight into NCHW rows. Outside the clamp kinds and SiLU (in registers) the activation
 * runs over the stored run while it is in L1.
 *
 * Threading: tasks are (image, band of STEM_BAND output rows), claimed dynamically; each
 * builds its band's lines on its own stack. At batch 1 each thread instead takes a share of
 * the output-channel blocks through every band (building every band's lines, a small cost):
 * the next layer (a max pool or depthwise layer split by planes, or a Winograd input
 * transform split by channels) then reads what its own thread wrote, where band-written
 * planes are half the other core's lines, and the layer writing over them later pays to take
 * back lines both cores hold (ResNet-18 batch 1: 0.980x and 0.989x, EfficientNet-B0 0.995x,
 * MobileNetV2 0.998x near and 0.990x far).
 */
#include "kiln_conv_variants.h"
#include "kiln_gemm.h" /* kiln_gemm_uses_avx512: the kernels' one CPU switch */
#include "kiln_act_simd.h"

#include <stdatomic.h>
#include <string.h>

/* Output channels per tile (and per packed weight block). */
#define STEM_MR 4
/* Most 16-pixel vectors per tile: 4 x 6 = 24 accumulators. (4 x 7 with the weights as
 * broadcast memory operands, one 112-wide row per tile, measured no faster.) */
#define STEM_MAXV 6
/* Output rows per task: rows of a band share its input lines (3x3 stride 2: 9 input rows
 * for 4 output rows instead of 12). */
#define STEM_BAND 4
/* Floats of phase lines one task keeps on its stack (48 KB). */
#define STEM_LINE_FLOATS 12288

int kiln_conv2d_stem_applicable(const kiln_conv2d_params *p) {
    if (p->groups != 1 || p->c > KILN_STEM_MAX_C || (p->stride_w != 1 && p->stride_w != 2) || p->kw > 64) return 0;
    /* One output row's lines (every channel and phase of the (KH - 1) * DH + 1 input rows
     * it reads) must fit the stack buffer. */
    const int sw = p->stride_w, qmin = -((p->pad_w + sw - 1) / sw);
    const int qmax = ((p->kw - 1) * p->dil_w - p->pad_w) >= 0 ? ((p->kw - 1) * p->dil_w - p->pad_w) / sw : 0;
    const long width = ((long)(p->ow + 15) / 16 * 16 + qmax - qmin + 15) / 16 * 16;
    return ((long)(p->kh - 1) * p->dil_h + 1) * p->c * sw * width <= STEM_LINE_FLOATS;
}

static int stem_k(const kiln_conv2d_params *p) { return p->c * p->kh * p->kw; }

size_t kiln_conv2d_stem_packed_size(const kiln_conv2d_params *p) {
    return (size_t)(p->oc + STEM_MR - 1) / STEM_MR * STEM_MR * stem_k(p);
}

// w: (OC, C, KH, KW) -> blocks of STEM_MR output channels, tap-major: element (o, k) at
// (o / MR) * MR * K + k * MR + o % MR, k = (c * KH + ky) * KW + kx; 0 past OC.
void kiln_conv2d_stem_pack(const kiln_conv2d_params *p, const float *w, float *packed) {
    const int k = stem_k(p), blocks = (p->oc + STEM_MR - 1) / STEM_MR;
    for (int b = 0; b < blocks; b++)
        for (int t = 0; t < k; t++)
            for (int i = 0; i < STEM_MR; i++) {
                const int o = b * STEM_MR + i;
                packed[((size_t)b * k + t) * STEM_MR + i] = o < p->oc ? w[(size_t)o * k + t] : 0.0f;
            }
}

// The naive twin: the obvious loops over the packed weights, double sums, same epilogue.
// x: (N, C, H, W), packed: kiln_conv2d_stem_pack's, bias: (OC) or NULL, residual and y:
// (N, OC, OH, OW).
void kiln_conv2d_stem_ref(const kiln_conv2d_params *p, const float *x, const float *packed,
                          const float *bias, const float *residual, float *y) {
    const int k = stem_k(p), npix = p->oh * p->ow;
    for (int n = 0; n < p->n; n++)
        for (int o = 0; o < p->oc; o++)
            for (int oy = 0; oy < p->oh; oy++)
                for (int ox = 0; ox < p->ow; ox++) {
                    double s = 0;
                    for (int c = 0; c < p->c; c++)
                        for (int ky = 0; ky < p->kh; ky++)
                            for (int kx = 0; kx < p->kw; kx++) {
                                const int iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
                                const int ix = ox * p->stride_w - p->pad_w + kx * p->dil_w;
                                if (iy < 0 || iy >= p->h || ix < 0 || ix >= p->w) continue;
                                const int t = (c * p->kh + ky) * p->kw + kx;
                                s += (double)x[(((size_t)n * p->c + c) * p->h + iy) * p->w + ix] *
                                     packed[((size_t)(o / STEM_MR) * k + t) * STEM_MR + o % STEM_MR];
                            }
                    const size_t at = ((size_t)n * p->oc + o) * npix + (size_t)oy * p->ow + ox;
                    float v = (float)s + (bias ? bias[o] : 0.0f);
                    if (residual) v += residual[at];
                    y[at] = kiln_act_scalar(&p->act, v);
                }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define STEM_AVX512 1
#define STEM_FN __attribute__((target("avx512f,avx512vl,fma")))

/* The phase-line geometry of a convolution: tap kx of output pixel ox reads line phase
 * r[kx] at index ox + off[kx]; line (c, input row, phase r) holds input columns
 * sw * (u + qmin) + r at index u, 0 outside the input. */
typedef struct {
    int sw, qmin, width;       /* stride, first q, floats per line (a multiple of 16) */
    int nvec;                  /* 16-pixel vectors per output row */
    int r[64], off[64];        /* per kx (KW <= 64: guaranteed by the line budget) */
} stem_geom;

static void stem_geometry(const kiln_conv2d_params *p, stem_geom *g) {
    const int sw = p->stride_w;
    g->sw = sw;
    g->qmin = -((p->pad_w + sw - 1) / sw);
    const int d = (p->kw - 1) * p->dil_w - p->pad_w, qmax = d >= 0 ? d / sw : 0;
    g->nvec = (p->ow + 15) / 16;
    g->width = (g->nvec * 16 + qmax - g->qmin + 15) / 16 * 16;
    for (int kx = 0; kx < p->kw && kx < 64; kx++) {
        const int dd = kx * p->dil_w - p->pad_w;
        const int q = dd >= 0 ? dd / sw : -((-dd + sw - 1) / sw); /* floor(dd / sw) */
        g->r[kx] = dd - q * sw;
        g->off[kx] = q - g->qmin;
    }
}

// line[u] = row[sw * (u + qmin) + r] for u < width, 0 outside [0, w). Stride 2 splits 32
// source floats into 16 even and 16 odd with two permutes; masked loads never touch columns
// outside the row.
STEM_FN static void stem_split_row(const float *row, int w, const stem_geom *g, float *l0, float *l1) {
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i wv = _mm512_set1_epi32(w);
    if (g->sw == 1) {
        for (int u = 0; u < g->width; u += 16) {
            const int col = u + g->qmin;
            const __mmask16 m = _mm512_cmplt_epu32_mask(_mm512_add_epi32(_mm512_set1_epi32(col), lanes), wv);
            _mm512_store_ps(l0 + u, _mm512_maskz_loadu_ps(m, row + col));
        }
        return;
    }
    const __m512i even = _mm512_add_epi32(lanes, lanes);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    for (int u = 0; u < g->width; u += 16) {
        const int col = 2 * (u + g->qmin); /* unsigned compare: columns < 0 fail too */
        const __m512i c0 = _mm512_add_epi32(_mm512_set1_epi32(col), lanes);
        const __mmask16 v0 = _mm512_cmplt_epu32_mask(c0, wv);
        const __mmask16 v1 = _mm512_cmplt_epu32_mask(_mm512_add_epi32(c0, _mm512_set1_epi32(16)), wv);
        const __m512 a = _mm512_maskz_loadu_ps(v0, row + col);
        const __m512 b = _mm512_maskz_loadu_ps(v1, row + col + 16);
        _mm512_store_ps(l0 + u, _mm512_permutex2var_ps(a, even, b));
        _mm512_store_ps(l1 + u, _mm512_permutex2var_ps(a, odd, b));
    }
}

/* acc += x * w in registers: left to itself, with 24 accumulators live, the compiler reads
 * each input vector from memory once per output channel (a load folded into every FMA), 4x
 * the loads; 1.5x slower. */
#define STEM_FMA(acc, x, w) __asm__("vfmadd231ps %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w))

/* One tile: output channels [o0, o0 + MR) x vectors [v0, v0 + NV) of output row oy.
 * lines[(c * KH + ky) * sw + r] is that input row's phase line, NULL for rows outside the
 * image (their taps are skipped). wb: the channel block's packed weights. The accumulators
 * are named variables, not an array: an array operand of the asm above stays in memory. */
#define STEM_ACC(v) __m512 a0##v = _mm512_setzero_ps(), a1##v = a0##v, a2##v = a0##v, a3##v = a0##v;
#define STEM_STEP(v)                                                                  \
    if (v < NV) {                                                                     \
        const __m512 xv = _mm512_loadu_ps(src + 16 * v);                              \
        STEM_FMA(a0##v, xv, w0); STEM_FMA(a1##v, xv, w1);                             \
        STEM_FMA(a2##v, xv, w2); STEM_FMA(a3##v, xv, w3);                             \
    }
#define STEM_STORE(v)                                                                 \
    if (v < NV) {                                                                     \
        stem_store(p, a0##v, o0, v0 + v, bias, res, yrow, clamp, lo, hi);             \
        stem_store(p, a1##v, o0 + 1, v0 + v, bias, res, yrow, clamp, lo, hi);         \
        stem_store(p, a2##v, o0 + 2, v0 + v, bias, res, yrow, clamp, lo, hi);         \
        stem_store(p, a3##v, o0 + 3, v0 + v, bias, res, yrow, clamp, lo, hi);         \
    }

// Output channel o, vector v of the row: + bias, + residual, act, masked at the row's end.
STEM_FN static inline __attribute__((always_inline)) void
stem_store(const kiln_conv2d_params *p, __m512 t, int o, int v, const float *bias, const float *res,
           float *yrow, int clamp, float lo, float hi) {
    if (o >= p->oc) return;
    const size_t at = (size_t)o * p->oh * p->ow + 16 * v;
    const int left = p->ow - 16 * v;
    const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    if (bias) t = _mm512_add_ps(t, _mm512_set1_ps(bias[o]));
    if (res) t = _mm512_add_ps(t, _mm512_maskz_loadu_ps(m, res + at));
    if (clamp) t = _mm512_min_ps(_mm512_set1_ps(hi), _mm512_max_ps(_mm512_set1_ps(lo), t)); /* NaN passes */
    else if (p->act.kind == KILN_ACT_SILU) /* kiln_act_avx512's SiLU, without its switch */
        t = _mm512_div_ps(t, _mm512_add_ps(_mm512_set1_ps(1.0f), kiln_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), t))));
    _mm512_mask_storeu_ps(yrow + at, m, t);
}

STEM_FN static inline __attribute__((always_inline)) void
stem_tile(const int NV, const kiln_conv2d_params *p, const stem_geom *g, const float *const *lines,
          const float *wb, int v0, const float *bias, int o0, const float *res, float *yrow) {
    STEM_ACC(0) STEM_ACC(1) STEM_ACC(2) STEM_ACC(3) STEM_ACC(4) STEM_ACC(5)
    const int kw = p->kw, sw = g->sw;
    for (int ck = 0; ck < p->c * p->kh; ck++, wb += kw * STEM_MR) {
        const float *l0 = lines[ck * sw];
        if (!l0) continue;
        const float *l1 = sw == 2 ? lines[ck * sw + 1] : l0;
        for (int kx = 0; kx < kw; kx++) {
            const float *src = (g->r[kx] ? l1 : l0) + g->off[kx] + 16 * v0;
            const float *wk = wb + kx * STEM_MR;
            const __m512 w0 = _mm512_set1_ps(wk[0]), w1 = _mm512_set1_ps(wk[1]), w2 = _mm512_set1_ps(wk[2]), w3 = _mm512_set1_ps(wk[3]);
            STEM_STEP(0) STEM_STEP(1) STEM_STEP(2) STEM_STEP(3) STEM_STEP(4) STEM_STEP(5)
        }
    }
    float lo, hi;
    const int clamp = kiln_act_bounds(&p->act, &lo, &hi);
    STEM_STORE(0) STEM_STORE(1) STEM_STORE(2) STEM_STORE(3) STEM_STORE(4) STEM_STORE(5)
    if (clamp || p->act.kind == KILN_ACT_SILU) return;
    /* Other kinds over the stored run while it is in L1: inlined per vector, their code
     * would make the tile spill its accumulators. */
    const int x0 = 16 * v0, len = p->ow - x0 < 16 * NV ? p->ow - x0 : 16 * NV;
    for (int i = 0; i < STEM_MR && o0 + i < p->oc; i++)
        kiln_act_span(&p->act, (size_t)len, yrow + (size_t)(o0 + i) * p->oh * p->ow + x0);
}

#define STEM_TILE(N) \
    STEM_FN static void stem_tile##N(const kiln_conv2d_params *p, const stem_geom *g, const float *const *lines, \
                                     const float *wb, int v0, const float *bias, int o0, const float *res, float *yrow) { \
        stem_tile(N, p, g, lines, wb, v0, bias, o0, res, yrow); \
    }
STEM_TILE(1) STEM_TILE(2) STEM_TILE(3) STEM_TILE(4) STEM_TILE(5) STEM_TILE(6)
typedef void (*stem_tile_fn)(const kiln_conv2d_params *, const stem_geom *, const float *const *, const float *, int,
                             const float *, int, const float *, float *);
static const stem_tile_fn stem_tiles[STEM_MAXV + 1] = {NULL, stem_tile1, stem_tile2, stem_tile3, stem_tile4,
                                                       stem_tile5, stem_tile6};

typedef struct {
    const kiln_conv2d_params *p;
    const float *x, *packed, *bias, *residual;
    float *y;
    int bands;            /* per image */
    size_t tasks;
    _Atomic size_t next;
    int oc_pieces;        /* > 1: runner r computes the r-th share of the output channels of every band */
} stem_ctx;

static size_t stem_claim(stem_ctx *ctx) { return atomic_fetch_add_explicit(&ctx->next, 1, memory_order_relaxed); }

// Claims (image, band) tasks (with a channel share: takes every band); per band: split the input rows it reads into lines once, then
// every channel block x output row x vector chunk of the band.
STEM_FN static void stem_runner(void *vctx, size_t r0, size_t r1) {
    (void)r1;
    stem_ctx *ctx = (stem_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    stem_geom g;
    stem_geometry(p, &g);
    const int k = stem_k(p), sw = g.sw;
    const size_t plane_in = (size_t)p->h * p->w, plane_out = (size_t)p->oh * p->ow;
    _Alignas(64) float buf[STEM_LINE_FLOATS];
    /* The buffer holds the lines of max_rows consecutive input rows (all channels, phases). */
    const int max_rows = STEM_LINE_FLOATS / (p->c * sw * g.width);
    const float *lines[STEM_LINE_FLOATS / 16]; /* per (c, ky, phase): c*kh*sw*16 <= the buffer */
    /* Chunks of at most STEM_MAXV vectors, near equal. */
    const int chunks = (g.nvec + STEM_MAXV - 1) / STEM_MAXV;
    /* Output channels [oc_begin, oc_end): runner r0's share of the blocks, or all of them. */
    const int blocks = (p->oc + STEM_MR - 1) / STEM_MR, pieces = ctx->oc_pieces, shared = pieces > 1;
    const int oc_begin = shared ? (int)(r0 * (size_t)blocks / (size_t)pieces) * STEM_MR : 0;
    const int share_end = shared ? (int)((r0 + 1) * (size_t)blocks / (size_t)pieces) * STEM_MR : p->oc;
    const int oc_end = share_end < p->oc ? share_end : p->oc;
    /* Every band in order for a channel share, else the next unclaimed one. */
    for (size_t t = shared ? 0 : stem_claim(ctx); t < ctx->tasks; t = shared ? t + 1 : stem_claim(ctx)) {
        const int image = (int)(t / (size_t)ctx->bands), b = (int)(t % (size_t)ctx->bands);
        const float *xi = ctx->x + (size_t)image * p->c * plane_in;
        int oy0 = b * STEM_BAND, oy1 = oy0 + STEM_BAND < p->oh ? oy0 + STEM_BAND : p->oh;
        /* Output rows [oy0, rows_end) whose input rows [iy0, iy1) fit the buffer at a time
         * (the whole band for stems; at least one row when applicable). */
        while (oy0 < oy1) {
            int iy0 = oy0 * p->stride_h - p->pad_h, iy1;
            int rows_end = oy0;
            for (;;) {
                const int next = rows_end + 1;
                const int last = (next - 1) * p->stride_h - p->pad_h + (p->kh - 1) * p->dil_h + 1;
                if (next > oy1 || last - iy0 > max_rows) break;
                rows_end = next;
            }
            if (rows_end == oy0) rows_end = oy0 + 1; /* not when applicable */
            iy1 = (rows_end - 1) * p->stride_h - p->pad_h + (p->kh - 1) * p->dil_h + 1;
            for (int iy = iy0; iy < iy1; iy++) {
                if (iy < 0 || iy >= p->h) continue;
                for (int c = 0; c < p->c; c++) {
                    float *l0 = buf + ((size_t)(iy - iy0) * p->c + c) * sw * g.width;
                    stem_split_row(xi + c * plane_in + (size_t)iy * p->w, p->w, &g, l0, l0 + g.width);
                }
            }
            for (int o0 = oc_begin; o0 < oc_end; o0 += STEM_MR) {
                const float *wb = ctx->packed + (size_t)o0 * k;
                for (int oy = oy0; oy < rows_end; oy++) {
                    for (int c = 0; c < p->c; c++)
                        for (int ky = 0; ky < p->kh; ky++) {
                            const int iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
                            const int ck = c * p->kh + ky;
                            const float *l0 = iy < 0 || iy >= p->h ? NULL
                                            : buf + ((size_t)(iy - iy0) * p->c + c) * sw * g.width;
                            lines[ck * sw] = l0;
                            if (sw == 2) lines[ck * sw + 1] = l0 ? l0 + g.width : NULL;
                        }
                    const size_t yoff = (size_t)image * p->oc * plane_out + (size_t)oy * p->ow;
                    float *yrow = ctx->y + yoff;
                    const float *res = ctx->residual ? ctx->residual + yoff : NULL;
                    for (int ch = 0; ch < chunks; ch++) {
                        const int v0 = ch * g.nvec / chunks, v1 = (ch + 1) * g.nvec / chunks;
                        stem_tiles[v1 - v0](p, &g, lines, wb, v0, ctx->bias, o0, res, yrow);
                    }
                }
            }
            oy0 = rows_end;
        }
    }
}
#endif

// x: (N, C, H, W), packed: kiln_conv2d_stem_pack(w (OC, C, KH, KW)), bias: (OC) or NULL,
// residual: (N, OC, OH, OW) or NULL, y: (N, OC, OH, OW). Without AVX-512: the twin's loops.
void kiln_conv2d_stem(const kiln_conv2d_params *p, const float *x, const float *packed,
                      const float *bias, const float *residual, float *y) {
#ifdef STEM_AVX512
    if (kiln_gemm_uses_avx512() && kiln_conv2d_stem_applicable(p)) {
        const int bands = (p->oh + STEM_BAND - 1) / STEM_BAND;
        stem_ctx ctx = {p, x, packed, bias, residual, y, bands, (size_t)p->n * bands, 0, 0};
        const int threads = kiln_get_num_threads();
        if (p->n == 1 && threads > 1 && (p->oc + STEM_MR - 1) / STEM_MR >= 2 * threads) {
            ctx.oc_pieces = threads;
            kiln_parallel_for((size_t)threads, 1, stem_runner, &ctx);
            return;
        }
        const size_t runners = ctx.tasks < (size_t)threads ? ctx.tasks : (size_t)threads;
        kiln_parallel_for(runners, 1, stem_runner, &ctx);
        return;
    }
#endif
    kiln_conv2d_stem_ref(p, x, packed, bias, residual, y);
}
