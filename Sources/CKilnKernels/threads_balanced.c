/*
 * threads_balanced.c — kiln_parallel_for_balanced: a fork/join whose threads keep their own
 * share of the range and take work from another's only when theirs is done.
 *
 * Why: kiln_parallel_for gives each of k threads one fixed contiguous chunk. That keeps a
 * layer's split the same as the layer before it (each thread reads lines it wrote), but on
 * a shared VM one vCPU is often slower for a while (a neighbour's load, a late wake-up), and
 * the other then waits at the join for the rest of its chunk. Here thread t claims `grain`
 * items at a time from the front of share t, so while both keep pace each computes exactly
 * its chunk, in order; a thread whose share is empty claims grains from the back of the
 * share with the most left, the items its owner would reach last.
 *
 * Every item is claimed exactly once: a share's [lo, hi) is one 64-bit atomic, the owner
 * moves lo up and others move hi down, each with a CAS. Which thread runs an item never
 * changes what it computes, so results are the same whoever claims what.
 */
#include "kiln_kernels.h"

#include <stdatomic.h>
#include <stdint.h>

/* Shares a call keeps on its stack (one cache line each); more threads than this split the
 * range the plain way. */
#define KILN_BALANCED_MAX_SHARES 64

typedef struct {
    _Alignas(64) _Atomic uint64_t span; /* lo | hi << 32 */
} balanced_share;

typedef struct {
    kiln_range_fn fn;
    void *ctx;
    uint32_t grain;
    size_t k;
    balanced_share *shares;
} balanced_job;

static uint64_t span_of(uint32_t lo, uint32_t hi) { return (uint64_t)hi << 32 | lo; }

/* Up to `grain` items from the front (own share) or the back (another's) of s, as
 * [*b, *e); 0 when s is empty. */
static int claim(balanced_share *s, uint32_t grain, int front, size_t *b, size_t *e) {
    uint64_t v = atomic_load_explicit(&s->span, memory_order_relaxed);
    for (;;) {
        const uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
        if (lo >= hi) return 0;
        const uint32_t take = hi - lo > grain ? grain : hi - lo;
        const uint64_t next = front ? span_of(lo + take, hi) : span_of(lo, hi - take);
        /* Relaxed is enough: the CAS only hands out items; the pool's join orders the
         * chunks' writes before the caller reads them. */
        if (atomic_compare_exchange_weak_explicit(&s->span, &v, next, memory_order_relaxed, memory_order_relaxed)) {
            *b = front ? lo : hi - take;
            *e = front ? lo + take : hi;
            return 1;
        }
    }
}

/* The share of another thread with the most items left, or NULL when all are empty. */
static balanced_share *fullest_other(const balanced_job *job, size_t own) {
    balanced_share *best = NULL;
    uint32_t most = 0;
    for (size_t i = 0; i < job->k; i++) {
        if (i == own) continue;
        const uint64_t v = atomic_load_explicit(&job->shares[i].span, memory_order_relaxed);
        const uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
        if (hi > lo && hi - lo > most) {
            most = hi - lo;
            best = &job->shares[i];
        }
    }
    return best;
}

// Chunk [r0, r1) of the fork/join: the runners for shares r0..r1-1 (one each, unless nested).
static void balanced_runner(void *vjob, size_t r0, size_t r1) {
    const balanced_job *job = (const balanced_job *)vjob;
    size_t b, e;
    for (size_t own = r0; own < r1; own++) {
        while (claim(&job->shares[own], job->grain, 1, &b, &e)) job->fn(job->ctx, b, e);
        for (balanced_share *s; (s = fullest_other(job, own)) != NULL;)
            if (claim(s, job->grain, 0, &b, &e)) job->fn(job->ctx, b, e);
    }
}

/* Chunk i of k over [0, n), as kiln_parallel_for cuts it. */
static size_t share_start(size_t n, size_t k, size_t i) { return (n / k) * i + (n % k) * i / k; }

void kiln_parallel_for_balanced(size_t n, size_t min_chunk, size_t grain, kiln_range_fn fn, void *ctx) {
    if (n == 0) return;
    if (min_chunk == 0) min_chunk = 1;
    if (grain == 0) grain = 1;
    size_t k = (size_t)kiln_get_num_threads();
    if (k > n / min_chunk) k = n / min_chunk;
    if (k <= 1) {
        fn(ctx, 0, n);
        return;
    }
    if (k > KILN_BALANCED_MAX_SHARES || n > UINT32_MAX) {
        kiln_parallel_for(n, min_chunk, fn, ctx);
        return;
    }
    balanced_share shares[KILN_BALANCED_MAX_SHARES];
    for (size_t i = 0; i < k; i++)
        atomic_init(&shares[i].span, span_of((uint32_t)share_start(n, k, i), (uint32_t)share_start(n, k, i + 1)));
    balanced_job job = {fn, ctx, grain > UINT32_MAX ? UINT32_MAX : (uint32_t)grain, k, shares};
    /* k items of one: chunk i is share i's runner, chunk 0 on the calling thread. */
    kiln_parallel_for(k, 1, balanced_runner, &job);
}
