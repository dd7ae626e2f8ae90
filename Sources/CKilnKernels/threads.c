/*
 * threads.c — kiln_parallel_for: fork/join over a range with plain pthreads.
 *
 * Each call spawns its own helper threads (up to kiln_get_num_threads() - 1; the calling
 * thread runs the first chunk) and joins them before returning. Why not a persistent
 * pool: these sources are also compiled into generated shared libraries that may be
 * dlclose()d, and a call that owns all its threads has no shared queue, so concurrent
 * callers and nested calls cannot deadlock or interfere. Callers pass a min_chunk large
 * enough that the ~20 µs spawn cost is small against the chunk's work.
 */
#define _POSIX_C_SOURCE 200809L
#include "kiln_kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* Upper bound on threads per call: keeps the per-call bookkeeping on the stack. */
#define KILN_MAX_THREADS 256

/* 0 = not yet decided; read lazily so KILN_NUM_THREADS can be set before first use. */
static _Atomic int g_num_threads = 0;

static int clamp_threads(long n) {
    if (n < 1) return 1;
    if (n > KILN_MAX_THREADS) return KILN_MAX_THREADS;
    return (int)n;
}

static int default_num_threads(void) {
    const char *env = getenv("KILN_NUM_THREADS");
    if (env && *env) {
        char *end = NULL;
        long v = strtol(env, &end, 10);
        if (end != env && v > 0) return clamp_threads(v);
    }
    return clamp_threads(sysconf(_SC_NPROCESSORS_ONLN));
}

int kiln_get_num_threads(void) {
    int n = atomic_load_explicit(&g_num_threads, memory_order_relaxed);
    if (n == 0) {
        /* Racing first callers compute the same value; storing it twice is harmless. */
        n = default_num_threads();
        atomic_store_explicit(&g_num_threads, n, memory_order_relaxed);
    }
    return n;
}

/* n <= 0 restores the default (KILN_NUM_THREADS or the online CPU count). */
void kiln_set_num_threads(int n) {
    atomic_store_explicit(&g_num_threads, n > 0 ? clamp_threads(n) : default_num_threads(),
                          memory_order_relaxed);
}

typedef struct {
    kiln_range_fn fn;
    void *ctx;
    size_t begin, end;
} chunk_job;

static void *run_chunk(void *arg) {
    chunk_job *j = (chunk_job *)arg;
    j->fn(j->ctx, j->begin, j->end);
    return NULL;
}

// chunks: [0, n) split into k nearly equal contiguous ranges, k <= threads, each >= min_chunk.
void kiln_parallel_for(size_t n, size_t min_chunk, kiln_range_fn fn, void *ctx) {
    if (n == 0) return;
    if (min_chunk == 0) min_chunk = 1;
    size_t max_chunks = n / min_chunk; /* floor: every chunk gets at least min_chunk items */
    size_t k = (size_t)kiln_get_num_threads();
    if (k > max_chunks) k = max_chunks;
    if (k <= 1) {
        fn(ctx, 0, n);
        return;
    }

    chunk_job jobs[KILN_MAX_THREADS];
    pthread_t tids[KILN_MAX_THREADS];
    int started[KILN_MAX_THREADS];
    for (size_t i = 0; i < k; i++) {
        /* i*n/k in two steps avoids overflowing i*n for huge n. */
        jobs[i].fn = fn;
        jobs[i].ctx = ctx;
        jobs[i].begin = (n / k) * i + (n % k) * i / k;
        jobs[i].end = (n / k) * (i + 1) + (n % k) * (i + 1) / k;
    }
    for (size_t i = 1; i < k; i++) {
        started[i] = pthread_create(&tids[i], NULL, run_chunk, &jobs[i]) == 0;
        /* Thread creation can fail under resource pressure: do the chunk ourselves. */
        if (!started[i]) run_chunk(&jobs[i]);
    }
    run_chunk(&jobs[0]);
    for (size_t i = 1; i < k; i++)
        if (started[i]) pthread_join(tids[i], NULL);
}
