/* Checks the checked-in fuzz seeds against their names: files named ok_*
 * must decode and bad_* must be refused, for each of the three wire targets
 * (inputs as the fuzzers take them: snappy blocks for snappy, uncompressed
 * protobuf for write_request and read_request). Other names (crashers
 * added by fuzzing) are only required not to crash.
 * Usage: test_wire_corpus <tests/fuzz/corpus> */
#include "util/common.h"
#include "util/arena.h"
#include "util/mem.h"
#include "wire/wire.h"

#include <dirent.h>

#include "../check.h"
#include "pbw.h"

static const char *corpus_root;

static aug_err decode(const char *target, const uint8_t *p, size_t n, aug_errbuf *eb)
{
    util_arena *a = util_arena_new((size_t)16 << 20);
    wire_limits lim = wire_limits_default();
    aug_err err;
    if (strcmp(target, "snappy") == 0) {
        aug_bytes out;
        err = wire_snappy_decode(a, (aug_bytes){p, n}, (size_t)1 << 20, &out, eb);
    } else {
        pbw raw = {0}, z;
        pbw_raw(&raw, p, n);
        pbw_snappy(&raw, &z);
        if (strcmp(target, "write_request") == 0) {
            wire_write_req r;
            err = wire_write_decode(a, (aug_bytes){z.p, z.len}, &lim, &r, eb);
        } else {
            wire_read_req r;
            err = wire_read_decode(a, (aug_bytes){z.p, z.len}, &lim, &r, eb);
        }
        pbw_free(&raw);
        pbw_free(&z);
    }
    util_arena_free(a);
    return err;
}

static void check_target(const char *target)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", corpus_root, target);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (d == NULL)
        return;
    int ok = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (f == NULL)
            continue;
        pbw buf = {0};
        uint8_t chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            pbw_raw(&buf, chunk, n);
        fclose(f);
        aug_errbuf eb = {{0}};
        aug_err err = decode(target, buf.p, buf.len, &eb);
        if (strncmp(e->d_name, "ok_", 3) == 0) {
            if (err != AUG_OK)
                fprintf(stderr, "%s: %s\n", path, eb.msg);
            CHECK_EQ_I64(err, AUG_OK);
            ok++;
        } else if (strncmp(e->d_name, "bad_", 4) == 0) {
            if (err == AUG_OK)
                fprintf(stderr, "%s: accepted\n", path);
            CHECK(err == AUG_EMALFORMED || err == AUG_ETOOBIG);
            bad++;
        }
        pbw_free(&buf);
    }
    closedir(d);
    CHECK(ok >= 3 && bad >= 3);
}

static void test_snappy_seeds(void)
{
    check_target("snappy");
}

static void test_write_request_seeds(void)
{
    check_target("write_request");
}

static void test_read_request_seeds(void)
{
    check_target("read_request");
}

static const check_case cases[] = {CHECK_CASE(test_snappy_seeds), CHECK_CASE(test_write_request_seeds),
                                   CHECK_CASE(test_read_request_seeds)};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR [test...]\n", argv[0]);
        return 2;
    }
    corpus_root = argv[1];
    return check_run(cases, AUG_ARRAY_LEN(cases), argc - 1, argv + 1);
}
