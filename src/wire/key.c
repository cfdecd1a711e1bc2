/* key.c — canonical label key → labels (the inverse of the key built in
 * labels.c), for code that reads series back from the store. */
#include "util/common.h"
#include "wire/wire.h"

aug_err wire_key_labels(util_arena *a, aug_bytes key, size_t spare, aug_label **out, size_t *n)
{
    size_t fields = 0;
    for (size_t i = 0; i < key.len; i++)
        fields += key.p[i] == 0xFF;
    if (fields % 2 != 0 || (key.len > 0 && key.p[key.len - 1] != 0xFF))
        return AUG_ECORRUPT;
    aug_label *l = util_arena_alloc(a, (fields / 2 + spare + 1) * sizeof *l);
    if (l == NULL)
        return AUG_ENOMEM;
    size_t k = 0, start = 0;
    bool name = true;
    for (size_t i = 0; i < key.len; i++) {
        if (key.p[i] != 0xFF)
            continue;
        aug_str s = {(const char *)key.p + start, i - start};
        if (name)
            l[k].name = s;
        else
            l[k++].value = s;
        name = !name;
        start = i + 1;
    }
    *out = l;
    *n = k;
    return AUG_OK;
}
