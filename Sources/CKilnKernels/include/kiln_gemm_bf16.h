/*
 * kiln_gemm_bf16.h — the packed GEMM of kiln_gemm.h in bfloat16: both operands rounded to
 * bf16 (round to nearest even), products accumulated in fp32 with AVX512_BF16's vdpbf16ps,
 * the epilogue (bias, residual, activation) in fp32 on the accumulators, as kiln_gemm's.
 *
 *   c (M, N) = bf16(a) (M, K) . bf16(b) (K, N)  [+ bias[m]]  [+ residual (M, N)]  [act]
 *
 * vdpbf16ps multiplies PAIRS of bf16 along K: lane j of the accumulator gains
 * a[k]*b[k][j] + a[k+1]*b[k+1][j]. So both packed layouts interleave K in pairs:
 *
 * Packed A (the weights, packed once at compile time): K is padded to an even KP columns
 * (the pad is 0); panel p (rows [p*MR, p*MR + MR), zero past M) holds MR*KP bf16 at p*MR*KP,
 * pair-major: element (p*MR + i, 2q + h) at p*MR*KP + q*2*MR + 2*i + h (h = 0, 1). A pair
 * is one 32-bit word, broadcast to all lanes by the microkernel.
 * Packed B (per call, from any fp32 kiln_gemm_pack_b_fn packer, so im2col stays fused): a
 * KC x NR fp32 panel is packed as usual into L1, then rounded and interleaved to bf16:
 * element (2q + h, j) at q*2*NR + 2*j + h.
 *
 * Accuracy: each product is exact in fp32 (8-bit significands), so against
 * kiln_gemm_bf16_ref (same rounding of the operands, double accumulation) the only
 * difference is fp32 summation order; against the fp32 product the operands' rounding
 * (relative 2^-9 each) dominates.
 *
 * Needs AVX512_BF16 (checked at run time: kiln_cpu_has_avx512_bf16); elsewhere a portable
 * microkernel runs over the same layouts. The AVX-512 functions carry their own target
 * attribute, so no build of this file needs new -m flags.
 */
#ifndef KILN_GEMM_BF16_H
#define KILN_GEMM_BF16_H

#include <stddef.h>
#include <stdint.h>

#include "kiln_gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Same tile and K block as the fp32 GEMM (the fp32 packers fill its B panels); KC is even,
 * so every K block but the last starts on a pair. */
#define KILN_GEMM_BF16_MR KILN_GEMM_MR
#define KILN_GEMM_BF16_NR KILN_GEMM_NR
#define KILN_GEMM_BF16_KC KILN_GEMM_KC

/* bf16 of x, rounded to nearest even; NaN stays NaN (quiet), subnormals flush to signed
 * zero (as vcvtne2ps2bf16 and vdpbf16ps treat them). */
uint16_t kiln_bf16_from_float(float x);
float kiln_bf16_to_float(uint16_t h);

/* 1 when this CPU has AVX512_BF16 with AVX512F/BW/VL (cached). */
int kiln_cpu_has_avx512_bf16(void);

/* bf16 elements of the packed copy of an (M, K) matrix: ceil(M / MR) * MR * KP. */
size_t kiln_gemm_bf16_packed_a_size(int m, int k);
/* a: (M, K) row-major, row stride lda -> packed (layout above). */
void kiln_gemm_bf16_pack_a(int m, int k, const float *a, int lda, uint16_t *packed);

/* The product over K columns [k0, k1) of a packed A of k_total columns; k0 must be even
 * (a pair boundary). pack_b: kiln_gemm.h's contract (fp32, absolute k). c must not alias
 * the inputs; bias/residual/act may be NULL; the epilogue (kiln_conv2d's order: + bias,
 * + residual, act; kiln_ops_internal.h's helpers, so the same function as the fp32 GEMM's)
 * runs on the last K block. Single-threaded; scratch on the stack (54 KB). */
void kiln_gemm_bf16_with_packer_range(int m, int n, int k0, int k1, int k_total, const uint16_t *a_packed,
                                      kiln_gemm_pack_b_fn pack_b, const void *ctx,
                                      float *c, int ldc, const float *bias, const float *residual,
                                      int ldr, const kiln_act *act);
/* The same with B a row-major (K, N) fp32 matrix, row stride ldb. */
void kiln_gemm_bf16(int m, int n, int k, const uint16_t *a_packed, const float *b, int ldb,
                    float *c, int ldc, const float *bias, const float *residual, int ldr, const kiln_act *act);

/* The naive reference twin: a (M, K) and b (K, N) rounded to bf16 element by element
 * (kiln_bf16_from_float), products summed in double, then the same epilogue. */
void kiln_gemm_bf16_ref(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                        float *c, int ldc, const float *bias, const float *residual, int ldr, const kiln_act *act);

/* force != 0: the portable microkernel even on AVX512_BF16 CPUs (tests); 0: detect.
 * Also obeyed by kiln_conv2d_direct_bf16. For the calling thread and its calls' chunks only. */
void kiln_gemm_bf16_force_portable(int force);
/* Internal: 1 while kiln_gemm_bf16_force_portable(1) is in effect. */
int kiln_gemm_bf16_portable_forced(void);

/* ---- AMX (kiln_gemm_bf16_amx.c): the same products on AMX-BF16 tiles, over the same packed
 * weights, where the CPU has AMX-TILE and AMX-BF16, Linux grants the tile state and a
 * self-check agrees (else a line on stderr says why not); KILN_AMX=0 in the environment
 * turns it off. Every kiln_gemm_bf16 call (and so the bf16 packed-GEMM convolutions and
 * Winograd products) takes it; kiln_conv2d_direct_bf16 has its own AMX path over its own
 * packed weights (kiln_conv2d_direct_bf16_amx), under the same conditions and switches. */
/* 1 when this process runs bf16 GEMMs on AMX tiles (cached; the first call asks Linux for
 * the tile state and runs the self-check). */
int kiln_cpu_has_amx_bf16(void);
/* For the calling thread and its calls' chunks (tests): KILN_AMX_DETECT (the default),
 * KILN_AMX_OFF (vdpbf16ps even on AMX CPUs) or KILN_AMX_EMULATED (the AMX path on an
 * emulated tile unit, TDPBF16PS in C: any AVX512_BF16 CPU; slow). */
enum { KILN_AMX_DETECT = 0, KILN_AMX_OFF = 1, KILN_AMX_EMULATED = 2 };
void kiln_gemm_bf16_set_amx(int mode);
/* Internal (kiln_gemm_bf16_with_packer_range): runs the product over K [k0, k0 + k) on AMX
 * tiles, a_packed already at pair k0 / 2 of panels kp_total wide, and returns 1; or returns
 * 0 (no AMX, or switched off) without touching c. */
int kiln_gemm_bf16_amx_range(int m, int n, int k0, int k, int kp_total, const uint16_t *a_packed,
                             kiln_gemm_pack_b_fn pack_b, const void *ctx, float *c, int ldc, const float *bias,
                             const float *residual, int ldr, const kiln_act *act);

struct kiln_conv2d_params;
/* Internal (kiln_conv2d_direct_bf16): runs the convolution on AMX tiles over the same packed
 * weights (kiln_conv_direct_bf16_amx.c) and returns 1; or returns 0 (no AMX, or switched
 * off, as for kiln_gemm_bf16_amx_range) without touching y. */
int kiln_conv2d_direct_bf16_amx(const struct kiln_conv2d_params *p, const float *x, const void *packed,
                                const float *bias, const float *residual, float *y);

/* ---- convolution on it (kiln_conv_gemm_bf16.c): kiln_conv2d_gemm's contract in bf16. */
/* 1 for one-group convolutions (every CPU: without AVX512_BF16 the portable kernel runs). */
int kiln_conv2d_gemm_bf16_applicable(const struct kiln_conv2d_params *p);
/* Floats that hold the packed weights (bf16 elements / 2: KP is even). */
size_t kiln_conv2d_gemm_bf16_packed_size(const struct kiln_conv2d_params *p);
/* w: (OC, C, KH, KW) fp32 -> packed bf16 (stored in kiln_conv2d_gemm_bf16_packed_size floats). */
void kiln_conv2d_gemm_bf16_pack(const struct kiln_conv2d_params *p, const float *w, void *packed);
/* x: (N, C, H, W), y: (N, OC, OH, OW), bias (OC) and residual (N, OC, OH, OW) or NULL. */
void kiln_conv2d_gemm_bf16(const struct kiln_conv2d_params *p, const float *x, const void *packed,
                           const float *bias, const float *residual, float *y, float *workspace);

/* ---- convolution as an implicit bf16 GEMM (kiln_conv_direct_bf16.c): the input rounded
 * to bf16 channel pairs once per call, no im2col; same rounding and epilogue. */
/* 1 for one-group convolutions with KH*KW <= 64 (any strides, pads and dilations). */
int kiln_conv2d_direct_bf16_applicable(const struct kiln_conv2d_params *p);
/* Floats that hold the packed weights (2 bf16 each). */
size_t kiln_conv2d_direct_bf16_packed_size(const struct kiln_conv2d_params *p);
/* w: (OC, C, KH, KW) fp32 -> packed bf16 panels (kiln_conv2d_direct_bf16_packed_size floats). */
void kiln_conv2d_direct_bf16_pack(const struct kiln_conv2d_params *p, const float *w, void *packed);
/* x: (N, C, H, W), y: (N, OC, OH, OW), bias (OC) and residual (N, OC, OH, OW) or NULL. */
void kiln_conv2d_direct_bf16(const struct kiln_conv2d_params *p, const float *x, const void *packed,
                             const float *bias, const float *residual, float *y);
/* The naive twin: x and w rounded by kiln_bf16_from_float, double sums, fp32 epilogue
 * (any stride; groups 1). w: (OC, C, KH, KW). */
void kiln_conv2d_direct_bf16_ref(const struct kiln_conv2d_params *p, const float *x, const float *w,
                                 const float *bias, const float *residual, float *y);

#ifdef __cplusplus
}
#endif
#endif /* KILN_GEMM_BF16_H */
