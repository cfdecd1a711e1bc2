/* crc32.h — CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the
 * checksum of augur's model and forecast-group blobs. Pure. */
#ifndef AUG_UTIL_CRC32_H
#define AUG_UTIL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 of n bytes at p (n may be 0). util_crc32("123456789", 9) == 0xCBF43926. */
uint32_t util_crc32(const uint8_t *p, size_t n);

#endif
