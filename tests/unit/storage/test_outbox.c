/* Unit tests for storage/outbox.c: the outbox record format (worked example
 * byte for byte, round trips with NaN payloads, every kind of garbage) and
 * the store API (append order, per-target ranges, foreach, delete, drop
 * oldest, target listing, durability across reopen, stores created before
 * the outbox table existed). */
#include "helpers.h"

#include <dirent.h>

#define K1 "__name__\xff" "ai_cpu_forecast\xff" "horizon\xff" "1h\xff"
#define K2 "__name__\xff" "ai_cpu_forecast\xff" "horizon\xff" "4h\xff"

static const char example_hex[] =
    "01 02 02"
    " 00 24 5f 5f 6e 61 6d 65 5f 5f ff 61 69 5f 63 70 75 5f 66 6f 72 65 63 61 73 74 ff 68 6f 72 69 7a 6f 6e ff 31 "
    "68 ff"
    " 01 80 a0 ab fe f9 62 3f e0 00 00 00 00 00 00"
    " 21 03 34 68 ff"
    " 01 00 7f f0 00 00 00 00 00 02";

/* The two-series batch of the worked example in outbox.c. */
static size_t example(store_outbox_series s[2], store_outbox_sample smp[2])
{
    smp[0] = (store_outbox_sample){1700000000000, 0.5};
    smp[1] = (store_outbox_sample){1700000000000, util_bits_f64(STALE_NAN_BITS)};
    s[0] = (store_outbox_series){cstr_bytes(K1), &smp[0], 1};
    s[1] = (store_outbox_series){cstr_bytes(K2), &smp[1], 1};
    return 2;
}

static void test_worked_example(void)
{
    CHECK(store_outbox_target_id(S("prom")) == 0x8572950e3537b22fULL);
    CHECK(store_outbox_target_id(S("")) == 0xcbf29ce484222325ULL);
    uint8_t key[STORE_OUTBOX_KEY_LEN];
    store_record_outbox_key_encode(store_outbox_target_id(S("prom")), 1, key);
    CHECK(bytes_eq_hex(key, sizeof key, "85 72 95 0e 35 37 b2 2f 00 00 00 00 00 00 00 01"));
    uint64_t tg, seq;
    CHECK_EQ_I64(store_record_outbox_key_decode((aug_bytes){key, sizeof key}, &tg, &seq), AUG_OK);
    CHECK(tg == 0x8572950e3537b22fULL && seq == 1);
    CHECK_EQ_I64(store_record_outbox_key_decode((aug_bytes){key, 15}, &tg, &seq), AUG_ECORRUPT);

    store_outbox_series s[2];
    store_outbox_sample smp[2];
    size_t n = example(s, smp);
    uint8_t out[256];
    size_t len = 0;
    CHECK_EQ_I64(store_record_outbox_encode(s, n, out, sizeof out, &len), AUG_OK);
    CHECK(bytes_eq_hex(out, len, example_hex));
    CHECK_EQ_I64(len, 71);
}

/* Decodes a whole record into flat arrays; returns the error. */
typedef struct decoded {
    size_t nseries, nsamples;
    uint8_t keys[64][128];
    size_t keylen[64];
    store_outbox_sample smp[64][8];
    size_t ns[64];
} decoded;

static aug_err decode_all(aug_bytes in, decoded *d)
{
    store_record_outbox_rd r;
    aug_err e = store_record_outbox_open(in, &r, &d->nseries, &d->nsamples);
    if (e != AUG_OK)
        return e;
    uint8_t *keybuf = aug_malloc(in.len + 1);
    store_outbox_sample *sb = aug_malloc((in.len / 9 + 1) * sizeof *sb);
    store_outbox_series out;
    size_t i = 0;
    while ((e = store_record_outbox_next(&r, keybuf, in.len, sb, in.len / 9 + 1, &out)) == AUG_OK) {
        if (i < 64 && out.key.len <= 128 && out.nsamples <= 8) {
            memcpy(d->keys[i], out.key.p, out.key.len);
            d->keylen[i] = out.key.len;
            memcpy(d->smp[i], out.samples, out.nsamples * sizeof *out.samples);
            d->ns[i] = out.nsamples;
        }
        i++;
    }
    aug_free(keybuf);
    aug_free(sb);
    if (e == AUG_ENOTFOUND && i != d->nseries)
        return AUG_EINVAL; /* the iterator lied about its count */
    return e == AUG_ENOTFOUND ? AUG_OK : e;
}

static void test_round_trip_bits(void)
{
    static const uint64_t vals[] = {STALE_NAN_BITS, 0x7ff8000000000001ULL, 0xfff0000000000000ULL,
                                    0x8000000000000000ULL, 0, 0x3ff0000000000000ULL, 0x0000000000000001ULL};
    const char *keys[] = {"a\xff" "1\xff", "a\xff" "1\xff" "b\xff" "2\xff", "a\xff" "10\xff", "b\xff" "x\xff",
                          "b\xff" "x\xff"};
    store_outbox_series s[5];
    store_outbox_sample smp[5][3];
    int64_t ts[] = {INT64_MIN, -1, 0, 1, INT64_MAX, 1700000000000, 1700000000001, -5, 3, 42, 7, 9, 11, 13, 15};
    size_t v = 0, t = 0;
    for (size_t i = 0; i < 5; i++) {
        for (size_t j = 0; j < 3; j++)
            smp[i][j] = (store_outbox_sample){ts[t++ % 15], util_bits_f64(vals[v++ % 7])};
        s[i] = (store_outbox_series){cstr_bytes(keys[i]), smp[i], 1 + i % 3};
    }
    size_t cap = store_record_outbox_bound(s, 5), len;
    uint8_t *out = aug_malloc(cap);
    CHECK_EQ_I64(store_record_outbox_encode(s, 5, out, cap, &len), AUG_OK);
    CHECK_EQ_I64(store_record_outbox_encode(s, 5, out, len - 1, &len), AUG_ETOOBIG);
    CHECK_EQ_I64(store_record_outbox_encode(s, 5, out, cap, &len), AUG_OK);
    static decoded d;
    CHECK_EQ_I64(decode_all((aug_bytes){out, len}, &d), AUG_OK);
    CHECK_EQ_I64(d.nseries, 5);
    CHECK_EQ_I64(d.nsamples, 1 + 2 + 3 + 1 + 2);
    for (size_t i = 0; i < 5; i++) {
        CHECK(d.keylen[i] == strlen(keys[i]) && memcmp(d.keys[i], keys[i], d.keylen[i]) == 0);
        CHECK_EQ_I64(d.ns[i], 1 + i % 3);
        for (size_t j = 0; j < d.ns[i]; j++) {
            CHECK_EQ_I64(d.smp[i][j].ts_ms, smp[i][j].ts_ms);
            CHECK(util_f64_bits(d.smp[i][j].value) == util_f64_bits(smp[i][j].value));
        }
    }
    aug_free(out);
}

static void test_encoder_refuses(void)
{
    store_outbox_sample smp = {1, 1};
    uint8_t out[256];
    size_t len;
    store_outbox_series ok = {cstr_bytes("a\xff" "b\xff"), &smp, 1};
    CHECK_EQ_I64(store_record_outbox_encode(&ok, 0, out, sizeof out, &len), AUG_EINVAL);
    store_outbox_series bad = ok;
    bad.nsamples = 0;
    CHECK_EQ_I64(store_record_outbox_encode(&bad, 1, out, sizeof out, &len), AUG_EINVAL);
    bad = ok;
    bad.key = cstr_bytes("b\xff" "1\xff" "a\xff" "2\xff"); /* not sorted */
    CHECK_EQ_I64(store_record_outbox_encode(&bad, 1, out, sizeof out, &len), AUG_EINVAL);
    bad.key = cstr_bytes("a\xff" "\xff"); /* empty value */
    CHECK_EQ_I64(store_record_outbox_encode(&bad, 1, out, sizeof out, &len), AUG_EINVAL);
    bad = ok;
    bad.samples = NULL;
    CHECK_EQ_I64(store_record_outbox_encode(&bad, 1, out, sizeof out, &len), AUG_EINVAL);
}

static aug_err decode_hex(const char *hex)
{
    uint8_t in[512];
    size_t n = unhex(hex, in);
    static decoded d;
    /* Exact-size heap copy: ASan sees any read past the end. */
    uint8_t *p = aug_malloc(n ? n : 1);
    memcpy(p, in, n);
    aug_err e = decode_all((aug_bytes){p, n}, &d);
    aug_free(p);
    return e;
}

static void test_decoder_refuses(void)
{
    uint8_t rec[256];
    size_t n = unhex(example_hex, rec);
    static decoded d;
    CHECK_EQ_I64(decode_all((aug_bytes){rec, n}, &d), AUG_OK);
    /* Every strict prefix is refused, and nothing reads past it. */
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *p = aug_malloc(cut ? cut : 1);
        memcpy(p, rec, cut);
        aug_err e = decode_all((aug_bytes){p, cut}, &d);
        if (e != AUG_ECORRUPT)
            fprintf(stderr, "  cut at %zu: %s\n", cut, aug_strerror(e));
        CHECK_EQ_I64(e, AUG_ECORRUPT);
        aug_free(p);
    }
    CHECK_EQ_I64(decode_all((aug_bytes){NULL, 0}, &d), AUG_ECORRUPT);
    /* Trailing byte. */
    rec[n] = 0;
    CHECK_EQ_I64(decode_all((aug_bytes){rec, n + 1}, &d), AUG_ECORRUPT);
    /* Unknown versions. */
    CHECK_EQ_I64(decode_hex("02 01 01 00 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"), AUG_EVERSION);
    CHECK_EQ_I64(decode_hex("00"), AUG_EVERSION);
    CHECK_EQ_I64(decode_hex("ff 01 01"), AUG_EVERSION);
    /* The minimal valid record, then one thing wrong at a time. */
    CHECK_EQ_I64(decode_hex("01 01 01 00 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"), AUG_OK);
    CHECK_EQ_I64(decode_hex("01 00 00 00 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"), AUG_ECORRUPT); /* 0 series */
    CHECK_EQ_I64(decode_hex("01 01 02 00 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"), AUG_ECORRUPT); /* total */
    CHECK_EQ_I64(decode_hex("01 01 01 01 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"), AUG_ECORRUPT); /* shared */
    CHECK_EQ_I64(decode_hex("01 01 01 00 04 61 ff ff ff 01 00 00 00 00 00 00 00 00 00"), AUG_ECORRUPT); /* key */
    CHECK_EQ_I64(decode_hex("01 01 01 00 04 61 ff 62 ff 00 00 00 00 00 00 00 00 00 00"), AUG_ECORRUPT); /* 0 smp */
    CHECK_EQ_I64(decode_hex("01 81 00 01 00 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"), AUG_ECORRUPT);
    CHECK_EQ_I64(decode_hex("01 01 01 00 84 00 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"), AUG_ECORRUPT);
    /* Two series; the second shares "a\xff" but says it shares less
     * (non-canonical front coding), or more than the previous key. */
    CHECK_EQ_I64(decode_hex("01 02 02 00 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"
                            " 02 02 63 ff 01 00 00 00 00 00 00 00 00 00"),
                 AUG_OK);
    CHECK_EQ_I64(decode_hex("01 02 02 00 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"
                            " 01 03 ff 63 ff 01 00 00 00 00 00 00 00 00 00"),
                 AUG_ECORRUPT);
    CHECK_EQ_I64(decode_hex("01 02 02 00 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"
                            " 05 00 01 00 00 00 00 00 00 00 00 00"),
                 AUG_ECORRUPT);
    /* Identical key twice (shared = all of it, empty suffix) is canonical. */
    CHECK_EQ_I64(decode_hex("01 02 02 00 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"
                            " 04 00 01 02 00 00 00 00 00 00 00 00"),
                 AUG_OK);
    /* Header counts larger than the bytes could hold. */
    CHECK_EQ_I64(decode_hex("01 ff ff ff ff 0f 01 00"), AUG_ECORRUPT);
    CHECK_EQ_I64(decode_hex("01 01 ff ff ff ff 0f 00 04 61 ff 62 ff 01 00 00 00 00 00 00 00 00 00"), AUG_ECORRUPT);
}

/* ---- store API ---- */

typedef struct walk {
    uint64_t seqs[64];
    size_t samples[64];
    size_t n;
    uint64_t first_ts[64];
    uint64_t stop_after; /* stop (AUG_EFULL) after this many records; 0 = never */
    aug_err rec_err;
} walk;

static aug_err walk_fn(void *arg, uint64_t seq, store_outbox_rec *rec)
{
    walk *w = arg;
    if (w->stop_after != 0 && w->n == w->stop_after)
        return AUG_EFULL;
    size_t ns = 0, nsmp = 0, seen = 0;
    aug_err e = store_outbox_rec_counts(rec, &ns, &nsmp);
    if (e != AUG_OK) {
        w->rec_err = e;
        w->seqs[w->n++] = seq;
        return AUG_OK;
    }
    store_outbox_series s;
    bool first = true;
    while ((e = store_outbox_rec_next(rec, &s)) == AUG_OK) {
        if (first)
            w->first_ts[w->n] = (uint64_t)s.samples[0].ts_ms;
        first = false;
        seen += s.nsamples;
    }
    if (e != AUG_ENOTFOUND || seen != nsmp)
        w->rec_err = e == AUG_ENOTFOUND ? AUG_EINVAL : e;
    w->seqs[w->n] = seq;
    w->samples[w->n++] = nsmp;
    return AUG_OK;
}

/* Appends a record of n series (keys "s\xff<i>\xff"), all at ts. */
static aug_err put_rec(store_txn *t, uint64_t target, uint64_t seq, size_t n, int64_t ts)
{
    static char keys[64][16];
    store_outbox_series s[64];
    store_outbox_sample smp[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(keys[i], sizeof keys[i], "s\xff%02zu\xff", i);
        smp[i] = (store_outbox_sample){ts, (double)i};
        s[i] = (store_outbox_series){cstr_bytes(keys[i]), &smp[i], 1};
    }
    return store_outbox_append(t, target, seq, s, n);
}

static void test_store_append_walk_delete(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    uint64_t A = store_outbox_target_id(S("a")), B = store_outbox_target_id(S("b"));
    store_txn *t = begin(s, true);
    for (uint64_t seq = 1; seq <= 10; seq++) {
        CHECK_EQ_I64(put_rec(t, A, seq, (size_t)seq, (int64_t)seq * 1000), AUG_OK);
        CHECK_EQ_I64(put_rec(t, B, seq * 2, 3, (int64_t)seq), AUG_OK); /* interleaved target */
    }
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);

    t = begin(s, true);
    CHECK_EQ_I64(put_rec(t, A, 10, 1, 0), AUG_EINVAL); /* not above the last */
    store_txn_abort(t);
    t = begin(s, true);
    CHECK_EQ_I64(put_rec(t, A, 3, 1, 0), AUG_EINVAL);
    CHECK_EQ_I64(put_rec(t, A, 11, 1, 0), AUG_EINVAL); /* the txn failed: sticky */
    store_txn_abort(t);
    t = begin(s, true);
    CHECK_EQ_I64(put_rec(t, A, 0, 1, 0), AUG_EINVAL);
    store_txn_abort(t);
    t = begin(s, true);
    CHECK_EQ_I64(put_rec(t, A, 11, 0, 0), AUG_EINVAL);
    store_txn_abort(t);

    t = begin(s, false);
    CHECK_EQ_I64(put_rec(t, A, 11, 1, 0), AUG_EINVAL); /* read txn */
    store_outbox_info info;
    CHECK_EQ_I64(store_outbox_info_get(t, A, &info), AUG_OK);
    CHECK(info.records == 10 && info.samples == 55 && info.first_seq == 1 && info.last_seq == 10 &&
          info.corrupt == 0 && info.bytes > 55 * 9);
    CHECK_EQ_I64(store_outbox_info_get(t, B, &info), AUG_OK);
    CHECK(info.records == 10 && info.samples == 30 && info.first_seq == 2 && info.last_seq == 20);
    CHECK_EQ_I64(store_outbox_info_get(t, store_outbox_target_id(S("c")), &info), AUG_OK);
    CHECK(info.records == 0 && info.samples == 0 && info.first_seq == 0);

    walk w = {0};
    CHECK_EQ_I64(store_outbox_foreach(t, A, 0, walk_fn, &w), AUG_OK);
    CHECK_EQ_I64(w.n, 10);
    CHECK_EQ_I64(w.rec_err, AUG_OK);
    for (size_t i = 0; i < w.n; i++) {
        CHECK_EQ_I64(w.seqs[i], i + 1);
        CHECK_EQ_I64(w.samples[i], i + 1);
        CHECK_EQ_I64(w.first_ts[i], (i + 1) * 1000);
    }
    w = (walk){.stop_after = 3};
    CHECK_EQ_I64(store_outbox_foreach(t, A, 5, walk_fn, &w), AUG_EFULL); /* fn's own stop value */
    CHECK(w.n == 3 && w.seqs[0] == 5 && w.seqs[2] == 7);
    w = (walk){0};
    CHECK_EQ_I64(store_outbox_foreach(t, B, 7, walk_fn, &w), AUG_OK);
    CHECK(w.n == 7 && w.seqs[0] == 8 && w.seqs[6] == 20);
    store_txn_abort(t);

    /* Acknowledge up to 4, twice (the second deletes nothing), in batches. */
    t = begin(s, true);
    store_outbox_info del;
    CHECK_EQ_I64(store_outbox_delete_upto(t, A, 4, 3, &del), AUG_OK);
    CHECK(del.records == 3 && del.samples == 6 && del.first_seq == 1 && del.last_seq == 3);
    CHECK_EQ_I64(store_outbox_delete_upto(t, A, 4, 0, &del), AUG_OK);
    CHECK(del.records == 1 && del.samples == 4 && del.first_seq == 4);
    CHECK_EQ_I64(store_outbox_delete_upto(t, A, 4, 0, &del), AUG_OK);
    CHECK(del.records == 0 && del.samples == 0);
    /* Queue limit: drop the oldest records holding at least 12 samples:
     * seq 5 (5) + 6 (6) = 11 < 12, + 7 (7) = 18. */
    CHECK_EQ_I64(store_outbox_drop_oldest(t, A, 12, &del), AUG_OK);
    CHECK(del.records == 3 && del.samples == 18 && del.first_seq == 5 && del.last_seq == 7);
    CHECK_EQ_I64(store_outbox_drop_oldest(t, A, 0, &del), AUG_OK);
    CHECK(del.records == 0);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);

    /* B untouched, A holds 8..10; durable across reopen. */
    store_close(s);
    s = open_at(tmp_dir, 0, 0);
    t = begin(s, false);
    CHECK_EQ_I64(store_outbox_info_get(t, A, &info), AUG_OK);
    CHECK(info.records == 3 && info.samples == 27 && info.first_seq == 8);
    CHECK_EQ_I64(store_outbox_info_get(t, B, &info), AUG_OK);
    CHECK(info.records == 10 && info.samples == 30);
    store_txn_abort(t);

    /* Appending continues above the last seq, also after deletes. */
    t = begin(s, true);
    CHECK_EQ_I64(put_rec(t, A, 11, 2, 5), AUG_OK);
    CHECK_EQ_I64(store_outbox_drop_oldest(t, A, UINT64_MAX, &del), AUG_OK); /* all */
    CHECK(del.records == 4 && del.samples == 29);
    CHECK_EQ_I64(put_rec(t, A, 3, 2, 5), AUG_OK); /* empty target: any seq > 0 */
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_close(s);
    tmp_remove();
}

typedef struct tlist {
    uint64_t ids[8];
    store_outbox_info info[8];
    size_t n;
} tlist;

static aug_err list_fn(void *arg, uint64_t target, const store_outbox_info *info)
{
    tlist *l = arg;
    if (l->n < 8) {
        l->ids[l->n] = target;
        l->info[l->n] = *info;
    }
    l->n++;
    return AUG_OK;
}

static aug_err stop_fn(void *arg, uint64_t target, const store_outbox_info *info)
{
    (void)target;
    (void)info;
    return ++*(int *)arg == 2 ? AUG_ESHUTDOWN : AUG_OK;
}

static void test_store_targets_and_garbage(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, false);
    tlist l = {0};
    CHECK_EQ_I64(store_outbox_targets(t, list_fn, &l), AUG_OK);
    CHECK_EQ_I64(l.n, 0);
    store_txn_abort(t);

    t = begin(s, true);
    CHECK_EQ_I64(put_rec(t, 7, 1, 2, 1), AUG_OK);
    CHECK_EQ_I64(put_rec(t, 7, 2, 3, 2), AUG_OK);
    CHECK_EQ_I64(put_rec(t, 3, 9, 1, 1), AUG_OK);
    CHECK_EQ_I64(put_rec(t, UINT64_MAX, 1, 4, 1), AUG_OK);
    /* Garbage in the middle of target 7: a foreign version and a short record. */
    uint8_t k[STORE_OUTBOX_KEY_LEN];
    store_record_outbox_key_encode(7, 3, k);
    CHECK_EQ_I64(raw_put(t, s->outbox, k, sizeof k, "\x02\x01\x01", 3), 0);
    store_record_outbox_key_encode(7, 4, k);
    CHECK_EQ_I64(raw_put(t, s->outbox, k, sizeof k, "\x01\x01", 2), 0);
    CHECK_EQ_I64(put_rec(t, 7, 5, 1, 3), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);

    t = begin(s, false);
    l = (tlist){0};
    CHECK_EQ_I64(store_outbox_targets(t, list_fn, &l), AUG_OK);
    CHECK_EQ_I64(l.n, 3);
    CHECK(l.ids[0] == 3 && l.info[0].records == 1 && l.info[0].samples == 1);
    CHECK(l.ids[1] == 7 && l.info[1].records == 5 && l.info[1].samples == 6 && l.info[1].corrupt == 2 &&
          l.info[1].first_seq == 1 && l.info[1].last_seq == 5);
    CHECK(l.ids[2] == UINT64_MAX && l.info[2].samples == 4);
    int calls = 0;
    CHECK_EQ_I64(store_outbox_targets(t, stop_fn, &calls), AUG_ESHUTDOWN);

    /* foreach still hands out the bad records, with their seq, so the
     * caller can drop them. */
    walk w = {0};
    CHECK_EQ_I64(store_outbox_foreach(t, 7, 0, walk_fn, &w), AUG_OK);
    CHECK_EQ_I64(w.n, 5);
    CHECK(w.seqs[2] == 3 && w.seqs[3] == 4 && w.seqs[4] == 5);
    CHECK(w.rec_err == AUG_ECORRUPT || w.rec_err == AUG_EVERSION);
    store_txn_abort(t);

    /* A bad key in the DBI is corruption, not a crash. */
    t = begin(s, true);
    CHECK_EQ_I64(raw_put(t, s->outbox, "\x00\x00\x00\x00\x00\x00\x00\x05x", 9, "\x01", 1), 0);
    l = (tlist){0};
    CHECK_EQ_I64(store_outbox_targets(t, list_fn, &l), AUG_ECORRUPT);
    store_txn_abort(t);

    t = begin(s, true);
    store_outbox_info del;
    CHECK_EQ_I64(store_outbox_delete_upto(t, 7, 4, 0, &del), AUG_OK);
    CHECK(del.records == 4 && del.corrupt == 2 && del.samples == 5);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_close(s);
    tmp_remove();
}

static void test_store_created_before_outbox(void)
{
    /* A store written before the outbox table existed: drop the table,
     * reopen, and the table is back (empty) instead of AUG_ECORRUPT. */
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    CHECK_EQ_I64(put_rec(t, 1, 1, 1, 1), AUG_OK);
    CHECK_EQ_I64(mdb_drop(t->txn, s->outbox, 1), 0);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_close(s);
    s = open_at(tmp_dir, 0, 0);
    t = begin(s, false);
    store_outbox_info info;
    CHECK_EQ_I64(store_outbox_info_get(t, 1, &info), AUG_OK);
    CHECK_EQ_I64(info.records, 0);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

static void test_store_big_record(void)
{
    /* A record larger than a page (overflow pages) with long front-coded
     * keys: what a 2000-series evaluation looks like. */
    enum { N = 2000 };
    store *s = open_at(tmp_new(), 0, 0);
    static char keys[N][96];
    static store_outbox_series ser[N];
    static store_outbox_sample smp[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "__name__\xff" "ai_requests_forecast\xff" "horizon\xff" "1h\xff"
                 "instance\xff" "10.0.%zu.%zu:9100\xff", i / 256, i % 256);
    }
    /* Keys must be canonical: instance values sort as strings, which the
     * zero-free formatting above does not guarantee; sort them. */
    for (size_t i = 1; i < N; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            char tmp[96];
            memcpy(tmp, keys[j], sizeof tmp);
            memcpy(keys[j], keys[j - 1], sizeof tmp);
            memcpy(keys[j - 1], tmp, sizeof tmp);
        }
    for (size_t i = 0; i < N; i++) {
        smp[i] = (store_outbox_sample){1700000000000 + (int64_t)i, (double)i * 0.25};
        ser[i] = (store_outbox_series){cstr_bytes(keys[i]), &smp[i], 1};
    }
    store_txn *t = begin(s, true);
    CHECK_EQ_I64(store_outbox_append(t, 42, 1, ser, N), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, false);
    store_outbox_info info;
    CHECK_EQ_I64(store_outbox_info_get(t, 42, &info), AUG_OK);
    CHECK_EQ_I64(info.samples, N);
    /* Front coding: well under the ~70-byte keys plus 9-byte samples. */
    CHECK(info.bytes < (uint64_t)N * 30);
    walk w = {0};
    CHECK_EQ_I64(store_outbox_foreach(t, 42, 0, walk_fn, &w), AUG_OK);
    CHECK(w.n == 1 && w.samples[0] == N && w.rec_err == AUG_OK);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

/* The fuzz seeds are what their names say: ok_* decode (and, being written
 * by an independent Python encoder, decode to what it meant), bad_* are
 * refused. OUTBOX_CORPUS is set by meson. */
static void test_corpus_names(void)
{
    const char *dir = getenv("OUTBOX_CORPUS");
    CHECK(dir != NULL);
    DIR *d = dir ? opendir(dir) : NULL;
    CHECK(d != NULL);
    if (d == NULL)
        return;
    struct dirent *ent;
    int files = 0;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (f == NULL)
            continue;
        uint8_t buf[4096];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        CHECK(n > 0);
        aug_err e;
        if (buf[0] % 2 == 0) {
            static decoded dd;
            e = decode_all((aug_bytes){buf + 1, n - 1}, &dd);
        } else {
            uint64_t tg, seq;
            e = store_record_outbox_key_decode((aug_bytes){buf + 1, n - 1}, &tg, &seq);
        }
        bool ok = strncmp(ent->d_name, "ok_", 3) == 0;
        if ((e == AUG_OK) != ok)
            fprintf(stderr, "  %s: %s\n", ent->d_name, aug_strerror(e));
        CHECK((e == AUG_OK) == ok);
        files++;
    }
    closedir(d);
    CHECK(files >= 5);
}

CHECK_MAIN(CHECK_CASE(test_worked_example), CHECK_CASE(test_round_trip_bits), CHECK_CASE(test_encoder_refuses),
           CHECK_CASE(test_decoder_refuses), CHECK_CASE(test_store_append_walk_delete),
           CHECK_CASE(test_store_targets_and_garbage), CHECK_CASE(test_store_created_before_outbox),
           CHECK_CASE(test_store_big_record), CHECK_CASE(test_corpus_names))
