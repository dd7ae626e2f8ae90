/*
 * elementwise.c — ReLU and addition over flat buffers.
 */
#include "kiln_kernels.h"

/* Elements per parallel chunk: below this a thread spawn costs more than it saves. */
#define KILN_EW_GRAIN 65536

/* ReLU as `v < 0 ? 0 : v`, not fmaxf(v, 0): NaN compares false and passes through, as in
 * PyTorch, and the select compiles to a vector compare + blend. */
static inline float relu1(float v) { return v < 0.0f ? 0.0f : v; }

// x, y: (count). y may alias x.
void kiln_relu_ref(size_t count, const float *x, float *y) {
    for (size_t i = 0; i < count; i++) y[i] = relu1(x[i]);
}

// x, y: (count). y may alias a or b.
void kiln_add_ref(size_t count, const float *a, const float *b, float *y) {
    for (size_t i = 0; i < count; i++) y[i] = a[i] + b[i];
}

typedef struct {
    const float *a, *b;
    float *y;
} ew_ctx;

static void relu_chunk(void *vctx, size_t i0, size_t i1) {
    const ew_ctx *ctx = (const ew_ctx *)vctx;
    const float *x = ctx->a;
    float *y = ctx->y;
    for (size_t i = i0; i < i1; i++) y[i] = relu1(x[i]);
}

static void add_chunk(void *vctx, size_t i0, size_t i1) {
    const ew_ctx *ctx = (const ew_ctx *)vctx;
    const float *a = ctx->a, *b = ctx->b;
    float *y = ctx->y;
    for (size_t i = i0; i < i1; i++) y[i] = a[i] + b[i];
}

// x, y: (count). y may alias x. Contiguous chunks, one per thread.
void kiln_relu(size_t count, const float *x, float *y) {
    ew_ctx ctx = {x, NULL, y};
    kiln_parallel_for(count, KILN_EW_GRAIN, relu_chunk, &ctx);
}

// a, b, y: (count). y may alias a or b. Contiguous chunks, one per thread.
void kiln_add(size_t count, const float *a, const float *b, float *y) {
    ew_ctx ctx = {a, b, y};
    kiln_parallel_for(count, KILN_EW_GRAIN, add_chunk, &ctx);
}
