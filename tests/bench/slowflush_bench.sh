#!/bin/sh
# slowflush_bench.sh — compare two augur builds on emulated slow-flush storage.
#
#   tests/bench/slowflush_bench.sh BUILD_A BUILD_B
#
# For each round, each flush delay and each connection count, runs
# tests/bench/ingest_bench.sh once with BUILD_A's daemon, then once with
# BUILD_B's (a/b/a/b...), always with BUILD_A's rwload. Each daemon runs with
# LD_PRELOAD=BUILD_A/tests/bench/libslowflush.so and SLOWFLUSH_US=<delay>:
# every fdatasync/fsync/msync(MS_SYNC)/sync_file_range and every write to an
# O_DSYNC descriptor sleeps that long before the real call (see slowflush.c).
# Delay 0 still preloads the shim (it only counts), so both builds always
# carry the same overhead.
# Prints one line per run and, at the end, a markdown table with the median
# and range of each cell. Environment: DELAYS (µs, default "0 1000 5000"),
# CONNS (default "4 16"), ROUNDS (default 2), DURATION (s, default 15),
# SERIES (default 100000), SPR (samples/request, default 2000), OUT (file
# for the raw lines, default a temporary file, kept; OUT.shim gets the
# shim's report of each run). Everything binds
# 127.0.0.1; the run takes about ROUNDS × |DELAYS| × |CONNS| × 2 ×
# (DURATION + 4) seconds.
set -eu
A=${1:?usage: slowflush_bench.sh BUILD_A BUILD_B}
B=${2:?usage: slowflush_bench.sh BUILD_A BUILD_B}
HERE=$(cd "$(dirname "$0")" && pwd)
SHIM=$(cd "$A" && pwd)/tests/bench/libslowflush.so
[ -f "$SHIM" ] || { echo "no $SHIM: ninja -C $A tests/bench/libslowflush.so" >&2; exit 1; }
DELAYS=${DELAYS:-0 1000 5000}
CONNS=${CONNS:-4 16}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-15}
SERIES=${SERIES:-100000}
SPR=${SPR:-2000}
TMP=$(mktemp -d /tmp/slowflush-bench.XXXXXX)
OUT=${OUT:-$TMP.tsv}
trap 'rm -rf "$TMP"' EXIT
: >"$OUT"
: >"$OUT.shim"

# run LABEL BUILD DELAY CONNS ROUND: one ingest_bench.sh run, one raw line.
run() {
    label=$1 build=$2 delay=$3 conns=$4 round=$5
    stats=$TMP/stats.$label.$delay.$conns.$round
    # A wrapper that keeps the daemon's pid (exec) and preloads the shim into
    # the daemon only, not into rwload or curl.
    cat >"$TMP/augur-$label" <<EOF
#!/bin/sh
LD_PRELOAD=$SHIM SLOWFLUSH_US=$delay SLOWFLUSH_STATS=$stats exec $(cd "$build" && pwd)/augur "\$@"
EOF
    chmod +x "$TMP/augur-$label"
    log=$TMP/log.$label.$delay.$conns.$round
    AUGUR=$TMP/augur-$label "$HERE/ingest_bench.sh" "$A" --series "$SERIES" --samples-per-request "$SPR" \
        --connections "$conns" --duration "$DURATION" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    flushes=$(awk '/^slowflush flushes/ { print $3 }' "$stats" 2>/dev/null || echo 0)
    # The shim's own report (calls and mean time per intercepted function).
    { echo "round $round delay_us $delay conns $conns build $label"; cat "$stats" 2>/dev/null; } >>"$OUT.shim"
    awk -v label="$label" -v delay="$delay" -v conns="$conns" -v round="$round" -v flushes="${flushes:-0}" '
        /^load before:/ { lb = $3 }
        /^load after:/ { la = $3 }
        /^accepted/ { sps = $2; n = $4; sub(/\(/, "", n) }
        /^latency ms/ { p50 = $4; p99 = $8 }
        /^daemon cpu/ { cpu = $3 }
        /^augur_ingest_commit_duration_seconds_count/ { commits = $2 }
        /^augur_ingest_requests_per_commit_sum/ { rs = $2 }
        /^augur_ingest_requests_per_commit_count/ { rc = $2 }
        END {
            printf "%s\t%s\t%s\t%s\t%.0f\t%.3f\t%s\t%s\t%.2f\t%.2f\t%s-%s\t%d\t%d\n", round, delay, conns, label, sps,
                (n > 0 ? cpu * 1e6 / n : 0), p50, p99, (commits > 0 ? flushes / commits : 0), (rc > 0 ? rs / rc : 0),
                lb, la, commits, flushes
        }' "$log" >>"$OUT"
    tail -1 "$OUT"
}

printf '# round delay_us conns build samples/s cpu_us/sample p50_ms p99_ms flushes/commit requests/commit load commits flushes\n'
r=1
while [ "$r" -le "$ROUNDS" ]; do
    for d in $DELAYS; do
        for c in $CONNS; do
            run a "$A" "$d" "$c" "$r"
            run b "$B" "$d" "$c" "$r"
        done
    done
    r=$((r + 1))
done

echo
echo "a = $A, b = $B; median (min-max) over $ROUNDS rounds, ${DURATION} s runs, $SERIES series, $SPR samples/request"
echo
echo '| flush delay | connections | build | samples/s | CPU µs/sample | p50 ms | p99 ms | flushes/commit | requests/commit | load |'
echo '|---|---|---|---|---|---|---|---|---|---|'
sort -t "$(printf '\t')" -k2,2n -k3,3n -k4,4 -k1,1n "$OUT" | awk -F '\t' '
    function cell(col,   i, j, t, k, v, fmt) {
        # median (min-max) of column col over the rows of the current group
        k = 0
        for (i = 1; i <= n; i++) v[++k] = row[i, col] + 0
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        fmt = (col == 5) ? "%.0f" : (col == 6 ? "%.2f" : (col == 9 || col == 10 ? "%.2f" : "%.1f"))
        med = (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
        return sprintf(fmt " (" fmt "-" fmt ")", med, v[1], v[k])
    }
    function flush_group(   i, loads) {
        if (n == 0) return
        loads = row[1, 11]
        for (i = 2; i <= n; i++) loads = loads ", " row[i, 11]
        printf "| %s µs | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", gd, gc, gl, cell(5), cell(6), cell(7),
            cell(8), cell(9), cell(10), loads
        n = 0
    }
    { key = $2 SUBSEP $3 SUBSEP $4
      if (key != prev) { flush_group(); prev = key; gd = $2; gc = $3; gl = $4 }
      n++; for (i = 1; i <= NF; i++) row[n, i] = $i }
    END { flush_group() }'
echo
echo "raw lines: $OUT, the shim's counts and mean time per call: $OUT.shim"
