#!/bin/sh
# Firehose DirectPut benchmark (docs/benchmarks.md, "Firehose"): builds spated
# and spate_loadgen in build-bench/ (benchmarks on) and runs bench.py.
#   bench/firehose/run.sh [--seconds S] [--conns N] [--fresh-seconds S]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SPATE_BENCH_BUILD:-$ROOT/build-bench}
if command -v ccache >/dev/null 2>&1; then LAUNCHER="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"; else LAUNCHER=""; fi
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPATE_BUILD_BENCH=ON $LAUNCHER >/dev/null
ninja -C "$BUILD" spated spate_loadgen >&2
exec /usr/bin/python3 "$ROOT/bench/firehose/bench.py" --spated "$BUILD/spated" \
  --loadgen "$BUILD/bench/loadgen/spate_loadgen" "$@"
