"""Cluster mode's forwarder: kept-alive connections to the leader, and no 10 s hold behind a paused one.

Forwarded calls go over the shared HTTP client, so calls forwarded one after another reuse a connection
to the leader instead of opening one each (the leader's spate_http_connections_accepted_total shows it).

A leader paused with SIGSTOP keeps its connections open and answers nothing. The nodes that forwarded
calls to it answer each one with InternalFailure (500, retried by every SDK) once their view shows the
paused node's lease lapsed (the lease TTL, 2 s here) plus a short grace, and never send the write again
on the client's behalf. What was acknowledged stays readable through the survivors and the new leader.
A read forwarded to it is not answered with an error but sent again where the read routing says then (the
new leader, or the forwarding replica's own log).
"""

import re
import signal
import threading
import time
import urllib.request

from botocore.exceptions import ClientError

import helpers
from test_cluster import LEASE_TTL_S, PutLog, cluster, leaders, one_led_shard, read_all, retry  # noqa: F401

# The forwarder's own timeout for one forwarded request (ForwarderOptions::timeout_ms): what a client waited
# behind a paused leader before.
FORWARD_TIMEOUT_S = 10
# Generous: the lease (2 s in etcd for a TTL of 1) plus the grace, the view's watch and a loaded machine.
ANSWER_BOUND_S = 7


def test_writes_forwarded_to_a_paused_leader_are_answered_once_its_lease_lapses(cluster):
    etcd, nodes, _ = cluster
    name, shard, leader, by_id = one_led_shard(etcd, nodes)
    paused = by_id[leader]
    survivors = [srv for node_id, srv in by_id.items() if node_id != leader]
    boto = helpers.make_boto3_client(survivors[0].endpoint)
    retry(lambda: boto.put_record(StreamName=name, PartitionKey="first", Data=b"first"), "the first PutRecord")

    # Two writers per survivor: every call is forwarded to the leader.
    log = PutLog(name, survivors + survivors, max_puts=2000).start()
    resumed = False
    try:
        helpers.poll_until(lambda: len(log.acked()) >= 40, timeout=20,
                           interval=0.02, what="40 acknowledged puts before the pause")
        paused_at = time.monotonic()
        paused.proc.send_signal(signal.SIGSTOP)
        # Every call pending at the pause or sent after it is answered; wait for a put sent after the pause
        # to be acknowledged by the new leader, then for each writer's call under way to come back.
        helpers.poll_until(lambda: any(c.sent > paused_at for c in log.acked()),
                           timeout=FORWARD_TIMEOUT_S + 15, interval=0.05, what="a put acknowledged after the pause")
        new_leader = leaders(etcd, name).get(shard)
    finally:
        log.finish(join_timeout_s=FORWARD_TIMEOUT_S + 20)
        paused.proc.send_signal(signal.SIGCONT)
        resumed = True
    assert resumed
    calls = log.snapshot()
    # The calls that were pending at the pause (sent before, answered after) and those sent to the paused
    # node after it (answered with an error, or by the new leader).
    held = [c for c in calls if c.returned > paused_at and c.sent < paused_at + LEASE_TTL_S]
    waits = [c.returned - max(c.sent, paused_at) for c in held]
    worst = max(waits)
    errors = sorted({c.error for c in calls if c.error is not None})
    print(f"paused leader {leader} (now {new_leader}): {len(held)} calls pending at or sent just after the pause, "
          f"answered at most {worst:.2f} s after the pause (forwarder timeout {FORWARD_TIMEOUT_S} s, lease TTL "
          f"{LEASE_TTL_S} s, 2 s in etcd); {len(calls)} calls, errors: {errors}")
    assert held, "no call was pending at the pause"
    assert worst < ANSWER_BOUND_S, f"a call waited {worst:.2f} s behind the paused leader"
    assert new_leader is not None and new_leader != leader
    # Only retryable errors: InternalFailure from the forwarder (or the new leader catching up).
    assert set(errors) <= {"InternalFailure"}, errors

    # Every acknowledged record is readable once, with its sequence number, in order.
    want = {c.key: c.seq for c in calls if c.seq is not None}
    want["first"] = None
    records = read_all(boto, name, shard, set(want))
    # "first" was retried until accepted, so it may be there more than once; no other record was sent twice.
    keys = [r["PartitionKey"] for r in records if r["PartitionKey"] != "first"]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    assert not twice, (f"records in the shard twice: {twice}: "
                       f"{[(r['PartitionKey'], r['SequenceNumber']) for r in records if r['PartitionKey'] in twice]}; "
                       f"calls: {[c for c in calls if c.key in twice]}, paused at {paused_at}")
    seqs = [int(r["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs)
    for r in records:
        if want.get(r["PartitionKey"]) is not None:
            assert int(r["SequenceNumber"]) == want[r["PartitionKey"]], r["PartitionKey"]


class ShardReader:
    """Follows one shard with GetRecords through one node from TRIM_HORIZON, in a thread, each call sent once
    (never retried by boto3); a failed call is tried again with the same iterator. Every call's send time,
    return time and error is kept. Bounded in time."""

    def __init__(self, srv, name, shard, max_s=40):
        self.client = helpers.make_boto3_client(srv.endpoint, sent_once=True)
        self.iterator = retry(lambda: self.client.get_shard_iterator(
            StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON"), "GetShardIterator")["ShardIterator"]
        self.records = []
        self.calls = []  # (sent, returned, error code or exception name, or None)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.deadline = time.monotonic() + max_s
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            sent, error = time.monotonic(), None
            try:
                out = self.client.get_records(ShardIterator=self.iterator, Limit=100)
            except ClientError as e:
                error = e.response["Error"]["Code"]
            except Exception as e:  # noqa: BLE001 - no answer: recorded, sent again with the same iterator
                error = type(e).__name__
            with self.lock:
                self.calls.append((sent, time.monotonic(), error))
                if error is None:
                    self.records.extend(out["Records"])
                    self.iterator = out["NextShardIterator"]
            time.sleep(0.02 if error is not None else 0.005)

    def start(self):
        self.thread.start()
        return self

    def keys(self):
        with self.lock:
            return [r["PartitionKey"] for r in self.records]

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=FORWARD_TIMEOUT_S + 20)
        assert not self.thread.is_alive(), "the reader still waits"
        with self.lock:
            return list(self.calls)


def test_reads_forwarded_to_a_paused_leader_are_answered_by_another_replica(cluster):
    """A read forwarded to a paused leader is abandoned once its lease lapses and runs again where the read
    routing says over the view then (RouteReadAgain: the new leader, else this replica's own log): it is
    answered with records, not an error, and the reader misses and repeats nothing."""
    etcd, nodes, _ = cluster
    name, shard, leader, by_id = one_led_shard(etcd, nodes)
    paused = by_id[leader]
    survivors = [srv for node_id, srv in by_id.items() if node_id != leader]
    writer = helpers.make_boto3_client(survivors[1].endpoint, sent_once=True)
    retry(lambda: writer.put_record(StreamName=name, PartitionKey="first", Data=b"first"), "the first PutRecord")
    pre = [f"pre-{i:03d}" for i in range(50)]
    out = retry(lambda: writer.put_records(StreamName=name, Records=[{"PartitionKey": k, "Data": k.encode()}
                                                                     for k in pre]), "PutRecords")
    assert out["FailedRecordCount"] == 0

    # Every read goes through survivors[0], a replica that forwards it to the leader while the leader is live.
    reader = ShardReader(survivors[0], name, shard).start()
    try:
        helpers.poll_until(lambda: set(pre) <= set(reader.keys()), timeout=20, what="the first records read")
        paused_at = time.monotonic()
        paused.proc.send_signal(signal.SIGSTOP)
        helpers.poll_until(lambda: leaders(etcd, name).get(shard) not in (None, leader),
                           timeout=FORWARD_TIMEOUT_S + 15, interval=0.05, what="a new leader")
        post = [f"post-{i:03d}" for i in range(20)]
        for key in post:
            retry(lambda: writer.put_record(StreamName=name, PartitionKey=key, Data=key.encode()), "PutRecord",
                  timeout=FORWARD_TIMEOUT_S + 15)
        helpers.poll_until(lambda: set(post) <= set(reader.keys()), timeout=20, what="the later records read")
    finally:
        calls = reader.finish()
        paused.proc.send_signal(signal.SIGCONT)
    held = [c for c in calls if c[1] > paused_at and c[0] < paused_at + LEASE_TTL_S]
    worst = max(returned - max(sent, paused_at) for sent, returned, _ in held)
    errors = [c for c in calls if c[2] is not None]
    print(f"paused leader {leader}: {len(held)} reads pending at or sent just after the pause, answered at most "
          f"{worst:.2f} s after it; {len(calls)} reads, {len(errors)} failed: {sorted({c[2] for c in errors})}")
    assert held, "no read was pending at the pause"
    assert worst < ANSWER_BOUND_S, f"a read waited {worst:.2f} s behind the paused leader"
    assert not errors, errors
    keys = [k for k in reader.keys() if k != "first"]
    assert keys[:len(pre)] == pre
    assert [k for k in keys if k.startswith("post-")] == post
    assert len(keys) == len(set(keys)), "a record was read twice"


def connections_accepted(srv):
    with urllib.request.urlopen(srv.endpoint + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    m = re.search(r"^spate_http_connections_accepted_total(?:\{[^}]*\})? (\d+)", text, re.M)
    assert m, "spate_http_connections_accepted_total not in /metrics"
    return int(m.group(1))


def test_forwarded_calls_reuse_connections_to_the_leader(cluster):
    etcd, nodes, _ = cluster
    name, shard, leader, by_id = one_led_shard(etcd, nodes)
    other = next(srv for node_id, srv in by_id.items() if node_id != leader)
    boto = helpers.make_boto3_client(other.endpoint)
    retry(lambda: boto.put_record(StreamName=name, PartitionKey="first", Data=b"first"), "the first PutRecord")
    calls = 60
    before = connections_accepted(by_id[leader])
    for i in range(calls):
        boto.put_record(StreamName=name, PartitionKey=f"k{i}", Data=b"x")
    opened = connections_accepted(by_id[leader]) - before
    print(f"{calls} PutRecord calls forwarded one after another: {opened} new connections to the leader")
    # One per forwarding thread at most (and the metrics scrape itself); a connection per call before.
    assert opened < calls // 2, f"{opened} connections for {calls} forwarded calls"
