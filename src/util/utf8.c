/* utf8.c — util_utf8_next (utf8.h).
 *
 * The lead byte fixes the length and the range allowed for the second byte
 * (RFC 3629 §4, Unicode 15 table 3-7), which is what excludes overlongs,
 * surrogates and code points above U+10FFFF; later bytes are 80..BF. The
 * bytes accepted before a sequence breaks off are its maximal subpart.
 */
#include "util/common.h"
#include "util/utf8.h"

size_t util_utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
    *cp = UTIL_UTF8_BAD;
    if (n == 0)
        return 0;
    uint8_t c = p[0], lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0Fu;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates U+D800..DFFF */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07u;
        if (c == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 1; /* 80..C1 (a continuation, or an overlong lead) or F5..FF */
    }
    for (size_t k = 1; k < len; k++) {
        if (k >= n || p[k] < lo || p[k] > hi)
            return k;
        v = v << 6 | (p[k] & 0x3Fu);
        lo = 0x80, hi = 0xBF;
    }
    *cp = v;
    return len;
}
