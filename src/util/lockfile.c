#include "util/common.h"
#include "util/lockfile.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

aug_err util_lockfile_acquire(const char *dir, int *fd, aug_errbuf *eb)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return aug_errf(eb, AUG_EIO, "cannot create %s: %s", dir, strerror(errno));
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/augur.lock", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return aug_errf(eb, AUG_EINVAL, "storage path too long");
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0)
        return aug_errf(eb, AUG_EIO, "cannot open %s: %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(f);
        if (e == EWOULDBLOCK)
            return aug_errf(eb, AUG_EAGAIN, "%s is in use by another augur process (augur or augurctl backfill)",
                            dir);
        return aug_errf(eb, AUG_EIO, "cannot lock %s: %s", path, strerror(e));
    }
    *fd = f;
    return AUG_OK;
}

void util_lockfile_release(int fd)
{
    if (fd >= 0)
        close(fd);
}
