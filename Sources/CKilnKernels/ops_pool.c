/*
 * ops_pool.c — average and max pooling with asymmetric pads (ONNX AveragePool/MaxPool),
 * global average and max pooling.
 */
#include "kiln_kernels.h"
#include "kiln_ops.h"

#include <math.h>

static int ops_floor_div(int a, int b) {
    int q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* PyTorch's pooling_output_shape with separate begin/end pads: with ceil_mode the last
 * window must still start inside the input or the begin padding, otherwise it is dropped. */
static int pool_out(int in, int k, int s, int pb, int pe, int dil, int ceil_mode) {
    int out = ops_floor_div(in + pb + pe - dil * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
    if (ceil_mode && (out - 1) * s >= in + pb) out--;
    return out;
}

int kiln_pool2d_init(kiln_pool2d_params *p) {
    if (!p) return -1;
    if (p->n <= 0 || p->c <= 0 || p->h <= 0 || p->w <= 0) return -1;
    if (p->kh <= 0 || p->kw <= 0 || p->stride_h <= 0 || p->stride_w <= 0) return -1;
    if (p->dil_h <= 0 || p->dil_w <= 0) return -1;
    if (p->pad_t < 0 || p->pad_l < 0 || p->pad_b < 0 || p->pad_r < 0) return -1;
    int oh = pool_out(p->h, p->kh, p->stride_h, p->pad_t, p->pad_b, p->dil_h, p->ceil_mode);
    int ow = pool_out(p->w, p->kw, p->stride_w, p->pad_l, p->pad_r, p->dil_w, p->ceil_mode);
    if (oh < 1 || ow < 1) return -1;
    p->oh = oh;
    p->ow = ow;
    return 0;
}

// x: (N, C, H, W), y: (N, C, OH, OW). Each window: the taps inside the input are summed;
// the divisor is their count, or with count_include_pad the taps inside the padded input
// (rows < H + pad_b, columns < W + pad_r), never those only ceil_mode added. A window with
// no tap to count gives 0.
void kiln_avgpool2d_ref(const kiln_pool2d_params *p, const float *x, float *y) {
    for (size_t pl = 0; pl < (size_t)p->n * p->c; pl++) {
        const float *xp = x + pl * p->h * p->w;
        float *yp = y + pl * p->oh * p->ow;
        for (int oy = 0; oy < p->oh; oy++)
            for (int ox = 0; ox < p->ow; ox++) {
                double sum = 0.0;
                int valid = 0, padded_y = 0, padded_x = 0;
                for (int ky = 0; ky < p->kh; ky++) {
                    const int iy = oy * p->stride_h - p->pad_t + ky * p->dil_h;
                    if (iy < p->h + p->pad_b) padded_y++;
                }
                for (int kx = 0; kx < p->kw; kx++) {
                    const int ix = ox * p->stride_w - p->pad_l + kx * p->dil_w;
                    if (ix < p->w + p->pad_r) padded_x++;
                }
                for (int ky = 0; ky < p->kh; ky++) {
                    const int iy = oy * p->stride_h - p->pad_t + ky * p->dil_h;
                    if (iy < 0 || iy >= p->h) continue;
                    for (int kx = 0; kx < p->kw; kx++) {
                        const int ix = ox * p->stride_w - p->pad_l + kx * p->dil_w;
                        if (ix < 0 || ix >= p->w) continue;
                        sum += xp[(size_t)iy * p->w + ix];
                        valid++;
                    }
                }
                const int count = p->count_include_pad ? padded_y * padded_x : valid;
                yp[(size_t)oy * p->ow + ox] = count > 0 ? (float)(sum / count) : 0.0f;
            }
    }
}

// x: (N, C, H, W), y: (N, C, OH, OW). Padding is -inf; a NaN in a window gives NaN.
void kiln_maxpool2d_pads_ref(const kiln_pool2d_params *p, const float *x, float *y) {
    for (size_t pl = 0; pl < (size_t)p->n * p->c; pl++) {
        const float *xp = x + pl * p->h * p->w;
        float *yp = y + pl * p->oh * p->ow;
        for (int oy = 0; oy < p->oh; oy++)
            for (int ox = 0; ox < p->ow; ox++) {
                float m = -INFINITY;
                for (int ky = 0; ky < p->kh; ky++) {
                    const int iy = oy * p->stride_h - p->pad_t + ky * p->dil_h;
                    if (iy < 0 || iy >= p->h) continue;
                    for (int kx = 0; kx < p->kw; kx++) {
                        const int ix = ox * p->stride_w - p->pad_l + kx * p->dil_w;
                        if (ix < 0 || ix >= p->w) continue;
                        const float v = xp[(size_t)iy * p->w + ix];
                        if (v > m || v != v) m = v; /* once m is NaN nothing replaces it */
                    }
                }
                yp[(size_t)oy * p->ow + ox] = m;
            }
    }
}

void kiln_avgpool2d(const kiln_pool2d_params *p, const float *x, float *y) { kiln_avgpool2d_ref(p, x, y); }
void kiln_maxpool2d_pads(const kiln_pool2d_params *p, const float *x, float *y) { kiln_maxpool2d_pads_ref(p, x, y); }

// x: (NC, HW) -> y: (NC), double accumulation.
void kiln_global_avgpool_ref(size_t nc, size_t hw, const float *x, float *y) {
    for (size_t i = 0; i < nc; i++) {
        double s = 0.0;
        for (size_t j = 0; j < hw; j++) s += x[i * hw + j];
        y[i] = (float)(s / (double)hw);
    }
}

// x: (NC, HW) -> y: (NC). NaN propagates.
void kiln_global_maxpool_ref(size_t nc, size_t hw, const float *x, float *y) {
    for (size_t i = 0; i < nc; i++) {
        float m = -INFINITY;
        for (size_t j = 0; j < hw; j++) {
            const float v = x[i * hw + j];
            if (v > m || v != v) m = v;
            if (m != m) break;
        }
        y[i] = m;
    }
}

void kiln_global_avgpool(size_t nc, size_t hw, const float *x, float *y) { kiln_global_avgpool_ref(nc, hw, x, y); }
void kiln_global_maxpool(size_t nc, size_t hw, const float *x, float *y) { kiln_global_maxpool_ref(nc, hw, x, y); }
