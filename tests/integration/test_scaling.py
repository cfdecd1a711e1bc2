#!/usr/bin/python3
"""Integration test for scalers in the running daemon: the real augur with a
minute forecast target and a utilization scaler is backfilled by
remote-write with three hours of a CPU-like series and a replica count (4,
split over two series that are summed); the scaler must then write
ai_scaling_* series to the remote-write receiver (strictly increasing,
never in the future, one action in force), append decisions with reasons to
<storage.path>/decisions.jsonl, and show itself under data.scalers in
/api/v1/status. Shadow is the default: no webhook is configured or called."""
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

CONFIG = """
ingest:
  keep: []
  close_delay: 1s
forecasts:
  - name: cpu
    series: 'cpu{job="sc"}'
    horizons: [15m, 30m]
scalers:
  - name: web
    forecast: cpu
    replicas: 'kube_replicas{deployment="web"}'
    target: 0.5
    lead_time: 5m
    max_replicas: 20
remote_write:
  - url: RECEIVER_URL
    min_backoff: 100ms
"""

ACTIONS = ("hold", "scale_up_now", "scale_up_prepared", "scale_down")


def cpu(t_ms):
    # Always above the target whatever the minute of the hour the test runs
    # at (0.75..0.85 on 4 replicas at target 0.5 needs 6-7), so the expected
    # direction of the last decisions does not depend on the wall clock.
    return 0.8 + 0.05 * math.sin(2 * math.pi * (t_ms / 1000 % 3600) / 3600)


class Scaling(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        cls.a = Augur(config=CONFIG.replace("RECEIVER_URL", cls.rx.url)).start()
        rnd = random.Random(3)
        now = int(time.time() * 1000)
        cls.end = now // MIN * MIN - MIN  # the wall-clock sweep closes the last minute
        start = cls.end - 3 * 3600_000
        chunk = 3600_000
        for cs in range(start, cls.end + MIN, chunk):
            ts = range(cs, min(cs + chunk, cls.end + MIN), MIN)
            c = [(t + off, cpu(t + off) + rnd.gauss(0, 0.01)) for t in ts for off in (0, 30_000)]
            # The replicas series first: the writer applies a request in
            # order, so both parts' minutes are known before the cpu minute
            # that triggers an evaluation (with cpu first, an early evaluation
            # could see one part only: current 2, not 4).
            series = [({"__name__": "kube_replicas", "deployment": "web", "part": part},
                       [(t + off, 2.0) for t in ts for off in (0, 30_000)]) for part in ("a", "b")]
            series.append(({"__name__": "cpu", "job": "sc"}, c))
            st, body = cls.a.write(series)
            assert st == 204, body
        deadline = time.time() + 120
        cls.sc = None
        while time.time() < deadline:
            sc = cls.scaler()
            got = cls.rx.series().get(("ai_scaling_desired_replicas", (("scaler", "web"),)))
            # The last evaluation in the status, and everything it wrote
            # delivered (the outbox empty): under load the receiver lags.
            queued = sum(v for k, v in cls.a.metrics().items() if k.startswith("augur_export_queue_samples"))
            if sc is not None and sc["last_evaluation"] is not None and got and got[-1][0] == cls.end + MIN \
                    and queued == 0:
                if sc["last_evaluation"] * 1000 == cls.end + MIN:
                    cls.sc = sc
                    break
            time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        cls.a.stop()
        cls.a.cleanup()
        cls.rx.close()

    @classmethod
    def scaler(cls):
        st, body, _ = cls.a.get("/api/v1/status")
        assert st == 200
        for s in json.loads(body)["data"]["scalers"]:
            if s["name"] == "web":
                return s
        return None

    def test_status(self):
        sc = self.sc
        self.assertIsNotNone(sc, self.a.logs())
        self.assertEqual(sc["mode"], "utilization")
        self.assertTrue(sc["shadow"])
        self.assertEqual(sc["forecast"], "cpu")
        self.assertFalse(sc["webhook"])
        self.assertEqual(sc["current"], 4)
        self.assertIn(sc["action"], ACTIONS)
        self.assertGreaterEqual(sc["desired"], 1)
        self.assertLessEqual(sc["desired"], 20)
        self.assertTrue(sc["reason"], sc)

    def test_series_written(self):
        self.assertIsNotNone(self.sc, self.a.logs())
        now = time.time() * 1000
        got = self.rx.series()
        desired = got[("ai_scaling_desired_replicas", (("scaler", "web"),))]
        current = got[("ai_scaling_current_replicas", (("scaler", "web"),))]
        self.assertTrue(all(v == 4 for _, v in current), current)
        ts = [t for t, _ in desired]
        self.assertEqual(ts, sorted(set(ts)), "strictly increasing")
        self.assertTrue(all(t <= now and t % MIN == 0 for t in ts), ts)
        self.assertEqual(ts[-1], self.end + MIN)
        for t, v in desired:
            self.assertTrue(1 <= v <= 20 and v == int(v), v)
        # exactly one action in force at every evaluation
        dec = {a: dict(got[("ai_scaling_decision", (("action", a), ("scaler", "web")))]) for a in ACTIONS}
        for t in ts:
            self.assertEqual(sum(dec[a][t] for a in ACTIONS), 1.0, t)
        self.assertEqual(dec[self.sc["action"]][ts[-1]], 1.0)
        self.assertEqual(dict(desired)[ts[-1]], self.sc["desired"])

    def test_decisions_log(self):
        self.assertIsNotNone(self.sc, self.a.logs())
        with open(os.path.join(self.a.store, "decisions.jsonl")) as f:
            lines = [json.loads(line) for line in f]
        self.assertGreaterEqual(len(lines), 1)
        for d in lines:
            self.assertEqual(d["scaler"], "web")
            self.assertEqual(d["mode"], "utilization")
            self.assertTrue(d["shadow"])
            self.assertEqual(d["current"], 4)
            self.assertIn(d["action"], ACTIONS)
            self.assertIn("replicas", d["reason"])
        last = lines[-1]
        self.assertEqual(last["ts"] * 1000, self.end + MIN)
        self.assertEqual(last["desired"], self.sc["desired"])
        self.assertEqual(last["reason"], self.sc["reason"])
        # the load is ~0.8 on 4 replicas at target 0.5: more replicas wanted
        self.assertGreater(max(d["desired"] for d in lines), 4, lines[-3:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
