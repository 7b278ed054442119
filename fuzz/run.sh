#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan, build-fuzz/) and runs
# each for a bounded time: FUZZ_SECONDS (default 20) per target, on a copy of
# its corpus (fuzz/corpus/<target>/ is read, never written). A crash fails
# the run; its input is saved as build-fuzz/crash-<target>-*; add it to the
# target's corpus (the unit tests replay every corpus file) and fix the bug.
#   fuzz/run.sh [target...]      default: every target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
cxx="${FUZZ_CXX:-clang++-14}"
command -v "$cxx" >/dev/null || { echo "fuzz/run.sh: $cxx not found (scripts/install-deps.sh --test)" >&2; exit 2; }
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(fuzz_http1_parser fuzz_json fuzz_cbor fuzz_service_model fuzz_model_pattern fuzz_sigv4 fuzz_token fuzz_batch fuzz_catalog fuzz_sql)
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [[ ! -f build-fuzz/build.ninja ]]; then
  CXX="$cxx" cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPATE_BUILD_FUZZ=ON \
    "${launcher[@]}" >/dev/null
fi
if ! ninja -C build-fuzz "${targets[@]}" >build-fuzz/build.log 2>&1; then
  echo "fuzz/run.sh: building the fuzz targets failed (clang $cxx):" >&2
  grep -E "error|FAILED" build-fuzz/build.log | head -20 >&2
  exit 1
fi
status=0
for t in "${targets[@]}"; do
  work="$(mktemp -d)"
  cp fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  echo "== $t (${seconds}s)"
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      build-fuzz/fuzz/"$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/crash-$t-" "$work" 2>"build-fuzz/$t.log"; then
    echo "FAILED: $t (log build-fuzz/$t.log)" >&2
    tail -40 "build-fuzz/$t.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_runs|cov:" "build-fuzz/$t.log" | tail -2 | tr '\n' ' '; echo
  fi
  rm -rf "$work"
done
exit $status
