/* snappy.c — snappy *block* format: a validating decoder into the request
 * arena, and an encoder on top of libsnappy.
 *
 * Block format (github.com/google/snappy, format_description.txt):
 *   header   varint (1..5 bytes, ≤ 2^32-1): the uncompressed length N
 *   elements until N bytes are produced; tag byte t, low 2 bits = kind:
 *     00 literal: L-1 = t>>2 when < 60; t>>2 = 60..63 → L-1 is in the next
 *        1..4 bytes, little-endian; then L literal bytes
 *     01 copy, 1-byte offset: L = 4 + ((t>>2)&7), offset = (t>>5)<<8 | next
 *     10 copy, 2-byte offset: L = 1 + (t>>2), offset = next 2 bytes LE
 *     11 copy, 4-byte offset: L = 1 + (t>>2), offset = next 4 bytes LE
 *   A copy repeats L bytes starting `offset` back in the output; it may
 *   overlap what it writes (offset < L repeats a pattern).
 * Example: "aaaaaaaaaa" (10 bytes) → 0a 00 61 15 01 = N 10, literal "a",
 * copy L=9 offset=1.
 *
 * Invariants the decoder keeps (each one is an AUG_EMALFORMED reason):
 *  1. N is read and checked against the cap and against the most a block of
 *     this size can expand to (64 output bytes per 3-byte copy, so ≤ 22
 *     bytes per input byte) BEFORE the output is allocated: a small body
 *     cannot make us allocate a large buffer.
 *  2. Every element's header and literal bytes lie inside the input.
 *  3. Every copy has 0 < offset ≤ bytes produced so far.
 *  4. No element writes past N; the input ends exactly when N bytes are
 *     produced (a header that lies in either direction is caught).
 * Speed: the output buffer has SLOP (WIRE_SNAPPY_SLOP) spare bytes so short
 * literals and copies move fixed 16/8-byte chunks (a few instructions)
 * instead of calling memcpy with a variable length; bytes written into the
 * slop are garbage that later elements overwrite or that lies past N. The
 * WriteRequest decoder relies on the slop too: label strings inside the
 * output may be read 15 bytes past their end (wire_series_finish).
 *
 * Why not snappy_uncompress: it validates too but cannot say why or where
 * a block is bad, and it cannot check the declared length against our cap
 * before we allocate without parsing the header ourselves anyway. The
 * measured speed of both is printed by tests/bench/bench_wire.
 */
#include "util/common.h"
#include "util/mem.h"
#include "wire/wire_int.h"

#include <snappy-c.h>

#define SLOP WIRE_SNAPPY_SLOP
#define MAX_EXPANSION 22 /* ⌈64/3⌉: a 3-byte copy element yields ≤ 64 bytes */

static inline uint32_t le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* Reads the header varint: ≤ 5 bytes, value ≤ UINT32_MAX. */
static aug_err read_header(aug_bytes in, uint64_t *n, size_t *hlen, aug_errbuf *eb)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 5; i++) {
        if (i >= in.len)
            return aug_errf(eb, AUG_EMALFORMED, "snappy: truncated length header (%zu bytes)", in.len);
        v |= (uint64_t)(in.p[i] & 0x7f) << (7 * i);
        if (in.p[i] < 0x80) {
            if (v > UINT32_MAX)
                return aug_errf(eb, AUG_EMALFORMED, "snappy: declared length %" PRIu64 " exceeds 2^32-1", v);
            *n = v;
            *hlen = i + 1;
            return AUG_OK;
        }
    }
    return aug_errf(eb, AUG_EMALFORMED, "snappy: length header varint longer than 5 bytes");
}

aug_err wire_snappy_decode(util_arena *a, aug_bytes in, size_t max_decoded, aug_bytes *out, aug_errbuf *eb)
{
    uint64_t n64 = 0;
    size_t hlen = 0;
    aug_err err = read_header(in, &n64, &hlen, eb);
    if (err != AUG_OK)
        return err;
    size_t n = (size_t)n64, body = in.len - hlen;
    if (n > max_decoded)
        return aug_errf(eb, AUG_ETOOBIG, "snappy: declared decoded length %zu exceeds limit %zu", n, max_decoded);
    if (n / MAX_EXPANSION > body)
        return aug_errf(eb, AUG_EMALFORMED, "snappy: declared length %zu is impossible for %zu compressed bytes",
                        n, body);
    uint8_t *ob = util_arena_alloc(a, n + SLOP);
    if (ob == NULL)
        return wire_arena_fail(a, eb, "snappy");

    const uint8_t *ip = in.p + hlen, *const ie = in.p + in.len;
    uint8_t *op = ob, *const oe = ob + n;
    while (ip < ie) {
        const uint8_t *elem = ip;
        uint8_t t = *ip++;
        size_t len;
        if ((t & 3) == 0) {
            len = (size_t)(t >> 2) + 1;
            if (len > 60) {
                unsigned nb = (unsigned)len - 60;
                if ((size_t)(ie - ip) < nb)
                    goto truncated;
                len = (size_t)le(ip, nb) + 1;
                ip += nb;
            }
            size_t left_in = (size_t)(ie - ip), left_out = (size_t)(oe - op);
            if (len <= 16 && left_in >= 16 && left_out >= len) {
                memcpy(op, ip, 16); /* fixed size: lands in SLOP at worst */
            } else {
                if (len > left_in)
                    return aug_errf(eb, AUG_EMALFORMED,
                                    "snappy: literal of %zu bytes at offset %zu runs past the input (%zu left)", len,
                                    (size_t)(elem - in.p), left_in);
                if (len > left_out)
                    goto overrun;
                memcpy(op, ip, len);
            }
            ip += len;
            op += len;
            continue;
        }
        size_t off;
        switch (t & 3) {
        case 1:
            if (ip >= ie)
                goto truncated;
            len = 4 + ((t >> 2) & 7);
            off = ((size_t)(t >> 5) << 8) | *ip++;
            break;
        case 2:
            if (ie - ip < 2)
                goto truncated;
            len = 1 + (size_t)(t >> 2);
            off = le(ip, 2);
            ip += 2;
            break;
        default:
            if (ie - ip < 4)
                goto truncated;
            len = 1 + (size_t)(t >> 2);
            off = le(ip, 4);
            ip += 4;
            break;
        }
        if (off == 0 || off > (size_t)(op - ob))
            return aug_errf(eb, AUG_EMALFORMED, "snappy: copy at offset %zu reaches %zu bytes back, only %zu decoded",
                            (size_t)(elem - in.p), off, (size_t)(op - ob));
        if (len > (size_t)(oe - op))
            goto overrun;
        const uint8_t *src = op - off;
        if (off >= 8) {
            /* 8-byte chunks; each reads bytes already final because off ≥ 8;
             * len ≤ 64 so at most 7 bytes spill into SLOP. */
            for (size_t i = 0; i < len; i += 8)
                memcpy(op + i, src + i, 8);
        } else {
            for (size_t i = 0; i < len; i++) /* short pattern repeat */
                op[i] = src[i];
        }
        op += len;
        continue;
    truncated:
        return aug_errf(eb, AUG_EMALFORMED, "snappy: element at offset %zu truncated", (size_t)(elem - in.p));
    overrun:
        return aug_errf(eb, AUG_EMALFORMED, "snappy: element at offset %zu writes past the declared length %zu",
                        (size_t)(elem - in.p), n);
    }
    if (op != oe)
        return aug_errf(eb, AUG_EMALFORMED, "snappy: input ends after %zu bytes, header declared %zu",
                        (size_t)(op - ob), n);
    *out = (aug_bytes){ob, n};
    return AUG_OK;
}

aug_err wire_snappy_encode(aug_bytes in, uint8_t **out, size_t *outlen)
{
    size_t cap = snappy_max_compressed_length(in.len);
    uint8_t *buf = aug_malloc(cap);
    if (buf == NULL)
        return AUG_ENOMEM;
    size_t n = cap;
    /* The input pointer may be NULL for an empty view; snappy reads nothing then. */
    static const uint8_t empty[1];
    const char *src = (const char *)(in.p != NULL ? in.p : empty);
    if (snappy_compress(src, in.len, (char *)buf, &n) != SNAPPY_OK) {
        aug_free(buf); /* cannot happen with cap = max_compressed_length */
        return AUG_ENOMEM;
    }
    *out = buf;
    *outlen = n;
    return AUG_OK;
}
