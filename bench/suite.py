#!/usr/bin/python3
"""Spate vs its peers, side by side: the scenario runner behind bench/run.sh.

For each repetition, each server is started fresh on loopback (its own port
and scratch directory), every scenario runs against it with the same load
(bench/loadgen), and it is stopped; servers alternate within a repetition so
that the ratios of one repetition come from the same minutes of this shared,
noisy machine. Each figure in the report is the median over repetitions, and
each ratio is the median of the per-repetition ratios.

Slow servers are bounded by time, never by count: every scenario has a
measured window, in-flight calls get a bounded drain, preloads stop at a byte
cap or a time cap, whichever comes first.

Writes <out>/results.json, <out>/report.md and <out>/*.png (gnuplot).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "bench", "peers", "node_modules")


def log(msg):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_hwm_kib(pid):
    """Peak resident set (VmHWM) of pid and its descendants, in KiB."""
    total = 0
    pids = [pid]
    try:
        pids += [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Server:
    """One server under test: command line, environment, readiness, RSS."""

    def __init__(self, name, label, h2, durable):
        self.name, self.label, self.h2, self.durable = name, label, h2, durable
        self.proc = None
        self.port = None
        self.dir = None

    def command(self, port, data_dir):
        raise NotImplementedError

    def start(self, scratch):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix=self.name + "-", dir=scratch)
        cmd, env, cwd = self.command(self.port, self.dir)
        self.log_path = os.path.join(self.dir, "server.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=cwd, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen within 60 s")

    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Spate(Server):
    def __init__(self, spated):
        super().__init__("spate", "Spate", h2=True, durable=True)
        self.spated = spated
        help_text = subprocess.run([spated, "--help"], capture_output=True, text=True).stdout
        self.limits_off = "--limits" in help_text

    def command(self, port, data_dir):
        cmd = [self.spated, "--port", str(port), "--data-dir", os.path.join(data_dir, "data"), "--state-delay-ms", "0",
               "--log-level", "warn"]
        if self.limits_off:
            cmd.append("--limits=off")
        return cmd, {}, ROOT


class Kinesalite(Server):
    def __init__(self, on_disk):
        name = "kinesalite-disk" if on_disk else "kinesalite-mem"
        super().__init__(name, "kinesalite --path" if on_disk else "kinesalite (memory)", h2=False, durable=False)
        self.on_disk = on_disk

    def command(self, port, data_dir):
        cmd = ["node", "--max-old-space-size=8192", os.path.join(PEERS, "kinesalite", "cli.js"), "--port", str(port),
               "--createStreamMs", "0", "--deleteStreamMs", "0", "--updateStreamMs", "0", "--shardLimit", "100000"]
        if self.on_disk:
            cmd += ["--path", os.path.join(data_dir, "leveldb")]
        return cmd, {}, ROOT


class KinesisLocal(Server):
    def __init__(self):
        super().__init__("kinesis-local", "kinesis-local", h2=True, durable=False)

    def command(self, port, data_dir):
        env = {"KINESIS_MOCK_PLAIN_PORT": str(port), "KINESIS_MOCK_TLS_PORT": str(free_port()),
               "CREATE_STREAM_DURATION": "0ms", "DELETE_STREAM_DURATION": "0ms", "SHARD_LIMIT": "100000",
               "LOG_LEVEL": "WARN", "SHOULD_PERSIST_DATA": "false"}
        pkg = os.path.join(PEERS, "kinesis-local")
        return ["node", "--max-old-space-size=8192", os.path.join(pkg, "main.js")], env, pkg  # reads ./server.json


class Suite:
    def __init__(self, args):
        self.args = args
        self.loadgen = args.loadgen
        q = args.quick
        self.d = 1.5 if q else 4.0           # measured seconds per scenario
        self.warm = 0.3 if q else 0.7        # warm-up seconds
        self.preload_mb = 150 if q else 1000  # GetRecords drain: bytes in the shard (cap) ...
        self.preload_s = 4 if q else 15       # ... or what the server ingests in this time
        self.results = {}                     # server -> scenario -> [run dicts]
        self.rep = 0
        self.notes = []

    # ---------------------------------------------------------------- helpers
    def lg(self, server, mode, *extra, check=True, timeout=None):
        cmd = [self.loadgen, mode, "--port", str(server.port)] + [str(x) for x in extra]
        limit = timeout or (self.d + self.warm + 90)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            log(f"  {server.name} {mode}: timed out after {limit:.0f} s")
            return None
        if p.stderr.strip():
            for line in p.stderr.strip().splitlines()[:3]:
                log(f"  {server.name} {mode}: {line}")
        if p.returncode != 0 and check:
            log(f"  {server.name} {mode} exited {p.returncode}")
        try:
            return json.loads(p.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return None

    def record(self, server, scenario, result, **extra):
        if result is None:
            return
        result.update(extra)
        self.results.setdefault(server.name, {}).setdefault(scenario, []).append(result)
        lat = result.get("lat_us", {})
        log(f"  {server.name:16} {scenario:18} {result.get('req_per_s', 0):10.1f} req/s "
            f"{result.get('records_per_s', 0):10.1f} rec/s {result.get('mb_per_s', 0):8.2f} MB/s "
            f"p50 {lat.get('p50', 0)/1000:7.2f} ms p99 {lat.get('p99', 0)/1000:8.2f} ms"
            f"{' errors ' + str(result.get('errors')) if result.get('errors') else ''}")

    def timing(self, server):
        """Measured window and in-flight drain, by time: slow servers get longer drains."""
        drain = 30 if server.name == "kinesis-local" else 5
        return ["--duration", self.d, "--warmup", self.warm, "--drain", drain]

    # ---------------------------------------------------------------- scenarios
    def run_server(self, server):
        t = self.timing(server)
        lg = self.lg
        # 1. Memory at the same load, first thing after start: 100 records/s of
        #    1 KiB (PutRecords of 10, open loop) for twice the window.
        lg(server, "create", "--stream", "mem", "--shards", 4)
        r = lg(server, "puts", "--stream", "mem", "--records", 10, "--rate", 10, "--conns", 4,
               "--duration", 2 * self.d, "--warmup", 0, "--drain", 10)
        self.record(server, "memory_same_load", r, rss_mib=vm_hwm_kib(server.pid()) / 1024)

        # 2. Single-record PutRecord (100 B), closed loop at 1, 8, 64 connections.
        lg(server, "create", "--stream", "put", "--shards", 8)
        for c in (1, 8, 64):
            self.record(server, f"put_c{c}", lg(server, "put", "--stream", "put", "--record-bytes", 100, "--conns", c, *t))
        # 3. 50 connections: saturation, then open loop at half of it (latency).
        sat = lg(server, "put", "--stream", "put", "--record-bytes", 100, "--conns", 50, *t)
        self.record(server, "put_c50", sat)
        if sat and sat["req_per_s"] > 0:
            half = max(1.0, sat["req_per_s"] / 2)
            self.record(server, "put_c50_half_open",
                        lg(server, "put", "--stream", "put", "--record-bytes", 100, "--conns", 50, "--rate", half, *t))
        # 4. HTTP/2 (8 connections x 8 streams), where the server speaks it.
        if server.h2:
            self.record(server, "put_h2_8x8", lg(server, "put", "--stream", "put", "--record-bytes", 100, "--h2",
                                                 "--conns", 8, "--h2-streams", 8, *t))
        # 5. PutRecords 500 x 1 KiB and 500 x 100 B over a 16-shard stream.
        lg(server, "create", "--stream", "bulk", "--shards", 16)
        self.record(server, "putrecords_1k", lg(server, "puts", "--stream", "bulk", "--records", 500,
                                                "--record-bytes", 1024, "--conns", 8, *t))
        self.record(server, "putrecords_100b", lg(server, "puts", "--stream", "bulk", "--records", 500,
                                                  "--record-bytes", 100, "--conns", 8, *t))
        # 6. One hot shard: every record with the same partition key.
        lg(server, "create", "--stream", "hot", "--shards", 4)
        self.record(server, "hot_shard", lg(server, "puts", "--stream", "hot", "--records", 500, "--keys", 1,
                                            "--record-bytes", 1024, "--conns", 4, *t))
        # 7. Put-to-GetRecords propagation: 100 records/s, one poller (1 ms pause when empty).
        lg(server, "create", "--stream", "prop", "--shards", 1)
        self.record(server, "put_to_get", lg(server, "prop", "--stream", "prop", "--rate", 100, "--conns", 4,
                                             "--duration", self.d, "--warmup", self.warm))
        # 8. Fan-out (SubscribeToShard), where the server knows the operation:
        #    bench/fanout/put_to_push.py (boto3 putter and subscriber, 100 records/s).
        probe = lg(server, "probe", "--stream", "prop", check=False)
        if probe and probe.get("known"):
            self.record(server, "put_to_push", self.put_to_push(server))
        else:
            self.note(f"Put-to-subscriber (SubscribeToShard) latency: {server.label} does not implement "
                      "SubscribeToShard.")
        # 9. 100 streams x 4 shards, mixed PutRecord / PutRecords / GetRecords, 32 connections.
        t0 = time.time()
        created = lg(server, "create", "--stream", "mix", "--stream-count", 100, "--shards", 4, timeout=240)
        if created:
            self.record(server, "mixed_100x4", lg(server, "mixed", "--stream", "mix", "--stream-count", 100,
                                                  "--shards", 4, "--conns", 32, *t, timeout=300),
                        setup_s=time.time() - t0)
        # 10. GetRecords drain of one shard (preload capped by size and by time).
        lg(server, "create", "--stream", "drain", "--shards", 1)
        pre = lg(server, "puts", "--stream", "drain", "--records", 500, "--record-bytes", 1024, "--conns", 4,
                 "--duration", self.preload_s, "--warmup", 0, "--max-mb", self.preload_mb, "--drain", 30)
        shard_mb = 0
        if pre:
            shard_mb = pre["records_per_s"] * pre["seconds"] * 1024 / 1e6
        self.record(server, "getrecords_drain", lg(server, "get", "--stream", "drain", "--duration", 60, timeout=120),
                    shard_mb=shard_mb)
        self.record(server, "peak_rss", {"rss_mib": vm_hwm_kib(server.pid()) / 1024})

    def put_to_push(self, server):
        script = os.path.join(ROOT, "bench", "fanout", "put_to_push.py")
        try:
            p = subprocess.run([sys.executable, script, "--endpoint", f"http://127.0.0.1:{server.port}", "--rate", "100",
                                "--seconds", str(2 * self.d)], capture_output=True, text=True, timeout=180)
            res = json.loads(p.stdout.strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, IndexError, ValueError) as e:
            res = {"error": f"{type(e).__name__}"}
        if "error" in res:
            self.note(f"Put-to-subscriber (SubscribeToShard) latency: {server.label} could not be measured "
                      f"with boto3: {res['error'][:200]}")
            return None
        # lat_us: from the PutRecord call to the event at the subscriber; ack_to_push_ms beside it.
        lat = res["put_to_push_ms"]
        res["lat_us"] = {"p50": lat["p50"] * 1000, "p99": lat["p99"] * 1000, "p999": None, "max": lat["max"] * 1000}
        res["records_per_s"] = res["rate"]
        res["req_per_s"] = res["rate"]
        return res

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)

    # ---------------------------------------------------------------- references
    def redis(self, scratch):
        if not shutil.which("redis-server") or not shutil.which("redis-benchmark"):
            self.note("Redis reference skipped: redis-server / redis-benchmark not installed.")
            return
        port = free_port()
        d = tempfile.mkdtemp(prefix="redis-", dir=scratch)
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
                                 "--appendonly", "yes", "--appendfsync", "always"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            n = 30000 if self.args.quick else 100000
            out = subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(n), "-c", "50", "-P", "1", "--csv",
                                  "XADD", "s", "*", "f", "x" * 100], capture_output=True, text=True, timeout=120).stdout
            rows = [l.replace('"', "").split(",") for l in out.strip().splitlines()]
            head, vals = rows[0], rows[-1]
            v = dict(zip(head, vals))
            res = {"req_per_s": float(v["rps"]), "records_per_s": float(v["rps"]), "mb_per_s": float(v["rps"]) * 100 / 1e6,
                   "lat_us": {"p50": float(v["p50_latency_ms"]) * 1000, "p99": float(v["p99_latency_ms"]) * 1000,
                              "p999": None, "max": float(v["max_latency_ms"]) * 1000},
                   "rss_mib": vm_hwm_kib(proc.pid) / 1024}
            self.results.setdefault("redis", {}).setdefault("xadd_c50_always", []).append(res)
            log(f"  redis            xadd_c50_always    {res['req_per_s']:10.1f} req/s p50 {res['lat_us']['p50']/1000:.2f} ms "
                f"p99 {res['lat_us']['p99']/1000:.2f} ms")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            shutil.rmtree(d, ignore_errors=True)

    def fio(self, scratch):
        if not shutil.which("fio"):
            self.note("fio reference skipped: fio not installed.")
            return
        runtime = 2 if self.args.quick else 5
        # Two references per block size (4k and 256k: small and medium
        # writes; 1m and 4m: the bulk ceiling):
        #  - append: each job writes a fresh file that grows as it is
        #    written and never wraps (--size beyond what the runtime can
        #    write), as a log appends. The best of these is the ceiling
        #    durable PutRecords is compared with.
        #  - rewrite: a 1 GiB file written over and over for the runtime
        #    (fio's time_based wrap): after the first pass every write
        #    overwrites allocated blocks, so fdatasync writes no file
        #    metadata. Reported beside it: on ext4 this can be twice the
        #    append figure, a ceiling no appending log reaches.
        for kind, extra in (("append", ["--size=16G", "--fallocate=none"]), ("rewrite", ["--size=1G"])):
            for bs in ("4k", "256k", "1m", "4m"):
                d = tempfile.mkdtemp(prefix="fio-", dir=scratch)
                try:
                    out = subprocess.run(["fio", "--name=fds", f"--directory={d}", "--rw=write", f"--bs={bs}",
                                          "--ioengine=sync", "--fdatasync=1", *extra, f"--runtime={runtime}",
                                          "--time_based", "--output-format=json"],
                                         capture_output=True, text=True, timeout=120).stdout
                    job = json.loads(out)["jobs"][0]
                    w, sync = job["write"], job["sync"]
                    pct = sync.get("lat_ns", {}).get("percentile", {})
                    res = {"syncs_per_s": w["iops"], "mb_per_s": w["bw_bytes"] / 1e6,
                           "sync_p50_us": pct.get("50.000000", 0) / 1000, "sync_p99_us": pct.get("99.000000", 0) / 1000}
                    res["rep"] = self.rep
                    key = f"append_fdatasync_{bs}" if kind == "append" else f"fdatasync_{bs}"
                    self.results.setdefault("disk", {}).setdefault(key, []).append(res)
                    log(f"  disk {kind} fdatasync {bs}: {res['syncs_per_s']:.0f} syncs/s {res['mb_per_s']:.1f} MB/s "
                        f"p50 {res['sync_p50_us']:.0f} us p99 {res['sync_p99_us']:.0f} us")
                finally:
                    shutil.rmtree(d, ignore_errors=True)

    # ---------------------------------------------------------------- main loop
    def run(self, servers):
        scratch = tempfile.mkdtemp(prefix="spate-bench-", dir=self.args.scratch)
        try:
            for rep in range(self.args.reps):
                log(f"repetition {rep + 1}/{self.args.reps}")
                self.rep = rep
                self.fio(scratch)  # every repetition: Spate's bulk ingest is compared with it
                self.redis(scratch)
                for s in servers:
                    log(f" {s.label}")
                    try:
                        s.start(scratch)
                    except RuntimeError as e:
                        self.note(f"{s.label}: {e}")
                        continue
                    try:
                        self.run_server(s)
                    finally:
                        s.stop()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short windows, one repetition (a few minutes)")
    ap.add_argument("--reps", type=int, help="repetitions (default 3; 1 with --quick)")
    ap.add_argument("--servers", default="spate,kinesalite-mem,kinesalite-disk,kinesis-local")
    ap.add_argument("--spated", default=os.path.join(ROOT, "build", "spated"))
    ap.add_argument("--loadgen", default=os.path.join(ROOT, "build", "bench", "loadgen", "spate_loadgen"))
    ap.add_argument("--scratch", default=None, help="where servers keep data (default: $TMPDIR)")
    ap.add_argument("--out", default=None, help="results folder (default results/bench-<time>)")
    args = ap.parse_args()
    if args.reps is None:
        args.reps = 1 if args.quick else 3
    out = args.out or os.path.join(ROOT, "results", f"bench-{datetime.datetime.now():%Y%m%d-%H%M%S}")
    os.makedirs(out, exist_ok=True)

    all_servers = {"spate": lambda: Spate(args.spated), "kinesalite-mem": lambda: Kinesalite(False),
                   "kinesalite-disk": lambda: Kinesalite(True), "kinesis-local": KinesisLocal}
    servers = [all_servers[n]() for n in args.servers.split(",") if n]
    suite = Suite(args)
    started = time.time()
    machine = describe_machine(servers)
    suite.run(servers)
    elapsed = time.time() - started
    data = {"machine": machine, "quick": args.quick, "reps": args.reps, "elapsed_s": elapsed,
            "window_s": suite.d, "results": suite.results, "notes": suite.notes,
            "spate_limits_off": servers[0].limits_off if servers and isinstance(servers[0], Spate) else None}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(data, f, indent=1)
    import report  # bench/report.py
    report.write(data, out)
    log(f"done in {elapsed / 60:.1f} min: {out}/report.md")


def describe_machine(servers):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
        except subprocess.TimeoutExpired:
            return ""
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    return {
        "cpu": f"{os.cpu_count()} x {cpu}", "memory": mem, "kernel": platform.release(),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "disk": sh(f"df -h {tempfile.gettempdir()} | tail -1 | awk '{{print $1\" (\"$2\")\"}}'"),
        "load_avg_at_start": sh("cut -d' ' -f1-3 /proc/loadavg"),
        "node": sh("node --version"),
        "kinesalite": sh(f"node -p \"require('{PEERS}/kinesalite/package.json').version\""),
        "kinesis_local": sh(f"node -p \"require('{PEERS}/kinesis-local/package.json').version\""),
        "redis": sh("redis-server --version | awk '{print $3}' | cut -d= -f2"),
        "fio": sh("fio --version"),
        "spate_commit": sh(f"git -C {ROOT} rev-parse --short HEAD"),
        "date": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
    }


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
