/* fuzz_selector.c — PromQL selector parser (src/ingest/selector.c).
 *
 * Input: selector text. Besides "no crash, no leak", checks three oracles
 * and aborts when one fails:
 *  1. the two match forms (aug_label array, canonical key) agree;
 *  2. a selector rebuilt from its own matchers (the remote-read path) and
 *     its rendering parsed back both make the same decisions;
 *  3. ingest_selector_text returns the input verbatim. */
#include "util/common.h"
#include "ingest/selector.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define L(n, v) {{(n), sizeof(n) - 1}, {(v), sizeof(v) - 1}}

static const aug_label set0[] = {L("__name__", "up"), L("code", "500"), L("job", "web")};
static const aug_label set1[] = {L("Zone", "a"), L("__name__", "http_requests_total"), L("job", "")};
static const aug_label set2[] = {L("__name__", "x"), L("a", "\xc3\xa9"), L("b", "a.b"), L("path", "/debug/x")};
static const aug_label set3[] = {L("a", "1"), L("job", "node")};

static const struct {
    const aug_label *l;
    size_t n;
} sets[] = {{set0, 3}, {set1, 3}, {set2, 4}, {set3, 2}, {NULL, 0}};

static bool decide(const ingest_selector *s, size_t k)
{
    uint8_t key[256];
    size_t len = 0;
    for (size_t i = 0; i < sets[k].n; i++) {
        const aug_label *l = &sets[k].l[i];
        memcpy(key + len, l->name.p, l->name.len);
        len += l->name.len;
        key[len++] = 0xff;
        memcpy(key + len, l->value.p, l->value.len);
        len += l->value.len;
        key[len++] = 0xff;
    }
    bool a = ingest_selector_match_labels(s, sets[k].l, sets[k].n);
    bool b = ingest_selector_match_key(s, (aug_bytes){key, len});
    if (a != b)
        abort();
    return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ingest_selector *s = NULL;
    aug_errbuf eb = {{0}};
    size_t col = 0;
    if (ingest_selector_parse((const char *)data, size, &s, &col, &eb) != AUG_OK)
        return 0;
    const char *text = ingest_selector_text(s);
    if (strlen(text) > size || memcmp(text, data, strlen(text)) != 0)
        abort();

    size_t n = ingest_selector_matcher_count(s);
    wire_matcher wm[INGEST_SELECTOR_MAX_MATCHERS];
    for (size_t i = 0; i < n; i++) {
        ingest_matcher m = ingest_selector_matcher(s, i);
        wm[i] = (wire_matcher){(wire_match_type)m.op, m.name, m.value};
    }
    ingest_selector *r = NULL, *back = NULL;
    if (ingest_selector_from_matchers(wm, n, &r, &eb) != AUG_OK)
        abort();
    const char *rendered = ingest_selector_text(r);
    size_t rlen = strlen(rendered);
    if (rlen <= INGEST_SELECTOR_MAX_LEN && ingest_selector_parse(rendered, rlen, &back, NULL, &eb) != AUG_OK)
        abort();
    for (size_t k = 0; k < AUG_ARRAY_LEN(sets); k++) {
        bool want = decide(s, k);
        if (decide(r, k) != want || (back != NULL && decide(back, k) != want))
            abort();
    }
    ingest_value_set vs[INGEST_SELECTOR_MAX_MATCHERS];
    size_t nv = ingest_selector_value_sets(s, vs, AUG_ARRAY_LEN(vs));
    for (size_t i = 0; i < nv; i++) {
        if (vs[i].nvalues == 0 || vs[i].values[0].len == 0)
            abort();
    }
    ingest_selector_free(back);
    ingest_selector_free(r);
    ingest_selector_free(s);
    return 0;
}
