/* Unit tests for src/export/smap.c: the bounded series → last-timestamp map
 * that keeps export's samples strictly increasing per series. The property
 * that matters is safety: whatever the map forgot, it never admits a
 * timestamp at or below one it admitted before for the same series. A
 * randomized run checks it against a reference that remembers everything. */
#include "util/common.h"
#include "export/export_int.h"
#include "util/mem.h"

#include "../check.h"

static util_hash128 H(uint64_t i)
{
    return util_hash128_of(&i, sizeof i);
}

static export_smap *new_map(size_t limit, int64_t floor)
{
    export_smap *m = NULL;
    CHECK_EQ_I64(export_smap_new(limit, floor, &m), AUG_OK);
    return m;
}

static void test_admit_and_rollback(void)
{
    export_smap *m = new_map(8, INT64_MIN);
    export_smap_undo u[8];
    CHECK_EQ_I64(export_smap_admit(m, H(1), 100, &u[0]), EXPORT_SMAP_OK);
    CHECK_EQ_I64(export_smap_admit(m, H(1), 100, &u[1]), EXPORT_SMAP_OLD); /* equal is not after */
    CHECK_EQ_I64(export_smap_admit(m, H(1), 99, &u[1]), EXPORT_SMAP_OLD);
    CHECK_EQ_I64(export_smap_admit(m, H(1), 101, &u[1]), EXPORT_SMAP_OK);
    CHECK_EQ_I64(export_smap_admit(m, H(2), INT64_MIN + 1, &u[2]), EXPORT_SMAP_OK);
    CHECK_EQ_I64(export_smap_count(m), 2);
    /* Undo the last two admissions: series 1 back to 100, series 2 gone. */
    export_smap_rollback(m, u + 1, 2);
    CHECK_EQ_I64(export_smap_count(m), 1);
    CHECK(export_smap_check(m));
    CHECK_EQ_I64(export_smap_admit(m, H(1), 100, &u[0]), EXPORT_SMAP_OLD);
    CHECK_EQ_I64(export_smap_admit(m, H(1), 101, &u[0]), EXPORT_SMAP_OK);
    CHECK_EQ_I64(export_smap_admit(m, H(2), INT64_MIN + 1, &u[0]), EXPORT_SMAP_OK);
    export_smap_free(m);

    export_smap *bad = (export_smap *)1;
    CHECK_EQ_I64(export_smap_new(0, 0, &bad), AUG_EINVAL);
    CHECK(bad == NULL);
}

static void test_floor(void)
{
    export_smap *m = new_map(4, 1000);
    export_smap_undo u;
    CHECK_EQ_I64(export_smap_floor(m), 1000);
    CHECK_EQ_I64(export_smap_admit(m, H(1), 1000, &u), EXPORT_SMAP_OLD); /* unknown, at the floor */
    CHECK_EQ_I64(export_smap_admit(m, H(1), 999, &u), EXPORT_SMAP_OLD);
    CHECK_EQ_I64(export_smap_admit(m, H(1), 1001, &u), EXPORT_SMAP_OK);
    export_smap_free(m);
}

static void test_eviction(void)
{
    enum { LIMIT = 100 };
    export_smap *m = new_map(LIMIT, INT64_MIN);
    export_smap_undo u;
    CHECK_EQ_I64(export_smap_reserve(m, LIMIT), AUG_OK);
    for (uint64_t i = 0; i < LIMIT; i++)
        CHECK_EQ_I64(export_smap_admit(m, H(i), (int64_t)i, &u), EXPORT_SMAP_OK);
    CHECK_EQ_I64(export_smap_admit(m, H(1000), 1000, &u), EXPORT_SMAP_FULL);
    CHECK_EQ_I64(export_smap_reserve(m, 0), AUG_OK); /* fits already: nothing happens */
    CHECK_EQ_I64(export_smap_count(m), LIMIT);
    /* Room for 10 more: the oldest quarter (ts 0..24) goes. */
    CHECK_EQ_I64(export_smap_reserve(m, 10), AUG_OK);
    CHECK(export_smap_check(m));
    CHECK_EQ_I64(export_smap_count(m), 75);
    CHECK_EQ_I64(export_smap_floor(m), 24);
    CHECK_EQ_I64(export_smap_admit(m, H(3), 24, &u), EXPORT_SMAP_OLD); /* forgotten, at the floor */
    CHECK_EQ_I64(export_smap_admit(m, H(3), 25, &u), EXPORT_SMAP_OK);  /* forgotten, above the floor */
    CHECK_EQ_I64(export_smap_admit(m, H(50), 50, &u), EXPORT_SMAP_OLD); /* kept: its own ts applies */
    CHECK_EQ_I64(export_smap_admit(m, H(50), 51, &u), EXPORT_SMAP_OK);
    export_smap_free(m);

    /* One evaluation (all the same ts) larger than the map: everything
     * goes at once, the floor becomes that ts, the excess is refused. */
    m = new_map(10, INT64_MIN);
    CHECK_EQ_I64(export_smap_reserve(m, 10), AUG_OK);
    for (uint64_t i = 0; i < 10; i++)
        CHECK_EQ_I64(export_smap_admit(m, H(i), 500, &u), EXPORT_SMAP_OK);
    CHECK_EQ_I64(export_smap_reserve(m, 15), AUG_OK);
    CHECK_EQ_I64(export_smap_count(m), 0);
    CHECK_EQ_I64(export_smap_floor(m), 500);
    size_t ok = 0, full = 0;
    for (uint64_t i = 100; i < 115; i++) {
        export_smap_rc rc = export_smap_admit(m, H(i), 600, &u);
        ok += rc == EXPORT_SMAP_OK;
        full += rc == EXPORT_SMAP_FULL;
    }
    CHECK(ok == 10 && full == 5);
    CHECK(export_smap_check(m));
    export_smap_free(m);
}

/* Reference model: every series' newest admitted ts, never forgotten. */
#define SERIES 600
static int64_t ref_last[SERIES];
static bool ref_known[SERIES];

static void test_random_against_reference(void)
{
    export_smap *m = new_map(200, INT64_MIN);
    export_smap_undo undo[64];
    int64_t clock = 0;
    size_t evictions = 0, admitted = 0, refused_known = 0;
    memset(ref_known, 0, sizeof ref_known);
    for (int round = 0; round < 3000; round++) {
        size_t n = 1 + check_rand() % 40;
        clock += (int64_t)(check_rand() % 3); /* sometimes the same ts again */
        int64_t floor_before = export_smap_floor(m);
        CHECK_EQ_I64(export_smap_reserve(m, n), AUG_OK);
        evictions += export_smap_floor(m) != floor_before;
        CHECK(export_smap_check(m));
        size_t nu = 0;
        uint64_t picked[64];
        int64_t saved_last[64];
        bool saved_known[64];
        for (size_t k = 0; k < n; k++) {
            /* A hot set written every round and a long tail of rare series. */
            uint64_t s = check_rand() % 4 ? check_rand() % 50 : 50 + check_rand() % (SERIES - 50);
            int64_t ts = clock - (int64_t)(check_rand() % 4 == 0 ? check_rand() % 40 : 0);
            export_smap_rc rc = export_smap_admit(m, H(s), ts, &undo[nu]);
            if (rc == EXPORT_SMAP_OK) {
                /* Safety: strictly after everything admitted before. */
                if (ref_known[s])
                    CHECK(ts > ref_last[s]);
                picked[nu] = s;
                saved_last[nu] = ref_last[s];
                saved_known[nu] = ref_known[s];
                ref_last[s] = ts;
                ref_known[s] = true;
                nu++;
            } else if (rc == EXPORT_SMAP_OLD && ref_known[s] && ts > ref_last[s]) {
                refused_known++; /* forgotten and at/below the floor: allowed, counted */
            }
        }
        if (check_rand() % 10 == 0) {
            export_smap_rollback(m, undo, nu); /* the commit failed: undo both */
            for (size_t k = nu; k-- > 0;) {
                ref_last[picked[k]] = saved_last[k];
                ref_known[picked[k]] = saved_known[k];
            }
        } else {
            admitted += nu;
        }
        CHECK(export_smap_check(m));
        CHECK(export_smap_count(m) <= 200);
    }
    CHECK(evictions > 10);
    CHECK(admitted > 10000);
    CHECK(refused_known > 0); /* the floor path was exercised */
    fprintf(stderr, "  %zu admitted, %zu evictions, %zu refused after being forgotten\n", admitted, evictions,
            refused_known);
    export_smap_free(m);
}

/* Memory follows the number of series, not the limit; the map grows by
 * rehashing and keeps every entry across growth; without a reserve the
 * table refuses rather than fill past half. */
static void test_growth(void)
{
    int64_t before = aug_mem_used();
    export_smap *m = new_map(1000000, INT64_MIN);
    CHECK(aug_mem_used() - before < 4096); /* 64 slots, no scratch */
    export_smap_undo u;
    size_t refused = 0;
    for (uint64_t i = 0; i < 100; i++)
        refused += export_smap_admit(m, H(i), 1, &u) == EXPORT_SMAP_FULL;
    CHECK_EQ_I64(refused, 68); /* 32 fit in 64 slots at load 1/2 */
    for (uint64_t i = 0; i < 5000; i += 50) {
        CHECK_EQ_I64(export_smap_reserve(m, 50), AUG_OK);
        for (uint64_t j = i; j < i + 50; j++)
            export_smap_admit(m, H(j), 2, &u);
        CHECK(export_smap_check(m));
    }
    CHECK_EQ_I64(export_smap_count(m), 5000);
    for (uint64_t i = 0; i < 5000; i++)
        CHECK_EQ_I64(export_smap_admit(m, H(i), 2, &u), EXPORT_SMAP_OLD); /* all still known */
    int64_t used = aug_mem_used() - before;
    CHECK(used > 5000 * 24 && used < 5000 * 24 * 5); /* ~4 slots per entry at most, no scratch */
    /* Growth that cannot allocate leaves the map as it was. */
    aug_mem_fail_after(0);
    CHECK_EQ_I64(export_smap_reserve(m, 100000), AUG_ENOMEM);
    aug_mem_fail_reset();
    CHECK_EQ_I64(export_smap_count(m), 5000);
    CHECK(export_smap_check(m));
    export_smap_free(m);
    CHECK_EQ_I64(aug_mem_used(), before);
}

CHECK_MAIN(CHECK_CASE(test_admit_and_rollback), CHECK_CASE(test_floor), CHECK_CASE(test_eviction),
           CHECK_CASE(test_random_against_reference), CHECK_CASE(test_growth))
