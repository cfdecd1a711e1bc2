/* fuzz_outbox.c — the outbox record decoder (storage/outbox.c) on untrusted
 * bytes: what a damaged or foreign data.mdb hands back to export/.
 *
 * Input: byte 0 picks what to decode, the rest is the bytes:
 *   even: an outbox record value; odd: an outbox key (16 bytes expected).
 * Beyond "no crash, no read outside the input, only AUG_OK / AUG_ECORRUPT /
 * AUG_EVERSION", every accepted record is re-encoded and must give back the
 * input bytes exactly (the format is canonical: front coding always shares
 * the whole common prefix, varints are minimal), and the decoder's buffers
 * are the documented worst-case sizes (keycap = in.len, smpcap = in.len/9+1),
 * so an AUG_ETOOBIG here would be a documentation bug: it aborts.
 */
#include "util/common.h"
#include "storage/records.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(x) \
    do { \
        if (!(x)) { \
            fprintf(stderr, "fuzz_outbox: %s failed at line %d\n", #x, __LINE__); \
            abort(); \
        } \
    } while (0)

static void check_err(aug_err e)
{
    REQUIRE(e == AUG_OK || e == AUG_ECORRUPT || e == AUG_EVERSION);
}

static void fuzz_record(aug_bytes in)
{
    store_record_outbox_rd r;
    size_t ns, nsmp;
    aug_err e = store_record_outbox_open(in, &r, &ns, &nsmp);
    check_err(e);
    if (e != AUG_OK)
        return;
    REQUIRE(ns >= 1 && nsmp >= ns && nsmp <= in.len / 9);
    size_t smpcap = in.len / 9 + 1;
    /* Every series is kept (copied) so the batch can be re-encoded. */
    uint8_t *keybuf = aug_malloc(in.len);
    uint8_t *keys = aug_malloc(in.len * 2 + 1); /* see below: keys are copied into a bounded pool */
    store_outbox_sample *smp = aug_malloc(smpcap * sizeof *smp);
    store_outbox_sample *all = aug_malloc(smpcap * sizeof *all);
    store_outbox_series *ser = aug_malloc(ns * sizeof *ser);
    uint8_t *out = NULL;
    if (keybuf == NULL || keys == NULL || smp == NULL || all == NULL || ser == NULL)
        goto done;
    size_t i = 0, used = 0, nall = 0, keypool = in.len * 2 + 1;
    store_outbox_series s;
    bool fits = true; /* all keys fit the pool (they may not: front coding) */
    while ((e = store_record_outbox_next(&r, keybuf, in.len, smp, smpcap, &s)) == AUG_OK) {
        REQUIRE(i < ns && s.nsamples >= 1 && nall + s.nsamples <= nsmp);
        if (fits && s.key.len <= keypool - used) {
            memcpy(keys + used, s.key.p, s.key.len);
            ser[i].key = (aug_bytes){keys + used, s.key.len};
            used += s.key.len;
        } else {
            fits = false;
        }
        memcpy(all + nall, s.samples, s.nsamples * sizeof *s.samples);
        ser[i].samples = all + nall;
        ser[i].nsamples = s.nsamples;
        nall += s.nsamples;
        i++;
    }
    REQUIRE(e != AUG_ETOOBIG);
    check_err(e == AUG_ENOTFOUND ? AUG_OK : e);
    if (e != AUG_ENOTFOUND)
        goto done;
    REQUIRE(i == ns && nall == nsmp);
    if (!fits)
        goto done;
    size_t cap = store_record_outbox_bound(ser, ns), len;
    out = aug_malloc(cap);
    if (out == NULL)
        goto done;
    REQUIRE(store_record_outbox_encode(ser, ns, out, cap, &len) == AUG_OK);
    REQUIRE(len == in.len && memcmp(out, in.p, len) == 0);
done:
    aug_free(keybuf);
    aug_free(keys);
    aug_free(smp);
    aug_free(all);
    aug_free(ser);
    aug_free(out);
}

static void fuzz_key(aug_bytes in)
{
    uint64_t target, seq;
    aug_err e = store_record_outbox_key_decode(in, &target, &seq);
    check_err(e);
    if (e != AUG_OK)
        return;
    uint8_t out[STORE_OUTBOX_KEY_LEN];
    store_record_outbox_key_encode(target, seq, out);
    REQUIRE(memcmp(out, in.p, sizeof out) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    aug_bytes in = {data + 1, size - 1};
    if (data[0] % 2 == 0)
        fuzz_record(in);
    else
        fuzz_key(in);
    return 0;
}
