#!/usr/bin/env bash
# Configures and builds everything into build/ (the server lands at
# build/spated). In CI (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh "$@"
extra=()
[[ "${CI:-}" == "true" ]] && extra+=(-DSPATE_WERROR=ON)
# ccache, when present, makes rebuilds after a checkout cheap; never required.
command -v ccache >/dev/null 2>&1 && extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" >/dev/null
ninja -C build
