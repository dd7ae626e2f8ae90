/*
 * kiln_core_latency.c — the round trip of one cache line between two CPUs (see
 * kiln_core_latency.h for why Kiln measures it).
 *
 * Measured on this project's 2-vCPU AMD EPYC VMs: 51-62 ns most of the time, 290-330 ns in
 * periods when the hypervisor runs the two vCPUs far apart; those periods switch while the
 * machine idles, so often between one process and the next.
 *
 * The fastest batch's average is reported, not the mean of all trips: on a busy machine
 * either thread may be descheduled for milliseconds, which says nothing about where the
 * vCPUs are, and a batch of 200 trips takes 10-70 us, so some batches run undisturbed.
 *
 * bench/peers.py compiles this file alone with -DKILN_CORE_LATENCY_MAIN, for a program
 * that prints the number (`./core_latency [CPU_A CPU_B [BATCHES]]`).
 */
#define _GNU_SOURCE
#include "kiln_core_latency.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { TRIPS = 200 };

typedef struct {
    _Alignas(64) _Atomic long flag; /* odd: a ping in flight; even: answered */
    _Atomic int abandon;            /* set when the other side could not be started */
    int near_cpu, far_cpu;
    long batches;
    double best_ns;                 /* the fastest batch's average, written by ping */
} ping_pong;

static void pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

/* The far side: waits for each odd value and answers with the next even one. */
static void *pong(void *arg) {
    ping_pong *p = (ping_pong *)arg;
    pin(p->far_cpu);
    for (long i = 0; i < p->batches * TRIPS; i++) {
        while (atomic_load_explicit(&p->flag, memory_order_acquire) != 2 * i + 1)
            if (atomic_load_explicit(&p->abandon, memory_order_relaxed)) return NULL;
        atomic_store_explicit(&p->flag, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

/* The near side: sends each ping, waits for its answer, times batches of TRIPS. */
static void *ping(void *arg) {
    ping_pong *p = (ping_pong *)arg;
    pin(p->near_cpu);
    for (long b = 0; b < p->batches; b++) {
        const double t0 = now_ns();
        for (long i = b * TRIPS; i < (b + 1) * TRIPS; i++) {
            atomic_store_explicit(&p->flag, 2 * i + 1, memory_order_release);
            while (atomic_load_explicit(&p->flag, memory_order_acquire) != 2 * i + 2) {}
        }
        const double ns = (now_ns() - t0) / TRIPS;
        if (p->best_ns < 0 || ns < p->best_ns) p->best_ns = ns;
    }
    return NULL;
}

/* Both sides run on threads of their own, so the caller's thread keeps its CPU and affinity
 * (kiln bench probes between timings, beside Kiln's pinned workers). */
double kiln_core_round_trip_ns(int cpu_a, int cpu_b, int batches) {
    cpu_set_t allowed;
    if (batches < 1 || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
    if (cpu_a < 0 || cpu_b < 0) {
        cpu_a = cpu_b = -1;
        for (int c = 0; c < CPU_SETSIZE && cpu_b < 0; c++)
            if (CPU_ISSET(c, &allowed)) {
                if (cpu_a < 0) cpu_a = c;
                else cpu_b = c;
            }
    }
    if (cpu_a < 0 || cpu_b < 0 || cpu_a == cpu_b || cpu_a >= CPU_SETSIZE || cpu_b >= CPU_SETSIZE) return -1;
    ping_pong p = {.near_cpu = cpu_a, .far_cpu = cpu_b, .batches = batches, .best_ns = -1};
    atomic_init(&p.flag, 0);
    atomic_init(&p.abandon, 0);
    pthread_t far, near;
    if (pthread_create(&far, NULL, pong, &p) != 0) return -1;
    if (pthread_create(&near, NULL, ping, &p) != 0) {
        atomic_store(&p.abandon, 1); /* pong would wait for pings that never come */
        pthread_join(far, NULL);
        return -1;
    }
    pthread_join(near, NULL);
    pthread_join(far, NULL);
    return p.best_ns;
}

#ifdef KILN_CORE_LATENCY_MAIN
int main(int argc, char **argv) {
    const int a = argc >= 3 ? atoi(argv[1]) : -1, b = argc >= 3 ? atoi(argv[2]) : -1;
    const double ns = kiln_core_round_trip_ns(a, b, argc >= 4 ? atoi(argv[3]) : 100);
    if (ns < 0) {
        fprintf(stderr, "core_latency: needs two CPUs this process may use\n");
        return 1;
    }
    printf("%.0f\n", ns);
    return 0;
}
#endif
