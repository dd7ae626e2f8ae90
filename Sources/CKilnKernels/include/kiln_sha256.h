/*
 * kiln_sha256.h — SHA-256 for Kiln's Swift side (never embedded in generated libraries).
 */
#ifndef KILN_SHA256_H
#define KILN_SHA256_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* SHA-256 of `length` bytes at `data` into digest[32]. For cache keys and graph hashes
 * of large weight blobs, where a Swift implementation in a debug build is too slow. */
void kiln_sha256(const void *data, size_t length, unsigned char digest[32]);
/* The same digest from the portable rounds only: kiln_sha256's reference twin. */
void kiln_sha256_ref(const void *data, size_t length, unsigned char digest[32]);
/* 1 when kiln_sha256 uses the CPU's SHA extensions. */
int kiln_sha256_uses_sha_ni(void);

#ifdef __cplusplus
}
#endif
#endif /* KILN_SHA256_H */
