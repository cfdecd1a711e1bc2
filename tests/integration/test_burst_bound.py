#!/usr/bin/env python3
"""tools/burst_bound.py: its water-filling and bounds against hand-computed
answers, then the whole tool on a synthetic trace through the real augurctl."""
import csv
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import burst_bound  # noqa: E402

BUILD = os.environ.get("AUGUR_BUILD", os.path.join(ROOT, "build"))
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


def near(a, b, tol=1e-9):
    return abs(a - b) <= tol


def test_waterfill():
    # Bin a: 10 steps, two blind steps of need 100 (0.002 covered per
    # replica-step); b: 30 steps, one of need 50 (0.00067). a fills first.
    steps = {"a": 10, "b": 30}
    needs = {"a": [100, 100], "b": [50]}
    c = burst_bound.waterfill(steps, needs, 1000)
    check(near(c["a"], 100) and near(c["b"], 0), f"budget 1000 fills a to 100, b stays 0: {c}")
    # 500 more replica-steps go to b: 500 / 30 = 16.67 replicas.
    c = burst_bound.waterfill(steps, needs, 1500)
    check(near(c["a"], 100) and near(c["b"], 500 / 30), f"budget 1500 gives b 16.67: {c}")
    # Past every need the rest is not spent: covering is capped at 1.
    c = burst_bound.waterfill(steps, needs, 10**6)
    check(near(c["a"], 100) and near(c["b"], 50), f"a huge budget stops at the needs: {c}")


def test_bound_by_hand():
    # Two days of 5-minute steps, need 1 everywhere but one step of need 100
    # at 03:00 on each day (indexes 36 and 324); lead 10 min = 2 steps, so
    # both onsets are blind; the threshold is 3 x the median need 1.
    ts = [i * 300 for i in range(576)]
    need = [1.0] * 576
    need[36] = need[324] = 100.0
    b = burst_bound.bound(ts, need, 300, 600, 0, 2.0)
    check(b["onsets"] == 2 and b["blind"] == 2, f"2 onsets, 2 blind steps: {b}")
    # hour: hour 3 has 24 steps over two days; the budget 2 x 576 = 1152
    # replica-steps all go there: 48 replicas, each onset covered 0.48.
    check(near(b["hour"], 2 - 2 * 0.48), f"hour bound 1.04: {b['hour']}")
    # since: both onsets fall in the bin "no burst visible, or the last one
    # more than 8 h ago": steps 0-37 (none visible yet), 133-325 (step 36's
    # seen more than 8 h before) and 421-575 (step 324's): 38 + 193 + 155 =
    # 386 steps, so 1152 / 386 replicas, covering each 100-need onset that
    # fraction of a hundredth.
    check(near(b["since"], 2 - 2 * (1152 / 386) / 100), f"since bound 1.9403: {b['since']}")
    check(0 <= b["learned"] <= 2, f"learned within [0, blind]: {b['learned']}")
    # Both at once, the bin (hour 3, more than 8 h or none seen) holds just
    # 4 steps, 36-37 and 324-325 (from step 38 on, the burst at 36 is seen):
    # hindsight with many bins is close to foresight. With a budget of 200
    # replica-steps: by hour 200 / 24 replicas, covering each onset 1/12;
    # by both 200 / 4 = 50, covering each half.
    b = burst_bound.bound(ts, need, 300, 600, 0, 200 / 576)
    check(near(b["hour"], 2 - 2 / 12), f"hour bound 1.833: {b['hour']}")
    check(near(b["hour+since"], 1.0), f"hour+since bound 1: {b['hour+since']}")
    # A budget covering everything in hindsight leaves no step short.
    b = burst_bound.bound(ts, need, 300, 600, 0, 1000.0)
    check(near(b["hour"], 0) and near(b["since"], 0), f"a huge budget: bounds 0: {b}")
    # With the lead time shorter than a step nothing is blind.
    b = burst_bound.bound(ts, need, 300, 120, 0, 2.0)
    check(b["blind"] == 0 and b["hour"] == 0, f"lead < step: nothing blind: {b}")


def test_tool_on_a_trace():
    augurctl = os.path.join(BUILD, "tools", "augurctl")
    with tempfile.TemporaryDirectory() as tmp:
        # Four days of 5-minute steps: demand 10, a burst of 400 for two steps
        # every day at 03:00 and 15:00.
        os.mkdir(os.path.join(tmp, "t"))
        bursts = {d * 288 + h * 12 + s for d in range(4) for h in (3, 15) for s in range(2)}
        with open(os.path.join(tmp, "t", "burst.csv"), "w") as f:
            f.write("timestamp,value\n")
            for i in range(4 * 288):
                f.write(f"{1700006400 + i * 300},{400 if i in bursts else 10}\n")
        with open(os.path.join(tmp, "series.csv"), "w") as f:
            f.write("path,step_s,description\nt/burst.csv,300,synthetic\n")
        cfg = os.path.join(ROOT, "config", "simulate.yml")
        p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "burst_bound.py"), "--augurctl", augurctl,
                            "--config", cfg, "--data", tmp], capture_output=True, text=True)
        check(p.returncode == 0, f"burst_bound exits 0: {p.returncode} {p.stderr}")
        rows = [line.split("|")[1:-1] for line in p.stdout.splitlines() if line.startswith("| burst ")]
        check(len(rows) == 1, f"one row for the trace: {p.stdout}")
        if len(rows) != 1:
            return
        cells = [c.strip() for c in rows[0]]
        sim = subprocess.run([augurctl, "simulate", "--trace", os.path.join(tmp, "t", "burst.csv"), "--config", cfg,
                              "--step", "300", "--format", "json"], capture_output=True, text=True, check=True)
        pol = {o["policy"]: o for o in map(json.loads, sim.stdout.splitlines())}
        n = pol["augur"]["scored_steps"]
        scored_onsets = sum(1 for i in bursts if i >= 4 * 288 - n and i - 1 not in bursts)
        check(cells[1] == str(scored_onsets), f"bursts {cells[1]} == onsets in the scored steps {scored_onsets}")
        # Each burst lasts the 2-step lead time: both of its steps are blind.
        check(cells[2] == str(2 * scored_onsets), f"blind steps {cells[2]} == {2 * scored_onsets}")
        allowed = int(0.1 * pol["hpa"]["steps_under_capacity"])
        check(cells[3] == str(allowed), f"goal allows {cells[3]} == floor(0.1 x hpa) {allowed}")
        check(cells[4] == str(pol["augur"]["steps_under_capacity"]), f"augur column: {cells[4]}")
        check(cells[8] in ("out of reach", "not excluded"), f"verdict: {cells[8]}")


test_waterfill()
test_bound_by_hand()
test_tool_on_a_trace()
print("ok" if failures == 0 else f"{failures} failure(s)")
sys.exit(1 if failures else 0)
