#!/bin/sh
# ingest_bench.sh — one bounded remote-write benchmark run against augur.
#
#   tests/bench/ingest_bench.sh [BUILD_DIR] [rwload flags...]
#
# Starts build/augur on 127.0.0.1 with a fresh temporary store and a config
# that keeps {job="rwload"}, waits for /-/ready, runs build/tools/rwload with
# the given flags (default: 100k series, 2000 samples/request, 4 connections,
# 20 s), then prints the daemon's CPU time, RSS, the LMDB mapping's resident
# pages, heap bytes, series count and commit metrics, and stops the daemon
# with SIGTERM. Everything binds 127.0.0.1 and is bounded in time.
# Environment: WARMUP (rwload flags of an unmeasured first run), PORT (default 19731), AUGUR (daemon binary, default
# BUILD/augur: compare builds with one rwload), KEEP_DIR=1 keeps the store directory,
# PERF=1 runs the daemon under `perf record -e cpu-clock -g` (all threads)
# and keeps $OUT/perf.data. SMAPS=FILE copies /proc/PID/smaps at the end of
# the run to FILE (tests/bench/smaps_attr.py attributes it).
set -eu
BUILD=${1:-build}
AUGUR=${AUGUR:-$BUILD/augur}
[ $# -gt 0 ] && shift
PORT=${PORT:-19731}
OUT=$(mktemp -d /tmp/augur-bench.XXXXXX)
printf 'ingest:\n  keep: ['"'"'{job="rwload"}'"'"']\n' >"$OUT/augur.yml"
daemon() {
    exec "$AUGUR" --config.file="$OUT/augur.yml" --storage.path="$OUT/data" \
        --web.listen-address=127.0.0.1:"$PORT" --log.level=warn
}
if [ "${PERF:-0}" = 1 ]; then
    # Under perf from the start: `perf record -p` would miss the connection
    # threads libmicrohttpd creates later.
    perf record -e cpu-clock -F ${PERF_FREQ:-999} ${PERF_CG:--g} -o "$OUT/perf.data" -- "$AUGUR" --config.file="$OUT/augur.yml" \
        --storage.path="$OUT/data" --web.listen-address=127.0.0.1:"$PORT" --log.level=warn >"$OUT/augur.log" 2>&1 &
    PERFPID=$!
    sleep 0.3
    PID=$(pgrep -P "$PERFPID")
else
    daemon >"$OUT/augur.log" 2>&1 &
    PID=$!
fi
trap 'kill "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
if ! kill -0 "$PID" 2>/dev/null; then
    cat "$OUT/augur.log" >&2
    exit 1
fi
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
TCK=$(getconf CLK_TCK)
C0=$(cpu)
snap() {
    for t in /proc/"$PID"/task/*; do
        printf '%s %s %s\n' "${t##*/}" "$(cut -d' ' -f1-2 "$t/schedstat" 2>/dev/null)" "$(cat "$t/comm" 2>/dev/null)"
    done >>"$OUT/sched" 2>/dev/null
}
(while :; do snap; sleep 1; done) &
SNAP=$!
if [ -n "${WARMUP:-}" ]; then
    # Unmeasured first run, e.g. to create every series before measuring:
    # WARMUP="--series 1000000 --requests 500 --start-offset 10800".
    # shellcheck disable=SC2086
    "$BUILD/tools/rwload" --url "http://127.0.0.1:$PORT/api/v1/write" $WARMUP >/dev/null || true
    C0=$(cpu)
    : >"$OUT/sched"
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ $# -eq 0 ]; then
    set -- --series 100000 --samples-per-request 2000 --connections 4 --duration 20
fi
"$BUILD/tools/rwload" --url "http://127.0.0.1:$PORT/api/v1/write" "$@" || true
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
C1=$(cpu)
awk -v a="$C0" -v b="$C1" -v t="$TCK" 'BEGIN { printf "daemon cpu    %.1f s\n", (b - a) / t }'
# Per thread: CPU time and time spent runnable but waiting for a core
# (/proc/.../schedstat: on-cpu ns, run-queue wait ns). Connection threads
# exit with their connections, so the last snapshot of each is kept.
kill "$SNAP" 2>/dev/null || true
wait "$SNAP" 2>/dev/null || true
snap
awk '{ c[$1] = $2; w[$1] = $3; k[$1] = $4 }
    END { for (t in c) { C[k[t]] += c[t]; W[k[t]] += w[t]; N[k[t]]++ }
          for (x in C) printf "thread %-16s x%-3d on-cpu %6.2f s  runqueue wait %6.2f s\n", x, N[x], C[x] / 1e9, W[x] / 1e9 }' \
    "$OUT/sched"
awk '/^(wchar|write_bytes)/ { printf "io            %s %.0f MB\n", $1, $2 / 1e6 }' "/proc/$PID/io"
RSS=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
MDB=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { m = ($6 ~ /data\.mdb$/) } m && /^Rss:/ { s += $2 } END { print s + 0 }' \
    "/proc/$PID/smaps")
M=$(curl -fs "http://127.0.0.1:$PORT/metrics")
HEAP=$(echo "$M" | awk '/^augur_heap_bytes / {printf "%d", $2}')
SER=$(echo "$M" | awk '/^augur_series / {printf "%d", $2}')
ANON=$(awk '/^Anonymous:/ {print $2}' "/proc/$PID/smaps_rollup")
[ -n "${SMAPS:-}" ] && cp "/proc/$PID/smaps" "$SMAPS"
echo "rss           $RSS kB, data.mdb resident $MDB kB, rss - mdb $((RSS - MDB)) kB (anonymous $ANON kB)"
echo "heap          $HEAP bytes"
echo "series        $SER"
if [ "$SER" -gt 0 ]; then
    echo "bytes/series  heap $((HEAP / SER)), rss-mdb $(((RSS - MDB) * 1024 / SER))"
fi
echo "$M" | grep -E '^augur_ingest_(commit_duration_seconds_(sum|count)|requests_per_commit_(sum|count)|checkpoints_total|samples_total)' || true
kill -TERM "$PID"
for _ in $(seq 1 300); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
if [ "${PERF:-0}" = 1 ]; then
    wait "$PERFPID" || true
    echo "perf data: $OUT/perf.data"
fi
trap - EXIT
if [ "${KEEP_DIR:-0}" = 1 ] || [ "${PERF:-0}" = 1 ]; then
    echo "kept $OUT"
else
    rm -rf "$OUT"
fi
