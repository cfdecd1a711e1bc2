#!/bin/sh
# backfill_bench.sh — one bounded `augurctl backfill` run: import speed.
#
#   tests/bench/backfill_bench.sh [BUILD_DIR] [SAMPLES] [BATCH]
#
# Writes a CSV of SAMPLES (default 1,000,000) `timestamp,value` lines, 10 s
# apart and ending a day ago, into a fresh temporary directory, then times
# `augurctl backfill --batch-samples=BATCH` (default 50000) into a new store
# there. Prints augurctl's own summary (its samples/s covers the import:
# lock, store, one commit per batch, final checkpoint) and the wall time of
# the whole command, which also includes checking every line once before
# the import. Figures only, no assertions; the directory is removed.
set -eu
BUILD=${1:-build}
N=${2:-1000000}
BATCH=${3:-50000}
OUT=$(mktemp -d /tmp/augur-backfill-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
end=$(( $(date +%s) / 60 * 60 - 86400 ))
awk -v n="$N" -v end="$end" 'BEGIN {
    srand(1); print "timestamp,value"
    for (i = 0; i < n; i++) printf "%d,%.3f\n", end - (n - i) * 10, 50 + 40 * sin(i / 360.0) + rand()
}' >"$OUT/bench_series.csv"
echo "backfill_bench: $N samples ($(du -h "$OUT/bench_series.csv" | cut -f1) CSV), batch $BATCH, store on $(df -T "$OUT" | awk 'NR == 2 {print $2}')"
t0=$(date +%s.%N)
"$BUILD/tools/augurctl" backfill --storage.path="$OUT/data" --batch-samples="$BATCH" "$OUT/bench_series.csv"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN {printf "backfill_bench: whole command %.2f s, %.2f M samples/s\n", b - a, n / (b - a) / 1e6}'
echo "backfill_bench: store $(du -sh "$OUT/data" | cut -f1)"
