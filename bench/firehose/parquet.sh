#!/bin/sh
# JSON -> Parquet conversion throughput per core (parquet_bench.cc): builds
# firehose_parquet_bench in build-bench/ (benchmarks on) and runs it.
#   bench/firehose/parquet.sh [--records N] [--rounds R]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/bench/lib.sh"
bench_build firehose_parquet_bench
exec "$BUILD/bench/firehose/firehose_parquet_bench" "$@"
