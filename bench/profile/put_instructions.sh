#!/usr/bin/env bash
# Instructions spated executes per PutRecord (all threads, user space), counted
# by valgrind's callgrind while spate_loadgen drives 50 connections of 100 B
# PutRecords. Unlike throughput on this shared 2-core VM, the count barely
# moves between runs, so it shows what a change to the request path costs.
#
#   bench/profile/put_instructions.sh [BUILD_DIR]   (default: build-bench)
#   SPATED_ARGS="--access-log /tmp/a.log" bench/profile/put_instructions.sh   (extra server flags)
#
# Prints the total per request and the inclusive cost of the main stages;
# leaves the callgrind profile in $OUT (default /tmp/spate-put.callgrind) for
# callgrind_annotate. Bounded: 2 s warm-up and 5 s measured (about 1-2k
# requests/s under callgrind).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build-bench}"
out="${OUT:-/tmp/spate-put.callgrind}"
port="${PORT:-45679}"
command -v valgrind >/dev/null || sudo apt-get install -y valgrind >/dev/null
spated="$build/spated"
lg="$build/bench/loadgen/spate_loadgen"
[[ -x "$spated" && -x "$lg" ]] || { echo "build spated and spate_loadgen in $build first (bench/run.sh builds build-bench)" >&2; exit 1; }
data="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data"' EXIT
rm -f "$out"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
  "$spated" --port "$port" --data-dir "$data/d" --limits=off --state-delay-ms 0 --log-level warn ${SPATED_ARGS:-} 2>"$data/err" &
pid=$!
for _ in $(seq 150); do curl -s -o /dev/null "localhost:$port/health" && break; sleep 0.2; done
"$lg" create --port "$port" --stream put --shards 8 >/dev/null
"$lg" put --port "$port" --stream put --record-bytes 100 --conns 50 --duration 2 --warmup 0 --drain 10 >/dev/null
callgrind_control -i on "$pid" >/dev/null 2>&1
n=$("$lg" put --port "$port" --stream put --record-bytes 100 --conns 50 --duration 5 --warmup 0 --drain 10 |
    tail -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["ok"])')
callgrind_control -d "$pid" >/dev/null 2>&1
callgrind_control -i off "$pid" >/dev/null 2>&1
profile="$(ls -S "$out"* | head -1)"
callgrind_annotate --inclusive=yes "$profile" 2>/dev/null > "$data/incl"
total=$(grep "PROGRAM TOTALS" "$data/incl" | awk '{gsub(",","",$1); print $1}')
echo "requests $n, instructions per request $((total / n))"
for f in "Http1RequestParser::Parse(" "SigV4Verifier::Verify" "ParseJson(" "ValidateInput" "api::PutRecord(spate" \
         "Registry::Put(spate" "GroupCommitWriter::RunRound" "Http1Connection::OnResponse" "ResponseShape::BaseHeaders"; do
  v=$(grep -F "$f" "$data/incl" | head -1 | awk '{print $1}' | tr -d , || true)
  if [[ -n "$v" ]]; then printf "%8d  %s\n" $((v / n)) "$f"; fi
done
echo "profile: $profile"
