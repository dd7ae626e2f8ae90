/*
 * kiln_gemm.h — Kiln's own packed single-precision GEMM (BLIS style) with a fused epilogue.
 *
 *   c (M, N) = a (M, K) . b (K, N)  [+ bias[m]]  [+ residual (M, N)]  [act]
 *
 * A (the weights) is packed once, ahead of time, into panels of KILN_GEMM_MR rows; B is
 * packed per call, KILN_GEMM_NR columns at a time, into a caller-provided workspace. An
 * AVX-512 register-tiled microkernel is used when the CPU has AVX-512F (checked once at run
 * time); otherwise a portable C microkernel runs over the same packed layouts, so packed
 * weights are valid for both paths and results agree within float rounding.
 *
 * Packed A layout: panel p (rows [p*MR, p*MR + MR), zero-padded past M) is MR*K floats
 * starting at p*MR*K, stored k-major: element (p*MR + i, k) at p*MR*K + k*MR + i.
 * Hence the rows starting at m0 (a multiple of KILN_GEMM_MR) are a_packed + m0*K: callers
 * that split M across threads pass that pointer and split at multiples of KILN_GEMM_MR.
 *
 * All functions are single-threaded and reentrant: callers split N or M across threads.
 */
#ifndef KILN_GEMM_H
#define KILN_GEMM_H

#include <stddef.h>

#include "kiln_ops.h" /* kiln_act */

#ifdef __cplusplus
extern "C" {
#endif

/* Rows per packed A panel and columns per packed B panel (the microkernel's tile: 8 x 48
 * = 24 zmm accumulators). MR = 8 divides every ResNet channel count, so no row of the tile
 * is wasted; N edges use narrower tiles: 32 columns x 8 rows, or 16 columns x 24 rows (three
 * A panels), so a GEMM with N <= 16 (Winograd's few tiles at batch 1) still runs at a good
 * fraction of peak. Code that sizes blocks for the GEMM should use these macros. */
#define KILN_GEMM_MR 8
#define KILN_GEMM_NR 48
/* K block: one packed B panel of KC x NR floats (36 KB) stays in Zen 5's 48 KB L1 while
 * the A panels stream past it; 192 divides C*9 for every 3x3 ResNet layer. */
#define KILN_GEMM_KC 192

/* Floats of the packed copy of an (M, K) matrix: ceil(M / MR) * MR * K. */
size_t kiln_gemm_packed_a_size(int m, int k);
/* a: (M, K) row-major with row stride lda -> packed (layout above; padding rows are 0). */
void kiln_gemm_pack_a(int m, int k, const float *a, int lda, float *packed);
/* The inverse: packed -> a (M, K) with row stride lda (rebuilds the filters from packed
 * weights; kiln_winograd_f2x3_pack_from_gemm uses it when Winograd runs on OpenBLAS). */
void kiln_gemm_unpack_a(int m, int k, const float *packed, float *a, int lda);
/* Floats of scratch one kiln_gemm call needs (one packed B panel block). */
size_t kiln_gemm_workspace_size(int m, int n, int k);

/* c (M, N) = a_packed (M, K) . b (K, N) [+ bias[m]] [+ residual (M, N), row stride ldr] [act].
 * act: the epilogue activation, or NULL (as {KILN_ACT_NONE}).
 * b row-major with row stride ldb; c row stride ldc. bias and residual may be NULL.
 * c must not alias a, b, bias or residual (C is written before the last K block reads the
 * residual). workspace: kiln_gemm_workspace_size(m, n, k) floats, 64-byte alignment preferred.
 * Epilogue order (as kiln_conv2d): c = ab + bias; c += residual; c = act(c). */
void kiln_gemm(int m, int n, int k, const float *a_packed, const float *b, int ldb,
               float *c, int ldc, const float *bias, const float *residual, int ldr,
               const kiln_act *act, float *workspace);

/* The part of that product over K columns [k0, k1) of a packed A of k_total columns (b's row
 * 0 is K column 0). On AVX-512 the full 48-column panels read B in place, unpacked (the rest,
 * and other CPUs, pack it). */
void kiln_gemm_range(int m, int n, int k0, int k1, int k_total, const float *a_packed, const float *b, int ldb,
                     float *c, int ldc, const float *bias, const float *residual, int ldr,
                     const kiln_act *act, float *workspace);

/* The same product with B supplied by a packing callback instead of a matrix (used to fuse
 * im2col into the packing: the column matrix is never materialised).
 * pack_b(ctx, k0, kc, n0, nc, dst) must write dst[kk*NR + j] = B(k0 + kk, n0 + j) for
 * kk < kc, j < nc, and 0 for nc <= j < NR (nc <= KILN_GEMM_NR). */
typedef void (*kiln_gemm_pack_b_fn)(const void *ctx, int k0, int kc, int n0, int nc, float *dst);
/* The packer of a plain row-major (K, N) matrix B with row stride ldb (its ctx: a
 * kiln_gemm_matrix), for the packed GEMMs and their tests. */
typedef struct {
    const float *b;
    int ldb;
} kiln_gemm_matrix;
void kiln_gemm_pack_b_matrix(const void *ctx, int k0, int kc, int n0, int nc, float *dst);
void kiln_gemm_with_packer(int m, int n, int k, const float *a_packed,
                           kiln_gemm_pack_b_fn pack_b, const void *ctx,
                           float *c, int ldc, const float *bias, const float *residual, int ldr,
                           const kiln_act *act, float *workspace);

/* The part of that product over K columns [k0, k1) of a packed A of k_total columns (pack_b
 * is called with absolute k): lets callers split K, e.g. across threads, and sum the parts. */
void kiln_gemm_with_packer_range(int m, int n, int k0, int k1, int k_total, const float *a_packed,
                                 kiln_gemm_pack_b_fn pack_b, const void *ctx,
                                 float *c, int ldc, const float *bias, const float *residual,
                                 int ldr, const kiln_act *act, float *workspace);

/* Fused im2col packing for the packed-GEMM convolution (kiln_gemm_im2col.c; internal to
 * kiln_conv_gemm.c). The B matrix is the column matrix of images x: (N, C, H, W) laid side
 * by side: column j is pixel (j + n_offset) % (OH*OW) of image (j + n_offset) / (OH*OW), row
 * (c, ky, kx) is x[image, c, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw], or 0 outside. */
struct kiln_conv2d_params;
typedef struct kiln_gemm_im2col {
    const struct kiln_conv2d_params *p;
    const float *x;
    int n_offset;
    /* (N, C) or NULL: input channel c of image i is read times scale[i * C + c] (a squeeze-
     * excitation multiply folded into a pointwise convolution's packing). */
    const float *scale;
} kiln_gemm_im2col;
/* The packer (ctx: a kiln_gemm_im2col) best suited to this CPU and geometry. */
kiln_gemm_pack_b_fn kiln_gemm_im2col_packer(const struct kiln_conv2d_params *p);
/* The packer for a pointwise (1x1, stride 1, unpadded) convolution whose ctx has a scale. */
void kiln_gemm_pack_b_scaled(const void *ctx, int k0, int kc, int n0, int nc, float *dst);

/* The naive reference twin: the obvious triple loop with double accumulation, a (M, K)
 * unpacked with row stride lda, same epilogue and arguments otherwise. */
void kiln_gemm_ref(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                   float *c, int ldc, const float *bias, const float *residual, int ldr, const kiln_act *act);

/* 1 when this CPU has what the AVX-512 microkernel needs (ignores kiln_gemm_force_portable:
 * compile-time choices must not depend on a test's switch). */
int kiln_gemm_cpu_has_avx512(void);
/* 1 when the AVX-512 microkernel is in use (the CPU has it and it is not forced off). */
int kiln_gemm_uses_avx512(void);
/* force != 0: use the portable microkernel even on AVX-512 CPUs (for tests);
 * 0: back to run-time detection. For the calling thread and its calls' chunks only (see
 * kiln_thread_set_switch). */
void kiln_gemm_force_portable(int force);

#ifdef __cplusplus
}
#endif
#endif /* KILN_GEMM_H */
