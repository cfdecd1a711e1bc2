/* test_accuracy.c — the rolling forecast error (forecast/accuracy.h), with
 * every value computed by hand. */
#include "../check.h"

#include "forecast/accuracy.h"

static void test_empty_is_unknown(void)
{
    fc_acc a;
    fc_acc_reset(&a);
    CHECK(isnan(fc_acc_error(&a)));
    CHECK(fc_acc_check(&a));
}

/* sum |y - yhat| / sum |y| = (10 + 10 + 6) / (100 + 50 + 20) = 26 / 170. */
static void test_weighted(void)
{
    fc_acc a;
    fc_acc_reset(&a);
    CHECK(fc_acc_add(&a, 100, 90));
    CHECK(fc_acc_add(&a, 50, 60));
    CHECK(fc_acc_add(&a, -20, -26));
    CHECK_EQ_I64(a.n, 3);
    CHECK(fabs(fc_acc_error(&a) - 26.0 / 170.0) < 1e-15);
}

/* Small counts: actuals 1, 2, 1, 40 forecast as 2, 1, 2, 38. The plain mean
 * of percentage errors would be (1 + 0.5 + 1 + 0.05) / 4 = 0.64; the
 * weighted error is 5 / 44. A zero actual adds its error, not a division. */
static void test_small_counts_and_zero(void)
{
    fc_acc a;
    fc_acc_reset(&a);
    fc_acc_add(&a, 1, 2);
    fc_acc_add(&a, 2, 1);
    fc_acc_add(&a, 1, 2);
    fc_acc_add(&a, 40, 38);
    CHECK(fabs(fc_acc_error(&a) - 5.0 / 44.0) < 1e-15);
    CHECK(fc_acc_add(&a, 0, 3));
    CHECK(fabs(fc_acc_error(&a) - 8.0 / 44.0) < 1e-15);
}

static void test_all_zero_actuals(void)
{
    fc_acc a;
    fc_acc_reset(&a);
    fc_acc_add(&a, 0, 0);
    CHECK(fc_acc_error(&a) == 0.0);
    fc_acc_add(&a, 0, 0.5);
    CHECK(isinf(fc_acc_error(&a)) && fc_acc_error(&a) > 0);
}

static void test_non_finite_ignored(void)
{
    fc_acc a;
    fc_acc_reset(&a);
    CHECK(!fc_acc_add(&a, (double)NAN, 1));
    CHECK(!fc_acc_add(&a, 1, (double)INFINITY));
    CHECK_EQ_I64(a.n, 0);
}

/* The window keeps the last FC_ACC_WINDOW entries: 64 entries of error 1
 * on actual 1, then 16 exact ones: 48 / 64. */
static void test_window_rolls(void)
{
    fc_acc a;
    fc_acc_reset(&a);
    for (int i = 0; i < FC_ACC_WINDOW; i++)
        fc_acc_add(&a, 1, 2);
    CHECK(fabs(fc_acc_error(&a) - 1.0) < 1e-15);
    for (int i = 0; i < 16; i++)
        fc_acc_add(&a, 1, 1);
    CHECK_EQ_I64(a.n, FC_ACC_WINDOW);
    CHECK_EQ_I64(a.head, 16);
    CHECK(fabs(fc_acc_error(&a) - 48.0 / 64.0) < 1e-15);
}

static void test_check(void)
{
    fc_acc a;
    fc_acc_reset(&a);
    fc_acc_add(&a, 3, 1);
    CHECK(fc_acc_check(&a));
    a.head = FC_ACC_WINDOW;
    CHECK(!fc_acc_check(&a));
    a.head = 1;
    a.n = FC_ACC_WINDOW + 1;
    CHECK(!fc_acc_check(&a));
    a.n = 1;
    a.err[5] = -1;
    CHECK(!fc_acc_check(&a));
    a.err[5] = 0;
    a.act[0] = (double)NAN;
    CHECK(!fc_acc_check(&a));
}

CHECK_MAIN(CHECK_CASE(test_empty_is_unknown), CHECK_CASE(test_weighted), CHECK_CASE(test_small_counts_and_zero),
           CHECK_CASE(test_all_zero_actuals), CHECK_CASE(test_non_finite_ignored), CHECK_CASE(test_window_rolls),
           CHECK_CASE(test_check))
