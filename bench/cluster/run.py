"""Cluster benchmark (issue 16): 3 spated nodes over veth in network namespaces (tests/cluster/
netns_cluster.py) beside one single-node spated from the same run, on the same bridge:

- PutRecords throughput: 6 closed-loop writers, each call 100 records of 1 KiB over 3 shards;
- PutRecord latency: 6 closed-loop writers, one 100-byte record per call, p50 and p99;
- forwarded PutRecord: the same writers on a 1-shard stream, only through the two nodes that do not
  lead it, so every call is forwarded to the leader (the forwarder's cost on top of the leader's);
- failover: a 1-shard stream's leader killed with kill -9 KILLS times, the time from the kill to the
  first PutRecord accepted for that shard through the surviving nodes; the node restarted between
  kills.

  sudo /usr/bin/python3 bench/cluster/run.py [--seconds 10] [--kills 10] [--lease-ttl 3] [--max-minutes 15]

Prints a Markdown table and the load average beside each figure. With replication wired (spated takes
--replication-port) the cluster runs replicated, factor 3 (spated's default), and its rows say so. The
whole run is bounded: kills stop early, and say how many ran, once --max-minutes have passed. The clients are Python threads in a
client namespace (one keep-alive connection each), so the figures include their cost; both sides pay
it alike. Needs root and build/spated.
"""

import argparse
import base64
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "cluster"))
import cluster_history as ch  # noqa: E402
import netns_cluster as nc  # noqa: E402

SINGLE_PORT = 4600
WRITERS = 6


def load_avg():
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def closed_loop(client_ns, endpoints, seconds, make_call):
    """WRITERS threads, writer k on endpoints[k % len]; returns (calls ok, records ok, latencies s)."""
    lock = threading.Lock()
    out = {"calls": 0, "records": 0, "lat": [], "errors": 0}
    stop = time.monotonic() + seconds

    def run(k):
        nc.enter_netns(client_ns)
        addr, port = endpoints[k % len(endpoints)]
        c = ch.Client(addr, port, timeout=10)
        rng = random.Random(k)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                n = make_call(c, rng)
            except (ch.KinesisError, OSError) as e:
                with lock:
                    out["errors"] += 1
                c.close()
                time.sleep(0.05)
                continue
            dt = time.perf_counter() - t0
            with lock:
                out["calls"] += 1
                out["records"] += n
                out["lat"].append(dt)
    threads = [threading.Thread(target=run, args=(k,)) for k in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def put_records(stream):
    def call(c, rng):
        recs = [{"PartitionKey": str(rng.random()), "Data": base64.b64encode(rng.randbytes(1024)).decode()}
                for _ in range(100)]
        r = c.call("PutRecords", StreamName=stream, Records=recs)
        return 100 - r["FailedRecordCount"]
    return call


def put_record(stream):
    def call(c, rng):
        c.call("PutRecord", StreamName=stream, PartitionKey=str(rng.random()),
               Data=base64.b64encode(rng.randbytes(100)).decode())
        return 1
    return call


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


def measure(label, client_ns, endpoints, stream, seconds, rows):
    before = load_avg()
    t = closed_loop(client_ns, endpoints, seconds, put_records(stream))
    rows.append((label, "PutRecords 100 x 1 KiB", f"{t['records'] / seconds:,.0f} records/s "
                 f"({t['records'] * 1024 / seconds / 1e6:.1f} MB/s), {t['errors']} errors", before + " -> " + load_avg()))
    before = load_avg()
    lat = closed_loop(client_ns, endpoints, seconds, put_record(stream))
    rows.append((label, "PutRecord 100 B", f"p50 {pct(lat['lat'], 50) * 1e3:.2f} ms, p99 {pct(lat['lat'], 99) * 1e3:.2f} ms "
                 f"({lat['calls'] / seconds:,.0f} calls/s), {lat['errors']} errors", before + " -> " + load_avg()))
    print(rows[-2], rows[-1], flush=True)


def measure_forwarded(label, c, seconds, rows):
    """PutRecord on a 1-shard stream through the two nodes that do not lead it: every call forwarded."""
    ch.create_stream(c, "fwd", shards=1)
    ch.wait_writable(c, "fwd")
    leader = ch.leaders(c, "fwd")["shardId-000000000000"]
    endpoints = [(n.addr, nc.SPATED_PORT) for n in c.nodes if n.id != leader]
    before = load_avg()
    lat = closed_loop(c.client_ns, endpoints, seconds, put_record("fwd"))
    rows.append((label, "PutRecord 100 B, every call forwarded", f"p50 {pct(lat['lat'], 50) * 1e3:.2f} ms, p99 "
                 f"{pct(lat['lat'], 99) * 1e3:.2f} ms ({lat['calls'] / seconds:,.0f} calls/s), {lat['errors']} errors",
                 before + " -> " + load_avg()))
    print(rows[-1], flush=True)


def failover(c, kills, deadline):
    ch.create_stream(c, "failover", shards=1)
    shard = "shardId-000000000000"
    times = []
    with nc.in_netns(c.client_ns):
        for k in range(kills):
            if time.monotonic() > deadline:
                print(f"bench: --max-minutes passed: {k} of {kills} kills ran", flush=True)
                break
            nc.poll_until(lambda: shard in ch.leaders(c, "failover"), 30, "a leader")
            victim = c.node(ch.leaders(c, "failover")[shard])
            others = [n for n in c.nodes if n is not victim]
            clients = [ch.Client(n.addr, timeout=2) for n in others]
            t0 = time.monotonic()
            victim.spated.kill9()
            done = None
            while done is None and time.monotonic() - t0 < 60:
                for cl in clients:
                    try:
                        cl.call("PutRecord", StreamName="failover", PartitionKey="k", Data="eA==")
                        done = time.monotonic() - t0
                        break
                    except (ch.KinesisError, OSError):
                        cl.close()
                time.sleep(0.01)
            assert done is not None, "no write accepted within 60 s of the kill"
            times.append(done)
            print(f"kill {k + 1}: leader {victim.id}, writes accepted again after {done:.2f} s (load {load_avg()})", flush=True)
            c.start_spated(victim)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--lease-ttl", type=int, default=3, help="--cluster-lease-ttl-s (spated's default: 3)")
    ap.add_argument("--max-minutes", type=float, default=15, help="bound on the whole run (kills stop early)")
    args = ap.parse_args()
    deadline = time.monotonic() + args.max_minutes * 60
    why = nc.netns_available()
    if why:
        print(f"bench: cannot run: {why}")
        return 2
    base = Path(tempfile.mkdtemp(prefix="spate-bench-cluster-"))
    rows = []
    with nc.Cluster(base / "cluster", lease_ttl_s=args.lease_ttl) as c:
        c.start()
        replicated = c.replication
        # The single node: spated without --cluster in n1's namespace, on its own port and disk dir.
        single = nc.Proc(c.nodes[0].ns, "single", base)
        single.spawn([str(nc.SPATED_BIN), "--host", c.nodes[0].addr, "--port", str(SINGLE_PORT), "--data-dir",
                      str(base / "single-data"), "--state-delay-ms", "20", "--limits=off"])
        nc.poll_until(lambda: f"listening on {c.nodes[0].addr}:{SINGLE_PORT}" in single.log_text(), 30, "single node")
        try:
            with nc.in_netns(c.client_ns):
                s = ch.Client(c.nodes[0].addr, SINGLE_PORT, timeout=10)
                s.call("CreateStream", StreamName="bench", ShardCount=3)
                nc.poll_until(lambda: ch._active(s, "bench"), 30, "single-node stream ACTIVE")
            ch.create_stream(c, "bench", shards=3)
            ch.wait_writable(c, "bench")
            measure("1 node", c.client_ns, [(c.nodes[0].addr, SINGLE_PORT)], "bench", args.seconds, rows)
            label = "3 nodes" + (" (replicated, factor 3)" if replicated else " (not replicated)")
            measure(label, c.client_ns, [(n.addr, nc.SPATED_PORT) for n in c.nodes], "bench", args.seconds, rows)
            measure_forwarded(label, c, args.seconds, rows)
            measure("1 node (again)", c.client_ns, [(c.nodes[0].addr, SINGLE_PORT)], "bench", args.seconds, rows)
        finally:
            single.stop()
        times = failover(c, args.kills, deadline)
    ts = sorted(times)
    print("\n| setup | operation | result | load average (1/5/15 min) before -> after |\n|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\nspated: {nc.SPATED_BIN}; replicated: {replicated}")
    if ts:
        print(f"failover over {len(ts)} kills (kill -9 to the first accepted PutRecord, lease TTL {args.lease_ttl} s): "
              f"min {ts[0]:.2f} s, median {pct(ts, 50):.2f} s, max {ts[-1]:.2f} s; all: {', '.join(f'{t:.2f}' for t in times)}")
    print(f"load average at the end: {load_avg()}; nproc {os.cpu_count()}")
    import shutil
    shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
