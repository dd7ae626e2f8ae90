/*
 * kiln_lazy_weights.c — weights built on first use (see kiln_lazy_weights.h).
 */
#include "kiln_lazy_weights.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* One lock for every build (builds are rare: once per convolution per process) and the list
 * of built weights, freed at unload so dlclose() leaks nothing. */
static pthread_mutex_t g_lazy_lock = PTHREAD_MUTEX_INITIALIZER;
static kiln_lazy_weights *g_built = NULL;

typedef size_t (*packed_size_fn)(int oc, int c);
typedef void (*from_gemm_fn)(int oc, int c, const float *gemm_packed, float *u);

/* The slot's weights, built once by from_gemm into packed_size(oc, c) floats. */
static const float *lazy_build(kiln_lazy_weights *slot, int oc, int c, const float *gemm_packed,
                               packed_size_fn packed_size, from_gemm_fn from_gemm) {
    float *u = atomic_load_explicit(&slot->data, memory_order_acquire);
    if (u) return u;
    if (atomic_load_explicit(&slot->failed, memory_order_relaxed)) return NULL;
    pthread_mutex_lock(&g_lazy_lock);
    u = atomic_load_explicit(&slot->data, memory_order_acquire);
    if (!u && !atomic_load_explicit(&slot->failed, memory_order_relaxed)) {
        u = (float *)malloc(sizeof(float) * packed_size(oc, c));
        if (u) {
            from_gemm(oc, c, gemm_packed, u);
            slot->next = g_built;
            g_built = slot;
            atomic_store_explicit(&slot->data, u, memory_order_release);
        } else {
            atomic_store_explicit(&slot->failed, 1, memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&g_lazy_lock);
    return u;
}

const float *kiln_lazy_winograd_f2x3(kiln_lazy_weights *slot, int oc, int c, const float *gemm_packed) {
    return lazy_build(slot, oc, c, gemm_packed, kiln_winograd_f2x3_packed_size, kiln_winograd_f2x3_pack_from_gemm);
}

const float *kiln_lazy_winograd_f4x3(kiln_lazy_weights *slot, int oc, int c, const float *gemm_packed) {
    return lazy_build(slot, oc, c, gemm_packed, kiln_winograd_f4x3_packed_size, kiln_winograd_f4x3_pack_from_gemm);
}

const float *kiln_lazy_winograd_f4x3_from_f2x3(kiln_lazy_weights *slot, int oc, int c, const float *f2x3_packed) {
    return lazy_build(slot, oc, c, f2x3_packed, kiln_winograd_f4x3_packed_size, kiln_winograd_f4x3_pack_from_f2x3);
}

/* Runs p on u with its own workspace of ws_floats: the library's arena is sized for the
 * packed GEMM, and a batch-1 process should not carry Winograd's. After the first call,
 * malloc reuses the block. */
static int run_own_workspace(const float *u, size_t ws_floats, const kiln_conv2d_params *p, const float *x,
                             const float *bias, const float *residual, float *y,
                             void (*conv)(const kiln_conv2d_params *, const float *, const float *, const float *,
                                          const float *, float *, float *)) {
    if (!u) return -1;
    float *ws = (float *)malloc(sizeof(float) * ws_floats);
    if (!ws) return -1;
    conv(p, x, u, bias, residual, y, ws);
    free(ws);
    return 0;
}

int kiln_lazy_winograd_f2x3_run(kiln_lazy_weights *slot, const kiln_conv2d_params *p, const float *x,
                                const float *gemm_packed, const float *bias, const float *residual, float *y) {
    return run_own_workspace(kiln_lazy_winograd_f2x3(slot, p->oc, p->c, gemm_packed),
                             kiln_winograd_f2x3_workspace_size(p), p, x, bias, residual, y, kiln_conv2d_winograd_f2x3);
}

int kiln_lazy_winograd_f4x3_run(kiln_lazy_weights *slot, const kiln_conv2d_params *p, const float *x,
                                const float *gemm_packed, const float *bias, const float *residual, float *y) {
    return run_own_workspace(kiln_lazy_winograd_f4x3(slot, p->oc, p->c, gemm_packed),
                             kiln_winograd_f4x3_workspace_size(p), p, x, bias, residual, y, kiln_conv2d_winograd_f4x3);
}

int kiln_lazy_winograd_f4x3_from_f2x3_run(kiln_lazy_weights *slot, const kiln_conv2d_params *p, const float *x,
                                          const float *f2x3_packed, const float *bias, const float *residual, float *y) {
    return run_own_workspace(kiln_lazy_winograd_f4x3_from_f2x3(slot, p->oc, p->c, f2x3_packed),
                             kiln_winograd_f4x3_workspace_size(p), p, x, bias, residual, y, kiln_conv2d_winograd_f4x3);
}

__attribute__((destructor)) static void lazy_weights_free_all(void) {
    pthread_mutex_lock(&g_lazy_lock);
    for (kiln_lazy_weights *s = g_built; s; s = s->next) {
        free(atomic_exchange(&s->data, NULL));
        atomic_store(&s->failed, 0);
    }
    g_built = NULL;
    pthread_mutex_unlock(&g_lazy_lock);
}
