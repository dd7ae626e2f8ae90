/*
 * ops_binary.c — NumPy-broadcast add/sub/mul/div/max/min/pow (kiln_binary).
 */
#include "kiln_kernels.h"
#include "kiln_ops_internal.h"
#include "kiln_gemm.h" /* kiln_gemm_uses_avx512: the kernels' one CPU switch */

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define KILN_BIN_AVX512 1
/* Built without -march (runs on any x86-64): the AVX-512 copy carries its own target. */
#define KILN_BIN_AVX512_FN __attribute__((target("avx512f")))
#else
#define KILN_BIN_AVX512 0
#endif

static inline float binary1(int kind, float a, float b) {
    switch (kind) {
    case KILN_BIN_SUB: return a - b;
    case KILN_BIN_MUL: return a * b;
    case KILN_BIN_DIV: return a / b;
    /* a + b when either is NaN: NaN propagates as in numpy.maximum / ONNX Max. */
    case KILN_BIN_MAX: return (a != a || b != b) ? a + b : (a > b ? a : b);
    case KILN_BIN_MIN: return (a != a || b != b) ? a + b : (a < b ? a : b);
    case KILN_BIN_POW: return powf(a, b);
    default: return a + b;
    }
}

// y: out_shape (rank <= 6), contiguous; a, b read through their strides (0 = broadcast).
// An odometer over the output index: obviously right, one element at a time.
void kiln_binary_ref(int kind, int rank, const int64_t *out_shape,
                     const float *a, const int64_t *a_strides,
                     const float *b, const int64_t *b_strides, float *y) {
    int64_t idx[KILN_OPS_MAX_RANK] = {0};
    size_t total = 1;
    for (int d = 0; d < rank; d++) total *= (size_t)out_shape[d];
    for (size_t i = 0; i < total; i++) {
        int64_t ao = 0, bo = 0;
        for (int d = 0; d < rank; d++) { ao += idx[d] * a_strides[d]; bo += idx[d] * b_strides[d]; }
        y[i] = binary1(kind, a[ao], b[bo]);
        for (int d = rank - 1; d >= 0; d--) {
            if (++idx[d] < out_shape[d]) break;
            idx[d] = 0;
        }
    }
}

/* ------------------------------------------------------------------ fast path */

/* Elements per parallel chunk (an add streams ~3 floats per element). */
#define KILN_BIN_GRAIN 65536

/* One row of n outputs: a and b step by ta and tb (the collapsed innermost strides).
 * `kind` is a constant after inlining, so each loop is one vectorisable operation. */
static inline __attribute__((always_inline)) void
bin_row_t(const int kind, size_t n, const float *a, int64_t ta, const float *b, int64_t tb, float *y) {
    if (ta == 1 && tb == 1) {
        for (size_t i = 0; i < n; i++) y[i] = binary1(kind, a[i], b[i]);
    } else if (ta == 1 && tb == 0) {
        const float bv = b[0];
        for (size_t i = 0; i < n; i++) y[i] = binary1(kind, a[i], bv);
    } else if (ta == 0 && tb == 1) {
        const float av = a[0];
        for (size_t i = 0; i < n; i++) y[i] = binary1(kind, av, b[i]);
    } else {
        for (size_t i = 0; i < n; i++) y[i] = binary1(kind, a[(int64_t)i * ta], b[(int64_t)i * tb]);
    }
}

static void bin_row(int kind, size_t n, const float *a, int64_t ta, const float *b, int64_t tb, float *y) {
    switch (kind) {
    case KILN_BIN_SUB: bin_row_t(KILN_BIN_SUB, n, a, ta, b, tb, y); break;
    case KILN_BIN_MUL: bin_row_t(KILN_BIN_MUL, n, a, ta, b, tb, y); break;
    case KILN_BIN_DIV: bin_row_t(KILN_BIN_DIV, n, a, ta, b, tb, y); break;
    case KILN_BIN_MAX: bin_row_t(KILN_BIN_MAX, n, a, ta, b, tb, y); break;
    case KILN_BIN_MIN: bin_row_t(KILN_BIN_MIN, n, a, ta, b, tb, y); break;
    case KILN_BIN_POW: bin_row_t(KILN_BIN_POW, n, a, ta, b, tb, y); break;
    default: bin_row_t(KILN_BIN_ADD, n, a, ta, b, tb, y); break;
    }
}

#if KILN_BIN_AVX512
/* The same rows compiled for AVX-512 (the compiler vectorises bin_row_t 16 lanes wide). */
KILN_BIN_AVX512_FN static void bin_row_avx512(int kind, size_t n, const float *a, int64_t ta, const float *b,
                                              int64_t tb, float *y) {
    switch (kind) {
    case KILN_BIN_SUB: bin_row_t(KILN_BIN_SUB, n, a, ta, b, tb, y); break;
    case KILN_BIN_MUL: bin_row_t(KILN_BIN_MUL, n, a, ta, b, tb, y); break;
    case KILN_BIN_DIV: bin_row_t(KILN_BIN_DIV, n, a, ta, b, tb, y); break;
    case KILN_BIN_MAX: bin_row_t(KILN_BIN_MAX, n, a, ta, b, tb, y); break;
    case KILN_BIN_MIN: bin_row_t(KILN_BIN_MIN, n, a, ta, b, tb, y); break;
    case KILN_BIN_POW: bin_row_t(KILN_BIN_POW, n, a, ta, b, tb, y); break;
    default: bin_row_t(KILN_BIN_ADD, n, a, ta, b, tb, y); break;
    }
}
#endif

typedef struct {
    int kind, rank; /* collapsed, innermost first */
    int64_t shape[KILN_OPS_MAX_RANK], sa[KILN_OPS_MAX_RANK], sb[KILN_OPS_MAX_RANK];
    const float *a, *b;
    float *y;
    int avx512;
} bin_ctx;

// Rows [r0, r1) of the collapsed view (every dim but the innermost, flattened).
static void bin_rows(void *vctx, size_t r0, size_t r1) {
    const bin_ctx *c = (const bin_ctx *)vctx;
    const size_t n = (size_t)c->shape[0];
    for (size_t r = r0; r < r1; r++) {
        int64_t ao = 0, bo = 0, rem = (int64_t)r;
        for (int d = 1; d < c->rank; d++) {
            const int64_t i = rem % c->shape[d];
            rem /= c->shape[d];
            ao += i * c->sa[d];
            bo += i * c->sb[d];
        }
#if KILN_BIN_AVX512
        if (c->avx512) { bin_row_avx512(c->kind, n, c->a + ao, c->sa[0], c->b + bo, c->sb[0], c->y + r * n); continue; }
#endif
        bin_row(c->kind, n, c->a + ao, c->sa[0], c->b + bo, c->sb[0], c->y + r * n);
    }
}

// Elements [i0, i1) of a one-dim view.
static void bin_run(void *vctx, size_t i0, size_t i1) {
    const bin_ctx *c = (const bin_ctx *)vctx;
    const float *a = c->a + (int64_t)i0 * c->sa[0], *b = c->b + (int64_t)i0 * c->sb[0];
#if KILN_BIN_AVX512
    if (c->avx512) { bin_row_avx512(c->kind, i1 - i0, a, c->sa[0], b, c->sb[0], c->y + i0); return; }
#endif
    bin_row(c->kind, i1 - i0, a, c->sa[0], b, c->sb[0], c->y + i0);
}

// y: out_shape (rank <= 6), contiguous. Collapsed to rows of the innermost run, threaded
// over rows (a single run over its elements).
void kiln_binary(int kind, int rank, const int64_t *out_shape,
                 const float *a, const int64_t *a_strides,
                 const float *b, const int64_t *b_strides, float *y) {
    bin_ctx c = {.kind = kind, .a = a, .b = b, .y = y};
    c.rank = kiln_collapse_view(rank, out_shape, a_strides, b_strides, c.shape, c.sa, c.sb);
    size_t total = 1;
    for (int d = 0; d < c.rank; d++) total *= (size_t)c.shape[d];
    if (total == 0) return;
#if KILN_BIN_AVX512
    c.avx512 = kiln_gemm_uses_avx512();
#endif
    if (c.rank == 1) { /* one run (same shapes, or a scalar operand): threads split it */
        kiln_parallel_for(total, KILN_BIN_GRAIN, bin_run, &c);
        return;
    }
    const size_t n = (size_t)c.shape[0], rows = total / n;
    kiln_parallel_for(rows, n >= KILN_BIN_GRAIN ? 1 : KILN_BIN_GRAIN / n, bin_rows, &c);
}
