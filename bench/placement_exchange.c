/*
 * placement_exchange.c — what a far vCPU placement slows down, measured from inside the VM.
 *
 * Two threads pinned to CPUs 0 and 1 repeat four phases, each between spin barriers, and
 * thread 0 prints their times about twice a second:
 *   rt       the round trip of one cache line between them (as kiln_core_latency.c)
 *   fma      200,000 x 8 dependent-free zmm FMAs on registers (the cores' own speed)
 *   private  20 reads of a 512 KB buffer only this thread touches (its own L2)
 *   exchange 10 x: write 512 KB, barrier, read the 512 KB the other thread just wrote
 *   takeover 10 x: write 512 KB that the other thread wrote last time (ownership moves)
 * Measured on a 2-vCPU AMD EPYC VM (README "Far placement"): near (60-90 ns) and far
 * (300-340 ns) periods ran fma and private at the same speed; exchange took ~4x and takeover
 * ~3.5x as long far.
 *
 *   cc -O2 -march=native -pthread bench/placement_exchange.c -o /tmp/placement_exchange
 *   timeout 300 /tmp/placement_exchange
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLOATS (512 * 1024 / 4)

static float *shared[2], *own[2];
static _Atomic int arrived, generation, ping;
static double t_fma[2], t_private[2], t_exchange[2], t_takeover[2], round_trip_ns;
static volatile float sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void barrier(void) {
    const int g = atomic_load(&generation);
    if (atomic_fetch_add(&arrived, 1) == 1) {
        atomic_store(&arrived, 0);
        atomic_fetch_add(&generation, 1);
    } else {
        while (atomic_load(&generation) == g) _mm_pause();
    }
}

__attribute__((target("avx512f,fma"))) static float fma_loop(long n) {
    __m512 a[8];
    for (int i = 0; i < 8; i++) a[i] = _mm512_set1_ps((float)i);
    const __m512 b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
    for (long i = 0; i < n; i++)
        for (int j = 0; j < 8; j++) a[j] = _mm512_fmadd_ps(a[j], b, c);
    float s = 0;
    for (int j = 0; j < 8; j++) s += _mm512_reduce_add_ps(a[j]);
    return s;
}

__attribute__((target("avx512f"))) static float read_all(const float *p) {
    __m512 s = _mm512_setzero_ps();
    for (long i = 0; i < FLOATS; i += 16) s = _mm512_add_ps(s, _mm512_loadu_ps(p + i));
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx512f"))) static void write_all(float *p, float v) {
    const __m512 x = _mm512_set1_ps(v);
    for (long i = 0; i < FLOATS; i += 16) _mm512_storeu_ps(p + i, x);
}

static void *run(void *arg) {
    const int me = (int)(long)arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(me, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    for (long it = 0;; it++) {
        barrier();
        double t0 = now();
        sink = fma_loop(200000);
        barrier();
        t_fma[me] = now() - t0;
        t0 = now();
        for (int r = 0; r < 20; r++) sink = read_all(own[me]);
        barrier();
        t_private[me] = now() - t0;
        t0 = now();
        for (int r = 0; r < 10; r++) {
            write_all(shared[me], (float)r);
            barrier();
            sink = read_all(shared[1 - me]);
            barrier();
        }
        t_exchange[me] = now() - t0;
        t0 = now();
        for (int r = 0; r < 10; r++) {
            write_all(shared[(me + r) & 1], (float)r);
            barrier();
        }
        t_takeover[me] = now() - t0;
        barrier();
        t0 = now();
        for (int r = 0; r < 20000; r++) {
            if (me == 0) {
                atomic_store(&ping, 2 * r + 1);
                while (atomic_load(&ping) != 2 * r + 2) _mm_pause();
            } else {
                while (atomic_load(&ping) != 2 * r + 1) _mm_pause();
                atomic_store(&ping, 2 * r + 2);
            }
        }
        if (me == 0) round_trip_ns = (now() - t0) / 20000 * 1e9;
        barrier();
        if (me == 0) atomic_store(&ping, 0);
        barrier();
        if (me == 0 && it % 200 == 0) {
            printf("rt %.0f ns  fma %.0f/%.0f us  private %.0f/%.0f us  exchange %.0f/%.0f us  takeover %.0f/%.0f us\n",
                   round_trip_ns, t_fma[0] * 1e6, t_fma[1] * 1e6, t_private[0] * 1e6, t_private[1] * 1e6,
                   t_exchange[0] * 1e6, t_exchange[1] * 1e6, t_takeover[0] * 1e6, t_takeover[1] * 1e6);
            fflush(stdout);
        }
    }
    return NULL;
}

int main(void) {
    for (int i = 0; i < 2; i++) {
        shared[i] = aligned_alloc(64, FLOATS * sizeof(float));
        own[i] = aligned_alloc(64, FLOATS * sizeof(float));
        if (!shared[i] || !own[i]) return 1;
        memset(shared[i], 0, FLOATS * sizeof(float));
        memset(own[i], 0, FLOATS * sizeof(float));
    }
    pthread_t other;
    if (pthread_create(&other, NULL, run, (void *)1L) != 0) return 1;
    run((void *)0L);
}
