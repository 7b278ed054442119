"""spate::Consumer (KCL-style) against a real spated: workers in separate processes (build/spate-consume) share
a stream's shards through the lease table (docs/leases.md).

- Two workers split four shards; a kill -9 of one moves its leases to the other after the failover time; every
  record is processed at least once and, within each processor's run, in order per shard; a graceful shutdown
  leaves final checkpoints and released leases.
- A reshard under load: every parent is processed to SHARD_END before any of its children starts; the finished
  parents' leases are then cleaned up.
- Enhanced fan-out (--enhanced-fan-out): the same guarantees with SubscribeToShard over HTTP/2, against a server
  that ends every subscription after 2 s, so the worker subscribes again from its last continuation many times."""

import json
import signal
import subprocess
import threading
import time

import pytest

import helpers
from conftest import REPO_ROOT

SPATE_CONSUME = REPO_ROOT / "build" / "spate-consume"
FAILOVER_MS = 1500
IDLE_MS = 50
WAIT_S = 20             # bound of every poll below
MAX_WORKER_SECONDS = 300
LEASE_TARGET = "SpateLeases_20261207"


@pytest.fixture(scope="module")
def tool():
    if not SPATE_CONSUME.exists():
        pytest.fail(f"{SPATE_CONSUME} is missing: `ninja -C build spate-consume`", pytrace=False)


class Worker:
    """One spate-consume process; its JSON lines go to a file."""

    def __init__(self, server, stream, app, name, tmp_path, extra=()):
        self.name = name
        self.out_path = tmp_path / f"{name}.out"
        self.err_path = tmp_path / f"{name}.err"
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(
            [str(SPATE_CONSUME), "--endpoint", server.endpoint, "--stream", stream, "--app", app, "--worker", name,
             "--failover-ms", str(FAILOVER_MS), "--idle-ms", str(IDLE_MS), "--max-records", "37",
             "--max-seconds", str(MAX_WORKER_SECONDS), *extra],
            stdout=self._out, stderr=self._err, env=helpers_env())

    def lines(self):
        out = []
        for raw in self.out_path.read_bytes().splitlines():
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass  # a line cut by kill -9
        return out

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._out.close()
        self._err.close()


def helpers_env():
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = "/nonexistent"
    return env


@pytest.fixture
def workers(server, tmp_path):
    made = []

    def start(stream, app, name, srv=None, extra=()):
        w = Worker(srv or server, stream, app, name, tmp_path, extra)
        made.append(w)
        return w

    yield start
    for w in made:
        w.close()


def leases(raw, app):
    r = raw.request(body=json.dumps({"ApplicationName": app}).encode(), target=f"{LEASE_TARGET}.ListLeases")
    assert r.status == 200, r
    return r.json()["Leases"]


def create_stream(boto, name, shards):
    boto.create_stream(StreamName=name, ShardCount=shards)
    wait_active(boto, name)


def wait_active(boto, name):
    helpers.poll_until(lambda: boto.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
                       ["StreamStatus"] == "ACTIVE", timeout=WAIT_S, what=f"{name} ACTIVE")


def put(boto, name, first, count):
    """Puts records "r<i>" for i in [first, first+count); returns {data: (shard_id, sequence_number)}."""
    out = {}
    batch = 100
    for start in range(first, first + count, batch):
        ids = range(start, min(first + count, start + batch))
        res = boto.put_records(StreamName=name, Records=[{"Data": f"r{i}".encode(), "PartitionKey": f"key-{i}"}
                                                         for i in ids])
        assert res["FailedRecordCount"] == 0, res
        for i, rec in zip(ids, res["Records"]):
            out[f"r{i}"] = (rec["ShardId"], rec["SequenceNumber"])
    return out


def records_of(*ws):
    return [line for w in ws for line in w.lines() if line["event"] == "record"]


def assert_in_order_per_processor(w):
    """Within each processor's run on a shard (from its "init"), records come in strictly increasing order."""
    last = {}
    for line in w.lines():
        if line["event"] == "init":
            last[line["shard"]] = None
        elif line["event"] == "record":
            pos = (int(line["seq"]), line["sub"])
            prev = last.get(line["shard"])
            assert prev is None or pos > prev, f"{w.name}: {line['shard']} went from {prev} to {pos}"
            last[line["shard"]] = pos


def assert_all_processed(expected, ws):
    seen = {(r["shard"], r["seq"], r["data"]) for r in records_of(*ws)}
    missing = [d for d, (shard, seq) in expected.items() if (shard, seq, d) not in seen]
    assert not missing, f"{len(missing)} records never processed, e.g. {missing[:5]}"


def owners(raw, app):
    return {l["ShardId"]: l.get("LeaseOwner", "") for l in leases(raw, app)}


def test_two_workers_share_four_shards_and_leases_move_after_kill9(server, boto, raw, tool, workers):
    name = helpers.unique_name("consume")
    app = helpers.unique_name("app")
    create_stream(boto, name, 4)
    expected = put(boto, name, 0, 100)
    a = workers(name, app, "worker-a")
    b = workers(name, app, "worker-b")

    def balanced():
        o = list(owners(raw, app).values())
        return len(o) == 4 and o.count("worker-a") == 2 and o.count("worker-b") == 2
    helpers.poll_until(balanced, timeout=WAIT_S, interval=0.1, what="2 leases each")
    expected.update(put(boto, name, 100, 200))  # after balancing: both workers process some
    helpers.poll_until(lambda: len({r["data"] for r in records_of(a, b)}) >= 300, timeout=WAIT_S, interval=0.1,
                       what="the first 300 records processed")

    helpers.poll_until(lambda: records_of(a), timeout=WAIT_S, interval=0.1, what="worker-a processing")
    a.kill9()
    killed_at = time.monotonic()
    expected.update(put(boto, name, 300, 300))
    helpers.poll_until(lambda: set(owners(raw, app).values()) == {"worker-b"}, timeout=WAIT_S, interval=0.05,
                       what="every lease owned by worker-b")
    moved_after = time.monotonic() - killed_at
    print(f"leases moved {moved_after:.2f}s after kill -9 (failover {FAILOVER_MS} ms)")
    # Not before A's last renewal (at most failover/3 before the kill) plus the failover time.
    assert moved_after >= FAILOVER_MS / 1000 * 2 / 3 - 0.05, moved_after
    helpers.poll_until(lambda: {r["data"] for r in records_of(a, b)} >= set(expected), timeout=WAIT_S, interval=0.1,
                       what="every record processed")
    assert_all_processed(expected, [a, b])
    assert_in_order_per_processor(a)
    assert_in_order_per_processor(b)

    # Graceful shutdown: final checkpoints at each shard's last record, leases released.
    assert b.stop() == 0, b.err_path.read_text()
    events = [l["event"] for l in b.lines()]
    assert events.count("shutdown") == 4 and events[-1] == "stopped", events[-10:]
    last_seq = {}
    for shard, seq in expected.values():
        last_seq[shard] = max(last_seq.get(shard, 0), int(seq))
    for lease in leases(raw, app):
        assert "LeaseOwner" not in lease, lease
        assert int(lease["Checkpoint"]) == last_seq[lease["ShardId"]], lease


def test_reshard_under_load_finishes_parents_before_children(server, boto, raw, tool, workers):
    name = helpers.unique_name("reshard")
    app = helpers.unique_name("app")
    create_stream(boto, name, 2)
    w = workers(name, app, "worker-r")
    reshard_under_load(boto, raw, name, app, w)
    assert w.stop() == 0


def reshard_under_load(boto, raw, name, app, w, first=0):
    """Puts under load, reshards 2 -> 4 shards midway, and checks every record processed in order, parents before
    children, and the finished parents' leases deleted once their children have checkpoints."""
    expected = {}
    stop = threading.Event()
    errors = []

    def load():
        i = first
        try:
            while not stop.is_set() and i < first + 3000:   # bounded in count and (below) in time
                expected.update(put(boto, name, i, 50))
                i += 50
                time.sleep(0.02)
        except Exception as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    t = threading.Thread(target=load)
    t.start()
    try:
        helpers.poll_until(lambda: len(expected) >= 200, timeout=WAIT_S, what="load running")
        boto.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
        wait_active(boto, name)
        helpers.poll_until(lambda: len(expected) >= 600, timeout=WAIT_S, what="load after the reshard")
    finally:
        stop.set()
        t.join(timeout=WAIT_S)
    assert not errors, errors

    helpers.poll_until(lambda: {r["data"] for r in records_of(w)} >= set(expected), timeout=WAIT_S, interval=0.1,
                       what="every record processed")
    assert_all_processed(expected, [w])
    assert_in_order_per_processor(w)

    shards = boto.list_shards(StreamName=name)["Shards"]
    lines = w.lines()
    first_init = {}
    shard_end = {}
    for i, line in enumerate(lines):
        if line["event"] == "init":
            first_init.setdefault(line["shard"], i)
        elif line["event"] == "shard_end":
            shard_end.setdefault(line["shard"], i)
    children = [s for s in shards if s.get("ParentShardId")]
    assert len(children) >= 2, shards
    for child in children:
        if child["ShardId"] not in first_init:
            continue  # no record reached it yet: nothing to order
        for parent in (child.get("ParentShardId"), child.get("AdjacentParentShardId")):
            if parent:
                assert parent in shard_end, f"{child['ShardId']} started before its parent {parent} ended"
                assert shard_end[parent] < first_init[child["ShardId"]], (parent, child["ShardId"])

    # Lease cleanup: a closed shard's lease is at SHARD_END until each of its children holds a checkpoint,
    # then it is deleted; the children's leases stay.
    closed = {s["ShardId"] for s in shards if s.get("SequenceNumberRange", {}).get("EndingSequenceNumber")}
    assert closed, shards

    def children_checkpointed(parent):
        table = {l["ShardId"]: l for l in leases(raw, app)}
        kids = [c["ShardId"] for c in children if parent in (c.get("ParentShardId"), c.get("AdjacentParentShardId"))]
        return all(table.get(k, {}).get("Checkpoint") not in (None, "TRIM_HORIZON", "LATEST") for k in kids)

    for lease in leases(raw, app):
        if lease["ShardId"] in closed:
            assert lease["Checkpoint"] == "SHARD_END", lease
    parents_with_busy_children = {p for p in closed if children_checkpointed(p)}
    helpers.poll_until(lambda: not parents_with_busy_children & {l["ShardId"] for l in leases(raw, app)},
                       timeout=WAIT_S, interval=0.1, what="the finished parents' leases deleted")
    assert parents_with_busy_children, "no child was checkpointed: the cleanup was not exercised"
    remaining = {l["ShardId"] for l in leases(raw, app)}
    assert {c["ShardId"] for c in children} <= remaining, remaining


# A server that ends every subscription after 2 s (AWS: 5 minutes) and sends heartbeats every 0.3 s.
SHORT_SUBSCRIPTIONS = ["--limits=off", "--fanout-heartbeat-ms", "300", "--fanout-subscription-ms", "2000",
                       "--fanout-takeover-guard-ms", "500"]
SUBSCRIPTION_S = 2.0


def test_enhanced_fan_out_resubscribes_from_the_continuation_and_keeps_the_order(make_server, tool, workers):
    srv = make_server(extra_args=SHORT_SUBSCRIPTIONS)
    boto = helpers.make_boto3_client(srv.endpoint)
    raw = helpers.RawClient(srv.endpoint)
    name = helpers.unique_name("efo")
    app = helpers.unique_name("app")
    create_stream(boto, name, 2)
    expected = put(boto, name, 0, 100)
    w = workers(name, app, "worker-f", srv=srv, extra=["--enhanced-fan-out"])
    helpers.poll_until(lambda: {r["data"] for r in records_of(w)} >= set(expected), timeout=WAIT_S, interval=0.1,
                       what="the first records pushed")
    started = time.monotonic()
    # Records put across several subscription lifetimes: each arrives through a later subscription.
    for i in range(1, 4):
        time.sleep(SUBSCRIPTION_S * 0.8)
        expected.update(put(boto, name, i * 100, 100))
    helpers.poll_until(lambda: {r["data"] for r in records_of(w)} >= set(expected), timeout=WAIT_S, interval=0.1,
                       what="records across renewals pushed")
    assert time.monotonic() - started > SUBSCRIPTION_S * 2  # at least two subscriptions ended meanwhile
    assert_all_processed(expected, [w])
    assert_in_order_per_processor(w)  # strictly increasing: a renewal neither replays nor skips
    consumers = boto.list_stream_consumers(StreamARN=helpers.stream_arn(name))["Consumers"]
    assert [c["ConsumerName"] for c in consumers] == [app], consumers
    assert not [l for l in w.lines() if l["event"] == "lease_lost"]

    # Resharding through fan-out: parents pushed to their end (ChildShards) before children start.
    reshard_under_load(boto, raw, name, app, w, first=10000)
    assert w.stop() == 0, w.err_path.read_text()
    assert [l["event"] for l in w.lines()][-1] == "stopped"
