/*
 * kiln_cache_evict.h — push a buffer out of every cache level, so that the next read of it
 * comes from memory. max-autotune uses it to time a convolution the way it runs inside a
 * network whose weights exceed the last-level cache: at batch 1 every layer's weights were
 * evicted by the other layers' since its last run, and an algorithm with larger packed
 * weights (Winograd's transformed ones are 1.8-4x the direct ones) pays for reading them.
 * Host-only (autotune); not embedded in generated libraries.
 */
#ifndef KILN_CACHE_EVICT_H
#define KILN_CACHE_EVICT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flushes every cache line overlapping [p, p + bytes) (x86-64: clflush, then a fence so the
 * flushes complete before the caller starts its clock). Other architectures: a no-op. The
 * bytes are unchanged. */
void kiln_cache_evict(const void *p, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif /* KILN_CACHE_EVICT_H */
