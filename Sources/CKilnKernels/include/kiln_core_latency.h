/*
 * kiln_core_latency.h — where the CPUs sit relative to each other: the round trip of one
 * cache line between two CPUs. On a VM the hypervisor places the vCPUs, sometimes far apart
 * on the host (different core complexes), and then every kernel whose threads hand data to
 * each other slows down. Host-only (kiln bench / kiln doctor, bench/peers.py); not embedded
 * in generated libraries.
 */
#ifndef KILN_CORE_LATENCY_H
#define KILN_CORE_LATENCY_H

#ifdef __cplusplus
extern "C" {
#endif

/* Nanoseconds per round trip between CPUs cpu_a and cpu_b (both -1: the first two CPUs this
 * process may use): the fastest of `batches` batches of 200 round trips, so that moments
 * when either thread was descheduled do not count. -1 when there are not two CPUs to use or
 * a thread cannot be started. Runs on two threads of its own (the caller's thread keeps its
 * CPU and affinity). Takes batches x 10-70 us. */
double kiln_core_round_trip_ns(int cpu_a, int cpu_b, int batches);

#ifdef __cplusplus
}
#endif
#endif /* KILN_CORE_LATENCY_H */
