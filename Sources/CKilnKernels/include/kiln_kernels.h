/*
 * kiln_kernels.h — Kiln's CPU kernels: one source of truth for the eager engine and for
 * the shared libraries that aotCompile generates (which embed these same sources).
 *
 * Conventions
 *   - float32, NCHW, contiguous, row-major. Shapes are given on every function.
 *   - Every kernel `kiln_X` has a naive reference twin `kiln_X_ref`: the obvious loops, no
 *     BLAS, no threads. Tests compare the two over swept shapes.
 *   - Fast paths may use OpenBLAS sgemm and Kiln's thread pool (kiln_parallel_for).
 *   - Output buffers never alias inputs unless a function says so.
 */
#ifndef KILN_KERNELS_H
#define KILN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "kiln_ops.h" /* kiln_act: the convolution epilogue's activation */

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- threads */

/* Number of worker threads Kiln's own kernels use (default: online CPUs, or KILN_NUM_THREADS).
 * kiln_set_num_threads(n <= 0) restores the default; counts are capped at 256. */
int kiln_get_num_threads(void);
void kiln_set_num_threads(int n);
/* The calling thread's own count, over the process-wide one (n <= 0: back to it): a host
 * running models on several threads at once can give each its share, and a test can vary the
 * count without changing what kernels compute for other threads (some kernels' summation
 * order follows the thread count, e.g. Winograd's split-phase layout). */
void kiln_set_thread_num_threads(int n);

/* Calls fn(ctx, begin, end) on disjoint chunks covering [0, n), on up to
 * kiln_get_num_threads() threads; returns when all chunks are done. Safe to call from
 * several threads at once (each call has its own threads). Chunk 0 (the one starting at 0)
 * runs on the calling thread, so consecutive layers split the same way give the caller the
 * same share each time (data in its own cache). */
typedef void (*kiln_range_fn)(void *ctx, size_t begin, size_t end);
void kiln_parallel_for(size_t n, size_t min_chunk, kiln_range_fn fn, void *ctx);
/* The same chunks, balanced while they run: thread i starts on chunk i, taking `grain` items
 * at a time from its front, and a thread whose chunk is done takes grains from the back of
 * the chunk with the most left. While the threads keep pace each computes exactly its
 * chunk (the locality of kiln_parallel_for); when one falls behind (a busy vCPU, a late
 * wake-up) the other finishes its work instead of waiting. fn may be called several times
 * per thread, on any sub-range, so items must be independent. */
void kiln_parallel_for_balanced(size_t n, size_t min_chunk, size_t grain, kiln_range_fn fn, void *ctx);

/* Time accounting of the pool, for KILN_PROFILE=threads: while on, the pool's owner adds the
 * time it waits at each join (its chunks done, a worker's not yet) to its idle count, and
 * every worker adds the time it spends in chunks to its busy count. kiln_parallel_time_take
 * moves both into the caller's arrays (idle_ms[0]: the owner; busy_ms[i]: worker i, i >= 1,
 * up to `slots`) and restarts them. Meant for one profiled caller at a time: a second
 * thread's calls (on threads of its own) are not counted. */
void kiln_parallel_accounting(int on);
void kiln_parallel_time_take(double *idle_ms, double *busy_ms, int slots);

/* Kernel switches (test hooks such as kiln_gemm_force_portable) belong to the thread that sets
 * them and to the chunks of its kiln_parallel_for calls, on whichever thread those run: a test
 * forcing the portable path never changes what kernels compute for other threads. */
enum {
    KILN_SWITCH_PORTABLE_GEMM = 1u << 0,
    KILN_SWITCH_PORTABLE_GEMM_BF16 = 1u << 1,
    KILN_SWITCH_PORTABLE_WINOGRAD = 1u << 2,
    KILN_SWITCH_NO_AMX = 1u << 3,       /* kiln_gemm_bf16_set_amx(KILN_AMX_OFF) */
    KILN_SWITCH_EMULATED_AMX = 1u << 4, /* kiln_gemm_bf16_set_amx(KILN_AMX_EMULATED) */
};
unsigned kiln_thread_switches(void);
void kiln_thread_set_switch(unsigned bit, int on);

/* ---------------------------------------------------------------- conv2d */

/* x: (N, C, H, W), w: (OC, C/groups, KH, KW), bias: (OC) or NULL,
 * residual: (N, OC, OH, OW) or NULL, y: (N, OC, OH, OW).
 * Epilogue, in this order: y = conv + bias; y += residual; y = act(y).
 * Pads: pad_h/pad_w are the top/left pads, pad_b/pad_r the bottom/right ones (ONNX's
 * asymmetric pads; PyTorch's symmetric padding sets both pairs). */
typedef struct kiln_conv2d_params {
    int n, c, h, w;
    int oc, kh, kw;
    int stride_h, stride_w;
    int pad_h, pad_w;   /* top, left */
    int dil_h, dil_w;
    int groups;
    int oh, ow;         /* set by kiln_conv2d_init */
    kiln_act act;       /* epilogue activation; {KILN_ACT_RELU} for ReLU */
    int pad_b, pad_r;   /* bottom, right */
} kiln_conv2d_params;

/* Fills oh/ow from the other fields. Returns 0, or -1 when the parameters are invalid
 * (non-positive sizes, negative pads, C or OC not divisible by groups, output smaller
 * than 1x1). */
int kiln_conv2d_init(kiln_conv2d_params *p);
/* floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1 */
int kiln_conv_out_dim(int in, int k, int stride, int pad, int dil);
/* floor((in + pad_begin + pad_end - dil*(k-1) - 1) / stride) + 1 */
int kiln_conv_out_dim2(int in, int k, int stride, int pad_begin, int pad_end, int dil);

void kiln_conv2d_ref(const kiln_conv2d_params *p, const float *x, const float *w,
                     const float *bias, const float *residual, float *y);
/* Floats of scratch that kiln_conv2d needs (0 for 1x1 stride-1 unpadded convolutions and
 * for depthwise ones, which run kiln_conv2d_depthwise). */
size_t kiln_conv2d_workspace_size(const kiln_conv2d_params *p);
/* Fast path: im2col (skipped for 1x1/s1/p0) + sgemm per (image, group), threaded.
 * workspace: kiln_conv2d_workspace_size(p) floats, or NULL to allocate internally. */
void kiln_conv2d(const kiln_conv2d_params *p, const float *x, const float *w,
                 const float *bias, const float *residual, float *y, float *workspace);

/* ---------------------------------------------------------------- batch norm (inference) */

/* x, y: (N, C, HW); gamma, beta, mean, var: (C).
 * y = (x - mean) / sqrt(var + eps) * gamma + beta. y may alias x. */
void kiln_batchnorm_ref(int n, int c, int hw, const float *x, const float *gamma,
                        const float *beta, const float *mean, const float *var, float eps,
                        float *y);
void kiln_batchnorm(int n, int c, int hw, const float *x, const float *gamma,
                    const float *beta, const float *mean, const float *var, float eps,
                    float *y);

/* ---------------------------------------------------------------- elementwise */

/* y = max(x, 0), count elements. y may alias x. */
void kiln_relu_ref(size_t count, const float *x, float *y);
void kiln_relu(size_t count, const float *x, float *y);
/* y = a + b, count elements. y may alias a or b. */
void kiln_add_ref(size_t count, const float *a, const float *b, float *y);
void kiln_add(size_t count, const float *a, const float *b, float *y);

/* ---------------------------------------------------------------- pooling */

/* x: (N, C, H, W), y: (N, C, OH, OW). Padding is -inf and a NaN in a window gives NaN
 * (PyTorch semantics). */
typedef struct kiln_maxpool2d_params {
    int n, c, h, w;
    int kh, kw;
    int stride_h, stride_w;
    int pad_h, pad_w;
    int dil_h, dil_w;
    int ceil_mode;
    int oh, ow;      /* set by kiln_maxpool2d_init */
} kiln_maxpool2d_params;

/* Returns 0, or -1 when invalid (PyTorch rules: pad <= kernel/2, output >= 1). */
int kiln_maxpool2d_init(kiln_maxpool2d_params *p);
void kiln_maxpool2d_ref(const kiln_maxpool2d_params *p, const float *x, float *y);
void kiln_maxpool2d(const kiln_maxpool2d_params *p, const float *x, float *y);

/* x: (N, C, H, W), y: (N, C, OH, OW). Bin i spans [floor(i*H/OH), ceil((i+1)*H/OH)). */
void kiln_adaptive_avgpool2d_ref(int n, int c, int h, int w, int oh, int ow,
                                 const float *x, float *y);
void kiln_adaptive_avgpool2d(int n, int c, int h, int w, int oh, int ow,
                             const float *x, float *y);

/* ---------------------------------------------------------------- linear */

/* x: (N, IN), w: (OUT, IN), bias: (OUT) or NULL, y: (N, OUT). y = x w^T + bias. */
void kiln_linear_ref(int n, int in, int out, const float *x, const float *w,
                     const float *bias, float *y);
void kiln_linear(int n, int in, int out, const float *x, const float *w,
                 const float *bias, float *y);

#ifdef __cplusplus
}
#endif
#endif /* KILN_KERNELS_H */
