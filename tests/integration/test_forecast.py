#!/usr/bin/python3
"""Integration tests for forecasts in the running daemon: the real augur with
a forecast target on minute resolution is backfilled with two days of a
seasonal series by remote-write (real snappy + protobuf, a few big requests
with old timestamps, all series of a time chunk in one request), then
/api/v1/status must show the target and its model, and remote-read of
ai_<name>_forecast_path (+ _lower/_upper) over a future range must return a
plausible forecast at future timestamps; the model resumes after a restart
with the identical path; and the latency from a bucket closing to its
forecast points is measured from augur's own histogram."""
import json
import math
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augur_harness import Augur, Receiver  # noqa: E402

MIN = 60_000
DAY = 86_400_000

CONFIG = """
ingest:
  keep: []
  close_delay: 1s
forecasts:
  - name: load
    series: 'load{job="fc"}'
    aggregate: sum by (job)
    horizons: [15m, 1h]
  - name: lat
    series: 'lat_probe'
    horizons: [1m]
    model: naive
remote_write:
  - url: RECEIVER_URL
    min_backoff: 100ms
"""

INSTANCES = {"a": 0.0, "b": 20.0, "c": 40.0}


def truth(t_ms, inst):
    """Per-instance value: daily sine around 100 + offset."""
    ph = 2 * math.pi * ((t_ms / 1000) % 86400) / 86400
    return 100 + INSTANCES[inst] + 50 * math.sin(ph)


def group_truth(t_ms):
    return sum(truth(t_ms, i) for i in INSTANCES)


class Forecasts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        cls.a = Augur(config=CONFIG.replace("RECEIVER_URL", cls.rx.url)).start()
        rnd = random.Random(7)
        now = int(time.time() * 1000)
        cls.end = now // MIN * MIN - MIN  # the last backfilled minute stays open
        start = cls.end - 2 * DAY
        chunk = 6 * 3600 * 1000
        cls.lo, cls.hi = float("inf"), float("-inf")
        for cs in range(start, cls.end + MIN, chunk):
            series = []
            for inst in INSTANCES:
                pts = []
                for t in range(cs, min(cs + chunk, cls.end + MIN), MIN):
                    for off in (0, 30_000):  # two samples a minute, as a 30s scrape
                        pts.append((t + off, truth(t + off, inst) + rnd.gauss(0, 1.5)))
                series.append(({"__name__": "load", "job": "fc", "instance": inst}, pts))
            st, body = cls.a.write(series)
            assert st == 204, body
        # the group learns every minute: 2 days + the last one, which the
        # wall-clock sweep closes ~close_delay after its end
        deadline = time.time() + 120
        while time.time() < deadline:
            g = cls.group()
            if g is not None and g["points"] >= 2 * 1440 + 1:
                break
            time.sleep(0.2)
        cls.status_group = cls.group()

    @classmethod
    def tearDownClass(cls):
        cls.a.stop()
        cls.a.cleanup()
        cls.rx.close()

    @classmethod
    def status(cls):
        st, body, _ = cls.a.get("/api/v1/status")
        assert st == 200
        return json.loads(body)["data"]

    @classmethod
    def group(cls):
        for f in cls.status()["forecasts"]:
            if f["name"] == "load" and f["series"]:
                return f["series"][0]
        return None

    def read(self, start, end, matchers):
        st, res = self.a.read([(start, end, matchers, None)])
        self.assertEqual(st, 200, res)
        return res[0]

    def test_status_shows_target_and_model(self):
        fc = {f["name"]: f for f in self.status()["forecasts"]}
        self.assertEqual(set(fc), {"load", "lat"})
        t = fc["load"]
        self.assertEqual(t["selector"], 'load{job="fc"}')
        self.assertEqual(t["aggregate"], "sum by (job)")
        self.assertEqual(t["resolution"], "minute")
        self.assertEqual(t["horizons"], ["15m", "1h"])
        self.assertEqual(t["groups"], 1)
        self.assertEqual(t["groups_refused"], 0)
        g = self.status_group
        self.assertIsNotNone(g)
        self.assertEqual(g["labels"], {"job": "fc"})
        self.assertEqual(g["points"], 2 * 1440 + 1)
        self.assertIn(g["state"], ("warming", "ready"))
        self.assertTrue(g["reason"].startswith(g["state"]), g["reason"])
        self.assertGreater(g["refits"], 0)
        self.assertEqual(sum(t["models"].values()), 1)
        self.assertEqual(t["models"][g["state"]], 1)
        # accuracy per horizon: measured, and small on this smooth series
        for h in ("15m", "1h"):
            self.assertIsNotNone(g["error"][h], g)
            self.assertLess(g["error"][h], 0.1, g)
        self.assertEqual(g["last_bucket"] * 1000, self.end)

    def test_remote_read_forecast_path(self):
        g = self.status_group
        base = (g["last_bucket"] + 60) * 1000  # end of the last learned bucket
        res = self.read(base, base + 3 * 3600_000, [("__name__", "=", "ai_load_forecast_path")])
        self.assertEqual(len(res), 1)
        labels, pts = res[0]
        self.assertEqual(labels, {"__name__": "ai_load_forecast_path", "job": "fc"})
        self.assertEqual(len(pts), 60)  # one per minute up to the longest horizon
        self.assertEqual([t for t, _ in pts], [base + k * MIN for k in range(1, 61)])
        self.assertGreater(pts[0][0], int(time.time() * 1000) - 3 * MIN)  # the future, not history
        lo_all, hi_all = 360 - 3 * 50, 360 + 3 * 50  # the summed series' range
        worst = 0.0
        for t, v in pts:
            self.assertTrue(lo_all - 20 <= v <= hi_all + 20, (t, v))
            # bucket [t - 1m, t) holds the average of its two samples
            want = (group_truth(t - MIN) + group_truth(t - MIN + 30_000)) / 2
            worst = max(worst, abs(v - want))
        print("\nforecast path: state %s, worst |error| over the next hour %.2f (range %g..%g)"
              % (g["state"], worst, lo_all, hi_all), file=sys.stderr)
        self.assertLess(worst, 15.0)  # amplitude 150, noise sd 1.5 x sqrt(3)
        # intervals: matched by __name__ regex and interval, lower <= mean <= upper
        lohi = self.read(base, base + 3 * 3600_000,
                         [("__name__", "=~", "ai_load_forecast_path_(lower|upper)"), ("interval", "=", "80")])
        by = {l["__name__"]: (l, p) for l, p in lohi}
        self.assertEqual(set(by), {"ai_load_forecast_path_lower", "ai_load_forecast_path_upper"})
        for name in by:
            self.assertEqual(by[name][0]["interval"], "80")
            self.assertEqual(by[name][0]["job"], "fc")
        for (t, v), (tl, lo), (th, hi) in zip(pts, by["ai_load_forecast_path_lower"][1],
                                               by["ai_load_forecast_path_upper"][1]):
            self.assertEqual(t, tl)
            self.assertEqual(t, th)
            self.assertLessEqual(lo, v)
            self.assertLessEqual(v, hi)
        # "everything" as the int64 extremes: the whole path, no overflow
        whole = self.read(-(1 << 63), (1 << 63) - 1, [("__name__", "=", "ai_load_forecast_path")])
        self.assertEqual(len(whole), 1)
        self.assertEqual(whole[0][1], pts)
        self.assertEqual(self.read(-(1 << 63), base, [("__name__", "=", "ai_load_forecast_path")]), [])
        # a range in the past holds nothing; other matchers filter groups
        self.assertEqual(self.read(0, base, [("__name__", "=", "ai_load_forecast_path")]), [])
        self.assertEqual(self.read(base, base + 3600_000,
                                   [("__name__", "=", "ai_load_forecast_path"), ("job", "=", "other")]), [])

    def test_points_reach_the_sink(self):
        m = self.a.metrics()
        emitted = m.get('augur_predict_points_total{result="emitted"}', 0)
        # the last hour of the backfill is emitted (older points would be out of
        # bounds for Prometheus), the rest only trains the model
        self.assertGreater(emitted, 0)
        self.assertGreater(m.get('augur_predict_points_total{result="too_old"}', 0), 0)
        # every emitted point is remote-written to the receiver, in order, none in the future
        deadline = time.time() + 30
        got = {}
        while time.time() < deadline:
            got = self.rx.series()
            if sum(len(v) for v in got.values()) >= emitted:
                break
            time.sleep(0.1)
        self.assertEqual(sum(len(v) for v in got.values()), emitted)
        self.assertEqual(m.get("augur_export_unqueued_points_total", 0), 0)
        now_ms = time.time() * 1000
        for key, samples in got.items():
            ts = [t for t, _ in samples]
            self.assertEqual(ts, sorted(set(ts)), key)  # strictly increasing per series
            self.assertLessEqual(max(ts), now_ms, key)
        names = {k[0] for k in got}
        for want in ("ai_load_forecast", "ai_load_forecast_lower", "ai_load_forecast_upper",
                     "ai_load_forecast_error", "ai_load_anomaly_score", "ai_load_forecast_state"):
            self.assertIn(want, names)
        fc = {dict(k[1])["horizon"] for k in got if k[0] == "ai_load_forecast"}
        self.assertEqual(fc, {"15m", "1h"})
        intervals = {dict(k[1])["interval"] for k in got if k[0] == "ai_load_forecast_upper"}
        self.assertEqual(intervals, {"80", "95"})
        for k in got:
            if k[0] == "ai_load_forecast":
                self.assertEqual(dict(k[1])["job"], "fc")
                for _, v in got[k]:
                    self.assertTrue(150 < v < 600, (k, v))  # the group's sum ranges 210..510
        hdrs = self.rx.requests[0][0]
        self.assertEqual(hdrs.get("Content-Encoding"), "snappy")
        self.assertEqual(hdrs.get("X-Prometheus-Remote-Write-Version"), "0.1.0")
        self.assertEqual(m.get('augur_predict_points_total{result="future"}', 0), 0)
        self.assertEqual(m["augur_predict_events_dropped_total"], 0)
        self.assertEqual(m["augur_predict_late_buckets_total"], 0)
        self.assertGreaterEqual(m["augur_predict_updates_total"], 2 * 1440)
        self.assertGreater(m["augur_predict_refits_total"], 0)

    def test_zz_restart_resumes_the_same_model(self):
        """Runs last (name order): restarts the daemon on the same store."""
        g0 = self.group()
        base = (g0["last_bucket"] + 60) * 1000
        q = [("__name__", "=", "ai_load_forecast_path")]
        before = self.read(base, base + 3 * 3600_000, q)
        self.assertEqual(self.a.stop(), 0)
        self.a.start()
        deadline = time.time() + 30
        g1 = None
        while time.time() < deadline:
            g1 = self.group()
            if g1 is not None:
                break
            time.sleep(0.1)
        self.assertIsNotNone(g1)
        self.assertEqual(g1["points"], g0["points"])
        self.assertEqual(g1["refits"], g0["refits"])
        self.assertEqual(g1["state"], g0["state"])
        self.assertEqual(g1["error"], g0["error"])
        self.assertEqual(self.read(base, base + 3 * 3600_000, q), before)  # bit-identical path
        self.assertEqual(self.a.metrics()["augur_predict_model_loads_total"], 1)  # lat has no input series here


class Latency(unittest.TestCase):
    """Forecast latency after a bucket closes, from augur's histogram: each
    request closes one minute bucket of a fresh series (its own group)."""

    def test_latency_after_a_bucket_closes(self):
        rx = Receiver()
        a = Augur(config=CONFIG.replace("RECEIVER_URL", rx.url)).start()
        try:
            now = int(time.time() * 1000) // MIN * MIN
            n = 40
            for i in range(n):
                t = now - 50 * MIN + i * MIN
                st, body = a.write([({"__name__": "lat_probe", "probe": str(i)}, [(t, 1.0), (t + MIN, 2.0)])])
                self.assertEqual(st, 204, body)
                time.sleep(0.02)
            deadline = time.time() + 10
            while time.time() < deadline:
                m = a.metrics()
                if m.get("augur_predict_latency_seconds_count", 0) >= n:
                    break
                time.sleep(0.05)
            self.assertEqual(m["augur_predict_latency_seconds_count"], n)
            mean = m["augur_predict_latency_seconds_sum"] / n
            buckets = sorted((float(k.split('le="')[1].rstrip('"}')), v) for k, v in m.items()
                             if k.startswith("augur_predict_latency_seconds_bucket") and "+Inf" not in k)
            p50 = next(le for le, c in buckets if c >= n / 2)
            p99 = next(le for le, c in buckets if c >= 0.99 * n)
            print("\nforecast latency after a bucket closes: %d closes, mean %.3f ms, p50 <= %g s, p99 <= %g s"
                  % (n, mean * 1000, p50, p99), file=sys.stderr)
            # per bucket: forecast, lower/upper x 80/95, three state series (no
            # error or anomaly score yet for a model with one point)
            self.assertEqual(m['augur_predict_points_total{result="emitted"}'], n * 8)
        finally:
            a.stop()
            a.cleanup()
            rx.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
