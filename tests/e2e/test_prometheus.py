#!/usr/bin/python3
"""End-to-end: Debian's real Prometheus scrapes itself, remote-writes to a
real augur and remote-reads from it. After two closed minutes, the minute
averages augur serves (read back through Prometheus' query API) must equal
avg_over_time over the same minutes computed by Prometheus from its own data.
And a forecast learned by augur (two days backfilled into augur directly) is
visible through Prometheus' query API in the future, by remote-read.
"""
import math
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
from augur_harness import Augur  # noqa: E402
from prom_harness import Prometheus  # noqa: E402
from augur_harness import free_port  # noqa: E402

AUGUR_CONFIG = """
ingest:
  keep: ['{job="prometheus"}']
  close_delay: 5s
"""

METRIC = "prometheus_tsdb_head_samples_appended_total"  # a counter that moves every scrape
GAUGE = "process_resident_memory_bytes"


def prom_config(augur_port):
    def fn(port):
        return f"""
global:
  scrape_interval: 2s
  evaluation_interval: 2s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:{port}']
remote_write:
  - url: http://127.0.0.1:{augur_port}/api/v1/write
    queue_config:
      batch_send_deadline: 1s
      min_backoff: 100ms
      max_backoff: 1s
remote_read:
  - url: http://127.0.0.1:{augur_port}/api/v1/read
    read_recent: true
"""
    return fn


class PrometheusEndToEnd(unittest.TestCase):
    def test_minute_averages_match_prometheus(self):
        augur = Augur(AUGUR_CONFIG).start()
        prom = Prometheus(prom_config(augur.port)).start()
        try:
            start = time.time()
            first_full = (int(start) // 60 + 1) * 60  # first minute fully covered by scrapes
            # two closed minutes: wait until the minute after them has begun,
            # plus time for remote-write to deliver a sample of the next minute.
            ready_at = first_full + 3 * 60 + 10
            minutes = [first_full + 60, first_full + 120]
            while time.time() < ready_at:
                time.sleep(5)
            m = augur.metrics()
            self.assertGreater(m.get('augur_ingest_samples_total{result="accepted"}', 0), 100, augur.logs())
            extra = {GAUGE: "", METRIC: ',type="float"'}
            for s in minutes:
                t = s + 60 - 0.001  # augur stamps bucket [s, s+60) at its last millisecond
                for name in (GAUGE, METRIC):
                    ours, warn = prom.query(f'{name}{{job="prometheus",rollup="avg"{extra[name]}}}', at=t)
                    self.assertEqual(warn, [], warn)
                    self.assertEqual(len(ours), 1, (name, ours, augur.logs()[-3000:]))
                    theirs, _ = prom.query(f'avg_over_time({name}{{job="prometheus",rollup=""{extra[name]}}}[1m])',
                                           at=t)
                    self.assertEqual(len(theirs), 1, theirs)
                    a, b = float(ours[0]["value"][1]), float(theirs[0]["value"][1])
                    self.assertAlmostEqual(a, b, delta=1e-9 * max(1.0, abs(b)), msg=(name, s, a, b))
                    # and the aggregate really came from augur (label present)
                    self.assertEqual(ours[0]["metric"].get("rollup"), "avg")
                # counters: augur's reset-aware rate equals increase/60 within the bucket
                ours, _ = prom.query(f'{METRIC}{{job="prometheus",rollup="count",type="float"}}', at=t)
                self.assertGreaterEqual(float(ours[0]["value"][1]), 20)
            # a range query over history returns augur's minutes too
            res, _ = prom.query_range(f'{GAUGE}{{job="prometheus",rollup="max"}}', minutes[0], minutes[1] + 60, 60)
            self.assertEqual(len(res), 1)
            self.assertGreaterEqual(len(res[0]["values"]), 2)
        finally:
            prom.cleanup()
            rc = augur.stop()
            augur.cleanup()
        self.assertEqual(rc, 0)


FORECAST_CONFIG = """
ingest:
  keep: []
  close_delay: 1s
forecasts:
  - name: load
    series: 'load{job="fc"}'
    aggregate: sum by (job)
    horizons: [15m, 1h]
remote_write:
  - url: http://127.0.0.1:PROM_PORT/api/v1/write
    min_backoff: 100ms
"""


class ForecastThroughPrometheus(unittest.TestCase):
    def test_forecast_path_in_the_future(self):
        """augur writes ai_load_forecast* back into Prometheus (its remote-write
        receiver), and Prometheus reads the forecast path from augur."""
        prom_port = free_port()
        augur = Augur(FORECAST_CONFIG.replace("PROM_PORT", str(prom_port))).start()
        prom = Prometheus(prom_config(augur.port), extra_args=["--web.enable-remote-write-receiver"],
                          port=prom_port).start()
        try:
            MIN = 60_000
            end = int(time.time() * 1000) // MIN * MIN
            for cs in range(end - 2 * 86_400_000, end, 6 * 3_600_000):
                series = []
                for i, off in enumerate((0.0, 30.0)):
                    pts = [(t, 100 + off + 50 * math.sin(2 * math.pi * ((t / 1000) % 86400) / 86400))
                           for t in range(cs, min(cs + 6 * 3_600_000, end), 30_000)]
                    series.append(({"__name__": "load", "job": "fc", "instance": str(i)}, pts))
                st, body = augur.write(series)
                self.assertEqual(st, 204, body)
            deadline = time.time() + 60
            while time.time() < deadline:
                if augur.metrics().get("augur_predict_updates_total", 0) >= 2 * 1440:
                    break
                time.sleep(0.2)
            now = time.time()
            res, warn = prom.query_range('ai_load_forecast_path{job="fc"}', now + 60, now + 3600, 60)
            self.assertEqual(warn, [], warn)
            self.assertEqual(len(res), 1, (res, augur.logs()[-2000:]))
            self.assertEqual(res[0]["metric"], {"__name__": "ai_load_forecast_path", "job": "fc"})
            vals = [(float(t), float(v)) for t, v in res[0]["values"]]
            self.assertGreaterEqual(len(vals), 50)  # one per step, the last hour may end a minute early
            self.assertGreater(vals[0][0], now)  # the future
            for t, v in vals:
                self.assertTrue(230 - 100 - 10 <= v <= 230 + 100 + 10, (t, v))
            lo, _ = prom.query_range('ai_load_forecast_path_lower{job="fc",interval="95"}', now + 60, now + 3600, 60)
            self.assertEqual(len(lo), 1)
            self.assertLessEqual(float(lo[0]["values"][0][1]), vals[0][1])
            # the ai_* series augur remote-wrote, found through Prometheus' query API
            deadline = time.time() + 60
            fc = []
            while time.time() < deadline and len(fc) < 2:
                fc, _ = prom.query('ai_load_forecast{job="fc"}')
                time.sleep(0.5)
            self.assertEqual(sorted(r["metric"]["horizon"] for r in fc), ["15m", "1h"], (fc, augur.logs()[-2000:]))
            for r in fc:
                self.assertEqual(set(r["metric"]), {"__name__", "job", "horizon"})
                self.assertTrue(230 - 100 - 10 <= float(r["value"][1]) <= 230 + 100 + 10, r)
            up, _ = prom.query('ai_load_forecast_upper{job="fc",horizon="1h",interval="95"}')
            self.assertEqual(len(up), 1, up)
            st, _ = prom.query('ai_load_forecast_state{job="fc",state="ready"}')
            self.assertEqual(len(st), 1, st)
        finally:
            prom.cleanup()
            rc = augur.stop()
            augur.cleanup()
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
