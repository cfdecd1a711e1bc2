/* mem.c — counting allocator wrappers with fault injection.
 *
 * The byte count uses malloc_usable_size so no header is prepended: blocks
 * stay compatible with libc and with sanitizers' own accounting. */
#include "util/common.h"
#include "util/mem.h"

#include <malloc.h>
#include <stdatomic.h>

static _Atomic int64_t used_bytes;
static _Atomic long fail_countdown = -1; /* <0: injection off */
static _Atomic long failures;

static bool inject_failure(void)
{
    long left = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (left < 0)
        return false;
    if (left == 0) {
        atomic_fetch_add(&failures, 1);
        return true;
    }
    atomic_fetch_sub(&fail_countdown, 1);
    return false;
}

static void *account(void *p)
{
    if (p != NULL)
        atomic_fetch_add_explicit(&used_bytes, (int64_t)malloc_usable_size(p), memory_order_relaxed);
    return p;
}

void *aug_malloc(size_t n)
{
    if (inject_failure())
        return NULL;
    return account(malloc(n == 0 ? 1 : n));
}

void *aug_calloc(size_t count, size_t size)
{
    if (inject_failure())
        return NULL;
    return account(calloc(count == 0 ? 1 : count, size == 0 ? 1 : size));
}

void *aug_realloc(void *p, size_t n)
{
    if (p == NULL)
        return aug_malloc(n);
    if (inject_failure())
        return NULL;
    int64_t old = (int64_t)malloc_usable_size(p);
    void *q = realloc(p, n == 0 ? 1 : n);
    if (q == NULL)
        return NULL;
    atomic_fetch_add_explicit(&used_bytes, (int64_t)malloc_usable_size(q) - old, memory_order_relaxed);
    return q;
}

void aug_free(void *p)
{
    if (p == NULL)
        return;
    atomic_fetch_sub_explicit(&used_bytes, (int64_t)malloc_usable_size(p), memory_order_relaxed);
    free(p);
}

char *aug_strndup(const char *s, size_t len)
{
    char *d = aug_malloc(len + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

int64_t aug_mem_used(void)
{
    return atomic_load_explicit(&used_bytes, memory_order_relaxed);
}

void aug_mem_fail_after(long n)
{
    atomic_store(&failures, 0);
    atomic_store(&fail_countdown, n < 0 ? -1 : n);
}

void aug_mem_fail_reset(void)
{
    atomic_store(&fail_countdown, -1);
}

long aug_mem_failures(void)
{
    return atomic_load(&failures);
}
