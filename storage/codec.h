/* codec.h — the byte primitives every storage record encoder shares:
 * big-endian integers (keys sort numerically), LEB128 varints (minimal form
 * enforced on read), and zigzag for signed deltas. Internal to storage/,
 * plus the two records other modules keep in the store's blob table,
 * src/decide/state.c (a saved scaler state) and src/predict/record.c (a saved
 * forecast group), which follow the store's byte conventions; static inline
 * so the encoders stay as fast as hand-inlined code. */
#ifndef AUG_STORAGE_CODEC_H
#define AUG_STORAGE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static inline uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}


/* Two's complement without implementation-defined conversions. */
static inline uint64_t i2u(int64_t x)
{
    return (uint64_t)x;
}

static inline int64_t u2i(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static inline uint64_t zz_enc(int64_t x)
{
    return (i2u(x) << 1) ^ (x < 0 ? UINT64_MAX : 0);
}

static inline int64_t zz_dec(uint64_t u)
{
    return u2i((u >> 1) ^ (0 - (u & 1)));
}

static inline size_t uvarint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static inline size_t uvarint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Reads a minimal varint of at most 64 bits from p[*off..len); false on a
 * truncated, over-long or non-minimal encoding. */
static inline bool get_uvarint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (*off >= len)
            return false;
        uint8_t b = p[(*off)++];
        if (i == 9 && b > 1)
            return false; /* more than 64 bits */
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            *v = x;
            return b != 0 || i == 0; /* a trailing 0x00 byte is non-minimal */
        }
    }
    return false;
}

#endif
