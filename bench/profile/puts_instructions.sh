#!/usr/bin/env bash
# Instructions spated executes per MB of durable PutRecords (all threads, user
# space), counted by valgrind's callgrind while spate_loadgen sends PutRecords
# of 500 x 1 KiB over 16 shards with 8 connections. CPU time per MB
# (put_cpu.py) moves 10-30 % with the load of this shared 2-core VM; the
# instruction count moves well under 1 % between runs, so it shows what a
# change of the bulk write path costs. It does not see cache misses: a copy
# into cold memory costs few instructions and many cycles, so confirm a gain
# with put_cpu.py on a quiet machine.
#
#   bench/profile/puts_instructions.sh [BUILD_DIR]          (default: build-bench)
#   SPATED=/path/to/spated bench/profile/puts_instructions.sh   (another server binary)
#
# Prints the MB acknowledged while counting, instructions per MB, and the
# functions with the most instructions. Bounded: a 20 MB warm-up, then 60 MB
# counted (about a minute under callgrind), each capped at 60 s.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build-bench}"
spated="${SPATED:-$build/spated}"
lg="$build/bench/loadgen/spate_loadgen"
port="${PORT:-45681}"
out="${OUT:-/tmp/spate-puts.callgrind}"
command -v valgrind >/dev/null || sudo apt-get install -y valgrind >/dev/null
[[ -x "$spated" && -x "$lg" ]] || { echo "build spated and spate_loadgen in $build first" >&2; exit 1; }
data="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data"' EXIT
rm -f "$out"*
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
  "$spated" --port "$port" --data-dir "$data/d" --limits=off --state-delay-ms 0 --log-level warn 2>"$data/err" &
pid=$!
for _ in $(seq 300); do curl -s -o /dev/null "localhost:$port/health" && break; sleep 0.2; done
puts=("$lg" puts --port "$port" --stream puts --records 500 --record-bytes 1024 --conns 8 --warmup 0 --drain 30 --duration 60)
records() { curl -s "localhost:$port/metrics" | awk '/^spate_kinesis_incoming_records_total/ {s += $NF} END {printf "%d", s}'; }
"$lg" create --port "$port" --stream puts --shards 16 >/dev/null
"${puts[@]}" --max-mb 20 >/dev/null
r0=$(records)
callgrind_control -i on "$pid" >/dev/null 2>&1
"${puts[@]}" --max-mb 60 >/dev/null
callgrind_control -d "$pid" >/dev/null 2>&1
callgrind_control -i off "$pid" >/dev/null 2>&1
r1=$(records)
profile="$(ls -S "$out"* | head -1)"
callgrind_annotate "$profile" 2>/dev/null >"$data/self"
total=$(grep "PROGRAM TOTALS" "$data/self" | awk '{gsub(",", "", $1); print $1}')
python3 -c "mb = ($r1 - $r0) * 1024 / 1e6; print(f'MB {mb:.1f}, instructions per MB {$total / mb / 1e6:.3f} M')"
grep -A 16 "file:function" "$data/self" | tail -15 | cut -c1-160
echo "profile: $profile"
