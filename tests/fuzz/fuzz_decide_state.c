/* fuzz_decide_state.c — fuzz target for decide_state_decode
 * (src/decide/state.c), a scaler's saved decision state read back from the
 * blob table at start-up.
 *
 * Each input is decoded against two parameter sets (the utilization
 * defaults; queue mode with min_replicas 0 and both buckets disabled), with
 * the fingerprint the input itself carries at offset 1 so the fuzzer gets
 * past the fingerprint check. It is tried twice:
 *   1. as a whole record (version, length, checksum, ranges);
 *   2. with the right CRC-32 appended, so the fuzzer reaches the range
 *      checks instead of stopping at the checksum.
 * A state that decodes must re-encode to exactly the input, and the engine
 * must accept it: decide_evaluate on it returns AUG_OK (a decoded state is
 * promised to be usable as is). Any crash or sanitizer report is a bug; an
 * error return is the expected outcome for most inputs.
 *
 * The corpus (tests/fuzz/corpus/decide_state/, written by
 * gen_decide_state_corpus.py) holds the worked example of state.c, a fresh
 * state, a full history, a state for the queue parameters and one input per
 * refusal.
 */
#include "util/common.h"
#include "util/crc32.h"

#include "decide/decide.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size, const decide_params *p)
{
    uint64_t fp = 0;
    for (size_t i = 1; i < 9 && i < size; i++)
        fp = fp << 8 | data[i];
    decide_state st;
    if (decide_state_decode((aug_bytes){data, size}, fp, p, &st, NULL) != AUG_OK)
        return;
    uint8_t buf[DECIDE_STATE_BLOB_MAX];
    size_t len = 0;
    if (decide_state_encode(&st, fp, buf, sizeof buf, &len) != AUG_OK || len != size || memcmp(buf, data, size) != 0)
        abort(); /* what we decode we must encode to the same bytes */
    decide_input in = {.now_s = st.last_eval_s == DECIDE_NEVER ? 0 : st.last_eval_s,
                       .current_replicas = p->min_replicas + 1,
                       .observed = 0.5};
    decide_output out;
    if (decide_evaluate(p, &st, &in, &out, NULL) != AUG_OK)
        abort(); /* a decoded state is usable as is */
}

static void check_both(const uint8_t *data, size_t size)
{
    decide_params util, queue;
    decide_params_init(&util, DECIDE_MODE_UTILIZATION);
    decide_params_init(&queue, DECIDE_MODE_QUEUE);
    queue.min_replicas = 0;
    queue.up = (decide_bucket){0, 0};
    queue.down = (decide_bucket){0, 0};
    check(data, size, &util);
    check(data, size, &queue);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_both(data, size);
    if (size > DECIDE_STATE_BLOB_MAX)
        return 0; /* longer inputs cannot decode with any checksum */
    uint8_t *withcrc = aug_malloc(size + 4);
    if (withcrc == NULL)
        return 0;
    if (size)
        memcpy(withcrc, data, size);
    uint32_t c = util_crc32(data, size);
    for (int i = 0; i < 4; i++)
        withcrc[size + (size_t)i] = (uint8_t)(c >> (24 - 8 * i));
    check_both(withcrc, size + 4);
    aug_free(withcrc);
    return 0;
}
