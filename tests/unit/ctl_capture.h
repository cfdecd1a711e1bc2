/* ctl_capture.h — runs an augurctl subcommand (ctl_<name>) in-process and
 * captures what it prints, for the tests of tools/ctl_*.c (which include the
 * tool's .c to reach its entry point). stdout and stderr go to temporary
 * files for the call and are read back into ctl_out and ctl_err. */
#ifndef AUG_TESTS_CTL_CAPTURE_H
#define AUG_TESTS_CTL_CAPTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char ctl_out[1 << 16], ctl_err[8192];

static void ctl_slurp(FILE *f, char *buf, size_t cap)
{
    fflush(f);
    rewind(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
}

/* Runs fn(argc, argv) with both streams captured; returns its exit code. */
static int ctl_run(int (*fn)(int, char **), int argc, char **argv)
{
    fflush(stdout);
    fflush(stderr);
    FILE *o = tmpfile(), *e = tmpfile();
    int so = dup(1), se = dup(2);
    dup2(fileno(o), 1);
    dup2(fileno(e), 2);
    int rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    ctl_slurp(o, ctl_out, sizeof ctl_out);
    ctl_slurp(e, ctl_err, sizeof ctl_err);
    fclose(o);
    fclose(e);
    return rc;
}

/* The same with a NULL-terminated list of const strings (copied into a
 * mutable argv of at most 24 arguments). */
static int ctl_runv(int (*fn)(int, char **), const char *a0, ...)
{
    static char argbuf[24][512]; /* not "store": that is a type in storage/store.h */
    char *argv[24];
    int argc = 0;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a != NULL && argc < 24; a = va_arg(ap, const char *)) {
        snprintf(argbuf[argc], sizeof argbuf[argc], "%s", a);
        argv[argc] = argbuf[argc];
        argc++;
    }
    va_end(ap);
    return ctl_run(fn, argc, argv);
}

#endif
