/* err.c — message table for aug_err. Each string starts with its symbol so a
 * log line or HTTP reason is greppable back to the enum. */
#include "util/common.h"
#include "util/err.h"

static const char *const messages[AUG_ERR__COUNT] = {
    [AUG_OK] = "AUG_OK: success",
    [AUG_ENOMEM] = "AUG_ENOMEM: out of memory",
    [AUG_EINVAL] = "AUG_EINVAL: invalid argument",
    [AUG_EMALFORMED] = "AUG_EMALFORMED: malformed input",
    [AUG_ETOOBIG] = "AUG_ETOOBIG: input over its size limit",
    [AUG_EUNSUPPORTED] = "AUG_EUNSUPPORTED: unsupported content type, encoding or version",
    [AUG_EFULL] = "AUG_EFULL: a bounded queue or store is full",
    [AUG_ECORRUPT] = "AUG_ECORRUPT: stored data is corrupt",
    [AUG_EAGAIN] = "AUG_EAGAIN: temporarily unavailable, retry later",
    [AUG_EIO] = "AUG_EIO: I/O or storage failure",
    [AUG_ENOTFOUND] = "AUG_ENOTFOUND: not found",
    [AUG_ECONFIG] = "AUG_ECONFIG: invalid configuration",
    [AUG_ESHUTDOWN] = "AUG_ESHUTDOWN: shutting down",
    [AUG_EVERSION] = "AUG_EVERSION: unknown format version",
};

const char *aug_strerror(aug_err err)
{
    if ((int)err < 0 || err >= AUG_ERR__COUNT || messages[err] == NULL)
        return "AUG_E?: unknown error";
    return messages[err];
}

aug_err aug_errf(aug_errbuf *eb, aug_err err, const char *fmt, ...)
{
    if (eb != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
        va_end(ap);
    }
    return err;
}

const char *aug_errmsg(const aug_errbuf *eb, aug_err err)
{
    if (eb != NULL && eb->msg[0] != '\0')
        return eb->msg;
    return aug_strerror(err);
}
