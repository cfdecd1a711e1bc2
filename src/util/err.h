/* err.h — augur's one error enum, its message table, and the caller's buffer
 * for details (CONVENTIONS 4).
 *
 * Every fallible function returns aug_err. Details that only the failing code
 * knows (a line number, a field, a byte offset) go into a caller-supplied
 * aug_errbuf; modules never print. The mapping from aug_err to an HTTP status
 * lives in src/http/ only.
 *
 * Values are part of the contract: never renumber, only append. Each value
 * has a string in err.c starting with its symbol and a row in README.
 * Thread rules: aug_strerror is pure; an aug_errbuf belongs to one thread.
 */
#ifndef AUG_UTIL_ERR_H
#define AUG_UTIL_ERR_H

#include <stddef.h>

typedef enum aug_err {
    AUG_OK = 0,           /* success */
    AUG_ENOMEM = 1,       /* an allocation failed */
    AUG_EINVAL = 2,       /* a caller passed an invalid argument or value */
    AUG_EMALFORMED = 3,   /* input bytes do not follow their format */
    AUG_ETOOBIG = 4,      /* input or a buffer is over its configured cap */
    AUG_EUNSUPPORTED = 5, /* valid but unsupported (content type, version) */
    AUG_EFULL = 6,        /* a bounded queue, map or store is full */
    AUG_ECORRUPT = 7,     /* stored data failed a consistency check */
    AUG_EAGAIN = 8,       /* temporarily unable; retry later (backpressure) */
    AUG_EIO = 9,          /* an I/O or storage-engine operation failed */
    AUG_ENOTFOUND = 10,   /* the requested item does not exist */
    AUG_ECONFIG = 11,     /* the configuration is invalid */
    AUG_ESHUTDOWN = 12,   /* the component is shutting down */
    AUG_EVERSION = 13,    /* stored data has an unknown format version */
    AUG_ERR__COUNT        /* not an error: number of values */
} aug_err;

/* Caller-owned buffer for one line of detail about the last error. */
typedef struct aug_errbuf {
    char msg[256];
} aug_errbuf;

/* Returns the static message for err, e.g. "AUG_EFULL: a bounded queue ...".
 * Never NULL; unknown values map to "AUG_E?: unknown error". */
const char *aug_strerror(aug_err err);

/* Formats a detail line into eb (if eb is not NULL) and returns err, so
 * callers can write `return aug_errf(eb, AUG_EMALFORMED, "bad varint at %zu", off);` */
aug_err aug_errf(aug_errbuf *eb, aug_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns the detail in eb if any was written, else aug_strerror(err). */
const char *aug_errmsg(const aug_errbuf *eb, aug_err err);

#endif
