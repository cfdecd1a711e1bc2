/* lockfile.h — one writer process per store directory.
 *
 * The ingest writer keeps the series table in memory, so two processes
 * writing the same store would hand out the same series ids. The daemon and
 * `augurctl backfill` therefore hold an exclusive flock(2) on
 * <storage.path>/augur.lock for their lifetime; readers (augurctl inspect)
 * do not need it. The lock dies with the process, so a kill -9 never leaves
 * a stale lock behind.
 */
#ifndef AUG_UTIL_LOCKFILE_H
#define AUG_UTIL_LOCKFILE_H

#include "util/err.h"

/* Creates dir if needed and takes the exclusive lock without waiting.
 * @param[out] fd  the lock's descriptor, held until util_lockfile_release
 * @return AUG_OK; AUG_EAGAIN when another process holds it (eb says so);
 *         AUG_EIO when the file cannot be created. */
aug_err util_lockfile_acquire(const char *dir, int *fd, aug_errbuf *eb);

/* Releases the lock (closes fd). A negative fd is a no-op. */
void util_lockfile_release(int fd);

#endif
