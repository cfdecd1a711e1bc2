/* tmpdir.h — the unit tests' temporary directories: made with mkdtemp,
 * removed with everything in them afterwards. Header-only, like check.h:
 * a test includes "../tmpdir.h" and nothing more is linked.
 *
 * tmpdir_new makes $TMPDIR/augur-<name>-test.XXXXXX (/tmp when TMPDIR is
 * unset) in a caller's buffer; tmpdir_make takes a ready mkdtemp template
 * instead. Both exit the test program when mkdtemp fails: nothing can run
 * without the directory. tmpdir_remove deletes the tree (no symlinks
 * followed). */
#ifndef AUG_TESTS_TMPDIR_H
#define AUG_TESTS_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

/* Makes the directory named by tmpl, whose last six characters are XXXXXX
 * and are replaced in place. Returns tmpl; on failure prints the reason and
 * exits 1. */
static inline char *tmpdir_make(char *tmpl)
{
    if (mkdtemp(tmpl) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    return tmpl;
}

/* Writes $TMPDIR/augur-<name>-test.XXXXXX (or /tmp/...) into buf (cap
 * bytes) and makes that directory. Returns buf; exits 1 as tmpdir_make. */
static inline char *tmpdir_new(char *buf, size_t cap, const char *name)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, cap, "%s/augur-%s-test.XXXXXX", base ? base : "/tmp", name);
    return tmpdir_make(buf);
}

static int tmpdir_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes dir and everything below it, depth first, not following
 * symlinks. Returns 0, or nonzero when something could not be removed. */
static inline int tmpdir_remove(const char *dir)
{
    return nftw(dir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
