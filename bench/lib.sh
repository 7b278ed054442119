# The preamble the bench/*.sh scripts share (POSIX sh): sourced, never run.
#   ROOT=$(cd "$(dirname "$0")/../.." && pwd)
#   . "$ROOT/bench/lib.sh"
# Sets BUILD ($SPATE_BENCH_BUILD, default $ROOT/build-bench) and defines:
#   bench_build TARGET...        configures $BUILD (benchmarks on, ccache when
#                                present) and builds the targets with -j2
#   bench_start_spated LOG [FLAG...]
#                                starts $BUILD/spated on a free loopback port
#                                with a fresh data directory, stderr to LOG;
#                                sets SPATED (its pid), DATA and PORT; stops it
#                                and removes DATA on exit; fails after 30 s
#                                without "listening on"
BUILD=${SPATE_BENCH_BUILD:-$ROOT/build-bench}

bench_build() {
  if command -v ccache >/dev/null 2>&1; then LAUNCHER="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"; else LAUNCHER=""; fi
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPATE_BUILD_BENCH=ON $LAUNCHER >/dev/null
  ninja -C "$BUILD" -j2 "$@" >&2
}

bench_start_spated() {
  LOG=$1
  shift
  DATA=$(mktemp -d)
  "$BUILD/spated" --port 0 --data-dir "$DATA" --state-delay-ms 0 "$@" 2>"$LOG" &
  SPATED=$!
  trap 'kill $SPATED 2>/dev/null; wait $SPATED 2>/dev/null; rm -rf "$DATA"' EXIT
  PORT=""
  for _ in $(seq 1 300); do
    PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOG" | head -n 1)
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  [ -n "$PORT" ] || { echo "spated did not start; see $LOG" >&2; exit 1; }
}
