/* smap.c — the bounded series → last-timestamp map of one target (contract
 * in export_int.h).
 *
 * Design notes
 * ------------
 * 1. Open addressing with linear probing over a power-of-two table at most
 *    half full, 24 bytes a slot. A slot is empty when its `lo` is 0; stored
 *    hashes have bit 0 of `lo` forced to 1, which leaves 127 bits of
 *    identity (collision odds ~2^-60 at 2^33 series). The home slot is
 *    taken from `hi`.
 * 1a. Memory follows use: the table starts at 64 slots and doubles (a
 *    rehash, in export_smap_reserve, before any admission) while the
 *    entries to hold pass half of it, up to the smallest power of two >= 2
 *    × limit. The eviction scratch (note 3) is allocated when the table
 *    reaches that size, the only time eviction can be needed. So a target
 *    with 2000 ai_* series costs ~200 KiB whatever the limit; at the
 *    default limit (100000) a full map costs 6 MiB of table plus 2.3 MiB
 *    of scratch.
 * 2. Removal (rollback of a new series) is backward-shift deletion, so no
 *    tombstones ever accumulate.
 * 3. Eviction (export_smap_reserve) copies the entries into a scratch
 *    array (`limit` slots, allocated with the full-size table), picks
 *    the cutoff timestamp with quickselect there, raises the floor to it,
 *    clears the table and re-inserts the entries above the cutoff. O(capacity)
 *    per eviction, and an eviction frees at least a quarter of the map, so
 *    at most one per limit/4 new series. (In-place bulk deletion with
 *    linear probing is possible but subtle; 24 bytes per entry of scratch
 *    buys an obviously correct rebuild.)
 * 4. Invariants (export_smap_check): count == occupied slots <= limit; every
 *    occupied slot is reachable from its home without crossing an empty
 *    slot; no hash twice.
 */
#include "util/common.h"
#include "export/export_int.h"
#include "util/assert.h"
#include "util/mem.h"

typedef struct slot {
    uint64_t lo, hi;
    int64_t ts;
} slot;

struct export_smap {
    slot *t;
    size_t mask;    /* capacity - 1 */
    size_t max_cap; /* smallest power of two >= 2 × limit */
    size_t count;
    size_t limit;
    int64_t floor;
    slot *scratch;  /* `limit` slots, for eviction; NULL until the table is full size */
};

#define INITIAL_CAP 64u

aug_err export_smap_new(size_t limit, int64_t floor, export_smap **out)
{
    *out = NULL;
    if (limit == 0 || limit > ((size_t)1 << 40))
        return AUG_EINVAL;
    size_t max_cap = INITIAL_CAP;
    while (max_cap < limit * 2)
        max_cap *= 2;
    export_smap *m = aug_calloc(1, sizeof *m);
    if (m == NULL)
        return AUG_ENOMEM;
    size_t cap = AUG_MIN((size_t)INITIAL_CAP, max_cap);
    m->t = aug_calloc(cap, sizeof *m->t);
    if (m->t != NULL && cap == max_cap) /* a small limit: full size from the start */
        m->scratch = aug_malloc(limit * sizeof *m->scratch);
    if (m->t == NULL || (cap == max_cap && m->scratch == NULL)) {
        export_smap_free(m);
        return AUG_ENOMEM;
    }
    m->mask = cap - 1;
    m->max_cap = max_cap;
    m->limit = limit;
    m->floor = floor;
    *out = m;
    return AUG_OK;
}

void export_smap_free(export_smap *m)
{
    if (m == NULL)
        return;
    aug_free(m->t);
    aug_free(m->scratch);
    aug_free(m);
}

size_t export_smap_count(const export_smap *m)
{
    return m->count;
}

int64_t export_smap_floor(const export_smap *m)
{
    return m->floor;
}

static util_hash128 norm(util_hash128 h)
{
    h.lo |= 1;
    return h;
}

/* Slot holding h, or the empty slot where it would go. */
static size_t find(const export_smap *m, util_hash128 h)
{
    size_t i = (size_t)h.hi & m->mask;
    while (m->t[i].lo != 0 && (m->t[i].lo != h.lo || m->t[i].hi != h.hi))
        i = (i + 1) & m->mask;
    return i;
}

/* Backward-shift deletion of the entry in slot i (note 2). */
static void remove_at(export_smap *m, size_t i)
{
    size_t j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (m->t[j].lo == 0)
            break;
        size_t home = (size_t)m->t[j].hi & m->mask;
        /* Move t[j] into the hole at i unless its home lies cyclically in
         * (i, j], in which case it is already reachable. */
        bool reachable = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!reachable) {
            m->t[i] = m->t[j];
            i = j;
        }
    }
    m->t[i] = (slot){0};
    m->count--;
}

/* Timestamp of rank k (0-based, ascending) among a[0..n), reordering a;
 * n > k. */
static int64_t select_kth(slot *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        /* Median of three as pivot, then a three-way partition so runs of
         * equal timestamps (one evaluation) cost O(n), not O(n^2). */
        size_t mid = lo + (hi - lo) / 2;
        int64_t x = a[lo].ts, y = a[mid].ts, z = a[hi].ts;
        int64_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        size_t lt = lo, i = lo, gt = hi;
        while (i <= gt) {
            if (a[i].ts < p) {
                slot tmp = a[lt];
                a[lt++] = a[i];
                a[i++] = tmp;
            } else if (a[i].ts > p) {
                slot tmp = a[gt];
                a[gt] = a[i];
                a[i] = tmp;
                if (gt == 0)
                    break;
                gt--;
            } else {
                i++;
            }
        }
        /* Now a[lo..lt) < p, a[lt..gt] == p, a(gt..hi] > p. */
        if (k < lt)
            hi = lt - 1;
        else if (k > gt)
            lo = gt + 1;
        else
            return p;
    }
    return a[k].ts;
}

/* Rehashes into a table of cap slots (note 1a). */
static aug_err grow(export_smap *m, size_t cap)
{
    slot *nt = aug_calloc(cap, sizeof *nt);
    slot *scratch = m->scratch;
    if (nt != NULL && cap == m->max_cap && scratch == NULL)
        scratch = aug_malloc(m->limit * sizeof *scratch);
    if (nt == NULL || (cap == m->max_cap && scratch == NULL)) {
        aug_free(nt);
        return AUG_ENOMEM;
    }
    slot *old = m->t;
    size_t old_cap = m->mask + 1;
    m->t = nt;
    m->mask = cap - 1;
    m->scratch = scratch;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].lo != 0)
            m->t[find(m, (util_hash128){.lo = old[i].lo, .hi = old[i].hi})] = old[i];
    aug_free(old);
    return AUG_OK;
}

aug_err export_smap_reserve(export_smap *m, size_t n)
{
    /* Room in the table for what may be admitted (load <= 1/2). */
    size_t want = n <= m->limit && m->count <= m->limit - n ? m->count + n : m->limit;
    size_t cap = m->mask + 1;
    if (want > cap / 2 && cap < m->max_cap) {
        while (cap < want * 2 && cap < m->max_cap)
            cap *= 2;
        aug_err e = grow(m, cap);
        if (e != AUG_OK)
            return e;
    }
    if (m->count == 0 || (n <= m->limit && m->count <= m->limit - n))
        return AUG_OK;
    AUG_ASSERT(m->scratch != NULL); /* count + n > limit: the table is full size */
    size_t need = n >= m->limit ? m->count : m->count - (m->limit - n);
    size_t k = AUG_MAX(need, m->count / 4);
    k = AUG_MAX(k, (size_t)1);
    size_t c = 0;
    for (size_t i = 0; i <= m->mask; i++)
        if (m->t[i].lo != 0)
            m->scratch[c++] = m->t[i];
    AUG_ASSERT(c == m->count);
    int64_t cutoff = select_kth(m->scratch, c, k - 1);
    /* Everything at or below the cutoff goes (ties together), so no entry
     * is left at or below the floor. */
    if (cutoff > m->floor)
        m->floor = cutoff;
    memset(m->t, 0, (m->mask + 1) * sizeof *m->t);
    m->count = 0;
    for (size_t i = 0; i < c; i++) {
        if (m->scratch[i].ts <= cutoff)
            continue;
        size_t j = find(m, (util_hash128){.lo = m->scratch[i].lo, .hi = m->scratch[i].hi});
        m->t[j] = m->scratch[i];
        m->count++;
    }
    AUG_DEBUG_ASSERT(export_smap_check(m));
    return AUG_OK;
}

export_smap_rc export_smap_admit(export_smap *m, util_hash128 h, int64_t ts, export_smap_undo *undo)
{
    h = norm(h);
    size_t i = find(m, h);
    if (m->t[i].lo != 0) {
        if (ts <= m->t[i].ts)
            return EXPORT_SMAP_OLD;
        *undo = (export_smap_undo){.h = h, .prev_ts = m->t[i].ts, .existed = true};
        m->t[i].ts = ts;
        return EXPORT_SMAP_OK;
    }
    if (ts <= m->floor)
        return EXPORT_SMAP_OLD;
    /* The limit, or a table not grown by export_smap_reserve (load > 1/2). */
    if (m->count >= m->limit || m->count >= (m->mask + 1) / 2)
        return EXPORT_SMAP_FULL;
    m->t[i] = (slot){.lo = h.lo, .hi = h.hi, .ts = ts};
    m->count++;
    *undo = (export_smap_undo){.h = h, .prev_ts = 0, .existed = false};
    return EXPORT_SMAP_OK;
}

void export_smap_rollback(export_smap *m, const export_smap_undo *u, size_t n)
{
    for (size_t k = n; k-- > 0;) {
        size_t i = find(m, u[k].h);
        if (NEVER(m->t[i].lo == 0))
            continue; /* evicted meanwhile: reserve runs before admits, so never */
        if (u[k].existed)
            m->t[i].ts = u[k].prev_ts;
        else
            remove_at(m, i);
    }
}

bool export_smap_check(const export_smap *m)
{
    size_t c = 0;
    for (size_t i = 0; i <= m->mask; i++) {
        if (m->t[i].lo == 0)
            continue;
        c++;
        if ((m->t[i].lo & 1) == 0)
            return false;
        /* Walk from home to i: no empty slot, no duplicate of this hash. */
        for (size_t j = (size_t)m->t[i].hi & m->mask; j != i; j = (j + 1) & m->mask) {
            if (m->t[j].lo == 0)
                return false;
            if (m->t[j].lo == m->t[i].lo && m->t[j].hi == m->t[i].hi)
                return false;
        }
    }
    return c == m->count && c <= m->limit && c <= (m->mask + 1) / 2;
}
