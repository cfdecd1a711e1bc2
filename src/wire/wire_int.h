/* wire_int.h — internals shared by the files of src/wire/ and its tests.
 *
 * Not a contract for other modules: include wire/wire.h instead. Holds the
 * protobuf wire-format primitives (varints, tags, sizes) used by the
 * hand-rolled WriteRequest decoder and the encoders, and the label-set
 * validator that turns parsed labels into a wire_series (key + hash).
 *
 * Protobuf wire format (https://protobuf.dev/programming-guides/encoding/):
 * a message is a sequence of fields; each starts with a tag varint
 * (field_number << 3 | wire_type). Wire types: 0 VARINT, 1 I64 (8 bytes
 * little-endian), 2 LEN (length varint then bytes), 3/4 SGROUP/EGROUP
 * (deprecated groups: augur rejects them), 5 I32 (4 bytes); 6 and 7 do not
 * exist. A varint has at most 10 bytes, 7 bits each, least significant
 * group first; int64 values are encoded as their two's complement uint64.
 */
#ifndef AUG_WIRE_WIRE_INT_H
#define AUG_WIRE_WIRE_INT_H

#include "util/common.h"
#include "wire/wire.h"

enum {
    PB_VARINT = 0,
    PB_I64 = 1,
    PB_LEN = 2,
    PB_SGROUP = 3,
    PB_EGROUP = 4,
    PB_I32 = 5,
};

#define PB_TAG(field, wt) ((uint8_t)(((field) << 3) | (wt)))
#define PB_MAX_FIELD ((1u << 29) - 1)

/* Bytes needed to encode v as a varint (1..10). */
static inline size_t pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes v as a varint at p; returns the byte after it. The caller has
 * checked that pb_varint_size(v) bytes fit. */
static inline uint8_t *pb_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Size of a LEN field (one-byte tag, length, payload) with payload n. */
static inline size_t pb_len_field_size(size_t n)
{
    return 1 + pb_varint_size(n) + n;
}

/* Size of an optional proto3 string/bytes field: absent when empty. */
static inline size_t pb_str_field_size(size_t n)
{
    return n == 0 ? 0 : pb_len_field_size(n);
}

typedef enum pb_rc {
    PB_OK = 0,
    PB_TRUNCATED = 1, /* input ended inside the varint */
    PB_OVERFLOW = 2,  /* more than 10 bytes, or the 10th byte sets bits past 64 */
} pb_rc;

/* Reads a varint from [*pp, end). On PB_OK advances *pp past it. */
static inline pb_rc pb_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    if (p < end && *p < 0x80) { /* the common one-byte case */
        *out = *p;
        *pp = p + 1;
        return PB_OK;
    }
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return PB_TRUNCATED;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return PB_OVERFLOW;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *out = v;
            *pp = p;
            return PB_OK;
        }
    }
    return PB_OVERFLOW;
}

/* Spare bytes wire_snappy_decode allocates after its output (readable, and
 * never part of the result). */
#define WIRE_SNAPPY_SLOP 16

/* ---- TimeSeries encoding (write.c), shared with the read response ---- */

/* Exact encoded size of a TimeSeries message body with these labels and
 * samples (labels field 1, samples field 2, proto3 zero/empty omission;
 * a double is omitted only when all its bits are zero). */
size_t wire_series_size(const aug_label *labels, size_t nlabels, const aug_sample *samples, size_t nsamples);

/* Writes that body at o (wire_series_size bytes must fit); returns the byte
 * after it. */
uint8_t *wire_series_put(uint8_t *o, const aug_label *labels, size_t nlabels, const aug_sample *samples,
                         size_t nsamples);

/* ---- label sets (labels.c) ---- */

/* Validates the labels of one decoded series and completes it: checks every
 * rule of wire_write_decode (see wire.h) in label order, then builds the
 * canonical key (name 0xFF value 0xFF ...) in the arena and its
 * util_hash128_of. `idx` is the series index used in messages.
 *  s: in: labels/nlabels set; out: key and hash set. On error s->key is
 *     left empty.
 *  padded: true when every label name and value may be read up to 15 bytes
 *     past its end (wire_write_decode's strings lie in the snappy output,
 *     which has WIRE_SNAPPY_SLOP spare bytes); enables fixed-size copies.
 * Errors: AUG_EMALFORMED (rule broken, reason in eb), AUG_ETOOBIG (label
 * over lim->max_label_bytes or arena cap), AUG_ENOMEM. */
aug_err wire_series_finish(util_arena *a, wire_series *s, size_t idx, const wire_limits *lim, bool padded,
                           aug_errbuf *eb);

/* Checks that p[0..n) is UTF-8 as RFC 3629 defines it (no overlong forms,
 * no surrogates U+D800..DFFF, nothing above U+10FFFF) and, when no_nul,
 * contains no NUL byte. Returns n when valid, else the offset of the first
 * offending byte. */
size_t wire_utf8_check(const uint8_t *p, size_t n, bool no_nul);

/* True when p[0..n) is ASCII without NUL, the common label value, checked
 * inline (8 bytes per step, no call). When false the caller runs
 * wire_utf8_check for the real verdict. */
static inline bool wire_ascii_nonul(const uint8_t *p, size_t n)
{
    const uint64_t hi = 0x8080808080808080ULL, lo = 0x0101010101010101ULL;
    uint64_t bad = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        bad |= w | ((w - lo) & ~w); /* high bit: non-ASCII, or a zero byte */
    }
    uint8_t any = 0, nonzero = 0x80;
    for (; i < n; i++) {
        any |= p[i];                       /* bit 7: a non-ASCII byte */
        nonzero &= (uint8_t)(p[i] + 0x7f); /* bit 7 cleared by a zero byte (ASCII case) */
    }
    return ((bad & hi) | (any & 0x80) | (uint8_t)(nonzero ^ 0x80)) == 0;
}

/* Writes s into buf (cap bytes, NUL-terminated) for an error message: at
 * most ~48 bytes of it, printable ASCII kept, other bytes as \xNN, "..."
 * when cut. Returns buf. */
const char *wire_quote(char *buf, size_t cap, aug_str s);

/* Maps an arena allocation failure to AUG_ETOOBIG (cap reached) or
 * AUG_ENOMEM, with a reason naming `what`. */
aug_err wire_arena_fail(const util_arena *a, aug_errbuf *eb, const char *what);

#endif
