/*
 * kiln_conv_variants.h — alternative convolution algorithms that aotCompile's autotuner
 * chooses between (the default, im2col + sgemm, is kiln_conv2d in kiln_kernels.h).
 *
 * All take kiln_conv2d_params filled by kiln_conv2d_init and apply the same epilogue as
 * kiln_conv2d: y = conv + bias; y += residual; y = act(y), and honour all four pads.
 * Workspaces are per image (independent of the batch N).
 */
#ifndef KILN_CONV_VARIANTS_H
#define KILN_CONV_VARIANTS_H

#include "kiln_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Direct convolution: no im2col, per output row whole-row multiply-adds, threaded over
 * (image, output channel) planes. Any geometry. No workspace. */
void kiln_conv2d_direct(const kiln_conv2d_params *p, const float *x, const float *w,
                        const float *bias, const float *residual, float *y);

/* Depthwise convolution (groups == C == OC): one KHxKW filter per channel, any stride,
 * dilation and pads. Threaded over the N*C planes; each plane gets the epilogue while it is
 * in cache. No workspace, weights as given (C, 1, KH, KW). kiln_conv2d runs it for every
 * depthwise layer; its reference twin is kiln_conv2d_ref. */
int kiln_conv2d_depthwise_applicable(const kiln_conv2d_params *p);
void kiln_conv2d_depthwise(const kiln_conv2d_params *p, const float *x, const float *w,
                           const float *bias, const float *residual, float *y);

/* 1x1 convolution with no padding as one sgemm per image: for stride > 1 the strided
 * input is gathered first. groups must be 1. */
int kiln_conv2d_pointwise_applicable(const kiln_conv2d_params *p);
/* Floats: C*OH*OW when strided, else 0. */
size_t kiln_conv2d_pointwise_workspace_size(const kiln_conv2d_params *p);
void kiln_conv2d_pointwise(const kiln_conv2d_params *p, const float *x, const float *w,
                           const float *bias, const float *residual, float *y, float *workspace);

/* Winograd F(2x2, 3x3) and F(4x4, 3x3): 3x3 kernels, stride 1, dilation 1, groups 1, any
 * padding. Weights are transformed (and packed for the GEMM) once by ..._pack:
 * w (OC, C, 3, 3) -> u: alpha^2 per-frequency (OC, C) matrices, alpha = 4 or 6.
 * Tiles of all images are numbered together and processed in blocks: input transform
 * -> v (alpha^2, C, block), alpha^2 GEMMs m = u v (alpha^2, OC, block), output transform
 * with the epilogue; blocks run in parallel. Workspace: ..._workspace_size floats (per
 * call, independent of N), or NULL to allocate internally. */
int kiln_winograd_f2x3_applicable(const kiln_conv2d_params *p);
size_t kiln_winograd_f2x3_packed_size(int oc, int c);
void kiln_winograd_f2x3_pack(int oc, int c, const float *w, float *u);
/* The same weights from a packed-GEMM convolution's (kiln_conv2d_gemm_pack of the 3x3
 * filters), bit for bit, in one parallel pass (the lazily built weights of 7x7 layers). */
void kiln_winograd_f2x3_pack_from_gemm(int oc, int c, const float *gemm_packed, float *u);
size_t kiln_winograd_f2x3_workspace_size(const kiln_conv2d_params *p);
void kiln_conv2d_winograd_f2x3(const kiln_conv2d_params *p, const float *x, const float *u,
                               const float *bias, const float *residual, float *y,
                               float *workspace);

/* F(2x2, 3x3) with its 16 GEMMs in bf16 (kiln_winograd_f2x3_bf16.c; bf16 libraries): u and v
 * rounded to bf16, fp32 accumulation, fp32 transforms and epilogue; applicable as F(2,3).
 * u: kiln_winograd_f2x3_bf16_packed_size floats (bf16 pairs). */
size_t kiln_winograd_f2x3_bf16_packed_size(int oc, int c);
void kiln_winograd_f2x3_bf16_pack(int oc, int c, const float *w, float *u);
size_t kiln_winograd_f2x3_bf16_workspace_size(const kiln_conv2d_params *p);
void kiln_conv2d_winograd_f2x3_bf16(const kiln_conv2d_params *p, const float *x, const float *u,
                                    const float *bias, const float *residual, float *y, float *workspace);
/* Its naive twin (w: (OC, C, 3, 3)): the same roundings, double sums, one tile at a time. */
void kiln_conv2d_winograd_f2x3_bf16_ref(const kiln_conv2d_params *p, const float *x, const float *w,
                                        const float *bias, const float *residual, float *y);

/* F(4x4, 3x3) with its 36 GEMMs in bf16 (kiln_winograd_f4x3_bf16.c; bf16 libraries): as the
 * F(2,3) variant above, on F(4,3)'s transforms; applicable as F(4,3). */
size_t kiln_winograd_f4x3_bf16_packed_size(int oc, int c);
void kiln_winograd_f4x3_bf16_pack(int oc, int c, const float *w, float *u);
size_t kiln_winograd_f4x3_bf16_workspace_size(const kiln_conv2d_params *p);
void kiln_conv2d_winograd_f4x3_bf16(const kiln_conv2d_params *p, const float *x, const float *u,
                                    const float *bias, const float *residual, float *y, float *workspace);
/* Its naive twin (w: (OC, C, 3, 3)): the same roundings, double sums, one tile at a time. */
void kiln_conv2d_winograd_f4x3_bf16_ref(const kiln_conv2d_params *p, const float *x, const float *w,
                                        const float *bias, const float *residual, float *y);

int kiln_winograd_f4x3_applicable(const kiln_conv2d_params *p);
size_t kiln_winograd_f4x3_packed_size(int oc, int c);
void kiln_winograd_f4x3_pack(int oc, int c, const float *w, float *u);
/* The same from a packed-GEMM convolution's weights, bit for bit (as kiln_winograd_f2x3_pack_from_gemm). */
void kiln_winograd_f4x3_pack_from_gemm(int oc, int c, const float *gemm_packed, float *u);
/* The same from F(2x2, 3x3) weights (kiln_winograd_f2x3_pack's), to within their rounding
 * (the filters are recovered exactly but for it): the lazily built weights of 14x14 layers. */
void kiln_winograd_f4x3_pack_from_f2x3(int oc, int c, const float *f2x3_packed, float *u);
size_t kiln_winograd_f4x3_workspace_size(const kiln_conv2d_params *p);
void kiln_conv2d_winograd_f4x3(const kiln_conv2d_params *p, const float *x, const float *u,
                               const float *bias, const float *residual, float *y,
                               float *workspace);

/* force != 0: Winograd transforms use the portable C path even on AVX-512 CPUs (tests);
 * 0: back to run-time detection. For the calling thread and its calls' chunks only. */
void kiln_winograd_force_portable(int force);

/* Internal: the size above which a convolution's input (or residual) is taken to have left
 * the caches, so the fast paths prefetch it in software (the Winograd transforms, the
 * packed GEMM's im2col packer). Batch 32 streams ~25 MB through each ResNet layer; a
 * batch-1 input (at most 0.8 MB) is still in L2, where prefetches only cost time. */
#define KILN_PREFETCH_MIN_BYTES ((size_t)4 << 20)

/* Internal to kiln_winograd*.c: one variant's tile transforms, run by kiln_winograd_run.
 * input: tiles (ty, tx0 .. tx0+cnt-1) of image xn (C, H, W), channels [c0, c1)
 *        -> v[f*fs + c*ldv + j], f < alpha^2, j < cnt.
 * output: m[f*fs + o*ldm + j], channels [o0, o1) -> image yn (OC, OH, OW) with the
 *        epilogue (bias[o], residual image rn or NULL, p->act). */
typedef struct kiln_winograd_variant {
    int m, alpha;
    void (*input)(const kiln_conv2d_params *p, const float *xn, int ty, int tx0, int cnt,
                  int c0, int c1, float *v, size_t ldv, size_t fs);
    void (*output)(const kiln_conv2d_params *p, const float *m, size_t ldm, size_t fs, int ty,
                   int tx0, int cnt, int o0, int o1, const float *bias, const float *rn, float *yn);
    /* Optional (NULL: not provided): the same for `rows` >= 2 whole tile rows ty.. of an image
     * with tw tiles per row, 2 <= tw <= 7 and rows * tw <= 16, as one run of rows * tw tiles. */
    void (*input_rows)(const kiln_conv2d_params *p, const float *xn, int ty, int rows, int c0, int c1,
                       float *v, size_t ldv, size_t fs);
    void (*output_rows)(const kiln_conv2d_params *p, const float *m, size_t ldm, size_t fs, int ty, int rows,
                        int o0, int o1, const float *bias, const float *rn, float *yn);
} kiln_winograd_variant;
int kiln_winograd_use_avx512(void);
size_t kiln_winograd_packed_size(int alpha, int oc, int c);
/* u: (alpha^2, OC, C) plain transformed weights -> the GEMM's packed form. */
void kiln_winograd_pack_freqs(int alpha, int oc, int c, const float *u, float *packed);
/* One 3x3 filter's alpha^2 transformed weights u = G g G^T (taps at g[tap * stride]). */
typedef void (*kiln_winograd_weight_fn)(const float *g, size_t stride, float *u);
typedef void (*kiln_winograd_pack_fn)(int oc, int c, const float *w, float *packed);
/* A variant's packed weights from a packed-GEMM convolution's (3x3 filters), bit for bit
 * what `pack` gives for the original filters: transform per filter, in one parallel pass. */
void kiln_winograd_pack_from_gemm(int alpha, int oc, int c, const float *gemm_packed, float *packed,
                                  kiln_winograd_weight_fn transform, kiln_winograd_pack_fn pack);
size_t kiln_winograd_workspace_size(int alpha, const kiln_conv2d_params *p);
/* The same for a build with -DKILN_WINO_SLOTS=slots (what aotCompile sizes a library's
 * workspace with; kiln_winograd_workspace_size uses this build's slot count). */
size_t kiln_winograd_workspace_size_for(int alpha, const kiln_conv2d_params *p, int slots);
/* Runs `avx512` when it is given (built) and kiln_winograd_use_avx512(), else `portable`. */
void kiln_winograd_run(const kiln_winograd_variant *portable, const kiln_winograd_variant *avx512,
                       const kiln_conv2d_params *p, const float *x, const float *u,
                       const float *bias, const float *residual, float *y, float *workspace);
/* Another per-frequency GEMM for kiln_winograd_run_with: m (OC, n) = u_f (OC, C) . v (C, n),
 * v and m with row stride ldv, u_f at u + f * freq_floats(OC, C) (its own packed form). */
typedef struct kiln_winograd_gemm {
    void (*run)(int oc, int n, int c, const float *u, const float *v, size_t ldv, float *m);
    size_t (*freq_floats)(int oc, int c);
} kiln_winograd_gemm;
/* kiln_winograd_run with `gemm` (NULL: kiln_gemm on kiln_winograd_pack_freqs's weights). */
void kiln_winograd_run_with(const kiln_winograd_variant *portable, const kiln_winograd_variant *avx512,
                            const kiln_winograd_gemm *gemm, const kiln_conv2d_params *p, const float *x,
                            const float *u, const float *bias, const float *residual, float *y, float *workspace);
/* F(2x2, 3x3)'s transforms with another GEMM (kiln_winograd_f2x3_bf16.c), its weight
 * transform u = G g G^T of one filter (taps at g[tap * stride]; 16 floats, computed in double),
 * and that transform of every filter of w (OC, C, 3, 3) as 16 frequency planes u[f] (OC, C). */
void kiln_conv2d_winograd_f2x3_with(const kiln_winograd_gemm *gemm, const kiln_conv2d_params *p, const float *x,
                                    const float *u, const float *bias, const float *residual, float *y,
                                    float *workspace);
void kiln_winograd_f2x3_weight_transform(const float *g, size_t stride, float *u);
void kiln_winograd_f2x3_planes(int oc, int c, const float *w, float *u);
/* The same for F(4x4, 3x3) (36 values per filter and 36 planes; kiln_winograd_f4x3_bf16.c). */
void kiln_conv2d_winograd_f4x3_with(const kiln_winograd_gemm *gemm, const kiln_conv2d_params *p, const float *x,
                                    const float *u, const float *bias, const float *residual, float *y,
                                    float *workspace);
void kiln_winograd_f4x3_weight_transform(const float *g, size_t stride, float *u);
void kiln_winograd_f4x3_planes(int oc, int c, const float *w, float *u);
/* The bf16 variants' per-frequency GEMM (kiln_gemm_bf16 on bf16-packed u; kiln_winograd_f2x3_bf16.c)
 * and their weight packing: `planes` (OC, C) frequency planes u[f] -> bf16 A panels, one
 * kiln_winograd_bf16_gemm.freq_floats(OC, C) apart. */
extern const kiln_winograd_gemm kiln_winograd_bf16_gemm;
void kiln_winograd_bf16_pack_planes(int planes, int oc, int c, const float *u, float *packed);

/* Packed GEMM (kiln_gemm.h): y (OC, OH*OW) = w (OC, C*KH*KW) . col (C*KH*KW, OH*OW) per
 * image, with im2col fused into the packing of B panels (the column matrix is never
 * materialised; 1x1 stride-1 unpadded convolutions read the input directly) and the
 * epilogue fused into the last K block. Weights packed once by kiln_conv2d_gemm_pack into
 * kiln_conv2d_gemm_packed_size(p) floats. groups must be 1. Threaded over (image, column
 * or output-channel block). Needs no workspace (each task packs into its own stack). */
int kiln_conv2d_gemm_applicable(const kiln_conv2d_params *p);
size_t kiln_conv2d_gemm_packed_size(const kiln_conv2d_params *p);
void kiln_conv2d_gemm_pack(const kiln_conv2d_params *p, const float *w, float *packed);
size_t kiln_conv2d_gemm_workspace_size(const kiln_conv2d_params *p);
void kiln_conv2d_gemm(const kiln_conv2d_params *p, const float *x, const float *packed,
                      const float *bias, const float *residual, float *y, float *workspace);
/* The same product on x whose channels are scaled first, y = conv(x * scale) with scale
 * (N, C): the multiply happens while B is packed, so a squeeze-excitation block's
 * (N, C, H, W) * (N, C, 1, 1) needs no step of its own. Pointwise layers only (1x1, stride
 * 1, no padding, groups 1: _applicable). Reference twin: kiln_conv2d_gemm_scaled_ref. */
int kiln_conv2d_gemm_scaled_applicable(const kiln_conv2d_params *p);
void kiln_conv2d_gemm_scaled(const kiln_conv2d_params *p, const float *x, const float *scale, const float *packed,
                             const float *bias, const float *residual, float *y);
/* kiln_conv2d_ref of x * scale (unpacked weights w (OC, C, 1, 1)); returns -1 when out of memory. */
int kiln_conv2d_gemm_scaled_ref(const kiln_conv2d_params *p, const float *x, const float *scale, const float *w,
                                const float *bias, const float *residual, float *y);

/* Direct convolution for few input channels (kiln_conv_stem.c: a CNN's first layer, 3
 * channels): each input row split once into zero-margined phase lines (stride 2: even and
 * odd columns), tiles of 8 output channels x 48 pixels, epilogue fused. Applicable
 * with 1 group, C <= KILN_STEM_MAX_C, stride_w 1 or 2 (any stride_h, dilation, pads) and
 * rows short enough for its per-thread line buffer. Weights packed by kiln_conv2d_stem_pack
 * into kiln_conv2d_stem_packed_size(p) floats; no workspace. Threaded over (image, band of
 * output rows). kiln_conv2d_stem_ref: its naive twin, over the same packed weights. */
#define KILN_STEM_MAX_C 4
int kiln_conv2d_stem_applicable(const kiln_conv2d_params *p);
size_t kiln_conv2d_stem_packed_size(const kiln_conv2d_params *p);
void kiln_conv2d_stem_pack(const kiln_conv2d_params *p, const float *w, float *packed);
void kiln_conv2d_stem(const kiln_conv2d_params *p, const float *x, const float *packed,
                      const float *bias, const float *residual, float *y);
void kiln_conv2d_stem_ref(const kiln_conv2d_params *p, const float *x, const float *packed,
                          const float *bias, const float *residual, float *y);

/* The stem with the max pool after it fused (kiln_conv_stem_pool.c; ResNet's conv1 and its
 * 3x3 stride-2 pool): y = maxpool(act(conv(x) + bias)), the convolution's rows computed by
 * kiln_conv2d_stem's tiles into a ring of rows per channel and pooled as soon as a window is
 * complete, so its (N, OC, OH, OW) output is never written; the same bits as the two steps.
 * q: the pool over that output (q->n, c, h, w = p->n, oc, oh, ow), kiln_maxpool2d_init'ed.
 * Applicable (_applicable) where the stem is, with pool dilation 1, windows of at most 5
 * rows and rows up to 8192 floats. y: (N, OC, q->oh, q->ow). kiln_conv2d_stem_maxpool_ref:
 * its naive twin (each pooled value the max of its window's convolution values, computed as
 * kiln_conv2d_stem_ref does), also run where the fast path cannot (no AVX-512, no memory). */
int kiln_conv2d_stem_maxpool_applicable(const kiln_conv2d_params *p, const kiln_maxpool2d_params *q);
void kiln_conv2d_stem_maxpool(const kiln_conv2d_params *p, const kiln_maxpool2d_params *q, const float *x,
                              const float *packed, const float *bias, float *y);
void kiln_conv2d_stem_maxpool_ref(const kiln_conv2d_params *p, const kiln_maxpool2d_params *q, const float *x,
                                  const float *packed, const float *bias, float *y);

#ifdef __cplusplus
}
#endif
#endif /* KILN_CONV_VARIANTS_H */
