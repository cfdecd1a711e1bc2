#!/usr/bin/python3
"""prom_trace.py — write a `timestamp,value` trace for `augurctl simulate`
from a Prometheus (or any server with its HTTP query API), e.g. last week of
the load a scaler would have seen:

    tools/prom_trace.py --url http://127.0.0.1:9090 \\
        --query 'sum(rate(http_requests_total{job="web"}[5m]))' \\
        --since 7d --step 5m > web.csv
    build/tools/augurctl simulate --trace web.csv --config config/simulate.yml

The query must return one series (aggregate it: sum(...), avg(...)). The
range [now - since, now] is read with /api/v1/query_range in chunks of at
most --max-points steps (default 10,000: Prometheus refuses more than 11,000
points per series),
on a grid aligned to the step, so the same command gives the same
timestamps. Points Prometheus has no value for (gaps, NaN, ±Inf) are left
out and counted on stderr; augurctl simulate counts a gap as one step.

Exit status: 0 ok, 1 on a failed or unusable query, 2 on usage errors.
Only the standard library.
"""
import argparse
import json
import math
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def duration(text):
    """'30s', '5m', '7d', '1h30m' → seconds (Prometheus' duration syntax, ms left out)."""
    parts = re.fullmatch(r"((\d+)[smhdw])+", text)
    if not parts:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30s, 5m, 7d or 1h30m")
    seconds = sum(int(n) * UNITS[u] for n, u in re.findall(r"(\d+)([smhdw])", text))
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return seconds


def query_range(url, query, start, end, step, timeout):
    q = urllib.parse.urlencode({"query": query, "start": start, "end": end, "step": step})
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/api/v1/query_range?" + q, timeout=timeout) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        detail = e.read().decode(errors="replace")
        try:
            detail = json.loads(detail).get("error", detail)
        except ValueError:
            pass
        raise RuntimeError(f"HTTP {e.code}: {detail.strip()[:300]}") from None
    except (urllib.error.URLError, OSError) as e:
        raise RuntimeError(f"cannot reach {url}: {getattr(e, 'reason', e)}") from None
    if body.get("status") != "success":
        raise RuntimeError(f"query failed: {body.get('error', body)}")
    if body["data"].get("resultType") != "matrix":
        raise RuntimeError(f"expected a range vector (matrix), got {body['data'].get('resultType')}")
    return body["data"]["result"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True, help="base URL of Prometheus, e.g. http://127.0.0.1:9090")
    ap.add_argument("--query", required=True, help="PromQL returning one series")
    ap.add_argument("--since", type=duration, default=duration("7d"), help="how far back (default 7d)")
    ap.add_argument("--step", type=duration, default=duration("5m"), help="trace step (default 5m)")
    ap.add_argument("--until", type=float, default=None, help="end, Unix seconds (default: now)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per request (default 60)")
    ap.add_argument("--max-points", type=int, default=10000, help="steps per request (default 10000)")
    a = ap.parse_args(argv)
    if not 1 <= a.max_points <= 11000:
        ap.error("--max-points must be in 1..11000")

    step = a.step
    end = math.floor((a.until if a.until is not None else time.time()) / step) * step
    start = end - math.floor(a.since / step) * step
    rows, skipped, labels = [], 0, None
    t = start
    try:
        while t <= end:
            chunk_end = min(end, t + (a.max_points - 1) * step)
            result = query_range(a.url, a.query, t, chunk_end, step, a.timeout)
            if len(result) > 1:
                names = ", ".join(json.dumps(r["metric"]) for r in result[:3])
                raise RuntimeError(f"the query returns {len(result)} series ({names}, ...): aggregate it to one, "
                                   f"e.g. sum({a.query})")
            for r in result:
                if labels is not None and r["metric"] != labels:
                    raise RuntimeError("the query returns a different series in another part of the range: "
                                       "aggregate it to one")
                labels = r["metric"]
                for ts, v in r["values"]:
                    x = float(v)
                    if math.isfinite(x):
                        rows.append((int(round(float(ts))), x))
                    else:
                        skipped += 1
            t = chunk_end + step
    except RuntimeError as e:
        print(f"prom_trace: {e}", file=sys.stderr)
        return 1
    if not rows:
        print(f"prom_trace: the query returned no points in the last {a.since} s", file=sys.stderr)
        return 1
    out = sys.stdout
    out.write("timestamp,value\n")
    for ts, x in rows:
        out.write(f"{ts},{x!r}\n")
    expected = (end - start) // step + 1
    print(f"prom_trace: {len(rows)} points, step {step} s, {rows[0][0]} .. {rows[-1][0]}; "
          f"{expected - len(rows) - skipped} steps without a value, {skipped} non-finite left out", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
