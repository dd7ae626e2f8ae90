/*
 * ops_activation.c — y = act(x) for the activations of kiln_ops.h.
 */
#include "kiln_kernels.h"
#include "kiln_gemm.h" /* kiln_gemm_uses_avx512: the kernels' one CPU switch */
#include "kiln_act_simd.h"

/* Elements per parallel chunk: below this a thread hand-off costs more than it saves
 * (ReLU streams ~10 GB/s per core: 64K floats are ~25 µs). */
#define KILN_ACT_GRAIN 65536

// x, y: (count). y may alias x.
void kiln_activation_ref(kiln_act act, size_t count, const float *x, float *y) {
    for (size_t i = 0; i < count; i++) y[i] = kiln_act_scalar(&act, x[i]);
}

#if KILN_ACT_AVX512
// x, y: (count). y may alias x. 16 lanes at a time, the tail masked.
KILN_ACT_AVX512_FN static void act_avx512(const kiln_act *a, size_t count, const float *x, float *y) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(y + i, kiln_act_avx512(a, _mm512_loadu_ps(x + i)));
    if (i < count) {
        const __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, kiln_act_avx512(a, _mm512_maskz_loadu_ps(m, x + i)));
    }
}
#endif

/* One thread's share: the vector path when the CPU has it, else the scalar formula. */
static void act_range(const kiln_act *a, size_t count, const float *x, float *y) {
    if (a->kind == KILN_ACT_NONE) {
        if (x != y) for (size_t i = 0; i < count; i++) y[i] = x[i];
        return;
    }
#if KILN_ACT_AVX512
    if (kiln_gemm_uses_avx512()) { act_avx512(a, count, x, y); return; }
#endif
    for (size_t i = 0; i < count; i++) y[i] = kiln_act_scalar(a, x[i]);
}

void kiln_act_span(const kiln_act *a, size_t count, float *y) { act_range(a, count, y, y); }

typedef struct {
    kiln_act act;
    const float *x;
    float *y;
} act_ctx;

static void act_chunk(void *vctx, size_t i0, size_t i1) {
    const act_ctx *c = (const act_ctx *)vctx;
    act_range(&c->act, i1 - i0, c->x + i0, c->y + i0);
}

// x, y: (count). y may alias x. Contiguous chunks, one per thread.
void kiln_activation(kiln_act act, size_t count, const float *x, float *y) {
    act_ctx ctx = {act, x, y};
    kiln_parallel_for(count, KILN_ACT_GRAIN, act_chunk, &ctx);
}
