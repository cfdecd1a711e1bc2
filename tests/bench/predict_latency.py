#!/usr/bin/python3
"""Forecast latency after a bucket closes, on a ready model, live.

Starts the real augur (AUGUR_BUILD, default build/) with one forecast target
(sum of 3 inputs, minute resolution, horizons 15m and 1h, model auto),
backfills two days by remote-write so the model is ready, then for N real
minutes writes the inputs' samples just after each minute starts: each write
closes the previous minute of all three inputs in one commit. After each
write it reads augur_predict_latency_seconds (commit that closed the bucket
→ forecast points returned from the sink) from /metrics and prints it.

    AUGUR_BUILD=build /usr/bin/python3 tests/bench/predict_latency.py [N=4]

Takes about N+1 minutes. Not a test: docs/predict.md quotes its output.
"""
import json
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from augur_harness import Augur  # noqa: E402

CONFIG = """
ingest:
  keep: []
  close_delay: 10s
forecasts:
  - name: load
    series: 'load{job="fc"}'
    aggregate: sum by (job)
    horizons: [15m, 1h]
"""
MIN = 60_000


def value(t, i):
    return 100 + 20 * i + 50 * math.sin(2 * math.pi * ((t / 1000) % 86400) / 86400) + random.gauss(0, 1.5)


def state(a):
    st, body, _ = a.get("/api/v1/status")
    groups = json.loads(body)["data"]["forecasts"][0]["series"]
    return groups[0]["state"] if groups else "none"


def main():
    closes = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    random.seed(1)
    a = Augur(config=CONFIG).start()
    try:
        now = int(time.time() * 1000) // MIN * MIN
        for cs in range(now - 2 * 86_400_000, now, 6 * 3_600_000):
            st, body = a.write([({"__name__": "load", "job": "fc", "instance": str(i)},
                                 [(t, value(t, i)) for t in range(cs, min(cs + 6 * 3_600_000, now), 30_000)])
                                for i in range(3)])
            assert st == 204, body
        time.sleep(3)
        m = a.metrics()
        n0, s0 = m["augur_predict_latency_seconds_count"], m["augur_predict_latency_seconds_sum"]
        r0, rs0 = m["augur_predict_refits_total"], m["augur_predict_refit_duration_seconds_sum"]
        print("backfill: model %s, %d refits, %.1f ms of refits" % (state(a), r0, rs0 * 1000))
        lat = []
        for k in range(closes + 1):
            nxt = (int(time.time() * 1000) // MIN + 1) * MIN
            time.sleep(max(0.0, (nxt - time.time() * 1000) / 1000) + 0.3)
            t = int(time.time() * 1000)
            st, body = a.write([({"__name__": "load", "job": "fc", "instance": str(i)}, [(t, value(t, i))])
                                for i in range(3)])
            assert st == 204, body
            time.sleep(0.5)
            m = a.metrics()
            n, s = m["augur_predict_latency_seconds_count"], m["augur_predict_latency_seconds_sum"]
            if n > n0:
                lat.append((s - s0) / (n - n0))
                print("close %d: %.3f ms (model %s)" % (len(lat), lat[-1] * 1000, state(a)), flush=True)
            n0, s0 = n, s
        print("live closes: %d, latency ms: %s" % (len(lat), ", ".join("%.3f" % (x * 1000) for x in lat)))
    finally:
        a.stop()
        a.cleanup()


if __name__ == "__main__":
    main()
