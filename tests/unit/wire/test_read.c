/* Unit tests for src/wire/read.c: ReadRequest decoding of protobuf-c-packed
 * and hand-made bytes (packed and unpacked enums), its errors and limits;
 * the ReadResponse builder checked by unpacking its output with protobuf-c. */
#include "util/common.h"
#include "util/arena.h"
#include "util/mem.h"
#include "wire/wire.h"

#include <protobuf-c/protobuf-c.h>
#include <snappy-c.h>

#include "../check.h"
#include "pbw.h"
#include "remote.pb-c.h"
#include "types.pb-c.h"

static uint64_t bits_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static bool str_eq(aug_str a, const char *b)
{
    return a.len == strlen(b) && memcmp(a.p, b, a.len) == 0;
}

/* Packs rr with protobuf-c and snappy-compresses it (caller aug_frees). */
static uint8_t *pack_req(const Prometheus__ReadRequest *rr, size_t *len)
{
    size_t n = prometheus__read_request__get_packed_size(rr);
    uint8_t *pb = aug_malloc(n + 1), *z;
    prometheus__read_request__pack(rr, pb);
    CHECK_EQ_I64(wire_snappy_encode((aug_bytes){pb, n}, &z, len), AUG_OK);
    aug_free(pb);
    return z;
}

static aug_err decode(const uint8_t *p, size_t n, const wire_limits *lim, util_arena **a, wire_read_req *out,
                      aug_errbuf *eb)
{
    *a = util_arena_new((size_t)16 << 20);
    eb->msg[0] = '\0';
    return wire_read_decode(*a, (aug_bytes){p, n}, lim, out, eb);
}

static void expect(aug_err got, aug_err want, const aug_errbuf *eb, const char *frag, int line)
{
    if (got != want || strstr(eb->msg, frag) == NULL) {
        fprintf(stderr, "line %d: want %s with \"%s\", got %s: \"%s\"\n", line, aug_strerror(want), frag,
                aug_strerror(got), eb->msg);
        check_failed_in_test = 1;
    }
}
#define EXPECT(got, want, eb, frag) expect((got), (want), (eb), (frag), __LINE__)

/* A request like Prometheus sends: two queries, all four matcher types. */
typedef struct req_fixture {
    Prometheus__LabelMatcher m[5];
    Prometheus__LabelMatcher *mp[5];
    Prometheus__ReadHints hints;
    Prometheus__Query q[2];
    Prometheus__Query *qp[2];
    Prometheus__ReadRequest__ResponseType types[2];
    Prometheus__ReadRequest rr;
} req_fixture;

static void fixture(req_fixture *f)
{
    static const struct {
        int type;
        const char *name, *value;
    } ms[5] = {{0, "__name__", "http_requests_total"}, {1, "job", "batch"}, {2, "instance", "web-.*"},
               {3, "code", "5.."}, {0, "rollup", ""}};
    for (int i = 0; i < 5; i++) {
        prometheus__label_matcher__init(&f->m[i]);
        f->m[i].type = (Prometheus__LabelMatcher__Type)ms[i].type;
        f->m[i].name = (char *)(uintptr_t)ms[i].name;
        f->m[i].value = (char *)(uintptr_t)ms[i].value;
        f->mp[i] = &f->m[i];
    }
    prometheus__read_hints__init(&f->hints);
    f->hints.step_ms = 60000;
    f->hints.start_ms = 1000;
    f->hints.func = (char *)(uintptr_t)"rate";
    for (int i = 0; i < 2; i++) {
        prometheus__query__init(&f->q[i]);
        f->qp[i] = &f->q[i];
    }
    f->q[0].start_timestamp_ms = 1700000000000;
    f->q[0].end_timestamp_ms = 1700003600000;
    f->q[0].n_matchers = 4;
    f->q[0].matchers = f->mp;
    f->q[0].hints = &f->hints;
    f->q[1].start_timestamp_ms = -5000;
    f->q[1].end_timestamp_ms = -5000;
    f->q[1].n_matchers = 1;
    f->q[1].matchers = f->mp + 4;
    prometheus__read_request__init(&f->rr);
    f->rr.n_queries = 2;
    f->rr.queries = f->qp;
}

static void test_decode_protobuf_c_packed(void)
{
    req_fixture f;
    fixture(&f);
    size_t len;
    uint8_t *body = pack_req(&f.rr, &len);
    wire_limits lim = wire_limits_default();
    util_arena *a;
    wire_read_req r;
    aug_errbuf eb;
    CHECK_EQ_I64(decode(body, len, &lim, &a, &r, &eb), AUG_OK);
    CHECK_EQ_I64(r.nqueries, 2);
    CHECK(r.accepts_samples); /* empty list */
    const wire_query *q = &r.queries[0];
    CHECK_EQ_I64(q->start_ms, 1700000000000);
    CHECK_EQ_I64(q->end_ms, 1700003600000);
    CHECK(q->has_hints);
    CHECK_EQ_I64(q->step_ms, 60000);
    CHECK_EQ_I64(q->nmatchers, 4);
    static const wire_match_type types[] = {WIRE_MATCH_EQ, WIRE_MATCH_NEQ, WIRE_MATCH_RE, WIRE_MATCH_NRE};
    for (size_t i = 0; i < 4 && i < q->nmatchers; i++) {
        CHECK_EQ_I64(q->matchers[i].type, types[i]);
        CHECK(str_eq(q->matchers[i].name, f.m[i].name));
        CHECK(str_eq(q->matchers[i].value, f.m[i].value));
    }
    q = &r.queries[1];
    CHECK(!q->has_hints);
    CHECK_EQ_I64(q->step_ms, 0);
    CHECK_EQ_I64(q->start_ms, -5000);
    CHECK_EQ_I64(q->nmatchers, 1);
    CHECK(str_eq(q->matchers[0].value, "")); /* empty EQ value: "label absent" */
    util_arena_free(a);
    aug_free(body);

    /* accepted_response_types: chunks only → no samples; both → samples. */
    f.types[0] = PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__STREAMED_XOR_CHUNKS;
    f.types[1] = PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__SAMPLES;
    f.rr.accepted_response_types = f.types;
    f.rr.n_accepted_response_types = 1;
    body = pack_req(&f.rr, &len);
    CHECK_EQ_I64(decode(body, len, &lim, &a, &r, &eb), AUG_OK);
    CHECK(!r.accepts_samples);
    util_arena_free(a);
    aug_free(body);
    f.rr.n_accepted_response_types = 2;
    body = pack_req(&f.rr, &len);
    CHECK_EQ_I64(decode(body, len, &lim, &a, &r, &eb), AUG_OK);
    CHECK(r.accepts_samples);
    util_arena_free(a);
    aug_free(body);
}

/* The same enum list written packed and unpacked: both are valid protobuf. */
static void test_decode_packed_and_unpacked_enums(void)
{
    for (int packed = 0; packed < 2; packed++) {
        pbw pb = {0}, q = {0}, z;
        pbw_tag(&q, 1, 0);
        pbw_varint(&q, 10);
        pbw_tag(&q, 2, 0);
        pbw_varint(&q, 20);
        pbw_msg(&pb, 1, &q);
        if (packed) {
            static const uint8_t list[] = {0x01, 0x00};
            pbw_bytes(&pb, 2, list, 2);
        } else {
            pbw_tag(&pb, 2, 0);
            pbw_varint(&pb, 1);
            pbw_tag(&pb, 2, 0);
            pbw_varint(&pb, 0);
        }
        pbw_snappy(&pb, &z);
        wire_limits lim = wire_limits_default();
        util_arena *a;
        wire_read_req r;
        aug_errbuf eb;
        CHECK_EQ_I64(decode(z.p, z.len, &lim, &a, &r, &eb), AUG_OK);
        CHECK_EQ_I64(r.nqueries, 1);
        CHECK(r.accepts_samples);
        CHECK_EQ_I64(r.queries[0].start_ms, 10);
        CHECK_EQ_I64(r.queries[0].end_ms, 20);
        CHECK_EQ_I64(r.queries[0].nmatchers, 0);
        CHECK(!r.queries[0].has_hints);
        util_arena_free(a);
        pbw_free(&pb);
        pbw_free(&z);
    }
}

static void test_decode_errors_and_limits(void)
{
    wire_limits lim = wire_limits_default();
    util_arena *a;
    wire_read_req r;
    aug_errbuf eb;
    req_fixture f;
    size_t len;
    uint8_t *body;

#define RUN_FIXTURE(lim_, want, frag) \
    do { \
        body = pack_req(&f.rr, &len); \
        EXPECT(decode(body, len, &(lim_), &a, &r, &eb), want, &eb, frag); \
        util_arena_free(a); \
        aug_free(body); \
    } while (0)

    fixture(&f);
    f.m[2].type = (Prometheus__LabelMatcher__Type)7;
    RUN_FIXTURE(lim, AUG_EMALFORMED, "query 0: matcher 2: unknown type 7");

    fixture(&f);
    f.m[1].name = (char *)(uintptr_t)"";
    RUN_FIXTURE(lim, AUG_EMALFORMED, "query 0: matcher 1: empty label name");

    fixture(&f);
    f.m[3].value = (char *)(uintptr_t)"\xc0\xaf";
    RUN_FIXTURE(lim, AUG_EMALFORMED, "query 0: matcher 3: value is not valid UTF-8 (byte 0)");

    fixture(&f);
    f.m[0].name = (char *)(uintptr_t)"na\xed\xa0\x80";
    RUN_FIXTURE(lim, AUG_EMALFORMED, "query 0: matcher 0: name is not valid UTF-8 (byte 2)");

    fixture(&f);
    f.q[1].start_timestamp_ms = 10;
    f.q[1].end_timestamp_ms = 9;
    RUN_FIXTURE(lim, AUG_EMALFORMED, "query 1: start 10 after end 9");

    fixture(&f);
    f.hints.step_ms = -1;
    RUN_FIXTURE(lim, AUG_EMALFORMED, "query 0: negative step_ms -1");

    wire_limits l2 = lim;
    fixture(&f);
    l2.max_queries = 1;
    RUN_FIXTURE(l2, AUG_ETOOBIG, "read request has 2 queries, limit 1");
    l2 = lim;
    l2.max_labels = 3;
    RUN_FIXTURE(l2, AUG_ETOOBIG, "query 0: 4 matchers, limit 3");
    l2 = lim;
    l2.max_label_bytes = 18; /* "http_requests_total" is 19 */
    RUN_FIXTURE(l2, AUG_ETOOBIG, "query 0: matcher 0: value is 19 bytes, limit 18");
    l2 = lim;
    l2.max_decoded_bytes = 10;
    RUN_FIXTURE(l2, AUG_ETOOBIG, "snappy: declared decoded length");

    /* Exactly at the limits. */
    l2 = lim;
    l2.max_queries = 2;
    l2.max_labels = 4;
    l2.max_label_bytes = 19;
    RUN_FIXTURE(l2, AUG_OK, "");

    /* The arena cap while protobuf-c allocates: ETOOBIG. */
    fixture(&f);
    body = pack_req(&f.rr, &len);
    a = util_arena_new(300);
    EXPECT(wire_read_decode(a, (aug_bytes){body, len}, &lim, &r, &eb), AUG_ETOOBIG, &eb,
           "request arena cap reached");
    util_arena_free(a);
    aug_free(body);
#undef RUN_FIXTURE

    /* Bytes that are not protobuf, and a group. */
    static const uint8_t junk[] = {0xff, 0xff, 0xff};
    static const uint8_t group[] = {0x0b};
    static const uint8_t cut[] = {0x0a, 0x05, 0x08};
    const uint8_t *bad[] = {junk, group, cut};
    size_t badlen[] = {sizeof junk, sizeof group, sizeof cut};
    for (size_t i = 0; i < 3; i++) {
        pbw pb = {0}, z;
        pbw_raw(&pb, bad[i], badlen[i]);
        pbw_snappy(&pb, &z);
        EXPECT(decode(z.p, z.len, &lim, &a, &r, &eb), AUG_EMALFORMED, &eb, "protobuf: ReadRequest does not parse");
        util_arena_free(a);
        pbw_free(&pb);
        pbw_free(&z);
    }
    static const uint8_t not_snappy[] = {0x05, 0x00};
    EXPECT(decode(not_snappy, sizeof not_snappy, &lim, &a, &r, &eb), AUG_EMALFORMED, &eb, "snappy:");
    util_arena_free(a);
}

/* ---- response builder ---- */

static Prometheus__ReadResponse *unpack_resp(aug_bytes body, size_t *pblen)
{
    size_t n = 0;
    CHECK(snappy_uncompressed_length((const char *)body.p, body.len, &n) == SNAPPY_OK);
    char *pb = aug_malloc(n + 1);
    CHECK(snappy_uncompress((const char *)body.p, body.len, pb, &n) == SNAPPY_OK);
    Prometheus__ReadResponse *r = prometheus__read_response__unpack(NULL, n, (const uint8_t *)pb);
    aug_free(pb);
    *pblen = n;
    return r;
}

static void test_response_roundtrip(void)
{
    util_arena *a = util_arena_new((size_t)16 << 20);
    wire_read_resp *r;
    CHECK_EQ_I64(wire_read_resp_new(a, 3, (size_t)1 << 20, &r), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_bytes(r), 6); /* three empty results */
    aug_label l0[] = {{{"__name__", 8}, {"cpu", 3}}, {{"rollup", 6}, {"avg", 3}}};
    aug_label l1[] = {{{"__name__", 8}, {"ai_cpu_forecast_path", 20}}, {{"job", 3}, {"n\xc3\xa9", 3}}};
    aug_sample s0[] = {{1700000000000, 0.5}, {1700000060000, 0.75}};
    double stale, negzero = -0.0;
    uint64_t sb = 0x7ff0000000000002ULL;
    memcpy(&stale, &sb, sizeof stale);
    aug_sample s1[300];
    for (size_t i = 0; i < 300; i++)
        s1[i] = (aug_sample){.ts_ms = (int64_t)i * 60000 - 1000, .value = (double)i * 1.5};
    s1[7].value = stale;
    CHECK_EQ_I64(wire_read_resp_add(r, 0, l0, 2, s0, 2), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_add(r, 2, l1, 2, s1, 300), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_add(r, 2, l0, 2, s0, 1), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_add(r, 3, l0, 2, s0, 1), AUG_EINVAL); /* not sticky */
    aug_sample nz = {5, negzero};
    CHECK_EQ_I64(wire_read_resp_add(r, 0, l0, 1, &nz, 1), AUG_OK);
    size_t predicted = wire_read_resp_bytes(r);
    aug_bytes body;
    CHECK_EQ_I64(wire_read_resp_finish(r, &body), AUG_OK);

    aug_bytes again;
    CHECK_EQ_I64(wire_read_resp_finish(r, &again), AUG_OK); /* FINISHED: same bytes */
    CHECK(again.p == body.p && again.len == body.len);
    CHECK_EQ_I64(wire_read_resp_add(r, 0, l0, 2, s0, 2), AUG_EINVAL);
    size_t pblen;
    Prometheus__ReadResponse *rr = unpack_resp(body, &pblen);
    CHECK(rr != NULL);
    CHECK_EQ_I64(pblen, predicted);
    if (rr != NULL) {
        CHECK_EQ_I64(rr->n_results, 3);
        CHECK_EQ_I64(rr->results[0]->n_timeseries, 2);
        CHECK_EQ_I64(rr->results[1]->n_timeseries, 0);
        CHECK_EQ_I64(rr->results[2]->n_timeseries, 2);
        const Prometheus__TimeSeries *ts = rr->results[2]->timeseries[0];
        CHECK_EQ_I64(ts->n_labels, 2);
        CHECK_STR(ts->labels[0]->name, "__name__");
        CHECK_STR(ts->labels[0]->value, "ai_cpu_forecast_path");
        CHECK_STR(ts->labels[1]->value, "n\xc3\xa9");
        CHECK_EQ_I64(ts->n_samples, 300);
        for (size_t i = 0; i < 300 && i < ts->n_samples; i++) {
            CHECK_EQ_I64(ts->samples[i]->timestamp, s1[i].ts_ms);
            CHECK(bits_of(ts->samples[i]->value) == bits_of(s1[i].value));
        }
        ts = rr->results[0]->timeseries[0];
        CHECK_STR(ts->labels[1]->name, "rollup");
        CHECK_EQ_I64(ts->samples[1]->timestamp, 1700000060000);
        CHECK(ts->samples[1]->value == 0.75);
        ts = rr->results[0]->timeseries[1];
        CHECK_EQ_I64(ts->n_labels, 1);
        CHECK(bits_of(ts->samples[0]->value) == 0x8000000000000000ULL); /* -0.0 kept */
        /* Our size accounting agrees with protobuf-c's packer, except that
         * protobuf-c drops -0.0 (9 bytes) where we keep its bits. */
        CHECK_EQ_I64(prometheus__read_response__get_packed_size(rr) + 9, predicted);
        prometheus__read_response__free_unpacked(rr, NULL);
    }
    util_arena_free(a);
}

static void test_response_limits(void)
{
    aug_label l[] = {{{"__name__", 8}, {"x", 1}}};
    aug_sample s[] = {{1, 1.0}};
    /* Measure one series, then allow exactly two. */
    util_arena *a = util_arena_new((size_t)1 << 20);
    wire_read_resp *r;
    CHECK_EQ_I64(wire_read_resp_new(a, 1, 1000, &r), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_add(r, 0, l, 1, s, 1), AUG_OK);
    size_t one = wire_read_resp_bytes(r) - 2;
    util_arena_free(a);

    a = util_arena_new((size_t)1 << 20);
    CHECK_EQ_I64(wire_read_resp_new(a, 1, 2 + 2 * one, &r), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_add(r, 0, l, 1, s, 1), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_add(r, 0, l, 1, s, 1), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_bytes(r), 2 + 2 * one);
    CHECK_EQ_I64(wire_read_resp_add(r, 0, l, 1, s, 1), AUG_ETOOBIG);
    CHECK_EQ_I64(wire_read_resp_bytes(r), 2 + 2 * one); /* nothing half-added */
    CHECK_EQ_I64(wire_read_resp_add(r, 0, l, 0, NULL, 0), AUG_ETOOBIG); /* sticky */
    aug_bytes body;
    CHECK_EQ_I64(wire_read_resp_finish(r, &body), AUG_ETOOBIG);
    util_arena_free(a);

    /* Even the empty response must fit. */
    a = util_arena_new((size_t)1 << 20);
    CHECK_EQ_I64(wire_read_resp_new(a, 3, 5, &r), AUG_ETOOBIG);
    CHECK_EQ_I64(wire_read_resp_new(a, 3, 6, &r), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_finish(r, &body), AUG_OK);
    size_t pblen;
    Prometheus__ReadResponse *rr = unpack_resp(body, &pblen);
    CHECK(rr != NULL && rr->n_results == 3);
    if (rr != NULL)
        prometheus__read_response__free_unpacked(rr, NULL);
    /* No queries: an empty message. */
    CHECK_EQ_I64(wire_read_resp_new(a, 0, 0, &r), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_finish(r, &body), AUG_OK);
    CHECK(body.len == 1 && body.p[0] == 0);
    util_arena_free(a);

    /* The arena cap turns into a sticky ETOOBIG too. */
    aug_sample many[2000];
    for (size_t i = 0; i < 2000; i++)
        many[i] = (aug_sample){(int64_t)i, 1.0};
    a = util_arena_new(20000);
    CHECK_EQ_I64(wire_read_resp_new(a, 1, (size_t)1 << 30, &r), AUG_OK);
    CHECK_EQ_I64(wire_read_resp_add(r, 0, l, 1, many, 2000), AUG_ETOOBIG);
    CHECK_EQ_I64(wire_read_resp_finish(r, &body), AUG_ETOOBIG);
    util_arena_free(a);
}

CHECK_MAIN(CHECK_CASE(test_decode_protobuf_c_packed), CHECK_CASE(test_decode_packed_and_unpacked_enums),
           CHECK_CASE(test_decode_errors_and_limits), CHECK_CASE(test_response_roundtrip),
           CHECK_CASE(test_response_limits))
