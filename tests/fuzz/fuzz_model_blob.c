/* fuzz_model_blob.c — fuzz target for fc_model_decode (src/forecast/blob.c).
 *
 * Each input is tried twice:
 *   1. as a whole blob (header, version, length, CRC checks);
 *   2. as a payload: a valid header with the right length and CRC is put in
 *      front, once for each version the decoder reads (1: no season field,
 *      2: current), so the fuzzer reaches the field parser and its range
 *      checks instead of stopping at the checksum.
 * A blob that decodes must be usable: it is re-encoded and decoded again
 * (the bytes must match), asked for its state and a forecast, fed a few
 * points, and refitted when small. Any crash, leak or sanitizer report is a
 * bug; an error return is the expected outcome for most inputs.
 *
 * The corpus (tests/fuzz/corpus/model_blob/) holds blobs of a fresh, a cold,
 * a warming and a ready model (minute, 5-minute, hourly and daily steps;
 * auto and single-model kinds; the default daily season, an hourly one and
 * none) and one payload without header, written by fc_model_encode from
 * synthetic series (gen_model_blob_corpus.c), plus the same kinds of seeds
 * in version 1 (v1_*), written by the code before the season was stored.
 */
#include "util/common.h"

#include "forecast/forecast.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void exercise(fc_model *m)
{
    size_t n = fc_model_blob_size(m), len = 0;
    uint8_t *b = aug_malloc(n);
    if (b != NULL && fc_model_encode(m, b, n, &len) == AUG_OK) {
        fc_model *again = NULL;
        if (fc_model_decode((aug_bytes){b, len}, &again, NULL) != AUG_OK)
            abort(); /* what we encode we must decode */
        size_t n2 = fc_model_blob_size(again), len2 = 0;
        uint8_t *b2 = aug_malloc(n2);
        if (b2 == NULL || fc_model_encode(again, b2, n2, &len2) != AUG_OK || len2 != len ||
            memcmp(b, b2, len) != 0)
            abort(); /* and re-encode the same bytes */
        aug_free(b2);
        fc_model_free(again);
    }
    aug_free(b);

    fc_status st;
    fc_model_state(m, &st);
    fc_forecast f[64];
    fc_model_predict(m, 64, f);
    for (int i = 1; i <= 3; i++)
        fc_model_update(m, st.last_ts + i * 3600, (double)i, NULL);
    if (n < 16384 && fc_model_refit_due(m))
        fc_model_refit(m);
    fc_model_predict(m, 1, f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fc_model *m = NULL;
    if (fc_model_decode((aug_bytes){data, size}, &m, NULL) == AUG_OK) {
        exercise(m);
        fc_model_free(m);
    }
    if (size > (1u << 22))
        return 0;
    uint8_t *b = aug_malloc(size + 16);
    if (b == NULL)
        return 0;
    uint32_t crc = crc32_bitwise(data, size);
    memcpy(b, "AUFM\x00\x00\x00\x00", 8);
    for (int i = 0; i < 4; i++) {
        b[8 + i] = (uint8_t)(size >> (8 * i));
        b[12 + i] = (uint8_t)(crc >> (8 * i));
    }
    if (size > 0)
        memcpy(b + 16, data, size);
    for (uint8_t version = 1; version <= 2; version++) {
        b[4] = version;
        m = NULL;
        if (fc_model_decode((aug_bytes){b, size + 16}, &m, NULL) == AUG_OK) {
            exercise(m);
            fc_model_free(m);
        }
    }
    aug_free(b);
    return 0;
}
