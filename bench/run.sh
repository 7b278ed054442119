#!/bin/sh
# One command for the whole comparison (see docs/benchmarks.md):
#
#   bench/run.sh [--quick] [--reps N] [--servers spate,kinesalite-mem,...] [--out DIR]
#
# Builds spated and spate_loadgen (Release with debug info, benchmarks on) in
# build-bench/, installs what is missing (Debian: redis-server, fio, gnuplot;
# npm: kinesalite and kinesis-local into bench/peers/node_modules), then runs
# bench/suite.py, which writes results/bench-<time>/report.md and its plots.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"

missing=""
for pair in redis-server:redis-server redis-benchmark:redis-tools fio:fio gnuplot:gnuplot-nox; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "installing:$missing" >&2
  $SUDO apt-get install -y --no-install-recommends $missing >&2
fi

if [ ! -d "$ROOT/bench/peers/node_modules/kinesis-local" ] || [ ! -d "$ROOT/bench/peers/node_modules/kinesalite" ]; then
  (cd "$ROOT/bench/peers" && npm ci --no-audit --no-fund >&2)
fi

bench_build spated spate_loadgen

exec /usr/bin/python3 "$ROOT/bench/suite.py" --spated "$BUILD/spated" \
  --loadgen "$BUILD/bench/loadgen/spate_loadgen" "$@"
