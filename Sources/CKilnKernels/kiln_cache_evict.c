/*
 * kiln_cache_evict.c — see include/kiln_cache_evict.h.
 */
#include "kiln_cache_evict.h"

#include <stdint.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

void kiln_cache_evict(const void *p, size_t bytes) {
#if defined(__x86_64__)
    if (!p || !bytes) return;
    /* clflush (SSE2, every x86-64 CPU) rather than clflushopt: no run-time feature check, and
     * the fence below orders either kind; the lines are 64 bytes on every x86-64 CPU. */
    const uintptr_t first = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)p + bytes;
    for (uintptr_t a = first; a < end; a += 64) _mm_clflush((const void *)a);
    _mm_mfence();
#else
    (void)p, (void)bytes;
#endif
}
