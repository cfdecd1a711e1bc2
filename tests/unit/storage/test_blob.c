/* Unit tests for storage/blob.c on a real LMDB environment: the documented
 * byte example, round trips (empty and 1 MiB values), overwrite, delete,
 * prefix walks, version and corruption handling, sticky failure on a bad
 * key, and a store created before the blob table existed. */
#include "helpers.h"

static aug_bytes B(const char *s)
{
    return cstr_bytes(s);
}

static void test_documented_example(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    const uint8_t payload[] = {1, 2, 3};
    CHECK_EQ_I64(store_blob_put(t, B("fc/cpu\xff"), (aug_bytes){payload, 3}), AUG_OK);
    /* The raw record: version byte then the payload (blob.c header). */
    MDB_val k = store_val("fc/cpu\xff", 7), d;
    CHECK_EQ_I64(mdb_get(t->txn, s->blob, &k, &d), 0);
    CHECK(bytes_eq_hex(d.mv_data, d.mv_size, "01 01 02 03"));
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_close(s);
    tmp_remove();
}

static void test_round_trip_overwrite_delete(void)
{
    const char *dir = tmp_new();
    store *s = open_at(dir, 0, 0);
    size_t big = (size_t)1 << 20;
    uint8_t *v = aug_malloc(big);
    for (size_t i = 0; i < big; i++)
        v[i] = (uint8_t)(i * 7 + 3);
    store_txn *t = begin(s, true);
    CHECK_EQ_I64(store_blob_put(t, B("a"), (aug_bytes){v, big}), AUG_OK);
    CHECK_EQ_I64(store_blob_put(t, B("empty"), (aug_bytes){NULL, 0}), AUG_OK);
    CHECK_EQ_I64(store_blob_put(t, B("x"), B("first")), AUG_OK);
    CHECK_EQ_I64(store_blob_put(t, B("x"), B("second")), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_close(s);

    s = open_at(dir, 0, 0);
    t = begin(s, false);
    aug_bytes got;
    CHECK_EQ_I64(store_blob_get(t, B("a"), &got), AUG_OK);
    CHECK(got.len == big && memcmp(got.p, v, big) == 0);
    CHECK_EQ_I64(store_blob_get(t, B("empty"), &got), AUG_OK);
    CHECK_EQ_I64(got.len, 0);
    CHECK_EQ_I64(store_blob_get(t, B("x"), &got), AUG_OK);
    CHECK(got.len == 6 && memcmp(got.p, "second", 6) == 0);
    CHECK_EQ_I64(store_blob_get(t, B("missing"), &got), AUG_ENOTFOUND);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);

    t = begin(s, true);
    CHECK_EQ_I64(store_blob_delete(t, B("x")), AUG_OK);
    CHECK_EQ_I64(store_blob_delete(t, B("x")), AUG_ENOTFOUND); /* does not fail the txn */
    CHECK_EQ_I64(store_blob_get(t, B("x"), &got), AUG_ENOTFOUND);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, false);
    CHECK_EQ_I64(store_blob_get(t, B("x"), &got), AUG_ENOTFOUND);
    CHECK_EQ_I64(store_blob_get(t, B("a"), &got), AUG_OK);
    CHECK_EQ_I64(store_blob_delete(t, B("a")), AUG_EINVAL); /* read txn */
    store_txn_abort(t);
    aug_free(v);
    store_close(s);
    tmp_remove();
}

typedef struct walk {
    char keys[8][32];
    size_t n;
    aug_err stop_at; /* returned for the second key when set */
} walk;

static aug_err collect(void *arg, aug_bytes key, aug_bytes value)
{
    walk *w = arg;
    AUG_UNUSED(value);
    if (w->n == 1 && w->stop_at != AUG_OK)
        return w->stop_at;
    if (w->n < 8 && key.len < 32) {
        memcpy(w->keys[w->n], key.p, key.len);
        w->keys[w->n][key.len] = '\0';
    }
    w->n++;
    return AUG_OK;
}

static void test_foreach_prefix(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    const char *keys[] = {"fc/b\xff" "2", "fc/a\xff" "1", "fc/b\xff" "1", "fd", "fc", "zz"};
    for (size_t i = 0; i < AUG_ARRAY_LEN(keys); i++)
        CHECK_EQ_I64(store_blob_put(t, B(keys[i]), B("v")), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, false);
    walk w = {0};
    CHECK_EQ_I64(store_blob_foreach(t, B("fc/b\xff"), collect, &w), AUG_OK);
    CHECK_EQ_I64(w.n, 2);
    CHECK_STR(w.keys[0], "fc/b\xff" "1");
    CHECK_STR(w.keys[1], "fc/b\xff" "2");
    memset(&w, 0, sizeof w);
    CHECK_EQ_I64(store_blob_foreach(t, B("fc/"), collect, &w), AUG_OK);
    CHECK_EQ_I64(w.n, 3);
    CHECK_STR(w.keys[0], "fc/a\xff" "1");
    memset(&w, 0, sizeof w);
    CHECK_EQ_I64(store_blob_foreach(t, (aug_bytes){NULL, 0}, collect, &w), AUG_OK);
    CHECK_EQ_I64(w.n, 6);
    CHECK_STR(w.keys[0], "fc");
    CHECK_STR(w.keys[5], "zz");
    memset(&w, 0, sizeof w);
    CHECK_EQ_I64(store_blob_foreach(t, B("nothing"), collect, &w), AUG_OK);
    CHECK_EQ_I64(w.n, 0);
    memset(&w, 0, sizeof w);
    w.stop_at = AUG_ETOOBIG;
    CHECK_EQ_I64(store_blob_foreach(t, B("fc/"), collect, &w), AUG_ETOOBIG);
    CHECK_EQ_I64(w.n, 1);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

static void test_versions_and_corruption(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    const uint8_t v2[] = {0x02, 0xaa}, empty[1] = {0};
    CHECK_EQ_I64(raw_put(t, s->blob, "new", 3, v2, sizeof v2), 0);
    CHECK_EQ_I64(raw_put(t, s->blob, "bad", 3, empty, 0), 0);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, false);
    aug_bytes got;
    CHECK_EQ_I64(store_blob_get(t, B("new"), &got), AUG_EVERSION);
    CHECK_EQ_I64(store_blob_get(t, B("bad"), &got), AUG_ECORRUPT);
    walk w = {0};
    CHECK_EQ_I64(store_blob_foreach(t, B("new"), collect, &w), AUG_EVERSION);
    CHECK_EQ_I64(w.n, 0);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

static void test_bad_keys_fail_the_txn(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    char longkey[STORE_BLOB_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey);
    aug_bytes got;
    store_txn *t = begin(s, true);
    CHECK_EQ_I64(store_blob_get(t, (aug_bytes){(const uint8_t *)longkey, STORE_BLOB_KEY_MAX + 1}, &got),
                 AUG_EINVAL);
    CHECK_EQ_I64(store_blob_put(t, (aug_bytes){(const uint8_t *)longkey, STORE_BLOB_KEY_MAX}, B("ok")), AUG_OK);
    CHECK_EQ_I64(store_blob_put(t, (aug_bytes){(const uint8_t *)longkey, 0}, B("v")), AUG_EINVAL);
    /* sticky: everything after the failed put returns its error, commit refuses */
    CHECK_EQ_I64(store_blob_put(t, B("fine"), B("v")), AUG_EINVAL);
    CHECK_EQ_I64(store_txn_commit(t), AUG_EINVAL);
    t = begin(s, false);
    CHECK_EQ_I64(store_blob_get(t, B("fine"), &got), AUG_ENOTFOUND);
    CHECK_EQ_I64(store_blob_get(t, (aug_bytes){(const uint8_t *)longkey, STORE_BLOB_KEY_MAX}, &got),
                 AUG_ENOTFOUND); /* the whole txn was aborted */
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

/* A store written before the blob table existed (schema 1 without it) opens
 * and gets the table. */
static void test_store_without_blob_table(void)
{
    const char *dir = tmp_new();
    store *s = open_at(dir, 0, 0);
    store_txn *t = begin(s, true);
    CHECK_EQ_I64(store_blob_put(t, B("k"), B("v")), AUG_OK);
    CHECK_EQ_I64(mdb_drop(t->txn, s->blob, 1), 0); /* delete the table itself */
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_close(s);
    s = open_at(dir, 0, 0);
    if (s == NULL)
        return;
    t = begin(s, true);
    aug_bytes got;
    CHECK_EQ_I64(store_blob_get(t, B("k"), &got), AUG_ENOTFOUND);
    CHECK_EQ_I64(store_blob_put(t, B("k"), B("v2")), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_close(s);
    tmp_remove();
}

CHECK_MAIN(CHECK_CASE(test_documented_example), CHECK_CASE(test_round_trip_overwrite_delete),
           CHECK_CASE(test_foreach_prefix), CHECK_CASE(test_versions_and_corruption),
           CHECK_CASE(test_bad_keys_fail_the_txn), CHECK_CASE(test_store_without_blob_table))
