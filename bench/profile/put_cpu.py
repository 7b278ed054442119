#!/usr/bin/python3
"""CPU per MB of durable PutRecords: spated's and the load generator's.

Throughput on this shared 2-core machine moves with whatever else runs; the
CPU time spated spends per MB it acknowledges barely does, so it is the
figure to compare changes of the write path by. One run:

  1. start spated (fresh data directory, limits off, as bench/suite.py does),
     create a stream of --shards shards;
  2. a warm-up run of spate_loadgen puts (not measured);
  3. the measured run: spated's user and system CPU from /proc/PID/stat and
     the records it made durable (spate_kinesis_incoming_records_total from
     /metrics) before and after; the load generator's CPU from wait4().

MB are 10^6 bytes of record data (records x --record-bytes), as
spate_loadgen counts them. With --perf, `perf record -g` samples spated
during the measured run and the report is written to --perf-out.

  bench/profile/put_cpu.py [--build build-bench] [--runs 3] [--shards 16 --conns 8 --keys 0]
  bench/profile/put_cpu.py --perf --perf-out /tmp/put.perf.data

Bounded: each run lasts --duration seconds plus a short warm-up and drain.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """(user, system) CPU seconds of every thread of pid."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS


def context_switches(pid):
    """Voluntary and involuntary context switches of every thread of pid."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if "ctxt_switches:" in line:
                        total += int(line.split()[1])
        except OSError:
            pass  # a thread that ended meanwhile
    return total


def incoming_records(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith("spate_kinesis_incoming_records_total"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def run_loadgen(cmd):
    """Runs cmd; returns (last JSON line, user+sys CPU seconds of the child)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=120)
    # communicate() has reaped the child: its rusage is in RUSAGE_CHILDREN.
    if p.returncode != 0:
        sys.exit(f"loadgen failed ({p.returncode}): {err.strip()[:300]}")
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--spated", default=None, help="the server binary (default: BUILD/spated)")
    ap.add_argument("--runs", type=int, default=3, help="measured runs against one server")
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--records", type=int, default=500, help="records per PutRecords call")
    ap.add_argument("--record-bytes", type=int, default=1024)
    ap.add_argument("--keys", type=int, default=0, help="distinct partition keys (0: the generator's default)")
    ap.add_argument("--duration", type=float, default=4.0)
    ap.add_argument("--data-dir", default=None, help="parent of the scratch data directory (default: $TMPDIR)")
    ap.add_argument("--perf", action="store_true", help="perf record -g spated during the last measured run")
    ap.add_argument("--perf-out", default="/tmp/spate-put-cpu.perf.data")
    ap.add_argument("--perf-mode", default="-g", help="perf record's call-graph flags, e.g. '--call-graph dwarf,16384'")
    ap.add_argument("--perf-freq", type=int, default=1999)
    ap.add_argument("--spated-args", default="", help="extra server flags")
    args = ap.parse_args()

    spated = args.spated or os.path.join(args.build, "spated")
    lg = os.path.join(args.build, "bench", "loadgen", "spate_loadgen")
    for b in (spated, lg):
        if not os.access(b, os.X_OK):
            sys.exit(f"{b} missing: build spated and spate_loadgen in {args.build} first")
    scratch = tempfile.mkdtemp(prefix="spate-put-cpu-", dir=args.data_dir)
    port = free_port()
    server = subprocess.Popen([spated, "--port", str(port), "--data-dir", os.path.join(scratch, "data"),
                               "--state-delay-ms", "0", "--log-level", "warn", "--limits=off"] +
                              args.spated_args.split(), stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        common = ["--port", str(port), "--stream", "cpu"]
        subprocess.run([lg, "create", *common, "--shards", str(args.shards)], check=True, capture_output=True)
        puts = [lg, "puts", *common, "--records", str(args.records), "--record-bytes", str(args.record_bytes),
                "--conns", str(args.conns), "--drain", "5"]
        if args.keys:
            puts += ["--keys", str(args.keys)]
        run_loadgen(puts + ["--duration", "1.5", "--warmup", "0"])  # warm-up: segments, allocator, caches
        rows = []
        for i in range(args.runs):
            perf = None
            if args.perf and i == args.runs - 1:
                perf = subprocess.Popen(["perf", "record", *args.perf_mode.split(), "-F", str(args.perf_freq), "-o", args.perf_out, "-p",
                                         str(server.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.5)
            load0 = os.getloadavg()[0]
            r0 = incoming_records(port)
            u0, s0 = cpu_seconds(server.pid)
            x0 = context_switches(server.pid)
            c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            res = run_loadgen(puts + ["--duration", str(args.duration), "--warmup", "0"])
            t1 = time.monotonic()
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            u1, s1 = cpu_seconds(server.pid)
            x1 = context_switches(server.pid)
            r1 = incoming_records(port)
            if perf is not None:
                perf.send_signal(signal.SIGINT)
                perf.wait(timeout=60)
            mb = (r1 - r0) * args.record_bytes / 1e6
            lg_cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
            row = {
                "mb": round(mb, 1),
                "mb_per_s_wall": round(mb / (t1 - t0), 1),
                "loadgen_mb_per_s": res["mb_per_s"],
                "spated_user_ms_per_mb": round((u1 - u0) * 1000 / mb, 3),
                "spated_sys_ms_per_mb": round((s1 - s0) * 1000 / mb, 3),
                "spated_ms_per_mb": round(((u1 - u0) + (s1 - s0)) * 1000 / mb, 3),
                "loadgen_ms_per_mb": round(lg_cpu * 1000 / mb, 3),
                "spated_switches_per_mb": round((x1 - x0) / mb, 1),
                "p50_ms": round(res["lat_us"]["p50"] / 1000, 2),
                "errors": res["errors"],
                "loadavg": [round(load0, 2), round(os.getloadavg()[0], 2)],
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
        med = sorted(r["spated_ms_per_mb"] for r in rows)[len(rows) // 2]
        print(json.dumps({"median_spated_ms_per_mb": med,
                          "median_loadgen_ms_per_mb": sorted(r["loadgen_ms_per_mb"] for r in rows)[len(rows) // 2],
                          "median_mb_per_s": sorted(r["loadgen_mb_per_s"] for r in rows)[len(rows) // 2]}))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
