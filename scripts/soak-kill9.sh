#!/bin/bash
# The kill -9 soak: tests/fault/test_kill9.py for a given time per variant, in bounded memory (its
# checker verifies each cycle after the restart and forgets it). Not part of `make test`.
#
#   scripts/soak-kill9.sh [SECONDS_PER_VARIANT]     (default 600)
#
# Variants: the default flags; small segments (64 KiB), so kills land during segment rolls. Each prints its figures (cycles, records
# acknowledged, ambiguous, read, anomalies) and the whole run fails on the first anomaly.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_VARIANT=${1:-600}
[ -x build/spated ] || scripts/build.sh
export SPATE_KILL9_CYCLES=1000000 SPATE_KILL9_SECONDS=$SECONDS_PER_VARIANT
for variant in "" "--segment-bytes 65536"; do
  echo "== kill -9 soak, ${SECONDS_PER_VARIANT}s, spated flags: ${variant:-(defaults)}"
  SPATE_KILL9_SPATED_ARGS="$variant" /usr/bin/python3 -m pytest tests/fault/test_kill9.py -q -s -p no:cacheprovider \
    2>&1 | grep -E "^kill9:|passed|failed|anomalies"
done
