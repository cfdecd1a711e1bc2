/* fuzz_read_request — wire_read_decode on arbitrary protobuf, then the
 * ReadResponse builder on what it decoded.
 *
 * Input: the *uncompressed* ReadRequest protobuf; the harness compresses it
 * with libsnappy first (fuzz_snappy covers snappy itself).
 * Checks, beyond "no crash, no leak, no over-read" (ASan/UBSan):
 *  - every failure is AUG_EMALFORMED or AUG_ETOOBIG with a reason;
 *  - an accepted request satisfies the contract (matcher types 0..3,
 *    non-empty names, start <= end, step >= 0);
 *  - a response with one series per query, labelled by the query's
 *    matchers, is built under a small max_bytes; when it fits, protobuf-c
 *    unpacks it to exactly one result per query with the right sizes.
 * Small arena (1 MiB cap, 64 KiB decoded). */
#include "util/common.h"
#include "util/arena.h"
#include "util/mem.h"
#include "wire/wire.h"

#include <protobuf-c/protobuf-c.h>
#include <snappy-c.h>

#include "../unit/wire/pbw.h"
#include "remote.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void respond(util_arena *a, const wire_read_req *r)
{
    wire_read_resp *rb;
    if (wire_read_resp_new(a, r->nqueries, (size_t)16 << 10, &rb) != AUG_OK)
        return; /* too many queries for 16 KiB: fine */
    aug_sample smp[3] = {{r->nqueries ? r->queries[0].start_ms : 0, 1.5}, {-1, -0.0}, {INT64_MAX, 1e300}};
    bool fits = true;
    for (size_t q = 0; q < r->nqueries && fits; q++) {
        const wire_query *wq = &r->queries[q];
        aug_label ls[16];
        size_t n = AUG_MIN(wq->nmatchers, AUG_ARRAY_LEN(ls));
        for (size_t i = 0; i < n; i++)
            ls[i] = (aug_label){wq->matchers[i].name, wq->matchers[i].value};
        aug_err err = wire_read_resp_add(rb, q, ls, n, smp, 3);
        if (err != AUG_OK && err != AUG_ETOOBIG)
            __builtin_trap();
        fits = err == AUG_OK;
    }
    aug_bytes body;
    aug_err err = wire_read_resp_finish(rb, &body);
    if (!fits) {
        if (err != AUG_ETOOBIG) /* sticky */
            __builtin_trap();
        return;
    }
    if (err != AUG_OK)
        return; /* arena cap */
    size_t n = 0;
    if (snappy_uncompressed_length((const char *)body.p, body.len, &n) != SNAPPY_OK ||
        n != wire_read_resp_bytes(rb))
        __builtin_trap();
    char *pb = aug_malloc(n + 1);
    if (snappy_uncompress((const char *)body.p, body.len, pb, &n) != SNAPPY_OK)
        __builtin_trap();
    Prometheus__ReadResponse *rr = prometheus__read_response__unpack(NULL, n, (const uint8_t *)pb);
    if (rr == NULL || rr->n_results != r->nqueries)
        __builtin_trap();
    for (size_t q = 0; q < rr->n_results; q++)
        if (rr->results[q]->n_timeseries != 1 || rr->results[q]->timeseries[0]->n_samples != 3)
            __builtin_trap();
    prometheus__read_response__free_unpacked(rr, NULL);
    aug_free(pb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pbw raw = {0}, z;
    pbw_raw(&raw, data, size);
    pbw_snappy(&raw, &z);
    wire_limits lim = wire_limits_default();
    lim.max_decoded_bytes = (size_t)64 << 10;
    util_arena *a = util_arena_new((size_t)1 << 20);
    wire_read_req r;
    aug_errbuf eb = {{0}};
    aug_err err = wire_read_decode(a, (aug_bytes){z.p, z.len}, &lim, &r, &eb);
    if (err != AUG_OK && ((err != AUG_EMALFORMED && err != AUG_ETOOBIG) || eb.msg[0] == '\0'))
        __builtin_trap();
    if (err == AUG_OK) {
        for (size_t q = 0; q < r.nqueries; q++) {
            const wire_query *wq = &r.queries[q];
            if (wq->start_ms > wq->end_ms || wq->step_ms < 0 || (wq->step_ms != 0 && !wq->has_hints))
                __builtin_trap();
            for (size_t i = 0; i < wq->nmatchers; i++)
                if ((unsigned)wq->matchers[i].type > WIRE_MATCH_NRE || wq->matchers[i].name.len == 0)
                    __builtin_trap();
        }
        respond(a, &r);
    }
    util_arena_free(a);
    pbw_free(&raw);
    pbw_free(&z);
    return 0;
}
