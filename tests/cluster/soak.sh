#!/usr/bin/env bash
# The cluster soak (tests/cluster/README.md): random faults against 3 etcd members and 3 spated nodes
# in network namespaces for SECONDS (default 300), then the final check. Needs root and build/spated.
#   tests/cluster/soak.sh [SECONDS] [--seed N] [--keep]
set -euo pipefail
cd "$(dirname "$0")/../.."
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3
seconds="${1:-300}"
shift || true
exec "$py" tests/cluster/soak.py "$seconds" "$@"
