/* wire.h — remote-write / remote-read bytes ⇄ augur views (src/wire/).
 *
 * Pure: no I/O, no clock, no logging. Every decoder takes explicit limits,
 * allocates only from the caller's request arena (util_arena), and reports
 * bad input as AUG_EMALFORMED (never decodable), AUG_ETOOBIG (over a limit:
 * HTTP 413) with a one-line reason in the caller's aug_errbuf naming the field
 * or byte offset. Nothing here asserts on input. On failure the out-parameter
 * is left untouched; what was allocated stays in the arena until it is freed.
 *
 * Snappy: remote-write 1.0 and remote-read use the snappy *block* format
 * (not framed). The uncompressed length declared in the block header is
 * checked against limits.max_decoded_bytes before anything is allocated.
 *
 * Lifetimes: every pointer in a decoded view is borrowed from the arena and
 * valid until util_arena_free (the input body is not referenced after a
 * decoder returns). Encoders return bytes the caller frees with aug_free,
 * except the read response builder, which allocates from its arena.
 *
 * Threads: all functions are reentrant; a wire_read_resp belongs to one
 * thread (like its arena).
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
    const aug_label *labels;   /* ≥ 1, sorted by name, unique, non-empty, UTF-8 */
    size_t nlabels;
    aug_bytes key;             /* canonical label key (see storage/store.h) */
    util_hash128 hash;         /* util_hash128_of(key) */
    const aug_sample *samples; /* as received (order not checked here); may be
                                  0 when the sender sent only exemplars or
                                  histograms for the series */
    size_t nsamples;
} wire_series;

typedef struct wire_write_req {
    wire_series *series;       /* in request order; NULL when nseries is 0 */
    size_t nseries;
    size_t nsamples;           /* total over all series */
} wire_write_req;

/* Longest label name accepted whatever max_label_bytes says. The store
 * indexes every label with a posting key that holds the name whole
 * (storage/store.h STORE_LABEL_NAME_MAX; ingest.c asserts they agree), so
 * a longer name could only fail at the group commit, taking the other
 * requests of that commit down with it; refused at decode, only its own
 * request fails (413). */
#define WIRE_MAX_NAME_BYTES 255u

/* Caps on one request. Start from wire_limits_default() and change fields:
 * a zero field means "nothing allowed". */
typedef struct wire_limits {
    size_t max_decoded_bytes;   /* snappy declared/decoded size cap (default 32 MiB) */
    size_t max_series;          /* time series per write request */
    size_t max_labels;          /* labels per series; matchers per read query */
    size_t max_label_bytes;     /* bytes of one label name (never more than WIRE_MAX_NAME_BYTES)
                                   or value (or matcher's) */
    size_t max_samples;         /* samples per write request */
    size_t max_queries;         /* queries per read request */
} wire_limits;

/* Default limits: 32 MiB decoded, 1,000,000 series, 128 labels, 16 KiB per
 * label name/value, 10,000,000 samples, 64 queries. */
wire_limits wire_limits_default(void);

/* Decompresses a snappy block into the arena.
 *  a:           in: the request arena; the output is allocated from it.
 *  in:          in: the compressed block (borrowed for the call).
 *  max_decoded: in: largest acceptable uncompressed length.
 *  out:         out: the uncompressed bytes, borrowed from the arena.
 *  eb:          out: the reason on failure (may be NULL).
 * Errors: AUG_ETOOBIG (declared length over max_decoded, or the arena cap
 * reached), AUG_EMALFORMED (bad or truncated header, a declared length the
 * block cannot produce, truncated element, copy before the start, output
 * longer or shorter than declared), AUG_ENOMEM. */
aug_err wire_snappy_decode(util_arena *a, aug_bytes in, size_t max_decoded, aug_bytes *out, aug_errbuf *eb);

/* Compresses `in` into a snappy block.
 *  out, outlen: out: the block; caller frees *out with aug_free.
 * Errors: AUG_ENOMEM. */
aug_err wire_snappy_encode(aug_bytes in, uint8_t **out, size_t *outlen);

/* Decodes a snappy-compressed prometheus.WriteRequest and validates every
 * label set: at least one label; label names matching [a-zA-Z_][a-zA-Z0-9_]*,
 * strictly increasing in byte order (so no duplicates), non-empty values
 * that are valid UTF-8 (RFC 3629: no overlongs, surrogates or code points
 * above U+10FFFF) without NUL bytes; a __name__ label, when present (the
 * spec says SHOULD), must have a value matching [a-zA-Z_:][a-zA-Z0-9_:]*.
 * Builds each series' canonical key and hash.
 *  a:    in: the request arena; everything in *out is allocated from it
 *        (label strings point into the decoded body, also in the arena).
 *  body: in: the HTTP body (borrowed for the call).
 *  lim:  in: caps; every field of wire_limits except max_queries applies.
 *  out:  out: the request, valid until util_arena_free.
 *  eb:   out: the reason on failure (may be NULL), naming the series index
 *        and label, e.g. `series 3: labels not sorted: "job" after "zone"`,
 *        or the byte offset for protobuf errors.
 * Arena use (util_arena_used, measured in tests/unit/wire/test_write.c):
 * about 3.4 × the decoded body size in all for typical traffic (8 labels and
 * 1 sample per series); at most 14 × decoded + 64 KiB (series of one 1-byte
 * label and nothing else, where the wire_series array dominates). A smaller
 * arena cap turns such requests into AUG_ETOOBIG.
 * Errors: AUG_EMALFORMED (snappy or protobuf malformed: truncated, wrong
 * wire type for a known field, group, nested length past its parent; a label
 * rule broken), AUG_ETOOBIG (a limit or the arena cap), AUG_ENOMEM. */
aug_err wire_write_decode(util_arena *a, aug_bytes body, const wire_limits *lim, wire_write_req *out,
                          aug_errbuf *eb);

/* Encodes a WriteRequest (protobuf then snappy) from series views; labels must
 * already be sorted (not checked; key and hash are ignored). Used by export/,
 * rwload and tests. Sample value bits are written exactly (a value is
 * omitted, proto3-style, only when all 64 bits are zero).
 *  series:      in: nseries series (borrowed for the call).
 *  out, outlen: out: the snappy block; caller frees *out with aug_free.
 * Errors: AUG_ENOMEM. */
aug_err wire_write_encode(const wire_series *series, size_t nseries, uint8_t **out, size_t *outlen);

/* Validates a label set given in any order, for a series that does not come
 * from a WriteRequest (augurctl backfill): sorts labels by name in place,
 * then applies exactly wire_write_decode's rules (lim->max_labels and
 * max_label_bytes included) and builds the key and hash the same way, so the
 * series is the one a remote-write with these labels would create.
 *  a:      in: arena for the key.
 *  labels: in/out: n labels (strings borrowed, not copied); sorted on return.
 *  out:    out: labels, nlabels, key and hash set; no samples. Borrows labels
 *          and the arena.
 *  eb:     out: the broken rule, e.g. `duplicate label "job"` (may be NULL).
 * Errors: AUG_EMALFORMED (a rule broken), AUG_ETOOBIG (too many labels, a
 * name or value over the limit, arena cap), AUG_ENOMEM. */
aug_err wire_labels_validate(util_arena *a, aug_label *labels, size_t n, const wire_limits *lim, wire_series *out,
                             aug_errbuf *eb);

/* Splits a canonical label key (name 0xFF value 0xFF ..., see
 * storage/store.h) back into labels pointing into key, with room for
 * `spare` more labels after them (read.c inserts rollup="..."). The array
 * comes from the arena; the strings are borrowed from key.
 * @return AUG_OK; AUG_ECORRUPT if the key is not a sequence of name/value
 *         pairs; AUG_ENOMEM when the arena is exhausted. */
aug_err wire_key_labels(util_arena *a, aug_bytes key, size_t spare, aug_label **out, size_t *n);

/* ---- remote read ---- */

typedef enum wire_match_type {
    WIRE_MATCH_EQ = 0,
    WIRE_MATCH_NEQ = 1,
    WIRE_MATCH_RE = 2,
    WIRE_MATCH_NRE = 3,
} wire_match_type;

typedef struct wire_matcher {
    wire_match_type type;
    aug_str name;               /* non-empty, UTF-8 (not checked against the label syntax) */
    aug_str value;              /* UTF-8, may be empty; regexes are not compiled here */
} wire_matcher;

typedef struct wire_query {
    int64_t start_ms, end_ms;   /* start_ms <= end_ms */
    const wire_matcher *matchers;
    size_t nmatchers;           /* may be 0: the caller decides what that selects */
    int64_t step_ms;            /* from hints; 0 when absent; never negative */
    bool has_hints;
} wire_query;

typedef struct wire_read_req {
    const wire_query *queries;  /* NULL when nqueries is 0 */
    size_t nqueries;
    bool accepts_samples;       /* SAMPLES in accepted_response_types, or list empty */
} wire_read_req;

/* Decodes a snappy-compressed prometheus.ReadRequest.
 *  a, body, eb: as for wire_write_decode.
 *  lim:  in: max_decoded_bytes, max_queries, max_labels (matchers per
 *        query) and max_label_bytes (matcher name and value) apply.
 *  out:  out: the request, valid until util_arena_free.
 * Errors: AUG_EMALFORMED (snappy or protobuf malformed, unknown matcher
 * type, empty matcher name, non-UTF-8 name or value, start after end,
 * negative step), AUG_ETOOBIG (a limit or the arena cap), AUG_ENOMEM. */
aug_err wire_read_decode(util_arena *a, aug_bytes body, const wire_limits *lim, wire_read_req *out,
                         aug_errbuf *eb);

/* Builder for a SAMPLES ReadResponse: one QueryResult per query (empty ones
 * included, so results line up with queries), series appended in order. All
 * memory comes from the arena; max_bytes caps the encoded protobuf size.
 * Failure is sticky: after an add fails with AUG_ETOOBIG or AUG_ENOMEM, every
 * later add and finish return the same error. */
typedef struct wire_read_resp wire_read_resp;

/* Creates a builder for nqueries results.
 *  a:         in: the request arena; the builder and its output live there.
 *  max_bytes: in: cap on the encoded (uncompressed) ReadResponse.
 *  out:       out: the builder, valid until util_arena_free.
 * Errors: AUG_ETOOBIG (even the empty response is over max_bytes, or the
 * arena cap), AUG_ENOMEM. */
aug_err wire_read_resp_new(util_arena *a, size_t nqueries, size_t max_bytes, wire_read_resp **out);

/* Adds a series to result `query`; labels (sorted by name, not checked) and
 * samples (bits exact) are encoded at once, so they are borrowed only for the
 * call.
 * Errors: AUG_EINVAL (query >= nqueries, or after a successful finish; not
 * sticky), AUG_ETOOBIG (the response would pass max_bytes, or the arena
 * cap), AUG_ENOMEM. */
aug_err wire_read_resp_add(wire_read_resp *r, size_t query, const aug_label *labels, size_t nlabels,
                           const aug_sample *samples, size_t nsamples);

/* Encoded (uncompressed) size of the response so far, ≤ max_bytes. */
size_t wire_read_resp_bytes(const wire_read_resp *r);

/* Serializes and snappy-compresses into the arena. Calling it again returns
 * the same bytes.
 *  out: out: the HTTP body, borrowed from the arena until util_arena_free.
 * Errors: the sticky error of a failed add, AUG_ETOOBIG (arena cap),
 * AUG_ENOMEM. */
aug_err wire_read_resp_finish(wire_read_resp *r, aug_bytes *out);

#endif
