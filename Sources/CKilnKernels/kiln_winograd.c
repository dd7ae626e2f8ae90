/*
 * kiln_winograd.c — Winograd F(2x2, 3x3) convolution (Lavin & Gray 2015), an autotune
 * candidate for 3x3 stride-1 convolutions: 16 multiplies per 2x2 outputs per channel pair
 * instead of 36, as 16 sgemms over all tiles of an image.
 *
 *   u = G g G^T,  v = B^T d B,  m = u (.) v summed over C (the sgemms),  y = A^T m A
 *   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 */
#include "kiln_conv_variants.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int kiln_winograd_f2x3_applicable(const kiln_conv2d_params *p) {
    return p->kh == 3 && p->kw == 3 && p->stride_h == 1 && p->stride_w == 1 && p->dil_h == 1 &&
           p->dil_w == 1 && p->groups == 1;
}

size_t kiln_winograd_f2x3_packed_size(int oc, int c) { return (size_t)16 * oc * c; }

static size_t tiles(const kiln_conv2d_params *p) {
    return (size_t)((p->oh + 1) / 2) * (size_t)((p->ow + 1) / 2);
}

size_t kiln_winograd_f2x3_workspace_size(const kiln_conv2d_params *p) {
    return (size_t)16 * (size_t)(p->c + p->oc) * tiles(p);
}

// w: (OC, C, 3, 3) -> u: (16, OC, C), u[k][oc][c] = (G g G^T)[k / 4][k % 4].
void kiln_winograd_f2x3_pack(int oc, int c, const float *w, float *u) {
    const size_t plane = (size_t)oc * c;
    for (int o = 0; o < oc; o++) {
        for (int i = 0; i < c; i++) {
            const float *g = w + ((size_t)o * c + i) * 9;
            float t[4][3]; /* G g */
            for (int j = 0; j < 3; j++) {
                t[0][j] = g[j];
                t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
                t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
                t[3][j] = g[6 + j];
            }
            for (int r = 0; r < 4; r++) {
                float uu[4] = {t[r][0], 0.5f * (t[r][0] + t[r][1] + t[r][2]),
                               0.5f * (t[r][0] - t[r][1] + t[r][2]), t[r][2]};
                for (int s = 0; s < 4; s++) u[(size_t)(r * 4 + s) * plane + (size_t)o * c + i] = uu[s];
            }
        }
    }
}

typedef struct {
    const kiln_conv2d_params *p;
    const float *x;   /* one image (C, H, W) */
    float *v;         /* (16, C, T) */
    const float *m;   /* (16, OC, T) */
    float *y;         /* one image (OC, OH, OW) */
    const float *bias, *residual;
    size_t t;
    int tw;           /* tiles per row */
} wino_ctx;

// channels [c0, c1): 4x4 input tiles (zero outside the image) -> v = B^T d B.
static void input_transform(void *vctx, size_t c0, size_t c1) {
    const wino_ctx *ctx = (const wino_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const size_t T = ctx->t;
    const size_t cstride = (size_t)p->c * T;
    for (size_t c = c0; c < c1; c++) {
        const float *xc = ctx->x + c * (size_t)p->h * p->w;
        for (size_t t = 0; t < T; t++) {
            const int y0 = (int)(t / ctx->tw) * 2 - p->pad_h, x0 = (int)(t % ctx->tw) * 2 - p->pad_w;
            float d[4][4];
            for (int i = 0; i < 4; i++) {
                const int iy = y0 + i;
                for (int j = 0; j < 4; j++) {
                    const int ix = x0 + j;
                    d[i][j] = (iy >= 0 && iy < p->h && ix >= 0 && ix < p->w) ? xc[(size_t)iy * p->w + ix] : 0.0f;
                }
            }
            float b[4][4]; /* B^T d */
            for (int j = 0; j < 4; j++) {
                b[0][j] = d[0][j] - d[2][j];
                b[1][j] = d[1][j] + d[2][j];
                b[2][j] = d[2][j] - d[1][j];
                b[3][j] = d[1][j] - d[3][j];
            }
            float *vt = ctx->v + c * T + t;
            for (int i = 0; i < 4; i++) {
                vt[(size_t)(i * 4 + 0) * cstride] = b[i][0] - b[i][2];
                vt[(size_t)(i * 4 + 1) * cstride] = b[i][1] + b[i][2];
                vt[(size_t)(i * 4 + 2) * cstride] = b[i][2] - b[i][1];
                vt[(size_t)(i * 4 + 3) * cstride] = b[i][1] - b[i][3];
            }
        }
    }
}

// output channels [o0, o1): y = A^T m A per tile, then bias/residual/ReLU on the plane.
static void output_transform(void *vctx, size_t o0, size_t o1) {
    const wino_ctx *ctx = (const wino_ctx *)vctx;
    const kiln_conv2d_params *p = ctx->p;
    const size_t T = ctx->t, npix = (size_t)p->oh * p->ow;
    const size_t kstride = (size_t)p->oc * T;
    const float lo = p->relu ? 0.0f : -INFINITY;
    for (size_t o = o0; o < o1; o++) {
        float *yp = ctx->y + o * npix;
        const float *rp = ctx->residual ? ctx->residual + o * npix : NULL;
        const float bias = ctx->bias ? ctx->bias[o] : 0.0f;
        for (size_t t = 0; t < T; t++) {
            const float *mt = ctx->m + o * T + t;
            float m[4][4];
            for (int k = 0; k < 16; k++) m[k / 4][k % 4] = mt[(size_t)k * kstride];
            float a[2][4]; /* A^T m */
            for (int j = 0; j < 4; j++) {
                a[0][j] = m[0][j] + m[1][j] + m[2][j];
                a[1][j] = m[1][j] - m[2][j] - m[3][j];
            }
            const int oy0 = (int)(t / ctx->tw) * 2, ox0 = (int)(t % ctx->tw) * 2;
            for (int i = 0; i < 2; i++) {
                const int oy = oy0 + i;
                if (oy >= p->oh) break;
                const float r[2] = {a[i][0] + a[i][1] + a[i][2], a[i][1] - a[i][2] - a[i][3]};
                for (int j = 0; j < 2; j++) {
                    const int ox = ox0 + j;
                    if (ox >= p->ow) break;
                    const size_t at = (size_t)oy * p->ow + ox;
                    float v = r[j] + bias + (rp ? rp[at] : 0.0f);
                    yp[at] = v < lo ? lo : v;
                }
            }
        }
    }
}

// x: (N, C, H, W), u: (16, OC, C) from kiln_winograd_f2x3_pack, y: (N, OC, OH, OW),
// workspace: kiln_winograd_f2x3_workspace_size(p) floats or NULL.
void kiln_conv2d_winograd_f2x3(const kiln_conv2d_params *p, const float *x, const float *u,
                               const float *bias, const float *residual, float *y,
                               float *workspace) {
    float *owned = NULL, *ws = workspace;
    if (!ws) owned = ws = (float *)malloc(sizeof(float) * kiln_winograd_f2x3_workspace_size(p));
    const size_t T = tiles(p), npix = (size_t)p->oh * p->ow;
    wino_ctx ctx = {p, NULL, ws, ws + (size_t)16 * p->c * T, NULL, bias, NULL, T, (p->ow + 1) / 2};
    float *m = ws + (size_t)16 * p->c * T;
    for (int n = 0; n < p->n; n++) {
        ctx.x = x + (size_t)n * p->c * p->h * p->w;
        ctx.y = y + (size_t)n * p->oc * npix;
        ctx.residual = residual ? residual + (size_t)n * p->oc * npix : NULL;
        kiln_parallel_for((size_t)p->c, T >= 2048 ? 1 : 2048 / T, input_transform, &ctx);
        for (int k = 0; k < 16; k++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p->oc, (int)T, p->c, 1.0f,
                        u + (size_t)k * p->oc * p->c, p->c, ws + (size_t)k * p->c * T, (int)T,
                        0.0f, m + (size_t)k * p->oc * T, (int)T);
        kiln_parallel_for((size_t)p->oc, T >= 2048 ? 1 : 2048 / T, output_transform, &ctx);
    }
    free(owned);
}
