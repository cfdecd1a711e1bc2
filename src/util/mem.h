/* mem.h — the only way augur allocates from the heap (CONVENTIONS 8).
 *
 * The wrappers keep a live byte count (exported as the self-metric
 * augur_heap_bytes) and, for torture tests, can fail the Nth allocation on
 * demand. They are thread-safe (atomics). Semantics otherwise follow libc:
 * aug_free(NULL) is a no-op; aug_realloc returns the new pointer or NULL,
 * leaving the old block untouched on failure.
 */
#ifndef AUG_UTIL_MEM_H
#define AUG_UTIL_MEM_H

#include <stddef.h>
#include <stdint.h>

void *aug_malloc(size_t n);
void *aug_calloc(size_t count, size_t size);
void *aug_realloc(void *p, size_t n);
void aug_free(void *p);
/* Duplicates len bytes of s plus a NUL; caller frees with aug_free. */
char *aug_strndup(const char *s, size_t len);

/* Bytes currently allocated through these wrappers. */
int64_t aug_mem_used(void);

/* Fault injection for tests: after `n` more successful allocations, every
 * allocation fails until aug_mem_fail_reset(). n < 0 disables. */
void aug_mem_fail_after(long n);
void aug_mem_fail_reset(void);
/* Number of allocations refused by fault injection since the last reset. */
long aug_mem_failures(void);

#endif
