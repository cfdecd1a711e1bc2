/* pbc_ref.h — protobuf-c reference implementations of the WriteRequest
 * decoder and encoder, for tests only.
 *
 * They are the "obvious" implementation the hand-rolled code in
 * src/wire/write.c replaced: protobuf_c_message_unpack with an arena-backed
 * allocator, and protobuf_c_message_pack over structs built from the views.
 * Used (1) by the unit tests and the write_request fuzzer as a differential
 * oracle, and (2) by bench_wire to measure what the hand-rolled code buys.
 * Header-only (static functions) because the unit test, the fuzzer and the
 * bench each compile it into their own binary.
 */
#ifndef AUG_TESTS_PBC_REF_H
#define AUG_TESTS_PBC_REF_H

#include "util/common.h"
#include "util/mem.h"
#include "wire/wire_int.h"

#include <protobuf-c/protobuf-c.h>

#include "remote.pb-c.h"
#include "types.pb-c.h"
#include "pbw.h"

#define PBC_REF_UNUSED __attribute__((unused))

static void *pbc_ref_alloc(void *a, size_t n)
{
    return util_arena_alloc(a, n);
}

static void pbc_ref_free(void *a, void *p)
{
    (void)a;
    (void)p;
}

/* Same contract as wire_write_decode, except that a string with an embedded
 * NUL is silently cut there (protobuf-c's C strings) and error reasons for
 * bad protobuf are generic. */
PBC_REF_UNUSED static aug_err pbc_ref_write_decode(util_arena *a, aug_bytes body, const wire_limits *lim,
                                                   wire_write_req *out, aug_errbuf *eb)
{
    aug_bytes raw;
    aug_err err = wire_snappy_decode(a, body, lim->max_decoded_bytes, &raw, eb);
    if (err != AUG_OK)
        return err;
    ProtobufCAllocator al = {.alloc = pbc_ref_alloc, .free = pbc_ref_free, .allocator_data = a};
    Prometheus__WriteRequest *wr = prometheus__write_request__unpack(&al, raw.len, raw.p);
    if (wr == NULL)
        return util_arena_overflowed(a) ? AUG_ETOOBIG : aug_errf(eb, AUG_EMALFORMED, "protobuf-c: unpack failed");
    if (wr->n_timeseries > lim->max_series)
        return aug_errf(eb, AUG_ETOOBIG, "too many series");
    wire_series *ss = util_arena_alloc(a, (wr->n_timeseries + 1) * sizeof *ss);
    if (ss == NULL)
        return AUG_ETOOBIG;
    size_t total = 0;
    for (size_t i = 0; i < wr->n_timeseries; i++) {
        const Prometheus__TimeSeries *ts = wr->timeseries[i];
        if (ts->n_labels > lim->max_labels)
            return aug_errf(eb, AUG_ETOOBIG, "too many labels");
        if (ts->n_samples > lim->max_samples - total)
            return aug_errf(eb, AUG_ETOOBIG, "too many samples");
        total += ts->n_samples;
        aug_label *ls = util_arena_alloc(a, (ts->n_labels + 1) * sizeof *ls);
        aug_sample *sm = util_arena_alloc(a, (ts->n_samples + 1) * sizeof *sm);
        if (ls == NULL || sm == NULL)
            return AUG_ETOOBIG;
        for (size_t j = 0; j < ts->n_labels; j++) {
            ls[j].name = (aug_str){ts->labels[j]->name, strlen(ts->labels[j]->name)};
            ls[j].value = (aug_str){ts->labels[j]->value, strlen(ts->labels[j]->value)};
        }
        for (size_t j = 0; j < ts->n_samples; j++)
            sm[j] = (aug_sample){.ts_ms = ts->samples[j]->timestamp, .value = ts->samples[j]->value};
        ss[i] = (wire_series){.labels = ls, .nlabels = ts->n_labels, .samples = sm, .nsamples = ts->n_samples};
        if ((err = wire_series_finish(a, &ss[i], i, lim, false, eb)) != AUG_OK)
            return err;
    }
    *out = (wire_write_req){.series = wr->n_timeseries ? ss : NULL, .nseries = wr->n_timeseries,
                            .nsamples = total};
    return AUG_OK;
}

/* Packs series with protobuf-c (no snappy). Scratch structs and string
 * copies come from `a`; the result is allocated from `a` too. */
PBC_REF_UNUSED static aug_err pbc_ref_write_pack(util_arena *a, const wire_series *series, size_t n,
                                                 aug_bytes *out)
{
    Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
    Prometheus__TimeSeries *tss = util_arena_alloc(a, (n + 1) * sizeof *tss);
    Prometheus__TimeSeries **tsp = util_arena_alloc(a, (n + 1) * sizeof *tsp);
    if (tss == NULL || tsp == NULL)
        return AUG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const wire_series *s = &series[i];
        Prometheus__TimeSeries *ts = &tss[i];
        prometheus__time_series__init(ts);
        Prometheus__Label *ls = util_arena_alloc(a, (s->nlabels + 1) * sizeof *ls);
        Prometheus__Label **lp = util_arena_alloc(a, (s->nlabels + 1) * sizeof *lp);
        Prometheus__Sample *sm = util_arena_alloc(a, (s->nsamples + 1) * sizeof *sm);
        Prometheus__Sample **sp = util_arena_alloc(a, (s->nsamples + 1) * sizeof *sp);
        if (ls == NULL || lp == NULL || sm == NULL || sp == NULL)
            return AUG_ENOMEM;
        for (size_t j = 0; j < s->nlabels; j++) {
            prometheus__label__init(&ls[j]);
            ls[j].name = util_arena_strndup(a, s->labels[j].name.p, s->labels[j].name.len);
            ls[j].value = util_arena_strndup(a, s->labels[j].value.p, s->labels[j].value.len);
            if (ls[j].name == NULL || ls[j].value == NULL)
                return AUG_ENOMEM;
            lp[j] = &ls[j];
        }
        for (size_t j = 0; j < s->nsamples; j++) {
            prometheus__sample__init(&sm[j]);
            sm[j].value = s->samples[j].value;
            sm[j].timestamp = s->samples[j].ts_ms;
            sp[j] = &sm[j];
        }
        ts->n_labels = s->nlabels;
        ts->labels = lp;
        ts->n_samples = s->nsamples;
        ts->samples = sp;
        tsp[i] = ts;
    }
    wr.n_timeseries = n;
    wr.timeseries = tsp;
    size_t len = prometheus__write_request__get_packed_size(&wr);
    uint8_t *buf = util_arena_alloc(a, len + 1);
    if (buf == NULL)
        return AUG_ENOMEM;
    size_t got = prometheus__write_request__pack(&wr, buf);
    if (got != len)
        return AUG_EMALFORMED;
    *out = (aug_bytes){buf, len};
    return AUG_OK;
}

/* pbc_ref_write_pack then snappy: the protobuf-c equivalent of
 * wire_write_encode. Caller frees *out with aug_free. */
PBC_REF_UNUSED static aug_err pbc_ref_write_encode(const wire_series *series, size_t n, uint8_t **out,
                                                   size_t *outlen)
{
    util_arena *a = util_arena_new(SIZE_MAX);
    if (a == NULL)
        return AUG_ENOMEM;
    aug_bytes pb;
    aug_err err = pbc_ref_write_pack(a, series, n, &pb);
    if (err == AUG_OK)
        err = wire_snappy_encode(pb, out, outlen);
    util_arena_free(a);
    return err;
}

/* Copies a WriteRequest (already accepted by wire_write_decode) without
 * TimeSeries fields 3 (exemplars) and 4 (histograms): wire_write_decode skips
 * them unparsed while protobuf-c parses exemplars, so the two are compared
 * on the stripped request. */
PBC_REF_UNUSED static bool pbc_ref_strip_exemplars(const uint8_t *p, size_t n, pbw *out)
{
    if (n == 0)
        return true; /* p may be NULL */
    const uint8_t *end = p + n;
    while (p < end) {
        uint64_t tag, len;
        if (pb_get_varint(&p, end, &tag) != PB_OK)
            return false;
        if (tag != PB_TAG(1, PB_LEN)) { /* skip other top-level fields */
            unsigned wt = (unsigned)(tag & 7);
            uint64_t v;
            if (wt == PB_VARINT && pb_get_varint(&p, end, &v) != PB_OK)
                return false;
            if (wt == PB_I64)
                p += 8;
            if (wt == PB_I32)
                p += 4;
            if (wt == PB_LEN) {
                if (pb_get_varint(&p, end, &v) != PB_OK)
                    return false;
                p += v;
            }
            continue;
        }
        if (pb_get_varint(&p, end, &len) != PB_OK)
            return false;
        const uint8_t *q = p, *qe = p + len;
        pbw ts = {0};
        while (q < qe) {
            const uint8_t *fs = q;
            uint64_t t, v = 0;
            if (pb_get_varint(&q, qe, &t) != PB_OK)
                return false;
            unsigned wt = (unsigned)(t & 7);
            if (wt == PB_VARINT && pb_get_varint(&q, qe, &v) != PB_OK)
                return false;
            if (wt == PB_I64)
                q += 8;
            if (wt == PB_I32)
                q += 4;
            if (wt == PB_LEN) {
                if (pb_get_varint(&q, qe, &v) != PB_OK)
                    return false;
                q += v;
            }
            if ((t >> 3) != 3 && (t >> 3) != 4)
                pbw_raw(&ts, fs, (size_t)(q - fs));
        }
        pbw_msg(out, 1, &ts);
        p = qe;
    }
    return true;
}

/* True when a field at any level of a WriteRequest (request, TimeSeries,
 * Label, Sample) has a tag, or a LEN field a length prefix, longer than 5
 * bytes. protobuf-c 1.4 refuses both (parse_tag_and_wiretype and
 * scan_length_prefixed_data read at most 5 bytes) while the protobuf spec,
 * Go's (and gogoproto's) decoder and wire/ accept any varint up to 10
 * bytes, e.g. a tag written as e8 80 80 80 80 00, so such inputs cannot be
 * compared with the oracle. */
PBC_REF_UNUSED static bool pbc_ref_has_long_prefix(const uint8_t *p, size_t n, int depth)
{
    const uint8_t *end = p + n;
    while (p < end) {
        const uint8_t *tp = p;
        uint64_t tag, v;
        if (pb_get_varint(&p, end, &tag) != PB_OK)
            return false;
        if (p - tp > 5)
            return true;
        unsigned wt = (unsigned)(tag & 7);
        if (wt == PB_VARINT) {
            if (pb_get_varint(&p, end, &v) != PB_OK)
                return false;
        } else if (wt == PB_I64 || wt == PB_I32) {
            size_t k = wt == PB_I64 ? 8 : 4;
            if ((size_t)(end - p) < k)
                return false;
            p += k;
        } else if (wt == PB_LEN) {
            const uint8_t *lp = p;
            if (pb_get_varint(&p, end, &v) != PB_OK || v > (uint64_t)(end - p))
                return false;
            if (p - lp > 5)
                return true;
            if (depth < 2 && pbc_ref_has_long_prefix(p, (size_t)v, depth + 1))
                return true;
            p += v;
        } else {
            return false;
        }
    }
    return false;
}

/* True when two decoded requests have the same series (keys, hashes, label
 * counts) and the same samples, bit for bit. */
PBC_REF_UNUSED static bool pbc_ref_same_req(const wire_write_req *x, const wire_write_req *y)
{
    if (x->nseries != y->nseries || x->nsamples != y->nsamples)
        return false;
    for (size_t i = 0; i < x->nseries; i++) {
        const wire_series *a = &x->series[i], *b = &y->series[i];
        if (a->key.len != b->key.len || memcmp(a->key.p, b->key.p, a->key.len) != 0 || a->hash.lo != b->hash.lo ||
            a->hash.hi != b->hash.hi || a->nlabels != b->nlabels || a->nsamples != b->nsamples)
            return false;
        for (size_t j = 0; j < a->nsamples; j++) {
            uint64_t u, v;
            memcpy(&u, &a->samples[j].value, 8);
            memcpy(&v, &b->samples[j].value, 8);
            if (a->samples[j].ts_ms != b->samples[j].ts_ms || u != v)
                return false;
        }
    }
    return true;
}

#endif
