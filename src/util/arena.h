/* arena.h — a bump allocator with a hard cap, one per request or per config
 * load (CONVENTIONS 7).
 *
 * Everything allocated from an arena is freed at once by util_arena_free, after
 * the registered cleanup callbacks run (last registered, first run). The cap
 * bounds the total bytes the arena may take from the heap; an allocation past
 * it returns NULL and util_arena_overflowed() reports it, so callers can tell
 * "too big" (AUG_ETOOBIG → 413) from "out of memory".
 *
 * Thread rules: an arena belongs to one thread at a time; no locking.
 */
#ifndef AUG_UTIL_ARENA_H
#define AUG_UTIL_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct util_arena util_arena;

/* Creates an arena that may hold at most `cap` bytes of allocations.
 * Returns NULL on out-of-memory. Caller frees with util_arena_free. */
util_arena *util_arena_new(size_t cap);

/* Returns n bytes aligned to max_align_t, valid until util_arena_free; NULL
 * when the cap would be exceeded or the heap is exhausted. */
void *util_arena_alloc(util_arena *a, size_t n);

/* Like util_arena_alloc but zero-filled. */
void *util_arena_calloc(util_arena *a, size_t n);

/* Copies len bytes and a NUL into the arena; NULL on failure. */
char *util_arena_strndup(util_arena *a, const char *s, size_t len);

/* Registers fn(arg) to run at util_arena_free. Returns false on failure. */
bool util_arena_on_free(util_arena *a, void (*fn)(void *), void *arg);

/* True once an allocation was refused because of the cap. */
bool util_arena_overflowed(const util_arena *a);

/* Bytes handed out so far (for metrics and tests). */
size_t util_arena_used(const util_arena *a);

/* Forgets all allocations but keeps the first block for reuse; runs and
 * clears the cleanup callbacks. */
void util_arena_reset(util_arena *a);

/* Runs cleanups, then frees every block and the arena. NULL is a no-op. */
void util_arena_free(util_arena *a);

#endif
