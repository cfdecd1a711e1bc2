/* helpers.h — what the storage tests share: a temporary directory created
 * with mkdtemp and removed afterwards (../tmpdir.h; one at a time, in
 * tmp_dir), hex comparison, bit-exact doubles, and access to a txn's raw
 * LMDB handles (store_int.h) for writing bytes the public API never would
 * (tampered stamps, foreign versions, garbage).
 */
#ifndef AUG_TESTS_STORAGE_HELPERS_H
#define AUG_TESTS_STORAGE_HELPERS_H

#include "util/common.h"
#include "storage/records.h"
#include "storage/store.h"
#include "storage/store_int.h"
#include "util/bits.h"
#include "util/mem.h"

#include <unistd.h>

#include "../check.h"
#include "../tmpdir.h"

static char tmp_dir[256]; /* the directory tmp_new made; "" after tmp_remove */

/* Creates a fresh directory and returns its path (static buffer). */
static inline const char *tmp_new(void)
{
    return tmpdir_new(tmp_dir, sizeof tmp_dir, "store");
}

static inline void tmp_remove(void)
{
    if (tmp_dir[0] != '\0')
        tmpdir_remove(tmp_dir);
    tmp_dir[0] = '\0';
}

static inline store *open_at(const char *dir, size_t initial, size_t max)
{
    store_opts o = {.path = dir, .initial_map_bytes = initial, .max_map_bytes = max};
    store *s = NULL;
    aug_errbuf eb = {{0}};
    aug_err e = store_open(&o, &s, &eb);
    if (e != AUG_OK)
        fprintf(stderr, "store_open: %s\n", aug_errmsg(&eb, e));
    CHECK_EQ_I64(e, AUG_OK);
    return s;
}

static inline store_txn *begin(store *s, bool write)
{
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(s, write, &t), AUG_OK);
    return t;
}

/* Parses "01 ff 0a" into out; returns the length. */
static inline size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    while (*h) {
        if (*h == ' ') {
            h++;
            continue;
        }
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

static inline bool bytes_eq_hex(const uint8_t *p, size_t len, const char *hex)
{
    uint8_t want[1024];
    size_t n = unhex(hex, want);
    if (n != len || memcmp(p, want, n) != 0) {
        fprintf(stderr, "  got :");
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, " %02x", p[i]);
        fprintf(stderr, "\n  want: %s\n", hex);
        return false;
    }
    return true;
}

/* Field by field (structs have padding), doubles compared as bits. */
static inline bool rollup_eq(const store_rollup *a, const store_rollup *b)
{
    return a->count == b->count && util_f64_bits(a->sum) == util_f64_bits(b->sum) && util_f64_bits(a->min) == util_f64_bits(b->min) &&
           util_f64_bits(a->max) == util_f64_bits(b->max) && util_f64_bits(a->last) == util_f64_bits(b->last) &&
           a->last_ts_ms == b->last_ts_ms && util_f64_bits(a->increase) == util_f64_bits(b->increase);
}

static inline bool state_eq(const store_series_state *a, const store_series_state *b)
{
    return a->last_ts_ms == b->last_ts_ms && util_f64_bits(a->prev_value) == util_f64_bits(b->prev_value) &&
           a->has_prev == b->has_prev && a->stale == b->stale && a->minute_start_s == b->minute_start_s &&
           rollup_eq(&a->minute, &b->minute) && a->hour_start_s == b->hour_start_s && rollup_eq(&a->hour, &b->hour);
}

#define STALE_NAN_BITS 0x7ff0000000000002ULL

static inline aug_bytes cstr_bytes(const char *s)
{
    return (aug_bytes){(const uint8_t *)s, strlen(s)};
}

static inline aug_str S(const char *s)
{
    return (aug_str){s, strlen(s)};
}

/* Raw put through the txn's LMDB handle (bypasses every encoder). */
static inline int raw_put(store_txn *t, MDB_dbi dbi, const void *k, size_t klen, const void *v, size_t vlen)
{
    MDB_val kv = store_val(k, klen), dv = store_val(v, vlen);
    return mdb_put(t->txn, dbi, &kv, &dv, 0);
}

#endif
