/*
 * ops_activation.c — y = act(x) for the activations of kiln_ops.h.
 */
#include "kiln_kernels.h"
#include "kiln_ops_internal.h"

// x, y: (count). y may alias x.
void kiln_activation_ref(kiln_act act, size_t count, const float *x, float *y) {
    for (size_t i = 0; i < count; i++) y[i] = kiln_act_scalar(&act, x[i]);
}

void kiln_act_span(const kiln_act *a, size_t count, float *y) {
    if (a->kind == KILN_ACT_NONE) return;
    for (size_t i = 0; i < count; i++) y[i] = kiln_act_scalar(a, y[i]);
}

// x, y: (count). y may alias x.
void kiln_activation(kiln_act act, size_t count, const float *x, float *y) {
    kiln_activation_ref(act, count, x, y);
}
