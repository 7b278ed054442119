#!/bin/sh
# Firehose DirectPut benchmark (docs/benchmarks.md, "Firehose"): builds spated
# and spate_loadgen in build-bench/ (benchmarks on) and runs bench.py.
#   bench/firehose/run.sh [--seconds S] [--conns N] [--fresh-seconds S]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/bench/lib.sh"
bench_build spated spate_loadgen
exec /usr/bin/python3 "$ROOT/bench/firehose/bench.py" --spated "$BUILD/spated" \
  --loadgen "$BUILD/bench/loadgen/spate_loadgen" "$@"
