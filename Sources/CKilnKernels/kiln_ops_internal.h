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

/* y[i] = act(y[i]) for count elements, in place, on the calling thread (vectorised with
 * AVX-512 when the CPU has it; exp within a few ulp of expf). For convolution epilogues,
 * which call it on a block they just wrote, while it is in cache. */
void kiln_act_span(const kiln_act *a, size_t count, float *y);

#endif /* KILN_OPS_INTERNAL_H */
