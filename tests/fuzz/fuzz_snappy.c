/* fuzz_snappy — wire_snappy_decode on arbitrary bytes.
 *
 * Input: a snappy block, as an HTTP body would carry it.
 * Checks, beyond "no crash, no leak, no over-read" (ASan/UBSan):
 *  - the verdict matches libsnappy's validator whenever the declared length
 *    is within our cap, and the output matches snappy_uncompress byte for
 *    byte. One known libsnappy (1.1.9) quirk is allowed: a literal whose
 *    4-byte length field is ff ff ff ff (2^32 bytes) wraps to 0 in its
 *    32-bit arithmetic and is accepted as empty; we refuse it, since no
 *    2^32-byte literal fits in the input (corpus: bad_literal_len_wrap);
 *  - every failure is AUG_EMALFORMED or AUG_ETOOBIG with a reason.
 * The arena is small (1 MiB cap, 256 KiB decoded) like a tight request. */
#include "util/common.h"
#include "util/arena.h"
#include "util/mem.h"
#include "wire/wire.h"

#include <snappy-c.h>

#define MAX_DECODED ((size_t)256 << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    util_arena *a = util_arena_new((size_t)1 << 20);
    if (a == NULL)
        return 0;
    aug_bytes out;
    aug_errbuf eb = {{0}};
    aug_err err = wire_snappy_decode(a, (aug_bytes){data, size}, MAX_DECODED, &out, &eb);
    if (err != AUG_OK && ((err != AUG_EMALFORMED && err != AUG_ETOOBIG) || eb.msg[0] == '\0'))
        __builtin_trap();

    size_t ulen = 0;
    bool lib_ok = snappy_uncompressed_length((const char *)data, size, &ulen) == SNAPPY_OK &&
                  snappy_validate_compressed_buffer((const char *)data, size) == SNAPPY_OK;
    bool within_cap = snappy_uncompressed_length((const char *)data, size, &ulen) == SNAPPY_OK &&
                      ulen <= MAX_DECODED;
    bool lib_wrap_quirk = lib_ok && err == AUG_EMALFORMED && strstr(eb.msg, "literal of 4294967296 bytes") != NULL;
    if (within_cap && (err == AUG_OK) != lib_ok && !lib_wrap_quirk)
        __builtin_trap();
    if (err == AUG_OK) {
        char *ref = aug_malloc(out.len ? out.len : 1);
        size_t rl = out.len;
        if (ref == NULL || snappy_uncompress((const char *)data, size, ref, &rl) != SNAPPY_OK || rl != out.len ||
            memcmp(ref, out.p, rl) != 0)
            __builtin_trap();
        aug_free(ref);
    }
    util_arena_free(a);
    return 0;
}
