#!/usr/bin/env bash
# The whole test suite: unit tests (GoogleTest via CTest), then integration
# tests against a real spated driven by aws-cli, boto3, the AWS SDK for
# JavaScript v3 and a raw CBOR client. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

# Before the build, so that an unformatted file fails in seconds.
echo "== formatting (clang-format 14, .clang-format)"
scripts/format.sh --check

scripts/build.sh --test

echo "== unit tests"
(cd build && ctest --output-on-failure -j2 -L unit)

echo "== integration, fault and cluster fault tests (tests/cluster needs root for network namespaces; it skips without)"
tests/integration/run.sh tests/fault tests/cluster

# libFuzzer targets, 20 s each (about 2.5 minutes plus a clang build that
# ccache makes quick the second time); only where clang is installed.
if command -v clang++-14 >/dev/null 2>&1; then
  echo "== fuzz targets"
  fuzz/run.sh
else
  echo "== fuzz targets skipped (no clang++-14)"
fi
