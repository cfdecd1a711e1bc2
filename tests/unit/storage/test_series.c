/* Unit tests for storage/series.c: the series dictionary and the label
 * postings on real LMDB, including long label values (overlong posting
 * keys), postings spanning many pages, and stored garbage. */
#include "helpers.h"

typedef struct collected {
    char values[64][64];
    uint32_t ids[64][64];
    size_t nids[64];
    size_t n;
} collected;

static aug_err collect(void *arg, aug_str value, const uint32_t *ids, size_t n)
{
    collected *c = arg;
    if (c->n >= 64 || n > 64)
        return AUG_ETOOBIG;
    snprintf(c->values[c->n], sizeof c->values[0], "%.*s", (int)AUG_MIN(value.len, 60), value.p);
    memcpy(c->ids[c->n], ids, n * sizeof *ids);
    c->nids[c->n] = n;
    c->n++;
    return AUG_OK;
}

static aug_err stop_at_second(void *arg, aug_str value, const uint32_t *ids, size_t n)
{
    (void)value;
    (void)ids;
    (void)n;
    return ++*(int *)arg == 2 ? AUG_ESHUTDOWN : AUG_OK;
}

static void test_dictionary_and_postings(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    const char *keys[] = {
        "__name__\xffup\xffinstance\xff" "a\xffjob\xffnode\xff",
        "__name__\xffup\xffinstance\xff" "b\xffjob\xffnode\xff",
        "__name__\xffup\xffinstance\xff" "c\xffjob\xffweb\xff",
        "__name__\xffhttp_requests_total\xffjob\xffweb\xff",
    };
    for (uint32_t i = 0; i < 4; i++)
        CHECK_EQ_I64(store_series_put(t, i + 1, cstr_bytes(keys[i])), AUG_OK);
    /* Replaying a put is a no-op; reusing an id for another key is refused. */
    CHECK_EQ_I64(store_series_put(t, 2, cstr_bytes(keys[1])), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, true);
    CHECK_EQ_I64(store_series_put(t, 2, cstr_bytes(keys[0])), AUG_EINVAL);
    store_txn_abort(t);

    t = begin(s, false);
    aug_bytes k;
    CHECK_EQ_I64(store_series_get(t, 3, &k), AUG_OK);
    CHECK(k.len == strlen(keys[2]) && memcmp(k.p, keys[2], k.len) == 0);
    CHECK_EQ_I64(store_series_get(t, 9, &k), AUG_ENOTFOUND);

    uint32_t ids[8];
    size_t n;
    CHECK_EQ_I64(store_postings_get(t, S("job"), S("node"), ids, 8, &n), AUG_OK);
    CHECK(n == 2 && ids[0] == 1 && ids[1] == 2);
    CHECK_EQ_I64(store_postings_get(t, S("__name__"), S("up"), ids, 8, &n), AUG_OK);
    CHECK(n == 3 && ids[0] == 1 && ids[1] == 2 && ids[2] == 3);
    CHECK_EQ_I64(store_postings_get(t, S("instance"), S("c"), ids, 8, &n), AUG_OK);
    CHECK(n == 1 && ids[0] == 3); /* single dup: stored inline by LMDB */
    CHECK_EQ_I64(store_postings_get(t, S("job"), S("nod"), ids, 8, &n), AUG_OK);
    CHECK_EQ_I64(n, 0);
    CHECK_EQ_I64(store_postings_get(t, S("jo"), S("node"), ids, 8, &n), AUG_OK);
    CHECK_EQ_I64(n, 0);
    CHECK_EQ_I64(store_postings_get(t, S(""), S("node"), ids, 8, &n), AUG_OK);
    CHECK_EQ_I64(n, 0);
    /* Too small an array: ETOOBIG and the count needed. */
    CHECK_EQ_I64(store_postings_get(t, S("__name__"), S("up"), ids, 2, &n), AUG_ETOOBIG);
    CHECK_EQ_I64(n, 3);

    collected c = {0};
    CHECK_EQ_I64(store_postings_values(t, S("job"), collect, &c), AUG_OK);
    CHECK_EQ_I64(c.n, 2);
    CHECK_STR(c.values[0], "node");
    CHECK(c.nids[0] == 2 && c.ids[0][0] == 1 && c.ids[0][1] == 2);
    CHECK_STR(c.values[1], "web");
    CHECK(c.nids[1] == 2 && c.ids[1][0] == 3 && c.ids[1][1] == 4);
    c = (collected){0};
    CHECK_EQ_I64(store_postings_values(t, S("__name__"), collect, &c), AUG_OK);
    CHECK(c.n == 2 && strcmp(c.values[0], "http_requests_total") == 0 && strcmp(c.values[1], "up") == 0);
    c = (collected){0};
    CHECK_EQ_I64(store_postings_values(t, S("instanc"), collect, &c), AUG_OK); /* a prefix of a name */
    CHECK_EQ_I64(c.n, 0);
    int calls = 0;
    CHECK_EQ_I64(store_postings_values(t, S("instance"), stop_at_second, &calls), AUG_ESHUTDOWN);
    CHECK_EQ_I64(calls, 2);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

static aug_err count_series(void *arg, uint32_t id, aug_bytes key)
{
    uint32_t *last = arg;
    if (id <= *last || !store_labels_valid(key))
        return AUG_EINVAL;
    *last = id;
    return AUG_OK;
}

static void test_foreach_and_many_ids(void)
{
    /* 5000 series under one job: the posting spans several dup pages, so
     * lookups go through MDB_GET_MULTIPLE + MDB_NEXT_MULTIPLE. */
    enum { N = 5000 };
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    char key[128];
    for (uint32_t id = 1; id <= N; id++) {
        int len = snprintf(key, sizeof key, "__name__\xffm\xffi\xff%05u\xffjob\xff%s\xff", id, id % 2 ? "odd" : "even");
        CHECK_EQ_I64(store_series_put(t, id, (aug_bytes){(const uint8_t *)key, (size_t)len}), AUG_OK);
    }
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, false);
    static uint32_t ids[N];
    size_t n;
    CHECK_EQ_I64(store_postings_get(t, S("__name__"), S("m"), ids, N, &n), AUG_OK);
    CHECK_EQ_I64(n, N);
    bool ascending = true;
    for (size_t i = 0; i < n; i++)
        ascending &= ids[i] == i + 1;
    CHECK(ascending);
    CHECK_EQ_I64(store_postings_get(t, S("job"), S("odd"), ids, N, &n), AUG_OK);
    CHECK(n == N / 2 && ids[0] == 1 && ids[n - 1] == N - 1);
    uint32_t last = 0;
    CHECK_EQ_I64(store_series_foreach(t, count_series, &last), AUG_OK);
    CHECK_EQ_I64(last, N);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

static void test_long_label_values(void)
{
    /* Three values of 2000 bytes sharing the first 1500 bytes, so they share
     * one overlong posting key; a short value of the same label too. */
    store *s = open_at(tmp_new(), 0, 0);
    static char v[3][2001];
    static uint8_t key[3][2100];
    size_t klen[3];
    for (int i = 0; i < 3; i++) {
        memset(v[i], 'u', 2000);
        v[i][1990] = (char)('a' + (2 - i)); /* values sort c, b, a by id 1, 2, 3 */
        v[i][2000] = '\0';
        klen[i] = (size_t)snprintf((char *)key[i], sizeof key[i], "__name__\xffm\xffurl\xff%s\xff", v[i]);
    }
    store_txn *t = begin(s, true);
    for (uint32_t i = 0; i < 3; i++)
        CHECK_EQ_I64(store_series_put(t, i + 1, (aug_bytes){key[i], klen[i]}), AUG_OK);
    /* id 4 repeats the value of id 2 */
    CHECK_EQ_I64(store_series_put(t, 4, cstr_bytes("__name__\xffn\xffurl\xff")), AUG_EINVAL); /* empty value */
    store_txn_abort(t);
    t = begin(s, true);
    for (uint32_t i = 0; i < 3; i++)
        CHECK_EQ_I64(store_series_put(t, i + 1, (aug_bytes){key[i], klen[i]}), AUG_OK);
    static uint8_t k4[2100];
    size_t k4len = (size_t)snprintf((char *)k4, sizeof k4, "__name__\xffn\xffurl\xff%s\xff", v[1]);
    CHECK_EQ_I64(store_series_put(t, 4, (aug_bytes){k4, k4len}), AUG_OK);
    CHECK_EQ_I64(store_series_put(t, 5, cstr_bytes("__name__\xffn\xffurl\xffshort\xff")), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);

    t = begin(s, false);
    uint32_t ids[8];
    size_t n;
    CHECK_EQ_I64(store_postings_get(t, S("url"), (aug_str){v[1], 2000}, ids, 8, &n), AUG_OK);
    CHECK(n == 2 && ids[0] == 2 && ids[1] == 4);
    CHECK_EQ_I64(store_postings_get(t, S("url"), (aug_str){v[0], 2000}, ids, 8, &n), AUG_OK);
    CHECK(n == 1 && ids[0] == 1);
    CHECK_EQ_I64(store_postings_get(t, S("url"), (aug_str){v[0], 1999}, ids, 8, &n), AUG_OK);
    CHECK_EQ_I64(n, 0);
    CHECK_EQ_I64(store_postings_get(t, S("url"), (aug_str){v[1], 2000}, ids, 1, &n), AUG_ETOOBIG);
    CHECK_EQ_I64(n, 2);
    collected c = {0};
    CHECK_EQ_I64(store_postings_values(t, S("url"), collect, &c), AUG_OK);
    CHECK_EQ_I64(c.n, 4);
    /* "short" sorts before the overlong key (a prefix of 'u's); inside it the
     * values come in byte order: ...a (id 3), ...b (ids 2, 4), ...c (id 1). */
    CHECK_STR(c.values[0], "short");
    CHECK(c.nids[0] == 1 && c.ids[0][0] == 5);
    CHECK(c.nids[1] == 1 && c.ids[1][0] == 3);
    CHECK(c.nids[2] == 2 && c.ids[2][0] == 2 && c.ids[2][1] == 4);
    CHECK(c.nids[3] == 1 && c.ids[3][0] == 1);
    store_txn_abort(t);

    /* A label name past the limit is refused with ETOOBIG. */
    static char longname[400];
    memset(longname, 'n', 300);
    int len = snprintf((char *)k4, sizeof k4, "__name__\xffm\xff%.300s\xffv\xff", longname);
    t = begin(s, true);
    CHECK_EQ_I64(store_series_put(t, 9, (aug_bytes){k4, (size_t)len}), AUG_ETOOBIG);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

static aug_err nested_values(void *arg, aug_str value, const uint32_t *ids, size_t n)
{
    (void)value;
    (void)ids;
    (void)n;
    collected c = {0};
    return store_postings_values(arg, S("job"), collect, &c);
}

static void test_garbage_and_versions(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    CHECK_EQ_I64(store_series_put(t, 1, cstr_bytes("__name__\xffup\xffjob\xffnode\xff")), AUG_OK);
    uint8_t id2[4], id3[4];
    store_key_u32_encode(2, id2);
    store_key_u32_encode(3, id3);
    CHECK_EQ_I64(raw_put(t, s->series, id2, 4, "\x02" "a\xff" "b\xff", 5), 0); /* version 2 */
    CHECK_EQ_I64(raw_put(t, s->series, id3, 4, "\x01" "a\xff" "b", 4), 0);     /* truncated */
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, false);
    aug_bytes k;
    CHECK_EQ_I64(store_series_get(t, 2, &k), AUG_EVERSION);
    CHECK_EQ_I64(store_series_get(t, 3, &k), AUG_ECORRUPT);
    uint32_t last = 0;
    CHECK_EQ_I64(store_series_foreach(t, count_series, &last), AUG_EVERSION); /* stops at id 2 */
    CHECK_EQ_I64(last, 1);
    /* Calling postings_values from its own callback would clobber the ids
     * array: refused. */
    CHECK_EQ_I64(store_postings_values(t, S("job"), nested_values, t), AUG_EINVAL);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

CHECK_MAIN(CHECK_CASE(test_dictionary_and_postings), CHECK_CASE(test_foreach_and_many_ids),
           CHECK_CASE(test_long_label_values), CHECK_CASE(test_garbage_and_versions))
