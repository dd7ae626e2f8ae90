/*
 * core_latency.c — the round trip of one cache line between two CPUs, in nanoseconds.
 *
 * Why peers.py measures it: on a VM the hypervisor decides where the vCPUs run, and on this
 * machine kind it sometimes places the two vCPUs far apart on the host (different core
 * complexes: ~325 ns round trip instead of ~55 ns). Every engine's two-thread time then
 * changes (Kiln's ResNet-18 batch 1 ~1.4x), and the placement changes between processes,
 * so a paired round is only fair when every engine in it ran with the same placement.
 *
 * Reported is the fastest of many short batches' average, not the mean of all trips: on a busy
 * machine either thread may be descheduled for milliseconds, which would say nothing about
 * where the vCPUs are; a batch of 200 trips takes 10-70 us, so some batches run undisturbed.
 *
 *   cc -O2 -pthread core_latency.c -o core_latency && ./core_latency [CPU_A CPU_B [BATCHES]]
 *
 * Defaults: the first two CPUs this process may use, 100 batches. Prints one number.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Alignas(64) _Atomic long flag = 0;
enum { TRIPS = 200 };
static long batches = 100, trips;
static int cpu_a = -1, cpu_b = -1;

static void pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

/* The far side: waits for odd values and answers with the next even one. */
static void *pong(void *arg) {
    (void)arg;
    pin(cpu_b);
    for (long i = 0; i < trips; i++) {
        while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 1) {}
        atomic_store_explicit(&flag, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

int main(int argc, char **argv) {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &allowed)) {
            if (cpu_a < 0) cpu_a = c;
            else if (cpu_b < 0) cpu_b = c;
        }
    if (argc >= 3) cpu_a = atoi(argv[1]), cpu_b = atoi(argv[2]);
    if (argc >= 4) batches = atol(argv[3]);
    trips = batches * TRIPS;
    if (cpu_b < 0 || batches < 1) {
        fprintf(stderr, "core_latency: needs two CPUs\n");
        return 1;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, pong, NULL) != 0) return 1;
    pin(cpu_a);
    double best = 1e30;
    for (long b = 0; b < batches; b++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = b * TRIPS; i < (b + 1) * TRIPS; i++) {
            atomic_store_explicit(&flag, 2 * i + 1, memory_order_release);
            while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 2) {}
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / TRIPS;
        if (ns < best) best = ns;
    }
    pthread_join(t, NULL);
    printf("%.0f\n", best);
    return 0;
}
