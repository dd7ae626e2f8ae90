/*
 * ops_copy.c — strided copies (transpose, slice, concat, split) and pad.
 */
#include "kiln_kernels.h"
#include "kiln_ops_internal.h"

#include <string.h>

// shape: rank (<= 6) dims; dst[idx . dst_strides] = src[idx . src_strides] for every idx.
void kiln_copy_strided_ref(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                           float *dst, const int64_t *dst_strides) {
    int64_t idx[KILN_OPS_MAX_RANK] = {0};
    size_t total = 1;
    for (int d = 0; d < rank; d++) total *= (size_t)shape[d];
    for (size_t i = 0; i < total; i++) {
        int64_t so = 0, dof = 0;
        for (int d = 0; d < rank; d++) { so += idx[d] * src_strides[d]; dof += idx[d] * dst_strides[d]; }
        dst[dof] = src[so];
        for (int d = rank - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
}

/* Elements per parallel chunk of a copy. */
#define KILN_COPY_GRAIN 65536

typedef struct {
    int rank; /* collapsed, innermost first */
    int64_t shape[KILN_OPS_MAX_RANK], ss[KILN_OPS_MAX_RANK], ds[KILN_OPS_MAX_RANK];
    const float *src;
    float *dst;
} copy_ctx;

// Rows [r0, r1) (every collapsed dim but the innermost): a memcpy when both sides are
// contiguous along the run, else a strided loop.
static void copy_rows(void *vctx, size_t r0, size_t r1) {
    const copy_ctx *c = (const copy_ctx *)vctx;
    const int64_t n = c->shape[0], ts = c->ss[0], td = c->ds[0];
    for (size_t r = r0; r < r1; r++) {
        int64_t so = 0, dof = 0, rem = (int64_t)r;
        for (int d = 1; d < c->rank; d++) {
            const int64_t i = rem % c->shape[d];
            rem /= c->shape[d];
            so += i * c->ss[d];
            dof += i * c->ds[d];
        }
        const float *s = c->src + so;
        float *y = c->dst + dof;
        if (ts == 1 && td == 1) memcpy(y, s, sizeof(float) * (size_t)n);
        else for (int64_t i = 0; i < n; i++) y[i * td] = s[i * ts];
    }
}

// As the reference; rows of the collapsed view threaded. Source and destination must not
// overlap.
void kiln_copy_strided(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                       float *dst, const int64_t *dst_strides) {
    for (int d = 0; d < rank; d++) if (shape[d] <= 0) return;
    copy_ctx c = {.src = src, .dst = dst};
    c.rank = kiln_collapse_view(rank, shape, src_strides, dst_strides, c.shape, c.ss, c.ds);
    const size_t n = (size_t)c.shape[0];
    size_t rows = 1;
    for (int d = 1; d < c.rank; d++) rows *= (size_t)c.shape[d];
    kiln_parallel_for(rows, n >= KILN_COPY_GRAIN ? 1 : KILN_COPY_GRAIN / n, copy_rows, &c);
}

/* The input index of output index o along a dim of n inputs with `begin` padding, or -1
 * for a constant cell. Reflect mirrors without repeating the edge (ONNX/NumPy "reflect"). */
static int64_t pad_source(int64_t o, int64_t begin, int64_t n, int mode) {
    int64_t i = o - begin;
    if (i >= 0 && i < n) return i;
    if (mode == 0) return -1;
    if (mode == 2) return i < 0 ? 0 : n - 1;
    if (n == 1) return 0;
    const int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
}

// x: in_shape, y: in_shape + begins + ends (contiguous), rank <= 6.
void kiln_pad_ref(int rank, const int64_t *in_shape, const int64_t *pads, int mode, float value,
                  const float *x, float *y) {
    int64_t out[KILN_OPS_MAX_RANK], in_strides[KILN_OPS_MAX_RANK], idx[KILN_OPS_MAX_RANK] = {0};
    size_t total = 1;
    int64_t stride = 1;
    for (int d = rank - 1; d >= 0; d--) { in_strides[d] = stride; stride *= in_shape[d]; }
    for (int d = 0; d < rank; d++) { out[d] = in_shape[d] + pads[d] + pads[rank + d]; total *= (size_t)out[d]; }
    for (size_t i = 0; i < total; i++) {
        int64_t off = 0;
        int constant = 0;
        for (int d = 0; d < rank && !constant; d++) {
            const int64_t s = pad_source(idx[d], pads[d], in_shape[d], mode);
            if (s < 0) constant = 1; else off += s * in_strides[d];
        }
        y[i] = constant ? value : x[off];
        for (int d = rank - 1; d >= 0; d--) {
            if (++idx[d] < out[d]) break;
            idx[d] = 0;
        }
    }
}

typedef struct {
    int rank, mode;
    float value;
    const int64_t *in_shape, *pads;
    int64_t out[KILN_OPS_MAX_RANK], in_strides[KILN_OPS_MAX_RANK];
    const float *x;
    float *y;
} pad_ctx;

// Output rows [r0, r1) (every dim but the last, flattened): a row whose outer index falls
// in a constant pad is filled; otherwise its source row is found once and the row is
// written as left pad, one memcpy of the kept input span, right pad.
static void pad_rows(void *vctx, size_t r0, size_t r1) {
    const pad_ctx *c = (const pad_ctx *)vctx;
    const int last = c->rank - 1;
    const int64_t n = c->out[last], in_n = c->in_shape[last], begin = c->pads[last];
    for (size_t r = r0; r < r1; r++) {
        float *yr = c->y + r * (size_t)n;
        int64_t off = 0, rem = (int64_t)r;
        int constant = 0;
        for (int d = last - 1; d >= 0 && !constant; d--) {
            const int64_t i = rem % c->out[d];
            rem /= c->out[d];
            const int64_t src = pad_source(i, c->pads[d], c->in_shape[d], c->mode);
            if (src < 0) constant = 1; else off += src * c->in_strides[d];
        }
        if (constant) {
            for (int64_t i = 0; i < n; i++) yr[i] = c->value;
            continue;
        }
        const float *xr = c->x + off;
        /* Output columns [lo, hi) read input columns [lo - begin, hi - begin) directly. */
        int64_t lo = begin > 0 ? begin : 0, hi = begin + in_n < n ? begin + in_n : n;
        if (hi < lo) hi = lo;
        for (int64_t i = 0; i < lo; i++) {
            const int64_t src = pad_source(i, begin, in_n, c->mode);
            yr[i] = src < 0 ? c->value : xr[src];
        }
        if (hi > lo) memcpy(yr + lo, xr + (lo - begin), sizeof(float) * (size_t)(hi - lo));
        for (int64_t i = hi; i < n; i++) {
            const int64_t src = pad_source(i, begin, in_n, c->mode);
            yr[i] = src < 0 ? c->value : xr[src];
        }
    }
}

// As the reference, threaded over output rows.
void kiln_pad(int rank, const int64_t *in_shape, const int64_t *pads, int mode, float value,
              const float *x, float *y) {
    if (rank < 1) { kiln_pad_ref(rank, in_shape, pads, mode, value, x, y); return; }
    pad_ctx c = {.rank = rank, .mode = mode, .value = value, .in_shape = in_shape, .pads = pads, .x = x, .y = y};
    int64_t stride = 1;
    size_t rows = 1;
    for (int d = rank - 1; d >= 0; d--) {
        c.in_strides[d] = stride;
        stride *= in_shape[d];
        c.out[d] = in_shape[d] + pads[d] + pads[rank + d];
        if (c.out[d] <= 0) return;
        if (d < rank - 1) rows *= (size_t)c.out[d];
    }
    const size_t n = (size_t)c.out[rank - 1];
    kiln_parallel_for(rows, n >= KILN_COPY_GRAIN ? 1 : KILN_COPY_GRAIN / n, pad_rows, &c);
}
