/* fuzz_decide_state.c — fuzz target for decide_state_decode
 * (src/decide/state.c), a scaler's saved decision state read back from the
 * blob table at start-up.
 *
 * Each input is decoded against two parameter sets (the utilization
 * defaults with a scale-down floor at the median, so the engine reads and
 * extends a decoded floor; queue mode with min_replicas 0, both buckets
 * disabled and no floor), with the fingerprint the input itself carries at
 * offset 1 so the fuzzer gets past the fingerprint check. It is tried
 * twice:
 *   1. as a whole record (version, length, checksum, ranges);
 *   2. with the right CRC-32 appended, so the fuzzer reaches the range
 *      checks instead of stopping at the checksum.
 * A state that decodes must re-encode to exactly the input (a version 2
 * input: to version 3 with the same fields and the empty floor; a version 1
 * input: the same with no last desired count), and the engine must accept
 * it: decide_evaluate on it, with the last desired count as the current one
 * when there is one (as the daemon does for a scaler without a replicas
 * selector), returns AUG_OK (a decoded state is promised to be usable as
 * is). Any crash or sanitizer report is a bug; an error return is the
 * expected outcome for most inputs.
 *
 * The corpus (tests/fuzz/corpus/decide_state/, written by
 * gen_decide_state_corpus.py) holds the worked example of state.c, a fresh
 * state, a full history, a full 336-hour floor, a state for the queue
 * parameters, the same kinds (but the floor) in versions 2 and 1, and one
 * input per refusal.
 */
#include "util/common.h"

#include "decide/decide.h"
#include "fuzz_crc.h"
#include "storage/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The floor of a version 1 or 2 record re-encoded: no floor hour
 * (INT64_MIN), no low (NaN), no hourly lows (state.c). */
static const uint8_t empty_floor[18] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xf8};

static void check(const uint8_t *data, size_t size, const decide_params *p)
{
    uint64_t fp = 0;
    for (size_t i = 1; i < 9 && i < size; i++)
        fp = fp << 8 | data[i];
    decide_state st;
    int32_t desired = 0;
    if (decide_state_decode((aug_bytes){data, size}, fp, p, &st, &desired, NULL) != AUG_OK)
        return;
    uint8_t buf[DECIDE_STATE_BLOB_MAX];
    size_t len = 0;
    if (decide_state_encode(&st, desired, fp, buf, sizeof buf, &len) != AUG_OK)
        abort();
    if (data[0] == 1) {
        /* version 1 = version 2 without the 4 bytes of last_desired at 41 */
        if (desired != -1 || len != size + 4 + sizeof empty_floor || memcmp(buf + 1, data + 1, 40) != 0 ||
            get_be32(buf + 41) != UINT32_MAX || memcmp(buf + 45, data + 41, size - 45) != 0 ||
            memcmp(buf + size, empty_floor, sizeof empty_floor) != 0)
            abort();
    } else if (data[0] == 2) {
        /* version 2 = version 3 without the floor before the CRC */
        if (len != size + sizeof empty_floor || memcmp(buf + 1, data + 1, size - 5) != 0 ||
            memcmp(buf + size - 4, empty_floor, sizeof empty_floor) != 0)
            abort();
    } else if (len != size || memcmp(buf, data, size) != 0) {
        abort(); /* what we decode we must encode to the same bytes */
    }
    decide_input in = {.now_s = st.last_eval_s == DECIDE_NEVER ? 0 : st.last_eval_s,
                       .current_replicas = desired >= 0 ? desired : p->min_replicas + 1,
                       .observed = 0.5};
    decide_output out;
    if (decide_evaluate(p, &st, &in, &out, NULL) != AUG_OK)
        abort(); /* a decoded state is usable as is */
    /* ... and stays so: an hour later its open floor hour has closed, and
     * the state still passes its checks and encodes. */
    in.now_s += 3600;
    if (in.now_s <= DECIDE_TS_LIMIT &&
        (decide_evaluate(p, &st, &in, &out, NULL) != AUG_OK || !decide_state_check(&st) ||
         decide_state_encode(&st, out.desired, fp, buf, sizeof buf, &len) != AUG_OK))
        abort();
}

static void check_both(const uint8_t *data, size_t size)
{
    decide_params util, queue;
    decide_params_init(&util, DECIDE_MODE_UTILIZATION);
    util.floor_quantile = 0.5;
    decide_params_init(&queue, DECIDE_MODE_QUEUE);
    queue.min_replicas = 0;
    queue.up = (decide_bucket){0, 0};
    queue.down = (decide_bucket){0, 0};
    check(data, size, &util);
    check(data, size, &queue);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_crc_both(data, size, DECIDE_STATE_BLOB_MAX /* longer inputs cannot decode with any checksum */, check_both);
    return 0;
}
