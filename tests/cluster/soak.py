"""The cluster soak: one cluster (netns_cluster.py), a paced load through every node, and random faults
one after another for a given time, then the final read and the checker (cluster_history.py).

  sudo /usr/bin/python3 tests/cluster/soak.py SECONDS [--seed N] [--keep]

Each cycle: a fault drawn at random (kill -9 of a spated, SIGSTOP of a spated, SIGSTOP of an etcd
member, a node's namespace partitioned from the others, a node cut from etcd, loss of etcd quorum,
kill -9 of one etcd member), on a random node or the busiest shard leader, for 3 to 8 s; then healing,
every process running again and a put accepted on every shard. Prints a line per cycle and, at the
end, the cycles, the acknowledged records and the anomalies; exits 1 on any anomaly. The load is
bounded (at most 150,000 records per writer, 6 writers, 5 ms pause between calls) and so is the
memory of the history.
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster_history as ch  # noqa: E402
import netns_cluster as nc  # noqa: E402

STREAM = "soak"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("seconds", type=float)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the logs and data directories")
    args = ap.parse_args()
    why = nc.netns_available()
    if why:
        print(f"soak: cannot run: {why}")
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    base = Path(tempfile.mkdtemp(prefix="spate-soak-"))
    mode = "cluster" if nc.replication_wired() else "per-node"
    print(f"soak: seed {seed}, {args.seconds:.0f} s, final read {mode}, logs in {base}", flush=True)
    cycles, windows = 0, []
    with nc.Cluster(base / "cluster") as c:
        c.start()
        account, region = ch.create_stream(c, STREAM)
        load = ch.Load(c, STREAM, per_node=2, max_records=150_000, seconds=args.seconds + 120,
                       seed=seed, pause_s=0.005).start()
        end = time.monotonic() + args.seconds
        try:
            while time.monotonic() < end:
                time.sleep(rng.uniform(1, 3))
                kind = rng.choice(["kill9", "pause", "pause-etcd", "partition", "cut-etcd", "quorum", "kill9-etcd"])
                victim = ch.busiest_leader(c, STREAM) if rng.random() < 0.5 else rng.choice(c.nodes)
                hold = rng.uniform(3, 8)
                before = load.acks_since(0)
                window = inject(c, kind, victim, hold, load)
                if window:
                    windows.append(window)
                heal(c)
                ch.wait_writable(c, STREAM, timeout=60)
                cycles += 1
                print(f"cycle {cycles}: {kind} on {victim.id} for {hold:.1f} s; "
                      f"{load.acks_since(0) - before} acknowledged meanwhile, {load.acks_since(0)} in all", flush=True)
        finally:
            history = load.stop()
        heal(c)
        rep = ch.final_check(c, STREAM, history, account, region, mode, windows)
    print(f"soak: {cycles} cycles, {rep.facts['acked']} acknowledged records, "
          f"{sum(rep.counts.values())} anomalies\n{rep}")
    if not args.keep:
        import shutil
        shutil.rmtree(base, ignore_errors=True)
    return 0 if rep.ok else 1


def inject(c, kind, victim, hold, load):
    """Applies the fault for `hold` seconds; returns a window in which no put may be acknowledged, or
    None."""
    if kind == "kill9":
        victim.spated.kill9()
    elif kind == "pause":
        victim.spated.pause()
    elif kind == "pause-etcd":
        victim.etcd.pause()
    elif kind == "partition":
        c.partition_node(victim)
    elif kind == "cut-etcd":
        c.cut_from_etcd(victim)
    elif kind == "kill9-etcd":
        victim.etcd.kill9()
    elif kind == "quorum":
        leader = c.etcd_leader() or victim
        for n in c.nodes:
            if n is not leader:
                n.etcd.kill9()
        lost = time.monotonic()
        time.sleep(max(hold, 6))
        return (lost + 2 * nc.ELECTION_TIMEOUT_S + nc.LEASE_TTL_S + 0.5, time.monotonic())
    time.sleep(hold)
    return None


def heal(c):
    c.heal()
    for n in c.nodes:
        if not n.etcd.alive():
            c.start_etcd(n)
    c.wait_etcd_quorum()
    for n in c.nodes:
        if not n.spated.alive():
            c.start_spated(n, skew_ms=n.skew_ms)


if __name__ == "__main__":
    sys.exit(main())
