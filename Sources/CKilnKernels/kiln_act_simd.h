/*
 * kiln_act_simd.h — private to the kernels: the activations of kiln_ops.h on 16 floats at a
 * time with AVX-512, for the standalone activation and the depthwise convolution's
 * epilogue. Shipped inside generated libraries with the other kernel sources.
 *
 * exp is Cephes' expf scheme (range reduction by ln 2, degree-6 polynomial, scaling by
 * 2^n with vscalefps, which also gives inf/0 on overflow/underflow): within 2 ulp of expf,
 * so sigmoid and SiLU are within ~4 ulp of the scalar reference (tests: 1e-6 relative); erf,
 * erfc and GELU from fitted polynomials and that exp, within 1e-6 relative too.
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

/* z P(z^2) = erf(z) for |z| < 0.921875, no cancellation near 0 (P: a least-squares fit in
 * relative error, float64 on Chebyshev nodes). */
KILN_ACT_AVX512_FN static inline __m512 kiln_erf_near0_avx512(__m512 z) {
    static const float p[7] = {1.128379166900482f, -0.37612634943121825f, 0.11283708435266623f, -0.026859957573947026f,
                               0.005202176696551397f, -0.0008153788591520055f, 8.411056087343935e-05f};
    const __m512 t = _mm512_mul_ps(z, z);
    __m512 s = _mm512_set1_ps(p[6]);
    for (int i = 5; i >= 0; i--) s = _mm512_fmadd_ps(s, t, _mm512_set1_ps(p[i]));
    return _mm512_mul_ps(z, s);
}

/* erfc(z) for 16 lanes, within 6e-7 relative of erfcf over [-15, 15]: 1 - erf near 0;
 * beyond, erfc(|z|) = exp(-z^2) R(1/z^2) / |z| with one R fitted to [0.92, 2) and one beyond,
 * and erfc(-a) = 2 - erfc(a). z^2 is split into h + l exactly and exp(-h)(1 - l) used, so its
 * rounding does not grow with z. |z| is capped at 10.5, where erfc is below every float. */
KILN_ACT_AVX512_FN static inline __m512 kiln_erfc_avx512(__m512 z) {
    static const float near[9] = {5.637106185e-01f, -2.722697496e-01f, 3.280820503e-01f, -4.484821217e-01f, 5.183196966e-01f,
                                  -4.406423822e-01f, 2.501804607e-01f, -8.373764103e-02f, 1.242264334e-02f};
    static const float far[9] = {5.641895463e-01f, -2.820873148e-01f, 4.225877716e-01f, -1.037186693e+00f, 3.251368422e+00f,
                                 -1.024571741e+01f, 2.577641253e+01f, -4.165723736e+01f, 3.095630124e+01f};
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 a = _mm512_min_ps(_mm512_set1_ps(10.5f), _mm512_abs_ps(z)); /* a second: NaN passes */
    const __mmask16 beyond2 = _mm512_cmp_ps_mask(a, _mm512_set1_ps(2.0f), _CMP_GE_OQ);
    const __m512 h = _mm512_mul_ps(a, a), l = _mm512_fmsub_ps(a, a, h);
    const __m512 u = _mm512_div_ps(one, h);
    __m512 r = _mm512_mask_blend_ps(beyond2, _mm512_set1_ps(near[8]), _mm512_set1_ps(far[8]));
    for (int i = 7; i >= 0; i--) r = _mm512_fmadd_ps(r, u, _mm512_mask_blend_ps(beyond2, _mm512_set1_ps(near[i]), _mm512_set1_ps(far[i])));
    const __m512 e = _mm512_mul_ps(kiln_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), h)), _mm512_sub_ps(one, l));
    __m512 tail = _mm512_div_ps(_mm512_mul_ps(e, r), a);
    tail = _mm512_mask_sub_ps(tail, _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_set1_ps(2.0f), tail);
    const __mmask16 near0 = _mm512_cmp_ps_mask(_mm512_abs_ps(z), _mm512_set1_ps(0.921875f), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(near0, tail, _mm512_sub_ps(one, kiln_erf_near0_avx512(z)));
}

KILN_ACT_AVX512_FN static inline __m512 kiln_erf_avx512(__m512 z) {
    const __mmask16 near0 = _mm512_cmp_ps_mask(_mm512_abs_ps(z), _mm512_set1_ps(0.921875f), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(near0, _mm512_sub_ps(_mm512_set1_ps(1.0f), kiln_erfc_avx512(z)), kiln_erf_near0_avx512(z));
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
    case KILN_ACT_ERF: return kiln_erf_avx512(v);
    case KILN_ACT_GELU:
        if (a->a != 0.0f) { /* x / (1 + exp(-2y)), as the reference */
            const __m512 cube = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.044715f), v), v), v);
            const __m512 y = _mm512_mul_ps(_mm512_set1_ps(-2.0f * 0.7978845608028654f), _mm512_add_ps(v, cube));
            return _mm512_div_ps(v, _mm512_add_ps(one, kiln_exp_avx512(y)));
        }
        return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), kiln_erfc_avx512(_mm512_mul_ps(v, _mm512_set1_ps(-0.7071067811865476f))));
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
