/*
 * kiln_gemm_im2col.c — im2col fused into the packing of the GEMM's B panels, for
 * kiln_conv_gemm.c: each KC x NR panel of the column matrix (rows (c, ky, kx), columns the
 * output pixels of one or more images) is gathered straight from the input, so the column
 * matrix never exists in memory. A portable packer, an AVX-512 one (masked loads per
 * precomputed tap) and, for wide stride-2 kernels (conv1), one that splits input rows into
 * even/odd phase lines once per (c, ky) and copies KW panel rows out of them.
 */
#include "kiln_conv_variants.h"
#include "kiln_gemm.h"

#include <stdint.h>
#include <string.h>

/* At most this many (oy, ox-run) segments cover one NR-column panel: NR pixels can span
 * at most NR output rows. */
#define MAX_SEGMENTS (KILN_GEMM_NR + 1)


/* Cuts the panel's columns [n0, n0 + nc) into runs of pixels within one output row of one
 * image: run s is lanes [j[s], j[s] + len[s]) = pixels (oy[s], ox[s] ..) of the image whose
 * input starts at x + base[s]. Returns the number of runs (at most nc). */
static int cut_segments(const kiln_gemm_im2col *ctx, int n0, int nc, int *oy, int *ox, int *j0,
                        int *len, long *base) {
    const kiln_conv2d_params *p = ctx->p;
    const int ow = p->ow, npix = p->oh * p->ow;
    int segs = 0;
    for (int j = 0; j < nc; segs++) {
        const int pix = n0 + ctx->n_offset + j, local = pix % npix;
        oy[segs] = local / ow; ox[segs] = local % ow; j0[segs] = j;
        len[segs] = ow - ox[segs] < nc - j ? ow - ox[segs] : nc - j;
        base[segs] = (long)(pix / npix) * p->c * p->h * p->w;
        j += len[segs];
    }
    return segs;
}

// dst (kc, NR) = col rows [k0, k0+kc), columns (pixels) [n0, n0+nc), zero past nc.
// Row r = (c, ky, kx); column j = (oy, ox); value x[c, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw]
// or 0 outside the input. The panel's pixels are first cut into runs within one output row,
// so each (row, run) is one bounds computation and a contiguous copy when stride is 1.
static void pack_b_im2col(const void *vctx, int k0, int kc, int n0, int nc, float *dst) {
    const kiln_gemm_im2col *ctx = (const kiln_gemm_im2col *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int h = p->h, w = p->w, sw = p->stride_w;
    int seg_oy[MAX_SEGMENTS], seg_ox[MAX_SEGMENTS], seg_j[MAX_SEGMENTS], seg_len[MAX_SEGMENTS];
    long seg_base[MAX_SEGMENTS];
    const int segs = cut_segments(ctx, n0, nc, seg_oy, seg_ox, seg_j, seg_len, seg_base);
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
            const float *xr = xc + seg_base[s] + (size_t)iy * w + start;
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
    const kiln_gemm_im2col *ctx = (const kiln_gemm_im2col *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int h = p->h, w = p->w, sw = p->stride_w, khw = p->kh * p->kw;
    int seg_oy[MAX_SEGMENTS], seg_ox[MAX_SEGMENTS], seg_j[MAX_SEGMENTS], seg_len[MAX_SEGMENTS];
    long seg_base[MAX_SEGMENTS];
    const int segs = cut_segments(ctx, n0, nc, seg_oy, seg_ox, seg_j, seg_len, seg_base);
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
            e->off = seg_base[s] + (long)iy * w + start - (long)j0 * sw;
            for (int q = 0; q < NV; q++) {
                e->m[q] = (__mmask16)(bits >> (16 * q));
                /* stride 2: lane j's bit spread to source element 2j of the 32-float span */
                e->lo[q] = (__mmask16)_pdep_u32(e->m[q] & 0xFFu, 0x5555u);
                e->hi[q] = (__mmask16)_pdep_u32((unsigned)e->m[q] >> 8, 0x5555u);
            }
        }
    }
    /* Prefetch plan: where each tap reads for the next panel (columns n0 + NR ..), whose
     * rows the caller packs next (same K rows, next NR columns). Why: once the input has
     * left the caches (batch 32), perf showed a third of a stride-2 3x3 convolution waiting
     * in this packer; a panel's rows come from up to KC / (KH*KW) channel planes and two or
     * three input rows each, too many streams for the hardware prefetcher. Prefetching an
     * address past the input (the last panel's "next") is harmless. Only for inputs over
     * KILN_PREFETCH_MIN_BYTES. */
    const int big = (size_t)p->n * p->c * h * w * sizeof(float) > KILN_PREFETCH_MIN_BYTES;
    int nx_oy[MAX_SEGMENTS], nx_ox[MAX_SEGMENTS], nx_j[MAX_SEGMENTS], nx_len[MAX_SEGMENTS];
    long nx_base[MAX_SEGMENTS];
    const int nsegs = big && nc == KILN_GEMM_NR ? cut_segments(ctx, n0 + nc, nc, nx_oy, nx_ox, nx_j, nx_len, nx_base) : 0;
    const int plan = nsegs > 0 && khw * nsegs <= MAX_TAP_LOADS;
    long pf_off[MAX_TAP_LOADS];
    int pf_len[MAX_TAP_LOADS];
    for (int t = 0; plan && t < khw; t++) {
        const int offx = (t % p->kw) * p->dil_w - p->pad_w, offy = (t / p->kw) * p->dil_h - p->pad_h;
        for (int s = 0; s < nsegs; s++) {
            const int iy = nx_oy[s] * p->stride_h + offy, x0 = nx_ox[s] * sw + offx;
            int x1 = x0 + nx_len[s] * sw;
            const int lo = x0 < 0 ? 0 : x0;
            if (x1 > w) x1 = w;
            pf_off[t * nsegs + s] = nx_base[s] + (long)iy * w + lo;
            pf_len[t * nsegs + s] = iy < 0 || iy >= h || x1 <= lo ? 0 : x1 - lo;
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
        if (plan) {
            for (int s = 0; s < nsegs; s++)
                for (int o = 0; o < pf_len[t * nsegs + s]; o += 16)
                    _mm_prefetch((const char *)(xc + pf_off[t * nsegs + s] + o), _MM_HINT_T0);
        } else { /* no plan: the next panel likely continues along the same input rows */
            for (int o = 0; o < span; o += 16)
                _mm_prefetch((const char *)(xc + row[0].off + span + o), _MM_HINT_T0);
        }
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

/* Floats of stack for the stride-2 packer's phase lines (16 KB). */
#define LINE_FLOATS 4096

// The same contract as pack_b_im2col, for stride-2 convolutions (conv1: 3 channels, 7x7).
// Rows (c, ky, kx) with the same (c, ky) read one input row at columns 2 * (ox + q) + r,
// where kx * dw = 2q + r: so per (c, ky) and segment the input row is split once into its
// even (r = 0) and odd (r = 1) phase lines L_r[u] = x[c, iy, 2 * (ox0 + u) - pw + r] (0
// outside the input; two loads and two permutes per 16 u), and each of the KW panel rows is
// one masked load per vector from L_r + q. The per-row gather of the table packer (two loads,
// a permute and a merge per vector and segment, rebuilt per row) is thus shared by KW rows:
// conv1's packing alone takes 0.09-0.16 ms at batch 1 (3-6 ms at batch 32) this way,
// against 0.30 ms (13 ms) for the per-row gather.
// Returns 0 (writing nothing) when the lines do not fit the stack buffer.
__attribute__((target("avx512f,avx512vl,fma")))
static int pack_b_im2col_s2_avx512(const kiln_gemm_im2col *ctx, int k0, int kc, int n0, int nc, float *dst) {
    const kiln_conv2d_params *p = ctx->p;
    const int h = p->h, w = p->w, kw = p->kw, khw = p->kh * kw;
    const int qmax = (kw - 1) * p->dil_w / 2;
    int seg_oy[MAX_SEGMENTS], seg_ox[MAX_SEGMENTS], seg_j[MAX_SEGMENTS], seg_len[MAX_SEGMENTS];
    long seg_base[MAX_SEGMENTS];
    const int segs = cut_segments(ctx, n0, nc, seg_oy, seg_ox, seg_j, seg_len, seg_base);
    int seg_n[MAX_SEGMENTS], seg_line[MAX_SEGMENTS], total = 0; /* line: even, then odd */
    __mmask16 seg_m[MAX_SEGMENTS][NV];
    for (int s = 0; s < segs; s++) {
        seg_n[s] = (seg_len[s] + qmax + 15) / 16 * 16;
        seg_line[s] = total;
        total += 2 * seg_n[s];
        const uint64_t bits = ((seg_len[s] == 64 ? 0 : ((uint64_t)1 << seg_len[s])) - 1) << seg_j[s];
        for (int q = 0; q < NV; q++) seg_m[s][q] = (__mmask16)(bits >> (16 * q));
    }
    if (total > LINE_FLOATS) return 0;
    _Alignas(64) float lines[LINE_FLOATS];
    char row_valid[MAX_SEGMENTS];
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i even = _mm512_add_epi32(lanes, lanes);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i wv = _mm512_set1_epi32(w);
    int c = k0 / khw, ky = (k0 % khw) / kw, kx = k0 % kw, built = 0;
    for (int kk = 0; kk < kc; kk++, dst += KILN_GEMM_NR) {
        if (!built) { /* (c, ky) changed: split its input rows into phase lines */
            const float *xc = ctx->x + (size_t)c * h * w;
            for (int s = 0; s < segs; s++) {
                const int iy = seg_oy[s] * p->stride_h - p->pad_h + ky * p->dil_h;
                row_valid[s] = iy >= 0 && iy < h;
                if (!row_valid[s]) continue;
                const float *xr = xc + seg_base[s] + (size_t)iy * w;
                float *l0 = lines + seg_line[s], *l1 = l0 + seg_n[s];
                const int start = 2 * seg_ox[s] - p->pad_w; /* column of L_0[0] */
                /* The next panel continues along this row: fetch it (cold input at batches). */
                for (int o = 0; o < 96; o += 16)
                    _mm_prefetch((const char *)(xr + start + 2 * seg_n[s] + o), _MM_HINT_T0);
                for (int u = 0; u < seg_n[s]; u += 16) {
                    /* Source columns col .. col + 31; lanes outside [0, w) load as 0 and are
                     * never read. */
                    const int col = start + 2 * u;
                    const __m512i c0 = _mm512_add_epi32(_mm512_set1_epi32(col), lanes);
                    const __m512i c1 = _mm512_add_epi32(c0, _mm512_set1_epi32(16));
                    const __mmask16 v0 = _mm512_cmplt_epu32_mask(c0, wv);
                    const __mmask16 v1 = _mm512_cmplt_epu32_mask(c1, wv); /* unsigned: <0 fails */
                    const __m512 a = _mm512_maskz_loadu_ps(v0, xr + col);
                    const __m512 b = _mm512_maskz_loadu_ps(v1, xr + col + 16);
                    _mm512_store_ps(l0 + u, _mm512_permutex2var_ps(a, even, b));
                    _mm512_store_ps(l1 + u, _mm512_permutex2var_ps(a, odd, b));
                }
            }
            built = 1;
        }
        const int off = kx * p->dil_w, r = off & 1, q = off >> 1;
        __m512 v[NV];
        for (int i = 0; i < NV; i++) v[i] = _mm512_setzero_ps();
        for (int s = 0; s < segs; s++) {
            if (!row_valid[s]) continue;
            /* lane j of the panel reads L_r[q + j - j0] */
            const float *base = lines + seg_line[s] + r * seg_n[s] + q - seg_j[s];
            for (int i = 0; i < NV; i++)
                if (seg_m[s][i]) v[i] = _mm512_mask_loadu_ps(v[i], seg_m[s][i], base + 16 * i);
        }
        for (int i = 0; i < NV; i++) _mm512_storeu_ps(dst + 16 * i, v[i]);
        if (++kx == kw) {
            kx = 0;
            built = 0;
            if (++ky == p->kh) { ky = 0; c++; }
        }
    }
    return 1;
}

static void pack_b_im2col_strided(const void *vctx, int k0, int kc, int n0, int nc, float *dst) {
    if (!pack_b_im2col_s2_avx512((const kiln_gemm_im2col *)vctx, k0, kc, n0, nc, dst))
        pack_b_im2col_avx512(vctx, k0, kc, n0, nc, dst);
}
#endif

/* The packer for this CPU and geometry: on AVX-512 (NR a multiple of 16, at most 64: lane
 * masks are 64 bits) phase lines for stride 2 with KW > 3 (for 3x3 the lines are shared by
 * only 3 rows and measured slower than the table packer: 0.21 vs 0.18 ms), else the table
 * packer; otherwise the portable one. */
// dst (kc, NR) = B rows [k0, k0+kc), columns [n0, n0+nc), zero past nc, for a pointwise
// convolution (B(c, j) = x[image, c, pixel]) times scale[image * C + c]: the multiply of a
// squeeze-excitation block costs nothing here, since packing copies every value anyway,
// while as its own step it reads and writes the whole activation once more.
void kiln_gemm_pack_b_scaled(const void *vctx, int k0, int kc, int n0, int nc, float *dst) {
    const kiln_gemm_im2col *ctx = (const kiln_gemm_im2col *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int npix = p->h * p->w;
    for (int j = 0; j < nc;) { /* one image's run of columns at a time */
        const int pix = n0 + ctx->n_offset + j, image = pix / npix, local = pix % npix;
        const int len = npix - local < nc - j ? npix - local : nc - j;
        const float *src = ctx->x + ((size_t)image * p->c + k0) * npix + local;
        const float *s = ctx->scale + (size_t)image * p->c + k0;
        for (int kk = 0; kk < kc; kk++) {
            const float sv = s[kk];
            const float *sr = src + (size_t)kk * npix;
            float *d = dst + (size_t)kk * KILN_GEMM_NR + j;
            for (int i = 0; i < len; i++) d[i] = sr[i] * sv;
        }
        j += len;
    }
    if (nc < KILN_GEMM_NR)
        for (int kk = 0; kk < kc; kk++) memset(dst + (size_t)kk * KILN_GEMM_NR + nc, 0, sizeof(float) * (KILN_GEMM_NR - nc));
}

kiln_gemm_pack_b_fn kiln_gemm_im2col_packer(const kiln_conv2d_params *p) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (KILN_GEMM_NR % 16 == 0 && KILN_GEMM_NR <= 64 && kiln_gemm_uses_avx512() &&
        __builtin_cpu_supports("bmi2"))
        return p->stride_w == 2 && p->kw > 3 ? pack_b_im2col_strided : pack_b_im2col_avx512;
#endif
    return pack_b_im2col;
}
