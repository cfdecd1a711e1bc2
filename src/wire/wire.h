/* wire.h — remote-write / remote-read bytes ⇄ augur views (src/wire/).
 *
 * Pure: no I/O, no clock, no logging. Every decoder takes explicit limits,
 * allocates only from the caller's request arena (util_arena), and reports
 * bad input as AUG_EMALFORMED (never decodable), AUG_ETOOBIG (over a limit:
 * HTTP 413) with a one-line reason in the caller's aug_errbuf naming the field
 * or byte offset. Nothing here asserts on input.
 *
 * Snappy: remote-write 1.0 and remote-read use the snappy *block* format
 * (not framed). The uncompressed length declared in the block header is
 * checked against limits.max_decoded_bytes before anything is allocated.
 *
 * Lifetimes: every pointer in a decoded view is borrowed from the arena (or
 * from the input bytes, which must outlive the arena's use) and valid until
 * util_arena_free. Encoders return bytes the caller frees with aug_free.
 *
 * Threads: all functions are reentrant.
 */
#ifndef AUG_WIRE_WIRE_H
#define AUG_WIRE_WIRE_H

#include "util/arena.h"
#include "util/common.h"
#include "util/err.h"
#include "util/hash.h"

typedef struct aug_label {
    aug_str name;
    aug_str value;
} aug_label;

typedef struct aug_sample {
    int64_t ts_ms;
    double value;   /* bit pattern as received (staleness NaN preserved) */
} aug_sample;

/* One time series of a decoded WriteRequest, validated. */
typedef struct wire_series {
    const aug_label *labels;   /* sorted by name, unique, non-empty, UTF-8 */
    size_t nlabels;
    aug_bytes key;             /* canonical label key (see storage/store.h) */
    util_hash128 hash;         /* util_hash128_of(key) */
    const aug_sample *samples; /* as received (order not checked here) */
    size_t nsamples;
} wire_series;

typedef struct wire_write_req {
    wire_series *series;
    size_t nseries;
    size_t nsamples;           /* total over all series */
} wire_write_req;

typedef struct wire_limits {
    size_t max_decoded_bytes;   /* snappy declared/decoded size cap (default 32 MiB) */
    size_t max_series;          /* time series per request */
    size_t max_labels;          /* labels per series */
    size_t max_label_bytes;     /* bytes of one label name or value */
    size_t max_samples;         /* samples per request */
} wire_limits;

/* Default limits: 32 MiB decoded, 1,000,000 series, 128 labels, 16 KiB per
 * label name/value, 10,000,000 samples. */
wire_limits wire_limits_default(void);

/* Decompresses a snappy block into the arena. */
aug_err wire_snappy_decode(util_arena *a, aug_bytes in, size_t max_decoded, aug_bytes *out, aug_errbuf *eb);
/* Compresses into a buffer the caller frees with aug_free. */
aug_err wire_snappy_encode(aug_bytes in, uint8_t **out, size_t *outlen);

/* Decodes a snappy-compressed prometheus.WriteRequest and validates every
 * label set: a __name__ label whose value matches [a-zA-Z_:][a-zA-Z0-9_:]*,
 * label names matching [a-zA-Z_][a-zA-Z0-9_]*, sorted by name (byte order),
 * no duplicate names, no empty name or value, values valid UTF-8. A
 * violation → AUG_EMALFORMED with the series index and label in eb. */
aug_err wire_write_decode(util_arena *a, aug_bytes body, const wire_limits *lim, wire_write_req *out,
                          aug_errbuf *eb);

/* Encodes a WriteRequest (protobuf then snappy) from series views; labels must
 * already be sorted. Used by export/, rwload and tests. Caller frees *out
 * with aug_free. */
aug_err wire_write_encode(const wire_series *series, size_t nseries, uint8_t **out, size_t *outlen);

/* ---- remote read ---- */

typedef enum wire_match_type {
    WIRE_MATCH_EQ = 0,
    WIRE_MATCH_NEQ = 1,
    WIRE_MATCH_RE = 2,
    WIRE_MATCH_NRE = 3,
} wire_match_type;

typedef struct wire_matcher {
    wire_match_type type;
    aug_str name;
    aug_str value;
} wire_matcher;

typedef struct wire_query {
    int64_t start_ms, end_ms;
    const wire_matcher *matchers;
    size_t nmatchers;
    int64_t step_ms;            /* from hints; 0 when absent */
    bool has_hints;
} wire_query;

typedef struct wire_read_req {
    const wire_query *queries;
    size_t nqueries;
    bool accepts_samples;       /* SAMPLES in accepted_response_types, or list empty */
} wire_read_req;

/* Decodes a snappy-compressed prometheus.ReadRequest. */
aug_err wire_read_decode(util_arena *a, aug_bytes body, const wire_limits *lim, wire_read_req *out,
                         aug_errbuf *eb);

/* Builder for a SAMPLES ReadResponse: one result per query, series appended
 * in order. All memory comes from the arena; max_bytes caps the encoded
 * protobuf size (AUG_ETOOBIG past it). */
typedef struct wire_read_resp wire_read_resp;
aug_err wire_read_resp_new(util_arena *a, size_t nqueries, size_t max_bytes, wire_read_resp **out);
/* Adds a series to result `query`; labels and samples are copied. */
aug_err wire_read_resp_add(wire_read_resp *r, size_t query, const aug_label *labels, size_t nlabels,
                           const aug_sample *samples, size_t nsamples);
/* Serializes and snappy-compresses into the arena. */
aug_err wire_read_resp_finish(wire_read_resp *r, aug_bytes *out);

#endif
