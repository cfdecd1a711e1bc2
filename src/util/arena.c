/* arena.c — bump allocation over a chain of blocks.
 *
 * Invariants:
 *  1. `used` is the sum of the sizes handed out (after alignment) and never
 *     exceeds `cap`.
 *  2. Blocks form a singly linked list, newest first; only the newest block
 *     has free space that allocations may use.
 *  3. A request larger than a quarter of the default block size gets a block
 *     of its own, inserted behind the newest so the newest keeps its space.
 */
#include "util/common.h"
#include "util/arena.h"
#include "util/mem.h"

#define BLOCK_SIZE ((size_t)64 * 1024)
#define ALIGN (_Alignof(max_align_t))

typedef struct block {
    struct block *next;
    size_t size; /* usable bytes in data[] */
    size_t off;  /* next free byte in data[] */
    _Alignas(max_align_t) unsigned char data[];
} block;

typedef struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *arg;
} cleanup;

struct util_arena {
    block *head;
    cleanup *cleanups;
    size_t cap;
    size_t used;
    bool overflowed;
};

static block *block_new(size_t size)
{
    block *b = aug_malloc(sizeof *b + size);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->off = 0;
    return b;
}

util_arena *util_arena_new(size_t cap)
{
    util_arena *a = aug_calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->cap = cap;
    return a;
}

void *util_arena_alloc(util_arena *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
    if (need < n || need > a->cap - a->used) {
        a->overflowed = true;
        return NULL;
    }
    block *b = a->head;
    if (b != NULL && b->size - b->off >= need) {
        void *p = b->data + b->off;
        b->off += need;
        a->used += need;
        return p;
    }
    if (need > BLOCK_SIZE / 4) {
        block *big = block_new(need);
        if (big == NULL)
            return NULL;
        big->off = need;
        if (b != NULL) {
            big->next = b->next;
            b->next = big;
        } else {
            a->head = big;
        }
        a->used += need;
        return big->data;
    }
    block *nb = block_new(BLOCK_SIZE);
    if (nb == NULL)
        return NULL;
    nb->next = a->head;
    a->head = nb;
    nb->off = need;
    a->used += need;
    return nb->data;
}

void *util_arena_calloc(util_arena *a, size_t n)
{
    void *p = util_arena_alloc(a, n);
    if (p != NULL)
        memset(p, 0, n);
    return p;
}

char *util_arena_strndup(util_arena *a, const char *s, size_t len)
{
    char *d = util_arena_alloc(a, len + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

bool util_arena_on_free(util_arena *a, void (*fn)(void *), void *arg)
{
    cleanup *c = util_arena_alloc(a, sizeof *c);
    if (c == NULL)
        return false;
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
    return true;
}

bool util_arena_overflowed(const util_arena *a)
{
    return a->overflowed;
}

size_t util_arena_used(const util_arena *a)
{
    return a->used;
}

static void run_cleanups(util_arena *a)
{
    for (cleanup *c = a->cleanups; c != NULL; c = c->next)
        c->fn(c->arg);
    a->cleanups = NULL;
}

void util_arena_reset(util_arena *a)
{
    run_cleanups(a);
    block *keep = NULL;
    for (block *b = a->head; b != NULL;) {
        block *next = b->next;
        if (keep == NULL && b->size == BLOCK_SIZE) {
            keep = b;
            keep->next = NULL;
            keep->off = 0;
        } else {
            aug_free(b);
        }
        b = next;
    }
    a->head = keep;
    a->used = 0;
    a->overflowed = false;
}

void util_arena_free(util_arena *a)
{
    if (a == NULL)
        return;
    run_cleanups(a);
    for (block *b = a->head; b != NULL;) {
        block *next = b->next;
        aug_free(b);
        b = next;
    }
    aug_free(a);
}
