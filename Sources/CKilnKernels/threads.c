/*
 * threads.c — kiln_parallel_for: fork/join over a range on a persistent worker pool.
 *
 * Why a pool: an inference makes dozens of parallel calls of tens of microseconds each,
 * and creating a thread per call costs ~20 µs. The pool is built to be safe where these
 * sources also live, inside generated shared libraries that may be dlclose()d and called
 * from many threads at once:
 *   - Workers are created lazily, by the first call that needs them (a library that is
 *     loaded and never run starts no thread).
 *   - One caller owns the pool at a time (a CAS on `owner`). A caller that finds it owned
 *     by another thread spawns its own threads for that call, as this file did before the
 *     pool; a nested call (from inside a chunk) runs its chunks inline, one after another,
 *     since every thread is already busy. Either way chunking is the same, so results never
 *     depend on who got the pool.
 *   - A job is published by bumping a generation counter packed with the next-chunk index
 *     in one 64-bit atomic (`ticket`). Workers and the caller claim chunks with a CAS on it,
 *     so a worker that wakes late can never claim a chunk of a later job, and the caller
 *     runs every chunk no worker has claimed: it never waits for a thread that is asleep.
 *   - Chunk 0 always runs on the calling thread (it is published already claimed, and the
 *     spawning and nested paths run it there too), so layers split the same way give the
 *     caller the same share: at batch 1 the packed GEMM's first block of output channels
 *     and the depthwise kernel's first planes, i.e. the caller reads the channels it wrote
 *     in the layer before from its own cache (on this 2-vCPU VM a line written by the other
 *     vCPU costs a 55-300 ns round trip, by where the hypervisor put them). With two
 *     threads the worker then runs chunk 1 unless it is late. Which thread runs a chunk
 *     never changes what it computes.
 *   - Idle workers spin for ~100 µs (back-to-back kernel calls arrive sooner than a sleeping
 *     thread wakes), then sleep on a condition variable.
 *   - A destructor stops and joins the workers, so dlclose() and exit() never unmap code
 *     that a worker is still running; after fork() the child forgets the parent's workers.
 */
#define _GNU_SOURCE
#include "kiln_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Upper bound on threads per call: keeps the per-call bookkeeping on the stack. */
#define KILN_MAX_THREADS 256

/* 0 = not yet decided; read lazily so KILN_NUM_THREADS can be set before first use. */
static _Atomic int g_num_threads = 0;

/* Set while this thread runs a chunk of a parallel job (caller, pool worker or spawned
 * thread): nested kiln_parallel_for calls run inline, so inside a job one thread is all a
 * kernel has (kiln_get_num_threads says 1, and kernels do not cut work into pieces for
 * threads that will not come). */
static _Thread_local int tls_in_job = 0;

/* The calling thread's kernel switches (KILN_SWITCH_…): they travel with its parallel calls,
 * so every chunk of a call runs with its caller's switches, whichever thread runs it, and no
 * other thread's work sees them. */
static _Thread_local unsigned tls_switches = 0;

unsigned kiln_thread_switches(void) { return tls_switches; }

void kiln_thread_set_switch(unsigned bit, int on) { tls_switches = on ? (tls_switches | bit) : (tls_switches & ~bit); }

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

/* The calling thread's own count (kiln_set_thread_num_threads), 0 when it has none. */
static _Thread_local int tls_num_threads = 0;

int kiln_get_num_threads(void) {
    if (tls_in_job) return 1;
    if (tls_num_threads > 0) return tls_num_threads;
    int n = atomic_load_explicit(&g_num_threads, memory_order_relaxed);
    if (n == 0) {
        /* Racing first callers compute the same value; storing it twice is harmless. */
        n = default_num_threads();
        atomic_store_explicit(&g_num_threads, n, memory_order_relaxed);
    }
    return n;
}

void kiln_set_thread_num_threads(int n) { tls_num_threads = n > 0 ? clamp_threads(n) : 0; }

/* n <= 0 restores the default (KILN_NUM_THREADS or the online CPU count). */
void kiln_set_num_threads(int n) {
    atomic_store_explicit(&g_num_threads, n > 0 ? clamp_threads(n) : default_num_threads(),
                          memory_order_relaxed);
}

typedef struct {
    kiln_range_fn fn;
    void *ctx;
    size_t begin, end;
    unsigned switches;   /* the caller's */
} chunk_job;

static void *run_chunk(void *arg) {
    chunk_job *j = (chunk_job *)arg;
    const int outer = tls_in_job;
    const unsigned own = tls_switches;
    tls_in_job = 1;
    tls_switches = j->switches;
    j->fn(j->ctx, j->begin, j->end);
    tls_in_job = outer;
    tls_switches = own;
    return NULL;
}

/* Chunk i of k over [0, n): i*n/k in two steps avoids overflowing i*n for huge n. */
static size_t chunk_start(size_t n, size_t k, size_t i) { return (n / k) * i + (n % k) * i / k; }

/* The pre-pool path: one thread per chunk beyond the first, joined before returning. */
static void spawn_and_join(size_t n, size_t k, kiln_range_fn fn, void *ctx) {
    chunk_job jobs[KILN_MAX_THREADS];
    pthread_t tids[KILN_MAX_THREADS];
    int started[KILN_MAX_THREADS];
    for (size_t i = 0; i < k; i++)
        jobs[i] = (chunk_job){fn, ctx, chunk_start(n, k, i), chunk_start(n, k, i + 1), tls_switches};
    for (size_t i = 1; i < k; i++) {
        started[i] = pthread_create(&tids[i], NULL, run_chunk, &jobs[i]) == 0;
        /* Thread creation can fail under resource pressure: do the chunk ourselves. */
        if (!started[i]) run_chunk(&jobs[i]);
    }
    run_chunk(&jobs[0]);
    for (size_t i = 1; i < k; i++)
        if (started[i]) pthread_join(tids[i], NULL);
}

/* ------------------------------------------------------------------ the pool */

#define SPIN_NS 100000

static struct {
    _Atomic int owner;           /* 1 while a caller runs a job on the pool */
    _Atomic uint64_t ticket;     /* generation << 32 | chunk count << 16 | next chunk index */
    _Atomic size_t done;         /* chunks of the current job finished */
    _Atomic int stop;
    _Atomic int sleepers;
    /* The current job; written by the owner before it publishes the ticket. */
    kiln_range_fn fn;
    void *ctx;
    size_t n, k;
    unsigned switches;           /* the owner's kernel switches, for every chunk */
    pthread_mutex_t lock;        /* guards workers[]/nworkers and the sleep/wake handshake */
    pthread_cond_t wake;
    int nworkers;
    pthread_t workers[KILN_MAX_THREADS];
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};


static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ---------------------------------------------------------- accounting */

static _Atomic int g_accounting;
/* Per slot (0: the pool's owner, i: worker i), each on its own cache line: only the slot's
 * thread adds to it, the profiler reads it between runs of steps. */
static struct {
    _Alignas(64) _Atomic uint64_t idle_ns, busy_ns;
} g_slot_time[KILN_MAX_THREADS];
static _Thread_local int tls_slot; /* 0 unless this is pool worker i (then i) */

void kiln_parallel_accounting(int on) { atomic_store(&g_accounting, on != 0); }

void kiln_parallel_time_take(double *idle_ms, double *busy_ms, int slots) {
    if (slots > KILN_MAX_THREADS) slots = KILN_MAX_THREADS;
    for (int i = 0; i < slots; i++) {
        idle_ms[i] += (double)atomic_exchange_explicit(&g_slot_time[i].idle_ns, 0, memory_order_relaxed) * 1e-6;
        busy_ms[i] += (double)atomic_exchange_explicit(&g_slot_time[i].busy_ns, 0, memory_order_relaxed) * 1e-6;
    }
}

/* Claims and runs chunks of generation `gen` until none is left. The chunk count travels in
 * the ticket itself, so a claim never compares against another job's count. */
static void run_claimed_chunks(uint32_t gen) {
    uint64_t t = atomic_load(&pool.ticket);
    for (;;) {
        if ((uint32_t)(t >> 32) != gen || (t & 0xffffu) >= ((t >> 16) & 0xffffu)) return;
        if (!atomic_compare_exchange_weak(&pool.ticket, &t, t + 1)) continue;
        /* The chunk is ours: the job stays published until `done` counts it. */
        size_t i = (size_t)(t & 0xffffu), n = pool.n, k = pool.k;
        const unsigned own = tls_switches;
        tls_in_job = 1;
        tls_switches = pool.switches;
        const uint64_t t0 = tls_slot && atomic_load_explicit(&g_accounting, memory_order_relaxed) ? now_ns() : 0;
        pool.fn(pool.ctx, chunk_start(n, k, i), chunk_start(n, k, i + 1));
        if (t0) atomic_fetch_add_explicit(&g_slot_time[tls_slot].busy_ns, now_ns() - t0, memory_order_relaxed);
        tls_in_job = 0;
        tls_switches = own;
        atomic_fetch_add(&pool.done, 1);
        t = atomic_load(&pool.ticket);
    }
}

static void *worker_main(void *arg) {
    tls_slot = (int)(intptr_t)arg;
    uint32_t seen = (uint32_t)(atomic_load(&pool.ticket) >> 32);
    while (!atomic_load(&pool.stop)) {
        uint32_t gen = (uint32_t)(atomic_load(&pool.ticket) >> 32);
        if (gen != seen) {
            seen = gen;
            run_claimed_chunks(gen);
            continue;
        }
        /* Spin a while for the next job, then sleep until the owner publishes one. */
        uint64_t until = now_ns() + SPIN_NS;
        int spins = 0;
        while ((uint32_t)(atomic_load(&pool.ticket) >> 32) == seen && !atomic_load(&pool.stop)) {
            cpu_relax();
            /* Yield now and then: on a machine busy with other work this worker may share a
             * core with the thread it is waiting for, and must not starve it. */
            if (++spins % 64 == 0) {
                sched_yield();
                if (now_ns() > until) break;
            }
        }
        if ((uint32_t)(atomic_load(&pool.ticket) >> 32) != seen || atomic_load(&pool.stop)) continue;
        pthread_mutex_lock(&pool.lock);
        atomic_fetch_add(&pool.sleepers, 1);
        /* Re-checked after announcing the sleep: an owner that published before it saw
         * sleepers == 0 is seen here (both sides are sequentially consistent). */
        while ((uint32_t)(atomic_load(&pool.ticket) >> 32) == seen && !atomic_load(&pool.stop))
            pthread_cond_wait(&pool.wake, &pool.lock);
        atomic_fetch_sub(&pool.sleepers, 1);
        pthread_mutex_unlock(&pool.lock);
    }
    return NULL;
}

/* Starts workers until there are `want` (called by the owner only). Failure is fine: the
 * owner runs every chunk nobody claims. */
/* Pins worker i to the (i+1)-th CPU after the creating thread's, among the CPUs this
 * process may use. Why: Linux places a new or woken thread next to the thread that created
 * or woke it (wake-affine), so a fresh worker shares the caller's core until the load
 * balancer notices; measured on 2 cores, the first runs after loading took 1.7x the steady
 * time until a pause let it rebalance. The caller stays unpinned (the balancer moves it off
 * a worker's core). Only when there are enough CPUs for every thread; KILN_PIN_THREADS=0
 * turns it off (e.g. under an external affinity policy). */
static void pin_worker(pthread_t t, int index) {
    const char *env = getenv("KILN_PIN_THREADS");
    if (env && env[0] == '0') return;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
    int count = CPU_COUNT(&allowed), here = sched_getcpu();
    if (count < kiln_get_num_threads() || here < 0) return;
    int cpus[CPU_SETSIZE], n = 0, at = 0;
    for (int c = 0; c < CPU_SETSIZE && n < count; c++)
        if (CPU_ISSET(c, &allowed)) { if (c == here) at = n; cpus[n++] = c; }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[(at + 1 + index) % n], &one);
    pthread_setaffinity_np(t, sizeof one, &one);
}

static void ensure_workers(int want) {
    if (want > KILN_MAX_THREADS - 1) want = KILN_MAX_THREADS - 1;
    pthread_mutex_lock(&pool.lock);
    while (pool.nworkers < want && !atomic_load(&pool.stop)) {
        if (pthread_create(&pool.workers[pool.nworkers], NULL, worker_main, (void *)(intptr_t)(pool.nworkers + 1)) != 0) break;
        pin_worker(pool.workers[pool.nworkers], pool.nworkers);
        pool.nworkers++;
    }
    pthread_mutex_unlock(&pool.lock);
}

static void run_on_pool(size_t n, size_t k, kiln_range_fn fn, void *ctx) {
    ensure_workers((int)k - 1);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.k = k;
    pool.switches = tls_switches;
    atomic_store(&pool.done, 0);
    uint32_t gen = (uint32_t)(atomic_load(&pool.ticket) >> 32) + 1;
    /* Publishes the job with chunk 0 already taken: the caller runs it (see kiln_parallel_for). */
    atomic_store(&pool.ticket, (uint64_t)gen << 32 | (uint64_t)k << 16 | 1u);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    chunk_job first = {fn, ctx, 0, chunk_start(n, k, 1), tls_switches};
    run_chunk(&first);
    atomic_fetch_add(&pool.done, 1);
    run_claimed_chunks(gen);
    /* Every chunk is claimed; wait for the ones running on workers. */
    const uint64_t t0 = atomic_load_explicit(&g_accounting, memory_order_relaxed) ? now_ns() : 0;
    int spins = 0;
    while (atomic_load(&pool.done) < k) {
        cpu_relax();
        if (++spins % 64 == 0) sched_yield();
    }
    if (t0) atomic_fetch_add_explicit(&g_slot_time[0].idle_ns, now_ns() - t0, memory_order_relaxed);
}

__attribute__((destructor)) static void pool_shutdown(void) {
    atomic_store(&pool.stop, 1);
    pthread_mutex_lock(&pool.lock);
    pthread_cond_broadcast(&pool.wake);
    int count = pool.nworkers;
    pool.nworkers = 0;
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < count; i++) pthread_join(pool.workers[i], NULL);
}

/* The child of a fork() has only the forking thread: forget the parent's workers. */
static void pool_after_fork_child(void) {
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pool.nworkers = 0;
    atomic_store(&pool.sleepers, 0);
    atomic_store(&pool.owner, 0);
}

__attribute__((constructor)) static void pool_register_fork_handler(void) {
    pthread_atfork(NULL, NULL, pool_after_fork_child);
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
    if (tls_in_job) { /* nested: every pool thread is busy, so run the chunks here */
        for (size_t i = 0; i < k; i++) fn(ctx, chunk_start(n, k, i), chunk_start(n, k, i + 1));
        return;
    }
    int expected = 0;
    if (atomic_load(&pool.stop) || !atomic_compare_exchange_strong(&pool.owner, &expected, 1)) {
        spawn_and_join(n, k, fn, ctx); /* another thread owns the pool (or it is shut down) */
        return;
    }
    run_on_pool(n, k, fn, ctx);
    atomic_store(&pool.owner, 0);
}
