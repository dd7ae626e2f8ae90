/*
 * conv2d.c — fast convolution: im2col + OpenBLAS sgemm (depthwise layers go to
 * kiln_conv2d_depthwise), and one fused bias/residual/activation epilogue pass.
 */
#include "kiln_kernels.h"
#include "kiln_ops_internal.h"
#include "kiln_conv_variants.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Items per parallel chunk are sized to roughly this many floats of work, so the cost
 * of spawning a thread (~20 µs) stays small against the chunk. */
#define KILN_CONV_GRAIN 32768

/* Indices t in [0, count) with 0 <= start + t*step < size, as the half-open [*lo, *hi).
 * Why: hoisting the bounds test out of the inner loops leaves them branch-free (and
 * contiguous for stride 1), which is what lets the compiler vectorise them. */
static void valid_range(int start, int step, int count, int size, int *lo, int *hi) {
    int l = start >= 0 ? 0 : (-start + step - 1) / step;
    int h = start >= size ? 0 : (size - start + step - 1) / step;
    if (h > count) h = count;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

static size_t grain_items(size_t work_per_item) {
    return work_per_item >= KILN_CONV_GRAIN ? 1 : KILN_CONV_GRAIN / (work_per_item ? work_per_item : 1);
}

/* 1x1, stride 1, no padding: the input plane already is the gemm's B matrix. */
static int is_pointwise(const kiln_conv2d_params *p) {
    return p->kh == 1 && p->kw == 1 && p->stride_h == 1 && p->stride_w == 1 &&
           p->pad_h == 0 && p->pad_w == 0 && p->pad_b == 0 && p->pad_r == 0;
}

/* One input and one output channel per group: a gemm would have M = 1, so loop directly. */
static int is_depthwise(const kiln_conv2d_params *p) {
    return p->groups == p->c && p->oc == p->c;
}

size_t kiln_conv2d_workspace_size(const kiln_conv2d_params *p) {
    if (is_pointwise(p) || is_depthwise(p)) return 0;
    /* One image's columns for all groups: (C*KH*KW) x (OH*OW). */
    return (size_t)p->c * p->kh * p->kw * p->oh * p->ow;
}

/* ------------------------------------------------------------------ im2col */

typedef struct {
    const kiln_conv2d_params *p;
    const float *x; /* one image: (C, H, W) */
    float *col;     /* (C*KH*KW, OH*OW) */
} im2col_ctx;

// x: (C, H, W) -> col rows [c*KH*KW, (c+1)*KH*KW) of (C*KH*KW, OH*OW), for c in [c0, c1).
// Row (c, ky, kx), column (oy, ox) holds x[c, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw] or 0.
static void im2col_channels(void *vctx, size_t c0, size_t c1) {
    const im2col_ctx *ctx = (const im2col_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int oh = p->oh, ow = p->ow, h = p->h, w = p->w;
    const size_t npix = (size_t)oh * ow;
    for (size_t c = c0; c < c1; c++) {
        const float *xc = ctx->x + c * (size_t)h * w;
        float *row = ctx->col + c * (size_t)p->kh * p->kw * npix;
        for (int ky = 0; ky < p->kh; ky++) {
            for (int kx = 0; kx < p->kw; kx++, row += npix) {
                const int offx = kx * p->dil_w - p->pad_w;
                int lo, hi;
                valid_range(offx, p->stride_w, ow, w, &lo, &hi);
                for (int oy = 0; oy < oh; oy++) {
                    float *r = row + (size_t)oy * ow;
                    const int iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
                    if (iy < 0 || iy >= h || lo >= hi) {
                        memset(r, 0, sizeof(float) * ow);
                        continue;
                    }
                    const float *xr = xc + (size_t)iy * w;
                    if (lo > 0) memset(r, 0, sizeof(float) * lo);
                    if (hi < ow) memset(r + hi, 0, sizeof(float) * (ow - hi));
                    if (p->stride_w == 1) {
                        /* Stride 1: the valid span is one contiguous run of the input row. */
                        memcpy(r + lo, xr + lo + offx, sizeof(float) * (hi - lo));
                    } else {
                        for (int ox = lo; ox < hi; ox++) r[ox] = xr[ox * p->stride_w + offx];
                    }
                }
            }
        }
    }
}

/* ------------------------------------------------------------------ epilogue */

typedef struct {
    const kiln_conv2d_params *p;
    const float *bias, *residual;
    float *y;
} epilogue_ctx;

// y, residual: (N*OC) planes of OH*OW; plane i uses bias[i % OC].
// One pass: y = max(y + bias + residual, lo), where lo = 0 with ReLU and -inf without, so
// the same branch-free, vectorisable loop serves both (v < -inf is never true; NaN passes).
static void epilogue_plane(const kiln_conv2d_params *p, size_t plane, float *yp,
                           const float *bias, const float *residual) {
    const size_t npix = (size_t)p->oh * p->ow;
    const float b = bias ? bias[plane % (size_t)p->oc] : 0.0f;
    float lo, hi;
    kiln_act_bounds(&p->act, &lo, &hi);
    if (residual) {
        const float *rp = residual + plane * npix;
        for (size_t i = 0; i < npix; i++) {
            float v = yp[i] + b + rp[i];
            v = v < lo ? lo : v;
            yp[i] = v > hi ? hi : v;
        }
    } else {
        for (size_t i = 0; i < npix; i++) {
            float v = yp[i] + b;
            v = v < lo ? lo : v;
            yp[i] = v > hi ? hi : v;
        }
    }
    if (kiln_act_needs_span(&p->act)) kiln_act_span(&p->act, npix, yp);
}

static void epilogue_planes(void *vctx, size_t i0, size_t i1) {
    const epilogue_ctx *ctx = (const epilogue_ctx *)vctx;
    const size_t npix = (size_t)ctx->p->oh * ctx->p->ow;
    for (size_t i = i0; i < i1; i++)
        epilogue_plane(ctx->p, i, ctx->y + i * npix, ctx->bias, ctx->residual);
}

/* ------------------------------------------------------------------ driver */

// x: (N, C, H, W), w: (OC, C/groups, KH, KW), bias: (OC) or NULL,
// residual: (N, OC, OH, OW) or NULL, y: (N, OC, OH, OW),
// workspace: kiln_conv2d_workspace_size(p) floats or NULL.
// Per image: im2col for all groups at once (one thread fork per image, not per group),
// then per group y_g (OC/g x OH*OW) = w_g (OC/g x C/g*KH*KW) * col_g (C/g*KH*KW x OH*OW).
void kiln_conv2d(const kiln_conv2d_params *p, const float *x, const float *w,
                 const float *bias, const float *residual, float *y, float *workspace) {
    const size_t npix = (size_t)p->oh * p->ow;
    const size_t planes = (size_t)p->n * p->oc;

    if (is_depthwise(p)) {
        kiln_conv2d_depthwise(p, x, w, bias, residual, y);
        return;
    }

    const int pointwise = is_pointwise(p);
    float *col = workspace, *owned = NULL;
    if (!pointwise && !col) {
        owned = col = (float *)malloc(sizeof(float) * kiln_conv2d_workspace_size(p));
        if (!col) { /* Out of memory: the reference needs no scratch. */
            kiln_conv2d_ref(p, x, w, bias, residual, y);
            return;
        }
    }

    const int cg = p->c / p->groups, ocg = p->oc / p->groups;
    const int m = ocg, nn = (int)npix, k = cg * p->kh * p->kw;
    const size_t in_plane = (size_t)p->h * p->w;
    for (int n = 0; n < p->n; n++) {
        const float *xn = x + (size_t)n * p->c * in_plane;
        const float *b = xn; /* pointwise: B is the input itself, (C/g) x (H*W) per group */
        if (!pointwise) {
            im2col_ctx ictx = {p, xn, col};
            size_t work = (size_t)p->kh * p->kw * npix;
            kiln_parallel_for((size_t)p->c, grain_items(work), im2col_channels, &ictx);
            b = col;
        }
        for (int g = 0; g < p->groups; g++) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, nn, k, 1.0f,
                        w + (size_t)g * m * k, k, b + (size_t)g * k * npix, nn, 0.0f,
                        y + ((size_t)n * p->oc + (size_t)g * m) * npix, nn);
        }
    }
    free(owned);

    if (bias || residual || p->act.kind != KILN_ACT_NONE) {
        epilogue_ctx ectx = {p, bias, residual, y};
        kiln_parallel_for(planes, grain_items(npix), epilogue_planes, &ectx);
    }
}
