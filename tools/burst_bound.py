#!/usr/bin/env python3
"""burst_bound.py — can any scaler meet issue 5's goal on a trace without
seeing its bursts coming? A lower bound on the steps under capacity.

    tools/burst_bound.py [--augurctl build/tools/augurctl] \\
        [--config config/simulate.yml] [--data ../shared/data] [--jobs 2] \\
        [--factor 3] [TRACE_NAME ...]

For every trace of series.csv (or only those named), it runs `augurctl
simulate` with the config's scaler (for the capacity model, the HPA
baseline and the oracle) and prints a Markdown table.

The argument (docs/simulate.md "Which traces can meet the goal"):

- A step is under capacity when demand > ready replicas x capacity, so step
  k needs need_k = demand_k / capacity replicas ready.
- A burst begins at a scored step k where need_k > thr >= need_{k-1}, with
  thr = FACTOR x the median non-zero need of the scored steps.
- A replica is ready lead_time after it is requested, so the replicas ready
  at steps k .. k + l - 1, l = floor(lead_time / step), were all requested
  at k - 1 or before, while the burst had not begun. Those of the steps
  above thr are the burst's *blind* steps.
- Suppose that of everything a scaler knows before a burst, only the step's
  *bin* tells it anything about whether a burst comes: the hour of the day
  (`hour`), or how long ago the last burst began that it could have seen
  (`since`). Then at a blind step of need N in bin b, the replicas it holds
  are independent of the burst, and by Markov's inequality it covers the
  step with probability at most min(1, c_b / N), c_b being its mean
  replica count over bin b.
- The goal allows 1.2 x the oracle's replica-hours. Spending all of it on
  the blind steps (none on the load between bursts, which only flatters the
  scaler) and choosing every c_b knowing the trace in hindsight, the most
  blind steps it can cover in expectation is a water-filling problem:
  maximise sum min(1, c_b / N) subject to sum steps_b x c_b <= budget.
- blind - that maximum is a lower bound on the expected steps under
  capacity. The goal allows floor(0.1 x the HPA's steps under capacity).

`hindsight hour+since` is the same bound with both at once: 144 bins for a
few dozen bursts, fitted in hindsight, it is close to knowing the onsets.
`learned` is not a bound but a policy: that allocation fitted on one half
of the trace and scored (same Markov credit, budget rescaled) on the other,
both ways, summed. It shows what learning the pattern from the past buys,
without the hindsight.

A trace is "out of reach" when hour, since and learned all exceed what the
goal allows: no scaler that cannot foresee the burst onsets meets it there.
Each threshold gives its own bound; the highest one counts. Only the
standard library.
"""
import argparse
import bisect
import collections
import concurrent.futures
import csv
import math
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simulate_table  # noqa: E402

SINCE_EDGES_S = (1800, 3600, 7200, 14400, 28800, math.inf)


def onsets_of(need, thr):
    """Steps where need rises above thr."""
    return [k for k in range(1, len(need)) if need[k] > thr >= need[k - 1]]


def blind_steps(need, thr, onsets, lead_steps, lo, hi):
    """The blind steps of the bursts that begin in [lo, hi)."""
    return [j for k in onsets if lo <= k < hi
            for j in range(k, min(k + lead_steps, len(need))) if need[j] > thr]


def waterfill(bin_steps, blind_needs, budget):
    """The mean replicas c_b per bin maximising sum over bins and their blind
    needs N of min(1, c_b / N), subject to sum bin_steps[b] x c_b <= budget.
    The objective is concave and piecewise linear in each c_b, so raising,
    at every turn, the bin that covers the most per replica-step, up to its
    next breakpoint, is optimal."""
    c = {b: 0.0 for b in bin_steps}
    left = budget
    while left > 1e-9:
        best = None
        for b, needs in blind_needs.items():
            if bin_steps.get(b, 0) == 0:
                continue
            active = [n for n in needs if c[b] < n]
            if not active:
                continue
            per_step = sum(1 / n for n in active) / bin_steps[b]
            if best is None or per_step > best[0]:
                best = (per_step, b, min(active) - c[b])
        if best is None:
            break
        _, b, room = best
        spend = min(left, room * bin_steps[b])
        c[b] += spend / bin_steps[b]
        left -= spend
    return c


def covered(c, blind, need, bin_of, scale=1.0):
    return sum(min(1.0, scale * c.get(bin_of(j), 0.0) / need[j]) for j in blind)


def bound(ts, need, step_s, lead_s, first, budget_per_step, factor=3.0):
    """The bounds for one trace: ts/need per step, scoring from index first,
    budget_per_step the mean replicas the goal's cost limit allows."""
    n = len(need)
    nonzero = [x for x in need[first:] if x > 0]
    thr = factor * statistics.median(nonzero) if nonzero else 0.0
    lead_steps = lead_s // step_s
    onsets = onsets_of(need, thr)
    blind = blind_steps(need, thr, onsets, lead_steps, first, n)

    def since_bin(j):
        i = bisect.bisect_right(onsets, j - lead_steps) - 1
        gap = math.inf if i < 0 else ts[j] - ts[onsets[i]]
        return bisect.bisect_left(SINCE_EDGES_S, gap)

    views = {
        "hour": lambda j: (ts[j] // 3600) % 24,
        "since": since_bin,
        "hour+since": lambda j: ((ts[j] // 3600) % 24, since_bin(j)),
    }

    def fit(bin_of, lo, hi, blind_part):
        steps = collections.Counter(bin_of(j) for j in range(lo, hi))
        needs = collections.defaultdict(list)
        for j in blind_part:
            needs[bin_of(j)].append(need[j])
        return steps, waterfill(steps, needs, budget_per_step * (hi - lo))

    out = {"onsets": sum(1 for k in onsets if k >= first), "blind": len(blind), "threshold": thr}
    for name in views:
        _, c = fit(views[name], first, n, blind)
        out[name] = len(blind) - covered(c, blind, need, views[name])
    mid = first + (n - first) // 2
    learned = 0.0
    for train, test in (((first, mid), (mid, n)), ((mid, n), (first, mid))):
        _, c = fit(views["hour+since"], *train, blind_steps(need, thr, onsets, lead_steps, *train))
        test_steps = collections.Counter(views["hour+since"](j) for j in range(*test))
        cost = sum(s * c.get(b, 0.0) for b, s in test_steps.items())
        allowed = budget_per_step * (test[1] - test[0])
        scale = min(1.0, allowed / cost) if cost > 0 else 1.0
        test_blind = blind_steps(need, thr, onsets, lead_steps, *test)
        learned += len(test_blind) - covered(c, test_blind, need, views["hour+since"], scale)
    out["learned"] = learned
    return out


def run(augurctl, config, data, rel, step, factor):
    with tempfile.TemporaryDirectory() as tmp:
        timeline = os.path.join(tmp, "timeline.csv")
        _, rows, err = simulate_table.run(augurctl, config, data, rel, step, ["--timeline", timeline])
        if rows is None:
            return rel, None, err
        with open(timeline) as f:
            tl = list(csv.DictReader(f))
    au, hp, orc = rows["augur"], rows["hpa"], rows["oracle"]
    cap, n = au["capacity_per_replica"], au["scored_steps"]
    ts = [int(r["timestamp"]) for r in tl]
    need = [float(r["demand"]) / cap for r in tl]
    budget = 1.2 * orc["replica_hours"] * 3600 / au["step_s"] / n
    b = bound(ts, need, au["step_s"], au["lead_time_s"], len(tl) - n, budget, factor)
    b["allowed"] = math.floor(0.1 * hp["steps_under_capacity"])
    b["augur"] = au["steps_under_capacity"]
    return rel, b, err


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    simulate_table.add_common_args(ap)
    ap.add_argument("--factor", type=float, default=3.0, help="burst threshold, x the median non-zero need")
    ap.add_argument("traces", nargs="*", help="trace names (file names without .csv); default: all")
    a = ap.parse_args()
    series = simulate_table.read_series(a.data)
    if a.traces:
        series = [s for s in series if os.path.basename(s[0]).removesuffix(".csv") in a.traces]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        results = list(ex.map(lambda s: run(a.augurctl, a.config, a.data, s[0], s[1], a.factor), series))
    print(f"| trace | bursts (> {a.factor:g}x median need) | blind steps | goal allows | augur | "
          "bound: hour / since | hindsight hour+since | learned | verdict |")
    print("|---|---|---|---|---|---|---|---|---|")
    out = 0
    for rel, b, err in results:
        name = os.path.basename(rel).removesuffix(".csv")
        if b is None:
            print(f"| {name} | error: {err} | | | | | | | |")
            continue
        unreachable = min(b["hour"], b["since"], b["learned"]) > b["allowed"]
        out += unreachable
        print(f"| {name} | {b['onsets']} | {b['blind']} | {b['allowed']} | {b['augur']} | "
              f"{b['hour']:.1f} / {b['since']:.1f} | {b['hour+since']:.1f} | {b['learned']:.1f} | "
              f"{'out of reach' if unreachable else 'not excluded'} |")
    print(f"\nout of reach without foresight on {out} of {len(results)} traces (steps under capacity)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
