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
 * masks, no gathers. The tile is 8 output channels x 3 vectors of 16 output pixels (24
 * accumulators, 3 input vectors, 1 broadcast weight: 28 of the 32 zmm registers); per tap it
 * loads each input vector once and broadcasts 8 weights (the packed weights hold the 8
 * channels of a tap side by side), 24 FMAs per 11 loads, the packed GEMM's ratio without its
 * im2col panel. A tile's vectors run on into the next output row (a 112-wide row is 7
 * vectors: a band of 4 rows is 28, in tiles of 3 and 2), so no tile is left with one or two
 * vectors per row. Input rows outside the image read a line of zeros. Output pixels are in
 * the lanes, so the tile stores straight into NCHW rows. Outside the clamp kinds and SiLU
 * (in registers) the activation runs over the stored vectors while they are in L1.
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
#include "kiln_conv_stem.h"
#include "kiln_gemm.h" /* kiln_gemm_uses_avx512: the kernels' one CPU switch */
#include "kiln_act_simd.h"

#include <stdatomic.h>
#include <string.h>

/* Most 16-pixel vectors per tile: 8 x 3 = 24 accumulators. */
#define STEM_MAXV 3

int kiln_conv2d_stem_applicable(const kiln_conv2d_params *p) {
    if (p->groups != 1 || p->c > KILN_STEM_MAX_C || (p->stride_w != 1 && p->stride_w != 2) || p->kw > 64) return 0;
    /* One output row's lines (every channel and phase of the (KH - 1) * DH + 1 input rows
     * it reads) must fit the stack buffer. */
    const int sw = p->stride_w, qmin = -((p->pad_w + sw - 1) / sw);
    const int qmax = ((p->kw - 1) * p->dil_w - p->pad_w) >= 0 ? ((p->kw - 1) * p->dil_w - p->pad_w) / sw : 0;
    const long width = ((long)(p->ow + 15) / 16 * 16 + qmax - qmin + 15) / 16 * 16;
    return (((long)(p->kh - 1) * p->dil_h + 1) * p->c + 1) * sw * width <= STEM_LINE_FLOATS; /* + the zero line */
}

static int stem_k(const kiln_conv2d_params *p) { return p->c * p->kh * p->kw; }

int kiln_stem_shares(const kiln_conv2d_params *p, int threads) {
    return p->n == 1 && threads > 1 && (p->oc + STEM_MR - 1) / STEM_MR >= 2 * threads;
}

void kiln_stem_share(int oc, int pieces, int piece, int *begin, int *end) {
    if (pieces <= 1) {
        *begin = 0, *end = oc;
        return;
    }
    const int blocks = (oc + STEM_MR - 1) / STEM_MR;
    const int b = (int)((size_t)piece * (size_t)blocks / (size_t)pieces) * STEM_MR;
    const int e = (int)((size_t)(piece + 1) * (size_t)blocks / (size_t)pieces) * STEM_MR;
    *begin = b, *end = e < oc ? e : oc;
}

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

double kiln_stem_ref_sum(const kiln_conv2d_params *p, const float *x, const float *packed, int n, int o, int oy, int ox) {
    const int k = stem_k(p);
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
    return s;
}

// The naive twin: the obvious loops over the packed weights, double sums, same epilogue.
// x: (N, C, H, W), packed: kiln_conv2d_stem_pack's, bias: (OC) or NULL, residual and y:
// (N, OC, OH, OW).
void kiln_conv2d_stem_ref(const kiln_conv2d_params *p, const float *x, const float *packed,
                          const float *bias, const float *residual, float *y) {
    const int npix = p->oh * p->ow;
    for (int n = 0; n < p->n; n++)
        for (int o = 0; o < p->oc; o++)
            for (int oy = 0; oy < p->oh; oy++)
                for (int ox = 0; ox < p->ow; ox++) {
                    const size_t at = ((size_t)n * p->oc + o) * npix + (size_t)oy * p->ow + ox;
                    float v = (float)kiln_stem_ref_sum(p, x, packed, n, o, oy, ox) + (bias ? bias[o] : 0.0f);
                    if (residual) v += residual[at];
                    y[at] = kiln_act_scalar(&p->act, v);
                }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define STEM_AVX512 1
#define STEM_FN __attribute__((target("avx512f,avx512vl,fma")))

/* The phase-line geometry of a convolution: line (c, input row, phase r) holds input columns
 * sw * (u + qmin) + r at index u, 0 outside the input, and phase 1 follows phase 0 at
 * `width` floats; tap kx of output pixel ox reads phase r at index ox + off, which is
 * koff[kx] = r * width + off floats from phase 0's index ox. */
typedef struct {
    int sw, qmin, width;       /* stride, first q, floats per line (a multiple of 16) */
    int nvec;                  /* 16-pixel vectors per output row */
    int koff[64];              /* per kx (KW <= 64: guaranteed by the line budget) */
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
        g->koff[kx] = (dd - q * sw) * g->width + q - g->qmin; /* phase dd - q sw, offset q - qmin */
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

/* acc += x * w in registers: left to itself, with 24 accumulators live, the compiler folds
 * a load into every FMA. */
#define STEM_FMA(acc, x, w) __asm__("vfmadd231ps %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w))

/* One tile: output channels [o0, o0 + MR) x NV 16-pixel vectors, vector j at output row
 * oy[j], column 16 * vx[j] (a tile may run from one row into the next). Per tap it loads
 * NV input vectors and broadcasts 8 weights: 24 FMAs per 11 loads at NV = 3, the packed
 * GEMM's ratio without its im2col panel. The accumulators are named variables, not an
 * array: an array operand of the asm above stays in memory. */
#define STEM_ACC(v) __m512 a0##v = _mm512_setzero_ps(), a1##v = a0##v, a2##v = a0##v, a3##v = a0##v, \
                           a4##v = a0##v, a5##v = a0##v, a6##v = a0##v, a7##v = a0##v;
#define STEM_LOAD(v) const __m512 x##v = v < NV ? _mm512_loadu_ps(src##v + ko) : _mm512_setzero_ps();
#define STEM_W(i)                                                                     \
    {                                                                                 \
        const __m512 w = _mm512_set1_ps(wk[i]);                                       \
        STEM_FMA(a##i##0, x0, w);                                                     \
        if (NV > 1) STEM_FMA(a##i##1, x1, w);                                         \
        if (NV > 2) STEM_FMA(a##i##2, x2, w);                                         \
    }
#define STEM_STORE(v)                                                                 \
    if (v < NV) {                                                                     \
        const size_t ro = (size_t)(oy[v] & out->rmask) * p->ow;                       \
        float *yr = out->y + ro;                                                      \
        const float *rr = out->res ? out->res + ro : NULL;                            \
        stem_store(p, a0##v, o0, vx[v], bias, rr, yr, out->plane, clamp, lo, hi);     \
        stem_store(p, a1##v, o0 + 1, vx[v], bias, rr, yr, out->plane, clamp, lo, hi); \
        stem_store(p, a2##v, o0 + 2, vx[v], bias, rr, yr, out->plane, clamp, lo, hi); \
        stem_store(p, a3##v, o0 + 3, vx[v], bias, rr, yr, out->plane, clamp, lo, hi); \
        stem_store(p, a4##v, o0 + 4, vx[v], bias, rr, yr, out->plane, clamp, lo, hi); \
        stem_store(p, a5##v, o0 + 5, vx[v], bias, rr, yr, out->plane, clamp, lo, hi); \
        stem_store(p, a6##v, o0 + 6, vx[v], bias, rr, yr, out->plane, clamp, lo, hi); \
        stem_store(p, a7##v, o0 + 7, vx[v], bias, rr, yr, out->plane, clamp, lo, hi); \
    }

// Output channel o, vector v of a row (yrow, res at the row's start in channel 0's plane,
// planes `plane` floats apart): + bias, + residual, act, masked at the row's end.
STEM_FN static inline __attribute__((always_inline)) void
stem_store(const kiln_conv2d_params *p, __m512 t, int o, int v, const float *bias, const float *res,
           float *yrow, size_t plane, int clamp, float lo, float hi) {
    if (o >= p->oc) return;
    const size_t at = (size_t)o * plane + 16 * v;
    const int left = p->ow - 16 * v;
    const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    if (bias) t = _mm512_add_ps(t, _mm512_set1_ps(bias[o]));
    if (res) t = _mm512_add_ps(t, _mm512_maskz_loadu_ps(m, res + at));
    if (clamp) t = _mm512_min_ps(_mm512_set1_ps(hi), _mm512_max_ps(_mm512_set1_ps(lo), t)); /* NaN passes */
    else if (p->act.kind == KILN_ACT_SILU) /* kiln_act_avx512's SiLU, without its switch */
        t = _mm512_div_ps(t, _mm512_add_ps(_mm512_set1_ps(1.0f), kiln_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), t))));
    _mm512_mask_storeu_ps(yrow + at, m, t);
}

/* The phase lines of the input rows a task split: input row iy's channel c, phase 0, at
 * buf + (iy - iy0) * row_stride + c * c_stride, phase 1 width floats later; `zero` is a
 * line pair of zeros that input rows outside the image read instead. */
typedef struct {
    const float *buf, *zero;
    int iy0, c_stride; /* floats between consecutive channels' lines of one input row */
    int row_stride;    /* floats between consecutive input rows' lines */
} stem_lines;

/* Where a task's output goes: row oy of channel o at y + o * plane + (oy & rmask) * OW, and
 * the residual's at the same offset from res. The convolution's output: its image's planes,
 * rmask -1. The fused max pool's: a ring of STEM_RING rows per channel, rmask STEM_RING - 1. */
typedef struct {
    float *y;
    const float *res;
    size_t plane;
    int rmask;
} stem_out;

static inline const float *stem_line(const kiln_conv2d_params *p, const stem_lines *l, int oy, int c, int ky) {
    const int iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
    if (iy < 0 || iy >= p->h) return l->zero;
    return l->buf + (size_t)(iy - l->iy0) * l->row_stride + (size_t)c * l->c_stride;
}

STEM_FN static inline __attribute__((always_inline)) void
stem_tile(const int NV, const kiln_conv2d_params *p, const stem_geom *g, const stem_lines *l, const int *oy,
          const int *vx, const float *wb, const float *bias, int o0, const stem_out *out) {
    STEM_ACC(0) STEM_ACC(1) STEM_ACC(2)
    const int kw = p->kw;
    for (int c = 0; c < p->c; c++)
        for (int ky = 0; ky < p->kh; ky++, wb += kw * STEM_MR) {
            const float *src0 = stem_line(p, l, oy[0], c, ky) + 16 * vx[0];
            const float *src1 = NV > 1 ? stem_line(p, l, oy[1], c, ky) + 16 * vx[1] : src0;
            const float *src2 = NV > 2 ? stem_line(p, l, oy[2], c, ky) + 16 * vx[2] : src0;
            for (int kx = 0; kx < kw; kx++) {
                const int ko = g->koff[kx];
                const float *wk = wb + kx * STEM_MR;
                STEM_LOAD(0) STEM_LOAD(1) STEM_LOAD(2)
                STEM_W(0) STEM_W(1) STEM_W(2) STEM_W(3) STEM_W(4) STEM_W(5) STEM_W(6) STEM_W(7)
            }
        }
    float lo, hi;
    const int clamp = kiln_act_bounds(&p->act, &lo, &hi);
    STEM_STORE(0) STEM_STORE(1) STEM_STORE(2)
    if (clamp || p->act.kind == KILN_ACT_SILU) return;
    /* Other kinds over the stored vectors while they are in L1: inlined per vector, their
     * code would make the tile spill its accumulators. */
    for (int j = 0; j < NV; j++) {
        const int x0 = 16 * vx[j], len = p->ow - x0 < 16 ? p->ow - x0 : 16;
        for (int i = 0; i < STEM_MR && o0 + i < p->oc; i++)
            kiln_act_span(&p->act, (size_t)len, out->y + (size_t)(o0 + i) * out->plane + (size_t)(oy[j] & out->rmask) * p->ow + x0);
    }
}

#define STEM_TILE(N) \
    STEM_FN static void stem_tile##N(const kiln_conv2d_params *p, const stem_geom *g, const stem_lines *l, const int *oy, \
                                     const int *vx, const float *wb, const float *bias, int o0, const stem_out *out) { \
        stem_tile(N, p, g, l, oy, vx, wb, bias, o0, out); \
    }
STEM_TILE(1) STEM_TILE(2) STEM_TILE(3)
typedef void (*stem_tile_fn)(const kiln_conv2d_params *, const stem_geom *, const stem_lines *, const int *, const int *,
                             const float *, const float *, int, const stem_out *);
static const stem_tile_fn stem_tiles[STEM_MAXV + 1] = {NULL, stem_tile1, stem_tile2, stem_tile3};

/* A runner's line buffer (48 KB, on its stack) and what it holds: the lines of max_rows
 * consecutive input rows (all channels, phases), and at its end the zero line. */
typedef struct {
    stem_geom g;
    float *buf, *zero;
    int line_floats, max_rows;
} stem_work;

STEM_FN static void stem_work_init(const kiln_conv2d_params *p, stem_work *w, float *buf) {
    stem_geometry(p, &w->g);
    w->buf = buf;
    w->line_floats = w->g.sw * w->g.width;
    w->max_rows = (STEM_LINE_FLOATS - w->line_floats) / (p->c * w->line_floats);
    w->zero = buf + STEM_LINE_FLOATS - w->line_floats;
    memset(w->zero, 0, sizeof(float) * (size_t)w->line_floats);
}

// Output rows [oy0, oy1) of one image (xi: its input) for output channels [oc_begin, oc_end)
// into out: per group of rows whose input rows fit the buffer (the whole band for stems; at
// least one row when applicable), split those input rows into lines once, then every channel
// block x output row x vector chunk of the group.
STEM_FN static void stem_band(const kiln_conv2d_params *p, stem_work *w, const float *xi, const float *packed,
                              const float *bias, const stem_out *out, int oy0, int oy1, int oc_begin, int oc_end) {
    const stem_geom *g = &w->g;
    const int k = stem_k(p), line_floats = w->line_floats;
    const size_t plane_in = (size_t)p->h * p->w;
    while (oy0 < oy1) {
        int iy0 = oy0 * p->stride_h - p->pad_h, iy1;
        int rows_end = oy0;
        for (;;) {
            const int next = rows_end + 1;
            const int last = (next - 1) * p->stride_h - p->pad_h + (p->kh - 1) * p->dil_h + 1;
            if (next > oy1 || last - iy0 > w->max_rows) break;
            rows_end = next;
        }
        if (rows_end == oy0) rows_end = oy0 + 1; /* not when applicable */
        iy1 = (rows_end - 1) * p->stride_h - p->pad_h + (p->kh - 1) * p->dil_h + 1;
        for (int iy = iy0; iy < iy1; iy++) {
            if (iy < 0 || iy >= p->h) continue;
            for (int c = 0; c < p->c; c++) {
                float *l0 = w->buf + ((size_t)(iy - iy0) * p->c + c) * line_floats;
                stem_split_row(xi + c * plane_in + (size_t)iy * p->w, p->w, g, l0, l0 + g->width);
            }
        }
        const stem_lines lines = {w->buf, w->zero, iy0, line_floats, p->c * line_floats};
        /* The rows' vectors in row order, in near-equal tiles of at most STEM_MAXV. */
        const int items = (rows_end - oy0) * g->nvec, tiles = (items + STEM_MAXV - 1) / STEM_MAXV;
        for (int o0 = oc_begin; o0 < oc_end; o0 += STEM_MR) {
            const float *wb = packed + (size_t)o0 * k;
            for (int tile = 0; tile < tiles; tile++) {
                const int i0 = tile * items / tiles, i1 = (tile + 1) * items / tiles;
                int oy[STEM_MAXV], vx[STEM_MAXV];
                for (int j = 0; j < i1 - i0; j++) {
                    oy[j] = oy0 + (i0 + j) / g->nvec;
                    vx[j] = (i0 + j) % g->nvec;
                }
                stem_tiles[i1 - i0](p, g, &lines, oy, vx, wb, bias, o0, out);
            }
        }
        oy0 = rows_end;
    }
}

void kiln_stem_rows(const kiln_conv2d_params *p, const float *xi, const float *packed, const float *bias, float *y,
                    size_t plane, int rmask, int oy0, int oy1, int oc_begin, int oc_end, float *buf) {
    stem_work w;
    stem_work_init(p, &w, buf);
    const stem_out out = {y, NULL, plane, rmask};
    stem_band(p, &w, xi, packed, bias, &out, oy0, oy1, oc_begin, oc_end);
}

int kiln_stem_can_run(const kiln_conv2d_params *p) { return kiln_gemm_uses_avx512() && kiln_conv2d_stem_applicable(p); }

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

// Claims (image, band) tasks (with a channel share: takes every band) and computes them.
STEM_FN static void stem_runner(void *vctx, size_t r0, size_t r1) {
    (void)r1;
    stem_ctx *ctx = (stem_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    _Alignas(64) float buf[STEM_LINE_FLOATS];
    stem_work w;
    stem_work_init(p, &w, buf);
    const size_t plane_in = (size_t)p->h * p->w, plane_out = (size_t)p->oh * p->ow;
    int oc_begin, oc_end;
    kiln_stem_share(p->oc, ctx->oc_pieces, (int)r0, &oc_begin, &oc_end);
    /* Every band in order for a channel share, else the next unclaimed one. */
    const int shared = ctx->oc_pieces > 1;
    for (size_t t = shared ? 0 : stem_claim(ctx); t < ctx->tasks; t = shared ? t + 1 : stem_claim(ctx)) {
        const int image = (int)(t / (size_t)ctx->bands), b = (int)(t % (size_t)ctx->bands);
        const stem_out out = {ctx->y + (size_t)image * p->oc * plane_out,
                              ctx->residual ? ctx->residual + (size_t)image * p->oc * plane_out : NULL, plane_out, -1};
        const int oy0 = b * STEM_BAND, oy1 = oy0 + STEM_BAND < p->oh ? oy0 + STEM_BAND : p->oh;
        stem_band(p, &w, ctx->x + (size_t)image * p->c * plane_in, ctx->packed, ctx->bias, &out, oy0, oy1, oc_begin, oc_end);
    }
}
#else
int kiln_stem_can_run(const kiln_conv2d_params *p) { (void)p; return 0; }
void kiln_stem_rows(const kiln_conv2d_params *p, const float *xi, const float *packed, const float *bias, float *y,
                    size_t plane, int rmask, int oy0, int oy1, int oc_begin, int oc_end, float *buf) {
    (void)p, (void)xi, (void)packed, (void)bias, (void)y, (void)plane, (void)rmask, (void)oy0, (void)oy1;
    (void)oc_begin, (void)oc_end, (void)buf; /* never called: kiln_stem_can_run is 0 */
}
#endif

// x: (N, C, H, W), packed: kiln_conv2d_stem_pack(w (OC, C, KH, KW)), bias: (OC) or NULL,
// residual: (N, OC, OH, OW) or NULL, y: (N, OC, OH, OW). Without AVX-512: the twin's loops.
void kiln_conv2d_stem(const kiln_conv2d_params *p, const float *x, const float *packed,
                      const float *bias, const float *residual, float *y) {
#ifdef STEM_AVX512
    if (kiln_stem_can_run(p)) {
        const int bands = (p->oh + STEM_BAND - 1) / STEM_BAND;
        stem_ctx ctx = {p, x, packed, bias, residual, y, bands, (size_t)p->n * bands, 0, 0};
        const int threads = kiln_get_num_threads();
        if (kiln_stem_shares(p, threads)) {
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
