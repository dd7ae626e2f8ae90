/*
 * kiln_act_simd.h — private to the kernels: the activations of kiln_ops.h on 16 floats at a
 * time with AVX-512, for the standalone activation and the depthwise convolution's
 * epilogue. Shipped inside generated libraries with the other kernel sources.
 *
 * exp is Cephes' expf scheme (range reduction by ln 2, degree-6 polynomial, scaling by
 * 2^n with vscalefps, which also gives inf/0 on overflow/underflow): within 2 ulp of expf,
 * so sigmoid and SiLU are within ~4 ulp of the scalar reference (tests: 1e-6 relative).
 */
#ifndef KILN_ACT_SIMD_H
#define KILN_ACT_SIMD_H

#include "kiln_ops_internal.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define KILN_ACT_AVX512 1
/* Why target attributes: CKilnKernels is built without -march (it must run on any x86-64);
 * callers choose this path at run time (kiln_gemm_uses_avx512). */
#define KILN_ACT_AVX512_FN __attribute__((target("avx512f,fma")))

KILN_ACT_AVX512_FN static inline __m512 kiln_exp_avx512(__m512 x) {
    /* Clamp so n stays finite; min/max take x as the second operand so a NaN passes. */
    x = _mm512_min_ps(_mm512_set1_ps(88.8f), x);
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);   /* ln 2, high part */
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);       /* ln 2, low part */
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

/* act(v) for 16 lanes; the same formulas as kiln_act_scalar (NaN passes: every max/min has
 * v as its second operand, which both return when an operand is NaN). Tanh and the ONNX
 * math kinds go lane by lane through kiln_act_scalar (no CNN of the issue uses them in a hot
 * loop). */
KILN_ACT_AVX512_FN static inline __m512 kiln_act_avx512(const kiln_act *a, __m512 v) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    switch (a->kind) {
    case KILN_ACT_RELU: return _mm512_max_ps(zero, v);
    case KILN_ACT_CLIP: return _mm512_min_ps(_mm512_set1_ps(a->b), _mm512_max_ps(_mm512_set1_ps(a->a), v));
    case KILN_ACT_LEAKY_RELU:
        return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, _mm512_set1_ps(a->a));
    case KILN_ACT_SIGMOID:
        return _mm512_div_ps(one, _mm512_add_ps(one, kiln_exp_avx512(_mm512_sub_ps(zero, v))));
    case KILN_ACT_HARD_SIGMOID: {
        /* mul then add, not FMA: the reference's rounding (near the 0 cut-off the result is
         * the difference of two close numbers, so one rounding more or less is visible). */
        const __m512 t = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(a->a), v), _mm512_set1_ps(a->b));
        return _mm512_min_ps(one, _mm512_max_ps(zero, t));
    }
    case KILN_ACT_HARD_SWISH: {
        const __m512 t = _mm512_add_ps(_mm512_div_ps(v, _mm512_set1_ps(6.0f)), _mm512_set1_ps(0.5f));
        return _mm512_mul_ps(v, _mm512_min_ps(one, _mm512_max_ps(zero, t)));
    }
    case KILN_ACT_SILU:
        return _mm512_div_ps(v, _mm512_add_ps(one, kiln_exp_avx512(_mm512_sub_ps(zero, v))));
    case KILN_ACT_NONE: return v;
    case KILN_ACT_NEG: return _mm512_sub_ps(zero, v);
    case KILN_ACT_ABS: return _mm512_abs_ps(v);
    case KILN_ACT_SQRT: return _mm512_sqrt_ps(v);
    case KILN_ACT_RECIPROCAL: return _mm512_div_ps(one, v);
    default: {
        /* Tanh and the ONNX math kinds (Elu, Exp, Log, Softplus, …) lane by lane through the
         * reference formula: exact, and every kind is right in every epilogue. */
        float t[16];
        _mm512_storeu_ps(t, v);
        for (int i = 0; i < 16; i++) t[i] = kiln_act_scalar(a, t[i]);
        return _mm512_loadu_ps(t);
    }
    }
}
#else
#define KILN_ACT_AVX512 0
#endif

#endif /* KILN_ACT_SIMD_H */
