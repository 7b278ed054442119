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
# system, from /proc/PID/stat) as MB of record data served per CPU-second,
# and the reader's (spate_loadgen, which parses every answer and base64-decodes
# every JSON record's Data) the same way: on a machine shared with other work
# the wall-clock figure measures the neighbours, the CPU figures the two ends
# of the closed loop. The load average is printed beside each run. Before
# the measured runs, one JSON and one CBOR drain compare a checksum of the
# decoded records (they must agree). With
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
CHECKSUM=""
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
  out=$("$LOADGEN" get --port "$PORT" --stream drain --duration 60 --warmup 0 $flag $CHECKSUM)
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
print("%.1f %.1f %.1f %s" % (r["mb_per_s"], mb / cpu_s if cpu_s > 0 else 0, mb / r["cpu_s"] if r["cpu_s"] > 0 else 0,
                             r.get("data_sum", "-")))' "$t0" "$t1"
}
# spated's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }

load() { cut -d' ' -f1 /proc/loadavg; }

# Warm the page cache and the server, and check the reader: both encodings
# of the same records must decode to the same bytes.
CHECKSUM=--checksum
set -- $(drain json) $(drain cbor)
CHECKSUM=""
if [ "$4" != "$8" ] || [ "$4" = - ]; then
  echo "the JSON and CBOR drains decoded different data (checksums $4, $8)" >&2
  exit 1
fi
echo "checksum of the decoded records: $4 (JSON and CBOR agree)"
jw="" jc="" jl="" cw="" cc="" cl=""
n=0
while [ $n -lt "$REPS" ]; do
  l=$(load)
  set -- $(drain json) $(drain cbor)
  echo "run $((n + 1)) (load $l): json $1 MB/s (per CPU-second: spated $2 MB, reader $3 MB)," \
    "cbor $5 MB/s (spated $6 MB, reader $7 MB)"
  jw="$jw $1" jc="$jc $2" jl="$jl $3" cw="$cw $5" cc="$cc $6" cl="$cl $7"
  n=$((n + 1))
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
echo "median json: $(median "$jw") MB/s wall; per CPU-second: spated $(median "$jc") MB, reader $(median "$jl") MB"
echo "median cbor: $(median "$cw") MB/s wall; per CPU-second: spated $(median "$cc") MB, reader $(median "$cl") MB"
echo "load average at the end: $(load)"
echo "($BYTES-byte records; MB = 10^6 bytes of record data)"
