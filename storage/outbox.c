/* outbox.c — the remote-write outbox: batches of samples waiting for one
 * remote-write target, durable across restarts (DBI "outbox").
 *
 * Byte format
 * -----------
 * Conventions as in records.c: big-endian keys, varint = unsigned LEB128
 * (minimal, at most 10 bytes), zz = zigzag then varint, f64 = the 8 bytes of
 * the IEEE-754 bit pattern, big-endian, copied as an integer (NaN payloads
 * such as the staleness marker 0x7ff0000000000002, and -0.0, survive).
 *
 * Target id: FNV-1a 64 of the target's name (the remote_write `name`, which
 * defaults to its url): offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3, over the name's bytes. Stable across machines and builds
 * (unlike util_hash64), so it may live on disk. e.g. "prom" →
 * 0x8572950e3537b22f (store_outbox_target_id).
 *
 * DBI outbox — key (16 bytes): one target's records are contiguous, oldest
 * (smallest seq) first
 *   off len field
 *   0   8   target id, u64 BE
 *   8   8   seq, u64 BE (strictly increasing per target; never 0)
 * value (version 1):
 *   0   1    version 0x01
 *   1   1-10 nseries, varint (>= 1)
 *   .   1-10 nsamples, varint: total over all series (>= nseries), so a
 *            queue can be counted from headers alone
 *   then nseries entries, each:
 *   .   1-10 shared: bytes this series' canonical label key has in common
 *            with the previous series' key (0 for the first), varint
 *   .   1-10 suffix length, varint
 *   .   n    suffix: the key's bytes after the shared prefix
 *   .   1-10 samples of this series, varint (>= 1)
 *   then per sample:
 *   .   1-10 ts_ms - previous ts_ms in the record (0 before the first), zz,
 *            wrapping 64-bit arithmetic
 *   .   8    value, f64
 *   Front coding ("shared") is canonical: shared is the whole common prefix
 *   with the previous key, so the encoding of a batch is unique (the fuzzer
 *   re-encodes and compares bytes). Keys are canonical label keys (store.h);
 *   the evaluation that produced a record is usually sorted, and ai_* keys
 *   share long prefixes (`__name__ 0xFF ai_cpu_forecast 0xFF horizon 0xFF`),
 *   so most series cost their last label or two plus 10 bytes of sample.
 *
 * Worked example: target "prom", seq 1, two series at 1700000000000 ms:
 *   {__name__="ai_cpu_forecast", horizon="1h"} = 0.5
 *   {__name__="ai_cpu_forecast", horizon="4h"} = staleness NaN
 *   key 85 72 95 0e 35 37 b2 2f 00 00 00 00 00 00 00 01
 *   val 01 02 02                                version, 2 series, 2 samples
 *       00 24 5f 5f 6e 61 6d 65 5f 5f ff 61 69 5f 63 70 75 5f 66 6f 72 65
 *       63 61 73 74 ff 68 6f 72 69 7a 6f 6e ff 31 68 ff
 *                                               shared 0, suffix 36 bytes
 *       01 80 a0 ab fe f9 62                    1 sample, ts zz 3400000000000
 *       3f e0 00 00 00 00 00 00                 0.5
 *       21 03 34 68 ff                          shared 33, suffix "4h" 0xFF
 *       01 00 7f f0 00 00 00 00 00 02           1 sample, ts +0, NaN bits
 *   71 bytes; the same two samples cost 128 bytes of remote-write protobuf
 *   (before snappy), because protobuf repeats every label of every series.
 *
 * Unknown version byte → AUG_EVERSION (written by a newer augur: refuse,
 * never guess). Short, trailing bytes, counts that disagree, a shared
 * prefix that is longer than the previous key or not the whole common
 * prefix, a key that is not canonical, a series without samples →
 * AUG_ECORRUPT.
 *
 * Design notes
 * ------------
 * 1. Decoding is an iterator (store_outbox_rec_next), one series at a time:
 *    a front-coded key is rebuilt over the previous one in one buffer of
 *    at most the record's length, so a hostile record cannot make the
 *    decoder allocate more than ~3 × its own size (a fully materialized
 *    decode could be quadratic: n keys each sharing a long prefix).
 * 2. The header carries the sample total, so counting a target's queue
 *    (store_outbox_info_get) and dropping the oldest records for a queue
 *    limit read two varints per record, never the series.
 * 3. Appends go to the end of the target's key range: ordinary puts (one
 *    DBI holds every target, so MDB_APPEND applies only to the last one)
 *    after a cursor check that no record of the target has seq >= the new
 *    one.
 * 4. Deletes walk from the front of the target's range with one cursor,
 *    reading each record's header for the counts they report; a record
 *    whose header is unreadable is still deleted and counted in `corrupt`.
 * 5. This module never logs and knows nothing of HTTP: export/ decides what
 *    goes in, when it is acknowledged and what a queue limit drops.
 */
#include "util/common.h"
#include "storage/codec.h"
#include "storage/records.h"
#include "storage/store_int.h"
#include "util/bits.h"
#include "util/hash.h"

/* ---- target id and key ---- */

uint64_t store_outbox_target_id(aug_str name)
{
    return util_fnv1a64(name.p, name.len, UTIL_FNV64_BASIS);
}

void store_record_outbox_key_encode(uint64_t target, uint64_t seq, uint8_t out[STORE_OUTBOX_KEY_LEN])
{
    put_be64(out, target);
    put_be64(out + 8, seq);
}

aug_err store_record_outbox_key_decode(aug_bytes in, uint64_t *target, uint64_t *seq)
{
    if (in.p == NULL || in.len != STORE_OUTBOX_KEY_LEN)
        return AUG_ECORRUPT;
    *target = get_be64(in.p);
    *seq = get_be64(in.p + 8);
    return AUG_OK;
}

/* ---- record encoder ---- */

#define SAMPLE_MAX (10u + 8u) /* zz ts + f64 */
#define SAMPLE_MIN (1u + 8u)
/* Smallest possible series entry: shared, suffix length and sample count
 * of one byte each, an empty suffix, one sample. */
#define SERIES_MIN (3u + SAMPLE_MIN)

size_t store_record_outbox_bound(const store_outbox_series *s, size_t n)
{
    size_t total = 1 + 10 + 10;
    for (size_t i = 0; i < n; i++) {
        if (s[i].nsamples > (SIZE_MAX - total) / SAMPLE_MAX)
            return 0;
        size_t add = 30 + s[i].nsamples * SAMPLE_MAX;
        if (s[i].key.len > SIZE_MAX - add || total > SIZE_MAX - add - s[i].key.len)
            return 0;
        total += add + s[i].key.len;
    }
    return total;
}

static size_t common_prefix(aug_bytes a, aug_bytes b)
{
    size_t n = AUG_MIN(a.len, b.len), i = 0;
    while (i < n && a.p[i] == b.p[i])
        i++;
    return i;
}

aug_err store_record_outbox_encode(const store_outbox_series *s, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    if (n == 0 || s == NULL)
        return AUG_EINVAL;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].nsamples == 0 || s[i].samples == NULL || !store_labels_valid(s[i].key))
            return AUG_EINVAL;
        total += s[i].nsamples;
    }
    size_t need = store_record_outbox_bound(s, n);
    if (need == 0 || cap < need)
        return AUG_ETOOBIG;
    size_t o = 0;
    out[o++] = STORE_RECORD_V1;
    o += uvarint_put(out + o, n);
    o += uvarint_put(out + o, total);
    aug_bytes prev = {NULL, 0};
    int64_t prev_ts = 0;
    for (size_t i = 0; i < n; i++) {
        size_t shared = i == 0 ? 0 : common_prefix(prev, s[i].key);
        o += uvarint_put(out + o, shared);
        o += uvarint_put(out + o, s[i].key.len - shared);
        memcpy(out + o, s[i].key.p + shared, s[i].key.len - shared);
        o += s[i].key.len - shared;
        o += uvarint_put(out + o, s[i].nsamples);
        for (size_t j = 0; j < s[i].nsamples; j++) {
            const store_outbox_sample *x = &s[i].samples[j];
            o += uvarint_put(out + o, zz_enc(u2i(i2u(x->ts_ms) - i2u(prev_ts))));
            put_be64(out + o, util_f64_bits(x->value));
            o += 8;
            prev_ts = x->ts_ms;
        }
        prev = s[i].key;
    }
    *len = o;
    return AUG_OK;
}

/* ---- record decoder (an iterator, note 1) ---- */

aug_err store_record_outbox_open(aug_bytes in, store_record_outbox_rd *r, size_t *nseries, size_t *nsamples)
{
    if (in.p == NULL || in.len == 0)
        return AUG_ECORRUPT;
    if (in.p[0] != STORE_RECORD_V1)
        return AUG_EVERSION;
    size_t off = 1;
    uint64_t ns, nsmp;
    if (!get_uvarint(in.p, in.len, &off, &ns) || !get_uvarint(in.p, in.len, &off, &nsmp))
        return AUG_ECORRUPT;
    size_t rest = in.len - off;
    if (ns == 0 || ns > rest / SERIES_MIN || nsmp < ns || nsmp > rest / SAMPLE_MIN)
        return AUG_ECORRUPT;
    *r = (store_record_outbox_rd){
        .p = in.p,
        .len = in.len,
        .off = off,
        .nseries = (size_t)ns,
        .nsamples = (size_t)nsmp,
        .series_left = (size_t)ns,
        .samples_left = (size_t)nsmp,
    };
    if (nseries != NULL)
        *nseries = (size_t)ns;
    if (nsamples != NULL)
        *nsamples = (size_t)nsmp;
    return AUG_OK;
}

aug_err store_record_outbox_next(store_record_outbox_rd *r, uint8_t *keybuf, size_t keycap,
                                 store_outbox_sample *smp, size_t smpcap, store_outbox_series *out)
{
    if (r->series_left == 0)
        return r->off == r->len && r->samples_left == 0 ? AUG_ENOTFOUND : AUG_ECORRUPT;
    bool first = r->series_left == r->nseries;
    uint64_t shared, suffix, ns;
    if (!get_uvarint(r->p, r->len, &r->off, &shared) || !get_uvarint(r->p, r->len, &r->off, &suffix))
        return AUG_ECORRUPT;
    if (shared > r->keylen || (first && shared != 0) || suffix > r->len - r->off)
        return AUG_ECORRUPT;
    if (shared + suffix > keycap)
        return AUG_ETOOBIG;
    const uint8_t *suf = r->p + r->off;
    /* Canonical: the shared prefix is the whole common prefix. */
    if (suffix > 0 && shared < r->keylen && suf[0] == keybuf[shared])
        return AUG_ECORRUPT;
    if (suffix > 0)
        memcpy(keybuf + shared, suf, (size_t)suffix);
    r->off += (size_t)suffix;
    r->keylen = (size_t)(shared + suffix);
    aug_bytes key = {keybuf, r->keylen};
    if (!store_labels_valid(key))
        return AUG_ECORRUPT;
    if (!get_uvarint(r->p, r->len, &r->off, &ns) || ns == 0 || ns > r->samples_left ||
        ns > (r->len - r->off) / SAMPLE_MIN)
        return AUG_ECORRUPT;
    if (ns > smpcap)
        return AUG_ETOOBIG;
    for (size_t j = 0; j < ns; j++) {
        uint64_t d;
        if (!get_uvarint(r->p, r->len, &r->off, &d) || r->len - r->off < 8)
            return AUG_ECORRUPT;
        r->prev_ts = u2i(i2u(r->prev_ts) + i2u(zz_dec(d)));
        smp[j].ts_ms = r->prev_ts;
        smp[j].value = util_bits_f64(get_be64(r->p + r->off));
        r->off += 8;
    }
    r->series_left--;
    r->samples_left -= (size_t)ns;
    *out = (store_outbox_series){.key = key, .samples = smp, .nsamples = (size_t)ns};
    return AUG_OK;
}

/* ---- store API ---- */

struct store_outbox_rec {
    aug_bytes val;
    store_record_outbox_rd rd;
    aug_err hdr;           /* result of opening the header */
    store_buf *buf;        /* the txn's dec buffer: key, then samples */
    bool reserved;         /* buf sized for this record */
};

/* Reads the counts of a record value; unreadable → *corrupt. */
static void count_value(MDB_val d, store_outbox_info *acc)
{
    store_record_outbox_rd r;
    size_t nsmp = 0;
    if (store_record_outbox_open(store_bytes(d), &r, NULL, &nsmp) == AUG_OK)
        acc->samples += nsmp;
    else
        acc->corrupt++;
    acc->records++;
    acc->bytes += d.mv_size;
}

static void info_seq(store_outbox_info *acc, uint64_t seq)
{
    if (acc->records == 1)
        acc->first_seq = seq;
    acc->last_seq = seq;
}

/* The cursor result rc of a move to key k, restricted to target: *seq is
 * the record's sequence; another target's record reads as MDB_NOTFOUND. */
static int of_target(int rc, const MDB_val *k, uint64_t target, uint64_t *seq)
{
    uint64_t tg;
    if (rc == 0 && store_record_outbox_key_decode(store_bytes(*k), &tg, seq) != AUG_OK)
        return MDB_CORRUPTED;
    if (rc == 0 && tg != target)
        return MDB_NOTFOUND;
    return rc;
}

/* Positions c at the first record of target with seq >= from; *rc is the
 * cursor result (MDB_NOTFOUND when the target has none). */
static int seek(MDB_cursor *c, uint64_t target, uint64_t from, MDB_val *k, MDB_val *d, uint64_t *seq)
{
    uint8_t kb[STORE_OUTBOX_KEY_LEN];
    store_record_outbox_key_encode(target, from, kb);
    *k = store_val(kb, sizeof kb);
    return of_target(mdb_cursor_get(c, k, d, MDB_SET_RANGE), k, target, seq);
}

/* Next record of the same target after the cursor's position. */
static int step(MDB_cursor *c, uint64_t target, MDB_val *k, MDB_val *d, uint64_t *seq)
{
    return of_target(mdb_cursor_get(c, k, d, MDB_NEXT), k, target, seq);
}

aug_err store_outbox_append(store_txn *t, uint64_t target, uint64_t seq, const store_outbox_series *s, size_t n)
{
    aug_err e = store_txn_writable(t);
    if (e != AUG_OK)
        return e;
    if (seq == 0 || n == 0 || s == NULL)
        return store_txn_fail(t, AUG_EINVAL);
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->outbox, &c);
    if (rc != 0)
        return store_txn_fail(t, store_mdb_err(rc));
    MDB_val k, d;
    uint64_t at;
    rc = seek(c, target, seq, &k, &d, &at);
    mdb_cursor_close(c);
    if (rc == 0)
        return store_txn_fail(t, AUG_EINVAL); /* a record with seq >= this one exists */
    if (rc != MDB_NOTFOUND)
        return store_txn_fail(t, store_mdb_err(rc));
    store_buf *b = &t->bufs->enc;
    size_t bound = store_record_outbox_bound(s, n), len;
    if (bound == 0)
        return store_txn_fail(t, AUG_ETOOBIG);
    if ((e = store_buf_reserve(b, bound)) != AUG_OK || (e = store_record_outbox_encode(s, n, b->p, b->cap, &len)) != AUG_OK)
        return store_txn_fail(t, e);
    uint8_t kb[STORE_OUTBOX_KEY_LEN];
    store_record_outbox_key_encode(target, seq, kb);
    k = store_val(kb, sizeof kb);
    d = store_val(b->p, len);
    return store_txn_fail(t, store_mdb_err(mdb_put(t->txn, t->s->outbox, &k, &d, 0)));
}

aug_err store_outbox_info_get(store_txn *t, uint64_t target, store_outbox_info *out)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->outbox, &c);
    if (rc != 0)
        return store_mdb_err(rc);
    store_outbox_info acc = {0};
    MDB_val k, d;
    uint64_t seq;
    for (rc = seek(c, target, 0, &k, &d, &seq); rc == 0; rc = step(c, target, &k, &d, &seq)) {
        count_value(d, &acc);
        info_seq(&acc, seq);
    }
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND)
        return store_mdb_err(rc);
    *out = acc;
    return AUG_OK;
}

aug_err store_outbox_foreach(store_txn *t, uint64_t target, uint64_t from_seq,
                             aug_err (*fn)(void *arg, uint64_t seq, store_outbox_rec *rec), void *arg)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    store_buf *b = &t->bufs->dec;
    MDB_cursor *c;
    if ((e = store_walk_open(t, b, t->s->outbox, &c)) != AUG_OK)
        return e;
    int rc;
    MDB_val k, d;
    uint64_t seq;
    for (rc = seek(c, target, from_seq, &k, &d, &seq); rc == 0; rc = step(c, target, &k, &d, &seq)) {
        store_outbox_rec rec = {.val = store_bytes(d), .buf = b};
        rec.hdr = store_record_outbox_open(rec.val, &rec.rd, NULL, NULL);
        if ((e = fn(arg, seq, &rec)) != AUG_OK)
            break;
    }
    return store_walk_close(b, c, e, rc);
}

aug_err store_outbox_rec_counts(const store_outbox_rec *r, size_t *nseries, size_t *nsamples)
{
    if (r->hdr != AUG_OK)
        return r->hdr;
    if (nseries != NULL)
        *nseries = r->rd.nseries;
    if (nsamples != NULL)
        *nsamples = r->rd.nsamples;
    return AUG_OK;
}

size_t store_outbox_rec_bytes(const store_outbox_rec *r)
{
    return r->val.len;
}

aug_err store_outbox_rec_next(store_outbox_rec *r, store_outbox_series *out)
{
    if (r->hdr != AUG_OK)
        return r->hdr;
    /* Key buffer: a key is at most the record's length (note 1); samples:
     * at most one per SAMPLE_MIN bytes. */
    size_t keycap = r->val.len, smpcap = r->val.len / SAMPLE_MIN + 1;
    size_t koff = (keycap + 7) & ~(size_t)7;
    if (!r->reserved) {
        if (smpcap > (STORE_BUF_MAX - koff) / sizeof(store_outbox_sample))
            return r->hdr = AUG_ETOOBIG;
        aug_err e = store_buf_reserve(r->buf, koff + smpcap * sizeof(store_outbox_sample));
        if (e != AUG_OK)
            return r->hdr = e;
        r->reserved = true;
    }
    store_outbox_sample *smp = (store_outbox_sample *)(void *)(r->buf->p + koff);
    aug_err e = store_record_outbox_next(&r->rd, r->buf->p, keycap, smp, smpcap, out);
    if (e != AUG_OK && e != AUG_ENOTFOUND)
        r->hdr = e; /* sticky: the iterator cannot continue past garbage */
    return e;
}

/* Deletes from the front of target's records while keep_going says so. */
static aug_err delete_front(store_txn *t, uint64_t target, uint64_t upto_seq, uint64_t min_samples,
                            size_t max_records, store_outbox_info *out)
{
    aug_err e = store_txn_writable(t);
    if (e != AUG_OK)
        return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->outbox, &c);
    if (rc != 0)
        return store_txn_fail(t, store_mdb_err(rc));
    store_outbox_info acc = {0};
    MDB_val k, d;
    uint64_t seq;
    for (rc = seek(c, target, 0, &k, &d, &seq); rc == 0; rc = seek(c, target, 0, &k, &d, &seq)) {
        if (seq > upto_seq || acc.samples >= min_samples || (max_records != 0 && acc.records >= max_records))
            break;
        count_value(d, &acc);
        info_seq(&acc, seq);
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
    }
    mdb_cursor_close(c);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return store_txn_fail(t, store_mdb_err(rc));
    if (out != NULL)
        *out = acc;
    return AUG_OK;
}

aug_err store_outbox_delete_upto(store_txn *t, uint64_t target, uint64_t upto_seq, size_t max_records,
                                 store_outbox_info *deleted)
{
    return delete_front(t, target, upto_seq, UINT64_MAX, max_records, deleted);
}

aug_err store_outbox_drop_oldest(store_txn *t, uint64_t target, uint64_t min_samples, store_outbox_info *dropped)
{
    return delete_front(t, target, UINT64_MAX, min_samples, 0, dropped);
}

aug_err store_outbox_targets(store_txn *t, aug_err (*fn)(void *arg, uint64_t target, const store_outbox_info *info),
                             void *arg)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->outbox, &c);
    if (rc != 0)
        return store_mdb_err(rc);
    MDB_val k, d;
    store_outbox_info acc = {0};
    uint64_t cur = 0;
    bool have = false;
    for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        uint64_t tg, seq;
        if (store_record_outbox_key_decode(store_bytes(k), &tg, &seq) != AUG_OK) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (have && tg != cur) {
            if ((e = fn(arg, cur, &acc)) != AUG_OK)
                break;
            acc = (store_outbox_info){0};
        }
        cur = tg;
        have = true;
        count_value(d, &acc);
        info_seq(&acc, seq);
    }
    mdb_cursor_close(c);
    if (e != AUG_OK)
        return e;
    if (rc != MDB_NOTFOUND)
        return store_mdb_err(rc);
    return have ? fn(arg, cur, &acc) : AUG_OK;
}
