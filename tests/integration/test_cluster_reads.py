"""Cluster mode: reads of committed data continue from followers while a shard has no ready leader.

A shard's leader tells its followers how far a majority holds its log (COMMIT frames,
docs/formats/replication.md, "Reads"). While the shard's leader is dead (its key not yet expired, or
vacant, or its successor still catching up) a replica serves GetShardIterator and GetRecords from its own
log up to that committed end, and a node that holds no replica forwards them to a live replica
(src/cluster/read_routing.h). Iterators are the same on every node: one issued by the old leader works on
a follower and on the new leader, and NextShardIterator continues with no record lost or repeated.

One etcd and three real spated nodes on loopback (test_cluster.py's fixtures), boto3 with retries off.
"""

import signal
import threading
import time

import pytest
from botocore.exceptions import ClientError

import helpers
from conftest import FUNCTIONAL_ARGS, SpatedServer, _require_binary
from test_cluster import (LEASE_TTL_S, SECRET, Etcd, leaders, node_keys, retry, stream_replicas,
                          wait_active)

SHARD = "shardId-000000000000"
WARMUP = "warmup"  # the stream's first record, left out of what the tests compare
PRE_KILL_RECORDS = 200
# Bounds every loop of these tests.
LOOP_TIMEOUT_S = 30


@pytest.fixture
def nodes3(request, tmp_path):
    """One etcd and nodes n1..n3 with --replication-factor `request.param` (default 3) and the test lease
    TTL (1 s, raised to 2 by etcd). No dead replica is replaced while a test runs."""
    factor = getattr(request, "param", 3)
    _require_binary()
    etcd = Etcd(tmp_path)
    etcd.start()
    secret_file = tmp_path / "cluster-secret"
    secret_file.write_text(SECRET + "\n")
    nodes = []
    try:
        for i in (1, 2, 3):
            log_dir = tmp_path / f"n{i}"
            log_dir.mkdir()
            srv = SpatedServer(log_dir / "data", log_dir, extra_args=[
                *FUNCTIONAL_ARGS, "--cluster", f"etcd://127.0.0.1:{etcd.client_port}", "--node-id", f"n{i}",
                "--cluster-lease-ttl-s", str(LEASE_TTL_S), "--cluster-secret-file", str(secret_file),
                "--replication-factor", str(factor), "--replica-replace-grace-s", "600"])
            nodes.append(srv)
            srv.start()
        yield etcd, {f"n{i}": srv for i, srv in enumerate(nodes, start=1)}
    finally:
        for srv in nodes:
            if srv.proc is not None:
                srv.stop(signal.SIGKILL)
        etcd.stop()


def new_stream(by_id, etcd):
    name = helpers.unique_name("clr")
    boto = helpers.make_boto3_client(by_id["n1"].endpoint)
    boto.create_stream(StreamName=name, ShardCount=1)
    wait_active(boto, name)
    helpers.poll_until(lambda: len(leaders(etcd, name)) == 1, what="a shard leader")
    # The new leader admits writes once caught up (LeaderSync): one put, retried until then, so the
    # tests' own batches are accepted whole.
    retry(lambda: boto.put_record(StreamName=name, PartitionKey=WARMUP, Data=WARMUP.encode()), "the first put")
    return name


def put_batch(boto, name, keys):
    """PutRecords of `keys` (data = key) in one call, in the steady state: every record accepted.
    Returns their sequence numbers."""
    out = retry(lambda: boto.put_records(StreamName=name, Records=[
        {"PartitionKey": k, "Data": k.encode()} for k in keys]), "PutRecords")
    assert out["FailedRecordCount"] == 0, out
    return [int(r["SequenceNumber"]) for r in out["Records"]]


class Reader:
    """Follows one shard iterator with GetRecords through a node, keeping every record in order. A call
    that fails (InternalFailure: no node could serve it) is tried again with the same iterator."""

    def __init__(self, boto, iterator):
        self.boto = boto
        self.iterator = iterator
        self.records = []
        self.errors = 0
        self.empty_calls = 0

    def step(self, limit=50):
        try:
            out = self.boto.get_records(ShardIterator=self.iterator, Limit=limit)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InternalFailure", e.response
            self.errors += 1
            return None
        self.records.extend(out["Records"])
        if not out["Records"]:
            self.empty_calls += 1
        assert "NextShardIterator" in out
        self.iterator = out["NextShardIterator"]
        return out

    def keys(self):
        return [r["PartitionKey"] for r in self.records if r["PartitionKey"] != WARMUP]

    def read_until(self, want_keys, timeout=LOOP_TIMEOUT_S):
        def have_all():
            self.step()
            return want_keys <= set(self.keys())
        helpers.poll_until(have_all, timeout=timeout, interval=0.02, what="every wanted record read")


def check_order(records, acked_seqs):
    """No record twice, sequence numbers increasing, each acknowledged record with its number."""
    keys = [r["PartitionKey"] for r in records]
    seqs = [int(r["SequenceNumber"]) for r in records]
    assert len(keys) == len(set(keys)), "a record was read twice"
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    for r in records:
        assert r["Data"] == r["PartitionKey"].encode()
        if r["PartitionKey"] in acked_seqs:
            assert int(r["SequenceNumber"]) == acked_seqs[r["PartitionKey"]], r["PartitionKey"]


def test_reads_continue_from_followers_while_the_killed_leaders_shard_has_no_leader(nodes3):
    etcd, by_id = nodes3
    name = new_stream(by_id, etcd)
    leader = leaders(etcd, name)[SHARD]
    reader_node, writer_node = [n for n in ("n1", "n2", "n3") if n != leader]
    read_boto = helpers.make_boto3_client(by_id[reader_node].endpoint)
    write_boto = helpers.make_boto3_client(by_id[writer_node].endpoint)

    keys = [f"pre-{i:04d}" for i in range(PRE_KILL_RECORDS)]
    acked = {}
    for i in range(0, len(keys), 50):
        acked.update(zip(keys[i:i + 50], put_batch(write_boto, name, keys[i:i + 50])))
    # An iterator issued while the leader serves (GetShardIterator and a first GetRecords, forwarded to it).
    first = read_boto.get_shard_iterator(StreamName=name, ShardId=SHARD, ShardIteratorType="TRIM_HORIZON")
    reader = Reader(read_boto, first["ShardIterator"])
    reader.step(limit=21)
    assert reader.keys() == keys[:20]
    # The leader was idle since the last acknowledgement: its followers know everything is committed.

    killed_at = time.monotonic()
    by_id[leader].kill()

    # A writer probes for the first accepted write after the kill (never retried by boto3; a failed put
    # is simply sent again under a new key, so none is acknowledged twice).
    first_write = {}
    stop = threading.Event()

    def probe_writes():
        i = 0
        while not stop.is_set() and time.monotonic() - killed_at < LOOP_TIMEOUT_S:
            key = f"post-{i:04d}"
            i += 1
            try:
                out = write_boto.put_record(StreamName=name, PartitionKey=key, Data=key.encode())
            except ClientError as e:
                assert e.response["Error"]["Code"] == "InternalFailure", e.response
                time.sleep(0.05)
                continue
            except Exception:  # noqa: BLE001 - the connection broke under the failover: send a new key
                time.sleep(0.05)
                continue
            first_write.setdefault("at", time.monotonic())
            first_write.setdefault("key", key)
            acked[key] = int(out["SequenceNumber"])
            return

    # LATEST through the other survivor, at once: at the committed end it knows (all of pre-*).
    latest = retry(lambda: write_boto.get_shard_iterator(StreamName=name, ShardId=SHARD,
                                                         ShardIteratorType="LATEST"), "LATEST")["ShardIterator"]
    writer = threading.Thread(target=probe_writes, daemon=True)
    writer.start()
    try:
        # Every record acknowledged before the kill, read through the survivors with the old leader's
        # iterator.
        first_read_at = None
        while set(keys) - set(reader.keys()):
            assert time.monotonic() - killed_at < LOOP_TIMEOUT_S, "reads did not continue"
            out = reader.step()
            if out is not None and out["Records"] and first_read_at is None:
                first_read_at = time.monotonic()
        all_read_at = time.monotonic()
        at_seq = retry(lambda: write_boto.get_shard_iterator(
            StreamName=name, ShardId=SHARD, ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=str(acked[keys[150]])), "AT_SEQUENCE_NUMBER")["ShardIterator"]
        during = Reader(write_boto, at_seq)
        during.read_until(set(keys[150:]))
        writer.join(timeout=LOOP_TIMEOUT_S)
    finally:
        stop.set()
        writer.join(timeout=10)
    assert "at" in first_write, "no write was accepted after the kill"
    new_leader = leaders(etcd, name)[SHARD]
    print(f"failover reads: first record read {first_read_at - killed_at:.2f} s and all {len(keys)} read "
          f"{all_read_at - killed_at:.2f} s after kill -9 of {leader}, through {reader_node} "
          f"({reader.errors} failed calls); first write accepted {first_write['at'] - killed_at:.2f} s after "
          f"(new leader {new_leader}; lease TTL {LEASE_TTL_S} s, 2 s in etcd)")
    assert new_leader != leader
    # The reads did not wait for the new leader.
    assert all_read_at < first_write["at"]
    assert during.keys()[:len(keys) - 150] == keys[150:]

    # The new leader serves: more writes, read on with the same iterators, no record lost or repeated.
    post = [f"late-{i:03d}" for i in range(30)]
    acked.update(zip(post, put_batch(write_boto, name, post)))
    want = set(keys) | {first_write["key"]} | set(post)
    reader.read_until(want)
    check_order(reader.records, acked)
    assert reader.keys()[:len(keys)] == keys
    # Besides: at most probe puts that failed yet were appended (a duplicate Kinesis allows), none acked.
    assert all(k in want or k.startswith("post-") for k in reader.keys())
    tail = Reader(write_boto, latest)
    tail.read_until({first_write["key"]} | set(post))
    check_order(tail.records, acked)
    # LATEST taken during the failover: from the first record after the kill on, nothing skipped.
    assert tail.keys()[-len(post):] == post
    assert not any(k.startswith("pre-") for k in tail.keys())
    assert reader.keys()[len(keys):] == tail.keys()
    # What the killed leader's successor and the other survivor hold agrees with what was read.
    for node in (reader_node, writer_node):
        again = Reader(helpers.make_boto3_client(by_id[node].endpoint), first["ShardIterator"])
        again.read_until(want)
        assert again.keys() == reader.keys()


@pytest.mark.parametrize("nodes3", [2], indirect=True)
def test_a_node_without_a_replica_reads_through_a_live_replica_while_no_leader_can_serve(nodes3):
    etcd, by_id = nodes3
    name = new_stream(by_id, etcd)
    replicas = stream_replicas(etcd, name)[SHARD]
    assert len(replicas) == 2
    leader = leaders(etcd, name)[SHARD]
    follower = next(n for n in replicas if n != leader)
    outsider = next(n for n in ("n1", "n2", "n3") if n not in replicas)
    out_boto = helpers.make_boto3_client(by_id[outsider].endpoint)

    keys = [f"k{i:03d}" for i in range(60)]
    acked = dict(zip(keys, put_batch(out_boto, name, keys)))
    it = out_boto.get_shard_iterator(StreamName=name, ShardId=SHARD, ShardIteratorType="TRIM_HORIZON")
    reader = Reader(out_boto, it["ShardIterator"])
    reader.step(limit=11)
    assert reader.keys() == keys[:10]

    # With two replicas a majority is both: once the leader is killed nobody can lead, and nothing is
    # written, until it comes back. Reads go on through the outsider, served by the follower.
    by_id[leader].kill()
    helpers.poll_until(lambda: leader not in node_keys(etcd), timeout=LOOP_TIMEOUT_S, what="the leader's key gone")
    reader.read_until(set(keys))
    assert reader.keys() == keys
    latest = out_boto.get_shard_iterator(StreamName=name, ShardId=SHARD, ShardIteratorType="LATEST")["ShardIterator"]
    with pytest.raises(ClientError) as refused:
        out_boto.put_record(StreamName=name, PartitionKey="x", Data=b"x")
    assert refused.value.response["Error"]["Code"] == "InternalFailure"
    assert SHARD not in leaders(etcd, name) or leaders(etcd, name)[SHARD] == follower

    # The leader restarts; the shard is served again; both iterators continue where they were.
    by_id[leader].start()
    post = [f"after-{i:02d}" for i in range(10)]
    for key in post:
        acked[key] = int(retry(lambda: out_boto.put_record(StreamName=name, PartitionKey=key, Data=key.encode()),
                               "PutRecord after the restart", timeout=LOOP_TIMEOUT_S)["SequenceNumber"])
    reader.read_until(set(keys) | set(post))
    assert reader.keys() == keys + post
    check_order(reader.records, acked)
    tail = Reader(out_boto, latest)
    tail.read_until(set(post))
    assert tail.keys() == post
