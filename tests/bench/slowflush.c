/* slowflush.c — LD_PRELOAD shim that makes device flushes slow, to emulate
 * storage where a flush costs milliseconds (network block devices, disks
 * without power-loss protection). Benchmarks only; never linked into augur.
 *
 *   SLOWFLUSH_US=5000 LD_PRELOAD=build/tests/bench/libslowflush.so build/augur ...
 *
 * Every call that asks the kernel to make data durable sleeps SLOWFLUSH_US
 * microseconds (default 0: count only), then calls the real function
 * (dlsym(RTLD_NEXT)):
 *   - fdatasync, fsync, syncfs, sync_file_range, msync with MS_SYNC;
 *   - write, pwrite, pwrite64, writev, pwritev, pwritev64 on a descriptor
 *     opened with O_DSYNC or O_SYNC (each such write is a flush: LMDB writes
 *     its meta page through one). Descriptors are tracked by wrapping
 *     open/open64/openat/openat64 and close.
 * What augur + liblmdb 0.9.24 actually call per group commit, from
 * `strace -f` (docs/bench.md "Slow flushes"): on main pwrite64/writev of
 * the data pages on the O_RDWR descriptor, fdatasync of it, pwrite64 of
 * the meta page on the O_DSYNC descriptor; with MDB_NOMETASYNC the meta
 * page goes through the O_RDWR descriptor (no flush) and mdb_env_sync is
 * fdatasync. Only fdatasync and the O_DSYNC pwrite64 occur in practice; the
 * other entry points are wrapped so that nothing escapes the emulation.
 *
 * The sleep is per call and not serialized between threads, so two threads
 * flushing at once both wait SLOWFLUSH_US (a real device might queue them).
 * In augur only the writer thread flushes during ingest.
 *
 * At exit, and when SLOWFLUSH_STATS names a file, the counts and the time
 * spent (sleep + real call) per entry point are written there (appended),
 * or to stderr when SLOWFLUSH_STATS is unset. Static link or direct
 * syscalls (syscall(SYS_fdatasync)) would bypass the shim: augur uses
 * neither.
 */
/* Both open and open64 (etc.) are defined here: with _FILE_OFFSET_BITS=64
 * (meson's default) glibc's headers would redirect open to open64. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { K_FDATASYNC, K_FSYNC, K_SYNCFS, K_SFR, K_MSYNC, K_DSYNC_WRITE, K_N };
static const char *const kname[K_N] = {"fdatasync",       "fsync", "syncfs", "sync_file_range",
                                       "msync(MS_SYNC)", "O_DSYNC write"};
static atomic_ulong calls[K_N];
static atomic_ulong nanos[K_N];

#define MAX_FD 4096
static atomic_uchar dsync_fd[MAX_FD];

static long delay_us = -1;

static long delay(void)
{
    long d = __atomic_load_n(&delay_us, __ATOMIC_RELAXED);
    if (d < 0) {
        const char *e = getenv("SLOWFLUSH_US");
        d = e ? strtol(e, NULL, 10) : 0;
        if (d < 0)
            d = 0;
        __atomic_store_n(&delay_us, d, __ATOMIC_RELAXED);
    }
    return d;
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Sleep SLOWFLUSH_US (restarting after signals, errno preserved); return
 * the start time for account(). */
static uint64_t slow(void)
{
    uint64_t t0 = now_ns();
    long d = delay();
    if (d > 0) {
        int e = errno;
        struct timespec ts = {d / 1000000, (d % 1000000) * 1000};
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
        }
        errno = e;
    }
    return t0;
}

static void account(int k, uint64_t t0)
{
    atomic_fetch_add_explicit(&calls[k], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&nanos[k], now_ns() - t0, memory_order_relaxed);
}

static int is_dsync(int fd)
{
    return fd >= 0 && fd < MAX_FD && atomic_load_explicit(&dsync_fd[fd], memory_order_relaxed);
}

static void track(int fd, int flags)
{
    if (fd >= 0 && fd < MAX_FD)
        atomic_store_explicit(&dsync_fd[fd], (flags & (O_DSYNC | O_SYNC)) != 0, memory_order_relaxed);
}

#define REAL(ret, name, ...)                                                                                           \
    static ret (*real_##name)(__VA_ARGS__);                                                                            \
    if (!real_##name)                                                                                                  \
        *(void **)&real_##name = dlsym(RTLD_NEXT, #name);

/* ---- flushes ---- */

int fdatasync(int fd)
{
    REAL(int, fdatasync, int)
    uint64_t t0 = slow();
    int r = real_fdatasync(fd);
    account(K_FDATASYNC, t0);
    return r;
}

int fsync(int fd)
{
    REAL(int, fsync, int)
    uint64_t t0 = slow();
    int r = real_fsync(fd);
    account(K_FSYNC, t0);
    return r;
}

int syncfs(int fd)
{
    REAL(int, syncfs, int)
    uint64_t t0 = slow();
    int r = real_syncfs(fd);
    account(K_SYNCFS, t0);
    return r;
}

int sync_file_range(int fd, off_t off, off_t n, unsigned int flags)
{
    REAL(int, sync_file_range, int, off_t, off_t, unsigned int)
    /* Only a range write that waits is a flush of the device queue here. */
    if (!(flags & SYNC_FILE_RANGE_WAIT_AFTER))
        return real_sync_file_range(fd, off, n, flags);
    uint64_t t0 = slow();
    int r = real_sync_file_range(fd, off, n, flags);
    account(K_SFR, t0);
    return r;
}

int msync(void *addr, size_t len, int flags)
{
    REAL(int, msync, void *, size_t, int)
    if (!(flags & MS_SYNC))
        return real_msync(addr, len, flags);
    uint64_t t0 = slow();
    int r = real_msync(addr, len, flags);
    account(K_MSYNC, t0);
    return r;
}

/* ---- writes through O_DSYNC / O_SYNC descriptors ---- */

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(ssize_t, write, int, const void *, size_t)
    if (!is_dsync(fd))
        return real_write(fd, buf, n);
    uint64_t t0 = slow();
    ssize_t r = real_write(fd, buf, n);
    account(K_DSYNC_WRITE, t0);
    return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pwrite, int, const void *, size_t, off_t)
    if (!is_dsync(fd))
        return real_pwrite(fd, buf, n, off);
    uint64_t t0 = slow();
    ssize_t r = real_pwrite(fd, buf, n, off);
    account(K_DSYNC_WRITE, t0);
    return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    REAL(ssize_t, pwrite64, int, const void *, size_t, off64_t)
    if (!is_dsync(fd))
        return real_pwrite64(fd, buf, n, off);
    uint64_t t0 = slow();
    ssize_t r = real_pwrite64(fd, buf, n, off);
    account(K_DSYNC_WRITE, t0);
    return r;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    REAL(ssize_t, writev, int, const struct iovec *, int)
    if (!is_dsync(fd))
        return real_writev(fd, iov, cnt);
    uint64_t t0 = slow();
    ssize_t r = real_writev(fd, iov, cnt);
    account(K_DSYNC_WRITE, t0);
    return r;
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    REAL(ssize_t, pwritev, int, const struct iovec *, int, off_t)
    if (!is_dsync(fd))
        return real_pwritev(fd, iov, cnt, off);
    uint64_t t0 = slow();
    ssize_t r = real_pwritev(fd, iov, cnt, off);
    account(K_DSYNC_WRITE, t0);
    return r;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
    REAL(ssize_t, pwritev64, int, const struct iovec *, int, off64_t)
    if (!is_dsync(fd))
        return real_pwritev64(fd, iov, cnt, off);
    uint64_t t0 = slow();
    ssize_t r = real_pwritev64(fd, iov, cnt, off);
    account(K_DSYNC_WRITE, t0);
    return r;
}

/* ---- descriptor tracking ---- */

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    REAL(int, open, const char *, int, ...)
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_arg(flags, ap);
    va_end(ap);
    int fd = real_open(path, flags, m);
    track(fd, flags);
    return fd;
}

int open64(const char *path, int flags, ...)
{
    REAL(int, open64, const char *, int, ...)
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_arg(flags, ap);
    va_end(ap);
    int fd = real_open64(path, flags, m);
    track(fd, flags);
    return fd;
}

int openat(int dir, const char *path, int flags, ...)
{
    REAL(int, openat, int, const char *, int, ...)
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_arg(flags, ap);
    va_end(ap);
    int fd = real_openat(dir, path, flags, m);
    track(fd, flags);
    return fd;
}

int openat64(int dir, const char *path, int flags, ...)
{
    REAL(int, openat64, int, const char *, int, ...)
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_arg(flags, ap);
    va_end(ap);
    int fd = real_openat64(dir, path, flags, m);
    track(fd, flags);
    return fd;
}

int close(int fd)
{
    REAL(int, close, int)
    track(fd, 0);
    return real_close(fd);
}

/* ---- report ---- */

__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("SLOWFLUSH_STATS");
    FILE *f = path ? fopen(path, "a") : stderr;
    if (!f)
        return;
    unsigned long total = 0;
    fprintf(f, "slowflush pid %ld delay_us %ld\n", (long)getpid(), delay());
    for (int k = 0; k < K_N; k++) {
        unsigned long c = atomic_load(&calls[k]);
        unsigned long ns = atomic_load(&nanos[k]);
        total += c;
        if (c)
            fprintf(f, "slowflush %-16s calls %8lu  mean %8.3f ms  total %8.3f s\n", kname[k], c,
                    (double)ns / 1e6 / (double)c, (double)ns / 1e9);
    }
    fprintf(f, "slowflush flushes %lu\n", total);
    if (f != stderr)
        fclose(f);
}
