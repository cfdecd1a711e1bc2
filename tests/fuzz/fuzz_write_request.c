/* fuzz_write_request — wire_write_decode on arbitrary protobuf.
 *
 * Input: the *uncompressed* WriteRequest protobuf; the harness compresses it
 * with libsnappy first, so mutations explore the protobuf parser and the
 * label rules rather than snappy (fuzz_snappy covers that).
 * Checks, beyond "no crash, no leak, no over-read" (ASan/UBSan):
 *  - every failure is AUG_EMALFORMED or AUG_ETOOBIG with a reason;
 *  - an accepted request satisfies the contract: labels strictly sorted,
 *    key and hash recomputed from the labels agree, sample total adds up;
 *  - protobuf-c (tests/unit/wire/pbc_ref.h) accepts the same request, with
 *    exemplars/histograms stripped, and yields the same series and samples
 *    (unless a tag or length prefix is longer than the 5 bytes protobuf-c
 *    reads);
 *  - re-encoding with wire_write_encode and decoding again gives the same.
 * Small arena (2 MiB cap, 256 KiB decoded). */
#include "util/common.h"
#include "util/arena.h"
#include "util/mem.h"
#include "wire/wire.h"

#include "../unit/wire/pbc_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_contract(const wire_write_req *r)
{
    size_t total = 0;
    for (size_t i = 0; i < r->nseries; i++) {
        const wire_series *s = &r->series[i];
        if (s->nlabels == 0)
            __builtin_trap();
        size_t klen = 0;
        for (size_t j = 0; j < s->nlabels; j++) {
            const aug_label *l = &s->labels[j];
            if (l->name.len == 0 || l->value.len == 0)
                __builtin_trap();
            if (j > 0) {
                const aug_label *p = &s->labels[j - 1];
                int c = memcmp(p->name.p, l->name.p, AUG_MIN(p->name.len, l->name.len));
                if (c > 0 || (c == 0 && p->name.len >= l->name.len))
                    __builtin_trap();
            }
            if (klen + l->name.len + l->value.len + 2 > s->key.len ||
                memcmp(s->key.p + klen, l->name.p, l->name.len) != 0 || s->key.p[klen + l->name.len] != 0xFF ||
                memcmp(s->key.p + klen + l->name.len + 1, l->value.p, l->value.len) != 0 ||
                s->key.p[klen + l->name.len + 1 + l->value.len] != 0xFF)
                __builtin_trap();
            klen += l->name.len + l->value.len + 2;
        }
        util_hash128 h = util_hash128_of(s->key.p, s->key.len);
        if (klen != s->key.len || h.lo != s->hash.lo || h.hi != s->hash.hi)
            __builtin_trap();
        total += s->nsamples;
    }
    if (total != r->nsamples)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pbw raw = {0}, z;
    pbw_raw(&raw, data, size);
    pbw_snappy(&raw, &z);
    wire_limits lim = wire_limits_default();
    lim.max_decoded_bytes = (size_t)256 << 10;
    util_arena *a = util_arena_new((size_t)2 << 20);
    wire_write_req r;
    aug_errbuf eb = {{0}};
    aug_err err = wire_write_decode(a, (aug_bytes){z.p, z.len}, &lim, &r, &eb);
    if (err != AUG_OK && ((err != AUG_EMALFORMED && err != AUG_ETOOBIG) || eb.msg[0] == '\0'))
        __builtin_trap();
    if (err == AUG_OK) {
        check_contract(&r);

        pbw stripped = {0}, z2;
        if (!pbc_ref_strip_exemplars(raw.p, raw.len, &stripped))
            __builtin_trap();
        pbw_snappy(&stripped, &z2);
        util_arena *b = util_arena_new((size_t)64 << 20);
        wire_write_req r2;
        aug_err e2 = pbc_ref_write_decode(b, (aug_bytes){z2.p, z2.len}, &lim, &r2, NULL);
        /* protobuf-c cannot read tags or length prefixes over 5 bytes
         * (valid protobuf); only then may it refuse what wire/ accepted. */
        bool comparable = e2 == AUG_OK || !pbc_ref_has_long_prefix(stripped.p, stripped.len, 0);
        if (comparable && (e2 != AUG_OK || !pbc_ref_same_req(&r, &r2)))
            __builtin_trap();
        util_arena_free(b);
        pbw_free(&stripped);
        pbw_free(&z2);

        uint8_t *again;
        size_t alen;
        if (wire_write_encode(r.series, r.nseries, &again, &alen) != AUG_OK)
            __builtin_trap();
        util_arena *c = util_arena_new((size_t)64 << 20);
        wire_write_req r3;
        if (wire_write_decode(c, (aug_bytes){again, alen}, &lim, &r3, NULL) != AUG_OK ||
            !pbc_ref_same_req(&r, &r3))
            __builtin_trap();
        util_arena_free(c);
        aug_free(again);
    }
    util_arena_free(a);
    pbw_free(&raw);
    pbw_free(&z);
    return 0;
}
