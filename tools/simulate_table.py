#!/usr/bin/env python3
"""simulate_table.py — run `augurctl simulate` on every trace of a series.csv
and print the per-trace table of docs/simulate.md (Markdown).

    tools/simulate_table.py [--augurctl build/tools/augurctl] \
        [--config config/simulate.yml] [--data ../shared/data] [--jobs 2] \
        [-- EXTRA AUGURCTL SIMULATE ARGS]

Each trace runs with --step from series.csv and --format json; the columns
are the three policies' minutes under capacity, replica-hours, scale actions
and peak shortfall, and the goal of issue 5: augur has >= 90% fewer minutes
under capacity than the HPA baseline, <= 1.2x the oracle's replica-hours and
no more scale actions than the HPA baseline. Only the standard library.
"""
import argparse
import concurrent.futures
import csv
import json
import os
import subprocess
import sys


def run(augurctl, config, data, rel, step, extra):
    cmd = [augurctl, "simulate", "--trace", os.path.join(data, rel), "--config", config,
           "--step", str(step), "--format", "json"] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return rel, None, p.stderr.strip()
    rows = {}
    for line in p.stdout.splitlines():
        o = json.loads(line)
        rows[o["policy"]] = o
    return rel, rows, p.stderr.strip()


def add_common_args(ap):
    """The options every tool that runs the reference traces takes."""
    ap.add_argument("--augurctl", default="build/tools/augurctl")
    ap.add_argument("--config", default="config/simulate.yml")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--jobs", type=int, default=2)


def read_series(data):
    """(path relative to data, step in seconds) of every trace in series.csv."""
    with open(os.path.join(data, "series.csv")) as f:
        return [(r["path"], int(r["step_s"])) for r in csv.DictReader(f)]


def fmt(x, nd=0):
    return f"{x:,.{nd}f}" if x is not None else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap)
    ap.add_argument("extra", nargs="*", help="more augurctl simulate arguments (after --)")
    a = ap.parse_args()
    series = read_series(a.data)
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        results = list(ex.map(lambda s: run(a.augurctl, a.config, a.data, s[0], s[1], a.extra), series))
    print("| trace | min under cap augur / hpa / oracle | fewer than hpa | replica-h augur / hpa / oracle "
          "| × oracle | actions augur / hpa / oracle | peak shortfall augur / hpa | goal |")
    print("|---|---|---|---|---|---|---|---|")
    met = 0
    for rel, rows, err in results:
        name = os.path.basename(rel).removesuffix(".csv")
        if rows is None:
            print(f"| {name} | error: {err} | | | | | | |")
            continue
        au, hp, orc = rows["augur"], rows["hpa"], rows["oracle"]
        cut = au["under_reduction_vs_hpa"]
        ratio = au["replica_hours_vs_oracle"]
        ok_u = cut is not None and cut >= 0.9
        ok_c = ratio is not None and ratio <= 1.2
        ok_a = au["scale_actions"] <= hp["scale_actions"]
        misses = [w for w, ok in (("under", ok_u), ("cost", ok_c), ("actions", ok_a)) if not ok]
        met += not misses
        verdict = "met" if not misses else "MISSED (" + ", ".join(misses) + ")"
        cut_s = f"{100 * cut:.1f}%" if cut is not None else "-"
        ratio_s = f"{ratio:.2f}" if ratio is not None else "-"
        print(f"| {name} | {fmt(au['minutes_under_capacity'])} / {fmt(hp['minutes_under_capacity'])} / "
              f"{fmt(orc['minutes_under_capacity'])} | {cut_s} | {fmt(au['replica_hours'])} / "
              f"{fmt(hp['replica_hours'])} / {fmt(orc['replica_hours'])} | {ratio_s} | "
              f"{au['scale_actions']} / {hp['scale_actions']} / {orc['scale_actions']} | "
              f"{au['peak_shortfall']:.4g} / {hp['peak_shortfall']:.4g} | {verdict} |")
    print(f"\ngoal met on {met} of {len(results)} traces")
    return 0


if __name__ == "__main__":
    sys.exit(main())
