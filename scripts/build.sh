#!/usr/bin/env bash
# Configures and builds everything into build/ (the server lands at
# build/spated). In CI (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh "$@"
extra=()
[[ "${CI:-}" == "true" ]] && extra+=(-DSPATE_WERROR=ON)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" >/dev/null
ninja -C build
