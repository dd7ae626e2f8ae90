/*
 * kiln_ops.h — the kernels of the ONNX CNN operators (activations, broadcasting binary
 * ops, pooling with asymmetric pads, reductions, softmax, LRN, strided copies, pad).
 * The contract with the importer is /work/wt/ONNX-INTERFACE.md.
 *
 * Conventions as kiln_kernels.h: float32, contiguous row-major outputs, every fast
 * kernel `kiln_X` has a naive reference twin `kiln_X_ref` (obvious loops, no threads).
 */
#ifndef KILN_OPS_H
#define KILN_OPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- activations */

/* Activations, shared by the standalone kernel and every convolution epilogue.
 * NaN passes through every kind (as PyTorch and ONNX Runtime). */
typedef enum kiln_act_kind {
    KILN_ACT_NONE = 0, KILN_ACT_RELU = 1,      /* 1 keeps the old `relu = 1` meaning */
    KILN_ACT_CLIP = 2,        /* min(max(x, a), b)            (ReLU6: a=0, b=6)          */
    KILN_ACT_LEAKY_RELU = 3,  /* x >= 0 ? x : a*x                                          */
    KILN_ACT_SIGMOID = 4,     /* 1/(1+exp(-x))                                             */
    KILN_ACT_HARD_SIGMOID = 5,/* max(0, min(1, a*x + b))  (ONNX defaults a=0.2, b=0.5)     */
    KILN_ACT_HARD_SWISH = 6,  /* x * max(0, min(1, x/6 + 0.5))                             */
    KILN_ACT_SILU = 7,        /* x * sigmoid(x)                                            */
    KILN_ACT_TANH = 8,
    /* Elementwise math of ONNX models: run standalone (kiln_activation), never fused into a
     * convolution by the compiler, though every epilogue would compute them too. */
    KILN_ACT_ELU = 9,         /* x < 0 ? a*(exp(x)-1) : x                                  */
    KILN_ACT_SELU = 10,       /* b * (x <= 0 ? a*(exp(x)-1) : x)  (a=alpha, b=gamma)        */
    KILN_ACT_SOFTPLUS = 11,   /* log(1+exp(x)), without overflow                           */
    KILN_ACT_SOFTSIGN = 12,   /* x / (1+|x|)                                               */
    KILN_ACT_EXP = 13, KILN_ACT_LOG = 14, KILN_ACT_SQRT = 15,
    KILN_ACT_NEG = 16, KILN_ACT_ABS = 17,
    KILN_ACT_SIGN = 18,       /* -1, 0 or 1 (NaN stays NaN)                                */
    KILN_ACT_RECIPROCAL = 19, /* 1/x                                                       */
    KILN_ACT_SHRINK = 20,     /* x < -a ? x + b : (x > a ? x - b : 0)  (a=lambd, b=bias)   */
    KILN_ACT_ERF = 21,        /* erf(x)                                                    */
    KILN_ACT_GELU = 22,       /* a=0: x/2 * (1 + erf(x/sqrt 2)); a=1: the tanh approximation */
    /* Trigonometric and hyperbolic functions and their inverses (libm's), then rounding. */
    KILN_ACT_SIN = 23, KILN_ACT_COS = 24, KILN_ACT_TAN = 25,
    KILN_ACT_ASIN = 26, KILN_ACT_ACOS = 27, KILN_ACT_ATAN = 28,
    KILN_ACT_SINH = 29, KILN_ACT_COSH = 30, KILN_ACT_ASINH = 31, KILN_ACT_ACOSH = 32, KILN_ACT_ATANH = 33,
    KILN_ACT_FLOOR = 34, KILN_ACT_CEIL = 35,
    KILN_ACT_ROUND = 36,      /* to nearest, halves to even (ONNX Round)                    */
    KILN_ACT_MISH = 37,       /* x * tanh(softplus(x))                                      */
    KILN_ACT_CELU = 38,       /* max(0, x) + min(0, a*(exp(x/a)-1)), a != 0                 */
    KILN_ACT_THRESHOLDED_RELU = 39, /* x > a ? x : 0                                        */
    KILN_ACT_KIND_COUNT = 40,
} kiln_act_kind;
typedef struct kiln_act { int kind; float a, b; } kiln_act;
/* y = act(x), count elements; y may alias x. */
void kiln_activation_ref(kiln_act act, size_t count, const float *x, float *y);
void kiln_activation(kiln_act act, size_t count, const float *x, float *y);

/* ---------------------------------------------------------------- binary */

/* NumPy-broadcast binary op on up to 6 dims. out_shape has `rank` dims; a_strides/b_strides
 * are element strides of a and b viewed at out_shape (0 where broadcast). y is contiguous
 * and may alias a or b only when that operand is not broadcast. */
typedef enum kiln_binary_kind {
    KILN_BIN_ADD = 0, KILN_BIN_SUB = 1, KILN_BIN_MUL = 2, KILN_BIN_DIV = 3,
    KILN_BIN_MAX = 4, KILN_BIN_MIN = 5, /* NaN in either operand gives NaN (numpy maximum) */
    KILN_BIN_POW = 6,                   /* powf(a, b) */
} kiln_binary_kind;
#define KILN_OPS_MAX_RANK 6
void kiln_binary_ref(int kind, int rank, const int64_t *out_shape,
                     const float *a, const int64_t *a_strides,
                     const float *b, const int64_t *b_strides, float *y);
void kiln_binary(int kind, int rank, const int64_t *out_shape,
                 const float *a, const int64_t *a_strides,
                 const float *b, const int64_t *b_strides, float *y);

/* ---------------------------------------------------------------- pooling */

/* Average / max pooling with asymmetric pads. x: (N, C, H, W), y: (N, C, OH, OW).
 * Max: pads are -inf, NaN propagates. Avg: count_include_pad counts padded cells inside
 * the padded input (not those added by ceil_mode), as PyTorch/ONNX do. */
typedef struct kiln_pool2d_params {
    int n, c, h, w, kh, kw, stride_h, stride_w;
    int pad_t, pad_l, pad_b, pad_r, dil_h, dil_w;
    int ceil_mode, count_include_pad;
    int oh, ow;                  /* set by kiln_pool2d_init */
} kiln_pool2d_params;
int  kiln_pool2d_init(kiln_pool2d_params *p);   /* 0, or -1 when invalid */
void kiln_avgpool2d_ref(const kiln_pool2d_params *p, const float *x, float *y);
void kiln_avgpool2d(const kiln_pool2d_params *p, const float *x, float *y);
void kiln_maxpool2d_pads_ref(const kiln_pool2d_params *p, const float *x, float *y);
void kiln_maxpool2d_pads(const kiln_pool2d_params *p, const float *x, float *y);
/* x: (NC, HW) -> y: (NC): mean / max over each row. */
void kiln_global_avgpool_ref(size_t nc, size_t hw, const float *x, float *y);
void kiln_global_avgpool(size_t nc, size_t hw, const float *x, float *y);
void kiln_global_maxpool_ref(size_t nc, size_t hw, const float *x, float *y);
void kiln_global_maxpool(size_t nc, size_t hw, const float *x, float *y);

/* ---------------------------------------------------------------- reductions */

/* x viewed as (outer, len, inner): reduce over len. y: (outer, inner). */
void kiln_reduce_mean_ref(size_t outer, size_t len, size_t inner, const float *x, float *y);
void kiln_reduce_mean(size_t outer, size_t len, size_t inner, const float *x, float *y);
/* The same view, reduced by `kind`. NaN propagates through max and min. */
typedef enum kiln_reduce_kind {
    KILN_REDUCE_MEAN = 0, KILN_REDUCE_MAX, KILN_REDUCE_MIN, KILN_REDUCE_PROD,
    KILN_REDUCE_L1,          /* sum |x| */
    KILN_REDUCE_L2,          /* sqrt(sum x^2) */
    KILN_REDUCE_SUM_SQUARE,  /* sum x^2 */
    KILN_REDUCE_LOG_SUM,     /* log(sum x) */
    KILN_REDUCE_LOG_SUM_EXP  /* log(sum exp x), max-shifted */
} kiln_reduce_kind;
void kiln_reduce_ref(int kind, size_t outer, size_t len, size_t inner, const float *x, float *y);
void kiln_reduce(int kind, size_t outer, size_t len, size_t inner, const float *x, float *y);
/* y: (outer, len, inner), softmax over len (max-subtracted). */
void kiln_softmax_ref(size_t outer, size_t len, size_t inner, const float *x, float *y);
void kiln_softmax(size_t outer, size_t len, size_t inner, const float *x, float *y);
/* y: (outer, len, inner), log-softmax over len: x - max - log(sum exp(x - max)). */
void kiln_log_softmax_ref(size_t outer, size_t len, size_t inner, const float *x, float *y);
void kiln_log_softmax(size_t outer, size_t len, size_t inner, const float *x, float *y);
/* LRN across channels, ONNX semantics: x: (N, C, HW).
 * y = x / (bias + alpha/size * sum over c' in [c - floor((size-1)/2), c + ceil((size-1)/2)] x[c']^2)^beta */
void kiln_lrn_ref(int n, int c, int hw, int size, float alpha, float beta, float bias, const float *x, float *y);
void kiln_lrn(int n, int c, int hw, int size, float alpha, float beta, float bias, const float *x, float *y);

/* ---------------------------------------------------------------- data movement */

/* Strided copy of `rank` (<= 6) dims: dst[i] = src[i] with element strides; covers
 * transpose, slice (negative strides allowed), concat (dst offset), split. */
void kiln_copy_strided_ref(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                           float *dst, const int64_t *dst_strides);
void kiln_copy_strided(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                       float *dst, const int64_t *dst_strides);
/* Pad (rank <= 6): pads[0..rank) = begins, pads[rank..2rank) = ends (may be negative = crop).
 * mode 0 constant (value), 1 reflect, 2 edge. y: contiguous, in_shape + begins + ends. */
void kiln_pad_ref(int rank, const int64_t *in_shape, const int64_t *pads, int mode, float value,
                  const float *x, float *y);
void kiln_pad(int rank, const int64_t *in_shape, const int64_t *pads, int mode, float value,
              const float *x, float *y);

/* ---------------------------------------------------------------- matmul (addition to the contract) */

/* y (M, N) = a (M, K) . b (K, N), all row-major contiguous (one matrix of a batched,
 * broadcasting MatMul; the caller loops over the batch). */
void kiln_matmul_ref(int m, int n, int k, const float *a, const float *b, float *y);
void kiln_matmul(int m, int n, int k, const float *a, const float *b, float *y);

#ifdef __cplusplus
}
#endif
#endif /* KILN_OPS_H */
