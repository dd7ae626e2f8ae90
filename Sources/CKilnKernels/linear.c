/*
 * linear.c — fully connected layer: y = x w^T + bias.
 *
 * Batches up to KILN_LINEAR_SMALL_N run as dot products; larger ones on Kiln's own packed
 * GEMM (kiln_gemm.h), not BLAS: a generated library whose other steps call no BLAS then
 * needs no libopenblas at all (the link drops what nothing references), so loading it
 * starts no BLAS threads beside the host's.
 */
#include "kiln_kernels.h"
#include "kiln_gemm.h"

#include <stdlib.h>
#include <string.h>

// x: (N, IN), w: (OUT, IN), bias: (OUT) or NULL, y: (N, OUT). Double accumulation.
void kiln_linear_ref(int n, int in, int out, const float *x, const float *w,
                     const float *bias, float *y) {
    for (int i = 0; i < n; i++) {
        for (int o = 0; o < out; o++) {
            double acc = bias ? bias[o] : 0.0;
            for (int k = 0; k < in; k++)
                acc += (double)x[(size_t)i * in + k] * (double)w[(size_t)o * in + k];
            y[(size_t)i * out + o] = (float)acc;
        }
    }
}

/* Small batches: a GEMM's packing outweighs the work (ResNet's fc at batch 1 is a
 * 512x1000 matrix-vector product, bound by reading w once), so each output is
 * a dot product over 16 independent lanes (vectorises without -ffast-math, since the lanes
 * are separate sums), threaded over output features. */
#define KILN_LINEAR_SMALL_N 4

typedef struct {
    int n, in, out;
    const float *x, *w, *bias;
    float *y;
} linear_ctx;

static void linear_small_rows(void *vctx, size_t o0, size_t o1) {
    const linear_ctx *c = (const linear_ctx *)vctx;
    for (size_t o = o0; o < o1; o++) {
        const float *wr = c->w + o * (size_t)c->in;
        for (int i = 0; i < c->n; i++) {
            const float *xr = c->x + (size_t)i * c->in;
            float lane[16] = {0};
            int k = 0;
            for (; k + 16 <= c->in; k += 16)
                for (int l = 0; l < 16; l++) lane[l] += xr[k + l] * wr[k + l];
            float acc = c->bias ? c->bias[o] : 0.0f;
            for (int l = 0; l < 16; l++) acc += lane[l];
            for (; k < c->in; k++) acc += xr[k] * wr[k];
            c->y[(size_t)i * c->out + o] = acc;
        }
    }
}

/* B of the large-batch product is w^T: B(k, j) = w[j * IN + k]. */
typedef struct {
    const float *w; /* the first output feature's row of the chunk */
    int in;
} linear_wt;

// kiln_gemm_pack_b_fn of w^T: dst[kk * NR + j] = w[(n0 + j) * IN + k0 + kk], zero past nc.
// Row by row: each output feature's K run is read contiguously, the (L1-resident) panel is
// written with stride NR.
static void linear_pack_wt(const void *vctx, int k0, int kc, int n0, int nc, float *dst) {
    const linear_wt *c = (const linear_wt *)vctx;
    for (int j = 0; j < nc; j++) {
        const float *wr = c->w + (size_t)(n0 + j) * c->in + k0;
        for (int kk = 0; kk < kc; kk++) dst[(size_t)kk * KILN_GEMM_NR + j] = wr[kk];
    }
    for (int kk = 0; kk < kc && nc < KILN_GEMM_NR; kk++)
        memset(dst + (size_t)kk * KILN_GEMM_NR + nc, 0, sizeof(float) * (size_t)(KILN_GEMM_NR - nc));
}

typedef struct {
    int n, in, out;
    const float *xp, *w, *bias; /* xp: x packed as the GEMM's A */
    float *y;
} linear_gemm_ctx;

// Output features [p0 * NR, p1 * NR) (whole B panels) of every row: y = x w^T + bias, the
// bias added by the epilogue as a residual of row stride 0.
static void linear_gemm_cols(void *vctx, size_t p0, size_t p1) {
    const linear_gemm_ctx *c = (const linear_gemm_ctx *)vctx;
    const int j0 = (int)p0 * KILN_GEMM_NR, j1 = (int)p1 * KILN_GEMM_NR < c->out ? (int)p1 * KILN_GEMM_NR : c->out;
    _Alignas(64) float ws[KILN_GEMM_KC * KILN_GEMM_NR]; /* kiln_gemm_workspace_size: one B panel block */
    const linear_wt b = {c->w + (size_t)j0 * c->in, c->in};
    kiln_gemm_with_packer(c->n, j1 - j0, c->in, c->xp, linear_pack_wt, &b, c->y + j0, c->out, NULL,
                          c->bias ? c->bias + j0 : NULL, 0, NULL, ws);
}

// x: (N, IN), w: (OUT, IN), bias: (OUT) or NULL, y: (N, OUT).
void kiln_linear(int n, int in, int out, const float *x, const float *w,
                 const float *bias, float *y) {
    if (n <= 0 || out <= 0) return;
    linear_ctx small = {n, in, out, x, w, bias, y};
    /* ~32k multiply-adds per chunk keeps the fork/join cost small against the work */
    const size_t per = (size_t)n * (size_t)(in > 0 ? in : 1);
    float *xp = n > KILN_LINEAR_SMALL_N && in > 0 ? (float *)malloc(sizeof(float) * kiln_gemm_packed_a_size(n, in)) : NULL;
    if (!xp) { /* small batches, an empty reduction (y = bias), or no memory for the packed x */
        kiln_parallel_for((size_t)out, per >= 32768 ? 1 : 32768 / per, linear_small_rows, &small);
        return;
    }
    kiln_gemm_pack_a(n, in, x, in, xp);
    linear_gemm_ctx c = {n, in, out, xp, w, bias, y};
    const size_t panels = (size_t)(out + KILN_GEMM_NR - 1) / KILN_GEMM_NR, panel_work = per * KILN_GEMM_NR;
    kiln_parallel_for(panels, panel_work >= 32768 ? 1 : 32768 / panel_work, linear_gemm_cols, &c);
    free(xp);
}
