/* json.c — JSON string escaping and the bounded JSON buffer (json.h).
 * UTF-8 is read by util_utf8_next; each maximal ill-formed subpart it
 * reports becomes one U+FFFD and scanning resumes at the byte after it. */
#include "util/common.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/utf8.h"

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

size_t util_json_escape(char *out, size_t cap, const char *s, size_t n, size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s;
    size_t o = 0, i = 0;
    while (i < n) {
        uint8_t c = p[i];
        char esc[6];
        const char *w = s + i;
        size_t wn = 1, adv = 1;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            w = esc, wn = 2;
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            w = esc, wn = 6;
        } else if (c >= 0x80) {
            uint32_t cp;
            adv = util_utf8_next(p + i, n - i, &cp);
            if (cp != UTIL_UTF8_BAD)
                wn = adv;
            else
                w = replacement, wn = 3;
        }
        if (o + wn + 1 > cap)
            break;
        memcpy(out + o, w, wn);
        o += wn;
        i += adv;
    }
    if (cap > 0)
        out[o] = '\0';
    if (used != NULL)
        *used = i;
    return o;
}

/* Makes room for `more` bytes plus the NUL; false (err set) if it cannot. */
static bool reserve(util_json_buf *b, size_t more)
{
    if (b->err != AUG_OK)
        return false;
    if (more > b->max || b->len > b->max - more) {
        b->err = AUG_ETOOBIG;
        return false;
    }
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + more + 1)
        ncap = ncap > SIZE_MAX / 2 ? SIZE_MAX : ncap * 2;
    ncap = AUG_MIN(ncap, b->max + 1);
    char *np = aug_realloc(b->p, ncap);
    if (np == NULL) {
        b->err = AUG_ENOMEM;
        return false;
    }
    b->p = np;
    b->cap = ncap;
    return true;
}

void util_json_buf_add(util_json_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void util_json_buf_lit(util_json_buf *b, const char *s)
{
    util_json_buf_add(b, s, strlen(s));
}

void util_json_buf_fmt(util_json_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char probe[1];
    int n = vsnprintf(probe, sizeof probe, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void util_json_buf_str(util_json_buf *b, const char *s, size_t n)
{
    util_json_buf_add(b, "\"", 1);
    size_t at = 0;
    while (at < n && b->err == AUG_OK) {
        /* 6 bytes fit the longest escape (\u00XX) and any UTF-8 character,
         * so a round makes progress unless max is reached. */
        size_t want = AUG_MIN(AUG_MIN(n - at, (size_t)4096) + 6, b->max - b->len);
        if (!reserve(b, want))
            return;
        size_t used;
        b->len += util_json_escape(b->p + b->len, b->cap - b->len, s + at, n - at, &used);
        if (used == 0) {
            b->err = AUG_ETOOBIG;
            return;
        }
        at += used;
    }
    util_json_buf_add(b, "\"", 1);
}

void util_json_buf_cstr(util_json_buf *b, const char *s)
{
    util_json_buf_str(b, s, strlen(s));
}

void util_json_buf_num(util_json_buf *b, double v)
{
    if (isfinite(v))
        util_json_buf_fmt(b, "%.6g", v);
    else
        util_json_buf_lit(b, "null");
}

aug_err util_json_buf_take(util_json_buf *b, char **out, size_t *len)
{
    util_json_buf_add(b, "", 0); /* an empty text still gets its NUL */
    aug_err err = b->err;
    if (err == AUG_OK) {
        *out = b->p;
        *len = b->len;
    } else {
        aug_free(b->p);
    }
    size_t max = b->max;
    *b = (util_json_buf){.max = max};
    return err;
}
