#!/bin/sh
# seed_bench.sh — how long a new forecast model takes to learn the stored
# history (docs/predict.md, "Learning the stored history").
#
#   tests/bench/seed_bench.sh [BUILD_DIR] [DAYS] [INPUTS]
#
# Backfills DAYS (default 14) of a daily cycle, one sample every 30 s, for
# INPUTS (default 1) series `seed_bench{i="N"}` into a fresh store, then
# starts augur on it with one forecast target summing them (`auto`, horizons
# 15m and 1h). The sweep closes the backfill's open minute about a second
# after start-up: that is the group's first live bucket, so the model is
# seeded right then. Prints augur's seed log line (buckets, reads, seconds:
# reads, updates and the refit) and the store size. Figures only, no
# assertions; the directory is removed.
set -eu
BUILD=${1:-build}
DAYS=${2:-14}
INPUTS=${3:-1}
OUT=$(mktemp -d /tmp/augur-seed-bench.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$OUT"' EXIT
end=$(( $(date +%s) / 60 * 60 - 120 ))
n=$(( DAYS * 2880 ))
i=0
while [ "$i" -lt "$INPUTS" ]; do
    awk -v n="$n" -v end="$end" -v seed="$i" 'BEGIN {
        srand(seed + 1); print "timestamp,value"
        for (k = 0; k < n; k++) { t = end - (n - 1 - k) * 30; printf "%d,%.3f\n", t, 100 + 50 * sin(t * 6.283185307 / 86400) + rand() }
    }' >"$OUT/s$i.csv"
    "$BUILD/tools/augurctl" backfill --storage.path="$OUT/data" --series "seed_bench{i=\"$i\"}" "$OUT/s$i.csv" 2>/dev/null
    i=$(( i + 1 ))
done
cat >"$OUT/augur.yml" <<YML
ingest:
  close_delay: 1s
forecasts:
  - name: seedbench
    series: 'seed_bench'
    aggregate: sum
    horizons: [15m, 1h]
YML
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "seed_bench: $DAYS days x $INPUTS inputs, $(( DAYS * 1440 )) minutes each, store on $(df -T "$OUT" | awk 'NR == 2 {print $2}')"
"$BUILD/augur" --config.file="$OUT/augur.yml" --storage.path="$OUT/data" --web.listen-address=127.0.0.1:"$port" \
    >"$OUT/augur.log" 2>&1 &
PID=$!
k=0
while ! grep -q 'forecast seeded' "$OUT/augur.log" && [ "$k" -lt 300 ]; do
    sleep 0.2
    k=$(( k + 1 ))
done
grep 'forecast seeded' "$OUT/augur.log" || { echo "seed_bench: no seed line"; cat "$OUT/augur.log"; exit 1; }
echo "seed_bench: store $(du -sh "$OUT/data" | cut -f1)"
