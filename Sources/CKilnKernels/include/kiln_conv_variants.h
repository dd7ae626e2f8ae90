/*
 * kiln_conv_variants.h — alternative convolution algorithms that aotCompile's autotuner
 * chooses between (the default, im2col + sgemm, is kiln_conv2d in kiln_kernels.h).
 *
 * All take kiln_conv2d_params filled by kiln_conv2d_init and apply the same epilogue as
 * kiln_conv2d: y = conv + bias; y += residual; if relu: y = max(y, 0).
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

/* 1x1 convolution with no padding as one sgemm per image: for stride > 1 the strided
 * input is gathered first. groups must be 1. */
int kiln_conv2d_pointwise_applicable(const kiln_conv2d_params *p);
/* Floats: C*OH*OW when strided, else 0. */
size_t kiln_conv2d_pointwise_workspace_size(const kiln_conv2d_params *p);
void kiln_conv2d_pointwise(const kiln_conv2d_params *p, const float *x, const float *w,
                           const float *bias, const float *residual, float *y, float *workspace);

/* Winograd F(2x2, 3x3): 3x3 kernels, stride 1, dilation 1, groups 1, any padding.
 * Weights are pre-transformed once by kiln_winograd_f2x3_pack: w (OC, C, 3, 3) ->
 * u (16, OC, C). Then per image: input tiles -> v (16, C, T), 16 sgemms m = u v
 * (16, OC, T), output transform with the epilogue. T = ceil(OH/2) * ceil(OW/2). */
int kiln_winograd_f2x3_applicable(const kiln_conv2d_params *p);
size_t kiln_winograd_f2x3_packed_size(int oc, int c);
void kiln_winograd_f2x3_pack(int oc, int c, const float *w, float *u);
size_t kiln_winograd_f2x3_workspace_size(const kiln_conv2d_params *p);
void kiln_conv2d_winograd_f2x3(const kiln_conv2d_params *p, const float *x, const float *u,
                               const float *bias, const float *residual, float *y,
                               float *workspace);

#ifdef __cplusplus
}
#endif
#endif /* KILN_CONV_VARIANTS_H */
