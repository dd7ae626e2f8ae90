/*
 * kiln_gemm_bf16_amx.c — kiln_gemm_bf16's product on AMX tiles (Intel Sapphire Rapids and
 * later: AMX-TILE + AMX-BF16), chosen at run time over the vdpbf16ps microkernel.
 *
 * Computed transposed, so the weights keep the one packed layout of kiln_gemm_bf16.h and a
 * library packed on any AVX512_BF16 machine runs here unchanged: TDPBF16PS multiplies
 * A (rows x 32 bf16 of K) by B (16 K pairs x columns x 2), and a packed weight panel already
 * is such a B (pair q of 8 rows is 32 contiguous bytes), so
 *
 *   C^T (16 pixels x 8 rows) += X^T (16 pixels x 32 K, the activations) . W (16 pairs x 8 x 2)
 *
 * The activations' fp32 panel (the packers' KC x NR, im2col fused as before) is turned into
 * X^T once per panel: per pixel, 32 K values by two strided gathers and one vcvtne2ps2bf16
 * (round to nearest even, as the vdpbf16ps path rounds). Tiles: tmm0-5 accumulate C^T for
 * 2 weight panels x 3 pixel groups (16 x 48 of C), tmm6 holds one pixel group's K step,
 * tmm7 one panel's 16 K pairs. C^T is stored to a scratch tile and gathered back into
 * rows, and the shared tile epilogue (kiln_gemm_tile.h) writes C exactly as the other
 * microkernels do.
 *
 * The same code runs on an emulated tile unit (amx_emu: TDPBF16PS as the Intel SDM states
 * it, in C), so tests exercise the layouts, the K tails and the epilogue on any AVX-512
 * machine (kiln_gemm_bf16_set_amx). On a real AMX CPU the path is taken only after Linux
 * grants the tile state (arch_prctl ARCH_REQ_XCOMP_PERM) and a self-check of one product
 * against the emulation agrees; otherwise Kiln says why on stderr and keeps vdpbf16ps.
 */
#include "kiln_kernels.h" /* kiln_thread_switches */
#include "kiln_gemm_bf16.h"
#include "kiln_gemm_tile.h"
#include "kiln_amx_tiles.h"
#include "kiln_ops_internal.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define MR KILN_GEMM_BF16_MR
#define NR KILN_GEMM_BF16_NR
#define KC KILN_GEMM_BF16_KC
#define MC_PANELS 64 /* as kiln_gemm_bf16.c */
#define C_BLOCK_FLOATS (64 * 1024)
#define KSTEP 32    /* K per TDPBF16PS: 16 pairs */
#define LDX KC      /* X^T row stride in bf16: a whole K block, a multiple of KSTEP */

#if NR != 48 || MR != 8 || (KC % KSTEP) != 0
#error "the AMX tiles assume 8-row weight panels, 48-pixel B panels and K blocks of whole K steps"
#endif

#define KILN_AMX KILN_AMX_TARGET

/* ------------------------------------------------------------------ tile shapes */

/* The tile shapes every kernel call configures: C^T tiles 16 x 8 fp32 (tmm0-5), X^T 16 x 32
 * bf16 (tmm6), W 16 pairs x 8 rows (tmm7). Constant, so no store to it can be lost: gcc's
 * _tile_loadconfig tells the compiler it reads only the first 8 bytes, and stores to a
 * local's other 56 would be dead to it. */
static const kiln_amx_config tile_config = {
    .palette = 1,
    .colsb = {32, 32, 32, 32, 32, 32, 64, 32},
    .rows = {16, 16, 16, 16, 16, 16, 16, 16},
};

typedef kiln_amx_emu amx_emu;

/* ------------------------------------------------------------------ X^T */

// src: fp32 panel (kc, NR) -> xt (NR, LDX) bf16: xt[j * LDX + kk] = bf16(src[kk * NR + j]),
// 0 for kc <= kk up to the next whole K step.
KILN_AMX static void transpose_panel(int kc, const float *src, uint16_t *xt) {
    const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(NR));
    const int kcp = (kc + KSTEP - 1) / KSTEP * KSTEP;
    for (int kk = 0; kk < kcp; kk += KSTEP) {
        const int lo = kc - kk, hi = kc - kk - 16;
        const __mmask16 mlo = lo >= 16 ? 0xFFFF : lo > 0 ? (__mmask16)((1u << lo) - 1) : 0;
        const __mmask16 mhi = hi >= 16 ? 0xFFFF : hi > 0 ? (__mmask16)((1u << hi) - 1) : 0;
        const float *s0 = src + (size_t)kk * NR, *s1 = s0 + (size_t)16 * NR;
        for (int j = 0; j < NR; j++) {
            const __m512 a = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mlo, rows, s0 + j, 4);
            const __m512 b = mhi ? _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mhi, rows, s1 + j, 4) : _mm512_setzero_ps();
            _mm512_storeu_si512(xt + (size_t)j * LDX + kk, (__m512i)_mm512_cvtne2ps_pbh(b, a));
        }
    }
}

/* ------------------------------------------------------------------ one 16 x 48 block of C */

// np (1, 2) weight panels w0, w1 (pair-major, as packed) times nt (1-3) groups of 16 pixels
// of xt, over `steps` K steps; steps from `full` on read the zero-padded tails t0, t1.
KILN_AMX static inline __attribute__((always_inline)) void
block_tiles(amx_emu *emu, int steps, int full, const uint16_t *xt, const uint16_t *w0, const uint16_t *w1,
            const uint16_t *t0, const uint16_t *t1, int np, int nt, float *ct) {
    const size_t xs = (size_t)LDX * 2, ws = (size_t)2 * MR * 2; /* row strides in bytes */
    /* gcc's tileloadd is an asm without a memory operand: this barrier keeps the stores to xt
     * and the tails before the loads that read them. */
    if (!emu) __asm__ volatile("" ::: "memory");
    T_ZERO(0); T_ZERO(1); T_ZERO(2); T_ZERO(3); T_ZERO(4); T_ZERO(5);
    for (int s = 0; s < steps; s++) {
        const uint16_t *p0 = s < full ? w0 + (size_t)s * 16 * 2 * MR : t0;
        const uint16_t *p1 = s < full ? w1 + (size_t)s * 16 * 2 * MR : t1;
        const uint16_t *x = xt + (size_t)s * KSTEP;
        /* Pixel groups in snake order over the panels, so tmm7 is reloaded once per group. */
        T_LOAD(6, x, xs);
        T_LOAD(7, p0, ws); T_DP(0, 6, 7);
        if (np > 1) { T_LOAD(7, p1, ws); T_DP(3, 6, 7); }
        if (nt > 1) {
            T_LOAD(6, x + (size_t)16 * LDX, xs);
            if (np > 1) { T_DP(4, 6, 7); T_LOAD(7, p0, ws); }
            T_DP(1, 6, 7);
        }
        if (nt > 2) {
            T_LOAD(6, x + (size_t)32 * LDX, xs);
            T_DP(2, 6, 7);
            if (np > 1) { T_LOAD(7, p1, ws); T_DP(5, 6, 7); }
        }
    }
    T_STORE(0, ct, 32); T_STORE(1, ct + 128, 32); T_STORE(2, ct + 256, 32);
    if (np > 1) { T_STORE(3, ct + 384, 32); T_STORE(4, ct + 512, 32); T_STORE(5, ct + 640, 32); }
}

// C^T scratch (tile t = 3 * panel + group, 16 pixels x 8 rows each) -> the 16 x 48 block of
// C through the shared epilogue.
KILN_AMX static void store_block(const float *ct, int np, float *c, int ldc, int mr, int nr, const tile_epilogue *e) {
    const __m512i pixels = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                              _mm512_set1_epi32(MR));
    __m512 acc[2 * MR][KILN_TILE_NV];
    for (int i = 0; i < 2 * MR; i++)
        for (int g = 0; g < KILN_TILE_NV; g++)
            acc[i][g] = i < np * MR ? _mm512_i32gather_ps(pixels, ct + (size_t)(3 * (i / MR) + g) * 16 * MR + i % MR, 4)
                                    : _mm512_setzero_ps();
    kiln_tile_store_avx512(2 * MR, KILN_TILE_NV, acc, c, ldc, mr, nr, e);
}

/* ------------------------------------------------------------------ driver */

KILN_AMX static inline __attribute__((always_inline)) void
amx_range(amx_emu *emu, int m, int n, int k, int kp_total, const uint16_t *a_packed, kiln_gemm_pack_b_fn pack_b,
          const void *ctx, int k0, float *c, int ldc, const float *bias, const float *residual, int ldr, const kiln_act *act) {
    _Alignas(64) float fpanel[KC * NR];  /* the fp32 packer's panel (36 KB) */
    _Alignas(64) uint16_t xt[NR * LDX];  /* X^T of one K block (18 KB) */
    _Alignas(64) float ct[6 * 16 * MR];  /* C^T tiles (3 KB) */
    _Alignas(64) uint16_t tails[2][16 * 2 * MR];
    if (emu) kiln_amx_emu_configure(emu, &tile_config);
    else _tile_loadconfig(&tile_config);
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
                const int pairs = (kc + 1) / 2, steps = (pairs + 15) / 16, full = pairs / 16;
                tile_epilogue e = kiln_tile_epilogue(pc, kc, k, act, ldr);
                for (int jr = jc; jr < jc_end; jr += NR) {
                    const int nr = n - jr < NR ? n - jr : NR, nt = (nr + 15) / 16;
                    if (kc > 0) {
                        pack_b(ctx, k0 + pc, kc, jr, nr, fpanel);
                        transpose_panel(kc, fpanel, xt);
                    }
                    for (int ip = ic; ip < ic_end; ip += 2) {
                        const int np = ic_end - ip >= 2 ? 2 : 1, row = ip * MR;
                        const uint16_t *w0 = a_packed + (size_t)row * kp_total + (size_t)pc * MR;
                        const uint16_t *w1 = np > 1 ? w0 + (size_t)MR * kp_total : w0;
                        if (full < steps) /* the block's last pairs, zero-padded to a whole step */
                            for (int q = 0; q < 2; q++) {
                                memset(tails[q], 0, sizeof tails[q]);
                                memcpy(tails[q], (q ? w1 : w0) + (size_t)full * 16 * 2 * MR,
                                       sizeof(uint16_t) * 2 * MR * (size_t)(pairs - 16 * full));
                            }
                        block_tiles(emu, steps, full, xt, w0, w1, tails[0], tails[1], np, nt, ct);
                        e.bias = bias ? bias + row : NULL;
                        e.residual = residual ? residual + (size_t)row * ldr + jr : NULL;
                        store_block(ct, np, c + (size_t)row * ldc + jr, ldc, m - row < np * MR ? m - row : np * MR, nr, &e);
                    }
                }
                pc += kc;
            } while (pc < k);
        }
    }
    if (!emu) _tile_release(); /* leave no tile state for the kernel to save on context switches */
}

KILN_AMX static void amx_range_hw(int m, int n, int k, int kp_total, const uint16_t *a_packed, kiln_gemm_pack_b_fn pack_b,
                                  const void *ctx, int k0, float *c, int ldc, const float *bias, const float *residual,
                                  int ldr, const kiln_act *act) {
    amx_range(NULL, m, n, k, kp_total, a_packed, pack_b, ctx, k0, c, ldc, bias, residual, ldr, act);
}

KILN_AMX static void amx_range_emulated(int m, int n, int k, int kp_total, const uint16_t *a_packed,
                                        kiln_gemm_pack_b_fn pack_b, const void *ctx, int k0, float *c, int ldc,
                                        const float *bias, const float *residual, int ldr, const kiln_act *act) {
    amx_emu *emu = aligned_alloc(64, sizeof *emu); /* 8 KB, off the kernel's already large stack frame */
    if (!emu) abort();
    amx_range(emu, m, n, k, kp_total, a_packed, pack_b, ctx, k0, c, ldc, bias, residual, ldr, act);
    free(emu);
}

/* ------------------------------------------------------------------ detection */

// One product with every tail the driver has (2 panels and a partial one, 3 pixel groups and
// a partial one, a partial K step) on the real tiles and on the emulated ones; 1 when they agree.
// Its buffers are its own: the first bf16 GEMMs of a run call this from every thread at once.
static int self_check(void) {
    enum { M = 20, N = 53, K = 75 };
    float *a = malloc(sizeof(float) * (M * K + K * N + 2 * M * N));
    uint16_t *packed = malloc(sizeof(uint16_t) * 3 * MR * 76);
    if (!a || !packed) {
        free(a), free(packed);
        return 0;
    }
    float *b = a + M * K, *hw = b + K * N, *em = hw + M * N;
    uint32_t seed = 12345u;
    for (int i = 0; i < M * K; i++) a[i] = (float)((seed = seed * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    for (int i = 0; i < K * N; i++) b[i] = (float)((seed = seed * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    kiln_gemm_bf16_pack_a(M, K, a, K, packed);
    const kiln_gemm_matrix ctx = {b, N};
    amx_range_hw(M, N, K, 76, packed, kiln_gemm_pack_b_matrix, &ctx, 0, hw, N, NULL, NULL, 0, NULL);
    amx_range_emulated(M, N, K, 76, packed, kiln_gemm_pack_b_matrix, &ctx, 0, em, N, NULL, NULL, 0, NULL);
    float worst = 0;
    for (int i = 0; i < M * N; i++) {
        const float d = fabsf(hw[i] - em[i]);
        if (!(d <= worst)) worst = d; /* NaN propagates */
    }
    free(a), free(packed);
    if (!(worst <= 1e-4f)) {
        fprintf(stderr, "kiln: the AMX self-check differs from the emulated tiles by %g; using AVX512_BF16 instead "
                        "(KILN_AMX=0 skips AMX and this check)\n", (double)worst);
        return 0;
    }
    return 1;
}

static int check_amx(void) {
    const char *env = getenv("KILN_AMX");
    if (env && strcmp(env, "0") == 0) return 0;
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(edx & (1u << 24)) || !(edx & (1u << 22))) return 0; /* AMX-TILE, AMX-BF16 */
    if (!kiln_cpu_has_avx512_bf16()) return 0;
#ifdef __linux__
    /* Linux keeps the 8 KB tile state off until a process asks (ARCH_REQ_XCOMP_PERM for
     * XFEATURE_XTILEDATA); a tile instruction before that is SIGILL. */
    if (syscall(SYS_arch_prctl, 0x1023, 18) != 0) return 0;
    return self_check();
#else
    return 0;
#endif
}

int kiln_cpu_has_amx_bf16(void) {
    static _Atomic int cached = -1;
    return kiln_cpu_check_cached(&cached, check_amx);
}

int kiln_gemm_bf16_amx_range(int m, int n, int k0, int k, int kp_total, const uint16_t *a_packed,
                             kiln_gemm_pack_b_fn pack_b, const void *ctx, float *c, int ldc, const float *bias,
                             const float *residual, int ldr, const kiln_act *act) {
    const unsigned sw = kiln_thread_switches();
    if (sw & (KILN_SWITCH_PORTABLE_GEMM_BF16 | KILN_SWITCH_NO_AMX)) return 0;
    if (sw & KILN_SWITCH_EMULATED_AMX) {
        if (!kiln_cpu_has_avx512_bf16()) return 0;
        amx_range_emulated(m, n, k, kp_total, a_packed, pack_b, ctx, k0, c, ldc, bias, residual, ldr, act);
        return 1;
    }
    if (!kiln_cpu_has_amx_bf16()) return 0;
    amx_range_hw(m, n, k, kp_total, a_packed, pack_b, ctx, k0, c, ldc, bias, residual, ldr, act);
    return 1;
}

#else /* not x86-64 */

int kiln_cpu_has_amx_bf16(void) { return 0; }

int kiln_gemm_bf16_amx_range(int m, int n, int k0, int k, int kp_total, const uint16_t *a_packed,
                             kiln_gemm_pack_b_fn pack_b, const void *ctx, float *c, int ldc, const float *bias,
                             const float *residual, int ldr, const kiln_act *act) {
    (void)m, (void)n, (void)k0, (void)k, (void)kp_total, (void)a_packed, (void)pack_b, (void)ctx;
    (void)c, (void)ldc, (void)bias, (void)residual, (void)ldr, (void)act;
    return 0;
}
#endif

/* A switch of the calling thread (see kiln_thread_set_switch), not of the process. */
void kiln_gemm_bf16_set_amx(int mode) {
    kiln_thread_set_switch(KILN_SWITCH_NO_AMX, mode == KILN_AMX_OFF);
    kiln_thread_set_switch(KILN_SWITCH_EMULATED_AMX, mode == KILN_AMX_EMULATED);
}
