/* pbw.h — a tiny protobuf writer for crafting test inputs byte by byte
 * (valid, odd-but-valid and broken), independent of the code under test.
 * Aborts on out-of-memory: it is test scaffolding. */
#ifndef AUG_TESTS_PBW_H
#define AUG_TESTS_PBW_H

#include "util/common.h"
#include "util/mem.h"

#include <snappy-c.h>

#define PBW_UNUSED __attribute__((unused))

typedef struct pbw {
    uint8_t *p;
    size_t len, cap;
} pbw;

PBW_UNUSED static void pbw_raw(pbw *w, const void *p, size_t n)
{
    if (w->len + n > w->cap) {
        size_t cap = (w->cap ? w->cap * 2 : 64) + n;
        uint8_t *q = aug_realloc(w->p, cap);
        if (q == NULL)
            abort();
        w->p = q;
        w->cap = cap;
    }
    if (n > 0)
        memcpy(w->p + w->len, p, n);
    w->len += n;
}

PBW_UNUSED static void pbw_byte(pbw *w, uint8_t b)
{
    pbw_raw(w, &b, 1);
}

PBW_UNUSED static void pbw_varint(pbw *w, uint64_t v)
{
    while (v >= 0x80) {
        pbw_byte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    pbw_byte(w, (uint8_t)v);
}

PBW_UNUSED static void pbw_tag(pbw *w, uint32_t field, unsigned wt)
{
    pbw_varint(w, (uint64_t)field << 3 | wt);
}

PBW_UNUSED static void pbw_bytes(pbw *w, uint32_t field, const void *p, size_t n)
{
    pbw_tag(w, field, 2);
    pbw_varint(w, n);
    pbw_raw(w, p, n);
}

PBW_UNUSED static void pbw_str(pbw *w, uint32_t field, const char *s)
{
    pbw_bytes(w, field, s, strlen(s));
}

/* Appends `inner` as a LEN field and frees it. */
PBW_UNUSED static void pbw_msg(pbw *w, uint32_t field, pbw *inner)
{
    pbw_bytes(w, field, inner->p, inner->len);
    aug_free(inner->p);
    *inner = (pbw){0};
}

PBW_UNUSED static void pbw_fixed64(pbw *w, uint32_t field, uint64_t bits)
{
    pbw_tag(w, field, 1);
    for (unsigned i = 0; i < 8; i++)
        pbw_byte(w, (uint8_t)(bits >> (8 * i)));
}

PBW_UNUSED static void pbw_label(pbw *ts, const char *name, const char *value)
{
    pbw l = {0};
    pbw_str(&l, 1, name);
    pbw_str(&l, 2, value);
    pbw_msg(ts, 1, &l);
}

PBW_UNUSED static void pbw_sample(pbw *ts, uint64_t value_bits, int64_t t)
{
    pbw s = {0};
    pbw_fixed64(&s, 1, value_bits);
    pbw_tag(&s, 2, 0);
    pbw_varint(&s, (uint64_t)t);
    pbw_msg(ts, 2, &s);
}

/* Snappy-compresses w (libsnappy, not the code under test) into z. */
PBW_UNUSED static void pbw_snappy(const pbw *w, pbw *z)
{
    size_t cap = snappy_max_compressed_length(w->len), n = cap;
    *z = (pbw){0};
    uint8_t dummy = 0;
    z->p = aug_malloc(cap);
    if (z->p == NULL ||
        snappy_compress((const char *)(w->p ? w->p : &dummy), w->len, (char *)z->p, &n) != SNAPPY_OK)
        abort();
    z->len = n;
    z->cap = cap;
}

PBW_UNUSED static void pbw_free(pbw *w)
{
    aug_free(w->p);
    *w = (pbw){0};
}

#endif
