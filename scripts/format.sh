#!/usr/bin/env bash
# Formats every C++ file of the tree with clang-format 14 (.clang-format), or
# with --check lists the files that are not formatted and fails. Pinned to
# version 14 (Debian 12's clang-format-14): other versions format differently.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=clang-format-14
command -v "$cf" >/dev/null 2>&1 || { echo "format.sh: $cf not found (apt-get install clang-format-14)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [[ "${1:-}" == "--check" ]]; then
  bad=()
  for f in "${files[@]}"; do
    "$cf" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if ((${#bad[@]})); then
    printf 'not formatted (run scripts/format.sh):\n' >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format.sh: ${#files[@]} files formatted"
else
  "$cf" -i "${files[@]}"
fi
