/* cfg_int.h — private to src/config/: the shape of the key table.
 *
 * The table (table.c) is an array of sections; each section is a block
 * (`storage:`) or a list of blocks (`forecasts:`) and has rows, one per key.
 * A row's key is its path inside the section, dotted for nested mappings
 * ("scale_up.max_per_minute"); its offset is into the section's struct
 * (cfg_storage, cfg_forecast, …). Defaults and bounds are strings in the
 * key's own YAML syntax, parsed by the same code as user input, so the docs
 * show exactly what a user would write and a test can check they all parse.
 */
#ifndef AUG_CONFIG_CFG_INT_H
#define AUG_CONFIG_CFG_INT_H

#include "config/config.h"

typedef enum cfg_type {
    CFG_T_DURATION,    /* int64_t ms */
    CFG_T_SIZE,        /* uint64_t bytes */
    CFG_T_INT,         /* int64_t */
    CFG_T_FLOAT,       /* double */
    CFG_T_BOOL,        /* bool */
    CFG_T_STRING,      /* const char * */
    CFG_T_URL,         /* const char *, http(s)://host[:port][/path] */
    CFG_T_PATH,        /* const char *, a file path */
    CFG_T_METRIC_NAME, /* const char *, [a-zA-Z_][a-zA-Z0-9_]* */
    CFG_T_NAME,        /* const char *, [a-zA-Z0-9_.:-]+ */
    CFG_T_SELECTOR,    /* const ingest_selector * */
    CFG_T_DUR_OR_SEL,  /* cfg_dur_or_sel */
    CFG_T_ENUM,        /* an int-sized enum; row.names lists the values */
    CFG_T_AGGREGATE,   /* cfg_aggregate */
    CFG_T_LIST,        /* {T *v; size_t n;} of row.elem */
    CFG_T_MAP,         /* cfg_map */
    CFG_T__COUNT
} cfg_type;

enum {
    CFG_F_REQUIRED = 1u << 0, /* no default; must be given */
    CFG_F_RESTART = 1u << 1,  /* a reload cannot apply a change */
    CFG_F_POSITIVE = 1u << 2, /* numeric: must be > 0 (exclusive minimum) */
    CFG_F_SECRET = 1u << 3,   /* never printed back */
    CFG_F_SORTED = 1u << 4,   /* duration list: sorted ascending, repeats refused */
};

typedef struct cfg_row {
    const char *key;          /* path within the section, dotted when nested */
    cfg_type type;
    cfg_type elem;            /* CFG_T_LIST: element type */
    size_t off;               /* offsetof in the section struct */
    const char *def;          /* default in YAML syntax; NULL: none */
    const char *defdoc;       /* shown instead of def when the default is derived */
    const char *min, *max;    /* bounds in the type's syntax (lists: per element) */
    size_t max_items;         /* lists and maps */
    const char *const *names; /* CFG_T_ENUM: NULL-terminated, index = value */
    unsigned flags;
    const char *since;        /* version that added the key */
    const char *doc;          /* one line */
} cfg_row;

typedef struct cfg_section {
    const char *name;         /* top-level key */
    bool list;                /* a sequence of mappings */
    const cfg_row *rows;
    size_t nrows;
    size_t off;               /* block: offset of the struct in cfg_config; list: of the array pointer */
    size_t count_off;         /* list: offset of the size_t count in cfg_config */
    size_t elem_size;         /* list: size of one element */
    size_t max_items;         /* list: most elements accepted */
    const char *doc;
} cfg_section;

extern const cfg_section cfg_sections[];
extern const size_t cfg_nsections;

/* Name ("duration") and what a value must look like ("a duration like …"). */
const char *cfg_type_name(cfg_type t);
const char *cfg_type_expect(cfg_type t);

/* Parses an aggregate spec; on failure *col is the 0-based offset of the
 * problem and *why the reason. Labels are allocated from a. */
bool cfg_parse_aggregate(util_arena *a, const char *s, size_t n, cfg_aggregate *out, size_t *col, const char **why);

/* Edit distance (bounded; returns a value > max when above max). */
size_t cfg_edit_distance(const char *a, const char *b, size_t max);

#endif
