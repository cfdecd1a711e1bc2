/* hash.c — a multiply-xorshift hash over 8-byte words (in the spirit of
 * wyhash/murmur finalizers). Quality is checked in tests/unit/util by
 * bucket-distribution on sequential label sets. */
#include "util/common.h"
#include "util/hash.h"

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

static inline uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

uint64_t util_hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    while (len >= 8) {
        h = (h ^ mix(read64(p) + 0xa0761d6478bd642fULL)) * 0xe7037ed1a0b428dbULL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++)
        tail |= (uint64_t)p[i] << (8 * i);
    h = (h ^ mix(tail + 0x8ebc6af09c88c6e3ULL + len)) * 0xe7037ed1a0b428dbULL;
    return mix(h);
}

util_hash128 util_hash128_of(const void *data, size_t len)
{
    util_hash128 r = {
        .lo = util_hash64(data, len, 0x243f6a8885a308d3ULL),
        .hi = util_hash64(data, len, 0x13198a2e03707344ULL),
    };
    return r;
}
