#!/usr/bin/env bash
# Runs the integration suite against build/spated: installs the JS SDK into
# tests/integration/js/node_modules (git-ignored) when missing, then pytest
# with Debian's python3 (python3-pytest, python3-boto3).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -d "$here/js/node_modules/@aws-sdk/client-kinesis" || ! -d "$here/js/node_modules/@aws-sdk/client-firehose" ]]; then
  (cd "$here/js" && npm ci --no-audit --no-fund --loglevel=error)
fi
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3
cd "$here/../.."
exec "$py" -m pytest tests/integration -q -p no:cacheprovider "$@"
