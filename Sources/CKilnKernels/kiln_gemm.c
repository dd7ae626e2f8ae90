/*
 * kiln_gemm.c — packed sgemm, BLIS style, with the bias/residual/ReLU epilogue fused into
 * the last K block (see kiln_gemm.h for the packed layouts).
 *
 * Loop nest (per call; callers thread it):
 *   for each NC block of columns             (C block M x NC stays in L2)
 *   for each MC block of A panels            (A block MC x KC stays in L2)
 *     for each KC block of K
 *       for each NR-column panel of B        (packed KC x NR, 36 KB, stays in L1)
 *         pack it; for each MR-row panel of A in the block: microkernel MR x NR
 *       (short K blocks: a group of B panels packed at once, each A panel across the group)
 * That nest serves B produced by a packer (im2col). A B matrix already in memory (kiln_gemm,
 * kiln_gemm_range: 1x1 convolutions, Winograd's products) is read in place by the AVX-512
 * tile instead, over all of K per tile (gemm_in_place); a partial last panel is spread over
 * the first panels as one extra column each where it fits, else packed.
 * The microkernel keeps the 8 x 48 tile of C in 24 zmm registers, broadcasts one A value
 * per row and loads three vectors of B per k (8 x 48 measured faster than 14 x 32, 12 x 32
 * and 6 x 64 on Zen 5, and wastes no rows on ResNet's channel counts). The first K block
 * stores, later ones add to C, the last one applies the epilogue; edges use masked
 * loads/stores and narrower tiles (N; at most 8 columns: a matrix-vector product per
 * column) and skipped rows (M).
 *
 * Why a run-time switch instead of -march: this file is compiled into CKilnKernels without
 * -march (eager kernels, in-process autotune) and into generated libraries with
 * -march=native; the AVX-512 functions carry their own target attribute so both builds
 * have them, and the portable microkernel (same packed layouts) runs elsewhere.
 */
#include "kiln_kernels.h" /* kiln_thread_switches */
#include "kiln_gemm.h"
#include "kiln_gemm_tile.h"
#include "kiln_ops_internal.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KILN_GEMM_HAVE_AVX512 1
#include <immintrin.h>
#endif

#define MR KILN_GEMM_MR
#define NR KILN_GEMM_NR
#define KC KILN_GEMM_KC
/* A panels per MC block: 64 * 8 rows * 192 k * 4 bytes = 384 KB of packed A, inside Zen 5's
 * 1 MB L2 with the C tiles beside it; 512 rows cover every ResNet layer in one block, so
 * each B panel is packed once. */
#define MC_PANELS 64
/* Floats of C per NC block (256 KB): with the A block it keeps C in L2 across K blocks; a
 * batch-32 layer's whole output per image (up to 800 KB) would otherwise go to L3 and back
 * once per K block. */
#define C_BLOCK_FLOATS (64 * 1024)

/* One tile: np consecutive A panels (panel q at a + q * a_stride, rows mr <= np * MR in
 * all) times one packed B panel (nr <= NR columns valid). */
typedef void (*microkernel_fn)(int kc, const float *a, size_t a_stride, int np, const float *b,
                               float *c, int ldc, int mr, int nr, const tile_epilogue *e);

/* ------------------------------------------------------------------ packing */

size_t kiln_gemm_packed_a_size(int m, int k) {
    if (m <= 0 || k <= 0) return 0;
    return (size_t)((m + MR - 1) / MR) * MR * (size_t)k;
}

// a: (M, K), row stride lda -> panels of MR rows, k-major: packed[p*MR*K + k*MR + i].
void kiln_gemm_pack_a(int m, int k, const float *a, int lda, float *packed) {
    if (m <= 0 || k <= 0) return;
    const int panels = (m + MR - 1) / MR;
    for (int p = 0; p < panels; p++) {
        float *dst = packed + (size_t)p * MR * k;
        for (int i = 0; i < MR; i++) {
            const int row = p * MR + i;
            if (row < m) {
                const float *src = a + (size_t)row * lda;
                for (int kk = 0; kk < k; kk++) dst[(size_t)kk * MR + i] = src[kk];
            } else {
                for (int kk = 0; kk < k; kk++) dst[(size_t)kk * MR + i] = 0.0f;
            }
        }
    }
}

// packed (kiln_gemm_pack_a's) -> a: (M, K), row stride lda; the padding rows are dropped.
void kiln_gemm_unpack_a(int m, int k, const float *packed, float *a, int lda) {
    for (int row = 0; row < m; row++) {
        const float *src = packed + (size_t)(row / MR) * MR * k + row % MR;
        float *dst = a + (size_t)row * lda;
        for (int kk = 0; kk < k; kk++) dst[kk] = src[(size_t)kk * MR];
    }
}

size_t kiln_gemm_workspace_size(int m, int n, int k) {
    (void)m; (void)n; (void)k;
    return (size_t)KC * NR;
}

// b: (K, N), row stride ldb -> dst (kc, NR): rows k0.., columns n0..n0+nc, zero past nc.
void kiln_gemm_pack_b_matrix(const void *vctx, int k0, int kc, int n0, int nc, float *dst) {
    const kiln_gemm_matrix *ctx = (const kiln_gemm_matrix *)vctx;
    const float *src = ctx->b + (size_t)k0 * ctx->ldb + n0;
    if (nc == NR) {
        for (int kk = 0; kk < kc; kk++, src += ctx->ldb, dst += NR) memcpy(dst, src, sizeof(float) * NR);
    } else {
        for (int kk = 0; kk < kc; kk++, src += ctx->ldb, dst += NR) {
            memcpy(dst, src, sizeof(float) * nc);
            memset(dst + nc, 0, sizeof(float) * (NR - nc));
        }
    }
}

/* ------------------------------------------------------------------ portable microkernel */

// a: (kc, MR) packed, b: (kc, NR) packed, c: (mr, nr) with row stride ldc.
// Plain loops over the same layouts; the compiler vectorises the j loops for its baseline.
static void panel_portable(int kc, const float *a, const float *b, float *c, int ldc,
                           int mr, int nr, const tile_epilogue *e) {
    float acc[MR][NR];
    memset(acc, 0, sizeof acc);
    for (int kk = 0; kk < kc; kk++, a += MR, b += NR)
        for (int i = 0; i < MR; i++) {
            const float av = a[i];
            for (int j = 0; j < NR; j++) acc[i][j] += av * b[j];
        }
    for (int i = 0; i < mr; i++) {
        float *cr = c + (size_t)i * ldc;
        const float *rr = e->residual ? e->residual + (size_t)i * e->ldr : NULL;
        const float bv = e->bias ? e->bias[i] : 0.0f;
        for (int j = 0; j < nr; j++) {
            float v = acc[i][j];
            if (!e->first) v += cr[j];
            if (e->last) {
                v += bv;
                if (rr) v += rr[j];
                if (e->act) v = kiln_act_scalar(e->act, v);
            }
            cr[j] = v;
        }
    }
}

static void microkernel_portable(int kc, const float *a, size_t a_stride, int np,
                                 const float *b, float *c, int ldc, int mr, int nr,
                                 const tile_epilogue *e) {
    for (int q = 0; q < np && q * MR < mr; q++) {
        tile_epilogue eq = *e;
        if (eq.bias) eq.bias += q * MR;
        if (eq.residual) eq.residual += (size_t)q * MR * e->ldr;
        const int rows = mr - q * MR < MR ? mr - q * MR : MR;
        panel_portable(kc, a + q * a_stride, b, c + (size_t)q * MR * ldc, ldc, rows, nr, &eq);
    }
}

/* ------------------------------------------------------------------ AVX-512 microkernel */

#ifdef KILN_GEMM_HAVE_AVX512
#define KILN_AVX512 __attribute__((target("avx512f,avx512vl,fma")))

#define NV (NR / 16) /* zmm vectors per row of the tile */

// The same contract as microkernel_portable, for a tile of `np` consecutive A panels
// (np * MR rows; panel q's values at a + q * a_stride) and at most `nv` vectors of 16
// columns. np and nv are compile-time constants after inlining: np * MR * nv accumulators
// + nv B vectors + 1 broadcast fit the 32 zmm registers, and the fully unrolled loops let
// the compiler keep the accumulator array in registers. Narrow edge tiles skip the vectors
// they do not need instead of computing masked-off columns, and the narrowest (nr <= 16)
// takes three panels at once, so that one B load still feeds 24 FMAs.
#define TALL 3

// Rows [0, rows) of one column (8 values, rows of one panel; c, residual at its first row,
// bias at the panel's) with the epilogue: the ymm column kernels' store.
KILN_AVX512 static inline void column_store(__m256 acc, float *c, int ldc, int rows, const float *bias,
                                            const float *residual, const tile_epilogue *e) {
    float v[MR];
    _mm256_storeu_ps(v, acc);
    for (int i = 0; i < rows; i++) {
        float *cr = c + (size_t)i * ldc, x = v[i];
        if (!e->first) x += *cr;
        if (e->last) {
            if (bias) x += bias[i];
            if (residual) x += residual[(size_t)i * e->ldr];
            if (e->act) x = kiln_act_scalar(e->act, x);
        }
        *cr = x;
    }
}

// col (1 with np = 1, nv = NV; value k at bcol[k * bcol_stride]: dense when packed, B's row stride in place): also the
// matrix's single last column (N = 48 + 1: ResNet's 7x7 layers, and the 49 Winograd tiles of
// its 14x14 and 28x28 layers at batch 1) in the same pass over A, one ymm FMA per k beside the
// tile's 24, where a separate column pass would read the A block a second time.
KILN_AVX512 static inline __attribute__((always_inline)) void
tile_avx512(const int np, const int nv, const int col, int kc, const float *a, size_t a_stride, const float *b,
            const size_t b_stride, const float *bcol, const size_t bcol_stride, float *c, int ldc, int mr, int nr,
            const tile_epilogue *e,
            const float *bnext) {
    __m512 acc[TALL * MR][NV];
    __m256 cacc = _mm256_setzero_ps();
#pragma GCC unroll 24
    for (int i = 0; i < np * MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_ps();
    if (!e->first) /* the tile is read at the end: start fetching it now */
#pragma GCC unroll 24
        for (int i = 0; i < np * MR; i++)
            if (i < mr) _mm_prefetch((const char *)(c + (size_t)i * ldc), _MM_HINT_T0);
    for (int kk = 0; kk < kc; kk++, a += MR, b += b_stride) {
        __m512 bv[NV];
        /* A streams from L3 or DRAM when the weights are cold (batch 1: ResNet-18's 45 MB
         * of weights do not fit L3): fetch 2 KB ahead of each panel's read position (measured
         * best of 0.5, 1, 2 and 4 KB: -15% batch-1 ResNet-18 time on one thread). */
#pragma GCC unroll 4
        for (int q = 0; q < np; q++) _mm_prefetch((const char *)(a + q * a_stride + 512), _MM_HINT_T0);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
        if (bnext) { /* the next column panel's row kk, read in place from memory after this tile */
            const char *q = (const char *)(bnext + (size_t)kk * b_stride);
            _mm_prefetch(q, _MM_HINT_T0);
            _mm_prefetch(q + 64, _MM_HINT_T0);
            _mm_prefetch(q + 128, _MM_HINT_T0);
            _mm_prefetch(q + 192, _MM_HINT_T0);
        }
#pragma GCC unroll 24
        for (int i = 0; i < np * MR; i++) {
            const __m512 av = _mm512_set1_ps(a[(size_t)(i / MR) * a_stride + i % MR]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
        if (col) cacc = _mm256_fmadd_ps(_mm256_loadu_ps(a), _mm256_set1_ps(bcol[(size_t)kk * bcol_stride]), cacc);
    }
    kiln_tile_store_avx512(np * MR, nv, acc, c, ldc, mr, nr, e);
    if (col)
        column_store(cacc, c + NR, ldc, mr < MR ? mr : MR, e->bias, e->residual ? e->residual + NR : NULL, e);
}

// A narrow edge of nc <= NARROW columns (nr == 1: N = 49 = 48 + 1 at ResNet's 7x7 layers;
// nr == 4: N = 196 = 4 * 48 + 4, the 14x14 pixels and the 56x56 layers' Winograd tiles at
// batch 1): per A panel a matrix product of 8 rows (one ymm of A per k) times nc broadcast
// B values, instead of a 16-column tile whose lanes past nc are zero: a column then costs
// half a zmm FMA per panel and k instead of the tile's 8 / nc. Two accumulator sets (even
// and odd k) hide the FMA latency. nc is a compile-time constant after inlining.
#define NARROW 8
KILN_AVX512 static inline __attribute__((always_inline)) void
columns_avx512(const int nc, int kc, const float *a, size_t a_stride, int np, const float *b, float *c, int ldc, int mr,
               const tile_epilogue *e) {
    for (int q = 0; q < np && q * MR < mr; q++) {
        const float *aq = a + q * a_stride;
        __m256 acc0[NARROW], acc1[NARROW];
#pragma GCC unroll 8
        for (int j = 0; j < nc; j++) acc0[j] = acc1[j] = _mm256_setzero_ps();
        int kk = 0;
        for (; kk + 1 < kc; kk += 2) {
            _mm_prefetch((const char *)(aq + (size_t)kk * MR + 512), _MM_HINT_T0);
            const __m256 a0 = _mm256_loadu_ps(aq + (size_t)kk * MR), a1 = _mm256_loadu_ps(aq + (size_t)(kk + 1) * MR);
            const float *b0 = b + (size_t)kk * NR;
#pragma GCC unroll 8
            for (int j = 0; j < nc; j++) {
                acc0[j] = _mm256_fmadd_ps(a0, _mm256_set1_ps(b0[j]), acc0[j]);
                acc1[j] = _mm256_fmadd_ps(a1, _mm256_set1_ps(b0[NR + j]), acc1[j]);
            }
        }
        if (kk < kc) {
            const __m256 a0 = _mm256_loadu_ps(aq + (size_t)kk * MR);
#pragma GCC unroll 8
            for (int j = 0; j < nc; j++) acc0[j] = _mm256_fmadd_ps(a0, _mm256_set1_ps(b[(size_t)kk * NR + j]), acc0[j]);
        }
        const int rows = mr - q * MR < MR ? mr - q * MR : MR;
        float *cq = c + (size_t)q * MR * ldc;
        const float *bias = e->bias ? e->bias + q * MR : NULL;
        const float *res = e->residual ? e->residual + (size_t)q * MR * e->ldr : NULL;
#pragma GCC unroll 8
        for (int j = 0; j < nc; j++)
            column_store(_mm256_add_ps(acc0[j], acc1[j]), cq + j, ldc, rows, bias, res ? res + j : NULL, e);
    }
}

KILN_AVX512 static void narrow_avx512(int kc, const float *a, size_t a_stride, int np, const float *b, float *c, int ldc,
                                      int mr, int nr, const tile_epilogue *e) {
    switch (nr) {
    case 1: columns_avx512(1, kc, a, a_stride, np, b, c, ldc, mr, e); break;
    case 2: columns_avx512(2, kc, a, a_stride, np, b, c, ldc, mr, e); break;
    case 3: columns_avx512(3, kc, a, a_stride, np, b, c, ldc, mr, e); break;
    case 4: columns_avx512(4, kc, a, a_stride, np, b, c, ldc, mr, e); break;
    case 5: columns_avx512(5, kc, a, a_stride, np, b, c, ldc, mr, e); break;
    case 6: columns_avx512(6, kc, a, a_stride, np, b, c, ldc, mr, e); break;
    case 7: columns_avx512(7, kc, a, a_stride, np, b, c, ldc, mr, e); break;
    default: columns_avx512(NARROW, kc, a, a_stride, np, b, c, ldc, mr, e); break;
    }
}

// One 8 x 48 tile and the single column after it (see tile_avx512's col).
KILN_AVX512 static void tile49_avx512(int kc, const float *a, const float *b, const float *bcol, float *c, int ldc,
                                      int mr, const tile_epilogue *e) {
    tile_avx512(1, NV, 1, kc, a, 0, b, NR, bcol, 1, c, ldc, mr, NR, e, NULL);
}

// B read in place (row stride ldb) instead of from a packed panel: see kiln_gemm_range.
KILN_AVX512 static void direct_tile_avx512(int kc, const float *a, const float *b, size_t ldb, float *c, int ldc,
                                           int mr, const tile_epilogue *e) {
    tile_avx512(1, NV, 0, kc, a, 0, b, ldb, NULL, 0, c, ldc, mr, NR, e, NULL);
}

/* Asks for ownership of the tile's rows in the next column panel, written one panel later.
 * Only for outputs of 4 MB and more (MobileNetV2's 16->96 at 112x112, 4.8 MB): their lines
 * come from memory, and the write-allocate of each row stalled its tile's stores (one
 * thread 0.59 -> 0.49 ms). Smaller outputs, still partly cached, lost slightly with it. */
static inline void prefetchw_c(const float *c, int ldc, int mr) {
    for (int i = 0; i < mr; i++) {
        const float *r = c + (size_t)i * ldc;
        __builtin_prefetch(r, 1, 3);
        __builtin_prefetch(r + 16, 1, 3);
        __builtin_prefetch(r + 32, 1, 3);
    }
}
#define KILN_PFW_MIN_FLOATS (1u << 20)

// The same, also prefetching the next column panel's rows (bnext) for the tiles after it.
KILN_AVX512 static void direct_tile_pf_avx512(int kc, const float *a, const float *b, size_t ldb, float *c, int ldc,
                                              int mr, const tile_epilogue *e, const float *bnext) {
    tile_avx512(1, NV, 0, kc, a, 0, b, ldb, NULL, 0, c, ldc, mr, NR, e, bnext);
}

// The same with the single column after the tile (B's last, N = 48 + 1), in place too.
KILN_AVX512 static void direct_tile49_avx512(int kc, const float *a, const float *b, size_t ldb, float *c, int ldc,
                                             int mr, const tile_epilogue *e) {
    tile_avx512(1, NV, 1, kc, a, 0, b, ldb, b + NR, ldb, c, ldc, mr, NR, e, NULL);
}

KILN_AVX512 static void microkernel_avx512(int kc, const float *a, size_t a_stride, int np,
                                           const float *b, float *c, int ldc, int mr, int nr,
                                           const tile_epilogue *e) {
    if (nr <= NARROW) { narrow_avx512(kc, a, a_stride, np, b, c, ldc, mr, nr, e); return; }
    if (np == TALL) { tile_avx512(TALL, 1, 0, kc, a, a_stride, b, NR, NULL, 0, c, ldc, mr, nr, e, NULL); return; }
#if NV >= 3
    if (nr > 32) { tile_avx512(1, NV, 0, kc, a, a_stride, b, NR, NULL, 0, c, ldc, mr, nr, e, NULL); return; }
#endif
#if NV >= 2
    if (nr > 16) { tile_avx512(1, NV >= 3 ? 2 : NV, 0, kc, a, a_stride, b, NR, NULL, 0, c, ldc, mr, nr, e, NULL); return; }
#endif
    tile_avx512(1, 1, 0, kc, a, a_stride, b, NR, NULL, 0, c, ldc, mr, nr, e, NULL);
}

static int check_avx512(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
}
static int cpu_has_avx512(void) {
    static _Atomic int cached = -1;
    return kiln_cpu_check_cached(&cached, check_avx512);
}
#else
static int cpu_has_avx512(void) { return 0; }
#endif

/* A switch of the calling thread (see kiln_thread_set_switch), not of the process. */
void kiln_gemm_force_portable(int force) { kiln_thread_set_switch(KILN_SWITCH_PORTABLE_GEMM, force != 0); }

int kiln_gemm_cpu_has_avx512(void) { return cpu_has_avx512(); }

int kiln_gemm_uses_avx512(void) {
    return !(kiln_thread_switches() & KILN_SWITCH_PORTABLE_GEMM) && cpu_has_avx512();
}

/* The fused last column (tile49_avx512) needs the 8 x 48 AVX-512 tile. */
#if defined(KILN_GEMM_HAVE_AVX512) && NV == 3 && MR == 8
#define KILN_GEMM_FUSE_COLUMN 1
#endif

static microkernel_fn pick_microkernel(void) {
#ifdef KILN_GEMM_HAVE_AVX512
    if (kiln_gemm_uses_avx512()) return microkernel_avx512;
#endif
    return microkernel_portable;
}

/* ------------------------------------------------------------------ driver */

/* Short K blocks (kc <= KC / SHORT_K_GROUP) take the grouped order below. */
#define SHORT_K_GROUP 4

// A short K block of gathered B (e.g. a strided 1x1 with 16 input channels, or a 3x3 with
// few; a B matrix in memory takes gemm_in_place instead) over full B panels from column jr:
// packs as many panels as the KC x NR workspace holds (KC / kc, ending by column `end`),
// then runs each A panel across all of them. Why: with few k per tile, writing
// C dominates; panel by panel, each B panel's tiles write MR-row strips down all M rows (96
// rows of C, 192 bytes each), while here each A panel writes MR rows in runs of up to
// 12 panels (2.3 KB per row), which the caches and prefetchers follow far better, above all
// when other work shares the caches.
// a: the first A panel's column pc, c/bias/residual at its first row, m: rows from there.
// Returns the columns done (a multiple of NR, at least 2 * NR).
static int short_k_group(microkernel_fn kernel, int kc, const float *a, int k_total, int panels, int m,
                         kiln_gemm_pack_b_fn pack_b, const void *ctx, int k, int jr, int end, float *c, int ldc,
                         const float *bias, const float *residual, const tile_epilogue *e0, float *workspace) {
    const int most = KC / kc;
    int g = 0;
    for (; g < most && end - (jr + g * NR) >= NR; g++)
        pack_b(ctx, k, kc, jr + g * NR, NR, workspace + (size_t)g * kc * NR);
    tile_epilogue e = *e0;
    for (int ip = 0; ip < panels; ip++) {
        const int row = ip * MR;
        e.bias = bias ? bias + row : NULL;
        for (int q = 0; q < g; q++) {
            const int col = jr + q * NR;
            e.residual = residual ? residual + (size_t)row * e.ldr + col : NULL;
            kernel(kc, a + (size_t)row * k_total, (size_t)MR * k_total, 1, workspace + (size_t)q * kc * NR,
                   c + (size_t)row * ldc + col, ldc, m - row < MR ? m - row : MR, NR, &e);
        }
    }
    return g * NR;
}

// c (M, N) = a_packed (M, K)[:, k0:k1] . B (K, N)[k0:k1, :] with B produced panel by panel
// by pack_b (called with absolute k); a_packed holds all k_total columns.
void kiln_gemm_with_packer_range(int m, int n, int k0, int k1, int k_total, const float *a_packed,
                                 kiln_gemm_pack_b_fn pack_b, const void *ctx,
                                 float *c, int ldc, const float *bias, const float *residual,
                                 int ldr, const kiln_act *act, float *workspace) {
    if (m <= 0 || n <= 0) return;
    if (k0 < 0) k0 = 0;
    if (k1 < k0) k1 = k0;
    const int k = k1 - k0;
    a_packed += (size_t)k0 * MR; /* column k0 of every panel; panels stay MR * k_total apart */
    const microkernel_fn kernel = pick_microkernel();
    const int panels = (m + MR - 1) / MR;
    /* Columns per NC block: C's block (M x NC) stays in L2 while every K block adds to it. */
    int nc_block = C_BLOCK_FLOATS / (panels * MR) / NR * NR;
    if (nc_block < NR) nc_block = NR;
    for (int jc = 0; jc < n; jc += nc_block) {
    const int jc_end = n - jc < nc_block ? n : jc + nc_block;
    for (int ic = 0; ic < panels; ic += MC_PANELS) {
        const int ic_end = ic + MC_PANELS < panels ? ic + MC_PANELS : panels;
        int pc = 0;
        do { /* runs once for K = 0, so C still gets the epilogue of an empty sum */
            const int kc = k - pc < KC ? k - pc : KC;
            tile_epilogue e = kiln_tile_epilogue(pc, kc, k, act, ldr);
            for (int jr = jc; jr < jc_end; jr += NR) {
                const int nr = n - jr < NR ? n - jr : NR;
#ifdef KILN_GEMM_FUSE_COLUMN
                if (n - jr == NR + 1 && jc_end == n && kernel == microkernel_avx512) {
                    /* The last full panel and the single column after it, in one pass. */
                    /* The column is kept dense (value k at bcol[k]): packed as a 1-column
                     * panel it would sit one float per 192-byte row, 192 lines of L1 beside
                     * the 36 KB B panel and the A stream (ResNet's 7x7 layers). So it is
                     * packed through a small buffer, 16 rows at a time. */
                    _Alignas(64) float bcol[KC], rows[16 * NR];
                    if (kc > 0) {
                        pack_b(ctx, k0 + pc, kc, jr, NR, workspace);
                        for (int k16 = 0; k16 < kc; k16 += 16) {
                            const int kn = kc - k16 < 16 ? kc - k16 : 16;
                            pack_b(ctx, k0 + pc + k16, kn, jr + NR, 1, rows);
                            for (int kk = 0; kk < kn; kk++) bcol[k16 + kk] = rows[(size_t)kk * NR];
                        }
                    }
                    for (int ip = ic; ip < ic_end; ip++) {
                        const int row = ip * MR;
                        e.bias = bias ? bias + row : NULL;
                        e.residual = residual ? residual + (size_t)row * ldr + jr : NULL;
                        tile49_avx512(kc, a_packed + (size_t)row * k_total + (size_t)pc * MR, workspace, bcol,
                                      c + (size_t)row * ldc + jr, ldc, m - row < MR ? m - row : MR, &e);
                    }
                    break;
                }
#endif
                /* The group stops short of a last full panel that the fused column joins. */
                const int group_end = jc_end == n && n % NR == 1 && n > NR ? n - NR - 1 : jc_end;
                if (kc > 0 && KC / kc >= SHORT_K_GROUP && group_end - jr >= 2 * NR) {
                    jr += short_k_group(kernel, kc, a_packed + (size_t)ic * MR * k_total + (size_t)pc * MR, k_total,
                                        ic_end - ic, m - ic * MR, pack_b, ctx, k0 + pc, jr, group_end,
                                        c + (size_t)ic * MR * ldc, ldc, bias ? bias + ic * MR : NULL,
                                        residual ? residual + (size_t)ic * MR * ldr : NULL, &e, workspace) - NR;
                    continue;
                }
                if (kc > 0) pack_b(ctx, k0 + pc, kc, jr, nr, workspace);
                for (int ip = ic; ip < ic_end;) {
                    /* Narrow panels (nr <= 16) take three A panels per tile when there are. */
                    const int np = nr <= 16 && ic_end - ip >= 3 ? 3 : 1;
                    const int row = ip * MR, rows = np * MR;
                    e.bias = bias ? bias + row : NULL;
                    e.residual = residual ? residual + (size_t)row * ldr + jr : NULL;
                    kernel(kc, a_packed + (size_t)row * k_total + (size_t)pc * MR, (size_t)MR * k_total, np,
                           workspace, c + (size_t)row * ldc + jr, ldc, m - row < rows ? m - row : rows,
                           nr, &e);
                    ip += np;
                }
            }
            pc += kc;
        } while (pc < k);
    }
    }
}

void kiln_gemm_with_packer(int m, int n, int k, const float *a_packed,
                           kiln_gemm_pack_b_fn pack_b, const void *ctx,
                           float *c, int ldc, const float *bias, const float *residual, int ldr,
                           const kiln_act *act, float *workspace) {
    if (k < 0) k = 0;
    kiln_gemm_with_packer_range(m, n, 0, k, k, a_packed, pack_b, ctx, c, ldc, bias, residual,
                                ldr, act, workspace);
}

#ifdef KILN_GEMM_HAVE_AVX512
// The column panels of c (M, N) = a_packed[:, k0:k1] . b[k0:k1, :] with B read in place: per
// panel, each A panel's tile runs over all of K in registers. Returns the columns done (the
// rest, a partial panel, is left to the packed path). Why not pack B: a B matrix in memory
// needs no gathering, and its panels are used by few A panels in the 1x1 layers (2-4 in
// MobileNetV2's projections), so the packing copy cost as much as it saved; read in place,
// three rows of 48 floats per k stay in L1/L2 across the A panels. K is not blocked, so C is
// written once with its epilogue. One thread, hot caches, GFLOP/s packed -> in place (M x N x
// K): 16x12544x32 76 -> 99, 24x3136x144 89 -> 110, 96x196x576 101 -> 108 (115 with the wider
// panels below), 576x196x96 101 -> 104, 1280x49x320 101 -> 109-111, 160x49x960 108 -> 110-113.
/* The first A panel's tile of each column panel prefetches the next column panel's rows:
 * read in place, a panel's K rows are K separate 192-byte runs a plane apart (MobileNetV2's
 * 112x112 and 56x56 1x1 layers: 16-144 runs 12544 or 3136 floats apart), more streams than
 * the hardware prefetchers follow, so without it every row of a panel whose input came from
 * memory stalled the tile (one thread: the 32->16 layer at 112x112 0.198 -> 0.147 ms, 96->24
 * at 56x56 0.195 -> 0.146). */
KILN_AVX512 static int gemm_in_place(int m, int n, int k0, int k1, int k_total, const float *a_packed, const float *b,
                                     int ldb, float *c, int ldc, const float *bias, const float *residual, int ldr,
                                     const kiln_act *act) {
    const int full = n / NR * NR, panels = (m + MR - 1) / MR, k = k1 - k0;
    tile_epilogue e = kiln_tile_epilogue(0, k, k, act, ldr);
    b += (size_t)k0 * ldb;
    a_packed += (size_t)k0 * MR;
    /* N = 48j + r with 0 < r <= j (49 at 7x7, 196 = 4 * 49 at 14x14, 784 = 16 * 49 at 28x28,
     * 48j + 16 at 56x56 and 112x112): the first r column panels take one more column each,
     * computed inside their tiles (tile49), so no partial panel is left for a second pass
     * over A with the narrow or packed kernels. Not for short K (< 64), where the unaligned
     * rows of the wider panels cost more than the pass saves (one thread, hot caches, GFLOP/s:
     * 96x196x576 108 -> 115, 384x196x64 103 -> 106, but 192x784x32 104 -> 96). */
    const int wide = k >= 64 && n > full && n - full <= full / NR ? n - full : 0;
    const int pfw = (size_t)m * (size_t)ldc >= KILN_PFW_MIN_FLOATS; /* the whole output's size: ldc is its row */
    for (int g = 0, jr = 0; jr + NR <= n && (wide || jr < full); g++) {
        const int extra = g < wide;
        for (int ip = 0; ip < panels; ip++) {
            const int row = ip * MR;
            e.bias = bias ? bias + row : NULL;
            e.residual = residual ? residual + (size_t)row * ldr + jr : NULL;
            const float *ar = a_packed + (size_t)row * k_total;
            float *cr = c + (size_t)row * ldc + jr;
            const int mr = m - row < MR ? m - row : MR;
            if (pfw && !extra && jr + 2 * NR <= n) prefetchw_c(cr + NR, ldc, mr);
            if (extra) direct_tile49_avx512(k, ar, b + jr, (size_t)ldb, cr, ldc, mr, &e);
            else if (ip == 0 && jr + 2 * NR <= n) direct_tile_pf_avx512(k, ar, b + jr, (size_t)ldb, cr, ldc, mr, &e, b + jr + NR);
            else direct_tile_avx512(k, ar, b + jr, (size_t)ldb, cr, ldc, mr, &e);
        }
        jr += NR + extra;
    }
    return wide ? n : full;
}
#endif

void kiln_gemm_range(int m, int n, int k0, int k1, int k_total, const float *a_packed, const float *b, int ldb,
                     float *c, int ldc, const float *bias, const float *residual, int ldr,
                     const kiln_act *act, float *workspace) {
    if (m <= 0 || n <= 0) return;
    if (k0 < 0) k0 = 0;
    if (k1 < k0) k1 = k0;
#ifdef KILN_GEMM_HAVE_AVX512
    if (n >= NR && kiln_gemm_uses_avx512()) {
        const int done = gemm_in_place(m, n, k0, k1, k_total, a_packed, b, ldb, c, ldc, bias, residual, ldr, act);
        if (done == n) return;
        b += done, c += done, n -= done;
        if (residual) residual += done;
    }
#endif
    const kiln_gemm_matrix ctx = {b, ldb};
    kiln_gemm_with_packer_range(m, n, k0, k1, k_total, a_packed, kiln_gemm_pack_b_matrix, &ctx, c, ldc, bias, residual,
                                ldr, act, workspace);
}

void kiln_gemm(int m, int n, int k, const float *a_packed, const float *b, int ldb,
               float *c, int ldc, const float *bias, const float *residual, int ldr,
               const kiln_act *act, float *workspace) {
    if (k < 0) k = 0;
    kiln_gemm_range(m, n, 0, k, k, a_packed, b, ldb, c, ldc, bias, residual, ldr, act, workspace);
}

// a: (M, K) lda, b: (K, N) ldb, c: (M, N) ldc, residual: (M, N) ldr.
void kiln_gemm_ref(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                   float *c, int ldc, const float *bias, const float *residual, int ldr, const kiln_act *act) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int kk = 0; kk < k; kk++) s += (double)a[(size_t)i * lda + kk] * b[(size_t)kk * ldb + j];
            float v = (float)s;
            if (bias) v += bias[i];
            if (residual) v += residual[(size_t)i * ldr + j];
            if (act) v = kiln_act_scalar(act, v);
            c[(size_t)i * ldc + j] = v;
        }
}
