/* fuzz_predict_record.c — fuzz target for predict_record_decode
 * (src/predict/record.c), the saved forecast group read back from the blob
 * table.
 *
 * Each input is tried twice:
 *   1. as a whole record (version, lengths, ranges, CRC);
 *   2. as a record without its checksum: the right CRC is appended, so the
 *      fuzzer reaches the field parser instead of stopping at the checksum.
 * A record that decodes must re-encode to exactly the same bytes (a
 * version-1 record: to a version-2 record that decodes), and its
 * model bytes are handed to fc_model_decode as the daemon would (a model
 * that decodes is asked for a forecast). Any crash, leak or sanitizer
 * report is a bug; an error return is the expected outcome for most inputs.
 *
 * The corpus (tests/fuzz/corpus/predict_record/, written by
 * gen_predict_record_corpus.py) holds the worked example of record.c,
 * records with one and two horizons and a pending 1-step forecast, and
 * records around real model blobs from the model_blob corpus.
 */
#include "util/common.h"

#include "forecast/forecast.h"
#include "predict/predict_int.h"
#include "util/mem.h"
#include "fuzz_crc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size)
{
    predict_record r;
    if (predict_record_decode((aug_bytes){data, size}, &r) != AUG_OK)
        return;
    /* Re-encode from the decoded views: must give the input back. */
    int64_t *tgt[PREDICT_MAX_HORIZONS] = {0};
    double *val[PREDICT_MAX_HORIZONS] = {0};
    bool ok = true;
    for (uint32_t i = 0; i < r.nh; i++) {
        tgt[i] = aug_malloc((size_t)r.h[i].k * sizeof *tgt[i]);
        val[i] = aug_malloc((size_t)r.h[i].k * sizeof *val[i]);
        if (tgt[i] == NULL || val[i] == NULL) {
            ok = false;
            continue;
        }
        for (int32_t j = 0; j < r.h[i].k; j++)
            predict_record_pending(&r.h[i], j, &tgt[i][j], &val[i][j]);
        r.h[i].tgt = tgt[i];
        r.h[i].val = val[i];
    }
    if (ok) {
        size_t n = predict_record_size(&r), len = 0;
        uint8_t *b = aug_malloc(n ? n : 1);
        if (b != NULL) {
            if (predict_record_encode(&r, b, n, &len) != AUG_OK)
                abort(); /* what we decode we must be able to encode */
            /* A current record encodes to the same bytes; a version-1 record
             * is upgraded (its error windows emptied), and the upgrade must
             * read back. */
            predict_record again;
            if (data[0] != 0x01 && (len != size || memcmp(b, data, size) != 0))
                abort();
            if (data[0] == 0x01 && predict_record_decode((aug_bytes){b, len}, &again) != AUG_OK)
                abort();
            aug_free(b);
        }
    }
    for (uint32_t i = 0; i < r.nh; i++) {
        aug_free(tgt[i]);
        aug_free(val[i]);
    }
    fc_model *m = NULL;
    if (fc_model_decode(r.model, &m, NULL) == AUG_OK) {
        fc_forecast f[8];
        fc_model_predict(m, 8, f);
        fc_model_free(m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_crc_both(data, size, ((size_t)1 << 24), check);
    return 0;
}
