/* hash.h — fast non-cryptographic hashing for in-memory tables.
 *
 * util_hash64 is seeded, reads 8 bytes at a time, and is stable across runs
 * and machines of the same endianness; it is NOT used in any on-disk format.
 * util_hash128_of reads the input once and keeps two independently keyed
 * 64-bit lanes (lo, hi; design notes in hash.c); augur identifies a label
 * set in memory by its 128-bit hash (collision odds ~2^-64 at 2^32 series,
 * far below hardware error rates). Its low bits index hash tables. Neither
 * function is stable across augur versions; nothing on disk depends on them.
 */
#ifndef AUG_UTIL_HASH_H
#define AUG_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct util_hash128 {
    uint64_t lo, hi;
} util_hash128;

uint64_t util_hash64(const void *data, size_t len, uint64_t seed);

/* FNV-1a 64-bit, continuing from h (start with UTIL_FNV64_BASIS). Unlike
 * util_hash64 it is fixed forever, so on-disk identifiers and fingerprints
 * (outbox target ids, model-definition fingerprints) may be built from it. */
#define UTIL_FNV64_BASIS UINT64_C(0xcbf29ce484222325)
uint64_t util_fnv1a64(const void *data, size_t len, uint64_t h);
util_hash128 util_hash128_of(const void *data, size_t len);

#endif
