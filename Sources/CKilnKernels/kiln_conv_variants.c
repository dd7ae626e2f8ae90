/*
 * kiln_conv_variants.c — direct and 1x1-as-sgemm convolutions (autotune candidates).
 */
#include "kiln_conv_variants.h"
#include "kiln_ops_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KILN_VARIANT_GRAIN 32768

static size_t grain(size_t work) { return work >= KILN_VARIANT_GRAIN ? 1 : KILN_VARIANT_GRAIN / (work ? work : 1); }

/* [*lo, *hi): indices t in [0, count) with 0 <= start + t*step < size. */
static void span(int start, int step, int count, int size, int *lo, int *hi) {
    int l = start >= 0 ? 0 : (-start + step - 1) / step;
    int h = start >= size ? 0 : (size - start + step - 1) / step;
    if (h > count) h = count;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

// yp: one (OH*OW) plane of output channel oc; rp: the same plane of the residual or NULL.
static void epilogue(const kiln_conv2d_params *p, int oc, float *yp, const float *bias,
                     const float *rp) {
    const size_t npix = (size_t)p->oh * p->ow;
    const float b = bias ? bias[oc] : 0.0f;
    float lo, hi;
    kiln_act_bounds(&p->act, &lo, &hi);
    for (size_t i = 0; i < npix; i++) {
        float v = yp[i] + b + (rp ? rp[i] : 0.0f);
        v = v < lo ? lo : v;
            yp[i] = v > hi ? hi : v;
    }
    if (kiln_act_needs_span(&p->act)) kiln_act_span(&p->act, npix, yp);
}

/* ------------------------------------------------------------------ direct */

typedef struct {
    const kiln_conv2d_params *p;
    const float *x, *w, *bias, *residual;
    float *y;
} direct_ctx;

// planes [i0, i1) of the N*OC output planes; x: (N, C, H, W), w: (OC, C/g, KH, KW).
static void direct_planes(void *vctx, size_t i0, size_t i1) {
    const direct_ctx *ctx = (const direct_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const int oh = p->oh, ow = p->ow, h = p->h, w = p->w, sw = p->stride_w;
    const int cg = p->c / p->groups, ocg = p->oc / p->groups;
    const size_t npix = (size_t)oh * ow;
    for (size_t i = i0; i < i1; i++) {
        const int n = (int)(i / (size_t)p->oc), oc = (int)(i % (size_t)p->oc);
        const int g = oc / ocg;
        float *yp = ctx->y + i * npix;
        memset(yp, 0, sizeof(float) * npix);
        for (int ic = 0; ic < cg; ic++) {
            const float *xp = ctx->x + ((size_t)n * p->c + (size_t)g * cg + ic) * h * w;
            const float *wc = ctx->w + ((size_t)oc * cg + ic) * p->kh * p->kw;
            for (int ky = 0; ky < p->kh; ky++) {
                for (int kx = 0; kx < p->kw; kx++) {
                    const float wv = wc[ky * p->kw + kx];
                    const int offx = kx * p->dil_w - p->pad_w;
                    int lo, hi;
                    span(offx, sw, ow, w, &lo, &hi);
                    for (int oy = 0; oy < oh; oy++) {
                        const int iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
                        if (iy < 0 || iy >= h) continue;
                        const float *xr = xp + (size_t)iy * w;
                        float *yr = yp + (size_t)oy * ow;
                        if (sw == 1)
                            for (int ox = lo; ox < hi; ox++) yr[ox] += wv * xr[ox + offx];
                        else
                            for (int ox = lo; ox < hi; ox++) yr[ox] += wv * xr[ox * sw + offx];
                    }
                }
            }
        }
        epilogue(p, oc, yp, ctx->bias, ctx->residual ? ctx->residual + i * npix : NULL);
    }
}

void kiln_conv2d_direct(const kiln_conv2d_params *p, const float *x, const float *w,
                        const float *bias, const float *residual, float *y) {
    direct_ctx ctx = {p, x, w, bias, residual, y};
    size_t work = (size_t)p->oh * p->ow * p->kh * p->kw * (p->c / p->groups);
    kiln_parallel_for((size_t)p->n * p->oc, grain(work), direct_planes, &ctx);
}

/* ------------------------------------------------------------------ 1x1 as sgemm */

int kiln_conv2d_pointwise_applicable(const kiln_conv2d_params *p) {
    return p->kh == 1 && p->kw == 1 && p->pad_h == 0 && p->pad_w == 0 && p->pad_b == 0 && p->pad_r == 0 &&
           p->groups == 1;
}

static int strided(const kiln_conv2d_params *p) { return p->stride_h != 1 || p->stride_w != 1; }

size_t kiln_conv2d_pointwise_workspace_size(const kiln_conv2d_params *p) {
    return strided(p) ? (size_t)p->c * p->oh * p->ow : 0;
}

typedef struct {
    const kiln_conv2d_params *p;
    const float *bias, *residual;
    float *y;
} epi_ctx;

static void epi_planes(void *vctx, size_t i0, size_t i1) {
    const epi_ctx *ctx = (const epi_ctx *)vctx;
    const size_t npix = (size_t)ctx->p->oh * ctx->p->ow;
    for (size_t i = i0; i < i1; i++)
        epilogue(ctx->p, (int)(i % (size_t)ctx->p->oc), ctx->y + i * npix, ctx->bias,
                 ctx->residual ? ctx->residual + i * npix : NULL);
}

// x: (N, C, H, W), w: (OC, C), y: (N, OC, OH, OW). Per image y_n = w * x_n(strided).
void kiln_conv2d_pointwise(const kiln_conv2d_params *p, const float *x, const float *w,
                           const float *bias, const float *residual, float *y, float *workspace) {
    const size_t npix = (size_t)p->oh * p->ow, in_plane = (size_t)p->h * p->w;
    float *owned = NULL, *col = workspace;
    if (strided(p) && !col) owned = col = (float *)malloc(sizeof(float) * kiln_conv2d_pointwise_workspace_size(p));
    for (int n = 0; n < p->n; n++) {
        const float *xn = x + (size_t)n * p->c * in_plane;
        const float *b = xn;
        if (strided(p)) {
            for (int c = 0; c < p->c; c++) {
                const float *xc = xn + (size_t)c * in_plane;
                float *cc = col + (size_t)c * npix;
                for (int oy = 0; oy < p->oh; oy++)
                    for (int ox = 0; ox < p->ow; ox++)
                        cc[(size_t)oy * p->ow + ox] = xc[(size_t)oy * p->stride_h * p->w + (size_t)ox * p->stride_w];
            }
            b = col;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p->oc, (int)npix, p->c, 1.0f, w,
                    p->c, b, (int)npix, 0.0f, y + (size_t)n * p->oc * npix, (int)npix);
    }
    free(owned);
    if (bias || residual || p->act.kind != KILN_ACT_NONE) {
        epi_ctx ctx = {p, bias, residual, y};
        kiln_parallel_for((size_t)p->n * p->oc, grain(npix), epi_planes, &ctx);
    }
}
