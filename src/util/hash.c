/* hash.c — util_hash64: a multiply-xorshift hash over 8-byte words (in the
 * spirit of wyhash/murmur finalizers); util_hash128_of: one pass, two
 * wyhash-style lanes.
 *
 * util_hash128_of design notes
 * ----------------------------
 * 1. It hashes every series key of every remote-write request (~150 bytes,
 *    2000 per request), on the HTTP threads. It used to be two util_hash64
 *    passes (3 multiplies and 6 shifts per 8 bytes per pass): 22% of the
 *    HTTP threads' CPU in the ingest benchmark. Now the key is read once,
 *    16 bytes per step, and each of two lanes folds the step with one
 *    64x64->128 multiply (wyhash's "mum": low ^ high half of the product).
 * 2. Lanes: lo and hi use different secrets and never mix with each other,
 *    so a collision of the 128-bit value needs a collision in both
 *    independently keyed chains. Inputs are not adversarial-proof (neither
 *    were the fixed-seed passes before): augur's series table compares the
 *    full 128 bits and documents the ~2^-64 collision odds for honest keys.
 * 3. Tail: keys longer than 16 bytes finish with the (possibly overlapping)
 *    last 16 bytes; shorter ones are read as in wyhash (two 4-byte reads or
 *    3 bytes), so no byte past the key is touched. The length enters both
 *    finalizers, so keys that differ only in trailing zero bytes differ.
 * 4. Not stable across versions and not used on disk: recovery rebuilds the
 *    in-memory table from the stored keys with whatever version runs.
 * Quality checks: tests/unit/util (bucket spread of both halves on
 * sequential label sets, every single-bit flip changes both halves).
 */
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


__extension__ typedef unsigned __int128 u128;

/* wyhash's secrets (odd, 32 bits set, ...) and two lane seeds. */
static const uint64_t S0 = 0xa0761d6478bd642fULL, S1 = 0xe7037ed1a0b428dbULL, S2 = 0x8ebc6af09c88c6e3ULL,
                      S3 = 0x589965cc75374cc3ULL;

static inline uint64_t mum(uint64_t a, uint64_t b)
{
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

util_hash128 util_hash128_of(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t lo = 0x243f6a8885a308d3ULL ^ S0, hi = 0x13198a2e03707344ULL ^ S2;
    uint64_t a, b;
    if (len <= 16) {
        if (len >= 4) {
            size_t q = (len >> 3) << 2;
            a = (read32(p) << 32) | read32(p + q);
            b = (read32(p + len - 4) << 32) | read32(p + len - 4 - q);
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t n = len;
        while (n > 16) {
            uint64_t x = read64(p), y = read64(p + 8);
            lo = mum(x ^ S1, y ^ lo);
            hi = mum(x ^ S3, y ^ hi);
            p += 16;
            n -= 16;
        }
        a = read64(p + n - 16);
        b = read64(p + n - 8);
    }
    uint64_t l = (uint64_t)len;
    util_hash128 r = {
        .lo = mum(mum(a ^ S1, b ^ lo) ^ S0 ^ l, S1 ^ l),
        .hi = mum(mum(a ^ S3, b ^ hi) ^ S2 ^ l, S3 ^ l),
    };
    return r;
}

uint64_t util_fnv1a64(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}
