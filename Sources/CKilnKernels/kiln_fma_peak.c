/*
 * kiln_fma_peak.c — peak FMA throughput per precision (see kiln_fma_peak.h).
 *
 * Each thread runs CHAINS independent accumulators through the instruction in a loop: the
 * FMA latency (4-5 cycles on Zen 4/5) times the FMA pipes (2) is at most 10 instructions in
 * flight, so 12 chains keep every pipe busy and the loop measures throughput, not latency.
 * Operands stay in registers, so no memory traffic limits it; the values converge (x*0.5 +
 * 0.5 -> 1; bf16 products of 2^-10) so no denormal or infinity slows the units down.
 */
#include "kiln_fma_peak.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define CHAINS 12

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

// iters x CHAINS vfmadd231ps zmm; returns a value derived from every chain (so none is dead).
__attribute__((target("avx512f"), noinline)) static float fp32_chains(long iters) {
    __m512 acc[CHAINS];
    const __m512 half = _mm512_set1_ps(0.5f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    for (long i = 0; i < iters; i++)
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], half, half);
    __m512 s = acc[0];
    for (int c = 1; c < CHAINS; c++) s = _mm512_add_ps(s, acc[c]);
    return _mm512_reduce_add_ps(s);
}

// iters x CHAINS vdpbf16ps zmm.
__attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl"), noinline)) static float bf16_chains(long iters) {
    __m512 acc[CHAINS];
    const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3A80); /* bf16 2^-10 */
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    for (long i = 0; i < iters; i++)
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_dpbf16_ps(acc[c], a, a);
    __m512 s = acc[0];
    for (int c = 1; c < CHAINS; c++) s = _mm512_add_ps(s, acc[c]);
    return _mm512_reduce_add_ps(s);
}

static int supported(int kind) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) return 0;
    return kind == KILN_FMA_FP32 || (kind == KILN_FMA_BF16 && __builtin_cpu_supports("avx512bf16"));
}
#else
static int supported(int kind) { (void)kind; return 0; }
static float fp32_chains(long iters) { (void)iters; return 0; }
static float bf16_chains(long iters) { (void)iters; return 0; }
#endif

typedef struct {
    int kind;
    long iters;
    volatile float sink;
} peak_job;

static void *peak_thread(void *arg) {
    peak_job *j = (peak_job *)arg;
    j->sink = j->kind == KILN_FMA_BF16 ? bf16_chains(j->iters) : fp32_chains(j->iters);
    return NULL;
}

// Wall time in ns of `threads` threads running `iters` iterations each, started together.
static uint64_t run_threads(int kind, int threads, long iters) {
    pthread_t ids[64];
    peak_job jobs[64];
    const uint64_t t0 = now_ns();
    int started = 0;
    for (int t = 1; t < threads; t++) {
        jobs[t] = (peak_job){kind, iters, 0};
        if (pthread_create(&ids[t], NULL, peak_thread, &jobs[t]) == 0) started = t; else break;
    }
    jobs[0] = (peak_job){kind, iters, 0};
    peak_thread(&jobs[0]);
    for (int t = 1; t <= started; t++) pthread_join(ids[t], NULL);
    return now_ns() - t0;
}

double kiln_fma_peak_gflops(int kind, int threads, double seconds) {
    if (!supported(kind)) return 0;
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    if (seconds <= 0) seconds = 0.05;
    const double flops_per_iter = CHAINS * (kind == KILN_FMA_BF16 ? 64.0 : 32.0);
    /* Calibrate on one thread: iterations for about `seconds`. */
    long iters = 100000;
    uint64_t ns = run_threads(kind, 1, iters);
    if (ns > 0) iters = (long)(iters * (seconds * 1e9 / (double)ns));
    if (iters < 1000) iters = 1000;
    double best = 0;
    for (int r = 0; r < 5; r++) {
        ns = run_threads(kind, threads, iters);
        const double g = flops_per_iter * iters * threads / (double)ns;
        if (g > best) best = g;
    }
    return best;
}
