/* doc.c — the key reference, generated from the table so docs cannot drift
 * (CONVENTIONS 20): docs/config.md is this output, checked by a unit test. */
#include "util/common.h"
#include "config/cfg_int.h"
#include "util/assert.h"

static const char *section_prefix(const cfg_section *sec, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s", sec->name, sec->list ? "[]" : "");
    return buf;
}

/* Writes s with '|' escaped (markdown table cells). */
static void cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s, f);
    }
}

static void type_text(const cfg_row *row, char *buf, size_t cap, bool md)
{
    if (row->type == CFG_T_ENUM) {
        size_t o = (size_t)snprintf(buf, cap, "one of ");
        for (size_t k = 0; row->names[k] != NULL && o < cap; k++)
            o += (size_t)snprintf(buf + o, cap - o, "%s%s%s%s", k ? ", " : "", md ? "`" : "", row->names[k],
                                  md ? "`" : "");
    } else if (row->type == CFG_T_LIST) {
        snprintf(buf, cap, "list of %s", cfg_type_name(row->elem));
    } else {
        snprintf(buf, cap, "%s", cfg_type_name(row->type));
    }
}

static void default_text(const cfg_row *row, char *buf, size_t cap, bool md)
{
    if (row->flags & CFG_F_REQUIRED)
        snprintf(buf, cap, "%s", md ? "**required**" : "required");
    else if (row->def != NULL)
        snprintf(buf, cap, md ? "`%s`" : "%s", row->def);
    else if (row->defdoc != NULL)
        snprintf(buf, cap, md ? "*%s*" : "(%s)", row->defdoc);
    else
        snprintf(buf, cap, "%s", md ? "—" : "-");
}

static void range_text(const cfg_row *row, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    if (row->type == CFG_T_LIST && (row->min || row->max))
        o += (size_t)snprintf(buf + o, cap - o, "each ");
    if (row->flags & CFG_F_POSITIVE)
        o += (size_t)snprintf(buf + o, cap - o, "> 0");
    else if (row->min != NULL)
        o += (size_t)snprintf(buf + o, cap - o, "%s", row->min);
    if (row->max != NULL)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", row->min || (row->flags & CFG_F_POSITIVE) ? " … " : "≤ ",
                              row->max);
    else if (row->min != NULL && !(row->flags & CFG_F_POSITIVE))
        o += (size_t)snprintf(buf + o, cap - o, " or more");
    if (row->max_items && o < cap)
        snprintf(buf + o, cap - o, "%sat most %zu", o ? "; " : "", row->max_items);
}

aug_err cfg_doc_write(FILE *f, cfg_doc_format fmt)
{
    char pre[48], type[160], def[96], range[96];
    bool md = fmt == CFG_DOC_MARKDOWN;
    if (md) {
        fprintf(f, "# Configuration reference\n\n"
                   "<!-- Generated from src/config/table.c by `augurctl check keys --markdown`; do not edit. -->\n\n"
                   "augur reads one YAML file (`--config.file`, default `config/augur.yml`). Every key is optional\n"
                   "unless marked required; `augurctl check config FILE` validates a file offline.\n\n"
                   "Value syntax:\n\n"
                   "- **duration**: `30s`, `15m`, `4h`, `1d`, `1w`, also `ms` and `y` (365d), combined largest\n"
                   "  first: `1h30m`; `0` alone.\n"
                   "- **size**: bytes, or with a unit `B`, `kB`, `MB`, `GB`, `TB` (powers of 1000) or `KiB`, `MiB`,\n"
                   "  `GiB`, `TiB` (powers of 1024): `32MiB`, `1.5GB`.\n"
                   "- **int**: digits, `_` allowed between them: `1_000_000`. **float**: `0.7`, `1e3`.\n"
                   "- **bool**: `true` or `false`.\n"
                   "- **selector**: a PromQL series selector, quoted in YAML: `'up{job=\"node\"}'`.\n"
                   "- **aggregate**: `sum|avg|min|max|count [by|without (label, ...)]` or `none`.\n"
                   "- **Reload**: *yes* keys take effect on SIGHUP or `POST /-/reload`; *restart* keys need a\n"
                   "  restart (a reload that changes one is refused and logged).\n");
    }
    for (size_t si = 0; si < cfg_nsections; si++) {
        const cfg_section *sec = &cfg_sections[si];
        section_prefix(sec, pre, sizeof pre);
        if (md) {
            fprintf(f, "\n## `%s`\n\n%s\n\n", sec->name, sec->doc);
            if (sec->list)
                fprintf(f, "A list; each entry is a mapping with the keys below (at most %zu entries).\n\n",
                        sec->max_items);
            fprintf(f, "| Key | Type | Default | Range | Reload | Since | Description |\n"
                       "|---|---|---|---|---|---|---|\n");
        } else {
            fprintf(f, "%s: %s\n", sec->name, sec->doc);
        }
        for (size_t i = 0; i < sec->nrows; i++) {
            const cfg_row *row = &sec->rows[i];
            type_text(row, type, sizeof type, md);
            default_text(row, def, sizeof def, md);
            range_text(row, range, sizeof range);
            const char *reload = row->flags & CFG_F_RESTART ? "restart" : "yes";
            if (md) {
                fprintf(f, "| `%s.%s` | ", pre, row->key);
                cell(f, type);
                fputs(" | ", f);
                cell(f, def);
                fputs(" | ", f);
                cell(f, range);
                fprintf(f, " | %s | %s | ", reload, row->since);
                cell(f, row->doc);
                fputs(" |\n", f);
            } else {
                fprintf(f, "  %s.%s  %s  default %s%s%s%s\n      %s\n", pre, row->key, type, def,
                        range[0] ? "  range " : "", range, row->flags & CFG_F_RESTART ? "  (restart)" : "",
                        row->doc);
            }
        }
    }
    fflush(f);
    return ferror(f) ? AUG_EIO : AUG_OK;
}

size_t cfg_key_count(void)
{
    size_t n = 0;
    for (size_t si = 0; si < cfg_nsections; si++)
        n += cfg_sections[si].nrows;
    return n;
}

cfg_key_info cfg_key_get(size_t i, char *buf, size_t cap)
{
    for (size_t si = 0; si < cfg_nsections; si++) {
        const cfg_section *sec = &cfg_sections[si];
        if (i >= sec->nrows) {
            i -= sec->nrows;
            continue;
        }
        const cfg_row *row = &sec->rows[i];
        snprintf(buf, cap, "%s%s.%s", sec->name, sec->list ? "[]" : "", row->key);
        cfg_key_info k = {
            .path = buf,
            .type = row->type == CFG_T_LIST ? cfg_type_name(row->elem) : cfg_type_name(row->type),
            .def = row->def ? row->def : row->defdoc ? row->defdoc : "",
            .required = (row->flags & CFG_F_REQUIRED) != 0,
            .reloadable = !(row->flags & CFG_F_RESTART),
            .doc = row->doc,
        };
        return k;
    }
    AUG_ASSERT(0 && "cfg_key_get: index out of range");
    return (cfg_key_info){0};
}
