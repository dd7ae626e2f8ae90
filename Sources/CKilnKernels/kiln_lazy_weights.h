/*
 * kiln_lazy_weights.h — private to the kernels and generated libraries (not in include/:
 * Swift never sees its _Atomic field): convolution weights in a second layout, built from
 * the embedded ones the first time a call needs them.
 *
 * Why: for ResNet's 7x7 layers the packed GEMM is fastest at batch 1 and Winograd from
 * batch 2 on (F(2x2, 3x3): 0.65 vs 1.14 ms at batch 2, 12.3 vs 16.1 ms at batch 32;
 * F(4x4, 3x3) is faster still), but Winograd weights are 16/9 (F(2,3)) or 4x (F(4,3)) the
 * size of the plain ones (50 or 113 MB more for ResNet-18's layer4).
 * Embedding both would grow every library and, prefaulted at load, every batch-1 process;
 * building them on the first batch >= 2 costs memory only where it buys speed.
 */
#ifndef KILN_LAZY_WEIGHTS_H
#define KILN_LAZY_WEIGHTS_H

#include "kiln_conv_variants.h"

/* One convolution's lazily built weights: a static in the generated code, zero-initialised. */
typedef struct kiln_lazy_weights {
    float *_Atomic data;           /* NULL until built */
    _Atomic int failed;            /* 1: could not be built (out of memory); never retried */
    struct kiln_lazy_weights *next; /* the built ones, freed when the library is unloaded */
} kiln_lazy_weights;

/* Winograd F(2x2, 3x3) weights (kiln_winograd_f2x3_pack's) of a 3x3 convolution, rebuilt
 * from its packed-GEMM weights (kiln_conv2d_gemm_pack's), or NULL when they cannot be
 * built: the caller then runs the packed GEMM. Thread-safe: concurrent first calls build
 * once, the others wait; later calls are one atomic load. The result equals what
 * kiln_winograd_f2x3_pack gives for the original weights, bit for bit. */
const float *kiln_lazy_winograd_f2x3(kiln_lazy_weights *slot, int oc, int c, const float *gemm_packed);

/* Runs the convolution p (3x3, stride 1) as Winograd F(2x2, 3x3) on those weights with its
 * own workspace: x, bias, residual and y as kiln_conv2d_winograd_f2x3's. Returns 0, or -1
 * without touching y when the weights or the workspace cannot be allocated: the caller then
 * runs the packed GEMM (kiln_conv2d_gemm) on gemm_packed instead. */
int kiln_lazy_winograd_f2x3_run(kiln_lazy_weights *slot, const kiln_conv2d_params *p, const float *x,
                                const float *gemm_packed, const float *bias, const float *residual, float *y);

/* The same for Winograd F(4x4, 3x3) (kiln_winograd_f4x3_pack's weights, 4x the plain ones),
 * what ResNet's 7x7 layers run from batch 2 on. */
const float *kiln_lazy_winograd_f4x3(kiln_lazy_weights *slot, int oc, int c, const float *gemm_packed);
int kiln_lazy_winograd_f4x3_run(kiln_lazy_weights *slot, const kiln_conv2d_params *p, const float *x,
                                const float *gemm_packed, const float *bias, const float *residual, float *y);

/* F(4x4, 3x3) weights built from F(2x2, 3x3) ones (kiln_winograd_f4x3_pack_from_f2x3), for
 * ResNet's 14x14 layers, which embed F(2,3)'s for batch 1 and run F(4,3) from batch 2 on;
 * the _run falls back (-1) to kiln_conv2d_winograd_f2x3 on the embedded weights. */
const float *kiln_lazy_winograd_f4x3_from_f2x3(kiln_lazy_weights *slot, int oc, int c, const float *f2x3_packed);
int kiln_lazy_winograd_f4x3_from_f2x3_run(kiln_lazy_weights *slot, const kiln_conv2d_params *p, const float *x,
                                          const float *f2x3_packed, const float *bias, const float *residual, float *y);

#endif /* KILN_LAZY_WEIGHTS_H */
