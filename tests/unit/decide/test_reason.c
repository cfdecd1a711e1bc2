/* Unit tests for the text helpers of src/decide/decide.c (included to reach
 * its statics; this executable does not link decide.o from the core
 * library): number and duration formats, and truncation that never splits
 * a UTF-8 sequence. */
#include "decide/decide.c"

#include "../check.h"

static void test_fmt_num(void)
{
    CHECK_STR(fmt_num(70).s, "70");
    CHECK_STR(fmt_num(130.5).s, "130.5");
    CHECK_STR(fmt_num(0.84).s, "0.84");
    CHECK_STR(fmt_num(5000).s, "5000");
    CHECK_STR(fmt_num(12345.67).s, "12346");
    CHECK_STR(fmt_num(-0.001).s, "0");
    CHECK_STR(fmt_num((double)NAN).s, "n/a");
    CHECK_STR(fmt_num(1e20).s, "1e+20");
    CHECK_STR(fmt_pct(0.7).s, "70%");
    CHECK_STR(fmt_pct(0.125).s, "12.5%");
}

static void test_fmt_dur(void)
{
    CHECK_STR(fmt_dur(0).s, "0 s");
    CHECK_STR(fmt_dur(45).s, "45 s");
    CHECK_STR(fmt_dur(150).s, "2 min 30 s");
    CHECK_STR(fmt_dur(600).s, "10 min");
    CHECK_STR(fmt_dur(3600).s, "1 h");
    CHECK_STR(fmt_dur(7500).s, "2 h 5 min");
    CHECK_STR(fmt_dur(86400).s, "1 d");
    CHECK_STR(fmt_dur(97200).s, "1 d 3 h");
    CHECK_STR(fmt_dur(-5).s, "0 s");
    CHECK_STR(fmt_secs(0.05).s, "50 ms");
    CHECK_STR(fmt_secs(1.5).s, "1.5 s");
}

static void test_truncation_keeps_utf8(void)
{
    char buf[8];
    sbuf b = {buf, sizeof buf, 0, false};
    sb_printf(&b, "ab→cd→ef"); /* 7 bytes fit: "ab→cd" */
    CHECK_STR(buf, "ab→cd");
    char small[5];
    sbuf c = {small, sizeof small, 0, false};
    sb_printf(&c, "abc→d"); /* 4 bytes fit, the 4th starts "→": dropped */
    CHECK_STR(small, "abc");
    sb_printf(&c, "x"); /* nothing more after a truncation */
    CHECK_STR(small, "abc");
    char ok[16];
    sbuf d = {ok, sizeof ok, 0, false};
    sb_printf(&d, "a→");
    sb_printf(&d, "b");
    CHECK_STR(ok, "a→b");
}

/* Every brake at once: the reason stays within its buffer, NUL-terminated. */
static void test_long_reason_bounded(void)
{
    decide_params p;
    decide_params_init(&p, DECIDE_MODE_QUEUE);
    p.max_replicas = 30;
    p.up = (decide_bucket){4, 1};
    decide_state st;
    decide_state_init(&st, &p);
    decide_point pts[12];
    for (int i = 0; i < 12; i++)
        pts[i] = (decide_point){123456.789, 1, 234567.891, 1, 345678.912};
    decide_forecast_path fc = {.origin_s = 1700000000, .step_s = 300, .model = DECIDE_MODEL_WARMING,
                               .recent_error = 0.1, .n = 12, .cap = 12, .points = pts};
    decide_input in = {.now_s = 1700000000, .current_replicas = 3, .observed = 98765.4321, .fc = &fc,
                       .queue_length = 1234567, .service_time_s = 0.123};
    decide_output out;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    size_t n = strlen(out.reason);
    CHECK(n > 0 && n < DECIDE_REASON_MAX);
    CHECK_EQ_I64(out.desired, 7); /* bucket: +4 of the +27 wanted */
    CHECK(out.limits & DECIDE_LIMIT_BUCKET_UP);
    CHECK(out.limits & DECIDE_LIMIT_MAX);
    CHECK(strstr(out.reason, "; capped at max 30; wanted +27, the scale-up budget allows 4 (4 tokens") != NULL);
}

CHECK_MAIN(CHECK_CASE(test_fmt_num), CHECK_CASE(test_fmt_dur), CHECK_CASE(test_truncation_keeps_utf8),
           CHECK_CASE(test_long_reason_bounded))
