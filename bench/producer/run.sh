#!/bin/sh
# Producer throughput beside plain PutRecords, in one run against one fresh
# spated (never part of the tests; see bench/producer/README.md):
#
#   bench/producer/run.sh [--records N] [--size BYTES] [--shards N] [--seconds S] [--out DIR]
#
# 1. spate-produce puts N records of BYTES bytes through spate::Producer to
#    a stream of --shards shards, three ways: KPL defaults (its per-shard rate
#    limiter holds each shard at AWS's 1 MiB/s and 1,000 records/s), the rate
#    limiter lifted (what producer and server can do), and lifted with 1 MiB
#    aggregates: records/s, PutRecords calls per 1,000 records, latency.
# 2. spate_loadgen `puts` sends plain PutRecords calls of 500 records of the
#    same size to another stream of the same shape for S seconds, closed loop
#    on 8 connections: records/s.
# The server runs with --limits=off: this measures the producer and the
# server, not the shard limits (at AWS limits a shard caps both at 1 MiB/s).
# Builds spated, spate-produce and spate_loadgen in $SPATE_BENCH_BUILD
# (default build-bench/, benchmarks on). Writes DIR/producer.json and prints
# a summary.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/bench/lib.sh"
RECORDS=200000
SIZE=100
SHARDS=1
SECONDS_LG=10
OUT=$ROOT/results/producer-$(date -u +%Y%m%dT%H%M%SZ)
while [ $# -gt 0 ]; do
  case "$1" in
    --records) RECORDS=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    --seconds) SECONDS_LG=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--records N] [--size BYTES] [--shards N] [--seconds S] [--out DIR]" >&2; exit 2 ;;
  esac
done

bench_build spated spate-produce spate_loadgen

mkdir -p "$OUT"
bench_start_spated "$OUT/spated.log" --limits=off
LG="$BUILD/bench/loadgen/spate_loadgen"

for s in bench-producer bench-unlimited bench-1mib bench-plain; do
  "$LG" create --port "$PORT" --stream "$s" --shards "$SHARDS" >/dev/null
done

produce() {
  timeout 600 "$BUILD/spate-produce" --endpoint "http://127.0.0.1:$PORT" --count "$RECORDS" --size "$SIZE" \
    --keys 1000 "$@"
}
PRODUCER=$(produce --stream bench-producer)
UNLIMITED=$(produce --stream bench-unlimited --rate-limit-percent 1000000)
BIG=$(produce --stream bench-1mib --rate-limit-percent 1000000 --aggregation-max-size 1048576)
PLAIN=$(timeout 600 "$LG" puts --port "$PORT" --stream bench-plain --shards "$SHARDS" --records 500 \
  --record-bytes "$SIZE" --keys 1000 --conns 8 --duration "$SECONDS_LG" --warmup 1)

printf '{"records":%s,"size":%s,"shards":%s,"producer":%s,"producer_unlimited":%s,"producer_unlimited_1mib":%s,"plain_put_records":%s}\n' \
  "$RECORDS" "$SIZE" "$SHARDS" "$PRODUCER" "$UNLIMITED" "$BIG" "$PLAIN" >"$OUT/producer.json"
/usr/bin/python3 - "$OUT/producer.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = r["plain_put_records"]
print(f"{r['records']} records of {r['size']} B, {r['shards']} shard(s)")
for label, key in (("producer, KPL defaults (AWS shard rate)", "producer"),
                   ("producer, rate limiter lifted", "producer_unlimited"),
                   ("producer, lifted, 1 MiB aggregates", "producer_unlimited_1mib")):
    p = r[key]
    print(f"  {label}: {p['records_per_second']:>8.0f} records/s, "
          f"{p['calls_per_1000_records']:.2f} PutRecords calls per 1,000 records, "
          f"{p['kinesis_records']} Kinesis records, latency p50 {p['latency_ms']['p50']:.0f} ms p99 {p['latency_ms']['p99']:.0f} ms")
print(f"  plain PutRecords (loadgen, 500/call, 8 conns): {l['records_per_s']:>10.0f} records/s, "
      f"{1000 / 500:.2f} calls per 1,000 records, p50 {l['lat_us']['p50'] / 1000:.1f} ms per call")
print(f"  written: {sys.argv[1]}")
PY
