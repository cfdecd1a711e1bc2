/* Tests of `augurctl simulate` (tools/ctl_simulate.c) on a synthetic trace
 * whose right answer is worked out here by hand, with the real forecast
 * engine, plus the output formats and the error paths. The tool's source is
 * included so its entry point runs in-process.
 *
 * The step trace (tests/data/simulate_step.csv, timestamps written as
 * `YYYY-MM-DD HH:MM:SS`): 5-minute steps from 2015-03-01 00:00:00 UTC,
 * demand 20 for steps 0..287 (one day), then 60 for steps 288..335 (four
 * hours); S = 288, N = 336. The scaler (tests/data/simulate_step.yml):
 * target 0.5, lead 10 min (2 steps), and --capacity 10, so the need is
 * demand / 5: 4 before the step, 12 after. Initial replicas ceil(20/5) = 4.
 * Ready at step j = min(R[j-2], R[j-1], R[j]) (R before the trace = 4).
 *
 * HPA: steady at 4 (ratio 1). At S it sees 60 with 4 ready: ratio 3 →
 *   ceil(3 × 4) = 12. At S+1 the 8 pending replicas count at 0%: 12 / 12 =
 *   1 → keeps 12. Ready at S and S+1 is still 4 → 2 steps under = 10 min,
 *   shortfall 60 − 40 = 20; 1 action; replica-hours (4 × 288 + 12 × 48) / 12
 *   = 144.
 * Oracle: R[k] = max need over steps k..k+2, so 12 from step S−2 = 286 on:
 *   never under, 1 action, (4 × 286 + 12 × 50) / 12 = 145.333… replica-hours.
 * augur: the history is constant, so every forecast before the step is 20
 *   with a zero-width band (need exactly 4): it requests 4 at every step
 *   before S (during the cold start the reactive rule sees 20: also 4). It
 *   cannot know about the step before it happens, so it is under at S and
 *   S+1 like the HPA (at least 10 min). It must follow the new level within
 *   the engine's level-shift rule (an hour of same-sign outliers = 12 steps)
 *   plus the lead time: at most 14 steps = 70 min under. Once the forecast
 *   has settled at 60 the need is 12, and a request above 15 would mean
 *   a band wider than +25% on a flat series. So: under in [10, 70] min,
 *   requests in [4, 15], 4 before S and 12 at the end, replica-hours in
 *   [96 + 4 × 48 / 12, 96 + 15 × 48 / 12] = [112, 156], peak shortfall 20
 *   (never more than the HPA's: augur has at least 4 ready), actions <= 4.
 */
#include "../../../tools/ctl_simulate.c"

#include "../check.h"
#include "../ctl_capture.h"

#define S 288
#define N 336

static char trace[1024], config[1024], tmp_timeline[128], tmp_svg[128], tmp_csv[128];

static void setup(void)
{
    const char *dir = getenv("AUG_SRCDIR");
    snprintf(trace, sizeof trace, "%s/tests/data/simulate_step.csv", dir ? dir : ".");
    snprintf(config, sizeof config, "%s/tests/data/simulate_step.yml", dir ? dir : ".");
    snprintf(tmp_timeline, sizeof tmp_timeline, "/tmp/augur_sim_test_%d.csv", (int)getpid());
    snprintf(tmp_svg, sizeof tmp_svg, "/tmp/augur_sim_test_%d.svg", (int)getpid());
    snprintf(tmp_csv, sizeof tmp_csv, "/tmp/augur_sim_test_in_%d.csv", (int)getpid());
}

/* ---- a minimal reader of the JSON lines the tool prints ---- */

/* The line of ctl_out whose "policy" is pol, copied into buf. */
static bool json_line(const char *pol, char *buf, size_t cap)
{
    char key[64];
    snprintf(key, sizeof key, "{\"policy\":\"%s\"", pol);
    const char *p = strstr(ctl_out, key);
    if (p == NULL)
        return false;
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n >= cap)
        return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return true;
}

static double json_field(const char *line, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", name);
    const char *p = strstr(line, key);
    if (p == NULL)
        return (double)NAN;
    p += strlen(key);
    if (strncmp(p, "true", 4) == 0)
        return 1;
    if (strncmp(p, "false", 5) == 0)
        return 0;
    char *end;
    double v = strtod(p, &end);
    return end == p ? (double)NAN : v;
}

/* Every line of ctl_out is one object: braces balanced, strings closed,
 * `"key":value` pairs separated by commas. */
static bool json_lines_well_formed(const char *s, int *lines)
{
    *lines = 0;
    while (*s) {
        if (*s != '{')
            return false;
        int depth = 0;
        bool in_str = false;
        for (; *s && *s != '\n'; s++) {
            if (in_str) {
                if (*s == '\\' && s[1] != '\0')
                    s++;
                else if (*s == '"')
                    in_str = false;
            } else if (*s == '"') {
                in_str = true;
            } else if (*s == '{') {
                depth++;
            } else if (*s == '}') {
                depth--;
            } else if (strchr("0123456789.-+eE:,truefalsn", *s) == NULL) {
                return false;
            }
        }
        if (in_str || depth != 0 || *s != '\n')
            return false;
        s++;
        (*lines)++;
    }
    return *lines > 0;
}

/* ---- the known answer ---- */

static void test_step_trace_known_answer(void)
{
    setup();
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", config, "--capacity", "10",
                          "--warmup", "0", "--format", "json", "--timeline", tmp_timeline, (const char *)NULL),
                 0);
    int lines;
    CHECK(json_lines_well_formed(ctl_out, &lines));
    CHECK_EQ_I64(lines, 3);
    char a[1024], h[1024], o[1024];
    CHECK(json_line("augur", a, sizeof a));
    CHECK(json_line("hpa", h, sizeof h));
    CHECK(json_line("oracle", o, sizeof o));

    /* Every policy object has the fields the docs promise. */
    static const char *const fields[] = {"scored_steps", "capacity_per_replica", "minutes_under_capacity",
                                         "replica_hours", "scale_actions", "peak_shortfall", "step_s"};
    for (size_t i = 0; i < AUG_ARRAY_LEN(fields); i++) {
        CHECK(isfinite(json_field(a, fields[i])));
        CHECK(isfinite(json_field(h, fields[i])));
        CHECK(isfinite(json_field(o, fields[i])));
    }
    CHECK(strstr(a, "\"scaler\":\"step\"") != NULL);
    CHECK(strstr(a, "\"capacity_source\":\"--capacity\"") != NULL);
    CHECK(strstr(a, "\"forecast\":\"engine\"") != NULL);
    CHECK_NEAR(json_field(a, "capacity_per_replica"), 10, 0);
    CHECK_NEAR(json_field(a, "step_s"), 300, 0);
    CHECK_NEAR(json_field(a, "lead_time_s"), 600, 0);
    CHECK_NEAR(json_field(o, "target"), 0.5, 0);
    CHECK_NEAR(json_field(a, "scored_steps"), N, 0);

    /* HPA, exactly. */
    CHECK_NEAR(json_field(h, "minutes_under_capacity"), 10, 0);
    CHECK_NEAR(json_field(h, "replica_hours"), 144, 1e-9);
    CHECK_NEAR(json_field(h, "scale_actions"), 1, 0);
    CHECK_NEAR(json_field(h, "peak_shortfall"), 20, 0);
    /* Oracle, exactly. */
    CHECK_NEAR(json_field(o, "minutes_under_capacity"), 0, 0);
    CHECK_NEAR(json_field(o, "replica_hours"), (4.0 * 286 + 12.0 * 50) / 12, 1e-6);
    CHECK_NEAR(json_field(o, "scale_actions"), 1, 0);
    CHECK_NEAR(json_field(o, "peak_shortfall"), 0, 0);
    /* augur, within the bounds derived above. */
    double under = json_field(a, "minutes_under_capacity"), rh = json_field(a, "replica_hours");
    CHECK(under >= 10 && under <= 70);
    CHECK(rh >= 112 - 1e-9 && rh <= 156 + 1e-9);
    CHECK_NEAR(json_field(a, "peak_shortfall"), 20, 0);
    CHECK(json_field(a, "scale_actions") >= 1 && json_field(a, "scale_actions") <= 4);
    /* The goal fields are consistent with the figures. */
    CHECK_NEAR(json_field(a, "under_reduction_vs_hpa"), 1 - under / 10, 1e-9);
    CHECK_NEAR(json_field(a, "replica_hours_vs_oracle"), rh / ((4.0 * 286 + 12.0 * 50) / 12), 1e-6);
    CHECK_NEAR(json_field(a, "goal_met"), 0, 0); /* under at least as long as the HPA */

    /* Timeline: a header and one row per step, with augur's requests. */
    FILE *f = fopen(tmp_timeline, "r");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    char line[512];
    CHECK(fgets(line, sizeof line, f) != NULL);
    CHECK_STR(line, "timestamp,demand,augur_requested,augur_ready,hpa_requested,hpa_ready,oracle_requested,"
                    "oracle_ready,forecast_mean,forecast_lo,forecast_hi,augur_action,augur_reactive,augur_floor\n");
    int rows = 0, last_req = -1;
    bool req_ok = true, before_ok = true, ts_ok = true, hpa_ok = true, oracle_ok = true, floor_ok = true;
    while (fgets(line, sizeof line, f) != NULL) {
        long long ts;
        double dem;
        int ar, ad, hr, hd, orq, od;
        if (sscanf(line, "%lld,%lf,%d,%d,%d,%d,%d,%d", &ts, &dem, &ar, &ad, &hr, &hd, &orq, &od) != 8) {
            fprintf(stderr, "timeline row %d does not parse: %s", rows, line);
            CHECK(false);
            break;
        }
        ts_ok &= ts == 1425168000LL + 300LL * rows; /* 2015-03-01 00:00:00 UTC */
        req_ok &= ar >= 4 && ar <= 15;
        if (rows < S)
            before_ok &= ar == 4 && dem == 20;
        hpa_ok &= hr == (rows < S ? 4 : 12) && hd == (rows < S + 2 ? 4 : 12);
        oracle_ok &= orq == (rows < S - 2 ? 4 : 12) && od == (rows < S ? 4 : 12);
        last_req = ar;
        floor_ok &= strcmp(line + strlen(line) - 2, ",\n") == 0; /* no floor configured: empty */
        rows++;
    }
    fclose(f);
    CHECK_EQ_I64(rows, N);
    CHECK(ts_ok);
    CHECK(req_ok);
    CHECK(before_ok);
    CHECK(hpa_ok);
    CHECK(oracle_ok);
    CHECK(floor_ok);
    CHECK_EQ_I64(last_req, 12);
    remove(tmp_timeline);
}

/* --forecast perfect: the scaler sees the true future with a zero-width
 * band. With window 1m the scale-up window holds only the point at +10 min,
 * so at step S-2 it sees 60 (need 12) and requests 12, ready at S: exactly
 * the oracle's sequence (never under, 1 action, the same replica-hours). */
static void test_perfect_forecast_equals_the_oracle(void)
{
    setup();
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", config, "--capacity", "10",
                          "--warmup", "0", "--format", "json", "--forecast", "perfect", (const char *)NULL),
                 0);
    char a[1024], o[1024];
    CHECK(json_line("augur", a, sizeof a));
    CHECK(json_line("oracle", o, sizeof o));
    CHECK(strstr(a, "\"forecast\":\"perfect\"") != NULL);
    CHECK_NEAR(json_field(a, "minutes_under_capacity"), 0, 0);
    CHECK_NEAR(json_field(a, "replica_hours"), (4.0 * 286 + 12.0 * 50) / 12, 1e-6);
    CHECK_NEAR(json_field(a, "scale_actions"), 1, 0);
    CHECK_NEAR(json_field(a, "goal_met"), 1, 0);
    /* One jump, as the oracle's: nothing had to start early. */
    CHECK_NEAR(json_field(a, "early_start_steps"), 0, 0);
}

/* The table names the capacity it used; the derived default is the median
 * non-zero demand (20) needing 5 replicas at target 0.5: 20 / 2.5 = 8. */
static void test_table_and_derived_capacity(void)
{
    setup();
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", config, (const char *)NULL), 0);
    CHECK(strstr(ctl_out, "capacity  8 demand units per replica at 100% (derived: the median non-zero demand 20 "
                          "needs 5 replicas at target 0.5") != NULL);
    CHECK(strstr(ctl_out, "scored from 2015-03-02 00:00:00 (warm-up 1d): 48 steps") != NULL);
    CHECK(strstr(ctl_out, "policy ") != NULL && strstr(ctl_out, "\naugur ") != NULL &&
          strstr(ctl_out, "\nhpa ") != NULL && strstr(ctl_out, "\noracle ") != NULL);
    CHECK(strstr(ctl_out, "goal: under capacity") != NULL);
    /* --scaler picks the second scaler: target 0.25, so need = demand /
     * 2.5 = 8, then 24, but max_replicas keeps the config default 10. The
     * HPA goes 8 → 10 at the step: (8 × 288 + 10 × 48) / 12 = 232
     * replica-hours, never under (8 ready serve 80 > 60). */
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", config, "--scaler", "other",
                          "--capacity", "10", "--warmup", "0", "--format", "json", (const char *)NULL),
                 0);
    char h[1024];
    CHECK(json_line("hpa", h, sizeof h));
    CHECK_NEAR(json_field(h, "replica_hours"), 232, 1e-9);
    CHECK_NEAR(json_field(h, "minutes_under_capacity"), 0, 0);
    CHECK(strstr(h, "\"scaler\":\"other\"") != NULL);
}

/* Minimal XML well-formedness: every tag closed in order, attributes
 * quoted, no stray '<' or '&' in text. */
static bool xml_well_formed(const char *s)
{
    char stack[32][32];
    int depth = 0, roots = 0;
    if (strncmp(s, "<?xml", 5) == 0) {
        s = strstr(s, "?>");
        if (s == NULL)
            return false;
        s += 2;
    }
    while (*s) {
        if (*s == '&') {
            if (strncmp(s, "&amp;", 5) && strncmp(s, "&lt;", 4) && strncmp(s, "&gt;", 4) && strncmp(s, "&quot;", 6))
                return false;
            s++;
            continue;
        }
        if (*s != '<') {
            if (depth == 0 && *s != '\n' && *s != ' ')
                return false;
            s++;
            continue;
        }
        bool close = s[1] == '/';
        const char *name = s + 1 + close;
        size_t nl = strcspn(name, " />\n");
        if (nl == 0 || nl >= 32)
            return false;
        const char *e = name + nl;
        bool in_q = false;
        while (*e && (in_q || *e != '>')) {
            if (*e == '"')
                in_q = !in_q;
            else if (*e == '<')
                return false;
            e++;
        }
        if (*e != '>')
            return false;
        bool self = e[-1] == '/';
        if (close) {
            if (depth == 0 || strncmp(stack[depth - 1], name, nl) != 0 || stack[depth - 1][nl] != '\0')
                return false;
            depth--;
        } else if (!self) {
            if (depth == 0)
                roots++;
            if (depth == 32)
                return false;
            memcpy(stack[depth], name, nl);
            stack[depth][nl] = '\0';
            depth++;
        }
        s = e + 1;
    }
    return depth == 0 && roots == 1;
}

static void test_plot_is_well_formed_svg(void)
{
    setup();
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", config, "--capacity", "10",
                          "--plot", tmp_svg, "--plot-from", "2015-03-01 20:00:00", (const char *)NULL),
                 0);
    FILE *f = fopen(tmp_svg, "r");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    static char svg[1 << 20];
    size_t n = fread(svg, 1, sizeof svg - 1, f);
    svg[n] = '\0';
    fclose(f);
    CHECK(n > 0 && n < sizeof svg - 1);
    CHECK(xml_well_formed(svg));
    CHECK(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
    /* demand + three capacity lines, and a forecast band */
    int polylines = 0;
    for (const char *p = svg; (p = strstr(p, "<polyline")) != NULL; p++)
        polylines++;
    CHECK_EQ_I64(polylines, 4);
    CHECK(strstr(svg, "<polygon") != NULL);
    CHECK(strstr(svg, "2015-03-01 20:00:00 – 2015-03-02 04:00:00 UTC") != NULL);
    CHECK(!xml_well_formed("<svg><g></svg></g>"));
    CHECK(!xml_well_formed("<svg>a & b</svg>"));
    remove(tmp_svg);
}

/* ---- input handling ---- */

static void write_csv(const char *text)
{
    FILE *f = fopen(tmp_csv, "w");
    fputs(text, f);
    fclose(f);
}

static void test_trace_errors_and_duplicates(void)
{
    setup();
    write_csv("timestamp,value\n1425168000,5\n1425168300,-1\n");
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", tmp_csv, "--config", config, (const char *)NULL), 1);
    CHECK(strstr(ctl_err, ".csv:3: demand -1 is not a finite number >= 0") != NULL);
    write_csv("timestamp,value\n1425168000,5\n1425168300,nan\n");
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", tmp_csv, "--config", config, (const char *)NULL), 1);
    CHECK(strstr(ctl_err, ".csv:3: demand nan is not a finite number") != NULL);
    write_csv("timestamp,value\n2015-02-30 00:00:00,5\n");
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", tmp_csv, "--config", config, (const char *)NULL), 1);
    CHECK(strstr(ctl_err, ".csv:2: timestamp '2015-02-30 00:00:00' is neither") != NULL);
    /* A repeated timestamp (the NAB disk trace over a DST change) is
     * dropped and counted; the rest is simulated. */
    write_csv("timestamp,value\n"
              "2015-03-01 00:00:00,10\n2015-03-01 00:05:00,10\n2015-03-01 00:05:00,10\n2015-03-01 00:10:00,10\n"
              "2015-03-01 00:15:00,10\n");
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", tmp_csv, "--config", config, "--warmup", "0",
                          "--format", "json", (const char *)NULL),
                 0);
    CHECK(strstr(ctl_err, "dropped 1 point(s) whose timestamp is not after the previous one (first at line 4)") !=
          NULL);
    char a[1024];
    CHECK(json_line("augur", a, sizeof a));
    CHECK_NEAR(json_field(a, "scored_steps"), 4, 0);
    /* Everything inside the warm-up: nothing to score is an error. */
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", tmp_csv, "--config", config, (const char *)NULL), 1);
    CHECK(strstr(ctl_err, "nothing scored") != NULL);
    remove(tmp_csv);
}

static void test_config_errors_and_usage(void)
{
    setup();
    /* Config errors are printed as `augurctl check config` prints them. */
    write_csv("scalers:\n  - name: web\n    target: 0.7\n    lead_time: 10x\n");
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", tmp_csv, (const char *)NULL), 1);
    CHECK(strstr(ctl_err, ".csv:4:16: ") != NULL);
    CHECK(strstr(ctl_err, "FAILED (") != NULL);
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", config, "--scaler", "nope",
                          (const char *)NULL),
                 1);
    CHECK(strstr(ctl_err, "has no scaler named 'nope'") != NULL);
    write_csv("forecasts:\n  - name: d\n    series: 'd'\n    horizons: [1h]\n"
              "scalers:\n  - name: web\n    forecast: d\n    replicas: 'r'\n    target: 0.7\n"
              "    scale_up: {stabilization: 1m}\n");
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", tmp_csv, (const char *)NULL), 1);
    /* refused by config validation, at the value, before any simulation */
    CHECK(strstr(ctl_err, ".csv:10:31: scalers[0].scale_up.stabilization: 1m is not supported") != NULL);
    /* The replay's model takes the forecast's season: 5m is two minute
     * buckets for the daemon but one step of this 5-minute trace, which the
     * engine refuses; 2h (24 steps) runs. */
    static const char season_cfg[] = "forecasts:\n  - name: d\n    series: 'd'\n    horizons: [1h]\n    season: %s\n"
                                     "scalers:\n  - name: web\n    forecast: d\n    replicas: 'r'\n    target: 0.7\n";
    char yml[512];
    snprintf(yml, sizeof yml, season_cfg, "5m");
    write_csv(yml);
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", tmp_csv, (const char *)NULL), 1);
    CHECK(strstr(ctl_err, "forecast model: season 300s is 1 step(s) of 300s") != NULL);
    snprintf(yml, sizeof yml, season_cfg, "2h");
    write_csv(yml);
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", tmp_csv, (const char *)NULL), 0);
    remove(tmp_csv);

    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--help", (const char *)NULL), 0);
    CHECK(strstr(ctl_out, "usage: augurctl simulate --trace F.csv --config FILE") != NULL);
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, (const char *)NULL), 2);
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", config, "--format", "xml",
                          (const char *)NULL),
                 2);
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", config, "--capacity", "0",
                          (const char *)NULL),
                 2);
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", config, "--forecast", "magic",
                          (const char *)NULL),
                 2);
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", config, "--warmup", "1x",
                          (const char *)NULL),
                 2);
    CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", "/nonexistent.csv", "--config", config,
                          (const char *)NULL),
                 1);
    CHECK(strstr(ctl_err, "cannot open /nonexistent.csv") != NULL);
}

/* The scaler's forecast is built as the daemon builds it
 * (cfg_forecast_fc_params): `model: naive` forecasts the last value, so the
 * band issued 2 steps (the lead) before step S+2 is the 60 seen at S, where
 * the auto ensemble is still between the levels; the header names the
 * model. */
static double fc_mean_at(int row)
{
    FILE *f = fopen(tmp_timeline, "r");
    if (f == NULL)
        return (double)NAN;
    char line[512];
    double mean = (double)NAN;
    for (int k = -1; fgets(line, sizeof line, f) != NULL; k++) {
        const char *p = line;
        for (int c = 0; k == row && c < 8 && p != NULL; c++) /* forecast_mean is the 9th column */
            if ((p = strchr(p, ',')) != NULL)
                p++;
        if (k == row && p != NULL)
            mean = strtod(p, NULL);
    }
    fclose(f);
    return mean;
}

static void test_forecast_model_from_config(void)
{
    setup();
    char naive[1024];
    snprintf(naive, sizeof naive, "/tmp/augur_sim_test_naive_%d.yml", (int)getpid());
    FILE *src = fopen(config, "r"), *dst = fopen(naive, "w");
    CHECK(src != NULL && dst != NULL);
    if (src == NULL || dst == NULL)
        return;
    char line[256];
    while (fgets(line, sizeof line, src) != NULL) {
        fputs(line, dst);
        if (strcmp(line, "    horizons: [1h]\n") == 0)
            fputs("    model: naive\n", dst);
    }
    fclose(src);
    fclose(dst);

    double mean[2];
    const char *cfgs[2] = {config, naive}, *names[2] = {"auto", "naive"};
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_I64(ctl_runv(ctl_simulate, "simulate", "--trace", trace, "--config", cfgs[i], "--capacity", "10",
                              "--warmup", "0", "--timeline", tmp_timeline, (const char *)NULL),
                     0);
        char head[64];
        snprintf(head, sizeof head, "forecast  augur's engine (%s), fed", names[i]);
        CHECK(strstr(ctl_out, head) != NULL);
        mean[i] = fc_mean_at(S + 2);
        CHECK_NEAR(fc_mean_at(S - 1), 20, 1e-9); /* a flat history: both forecast it */
    }
    CHECK_NEAR(mean[1], 60, 1e-9);
    CHECK(mean[0] < 59);
    remove(tmp_timeline);
    remove(naive);
}

static void test_timestamp_formats(void)
{
    int64_t t;
    CHECK(ctl_parse_ts("1425168000", &t) && t == 1425168000);
    CHECK(ctl_parse_ts("2015-03-01 00:00:00", &t) && t == 1425168000);
    CHECK(ctl_parse_ts("2015-03-01T00:00:00Z", &t) && t == 1425168000);
    CHECK(ctl_parse_ts("1970-01-01 00:00:00", &t) && t == 0);
    CHECK(ctl_parse_ts("2016-02-29 23:59:59", &t) && t == 1456790399);
    CHECK(ctl_parse_ts("2000-02-29 12:00:00", &t) && t == 951825600);
    CHECK(ctl_parse_ts("1969-12-31 23:59:59", &t) && t == -1);
    CHECK(!ctl_parse_ts("2015-02-29 00:00:00", &t));
    CHECK(!ctl_parse_ts("1900-02-29 00:00:00", &t));
    CHECK(!ctl_parse_ts("2015-13-01 00:00:00", &t));
    CHECK(!ctl_parse_ts("2015-03-01 24:00:00", &t));
    CHECK(!ctl_parse_ts("2015-03-01 00:00", &t));
    CHECK(!ctl_parse_ts("2015-3-1 00:00:00", &t));
}

CHECK_MAIN(CHECK_CASE(test_step_trace_known_answer), CHECK_CASE(test_perfect_forecast_equals_the_oracle),
           CHECK_CASE(test_table_and_derived_capacity),
           CHECK_CASE(test_plot_is_well_formed_svg), CHECK_CASE(test_trace_errors_and_duplicates),
           CHECK_CASE(test_config_errors_and_usage), CHECK_CASE(test_forecast_model_from_config),
           CHECK_CASE(test_timestamp_formats))
