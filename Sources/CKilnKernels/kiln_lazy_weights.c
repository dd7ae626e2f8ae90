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

const float *kiln_lazy_winograd_f2x3(kiln_lazy_weights *slot, int oc, int c, const float *gemm_packed) {
    float *u = atomic_load_explicit(&slot->data, memory_order_acquire);
    if (u) return u;
    if (atomic_load_explicit(&slot->failed, memory_order_relaxed)) return NULL;
    pthread_mutex_lock(&g_lazy_lock);
    u = atomic_load_explicit(&slot->data, memory_order_acquire);
    if (!u && !atomic_load_explicit(&slot->failed, memory_order_relaxed)) {
        u = (float *)malloc(sizeof(float) * kiln_winograd_f2x3_packed_size(oc, c));
        if (u) {
            kiln_winograd_f2x3_pack_from_gemm(oc, c, gemm_packed, u);
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

int kiln_lazy_winograd_f2x3_run(kiln_lazy_weights *slot, const kiln_conv2d_params *p, const float *x,
                                const float *gemm_packed, const float *bias, const float *residual, float *y) {
    const float *u = kiln_lazy_winograd_f2x3(slot, p->oc, p->c, gemm_packed);
    if (!u) return -1;
    /* Its own workspace: the library's arena is sized for the packed GEMM, and a batch-1
     * process should not carry Winograd's. After the first call, malloc reuses the block. */
    float *ws = (float *)malloc(sizeof(float) * kiln_winograd_f2x3_workspace_size(p));
    if (!ws) return -1;
    kiln_conv2d_winograd_f2x3(p, x, u, bias, residual, y, ws);
    free(ws);
    return 0;
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
