#!/bin/sh
# compare.sh — the same rwload run against VictoriaMetrics and Prometheus'
# remote-write receiver, for the side-by-side table in docs/bench.md
# (augur itself: tests/bench/ingest_bench.sh).
#
#   tests/bench/compare.sh vm|prom [BUILD_DIR] [rwload flags...]
#
# Starts the server on 127.0.0.1 with a fresh temporary data directory,
# waits until it answers, runs build/tools/rwload against /api/v1/write
# (default: 100k series, 2000 samples/request, 4 connections, 20 s), prints
# the server's CPU time, RSS (total and anonymous) and RSS per series, and
# stops it with SIGTERM. WARMUP="rwload flags" runs an unmeasured first
# run (ingest_bench.sh has the same). Neither server fsyncs before answering 204:
# VictoriaMetrics buffers rows in memory and flushes them about every
# second; Prometheus appends to its head block and its WAL, which it writes
# through the page cache without fsync per request. Environment: PORT
# (default 19741), VM (default /usr/bin/victoria-metrics), PROM (default
# /usr/bin/prometheus).
set -eu
KIND=$1
shift
BUILD=${1:-build}
[ $# -gt 0 ] && shift
PORT=${PORT:-19741}
OUT=$(mktemp -d /tmp/augur-compare.XXXXXX)
case "$KIND" in
vm)
    "${VM:-/usr/bin/victoria-metrics}" -httpListenAddr=127.0.0.1:"$PORT" -storageDataPath="$OUT/data" \
        -retentionPeriod=100y >"$OUT/server.log" 2>&1 &
    READY=/health
    ;;
prom)
    printf 'global:\n  scrape_interval: 15s\n' >"$OUT/prometheus.yml"
    "${PROM:-/usr/bin/prometheus}" --web.enable-remote-write-receiver --storage.tsdb.path="$OUT/data" \
        --web.listen-address=127.0.0.1:"$PORT" --config.file="$OUT/prometheus.yml" >"$OUT/server.log" 2>&1 &
    READY=/-/ready
    ;;
*)
    echo "usage: compare.sh vm|prom [BUILD_DIR] [rwload flags...]" >&2
    exit 2
    ;;
esac
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
    curl -fs "http://127.0.0.1:$PORT$READY" >/dev/null 2>&1 && break
    sleep 0.1
done
if ! kill -0 "$PID" 2>/dev/null; then
    cat "$OUT/server.log" >&2
    exit 1
fi
if [ -n "${WARMUP:-}" ]; then
    # shellcheck disable=SC2086
    "$BUILD/tools/rwload" --url "http://127.0.0.1:$PORT/api/v1/write" $WARMUP >/dev/null || true
fi
TCK=$(getconf CLK_TCK)
C0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
echo "server        $KIND $("/proc/$PID/exe" --version 2>&1 | head -1)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ $# -eq 0 ]; then
    set -- --series 100000 --samples-per-request 2000 --connections 4 --duration 20
fi
"$BUILD/tools/rwload" --url "http://127.0.0.1:$PORT/api/v1/write" "$@" || true
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
C1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
awk -v a="$C0" -v b="$C1" -v t="$TCK" 'BEGIN { printf "server cpu    %.1f s\n", (b - a) / t }'
RSS=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
ANON=$(awk '/^Anonymous:/ {print $2}' "/proc/$PID/smaps_rollup")
SERIES=100000
prev=""
for a in "$@"; do
    [ "$prev" = "--series" ] && SERIES=$a
    prev=$a
done
echo "rss           $RSS kB (anonymous $ANON kB), $((RSS * 1024 / SERIES)) bytes/series for $SERIES series"
kill -TERM "$PID"
for _ in $(seq 1 300); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
trap - EXIT
rm -rf "$OUT"
