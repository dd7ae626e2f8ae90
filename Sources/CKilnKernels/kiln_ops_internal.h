/*
 * kiln_ops_internal.h — private to the kernels (not in include/: Swift never sees it):
 * the activation formulas every kernel shares, so the standalone activation, its
 * reference and every convolution epilogue compute the same function. Shipped inside
 * generated libraries with the other kernel sources.
 */
#ifndef KILN_OPS_INTERNAL_H
#define KILN_OPS_INTERNAL_H

#include "kiln_ops.h"

#include <math.h>
#include <stdatomic.h>

/* A CPU-feature check run once per process and cached: *cached is -1 until the first call
 * (racing first callers compute and store the same value). The GEMMs and Winograd each
 * keep one for their own feature list. */
static inline int kiln_cpu_check_cached(_Atomic int *cached, int (*check)(void)) {
    int v = atomic_load_explicit(cached, memory_order_relaxed);
    if (v < 0) {
        __builtin_cpu_init();
        v = check();
        atomic_store_explicit(cached, v, memory_order_relaxed);
    }
    return v;
}

/* Max pooling by rows (pool.c), shared by kiln_maxpool2d and the stem convolution that pools
 * its own output rows (kiln_conv2d_stem_maxpool), so both give the same bits: the widest input
 * row (a stack buffer of 32 KiB) and the tallest window of that path. */
#define KILN_POOL_MAX_ROW 8192
#define KILN_POOL_MAX_KH 64
struct kiln_maxpool2d_params;
void kiln_maxpool_kx_ranges(const struct kiln_maxpool2d_params *p, int *kx_range);
void kiln_maxpool_row(const struct kiln_maxpool2d_params *p, const float *const *rows, int nrows, const int *kx_range,
                      float *yr);

/* One activation, the reference formula. Comparisons are written so a NaN input compares
 * false and passes through (PyTorch/ONNX Runtime propagate NaN through every kind). */
static inline float kiln_act_scalar(const kiln_act *a, float v) {
    switch (a->kind) {
    case KILN_ACT_RELU: return v < 0.0f ? 0.0f : v;
    case KILN_ACT_CLIP: v = v < a->a ? a->a : v; return v > a->b ? a->b : v; /* np.clip: max first */
    case KILN_ACT_LEAKY_RELU: return v < 0.0f ? a->a * v : v;
    case KILN_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case KILN_ACT_HARD_SIGMOID: {
        const float t = a->a * v + a->b;
        return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    }
    case KILN_ACT_HARD_SWISH: {
        const float t = v / 6.0f + 0.5f;
        return v * (t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t));
    }
    case KILN_ACT_SILU: return v / (1.0f + expf(-v));
    case KILN_ACT_TANH: return tanhf(v);
    case KILN_ACT_ELU: return v < 0.0f ? a->a * expm1f(v) : v;
    case KILN_ACT_SELU: return a->b * (v <= 0.0f ? a->a * expm1f(v) : v);
    /* log1p(exp(-|x|)) + max(x, 0): exp never overflows, and large x gives x exactly. */
    case KILN_ACT_SOFTPLUS: return v != v ? v : log1pf(expf(-fabsf(v))) + (v > 0.0f ? v : 0.0f);
    case KILN_ACT_SOFTSIGN: return v / (1.0f + fabsf(v));
    case KILN_ACT_EXP: return expf(v);
    case KILN_ACT_LOG: return logf(v);
    case KILN_ACT_SQRT: return sqrtf(v);
    case KILN_ACT_NEG: return -v;
    case KILN_ACT_ABS: return fabsf(v);
    case KILN_ACT_SIGN: return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : v); /* 0, -0 and NaN pass */
    case KILN_ACT_RECIPROCAL: return 1.0f / v;
    case KILN_ACT_SHRINK: return v < -a->a ? v + a->b : (v > a->a ? v - a->b : (v != v ? v : 0.0f));
    case KILN_ACT_ERF: return erff(v);
    /* PyTorch's two forms (F.gelu approximate="none" | "tanh"), as ONNX's Gelu defines them:
     * x/2 (1 + erf(x/sqrt 2)) = x/2 erfc(-x/sqrt 2), and x/2 (1 + tanh y) = x / (1 + exp(-2y)),
     * y = sqrt(2/pi) (x + 0.044715 x^3). The right-hand forms are the same functions without
     * the cancellation of 1 + erf or 1 + tanh near -1, which loses all digits for x < -4. */
    case KILN_ACT_GELU:
        return a->a != 0.0f ? v / (1.0f + expf(-2.0f * 0.7978845608028654f * (v + 0.044715f * v * v * v)))
                            : 0.5f * v * erfcf(-v * 0.7071067811865476f);
    case KILN_ACT_SIN: return sinf(v);
    case KILN_ACT_COS: return cosf(v);
    case KILN_ACT_TAN: return tanf(v);
    case KILN_ACT_ASIN: return asinf(v);
    case KILN_ACT_ACOS: return acosf(v);
    case KILN_ACT_ATAN: return atanf(v);
    case KILN_ACT_SINH: return sinhf(v);
    case KILN_ACT_COSH: return coshf(v);
    case KILN_ACT_ASINH: return asinhf(v);
    case KILN_ACT_ACOSH: return acoshf(v);
    case KILN_ACT_ATANH: return atanhf(v);
    case KILN_ACT_FLOOR: return floorf(v);
    case KILN_ACT_CEIL: return ceilf(v);
    /* nearbyint rounds in the current mode, which is to nearest with ties to even unless a
     * host changed it (fesetround); roundf would send halves away from zero. */
    case KILN_ACT_ROUND: return nearbyintf(v);
    /* softplus as above (no overflow), then tanh. */
    case KILN_ACT_MISH: return v != v ? v : v * tanhf(log1pf(expf(-fabsf(v))) + (v > 0.0f ? v : 0.0f));
    case KILN_ACT_CELU: return (v > 0.0f ? v : 0.0f) + (v < 0.0f ? a->a * expm1f(v / a->a) : (v != v ? v : 0.0f));
    case KILN_ACT_THRESHOLDED_RELU: return v > a->a ? v : (v != v ? v : 0.0f);
    default: return v;
    }
}

/* NONE, RELU and CLIP (ReLU6) are a clamp to [*lo, *hi]: convolution epilogues apply them
 * in registers as max(lo, v) then min(hi, v) (v second: NaN passes). Returns 0 for the
 * other kinds (and sets the bounds to -inf, +inf), which kiln_act_span applies. */
static inline int kiln_act_bounds(const kiln_act *a, float *lo, float *hi) {
    *lo = -INFINITY;
    *hi = INFINITY;
    switch (a->kind) {
    case KILN_ACT_NONE: return 1;
    case KILN_ACT_RELU: *lo = 0.0f; return 1;
    case KILN_ACT_CLIP: *lo = a->a; *hi = a->b; return 1;
    default: return 0;
    }
}

/* Kinds a convolution epilogue applies after its store with kiln_act_span. */
static inline int kiln_act_needs_span(const kiln_act *a) {
    float lo, hi;
    return !kiln_act_bounds(a, &lo, &hi);
}

/* Collapses a strided view of two operands (kiln_binary's a and b, kiln_copy_strided's
 * source and destination): size-1 dims are dropped and neighbours merged where both step
 * through them as one run, so a same-shape op becomes one dim and a [N,C,1,1]x[N,C,H,W]
 * product (N*C rows) x (H*W). Dims are written innermost first into cs/c1/c2; returns their
 * count (at least 1). */
static inline int kiln_collapse_view(int rank, const int64_t *shape, const int64_t *s1, const int64_t *s2,
                                     int64_t *cs, int64_t *c1, int64_t *c2) {
    int r = 0;
    for (int d = rank - 1; d >= 0; d--) {
        if (shape[d] == 1) continue;
        if (r > 0 && s1[d] == c1[r - 1] * cs[r - 1] && s2[d] == c2[r - 1] * cs[r - 1]) {
            cs[r - 1] *= shape[d];
            continue;
        }
        cs[r] = shape[d]; c1[r] = s1[d]; c2[r] = s2[d];
        r++;
    }
    if (r == 0) { cs[0] = 1; c1[0] = 0; c2[0] = 0; r = 1; }
    return r;
}

/* y[i] = act(y[i]) for count elements, in place, on the calling thread (vectorised with
 * AVX-512 when the CPU has it; exp within a few ulp of expf). For convolution epilogues,
 * which call it on a block they just wrote, while it is in cache. */
void kiln_act_span(const kiln_act *a, size_t count, float *y);

#endif /* KILN_OPS_INTERNAL_H */
