/*
 * kiln_gemm_bf16.c — packed bf16 GEMM with fp32 accumulation (layouts in kiln_gemm_bf16.h).
 *
 * The loop nest is kiln_gemm.c's (C block in L2, A block, K blocks, NR-column B panels in
 * L1) with one step added to the B packing: the fp32 packer (im2col fused, kiln_gemm_im2col.c)
 * writes a KC x NR fp32 panel into L1, and two of its rows at a time are rounded to bf16 and
 * interleaved into the pair layout vdpbf16ps reads (vcvtne2ps2bf16 + one vpermw per 16
 * columns). The microkernel keeps an 8 x 48 fp32 tile in 24 zmm accumulators and per K pair
 * loads three B vectors (32 bf16 each) and broadcasts one A pair per row: 24 vdpbf16ps do
 * the work of 48 fp32 FMAs, and the A panels (the weights) are half the bytes.
 */
#include "kiln_kernels.h" /* kiln_thread_switches */
#include "kiln_gemm_bf16.h"
#include "kiln_gemm_tile.h"
#include "kiln_ops_internal.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KILN_BF16_HAVE_AVX512 1
#include <immintrin.h>
#endif

#define MR KILN_GEMM_BF16_MR
#define NR KILN_GEMM_BF16_NR
#define KC KILN_GEMM_BF16_KC
#define MC_PANELS 64             /* as kiln_gemm.c: 512 rows per A block */
#define C_BLOCK_FLOATS (64 * 1024)
#define TALL 3                   /* A panels per tile for narrow B panels (nr <= 16) */

#if (KC % 2) != 0
#error "KILN_GEMM_BF16_KC must be even: K blocks start on pairs"
#endif

/* ------------------------------------------------------------------ conversions */

uint16_t kiln_bf16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7F800000u) == 0x7F800000u) /* inf stays inf; NaN stays NaN (quiet bit set) */
        return (uint16_t)((u >> 16) | ((u & 0x007FFFFFu) ? 0x0040u : 0u));
    if ((u & 0x7F800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u); /* subnormal -> +-0 */
    u += 0x7FFFu + ((u >> 16) & 1u); /* round to nearest, ties to even */
    return (uint16_t)(u >> 16);
}

float kiln_bf16_to_float(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ------------------------------------------------------------------ packing A */

static int pairs_of(int k) { return (k + 1) / 2; }

size_t kiln_gemm_bf16_packed_a_size(int m, int k) {
    if (m <= 0 || k <= 0) return 0;
    return (size_t)((m + MR - 1) / MR) * MR * (size_t)(2 * pairs_of(k));
}

// a: (M, K), row stride lda -> panels of MR rows, K pairs interleaved:
// packed[p*MR*KP + q*2*MR + 2*i + h] = bf16(a[p*MR + i][2q + h]), 0 past M or K.
void kiln_gemm_bf16_pack_a(int m, int k, const float *a, int lda, uint16_t *packed) {
    if (m <= 0 || k <= 0) return;
    const int kp = 2 * pairs_of(k), panels = (m + MR - 1) / MR;
    for (int p = 0; p < panels; p++) {
        uint16_t *dst = packed + (size_t)p * MR * kp;
        for (int i = 0; i < MR; i++) {
            const int row = p * MR + i;
            for (int kk = 0; kk < kp; kk++)
                dst[(size_t)(kk / 2) * 2 * MR + 2 * i + (kk & 1)] =
                    row < m && kk < k ? kiln_bf16_from_float(a[(size_t)row * lda + kk]) : 0;
        }
    }
}

/* ------------------------------------------------------------------ tile epilogue */

/* One tile: np A panels (panel q at a + q * a_stride, mr <= np * MR rows valid) times one
 * bf16 B panel (nr <= NR columns valid), over `pairs` K pairs. */
typedef void (*microkernel_fn)(int pairs, const uint16_t *a, size_t a_stride, int np, const uint16_t *b,
                               float *c, int ldc, int mr, int nr, const tile_epilogue *e);

// The fp32 epilogue of one accumulated value (kiln_conv2d's order: + C when not the first K
// block, then on the last: + bias, + residual, act).
static inline float epilogue_scalar(float v, const float *cr, int i, int j, const tile_epilogue *e) {
    if (!e->first) v += cr[j];
    if (e->last) {
        if (e->bias) v += e->bias[i];
        if (e->residual) v += e->residual[(size_t)i * e->ldr + j];
        if (e->act) v = kiln_act_scalar(e->act, v);
    }
    return v;
}

/* ------------------------------------------------------------------ portable microkernel */

static void microkernel_portable(int pairs, const uint16_t *a, size_t a_stride, int np, const uint16_t *b,
                                 float *c, int ldc, int mr, int nr, const tile_epilogue *e) {
    for (int q = 0; q < np && q * MR < mr; q++) {
        const uint16_t *aq = a + q * a_stride;
        float acc[MR][NR];
        memset(acc, 0, sizeof acc);
        for (int t = 0; t < pairs; t++)
            for (int i = 0; i < MR; i++) {
                const float a0 = kiln_bf16_to_float(aq[(size_t)t * 2 * MR + 2 * i]);
                const float a1 = kiln_bf16_to_float(aq[(size_t)t * 2 * MR + 2 * i + 1]);
                const uint16_t *bt = b + (size_t)t * 2 * NR;
                for (int j = 0; j < NR; j++)
                    acc[i][j] += a0 * kiln_bf16_to_float(bt[2 * j]) + a1 * kiln_bf16_to_float(bt[2 * j + 1]);
            }
        const int rows = mr - q * MR < MR ? mr - q * MR : MR;
        for (int i = 0; i < rows; i++) {
            float *cr = c + (size_t)(q * MR + i) * ldc;
            for (int j = 0; j < nr; j++) cr[j] = epilogue_scalar(acc[i][j], cr, q * MR + i, j, e);
        }
    }
}

// fp32 panel (kc, NR) -> bf16 pairs: dst[q*2*NR + 2*j + h] = bf16(src[(2q + h)*NR + j]),
// the odd row past kc is 0.
static void convert_panel_portable(int kc, const float *src, uint16_t *dst) {
    for (int q = 0; q < (kc + 1) / 2; q++)
        for (int j = 0; j < NR; j++) {
            dst[(size_t)q * 2 * NR + 2 * j] = kiln_bf16_from_float(src[(size_t)2 * q * NR + j]);
            dst[(size_t)q * 2 * NR + 2 * j + 1] = 2 * q + 1 < kc ? kiln_bf16_from_float(src[(size_t)(2 * q + 1) * NR + j]) : 0;
        }
}

/* ------------------------------------------------------------------ AVX512_BF16 */

#ifdef KILN_BF16_HAVE_AVX512
#define KILN_BF16 __attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl,fma"))) /* fma: kiln_gemm_tile.h inlines */
#define NV (NR / 16)

// As kiln_gemm.c's tile_avx512: np and nv are constants after inlining, so the np*MR x nv
// accumulators stay in registers (at most 24 + nv B vectors + 1 broadcast).
// col (1 with np = 1, nv = NV; bcol: its bf16 pair panel, pair t at bcol[t * 2 * NR]): also
// the matrix's single last column (N = 48 + 1: the 49 Winograd tiles of a 14x14 layer at
// batch 1 in F(2,3), ResNet's 7x7 1x1 layers) in the same pass over A, one ymm vdpbf16ps per
// K pair beside the tile's 24 (a pair of A for 8 rows is one ymm), where a separate column
// tile would read the A block a second time (256x49x256: 42.7 us against 30.9 for 48 columns).
KILN_BF16 static inline __attribute__((always_inline)) void
tile_bf16(const int np, const int nv, const int col, int pairs, const uint16_t *a, size_t a_stride, const uint16_t *b,
          const uint16_t *bcol, float *c, int ldc, int mr, int nr, const tile_epilogue *e) {
    __m256 cacc = _mm256_setzero_ps();
    __m512 acc[TALL * MR][NV];
#pragma GCC unroll 24
    for (int i = 0; i < np * MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_ps();
    for (int t = 0; t < pairs; t++, a += 2 * MR, b += 2 * NR) {
        __m512bh bv[NV];
        /* The weights stream from memory at batch 1: fetch ahead, as the fp32 kernel does
         * (1 KB here: the same distance in K as its 2 KB, pairs are half the bytes). */
#pragma GCC unroll 4
        for (int q = 0; q < np; q++) _mm_prefetch((const char *)(a + q * a_stride + 512), _MM_HINT_T0);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) bv[v] = (__m512bh)_mm512_loadu_si512(b + 32 * v);
#pragma GCC unroll 24
        for (int i = 0; i < np * MR; i++) {
            uint32_t pair;
            memcpy(&pair, a + (size_t)(i / MR) * a_stride + 2 * (i % MR), sizeof pair);
            const __m512bh av = (__m512bh)_mm512_set1_epi32((int)pair);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], av, bv[v]);
        }
        if (col) {
            uint32_t pair;
            memcpy(&pair, bcol + (size_t)t * 2 * NR, sizeof pair);
            cacc = _mm256_dpbf16_ps(cacc, (__m256bh)_mm256_loadu_si256((const __m256i *)a),
                                    (__m256bh)_mm256_set1_epi32((int)pair));
        }
    }
    kiln_tile_store_avx512(np * MR, nv, acc, c, ldc, mr, nr, e);
    if (col) {
        float v[MR];
        _mm256_storeu_ps(v, cacc);
        for (int i = 0; i < mr && i < MR; i++) {
            float *cr = c + (size_t)i * ldc;
            cr[NR] = epilogue_scalar(v[i], cr, i, NR, e);
        }
    }
}

// One 8 x 48 tile and the single column after it (see tile_bf16's col).
KILN_BF16 static void tile49_bf16(int pairs, const uint16_t *a, const uint16_t *b, const uint16_t *bcol, float *c,
                                  int ldc, int mr, const tile_epilogue *e) {
    tile_bf16(1, NV, 1, pairs, a, 0, b, bcol, c, ldc, mr, NR, e);
}

KILN_BF16 static void microkernel_bf16(int pairs, const uint16_t *a, size_t a_stride, int np, const uint16_t *b,
                                       float *c, int ldc, int mr, int nr, const tile_epilogue *e) {
    if (np == TALL) { tile_bf16(TALL, 1, 0, pairs, a, a_stride, b, NULL, c, ldc, mr, nr, e); return; }
    if (nr > 32) { tile_bf16(1, 3, 0, pairs, a, a_stride, b, NULL, c, ldc, mr, nr, e); return; }
    if (nr > 16) { tile_bf16(1, 2, 0, pairs, a, a_stride, b, NULL, c, ldc, mr, nr, e); return; }
    tile_bf16(1, 1, 0, pairs, a, a_stride, b, NULL, c, ldc, mr, nr, e);
}

// convert_panel_portable's contract: per pair of rows and 16 columns, one vcvtne2ps2bf16
// (round to nearest even: row 2q in the low 16 words, row 2q+1 in the high) and one vpermw
// that interleaves them into (row 2q, row 2q+1) pairs per column.
KILN_BF16 static void convert_panel_bf16(int kc, const float *src, uint16_t *dst) {
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512 zero = _mm512_setzero_ps();
    for (int q = 0; q < (kc + 1) / 2; q++) {
        const float *r0 = src + (size_t)2 * q * NR, *r1 = r0 + NR;
        const int odd = 2 * q + 1 < kc;
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++) {
            const __m512 lo = _mm512_loadu_ps(r0 + 16 * v), hi = odd ? _mm512_loadu_ps(r1 + 16 * v) : zero;
            const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
            _mm512_storeu_si512(dst + (size_t)q * 2 * NR + 32 * v, _mm512_permutexvar_epi16(interleave, both));
        }
    }
}

static int check_bf16(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
}
static int cpu_has_bf16(void) {
    static _Atomic int cached = -1;
    return kiln_cpu_check_cached(&cached, check_bf16);
}
#else
static int cpu_has_bf16(void) { return 0; }
#endif

/* A switch of the calling thread (see kiln_thread_set_switch), not of the process. */
void kiln_gemm_bf16_force_portable(int force) { kiln_thread_set_switch(KILN_SWITCH_PORTABLE_GEMM_BF16, force != 0); }

int kiln_gemm_bf16_portable_forced(void) { return (kiln_thread_switches() & KILN_SWITCH_PORTABLE_GEMM_BF16) != 0; }

int kiln_cpu_has_avx512_bf16(void) { return cpu_has_bf16(); }

static int use_bf16(void) { return !kiln_gemm_bf16_portable_forced() && cpu_has_bf16(); }

/* ------------------------------------------------------------------ driver */

void kiln_gemm_bf16_with_packer_range(int m, int n, int k0, int k1, int k_total, const uint16_t *a_packed,
                                      kiln_gemm_pack_b_fn pack_b, const void *ctx,
                                      float *c, int ldc, const float *bias, const float *residual,
                                      int ldr, const kiln_act *act) {
    if (m <= 0 || n <= 0) return;
    if (act && act->kind == KILN_ACT_NONE) act = NULL;
    if (k0 < 0) k0 = 0;
    k0 &= ~1; /* pairs: a range starts on an even column */
    if (k1 < k0) k1 = k0;
    const int k = k1 - k0, kp_total = 2 * pairs_of(k_total);
    a_packed += (size_t)k0 * MR; /* pair k0/2 of every panel (2 * MR elements per pair) */
    if (kiln_gemm_bf16_amx_range(m, n, k0, k, kp_total, a_packed, pack_b, ctx, c, ldc, bias, residual, ldr, act)) return;
    microkernel_fn kernel = microkernel_portable;
    void (*convert)(int, const float *, uint16_t *) = convert_panel_portable;
#ifdef KILN_BF16_HAVE_AVX512
    if (use_bf16()) { kernel = microkernel_bf16; convert = convert_panel_bf16; }
#endif
    _Alignas(64) float fpanel[KC * NR];          /* the fp32 packer's panel (36 KB, L1) */
    _Alignas(64) uint16_t bpanel[KC * NR];       /* its bf16 pairs (18 KB) */
    const int panels = (m + MR - 1) / MR;
    int nc_block = C_BLOCK_FLOATS / (panels * MR) / NR * NR;
    if (nc_block < NR) nc_block = NR;
    for (int jc = 0; jc < n; jc += nc_block) {
        const int jc_end = n - jc < nc_block ? n : jc + nc_block;
        for (int ic = 0; ic < panels; ic += MC_PANELS) {
            const int ic_end = ic + MC_PANELS < panels ? ic + MC_PANELS : panels;
            int pc = 0;
            do { /* once for K = 0, so C still gets the epilogue of an empty sum */
                const int kc = k - pc < KC ? k - pc : KC;
                tile_epilogue e = kiln_tile_epilogue(pc, kc, k, act, ldr);
                for (int jr = jc; jr < jc_end; jr += NR) {
                    const int nr = n - jr < NR ? n - jr : NR;
#if defined(KILN_BF16_HAVE_AVX512) && NV == 3 && MR == 8
                    if (n - jr == NR + 1 && jc_end == n && kernel == microkernel_bf16) {
                        /* The last full panel and the single column after it, in one pass. */
                        _Alignas(64) uint16_t bcol[KC * NR];
                        if (kc > 0) {
                            pack_b(ctx, k0 + pc, kc, jr, NR, fpanel);
                            convert(kc, fpanel, bpanel);
                            pack_b(ctx, k0 + pc, kc, jr + NR, 1, fpanel);
                            convert(kc, fpanel, bcol);
                        }
                        for (int ip = ic; ip < ic_end; ip++) {
                            const int row = ip * MR;
                            e.bias = bias ? bias + row : NULL;
                            e.residual = residual ? residual + (size_t)row * ldr + jr : NULL;
                            tile49_bf16((kc + 1) / 2, a_packed + (size_t)row * kp_total + (size_t)pc * MR, bpanel, bcol,
                                        c + (size_t)row * ldc + jr, ldc, m - row < MR ? m - row : MR, &e);
                        }
                        break;
                    }
#endif
                    if (kc > 0) {
                        pack_b(ctx, k0 + pc, kc, jr, nr, fpanel);
                        convert(kc, fpanel, bpanel);
                    }
                    for (int ip = ic; ip < ic_end;) {
                        const int np = nr <= 16 && ic_end - ip >= TALL ? TALL : 1;
                        const int row = ip * MR, rows = np * MR;
                        e.bias = bias ? bias + row : NULL;
                        e.residual = residual ? residual + (size_t)row * ldr + jr : NULL;
                        kernel((kc + 1) / 2, a_packed + (size_t)row * kp_total + (size_t)pc * MR, (size_t)MR * kp_total, np,
                               bpanel, c + (size_t)row * ldc + jr, ldc, m - row < rows ? m - row : rows, nr, &e);
                        ip += np;
                    }
                }
                pc += kc;
            } while (pc < k);
        }
    }
}

void kiln_gemm_bf16(int m, int n, int k, const uint16_t *a_packed, const float *b, int ldb,
                    float *c, int ldc, const float *bias, const float *residual, int ldr, const kiln_act *act) {
    const kiln_gemm_matrix ctx = {b, ldb};
    if (k < 0) k = 0;
    kiln_gemm_bf16_with_packer_range(m, n, 0, k, k, a_packed, kiln_gemm_pack_b_matrix, &ctx, c, ldc, bias, residual, ldr, act);
}

// a: (M, K) lda, b: (K, N) ldb, c: (M, N) ldc, residual: (M, N) ldr; operands rounded to bf16.
void kiln_gemm_bf16_ref(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                        float *c, int ldc, const float *bias, const float *residual, int ldr, const kiln_act *act) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int kk = 0; kk < k; kk++)
                s += (double)kiln_bf16_to_float(kiln_bf16_from_float(a[(size_t)i * lda + kk])) *
                     kiln_bf16_to_float(kiln_bf16_from_float(b[(size_t)kk * ldb + j]));
            float v = (float)s;
            if (bias) v += bias[i];
            if (residual) v += residual[(size_t)i * ldr + j];
            if (act) v = kiln_act_scalar(act, v);
            c[(size_t)i * ldc + j] = v;
        }
}
