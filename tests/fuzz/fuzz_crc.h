/* fuzz_crc.h — for fuzz targets of records that end in a CRC-32 (big-endian,
 * util_crc32 of every byte before it): try the input as it is, then with the
 * right checksum appended, so the fuzzer reaches the field parser instead of
 * stopping at the checksum on almost every input. */
#ifndef AUG_TESTS_FUZZ_CRC_H
#define AUG_TESTS_FUZZ_CRC_H

#include "util/common.h"
#include "util/crc32.h"
#include "util/mem.h"

/* Calls check(data, size), then, for inputs up to max_size bytes,
 * check(data + CRC-32 of data, size + 4). */
static inline void fuzz_crc_both(const uint8_t *data, size_t size, size_t max_size,
                                 void (*check)(const uint8_t *, size_t))
{
    check(data, size);
    if (size > max_size)
        return;
    uint8_t *withcrc = aug_malloc(size + 4);
    if (withcrc == NULL)
        return;
    if (size)
        memcpy(withcrc, data, size);
    uint32_t c = util_crc32(data, size);
    for (int i = 0; i < 4; i++)
        withcrc[size + (size_t)i] = (uint8_t)(c >> (24 - 8 * i));
    check(withcrc, size + 4);
    aug_free(withcrc);
}

#endif
