/*
 * kiln_amx_tiles.h — what the AMX kernels share (kiln_gemm_bf16_amx.c,
 * kiln_conv_direct_bf16_amx.c): the tile configuration record, and an emulated tile unit
 * (TDPBF16PS as the Intel SDM states it, in C) behind the same four macros as the real
 * instructions, so tests run every AMX kernel's layouts and tails on any AVX-512 machine.
 *
 * A kernel names the unit `emu` (NULL: the real tiles) and the macros pick at each use;
 * `emu` is a constant after inlining, so the real-tile build carries no branch.
 */
#ifndef KILN_AMX_TILES_H
#define KILN_AMX_TILES_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_gemm_bf16.h" /* kiln_bf16_to_float */
#include "kiln_act_simd.h"

#define KILN_AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16,fma")))

/* LDTILECFG's 64-byte record (palette 1). */
typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((packed, aligned(64))) kiln_amx_config;

typedef struct {
    _Alignas(64) unsigned char t[8][16][64];
    int rows[8], colsb[8];
} kiln_amx_emu;

static inline void kiln_amx_emu_configure(kiln_amx_emu *u, const kiln_amx_config *cfg) {
    memset(u->t, 0, sizeof u->t);
    for (int i = 0; i < 8; i++) u->rows[i] = cfg->rows[i], u->colsb[i] = cfg->colsb[i];
}
static inline void kiln_amx_emu_zero(kiln_amx_emu *u, int t) { memset(u->t[t], 0, sizeof u->t[t]); }
static inline void kiln_amx_emu_load(kiln_amx_emu *u, int t, const void *p, size_t stride) {
    kiln_amx_emu_zero(u, t);
    for (int r = 0; r < u->rows[t]; r++) memcpy(u->t[t][r], (const char *)p + r * stride, (size_t)u->colsb[t]);
}
static inline void kiln_amx_emu_store(const kiln_amx_emu *u, int t, void *p, size_t stride) {
    for (int r = 0; r < u->rows[t]; r++) memcpy((char *)p + r * stride, u->t[t][r], (size_t)u->colsb[t]);
}
static inline float kiln_amx_emu_bf16(const unsigned char *row, int i) {
    uint16_t h;
    memcpy(&h, row + 2 * i, sizeof h);
    return kiln_bf16_to_float(h);
}
// TDPBF16PS (Intel SDM): for each row m of dst and each pair k of a's row,
// dst[m][n] += a[m][2k] * b[k][2n] + a[m][2k+1] * b[k][2n+1], in fp32.
static inline void kiln_amx_emu_dp(kiln_amx_emu *u, int c, int a, int b) {
    for (int m = 0; m < u->rows[c]; m++) {
        float acc[16];
        memcpy(acc, u->t[c][m], sizeof acc);
        for (int k = 0; k < u->colsb[a] / 4; k++)
            for (int n = 0; n < u->colsb[c] / 4; n++) {
                acc[n] += kiln_amx_emu_bf16(u->t[a][m], 2 * k) * kiln_amx_emu_bf16(u->t[b][k], 2 * n);
                acc[n] += kiln_amx_emu_bf16(u->t[a][m], 2 * k + 1) * kiln_amx_emu_bf16(u->t[b][k], 2 * n + 1);
            }
        memcpy(u->t[c][m], acc, sizeof acc);
    }
}

/* Every tile 16 rows x 64 bytes: the convolution kernels' C (16 x 16 fp32), A (16 x 32 bf16)
 * and B (16 pairs x 16 columns). */
static const kiln_amx_config kiln_amx_full_tiles = {
    .palette = 1,
    .colsb = {64, 64, 64, 64, 64, 64, 64, 64},
    .rows = {16, 16, 16, 16, 16, 16, 16, 16},
};

/* A thread's use of the tile unit, configured as cfg: an emulated unit (returned; emulated
 * != 0) or the real tiles (NULL), and its end, which leaves no tile state for the kernel to
 * save on context switches. */
KILN_AMX_TARGET static inline kiln_amx_emu *kiln_amx_begin(int emulated, const kiln_amx_config *cfg) {
    if (!emulated) {
        _tile_loadconfig(cfg);
        return NULL;
    }
    kiln_amx_emu *emu = aligned_alloc(64, sizeof *emu);
    if (!emu) abort();
    kiln_amx_emu_configure(emu, cfg);
    return emu;
}
KILN_AMX_TARGET static inline void kiln_amx_end(kiln_amx_emu *emu) {
    if (emu) free(emu);
    else _tile_release();
}

/* Tile numbers must be literals for the intrinsics. */
#define T_ZERO(t) do { if (emu) kiln_amx_emu_zero(emu, t); else _tile_zero(t); } while (0)
#define T_LOAD(t, p, s) do { if (emu) kiln_amx_emu_load(emu, t, p, s); else _tile_loadd(t, p, s); } while (0)
#define T_DP(c, a, b) do { if (emu) kiln_amx_emu_dp(emu, c, a, b); else _tile_dpbf16ps(c, a, b); } while (0)
#define T_STORE(t, p, s) do { if (emu) kiln_amx_emu_store(emu, t, p, s); else _tile_stored(t, p, s); } while (0)

/* One stored C tile (16 positions x 16 output channels in fp32, a row per position) into
 * y (OC planes of npix floats): output channel o0 + j, j < count, of the positions in run k
 * (lanes `mask[k]`, consecutive outputs from y offset off[k]), + bias, + residual at the same
 * place, then act. Each channel's 16 positions are gathered out of the tile's column. */
KILN_AMX_TARGET static inline void kiln_amx_store_tile(const float *tile, int o0, int count, const __mmask16 *mask,
                                                       const size_t *off, int runs, size_t npix, float *y,
                                                       const float *bias, const float *res, const kiln_act *act) {
    float lo, hi;
    const int clamp = kiln_act_bounds(act, &lo, &hi);
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(16));
    for (int j = 0; j < count; j++) {
        const size_t o = (size_t)(o0 + j);
        __m512 z = _mm512_i32gather_ps(rows, tile + j, 4);
        if (bias) z = _mm512_add_ps(z, _mm512_set1_ps(bias[o]));
        if (res) {
            __m512 rv = _mm512_setzero_ps();
            for (int k = 0; k < runs; k++) rv = _mm512_mask_expandloadu_ps(rv, mask[k], res + o * npix + off[k]);
            z = _mm512_add_ps(z, rv);
        }
        /* the bounds as first operands: max/min return the second (z) when z is NaN */
        z = clamp ? _mm512_min_ps(vhi, _mm512_max_ps(vlo, z)) : kiln_act_avx512(act, z);
        for (int k = 0; k < runs; k++) _mm512_mask_compressstoreu_ps(y + o * npix + off[k], mask[k], z);
    }
}

#endif
#endif
