#!/usr/bin/python3
"""End-to-end operations tests against Debian's real Prometheus and the real
augur.

- ExportOutage: augur remote-writes ai_load_forecast* into Prometheus; the
  Prometheus process is stopped, augur produces ten more minutes of forecasts
  while it is down (they wait in the outbox, retried), Prometheus is started
  again on the same port and data directory, and every sample augur emitted is
  then found in Prometheus at exactly the expected bucket timestamps, in
  order, none missing, none refused.
- DashboardAndAlerts: every PromQL query of config/grafana-dashboard.json
  (variables substituted for this test's target) returns data from the real
  Prometheus, and config/alerts.yml loads into it and evaluates without error.
"""
import json
import math
import os
import random
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
import snappy  # noqa: E402
from augur_harness import Augur, binary, enc_write_request, free_port  # noqa: E402
from prom_harness import Prometheus  # noqa: E402

MIN = 60_000
DAY = 86_400_000

AUGUR_CONFIG = """
ingest:
  keep: ['{job="fc"}']
  close_delay: 1s
forecasts:
  - name: load
    series: 'load{job="fc"}'
    aggregate: sum by (job)
    horizons: [15m, 1h]
remote_write:
  - url: http://127.0.0.1:PROM_PORT/api/v1/write
    name: prom
    min_backoff: 100ms
    max_backoff: 1s
"""

# The dashboard test also runs a scaler (shadow mode) on the forecast, so
# the scaling panels have data; the outage test counts forecast series only.
DASH_CONFIG = AUGUR_CONFIG.replace("remote_write:", """scalers:
  - name: fc
    mode: utilization
    forecast: load
    replicas: 'replicas{job=\"fc\"}'
    target: 0.7
    lead_time: 10m
    min_replicas: 1
    max_replicas: 50
remote_write:""", 1)

# The 16 series written per final bucket for group {job="fc"} (docs/predict.md).
FORECAST_SERIES = (
    [f'ai_load_forecast{{job="fc",horizon="{h}"}}' for h in ("15m", "1h")]
    + [f'ai_load_forecast_{b}{{job="fc",horizon="{h}",interval="{i}"}}'
       for h in ("15m", "1h") for b in ("lower", "upper") for i in ("80", "95")]
    + [f'ai_load_forecast_error{{job="fc",horizon="{h}"}}' for h in ("15m", "1h")]
    + ['ai_load_anomaly_score{job="fc"}']
    + [f'ai_load_forecast_state{{job="fc",state="{s}"}}' for s in ("cold", "warming", "ready")]
)


def prom_config(augur_port, rules=None):
    def fn(port):
        rule_files = f"rule_files:\n  - {rules}\n" if rules else ""
        return f"""
global:
  scrape_interval: 2s
  evaluation_interval: 2s
{rule_files}scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:{port}']
  - job_name: augur
    static_configs:
      - targets: ['127.0.0.1:{augur_port}']
remote_read:
  - url: http://127.0.0.1:{augur_port}/api/v1/read
    read_recent: true
"""
    return fn


def value(t_ms, off):
    """A daily cycle with deterministic noise (without noise the model is
    exact, sigma is 0 and augur writes no anomaly score)."""
    noise = random.Random(t_ms * 2 + (off > 0)).uniform(-5, 5)
    return 100 + off + 50 * math.sin(2 * math.pi * ((t_ms / 1000) % 86400) / 86400) + noise


def feed(augur, start, end, test):
    """Writes load{job="fc",instance="0"|"1"} every 30 s in [start, end), in
    6-hour requests holding both series (docs/predict.md: backfill)."""
    for cs in range(start, end, 6 * 3_600_000):
        series = []
        for i, off in enumerate((0.0, 30.0)):
            pts = [(t, value(t, off)) for t in range(cs, min(cs + 6 * 3_600_000, end), 30_000)]
            series.append(({"__name__": "load", "job": "fc", "instance": str(i)}, pts))
        # the scaler's current replica count
        series.append(({"__name__": "replicas", "job": "fc"},
                       [(t, 3.0) for t in range(cs, min(cs + 6 * 3_600_000, end), 30_000)]))
        st, body = augur.write(series)
        test.assertEqual(st, 204, body)


def wait_for(cond, timeout, what, logs=lambda: ""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = cond()
        if r:
            return r
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what + "\n" + logs()[-3000:])


def export(m, result):
    return m.get(f'augur_export_samples_total{{target="prom",result="{result}"}}', 0)


EXPORT_RESULTS = ("sent", "dropped_4xx", "dropped_other_status", "dropped_queue_full", "dropped_corrupt",
                  "rejected_out_of_order", "rejected_future", "rejected_series_limit")


def raw_samples(prom, selector, at, window="2h"):
    """The raw samples of one series in (at - window, at], through the query API."""
    res, warn = prom.query(f"{selector}[{window}]", at=at)
    if not res:
        return []
    assert len(res) == 1, (selector, res)
    return [(round(float(t) * 1000), float(v)) for t, v in res[0]["values"]]


class ExportOutage(unittest.TestCase):
    def test_no_sample_lost_across_prometheus_outage(self):
        prom_port = free_port()
        augur = Augur(AUGUR_CONFIG.replace("PROM_PORT", str(prom_port))).start()
        prom = Prometheus(prom_config(augur.port), extra_args=["--web.enable-remote-write-receiver"],
                          port=prom_port).start()
        try:
            end = int(time.time() * 1000) // MIN * MIN  # start of the current minute
            cut = end - 10 * MIN  # the last 10 minutes are fed while Prometheus is down
            feed(augur, end - 2 * DAY, cut, self)
            buckets = 2 * DAY // MIN - 10
            wait_for(lambda: augur.metrics().get("augur_predict_updates_total", 0) >= buckets, 90,
                     "backfill updates", augur.logs)

            def drained():
                m = augur.metrics()
                emitted = m.get('augur_predict_points_total{result="emitted"}', 0)
                return (emitted > 0 and m.get('augur_export_queue_samples{target="prom"}') == 0
                        and export(m, "sent") == emitted) and m
            m = wait_for(drained, 30, "the backlog before the outage to drain", augur.logs)
            emitted0, sent0 = m['augur_predict_points_total{result="emitted"}'], export(m, "sent")
            # forecasts of the last hour before `cut` are in Prometheus, the last at `cut`
            self.assertEqual(raw_samples(prom, FORECAST_SERIES[0], cut / 1000)[-1][0], cut)

            # ---- outage: Prometheus is stopped, augur keeps forecasting ----
            prom.stop()
            down_at = time.time()
            retries0 = m.get('augur_export_retries_total{target="prom"}', 0)
            feed(augur, cut, end, self)
            expected_ts = list(range(cut + MIN, end + 1, MIN))  # bucket ends T of the 10 new buckets
            wait_for(lambda: augur.metrics().get("augur_predict_updates_total", 0) >= buckets + 10, 30,
                     "the 10 outage buckets", augur.logs)
            n_new = len(FORECAST_SERIES) * len(expected_ts)
            m = wait_for(lambda: (lambda m: m.get('augur_export_retries_total{target="prom"}', 0) >= retries0 + 3
                                  and m['augur_predict_points_total{result="emitted"}'] - emitted0 >= n_new and m)(
                augur.metrics()), 30, "outage points emitted and retried", augur.logs)
            emitted1 = m['augur_predict_points_total{result="emitted"}']
            self.assertEqual(emitted1 - emitted0, n_new)
            # all of them wait in the outbox; none were sent or dropped
            self.assertEqual(m['augur_export_queue_samples{target="prom"}'], emitted1 - emitted0)
            self.assertEqual(export(m, "sent"), sent0)
            self.assertGreater(m.get('augur_export_requests_total{target="prom",code="network"}', 0), 0)
            self.assertLess(m['augur_export_last_success_timestamp_seconds{target="prom"}'], down_at)
            while time.time() < down_at + 8:  # a few more backoff rounds (max_backoff 1s)
                time.sleep(0.5)
            m = augur.metrics()
            self.assertEqual(m['augur_export_queue_samples{target="prom"}'], emitted1 - emitted0)
            retries_down = m['augur_export_retries_total{target="prom"}'] - retries0

            # ---- Prometheus back on the same port and data directory ----
            up_at = time.time()
            prom.start()
            m = wait_for(lambda: (lambda m: m.get('augur_export_queue_samples{target="prom"}') == 0 and m)(
                augur.metrics()), 30, "the outbox to drain after the restart", augur.logs)
            drain_s = time.time() - up_at
            for r in EXPORT_RESULTS[1:]:
                self.assertEqual(export(m, r), 0, r)
            self.assertEqual(export(m, "sent"), m['augur_predict_points_total{result="emitted"}'])
            self.assertEqual(export(m, "sent"), emitted1)
            self.assertGreaterEqual(m['augur_export_last_success_timestamp_seconds{target="prom"}'], int(up_at))

            # Every series has exactly the 10 outage timestamps after `cut`, in
            # order, plus what it had before (the restart lost nothing either).
            states = {}  # T -> sum of the three state series: exactly one is 1
            for sel in FORECAST_SERIES:
                samples = raw_samples(prom, sel, end / 1000)
                ts = [t for t, _ in samples]
                self.assertEqual(ts, sorted(set(ts)), sel)  # strictly increasing
                self.assertEqual([t for t in ts if t > cut], expected_ts, (sel, ts[-12:]))
                self.assertIn(cut, ts, sel)
                for t, v in samples:
                    self.assertTrue(math.isfinite(v), (sel, t, v))
                    if sel.startswith("ai_load_forecast{"):
                        self.assertTrue(110 <= v <= 350, (sel, t, v))
                    if "_state{" in sel:
                        self.assertIn(v, (0.0, 1.0), (sel, t))
                        states[t] = states.get(t, 0) + v
            self.assertEqual(set(states.values()), {1.0}, states)
            # Prometheus' side (its self-scrape of the write handler since the
            # restart): it accepted augur's writes with 204 and never refused
            # one (no 4xx: no sample rejected). A 503 can come first: augur's
            # retries may reach the handler while the restarted TSDB is not
            # ready yet; augur retries it, and the checks above prove nothing
            # was lost.
            codes = wait_for(lambda: prom.query(
                'sum by (code) (prometheus_http_requests_total{job="prometheus",handler="/api/v1/write"})')[0],
                30, "Prometheus' self-scrape of its write handler", prom.logs)
            by_code = {c["metric"]["code"]: float(c["value"][1]) for c in codes}
            self.assertLessEqual(set(by_code), {"204", "503"}, codes)
            self.assertGreater(by_code.get("204", 0), 0, codes)
            # the same through a range query over the outage window, at every minute
            res, warn = prom.query_range('ai_load_forecast{job="fc",horizon="15m"}', (cut + MIN) / 1000, end / 1000, 60)
            self.assertEqual(warn, [])
            self.assertEqual([round(float(t) * 1000) for t, _ in res[0]["values"]], expected_ts)
            print(f"\noutage: {len(FORECAST_SERIES) * len(expected_ts)} samples queued while down "
                  f"({retries_down:.0f} retries), drained {drain_s:.1f} s after Prometheus was started again, all found", file=sys.stderr)
        finally:
            prom.cleanup()
            rc = augur.stop()
            augur.cleanup()
        self.assertEqual(rc, 0)



VARIABLES = {  # this test's values for the dashboard's template variables
    "target": "load",
    "group": 'job="fc"',
    "horizon": ".+",
    "actual": 'sum by (job) (load{job="fc"})',
    "augur_job": "augur",
    "__rate_interval": "1m",
    "__interval": "1m",
}


def substitute(expr):
    for k in sorted(VARIABLES, key=len, reverse=True):
        expr = expr.replace("${" + k + "}", VARIABLES[k]).replace("$" + k, VARIABLES[k])
    assert "$" not in expr, expr
    return expr


def dashboard_queries(dash):
    out = []
    stack = list(dash["panels"])
    while stack:
        p = stack.pop(0)
        stack.extend(p.get("panels", []))  # collapsed rows
        for t in p.get("targets", []):
            out.append((p["title"], t["refId"], t["expr"]))
    return out


def keda_query():
    """The Prometheus query of config/keda-scaledobject.yaml (the block under
    `query: |`), read as KEDA reads it."""
    with open(os.path.join(ROOT, "config", "keda-scaledobject.yaml")) as f:
        lines = f.read().split("\n")
    at = [i for i, l in enumerate(lines) if l.strip() == "query: |"]
    assert len(at) == 1, "one query block in keda-scaledobject.yaml"
    indent = len(lines[at[0]]) - len(lines[at[0]].lstrip())
    body = []
    for l in lines[at[0] + 1:]:
        if l.strip() and len(l) - len(l.lstrip()) <= indent:
            break
        body.append(l.strip())
    return " ".join(x for x in body if x)


class DashboardAndAlerts(unittest.TestCase):
    def test_every_panel_query_returns_data(self):
        with open(os.path.join(ROOT, "config", "grafana-dashboard.json")) as f:
            dash = json.load(f)
        names = [v["name"] for v in dash["templating"]["list"]]
        self.assertEqual(sorted(names), sorted(["datasource", "target", "group", "horizon", "actual", "augur_job"]))
        ds = [v for v in dash["templating"]["list"] if v["name"] == "datasource"][0]
        self.assertEqual((ds["type"], ds["query"]), ("datasource", "prometheus"))
        queries = dashboard_queries(dash)
        self.assertGreaterEqual(len(queries), 15)

        prom_port = free_port()
        augur = Augur(DASH_CONFIG.replace("PROM_PORT", str(prom_port))).start()
        rules = os.path.abspath(os.path.join(ROOT, "config", "alerts.yml"))
        prom = Prometheus(prom_config(augur.port, rules), extra_args=["--web.enable-remote-write-receiver"],
                          port=prom_port).start()
        try:
            end = int(time.time() * 1000) // MIN * MIN
            feed(augur, end - 2 * DAY, end, self)
            wait_for(lambda: augur.metrics().get("augur_predict_updates_total", 0) >= 2 * DAY // MIN, 90,
                     "backfill updates", augur.logs)
            wait_for(lambda: augur.metrics().get('augur_export_queue_samples{target="prom"}') == 0, 30,
                     "export drained", augur.logs)
            # augur scraped often enough for rate() over 1m, after the drain
            # (Prometheus' first scrape comes about 5 s after its start)
            def scraped():
                r = prom.query('count_over_time(augur_export_samples_total{job="augur",result="sent"}[1m])')[0]
                return len(r) == 1 and float(r[0]["value"][1]) >= 3
            wait_for(scraped, 30, "augur scraped 3 times", prom.logs)

            now = time.time()
            checked = []
            for title, ref, expr in queries:
                q = substitute(expr)
                res, warn = prom.query_range(q, now - 3600, now + 3600, 60)
                self.assertEqual(warn, [], (title, ref, q))
                self.assertGreater(len(res), 0, f"panel {title!r} query {ref}: {q} returned nothing")
                self.assertTrue(any(len(r["values"]) > 0 for r in res), (title, ref, q))
                checked.append((title, ref, len(res)))
            # the forecast path reaches into the future (remote-read)
            path = [e for _, _, e in queries if "_forecast_path{" in e][0]
            res, _ = prom.query_range(substitute(path), now + 60, now + 3600, 60)
            self.assertGreater(float(res[0]["values"][-1][0]), now + 3000)
            # the model-state panel's mapped value: 2 = ready
            st = [e for t, _, e in queries if t == "Model state"][0]
            res, _ = prom.query(substitute(st))
            self.assertEqual([r["value"][1] for r in res], ["2"])

            # alerts.yml: loaded by the real Prometheus, every rule evaluates
            # without error against these series; nothing is firing here.
            def rules_evaluated():
                with urllib.request.urlopen(prom.url + "/api/v1/rules", timeout=10) as r:
                    groups = json.load(r)["data"]["groups"]
                rs = [x for g in groups for x in g["rules"]]
                return len(rs) > 0 and all(x["health"] == "ok" for x in rs) and rs
            rs = wait_for(rules_evaluated, 20, "alert rules evaluated", prom.logs)
            self.assertEqual(len(rs), 11)
            for x in rs:
                self.assertEqual(x.get("lastError", ""), "", x["name"])
                self.assertEqual(x["state"], "inactive", (x["name"], x.get("alerts")))

            # config/keda-scaledobject.yaml: its query, run by the real
            # Prometheus, returns augur's latest desired count (the last line
            # of decisions.jsonl) for the scaler; for a scaler augur does not
            # have it falls back to the Deployment's spec.replicas.
            kq = keda_query()
            self.assertIn('scaler="web"', kq)

            def keda_value(q):
                r = prom.query(q)[0]
                return [float(x["value"][1]) for x in r]

            def keda_follows_last_decision():
                # re-read each time: a quiet minute closing by the wall clock
                # can add a decision while this waits
                with open(os.path.join(augur.store, "decisions.jsonl")) as f:
                    last = json.loads(f.read().strip().split("\n")[-1])
                self.assertEqual(last["scaler"], "fc")
                return keda_value(kq.replace('scaler="web"', 'scaler="fc"')) == [float(last["desired"])]
            wait_for(keda_follows_last_decision, 20, "KEDA query == last decision", prom.logs)
            self.assertEqual(keda_value(kq), [], "no scaler web, no Deployment series yet: empty (KEDA's fallback)")
            spec = enc_write_request([({"__name__": "kube_deployment_spec_replicas", "deployment": "web",
                                        "namespace": "default"}, [(int(time.time() * 1000), 7.0)])])
            req = urllib.request.Request(prom.url + "/api/v1/write", data=snappy.compress(spec), method="POST",
                                         headers={"Content-Type": "application/x-protobuf",
                                                  "Content-Encoding": "snappy",
                                                  "X-Prometheus-Remote-Write-Version": "0.1.0"})
            with urllib.request.urlopen(req, timeout=10) as r:
                self.assertEqual(r.status, 204)
            self.assertEqual(keda_value(kq), [7.0])

            print("\ndashboard: all %d queries returned data" % len(checked), file=sys.stderr)
            self.assertEqual(len(checked), len(queries))
        finally:
            prom.cleanup()
            rc = augur.stop()
            augur.cleanup()
        self.assertEqual(rc, 0)


REPLAY_CONFIG = """
forecasts:
  - name: demand
    series: 'demand'
    horizons: [15m]
scalers:
  - name: web
    forecast: demand
    replicas: 'replicas'
    target: 0.7
    lead_time: 2m
"""


class ReplayFromPrometheus(unittest.TestCase):
    """README's "replay last week": tools/prom_trace.py reads a series out of
    a real Prometheus as a trace, and augurctl simulate replays it."""

    def test_trace_from_prometheus_replays(self):
        prom = Prometheus(lambda port: "global:\n  scrape_interval: 1m\n",
                          extra_args=["--web.enable-remote-write-receiver"]).start()
        tmp = prom.tmp
        try:
            now = int(time.time()) // 60 * 60
            ts = [now - 60 * (59 - k) for k in range(60)]
            vals = [20 + 10 * math.sin(2 * math.pi * k / 30) + (k % 7) * 0.25 for k in range(60)]
            series = [({"__name__": "demand", "job": "replay"}, [(t * 1000, v) for t, v in zip(ts, vals)]),
                      ({"__name__": "demand", "job": "other"}, [(now * 1000, 1.0)])]
            req = urllib.request.Request(prom.url + "/api/v1/write", data=snappy.compress(enc_write_request(series)),
                                         method="POST", headers={"Content-Type": "application/x-protobuf",
                                                                 "Content-Encoding": "snappy",
                                                                 "X-Prometheus-Remote-Write-Version": "0.1.0"})
            with urllib.request.urlopen(req, timeout=10) as r:
                self.assertEqual(r.status, 204)

            tool = [sys.executable, os.path.join(ROOT, "tools", "prom_trace.py"), "--url", prom.url,
                    "--since", "59m", "--step", "1m", "--until", str(now)]
            p = subprocess.run(tool + ["--query", 'demand{job="replay"}'], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            lines = p.stdout.strip().split("\n")
            self.assertEqual(lines[0], "timestamp,value")
            got = [(int(a), float(b)) for a, b in (l.split(",") for l in lines[1:])]
            self.assertEqual(got, list(zip(ts, vals)))  # every point, bit for bit
            self.assertIn("60 points, step 60 s", p.stderr)
            # In requests of 7 points (9 requests, the last one short): the same trace.
            pc = subprocess.run(tool + ["--query", 'demand{job="replay"}', "--max-points", "7"], capture_output=True,
                                text=True)
            self.assertEqual((pc.returncode, pc.stdout), (0, p.stdout), pc.stderr)

            # Two series: a one-line error that says how to fix the query.
            p2 = subprocess.run(tool + ["--query", "demand"], capture_output=True, text=True)
            self.assertEqual(p2.returncode, 1)
            self.assertIn("returns 2 series", p2.stderr)
            self.assertIn("sum(demand)", p2.stderr)

            trace = os.path.join(tmp, "trace.csv")
            with open(trace, "w") as f:
                f.write(p.stdout)
            cfg = os.path.join(tmp, "augur.yml")
            with open(cfg, "w") as f:
                f.write(REPLAY_CONFIG)
            p3 = subprocess.run([binary("augurctl"), "simulate", "--trace", trace, "--config", cfg, "--capacity",
                                 "10", "--warmup", "0", "--format", "json"], capture_output=True, text=True)
            self.assertEqual(p3.returncode, 0, p3.stderr)
            rows = {o["policy"]: o for o in map(json.loads, p3.stdout.strip().split("\n"))}
            self.assertEqual(sorted(rows), ["augur", "hpa", "oracle"])
            for o in rows.values():
                self.assertEqual(o["scored_steps"], 60)
                self.assertEqual(o["step_s"], 60)
        finally:
            prom.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
