#!/usr/bin/python3
"""Integration tests of `augurctl backfill`: real LMDB stores, the real
daemon reading them back by remote-read, a second store fed the same
samples by remote-write to prove the two paths store the same thing, a
forecast target that learns the backfilled history when the daemon starts,
and a resumed forecast that learns what was backfilled into its gap."""
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augur_harness import Augur, binary  # noqa: E402

MIN = 60_000

CONFIG = """
storage:
  minute_retention: 14d
  hour_retention: 400d
ingest:
  keep: ['{__name__=~"it_bf_.*"}']
  close_delay: 1s
"""


def ctl(*args):
    return subprocess.run([binary("augurctl")] + list(args), capture_output=True, text=True, timeout=120)


def gen_points(start_s, n, seed):
    """n (unix seconds, value) points 5-25 s apart from start_s, in order."""
    rnd = random.Random(seed)
    t, out = start_s, []
    for _ in range(n):
        out.append((t, rnd.uniform(-50, 150)))
        t += rnd.randint(5, 25)
    return out


def write_csv(path, lines):
    with open(path, "w") as f:
        f.write("timestamp,value\n")
        for ts, v in lines:
            f.write("%s,%s\n" % (ts, v))


def as_csv_lines(points, datetime_every=0):
    """CSV fields for points: repr() values round-trip exactly through
    strtod; every datetime_every-th timestamp is written as a UTC date."""
    out = []
    for i, (t, v) in enumerate(points):
        ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) if datetime_every and i % datetime_every == 0 else t
        out.append((ts, "nan" if isinstance(v, float) and math.isnan(v) else repr(v)))
    return out


def stored_order(points):
    """What remote-writing points in timestamp order keeps: a stable sort,
    then the first of each timestamp."""
    seen, out = set(), []
    for t, v in sorted(points, key=lambda p: p[0]):
        if t not in seen:
            seen.add(t)
            out.append((t, v))
    return out


def minute_avgs(points):
    """{minute end ms: avg} computed here, independently of augur:
    the first sample of each timestamp, NaN skipped, summed in time order."""
    by_min = {}
    for t, v in stored_order(points):
        if math.isnan(v):
            continue
        by_min.setdefault(t // 60, []).append(v)
    return {(m + 1) * MIN - 1: sum(vs) / len(vs) for m, vs in by_min.items()}


def two_days_ago_s():
    return (int(time.time()) // 3600 - 48) * 3600


class Backfill(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="augur-bf-")
        self.daemons = []

    def tearDown(self):
        for a in self.daemons:
            a.stop()
            a.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def daemon(self, store):
        a = Augur(config=CONFIG, store=store)
        self.daemons.append(a)
        return a.start()

    def wait_closed(self, a, name, last_s):
        """Waits until the daemon's sweep has closed the minute of last_s
        (backfill leaves the newest minute and hour open, as a shutdown does)."""
        want = (last_s // 60 + 1) * MIN - 1
        deadline = time.time() + 20
        while time.time() < deadline:
            st, res = a.read([(want - MIN + 1, want, [("__name__", "=", name)], None)])
            self.assertEqual(st, 200, res)
            if res[0] and res[0][0][1] and res[0][0][1][-1][0] == want:
                return
            time.sleep(0.2)
        self.fail("minute of %d never closed:\n%s" % (last_s, a.logs()))

    def test_backfill_then_daemon_serves_exact_minute_averages(self):
        t0 = two_days_ago_s()
        pts = gen_points(t0, 3000, seed=7)  # ~12.5 hours
        # a NaN, a repeated timestamp (the first one wins) and lines out of order
        pts[100] = (pts[100][0], float("nan"))
        pts.insert(200, (pts[199][0], 1e6))
        pts[300], pts[301] = pts[301], pts[300]
        csv = self.path("it_bf_avg.csv")
        write_csv(csv, as_csv_lines(pts, datetime_every=7))
        store = self.path("data")
        p = ctl("backfill", "--storage.path=" + store, "--batch-samples=500", csv)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("it_bf_avg: 3001 samples", p.stderr)
        self.assertIn("2999 imported, 2 skipped (1 repeated timestamps in the file, 0 at or before the newest "
                      "stored sample, 1 NaN/Inf); 1 lines were out of order and were sorted", p.stderr)
        self.assertIn("1 new series", p.stderr)
        a = self.daemon(store)
        last = max(t for t, _ in pts)
        self.wait_closed(a, "it_bf_avg", last)
        want = minute_avgs(pts)
        st, res = a.read([(t0 * 1000, (last + 60) * 1000, [("__name__", "=", "it_bf_avg")], None)])
        self.assertEqual(st, 200, res)
        self.assertEqual(len(res[0]), 1)
        labels, got = res[0][0]
        self.assertEqual(labels, {"__name__": "it_bf_avg", "rollup": "avg"})
        self.assertEqual(dict(got), want)  # exact: same doubles summed in the same order

    def remote_write_in_order(self, a, labels, points, per_request=400):
        """What backfill promises to equal: the points remote-written in
        timestamp order (stable), in several requests."""
        ordered = sorted(points, key=lambda p: p[0])
        for i in range(0, len(ordered), per_request):
            chunk = [(t * 1000, v) for t, v in ordered[i:i + per_request]]
            st, body = a.write([(labels, chunk)])
            self.assertEqual(st, 204, body)

    def dump(self, store):
        ls = ctl("inspect", "--storage.path=" + store)
        self.assertEqual(ls.returncode, 0, ls.stderr)
        out = [ls.stdout]
        for res in ("minute", "hour"):
            d = ctl("inspect", "--storage.path=" + store, "--series", '{__name__=~"it_bf_.*"}', "--resolution", res)
            self.assertEqual(d.returncode, 0, d.stderr)
            out.append(d.stdout)
        return out

    def test_same_store_as_remote_write(self):
        t0 = two_days_ago_s()
        a_pts = gen_points(t0, 2500, seed=1)
        a_pts[50] = (a_pts[50][0], float("nan"))
        a_pts[400], a_pts[401] = a_pts[401], a_pts[400]
        b1 = gen_points(t0 + 600, 1500, seed=2)
        # b2 overlaps b1's tail: those samples are older than the stored ones
        b2 = gen_points(b1[-200][0] + 1, 1500, seed=3)
        for name, pts in (("it_bf_a.csv", a_pts), ("b1.csv", b1), ("b2.csv", b2)):
            write_csv(self.path(name), as_csv_lines(pts, datetime_every=11))
        series_b = 'it_bf_b{zone="z1",job="test"}'

        back = self.path("backfilled")
        p = ctl("backfill", "--storage.path=" + back, "--batch-samples=333", self.path("it_bf_a.csv"))
        self.assertEqual(p.returncode, 0, p.stderr)
        p = ctl("backfill", "--storage.path=" + back, "--series", series_b, self.path("b1.csv"), self.path("b2.csv"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("b2.csv: %s: 1500 samples" % series_b, p.stderr)
        older = sum(1 for t, _ in b2 if t <= b1[-1][0])
        self.assertGreater(older, 100)
        self.assertIn("0 repeated timestamps in the file, %d at or before the newest stored sample" % older, p.stderr)

        rw = self.daemon(self.path("written"))
        self.remote_write_in_order(rw, {"__name__": "it_bf_a"}, a_pts)
        lb = {"__name__": "it_bf_b", "job": "test", "zone": "z1"}
        self.remote_write_in_order(rw, lb, b1)
        self.remote_write_in_order(rw, lb, b2)
        self.assertEqual(rw.stop(), 0)

        # Let a daemon close each store's newest buckets (its sweep, close_delay
        # after start-up), read both through the postings (job="test"), stop.
        reads = []
        last_a, last_b = max(t for t, _ in a_pts), max(t for t, _ in b1 + b2)
        for store in (back, self.path("written")):
            d = self.daemon(store)
            self.wait_closed(d, "it_bf_a", last_a)
            self.wait_closed(d, "it_bf_b", last_b)
            st, res = d.read([(t0 * 1000, (last_b + 3600) * 1000, [("job", "=", "test"), ("rollup", "=~", ".+")],
                               None)])
            self.assertEqual(st, 200, res)
            reads.append(sorted((sorted(lab.items()), pts) for lab, pts in res[0]))
            self.assertEqual(d.stop(), 0)
        self.assertEqual(len(reads[0]), 7)  # it_bf_b under each of the 7 rollups
        self.assertEqual(reads[0], reads[1])
        dump_back, dump_rw = self.dump(back), self.dump(self.path("written"))
        self.assertEqual(dump_back[0], '1\tit_bf_a{}\n2\tit_bf_b{job="test",zone="z1"}\n')
        self.assertGreater(len(dump_back[1].splitlines()), 1000)
        self.assertGreater(len(dump_back[2].splitlines()), 20)
        self.assertEqual(dump_back, dump_rw)

    def test_refused_while_the_daemon_runs(self):
        store = self.path("data")
        a = self.daemon(store)
        csv = self.path("it_bf_lock.csv")
        write_csv(csv, as_csv_lines(gen_points(two_days_ago_s(), 100, seed=4)))
        p = ctl("backfill", "--storage.path=" + store, csv)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "augurctl backfill: %s is in use by another augur process "
                                   "(augur or augurctl backfill)\n" % store)
        ls = ctl("inspect", "--storage.path=" + store)
        self.assertNotIn("it_bf_lock", ls.stdout)
        self.assertEqual(a.stop(), 0)
        p = ctl("backfill", "--storage.path=" + store, csv)  # free again once augur stopped
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_samples_past_minute_retention_end_as_hours(self):
        """Like remote-write: backfill stores old samples; the daemon's
        retention pass at start-up deletes minute rollups past
        minute_retention and keeps the hourly ones."""
        old = (int(time.time()) // 3600 - 24 * 20) * 3600  # 20 days ago
        csv = self.path("it_bf_old.csv")
        pts = [(old + i * 30, float(i)) for i in range(360)]  # 3 hours
        write_csv(csv, as_csv_lines(pts))
        store = self.path("data")
        p = ctl("backfill", "--storage.path=" + store, csv)
        self.assertEqual(p.returncode, 0, p.stderr)

        def rows(res):
            d = ctl("inspect", "--storage.path=" + store, "--series", "it_bf_old", "--resolution", res)
            return d.stdout.strip().splitlines()[1:]
        self.assertEqual(len(rows("minute")), 179)  # the newest minute is still open
        self.assertEqual(len(rows("hour")), 2)
        a = self.daemon(store)
        # The sweep closes the newest minute and hour about a second after
        # start-up, next to the first retention pass; a minute closed after
        # that pass waits for the next one (10 minutes later).
        deadline = time.time() + 20
        while (len(rows("minute")) > 1 or len(rows("hour")) < 3) and time.time() < deadline:
            time.sleep(0.2)
        self.assertLessEqual(len(rows("minute")), 1)
        self.assertEqual(a.stop(), 0)
        self.assertEqual([r.split(",")[3] for r in rows("hour")], ["120", "120", "120"])

    def test_forecast_learns_backfilled_history(self):
        """Three days of a daily sine backfilled, then a daemon with a
        forecast on it: the new model is seeded from the stored minutes
        before its first live one (predict.c note 9), so after one new minute
        it is ready, and its forecast path follows the sine."""
        rnd = random.Random(11)
        now_s = int(time.time())
        end = now_s // 60 * 60 - 120  # the backfill's last minute; it stays open until the daemon runs
        start = end - 3 * 86400

        def sine(t):
            return 100 + 50 * math.sin(2 * math.pi * (t % 86400) / 86400)
        pts = [(t, sine(t) + rnd.gauss(0, 1)) for t in range(start, end + 60, 30)]
        csv = self.path("sine.csv")
        write_csv(csv, as_csv_lines(pts))
        store = self.path("data")
        p = ctl("backfill", "--storage.path=" + store, "--series", 'it_bf_sine{job="test"}', csv)
        self.assertEqual(p.returncode, 0, p.stderr)
        config = CONFIG + """
forecasts:
  - name: bfsine
    series: 'it_bf_sine'
    horizons: [15m, 1h]
"""
        a = Augur(config=config, store=store)
        self.daemons.append(a)
        a.start()
        # One new minute, complete (it ended before now): the sweep closes it.
        new = end + 60
        st, body = a.write([({"__name__": "it_bf_sine", "job": "test"},
                             [((new + 15) * 1000, sine(new + 15)), ((new + 45) * 1000, sine(new + 45))])])
        self.assertEqual(st, 204, body)
        seeded = 3 * 1440  # every stored minute before `end`, the first live one
        g, deadline = None, time.time() + 60
        while time.time() < deadline:
            st, body, _ = a.get("/api/v1/status")
            self.assertEqual(st, 200)
            fc = [f for f in json.loads(body)["data"]["forecasts"] if f["name"] == "bfsine"][0]
            g = fc["series"][0] if fc["series"] else None
            if g is not None and g["points"] >= seeded + 2:
                break
            time.sleep(0.2)
        self.assertIsNotNone(g, a.logs())
        self.assertEqual(g["labels"], {"job": "test"})
        self.assertEqual(g["seeded"], seeded)
        self.assertEqual(g["points"], seeded + 2)  # end and the new minute, live, once each
        self.assertEqual(g["last_bucket"], new)
        self.assertEqual(g["state"], "ready", g["reason"])
        m = a.metrics()
        self.assertEqual(m["augur_predict_seeded_buckets_total"], seeded)
        self.assertEqual(m["augur_predict_updates_total"], 2)
        self.assertIn('msg="forecast seeded from stored history" forecast=bfsine group="{job=\\"test\\"}" '
                      'buckets=%d from=%d to=%d' % (seeded, start, end - 60), a.logs())
        # The path over the next hour follows the backfilled sine.
        T = (new + 60) * 1000
        st, res = a.read([(T, T + 3600_000, [("__name__", "=", "ai_bfsine_forecast_path")], None)])
        self.assertEqual(st, 200, res)
        self.assertEqual(len(res[0]), 1)
        labels, path = res[0][0]
        self.assertEqual(labels, {"__name__": "ai_bfsine_forecast_path", "job": "test"})
        self.assertEqual([t for t, _ in path], [T + k * MIN for k in range(1, 61)])
        worst = max(abs(v - sine(t // 1000 - 30)) for t, v in path)  # a bucket's value is its average: mid-minute
        print("worst |forecast - sine| over the next hour: %.3f" % worst, file=sys.stderr)
        self.assertLess(worst, 5.0, path)  # amplitude 50, noise sigma 1
        self.assertEqual(a.stop(), 0)

    def test_forecast_fills_the_gap_after_a_restart(self):
        """A forecast learns ten live minutes around 100 and is saved at
        shutdown; twenty minutes around 300 are backfilled into the gap while
        the daemon is stopped; the restarted daemon resumes the saved model
        and, before its first live minute, learns exactly the stored minutes
        after the saved last one (predict.c note 10): nothing learned twice,
        and the path follows the new level."""
        store = self.path("data")
        config = CONFIG + """
forecasts:
  - name: bfgap
    series: 'it_bf_gap'
    horizons: [15m]
"""
        labels = {"__name__": "it_bf_gap", "job": "test"}
        m0 = int(time.time()) // 60 * 60 - 40 * 60
        a = Augur(config=config, store=store)
        self.daemons.append(a)
        a.start()

        def group():
            st, body, _ = a.get("/api/v1/status")
            self.assertEqual(st, 200)
            fc = [f for f in json.loads(body)["data"]["forecasts"] if f["name"] == "bfgap"][0]
            return fc["series"][0] if fc["series"] else None

        def wait_points(n):
            g, deadline = None, time.time() + 30
            while time.time() < deadline:
                g = group()
                if g is not None and g["points"] >= n:
                    return g
                time.sleep(0.2)
            self.fail("never %d points: %s\n%s" % (n, g, a.logs()))

        live = [((m + 15) * 1000, 100.0 + (m // 60) % 3) for m in range(m0, m0 + 600, 60)]
        live += [((m + 45) * 1000, 100.0 + (m // 60) % 3) for m in range(m0, m0 + 600, 60)]
        st, body = a.write([(labels, sorted(live))])
        self.assertEqual(st, 204, body)
        g = wait_points(10)  # the sweep closes every minute (they all ended)
        self.assertEqual((g["points"], g["seeded"], g["last_bucket"]), (10, 0, m0 + 540))
        self.assertEqual(a.stop(), 0)  # saves the model

        gap0, end = m0 + 600, m0 + 1740  # backfilled minutes gap0 .. end
        csv = self.path("gap.csv")
        write_csv(csv, [(t, repr(300.0 + (t // 60) % 3)) for t in range(gap0 + 15, end + 60, 30)])
        p = ctl("backfill", "--storage.path=" + store, "--series", 'it_bf_gap{job="test"}', csv)
        self.assertEqual(p.returncode, 0, p.stderr)

        a.start()  # the sweep closes `end`, which backfill left open: the first live minute
        new = end + 60
        st, body = a.write([(labels, [((new + 15) * 1000, 301.0), ((new + 45) * 1000, 301.0)])])
        self.assertEqual(st, 204, body)
        gap = (end - gap0) // 60  # stored minutes after the saved m0 + 540 and before `end`
        g = wait_points(10 + gap + 2)
        self.assertEqual(g["seeded"], gap)
        self.assertEqual(g["points"], 10 + gap + 2)  # end and the new minute, live, once each
        self.assertEqual(g["last_bucket"], new)
        m = a.metrics()
        self.assertEqual(m["augur_predict_model_loads_total"], 1)
        self.assertEqual(m["augur_predict_seeded_buckets_total"], gap)
        self.assertEqual(m["augur_predict_updates_total"], 2)
        self.assertIn('msg="forecast gap filled from stored history" forecast=bfgap group="{job=\\"test\\"}" '
                      'buckets=%d from=%d to=%d reads=%d seconds=' % (gap, gap0, end - 60, gap), a.logs())
        print("\n" + [ln for ln in a.logs().splitlines() if "gap filled" in ln][0], file=sys.stderr)
        T = (new + 60) * 1000
        st, res = a.read([(T, T + 900_000, [("__name__", "=", "ai_bfgap_forecast_path")], None)])
        self.assertEqual(st, 200, res)
        self.assertEqual(len(res[0]), 1)
        path = res[0][0][1]
        self.assertEqual(len(path), 15)
        self.assertTrue(all(250 < v < 350 for _, v in path), path)  # the gap's level, not the saved 100
        self.assertEqual(a.stop(), 0)

    def test_config_file_keeps_and_refuses_as_remote_write(self):
        """--config.file: backfill drops a series the config does not keep
        and refuses one over its label limit, as remote-write to a daemon
        with that config does; without it, everything is imported with the
        default limits."""
        strict = ("ingest:\n  keep: ['{__name__=\"it_bf_kept\"}']\n  max_labels_per_series: 2\n"
                  "  close_delay: 1s\n")
        cfg = self.path("strict.yml")
        with open(cfg, "w") as f:
            f.write(strict)
        pts = gen_points(two_days_ago_s(), 200, seed=9)
        kept, other = self.path("it_bf_kept.csv"), self.path("it_bf_other.csv")
        for path in (kept, other):
            write_csv(path, as_csv_lines(pts))

        back = self.path("backfilled")
        p = ctl("backfill", "--storage.path=" + back, "--config.file=" + cfg, kept, other)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("augurctl backfill: %s: it_bf_other: not kept (no ingest.keep selector, forecast or scaler "
                      "input of %s matches it): 200 samples dropped\n" % (other, cfg), p.stderr)
        self.assertIn("200 imported", p.stderr)

        rw = Augur(config=strict, store=self.path("written"))
        self.daemons.append(rw)
        rw.start()
        self.remote_write_in_order(rw, {"__name__": "it_bf_kept"}, pts)
        self.remote_write_in_order(rw, {"__name__": "it_bf_other"}, pts)
        st, body = rw.write([({"__name__": "it_bf_kept", "a": "1", "b": "2"}, [(pts[0][0] * 1000, 1.0)])])
        self.assertEqual(st, 413, body)
        self.assertEqual(rw.stop(), 0)
        listing = '1\tit_bf_kept{}\n'
        self.assertEqual(self.dump(back)[0], listing)
        self.assertEqual(self.dump(self.path("written"))[0], listing)

        # The rule remote-write names after "series 0: " is backfill's message.
        self.assertTrue(body.startswith("remote-write: series 0: "), body)
        rule = body[len("remote-write: series 0: "):].strip()
        self.assertEqual(rule, "3 labels, limit 2")
        three = 'it_bf_kept{a="1",b="2"}'
        p = ctl("backfill", "--storage.path=" + back, "--config.file=" + cfg, "--series", three, kept)
        self.assertEqual((p.returncode, p.stderr), (2, "augurctl backfill: --series '%s': %s\n" % (three, rule)))
        p = ctl("backfill", "--storage.path=" + self.path("defaults"), "--series", three, kept, other)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("400 samples read, 200 imported", p.stderr)

        bad = self.path("bad.yml")
        with open(bad, "w") as f:
            f.write("ingest:\n  keep: [up\n")
        p = ctl("backfill", "--storage.path=" + self.path("never"), "--config.file=" + bad, kept)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertTrue(p.stderr.startswith("augurctl backfill: %s:" % bad), p.stderr)
        self.assertFalse(os.path.exists(self.path("never")))

    def test_errors(self):
        store = self.path("data")
        good = self.path("it_bf_good.csv")
        write_csv(good, as_csv_lines(gen_points(two_days_ago_s(), 10, seed=5)))
        bad = self.path("bad.csv")
        with open(bad, "w") as f:
            f.write("timestamp,value\n1700000000,1\n\n1700000060,abc\n")
        cases = [
            # (args, exit code, stderr must contain)
            ([self.path("missing.csv")], 1, "augurctl backfill: cannot open %s: No such file" % self.path("missing.csv")),
            ([good, bad], 1, "augurctl backfill: %s:4: value 'abc' is not a number\n"
                             "augurctl backfill: nothing imported\n" % bad),
            (["--series", 'x{a=~"b"}', good], 2, "--series 'x{a=~\"b\"}': label \"a\": only = matchers name one series"),
            (["--series", 'x{1a="b"}', good], 2, "--series 'x{1a=\"b\"}': col 3:"),
            (["--series", '{"a.b"}', good], 2, "--series '{\"a.b\"}': invalid metric name \"a.b\""),
            (["--series", 'x{a="1",a="2"}', good], 2, "duplicate label \"a\""),
            ([self.tmp + "/"], 2, "cannot derive a series name from the file name; use --series"),
            (["--batch-samples=0", good], 2, "bad option --batch-samples 0"),
        ]
        for args, code, want in cases:
            p = ctl("backfill", "--storage.path=" + store, *args)
            self.assertEqual(p.returncode, code, (args, p.stderr))
            self.assertIn(want, p.stderr, args)
            self.assertFalse(os.path.exists(store), args)  # nothing was written, not even the directory
        for args in ([good], ["--storage.path=" + store]):
            p = ctl("backfill", *args)
            self.assertEqual(p.returncode, 2)
            self.assertIn("usage: augurctl backfill", p.stderr)
        far = self.path("far.csv")
        with open(far, "w") as f:
            f.write("timestamp,value\n1,1\n99999999999999999,2\n")
        p = ctl("backfill", "--storage.path=" + store, far)
        self.assertEqual((p.returncode, p.stderr.splitlines()[0]),
                         (1, "augurctl backfill: %s:3: timestamp 99999999999999999 is out of range" % far))
        p = ctl("backfill", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--series", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
