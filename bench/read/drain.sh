#!/bin/sh
# GetRecords drain of one shard from the page cache, JSON (base64 Data) and
# CBOR (raw byte strings) alternately in the same run, against one spated:
#
#   bench/read/drain.sh [--mb M] [--reps N] [--record-bytes B] [--perf FILE]
#
# Preloads one shard with about M MB (default 300) of B-byte records (default
# 1024, PutRecords of 500), then drains it from TRIM_HORIZON N times (default
# 3) per encoding with one reader (Limit 10000, HTTP/1.1, closed loop) and
# prints each run's MB/s of record data and the median per encoding.
#
# Besides the wall-clock rate, each run reports spated's own CPU time (user +
# system, from /proc/PID/stat) as MB of record data served per CPU-second:
# on a machine shared with other work the wall-clock figure measures the
# neighbours, the CPU figure the server (a drain is CPU-bound: one reader,
# data in the page cache). With
# --perf FILE, `perf record -g` samples spated during the drains (FILE.json
# and FILE.cbor), for `perf report -i FILE.json`; $PERF_ARGS replaces -g
# (e.g. "--call-graph dwarf -F 300" for exact user-space stacks).
#
# Binaries: $SPATED (default build/spated) and $LOADGEN (default
# build/bench/loadgen/spate_loadgen); build them Release or RelWithDebInfo
# with -DSPATE_BUILD_BENCH=ON, as bench/run.sh does.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SPATED=${SPATED:-$ROOT/build/spated}
LOADGEN=${LOADGEN:-$ROOT/build/bench/loadgen/spate_loadgen}
MB=300
REPS=3
BYTES=1024
PERF=""
while [ $# -gt 0 ]; do
  case "$1" in
    --mb) MB=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --record-bytes) BYTES=$2; shift 2 ;;
    --perf) PERF=$2; shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done

DIR=$(mktemp -d /tmp/spate-drain.XXXXXX)
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SPATED" --port "$PORT" --data-dir "$DIR/data" --state-delay-ms 0 --log-level warn --limits=off \
  >"$DIR/spated.log" 2>&1 &
SPID=$!
cleanup() {
  kill "$SPID" 2>/dev/null || true
  wait "$SPID" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

i=0
until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; do
  i=$((i + 1))
  [ $i -gt 100 ] && { echo "spated did not start:" >&2; cat "$DIR/spated.log" >&2; exit 1; }
  sleep 0.1
done

"$LOADGEN" create --port "$PORT" --stream drain --shards 1 >/dev/null
"$LOADGEN" puts --port "$PORT" --stream drain --records 500 --record-bytes "$BYTES" --conns 4 \
  --duration 120 --warmup 0 --max-mb "$MB" --drain 30 >"$DIR/preload.json"
echo "preload: $(cat "$DIR/preload.json")"

# One drain; prints its MB/s. $1: json or cbor.
drain() {
  flag=""
  [ "$1" = cbor ] && flag="--cbor"
  if [ -n "$PERF" ]; then
    perf record -q ${PERF_ARGS:--g} -p "$SPID" -o "$PERF.$1" >/dev/null 2>&1 &
    PP=$!
    sleep 0.5
  fi
  t0=$(cpu_ticks)
  out=$("$LOADGEN" get --port "$PORT" --stream drain --duration 60 --warmup 0 $flag)
  t1=$(cpu_ticks)
  if [ -n "$PERF" ]; then
    kill -INT "$PP"
    wait "$PP" || true
  fi
  echo "$out" | /usr/bin/python3 -c '
import json, os, sys
r = json.loads(sys.stdin.read().splitlines()[-1])
assert r["errors"] == 0, r
cpu_s = (int(sys.argv[2]) - int(sys.argv[1])) / os.sysconf("SC_CLK_TCK")
mb = r["mb_per_s"] * r["seconds"]
print("%.1f %.1f" % (r["mb_per_s"], mb / cpu_s if cpu_s > 0 else 0))' "$t0" "$t1"
}
# spated's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }

drain json >/dev/null  # warm the page cache and the server
jw="" jc="" cw="" cc=""
n=0
while [ $n -lt "$REPS" ]; do
  set -- $(drain json) $(drain cbor)
  echo "run $((n + 1)): json $1 MB/s ($2 MB per spated CPU-second), cbor $3 MB/s ($4 MB per CPU-second)"
  jw="$jw $1" jc="$jc $2" cw="$cw $3" cc="$cc $4"
  n=$((n + 1))
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
echo "median json: $(median "$jw") MB/s wall, $(median "$jc") MB per spated CPU-second"
echo "median cbor: $(median "$cw") MB/s wall, $(median "$cc") MB per spated CPU-second"
echo "($BYTES-byte records; MB = 10^6 bytes of record data)"
