/* read.c — remote-read: ReadRequest decoding (protobuf-c) and the SAMPLES
 * ReadResponse builder (direct writer).
 *
 * Messages (prompb, proto3; field number / wire type):
 *   ReadRequest  { 1 queries: LEN (Query), repeated;
 *                  2 accepted_response_types: enum, repeated (packed or not) }
 *   Query        { 1 start_timestamp_ms: int64; 2 end_timestamp_ms: int64;
 *                  3 matchers: LEN (LabelMatcher), repeated; 4 hints: LEN }
 *   LabelMatcher { 1 type: enum EQ=0 NEQ=1 RE=2 NRE=3; 2 name; 3 value }
 *   ReadHints    { 1 step_ms: int64; ... (func, grouping: not used) }
 *   ReadResponse { 1 results: LEN (QueryResult), repeated, one per query }
 *   QueryResult  { 1 timeseries: LEN (TimeSeries), repeated }
 *
 * Decoding uses protobuf_c_message_unpack with an allocator backed by the
 * request arena (its free is a no-op; the arena frees everything at once).
 * Read requests are small and rare next to writes, and protobuf-c handles
 * packed and unpacked enums and the nested hints for us. One protobuf-c
 * limitation is accepted: strings become NUL-terminated C strings, so a
 * matcher value with an embedded NUL is cut at it; stored label values never
 * contain NUL (wire_write_decode refuses it), so such a matcher cannot match
 * more than the same matcher without the NUL tail would.
 *
 * Response builder invariants:
 *  1. r->total is always the exact encoded size of the ReadResponse as it
 *     would be serialized now: Σ over queries of 1 + varint(len) + len,
 *     where len is the QueryResult payload (an empty result still takes its
 *     two bytes 0a 00, so results stay aligned with queries).
 *  2. r->total ≤ r->max_bytes: an add that would pass it fails with
 *     AUG_ETOOBIG before anything is copied.
 *  3. Each added series is encoded at once into its own arena chunk
 *     (tag, length, TimeSeries body) and appended to its query's list, so
 *     finish only concatenates: memory is the chunks plus one output copy,
 *     plus the compressed result.
 *  4. Failure is sticky: after an add fails (AUG_ETOOBIG/AUG_ENOMEM), every
 *     later add and finish return that error.
 *
 * Builder states and transitions:
 *   BUILDING --add ok-----------------------> BUILDING  (wire_read_resp_add)
 *   BUILDING --add fails (ETOOBIG, ENOMEM)--> FAILED    (wire_read_resp_add)
 *   BUILDING --finish ok--------------------> FINISHED  (wire_read_resp_finish)
 *   BUILDING --finish fails-----------------> FAILED    (wire_read_resp_finish)
 *   FAILED   --add / finish-----------------> FAILED, returning the first error
 *   FINISHED --finish-----------------------> FINISHED, the same bytes again
 *   FINISHED --add--------------------------> FINISHED, AUG_EINVAL
 * (add with query >= nqueries returns AUG_EINVAL in BUILDING and stays.)
 */
#include "util/common.h"
#include "util/assert.h"
#include "wire/wire_int.h"

#include <protobuf-c/protobuf-c.h>
#include <snappy-c.h>

#include "remote.pb-c.h"
#include "types.pb-c.h"

/* ---- ReadRequest ---- */

typedef struct pbc_arena {
    util_arena *a;
    bool failed;
} pbc_arena;

static void *pbc_alloc(void *data, size_t n)
{
    pbc_arena *pa = data;
    void *p = util_arena_alloc(pa->a, n);
    if (p == NULL)
        pa->failed = true;
    return p;
}

static void pbc_free(void *data, void *p)
{
    AUG_UNUSED(data);
    AUG_UNUSED(p);
}

static aug_err check_str(aug_errbuf *eb, size_t qi, size_t mi, const char *what, aug_str s,
                         const wire_limits *lim)
{
    if (s.len > lim->max_label_bytes)
        return aug_errf(eb, AUG_ETOOBIG, "query %zu: matcher %zu: %s is %zu bytes, limit %zu", qi, mi, what, s.len,
                        lim->max_label_bytes);
    size_t bad = wire_utf8_check((const uint8_t *)s.p, s.len, true);
    if (bad != s.len)
        return aug_errf(eb, AUG_EMALFORMED, "query %zu: matcher %zu: %s is not valid UTF-8 (byte %zu)", qi, mi,
                        what, bad);
    return AUG_OK;
}

static aug_err convert_query(util_arena *a, const Prometheus__Query *pq, size_t qi, const wire_limits *lim,
                             wire_query *q, aug_errbuf *eb)
{
    if (pq->n_matchers > lim->max_labels)
        return aug_errf(eb, AUG_ETOOBIG, "query %zu: %zu matchers, limit %zu", qi, pq->n_matchers,
                        lim->max_labels);
    if (pq->start_timestamp_ms > pq->end_timestamp_ms)
        return aug_errf(eb, AUG_EMALFORMED, "query %zu: start %" PRId64 " after end %" PRId64, qi,
                        pq->start_timestamp_ms, pq->end_timestamp_ms);
    wire_matcher *ms = NULL;
    if (pq->n_matchers > 0) {
        ms = util_arena_alloc(a, pq->n_matchers * sizeof *ms);
        if (ms == NULL)
            return wire_arena_fail(a, eb, "read request");
    }
    for (size_t i = 0; i < pq->n_matchers; i++) {
        const Prometheus__LabelMatcher *pm = pq->matchers[i];
        int t = (int)pm->type;
        if (t < WIRE_MATCH_EQ || t > WIRE_MATCH_NRE)
            return aug_errf(eb, AUG_EMALFORMED, "query %zu: matcher %zu: unknown type %d", qi, i, t);
        aug_str name = {pm->name, strlen(pm->name)};
        aug_str value = {pm->value, strlen(pm->value)};
        if (name.len == 0)
            return aug_errf(eb, AUG_EMALFORMED, "query %zu: matcher %zu: empty label name", qi, i);
        aug_err err = check_str(eb, qi, i, "name", name, lim);
        if (err == AUG_OK)
            err = check_str(eb, qi, i, "value", value, lim);
        if (err != AUG_OK)
            return err;
        ms[i] = (wire_matcher){.type = (wire_match_type)t, .name = name, .value = value};
    }
    *q = (wire_query){
        .start_ms = pq->start_timestamp_ms,
        .end_ms = pq->end_timestamp_ms,
        .matchers = ms,
        .nmatchers = pq->n_matchers,
        .step_ms = pq->hints != NULL ? pq->hints->step_ms : 0,
        .has_hints = pq->hints != NULL,
    };
    if (q->step_ms < 0)
        return aug_errf(eb, AUG_EMALFORMED, "query %zu: negative step_ms %" PRId64, qi, q->step_ms);
    return AUG_OK;
}

aug_err wire_read_decode(util_arena *a, aug_bytes body, const wire_limits *lim, wire_read_req *out,
                         aug_errbuf *eb)
{
    aug_bytes raw;
    aug_err err = wire_snappy_decode(a, body, lim->max_decoded_bytes, &raw, eb);
    if (err != AUG_OK)
        return err;
    pbc_arena pa = {.a = a};
    ProtobufCAllocator al = {.alloc = pbc_alloc, .free = pbc_free, .allocator_data = &pa};
    Prometheus__ReadRequest *rr = prometheus__read_request__unpack(&al, raw.len, raw.p);
    if (rr == NULL) {
        if (pa.failed)
            return wire_arena_fail(a, eb, "read request");
        return aug_errf(eb, AUG_EMALFORMED, "protobuf: ReadRequest does not parse (%zu bytes)", raw.len);
    }
    if (rr->n_queries > lim->max_queries)
        return aug_errf(eb, AUG_ETOOBIG, "read request has %zu queries, limit %zu", rr->n_queries,
                        lim->max_queries);
    wire_query *qs = NULL;
    if (rr->n_queries > 0) {
        qs = util_arena_alloc(a, rr->n_queries * sizeof *qs);
        if (qs == NULL)
            return wire_arena_fail(a, eb, "read request");
    }
    for (size_t i = 0; i < rr->n_queries; i++)
        if ((err = convert_query(a, rr->queries[i], i, lim, &qs[i], eb)) != AUG_OK)
            return err;
    bool samples = rr->n_accepted_response_types == 0;
    for (size_t i = 0; i < rr->n_accepted_response_types; i++)
        samples |= rr->accepted_response_types[i] == PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__SAMPLES;
    *out = (wire_read_req){.queries = qs, .nqueries = rr->n_queries, .accepts_samples = samples};
    return AUG_OK;
}

/* ---- ReadResponse builder ---- */

typedef struct chunk {
    struct chunk *next;
    size_t len;
    uint8_t data[];
} chunk;

typedef struct result {
    chunk *head;
    chunk **tail;
    size_t len; /* QueryResult payload bytes */
} result;

typedef enum resp_state { BUILDING, FAILED, FINISHED } resp_state;

struct wire_read_resp {
    util_arena *a;
    result *results;
    size_t nqueries;
    size_t max_bytes;
    size_t total;     /* invariant 1 */
    resp_state state;
    aug_err err;      /* FAILED: the first error (invariant 4) */
    aug_bytes out;    /* FINISHED: the compressed response */
};

static aug_err fail(wire_read_resp *r, aug_err err)
{
    r->state = FAILED;
    r->err = err;
    return err;
}

aug_err wire_read_resp_new(util_arena *a, size_t nqueries, size_t max_bytes, wire_read_resp **out)
{
    if (nqueries > SIZE_MAX / 2 / sizeof(result))
        return AUG_ETOOBIG;
    if (2 * nqueries > max_bytes)
        return AUG_ETOOBIG;
    wire_read_resp *r = util_arena_alloc(a, sizeof *r);
    result *res = util_arena_alloc(a, (nqueries ? nqueries : 1) * sizeof *res);
    if (r == NULL || res == NULL)
        return util_arena_overflowed(a) ? AUG_ETOOBIG : AUG_ENOMEM;
    for (size_t i = 0; i < nqueries; i++)
        res[i] = (result){.head = NULL, .tail = &res[i].head, .len = 0};
    *r = (wire_read_resp){.a = a, .results = res, .nqueries = nqueries, .max_bytes = max_bytes,
                          .total = 2 * nqueries, .state = BUILDING, .err = AUG_OK};
    *out = r;
    return AUG_OK;
}

aug_err wire_read_resp_add(wire_read_resp *r, size_t query, const aug_label *labels, size_t nlabels,
                           const aug_sample *samples, size_t nsamples)
{
    if (r->state == FAILED)
        return r->err;
    if (r->state == FINISHED || query >= r->nqueries)
        return AUG_EINVAL;
    result *res = &r->results[query];
    size_t body = wire_series_size(labels, nlabels, samples, nsamples);
    size_t field = pb_len_field_size(body);
    size_t newlen = res->len + field;
    size_t newtotal = r->total - pb_len_field_size(res->len) + pb_len_field_size(newlen);
    if (newtotal > r->max_bytes || newlen < res->len)
        return fail(r, AUG_ETOOBIG);
    chunk *c = util_arena_alloc(r->a, sizeof *c + field);
    if (c == NULL)
        return fail(r, util_arena_overflowed(r->a) ? AUG_ETOOBIG : AUG_ENOMEM);
    uint8_t *o = c->data;
    *o++ = PB_TAG(1, PB_LEN);
    o = pb_put_varint(o, body);
    o = wire_series_put(o, labels, nlabels, samples, nsamples);
    AUG_ASSERT((size_t)(o - c->data) == field);
    c->len = field;
    c->next = NULL;
    *res->tail = c;
    res->tail = &c->next;
    res->len = newlen;
    r->total = newtotal;
    return AUG_OK;
}

size_t wire_read_resp_bytes(const wire_read_resp *r)
{
    return r->total;
}

aug_err wire_read_resp_finish(wire_read_resp *r, aug_bytes *out)
{
    if (r->state == FAILED)
        return r->err;
    if (r->state == FINISHED) {
        *out = r->out;
        return AUG_OK;
    }
    uint8_t *buf = util_arena_alloc(r->a, r->total ? r->total : 1);
    size_t cap = snappy_max_compressed_length(r->total);
    uint8_t *z = buf != NULL ? util_arena_alloc(r->a, cap) : NULL;
    if (z == NULL)
        return fail(r, util_arena_overflowed(r->a) ? AUG_ETOOBIG : AUG_ENOMEM);
    uint8_t *o = buf;
    for (size_t i = 0; i < r->nqueries; i++) {
        *o++ = PB_TAG(1, PB_LEN);
        o = pb_put_varint(o, r->results[i].len);
        for (const chunk *c = r->results[i].head; c != NULL; c = c->next) {
            memcpy(o, c->data, c->len);
            o += c->len;
        }
    }
    AUG_ASSERT((size_t)(o - buf) == r->total);
    size_t zlen = cap;
    if (snappy_compress((const char *)buf, r->total, (char *)z, &zlen) != SNAPPY_OK)
        return fail(r, AUG_ENOMEM); /* cannot happen with cap = max_compressed_length */
    r->out = (aug_bytes){z, zlen};
    r->state = FINISHED;
    *out = r->out;
    return AUG_OK;
}
