"""Cluster mode's forwarder: kept-alive connections to the leader, and no 10 s hold behind a paused one.

Forwarded calls go over the shared HTTP client, so calls forwarded one after another reuse a connection
to the leader instead of opening one each (the leader's spate_http_connections_accepted_total shows it).

A leader paused with SIGSTOP keeps its connections open and answers nothing. The nodes that forwarded
calls to it answer each one with InternalFailure (500, retried by every SDK) once their view shows the
paused node's lease lapsed (the lease TTL, 2 s here) plus a short grace, and never send the write again
on the client's behalf. What was acknowledged stays readable through the survivors and the new leader.
"""

import re
import signal
import time
import urllib.request

import helpers
from test_cluster import LEASE_TTL_S, PutLog, cluster, leaders, read_all, retry, wait_active  # noqa: F401

# The forwarder's own timeout for one forwarded request (ForwarderOptions::timeout_ms): what a client waited
# behind a paused leader before.
FORWARD_TIMEOUT_S = 10
# Generous: the lease (2 s in etcd for a TTL of 1) plus the grace, the view's watch and a loaded machine.
ANSWER_BOUND_S = 7


def test_writes_forwarded_to_a_paused_leader_are_answered_once_its_lease_lapses(cluster):
    etcd, nodes, _ = cluster
    by_id = {f"n{i}": srv for i, srv in enumerate(nodes, start=1)}
    name = helpers.unique_name("cl")
    shard = "shardId-000000000000"
    helpers.make_boto3_client(nodes[0].endpoint).create_stream(StreamName=name, ShardCount=1)
    wait_active(helpers.make_boto3_client(nodes[1].endpoint), name)
    helpers.poll_until(lambda: len(leaders(etcd, name)) == 1, what="a shard leader")
    leader = leaders(etcd, name)[shard]
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


def connections_accepted(srv):
    with urllib.request.urlopen(srv.endpoint + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    m = re.search(r"^spate_http_connections_accepted_total(?:\{[^}]*\})? (\d+)", text, re.M)
    assert m, "spate_http_connections_accepted_total not in /metrics"
    return int(m.group(1))


def test_forwarded_calls_reuse_connections_to_the_leader(cluster):
    etcd, nodes, _ = cluster
    by_id = {f"n{i}": srv for i, srv in enumerate(nodes, start=1)}
    name = helpers.unique_name("cl")
    shard = "shardId-000000000000"
    helpers.make_boto3_client(nodes[0].endpoint).create_stream(StreamName=name, ShardCount=1)
    wait_active(helpers.make_boto3_client(nodes[1].endpoint), name)
    helpers.poll_until(lambda: len(leaders(etcd, name)) == 1, what="a shard leader")
    leader = leaders(etcd, name)[shard]
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
