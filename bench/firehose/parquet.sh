#!/bin/sh
# JSON -> Parquet conversion throughput per core (parquet_bench.cc): builds
# firehose_parquet_bench in build-bench/ (benchmarks on) and runs it.
#   bench/firehose/parquet.sh [--records N] [--rounds R]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SPATE_BENCH_BUILD:-$ROOT/build-bench}
if command -v ccache >/dev/null 2>&1; then LAUNCHER="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"; else LAUNCHER=""; fi
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPATE_BUILD_BENCH=ON $LAUNCHER >/dev/null
ninja -C "$BUILD" -j2 firehose_parquet_bench >&2
exec "$BUILD/bench/firehose/firehose_parquet_bench" "$@"
