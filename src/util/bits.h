/* bits.h — exact bit-pattern conversions for doubles (and the floats the
 * decide state stores). Stored and atomically shared doubles travel as
 * uint64_t so NaN payloads (the staleness marker 0x7ff0000000000002)
 * survive unchanged (CONVENTIONS 14). */
#ifndef AUG_UTIL_BITS_H
#define AUG_UTIL_BITS_H

#include <stdint.h>
#include <string.h>

static inline uint64_t util_f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double util_bits_f64(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint32_t util_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float util_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#endif
