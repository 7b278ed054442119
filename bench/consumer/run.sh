#!/bin/sh
# Consumer end-to-end latency (put -> ProcessRecords), polling and enhanced
# fan-out, against one fresh spated (never part of the tests; see
# bench/consumer/README.md):
#
#   bench/consumer/run.sh [--records N] [--rate R] [--shards S] [--out DIR]
#
# Runs consumer_latency three times: polling with the KCL's default 1 s idle
# time between empty reads, polling with 200 ms, and enhanced fan-out. spated
# keeps AWS's limits (--limits=aws, the default): a shard serves 5 GetRecords
# per second, which is why the KCL pauses between empty reads.
# Builds spated and consumer_latency in $SPATE_BENCH_BUILD (default
# build-bench/, benchmarks on). Writes DIR/consumer.jsonl and prints it.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/bench/lib.sh"
RECORDS=1000
RATE=100
SHARDS=2
OUT=$ROOT/results/consumer-$(date -u +%Y%m%dT%H%M%SZ)
while [ $# -gt 0 ]; do
  case "$1" in
    --records) RECORDS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--records N] [--rate R] [--shards S] [--out DIR]" >&2; exit 2 ;;
  esac
done

bench_build spated consumer_latency

mkdir -p "$OUT"
bench_start_spated "$OUT/spated.log"
BENCH="$BUILD/bench/consumer/consumer_latency"
COMMON="--endpoint http://127.0.0.1:$PORT --records $RECORDS --rate $RATE --shards $SHARDS --max-seconds 300"
: >"$OUT/consumer.jsonl"
"$BENCH" $COMMON --mode polling --idle-ms 1000 >>"$OUT/consumer.jsonl"
"$BENCH" $COMMON --mode polling --idle-ms 200 >>"$OUT/consumer.jsonl"
"$BENCH" $COMMON --mode efo >>"$OUT/consumer.jsonl"
cat "$OUT/consumer.jsonl"
