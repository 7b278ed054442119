"""Cluster mode (src/cluster/): a real etcd 3.4 and three spated nodes on loopback.

What cluster mode promises so far: each node registers under its etcd lease (/spate/nodes/<id>), a
node killed with kill -9 leaves the cluster after its lease TTL while the others keep answering, a
node id is held by one live process at a time, and a node that cannot renew its lease stops
acknowledging writes until it holds a lease again. The stream catalog is shared (a stream created
through one node is described, written and read through any other), each shard is led by one of its
replicas and any node forwards a request to the shard's leader or the catalog owner; when a leader is
killed another replica takes its shards over. Each shard's batches are replicated to its replicas and a
put is acknowledged once a majority holds it: a leader killed under load loses no acknowledged record,
the new leader catches up before it serves, and the killed node, restarted, catches up as a follower
(its unacknowledged tail cut).

Cluster operation: `spate cluster drain` moves every leadership off a node and `spate cluster status`
shows it; a node dead past the grace period (--replica-replace-grace-s) is replaced in its shards'
replica sets; SubscribeToShard through a node that does not lead the shard is relayed from the leader.
"""

import base64
import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import helpers
from conftest import FUNCTIONAL_ARGS, REPO_ROOT, SPATED_BIN, SpatedServer, _require_binary

ETCD_BIN = shutil.which("etcd") or "/usr/bin/etcd"
SPATE_BIN = Path(os.environ.get("SPATE_BIN", REPO_ROOT / "build" / "spate"))
INSPECT_BIN = SPATED_BIN.parent / "spate-inspect"
ETCD_START_TIMEOUT_S = 15
LEASE_TTL_S = 1
SECRET = "test-cluster-secret-0123456789"
# A dead node's replicas are replaced this long after it left (spated's default is 60 s).
REPLACE_GRACE_S = 2


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Etcd:
    """A single-member etcd on free loopback ports, in its own directory."""

    def __init__(self, base):
        self.dir = base / "etcd"
        self.client_port = free_port()
        self.peer_port = free_port()
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.client_port}"

    def start(self):
        if not os.path.exists(ETCD_BIN):
            pytest.fail("etcd is not installed: scripts/install-deps.sh --test installs etcd-server")
        peer = f"http://127.0.0.1:{self.peer_port}"
        log = open(self.dir.parent / "etcd.log", "wb")
        self.proc = subprocess.Popen(
            [ETCD_BIN, f"--data-dir={self.dir}", f"--listen-client-urls={self.url}",
             f"--advertise-client-urls={self.url}", f"--listen-peer-urls={peer}",
             f"--initial-advertise-peer-urls={peer}", f"--initial-cluster=default={peer}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        helpers.poll_until(lambda: self._answers(), timeout=ETCD_START_TIMEOUT_S, interval=0.05,
                           what="etcd to answer")

    def _answers(self):
        try:
            self.range("/probe")
            return True
        except OSError:
            return False

    def range(self, prefix):
        """{key: value} of every key under prefix, through the JSON gateway."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        body = json.dumps({"key": base64.b64encode(prefix.encode()).decode(),
                           "range_end": base64.b64encode(end.encode()).decode()}).encode()
        req = urllib.request.Request(self.url + "/v3/kv/range", data=body, method="POST")
        with urllib.request.urlopen(req, timeout=2) as resp:
            reply = json.loads(resp.read())
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode()
                for kv in reply.get("kvs", [])}

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def cluster(request, tmp_path):
    """One etcd and three nodes n1..n3. Parametrized indirectly, the lease TTL in seconds (None: spated's
    default); LEASE_TTL_S otherwise."""
    lease_ttl_s = getattr(request, "param", LEASE_TTL_S)
    ttl_args = [] if lease_ttl_s is None else ["--cluster-lease-ttl-s", str(lease_ttl_s)]
    _require_binary()
    etcd = Etcd(tmp_path)
    etcd.start()
    nodes = []
    secret_file = tmp_path / "cluster-secret"
    secret_file.write_text(SECRET + "\n")

    def add_node(node_id, name=None):
        """A node (not started) with its own data and log directory, `name` (default node_id)."""
        log_dir = tmp_path / (name or node_id)
        log_dir.mkdir()
        srv = SpatedServer(log_dir / "data", log_dir, extra_args=[
            *FUNCTIONAL_ARGS, "--cluster", f"etcd://127.0.0.1:{etcd.client_port}", "--node-id", node_id,
            *ttl_args, "--cluster-secret-file", str(secret_file),
            "--replica-replace-grace-s", str(REPLACE_GRACE_S)])
        nodes.append(srv)
        return srv

    try:
        for i in (1, 2, 3):
            add_node(f"n{i}").start()
        yield etcd, nodes, add_node
    finally:
        for srv in nodes:
            if srv.proc is not None:
                srv.stop(signal.SIGKILL)
        etcd.stop()


def node_keys(etcd):
    return {k.rsplit("/", 1)[1]: json.loads(v) for k, v in etcd.range("/spate/nodes/").items()}


def test_nodes_register_and_a_killed_node_leaves_after_its_lease(cluster):
    etcd, nodes, _ = cluster
    keys = node_keys(etcd)
    assert sorted(keys) == ["n1", "n2", "n3"]
    for i, srv in enumerate(nodes, start=1):
        assert keys[f"n{i}"]["advertise"] == f"127.0.0.1:{srv.port}"
        assert keys[f"n{i}"]["version"]

    killed_at = time.monotonic()
    nodes[1].kill()
    helpers.poll_until(lambda: "n2" not in node_keys(etcd), timeout=10, what="n2's key to expire")
    print(f"n2's key went {time.monotonic() - killed_at:.2f} s after kill -9 "
          f"(--cluster-lease-ttl-s {LEASE_TTL_S}; etcd raises it to its 2 s minimum)")
    assert sorted(node_keys(etcd)) == ["n1", "n3"]
    # The survivors keep answering, writes included.
    for srv in (nodes[0], nodes[2]):
        boto = helpers.make_boto3_client(srv.endpoint)
        name = helpers.unique_name("cl")
        boto.create_stream(StreamName=name, ShardCount=1)
        wait_active(boto, name)
        assert retry(lambda: boto.put_record(StreamName=name, PartitionKey="k", Data=b"x"), "PutRecord")[
            "SequenceNumber"]


def test_a_clean_stop_leaves_at_once(cluster):
    etcd, nodes, _ = cluster
    assert nodes[2].stop() == 0
    # SIGTERM revokes the lease: no TTL to wait for.
    assert "n3" not in node_keys(etcd)


def test_a_live_node_id_is_not_taken_twice(cluster):
    etcd, nodes, add_node = cluster
    dup = add_node("n1", name="n1-again")
    with pytest.raises(BaseException, match="exited with 1"):
        dup.start()
    assert "held by a live node" in dup.log_tail()
    assert json.loads(etcd.range("/spate/nodes/")["/spate/nodes/n1"])["advertise"] == f"127.0.0.1:{nodes[0].port}"


def test_writes_stop_while_the_lease_cannot_be_renewed(cluster):
    etcd, nodes, _ = cluster
    boto = helpers.make_boto3_client(nodes[0].endpoint)
    name = helpers.unique_name("cl")
    boto.create_stream(StreamName=name, ShardCount=1)
    helpers.poll_until(lambda: boto.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamStatus"] == "ACTIVE", what="ACTIVE")
    assert retry(lambda: boto.put_record(StreamName=name, PartitionKey="k", Data=b"before"), "PutRecord")[
        "SequenceNumber"]

    def put_refused():
        try:
            boto.put_record(StreamName=name, PartitionKey="k", Data=b"during")
            return False
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InternalFailure"
            return True

    etcd.proc.send_signal(signal.SIGSTOP)  # no keep-alive can succeed
    try:
        helpers.poll_until(put_refused, timeout=LEASE_TTL_S + 5, interval=0.05, what="PutRecord refused")
        # PutRecords fails record by record, with the same error.
        out = boto.put_records(StreamName=name, Records=[{"PartitionKey": "k", "Data": b"d"}])
        assert out["FailedRecordCount"] == 1
        assert out["Records"][0]["ErrorCode"] == "InternalFailure"
    finally:
        etcd.proc.send_signal(signal.SIGCONT)

    def put_accepted():
        try:
            return boto.put_record(StreamName=name, PartitionKey="k", Data=b"after")["SequenceNumber"]
        except ClientError:
            return None

    helpers.poll_until(put_accepted, timeout=15, interval=0.1, what="PutRecord accepted under a new lease")
    assert "n1" in node_keys(etcd)


def wait_active(boto, name):
    def active():
        try:
            return boto.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"
        except ClientError:
            return False
    helpers.poll_until(active, what=f"{name} ACTIVE")


def leaders(etcd, name):
    """{shard id: leader node id} of the stream's shards, from etcd."""
    prefix = f"/spate/leaders/{helpers.ACCOUNT_ID}/{helpers.REGION}/{name}/"
    return {k[len(prefix):]: v for k, v in etcd.range(prefix).items()}


def balanced_leaders(etcd, name, count):
    """Waits until the stream's `count` shards all have leaders, spread within one of each other over the
    three nodes (every node is a replica of every shard), and no hand-over is under way: balancing has
    settled, so no leadership moves under the test's writes (records are not replicated yet, so a record
    written before a move would stay on the old leader)."""
    def settled():
        now = leaders(etcd, name)
        if len(now) != count or etcd.range("/spate/handoffs/"):
            return None
        per_node = [list(now.values()).count(n) for n in ("n1", "n2", "n3")]
        return now if max(per_node) - min(per_node) <= 1 else None
    return helpers.poll_until(settled, timeout=30, what=f"{count} balanced shard leaders")


def retry(fn, what, timeout=15):
    """fn()'s value once it stops failing with InternalFailure (a shard between leaders)."""
    def attempt():
        try:
            return fn()
        except ClientError as e:
            if e.response["Error"]["Code"] != "InternalFailure":
                raise
            return None
    return helpers.poll_until(attempt, timeout=timeout, interval=0.05, what=what)


def put_records_all(client, name, records, timeout=15):
    """PutRecords, sending again the records that failed with InternalFailure (a shard whose new leader is
    still catching up refuses its whole part, so each shard's records stay in order) until none fails.
    Returns the ShardId of each record, in request order."""
    shard_of = [None] * len(records)
    pending = list(range(len(records)))
    deadline = time.monotonic() + timeout
    while pending:
        assert time.monotonic() < deadline, f"{len(pending)} records still failing"
        try:
            out = client.put_records(StreamName=name, Records=[records[i] for i in pending])
        except ClientError as e:
            if e.response["Error"]["Code"] != "InternalFailure":
                raise
            time.sleep(0.05)
            continue
        failed = []
        for i, r in zip(pending, out["Records"]):
            if "ErrorCode" in r:
                assert r["ErrorCode"] == "InternalFailure", r
                failed.append(i)
            else:
                shard_of[i] = r["ShardId"]
        pending = failed
        if pending:
            time.sleep(0.05)
    return shard_of


def read_shard(boto, name, shard_id):
    it = boto.get_shard_iterator(StreamName=name, ShardId=shard_id,
                                 ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = []
    for _ in range(20):
        got = boto.get_records(ShardIterator=it, Limit=1000)
        out.extend(got["Records"])
        it = got.get("NextShardIterator")  # none past the end of a closed shard
        if it is None or (not got["Records"] and got.get("MillisBehindLatest", 0) == 0):
            break
    return out


def test_a_stream_created_through_one_node_is_served_by_every_node(cluster):
    etcd, nodes, _ = cluster
    b1, b2, b3 = (helpers.make_boto3_client(n.endpoint) for n in nodes)
    name = helpers.unique_name("cl")
    b1.create_stream(StreamName=name, ShardCount=4)
    wait_active(b2, name)
    assert name in b3.list_streams()["StreamNames"]
    shards = b3.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    assert [s["ShardId"] for s in shards] == [s["ShardId"] for s in b2.list_shards(StreamName=name)["Shards"]]
    assert len(shards) == 4
    # Every shard has a leader, and the leaders are balanced over the nodes.
    balanced_leaders(etcd, name, 4)
    by_node = {}
    for shard, node in leaders(etcd, name).items():
        by_node.setdefault(node, []).append(shard)
    print(f"shard leaders: {by_node}")
    assert set(by_node) <= {"n1", "n2", "n3"}

    sent = {}
    for i in range(24):
        client = (b2, b3)[i % 2]
        data = f"record-{i}".encode()
        out = retry(lambda: client.put_record(StreamName=name, PartitionKey=f"key-{i}", Data=data), "PutRecord")
        sent[data] = (out["ShardId"], out["SequenceNumber"])
    got = {}
    for s in shards:
        for r in read_shard(b3, name, s["ShardId"]):
            got[r["Data"]] = (s["ShardId"], r["SequenceNumber"])
    assert got == sent

    # Control-plane changes made through one node are seen through another.
    b3.add_tags_to_stream(StreamName=name, Tags={"team": "a"})
    assert b2.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "team", "Value": "a"}]
    b2.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    helpers.poll_until(lambda: b1.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "RetentionPeriodHours"] == 48, what="retention seen by n1")
    b3.delete_stream(StreamName=name)

    def gone_everywhere():
        return all(name not in b.list_streams()["StreamNames"] for b in (b1, b2, b3)) and \
            not etcd.range(f"/spate/streams/{helpers.ACCOUNT_ID}/{helpers.REGION}/{name}")
    helpers.poll_until(gone_everywhere, what="the stream deleted on every node")
    with pytest.raises(ClientError) as e:
        b2.describe_stream(StreamName=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_put_records_through_any_node_is_split_per_leader_in_order(cluster):
    etcd, nodes, _ = cluster
    b1, b2, b3 = (helpers.make_boto3_client(n.endpoint) for n in nodes)
    name = helpers.unique_name("cl")
    b1.create_stream(StreamName=name, ShardCount=3)
    wait_active(b3, name)
    balanced_leaders(etcd, name, 3)
    ranges = [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]), s["ShardId"])
              for s in b3.describe_stream(StreamName=name)["StreamDescription"]["Shards"]]
    step = (2 ** 128 - 1) // 30
    records = [{"PartitionKey": "p", "ExplicitHashKey": str(step * i + 7), "Data": f"r{i}".encode()}
               for i in range(30)]
    expected_shards = [next(sid for lo, hi, sid in ranges if lo <= step * i + 7 <= hi) for i in range(30)]
    for client in (b1, b2, b3):
        assert put_records_all(client, name, records) == expected_shards
    # Each shard holds its records in the order sent, three times over.
    for lo, hi, sid in ranges:
        got = [r["Data"] for r in read_shard(b2, name, sid)]
        mine = [r["Data"] for r, s in zip(records, expected_shards) if s == sid]
        assert got == mine * 3


def test_a_split_made_through_one_node_is_written_and_read_through_the_others(cluster):
    """Resharding works in the cluster as on one node: SplitShard through a node that does not own the
    catalog, then the children are led, written through another node and read through a third, and the
    parent's records stay readable."""
    etcd, nodes, _ = cluster
    b1, b2, b3 = (helpers.make_boto3_client(n.endpoint) for n in nodes)
    name = helpers.unique_name("cl")
    b1.create_stream(StreamName=name, ShardCount=1)
    wait_active(b2, name)
    helpers.poll_until(lambda: len(leaders(etcd, name)) == 1, what="a shard leader")
    before = retry(lambda: b3.put_record(StreamName=name, PartitionKey="k", Data=b"parent"), "PutRecord")
    half = str(2 ** 127)
    b2.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=half)
    wait_active(b3, name)
    shards = b3.list_shards(StreamName=name)["Shards"]
    children = [s["ShardId"] for s in shards if s.get("ParentShardId") == "shardId-000000000000"]
    assert len(children) == 2, shards
    helpers.poll_until(lambda: set(children) <= set(leaders(etcd, name)), what="leaders of both children")
    low = retry(lambda: b1.put_record(StreamName=name, PartitionKey="k", ExplicitHashKey="7", Data=b"low"),
                "PutRecord to the low child")
    high = retry(lambda: b1.put_record(StreamName=name, PartitionKey="k", ExplicitHashKey=str(2 ** 127 + 7),
                                       Data=b"high"), "PutRecord to the high child")
    assert sorted([low["ShardId"], high["ShardId"]]) == sorted(children)
    assert [r["Data"] for r in read_all(b2, name, "shardId-000000000000", {"k"})] == [b"parent"]
    assert [r["Data"] for r in read_all(b2, name, low["ShardId"], {"k"})] == [b"low"]
    assert [r["Data"] for r in read_all(b2, name, high["ShardId"], {"k"})] == [b"high"]
    assert int(low["SequenceNumber"]) > int(before["SequenceNumber"])


@pytest.mark.parametrize("cluster", [None], indirect=True)  # spated's default lease TTL (3 s)
def test_a_killed_leaders_shards_take_writes_again_through_another_node(cluster):
    etcd, nodes, _ = cluster
    by_id = {f"n{i}": srv for i, srv in enumerate(nodes, start=1)}
    name = helpers.unique_name("cl")
    helpers.make_boto3_client(nodes[0].endpoint).create_stream(StreamName=name, ShardCount=1)
    wait_active(helpers.make_boto3_client(nodes[1].endpoint), name)
    helpers.poll_until(lambda: len(leaders(etcd, name)) == 1, what="a shard leader")
    leader = leaders(etcd, name)["shardId-000000000000"]
    other = next(srv for node_id, srv in by_id.items() if node_id != leader)
    boto = helpers.make_boto3_client(other.endpoint)
    retry(lambda: boto.put_record(StreamName=name, PartitionKey="k", Data=b"before"), "PutRecord before the kill")

    killed_at = time.monotonic()
    by_id[leader].kill()

    def accepted():
        try:
            return boto.put_record(StreamName=name, PartitionKey="k", Data=b"after")["SequenceNumber"]
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InternalFailure", e.response
            return None
    helpers.poll_until(accepted, timeout=20, interval=0.05, what="PutRecord accepted after the leader's kill")
    took = time.monotonic() - killed_at
    new_leader = leaders(etcd, name)["shardId-000000000000"]
    print(f"failover: writes accepted again {took:.2f} s after kill -9 of the leader {leader} "
          f"(now {new_leader}; the default lease TTL, 3 s)")
    assert new_leader != leader


def test_a_forged_peer_request_is_refused(cluster):
    _, nodes, _ = cluster
    body = json.dumps({"Limit": 10}).encode()
    req = urllib.request.Request(nodes[0].endpoint + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Kinesis_20131202.ListStreams",
        "x-spate-peer-caller": f"{helpers.ACCOUNT_ID}/{helpers.REGION}/{int(time.time() * 1000)}",
        "x-spate-peer-signature": "0" * 64})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 400
    assert json.loads(e.value.read())["__type"] == "UnrecognizedClientException"


def spate(node, *args, timeout=60):
    """`spate --endpoint <node> args...` (build/spate); the completed process."""
    if not SPATE_BIN.exists():
        pytest.fail(f"spate binary not found at {SPATE_BIN}: `ninja -C build spate`", pytrace=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = "/nonexistent"
    return subprocess.run([str(SPATE_BIN), "--endpoint", node.endpoint, *args], capture_output=True, timeout=timeout,
                          env=env)


def cluster_status(node):
    p = spate(node, "cluster", "status", "--output", "json")
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return json.loads(p.stdout)


def stream_replicas(etcd, name):
    """{shard id: [node ids]} of the stream's record in etcd."""
    rec = etcd.range(f"/spate/streams/{helpers.ACCOUNT_ID}/{helpers.REGION}/{name}")
    if not rec:
        return {}
    return json.loads(next(iter(rec.values())))["replicas"]


def test_drain_moves_every_leadership_off_the_node_and_status_shows_it(cluster):
    etcd, nodes, _ = cluster
    b1 = helpers.make_boto3_client(nodes[0].endpoint)
    name = helpers.unique_name("cl")
    b1.create_stream(StreamName=name, ShardCount=6)
    wait_active(b1, name)
    assert "n1" in balanced_leaders(etcd, name, 6).values()  # balancing gives every node its share

    started = time.monotonic()
    p = spate(nodes[1], "cluster", "drain", "n1", "--timeout", "30")
    took = time.monotonic() - started
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    print(f"drain: n1 led nothing {took:.2f} s after `spate cluster drain n1`")
    assert "n1" not in leaders(etcd, name).values()
    # The last hand-over may still be under way (the shard between n1 and its successor).
    helpers.poll_until(lambda: len(leaders(etcd, name)) == 6, what="6 shard leaders again")

    def settled_status():
        status = cluster_status(nodes[2])  # n3's view follows etcd's within moments
        mine = [s for s in status["Shards"] if s["StreamName"] == name]
        return status if len(mine) == 6 and all(s.get("Leader") in ("n2", "n3") for s in mine) else None
    status = helpers.poll_until(settled_status, what="n3's status showing the drain")
    by_id = {n["NodeId"]: n for n in status["Nodes"]}
    assert by_id["n1"]["Draining"] is True and by_id["n1"]["LeaderCount"] == 0
    assert by_id["n2"]["Draining"] is False and by_id["n2"]["Alive"] is True
    assert by_id["n2"]["LeaderCount"] + by_id["n3"]["LeaderCount"] == 6
    assert by_id["n1"]["Address"] == f"127.0.0.1:{nodes[0].port}"
    mine = [s for s in status["Shards"] if s["StreamName"] == name]
    assert len(mine) == 6
    for s in mine:
        assert s["Leader"] in ("n2", "n3") and s["LeaderEpoch"] > 0
        assert sorted(s["Replicas"]) == ["n1", "n2", "n3"]
    table = spate(nodes[0], "cluster", "status")
    assert table.returncode == 0
    text = table.stdout.decode()
    assert "NODE" in text and "DRAINING" in text and name in text

    # The drained node still answers: its writes go to the leaders.
    b1.put_record(StreamName=name, PartitionKey="k", Data=b"through-n1")
    # A node id the cluster does not know cannot be drained.
    bad = spate(nodes[0], "cluster", "drain", "n9", "--no-wait")
    assert bad.returncode == 1 and b"ResourceNotFoundException" in bad.stderr

    assert spate(nodes[0], "cluster", "undrain", "n1").returncode == 0
    helpers.poll_until(lambda: "n1" in leaders(etcd, name).values(), timeout=20,
                       what="n1 leading again after the undrain")
    assert not cluster_status(nodes[0])["Nodes"][0]["Draining"]


def test_a_dead_node_is_replaced_in_the_replica_sets_after_the_grace(cluster):
    etcd, nodes, add_node = cluster
    n4 = add_node("n4")
    n4.start()
    b1 = helpers.make_boto3_client(nodes[0].endpoint)
    name = helpers.unique_name("cl")
    b1.create_stream(StreamName=name, ShardCount=2)
    wait_active(b1, name)
    before = stream_replicas(etcd, name)
    victim = next(n for n in ("n1", "n2", "n3", "n4") if all(n in r for r in before.values()))
    owner = next(iter(etcd.range("/spate/catalog-owner").values()))
    if victim == owner:  # keep the catalog owner: the replacement is its job, not the test's subject
        victim = next(n for n in ("n1", "n2", "n3", "n4")
                      if n != owner and any(n in r for r in before.values()))
    by_id = {f"n{i}": srv for i, srv in enumerate([*nodes[:3], n4], start=1)}
    killed_at = time.monotonic()
    by_id[victim].kill()

    def replaced():
        now = stream_replicas(etcd, name)
        return now if all(victim not in r and len(r) == 3 for r in now.values()) else None
    after = helpers.poll_until(replaced, timeout=30, interval=0.1, what=f"{victim} replaced in the replica sets")
    print(f"replacement: {victim} out of every replica set {time.monotonic() - killed_at:.2f} s after kill -9 "
          f"(lease TTL {LEASE_TTL_S} s, raised to 2 by etcd, + grace {REPLACE_GRACE_S} s): {before} -> {after}")
    for shard, replicas in after.items():
        kept = [n for n in before[shard] if n != victim]
        assert replicas[:len(kept)] == kept  # the survivors keep their places; the new replica comes last
    survivor = next(srv for node_id, srv in by_id.items() if node_id != victim)
    status = cluster_status(survivor)
    assert victim not in {n["NodeId"] for n in status["Nodes"] if n["Alive"]}
    # The stream still takes writes.
    boto = helpers.make_boto3_client(survivor.endpoint)
    assert retry(lambda: boto.put_record(StreamName=name, PartitionKey="k", Data=b"x"), "PutRecord")["SequenceNumber"]


def test_subscribe_to_shard_through_a_node_that_does_not_lead_it(cluster):
    etcd, nodes, _ = cluster
    by_id = {f"n{i}": srv for i, srv in enumerate(nodes, start=1)}
    b1 = helpers.make_boto3_client(nodes[0].endpoint)
    name = helpers.unique_name("cl")
    b1.create_stream(StreamName=name, ShardCount=1)
    wait_active(b1, name)
    helpers.poll_until(lambda: len(leaders(etcd, name)) == 1, what="a shard leader")
    arn = b1.register_stream_consumer(StreamARN=helpers.stream_arn(name), ConsumerName="c")["Consumer"]["ConsumerARN"]
    helpers.poll_until(lambda: b1.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"][
        "ConsumerStatus"] == "ACTIVE", what="consumer ACTIVE")
    sent = [f"r{i}".encode() for i in range(5)]
    for d in sent[:3]:
        retry(lambda: b1.put_record(StreamName=name, PartitionKey="k", Data=d), "PutRecord")
    leader = leaders(etcd, name)["shardId-000000000000"]
    other, third = (srv for node_id, srv in by_id.items() if node_id != leader)
    boto = helpers.make_boto3_client(other.endpoint)

    out = boto.subscribe_to_shard(ConsumerARN=arn, ShardId="shardId-000000000000",
                                  StartingPosition={"Type": "TRIM_HORIZON"})
    stream = out["EventStream"]
    # A second subscription within 5 s is refused by the leader (ResourceInUseException), and the relay
    # through the third node answers the leader's error as it came.
    with pytest.raises(ClientError) as e:
        helpers.make_boto3_client(third.endpoint).subscribe_to_shard(
            ConsumerARN=arn, ShardId="shardId-000000000000", StartingPosition={"Type": "TRIM_HORIZON"})
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"

    got, errors, done = [], [], threading.Event()

    def read():
        try:
            for ev in stream:
                got.extend(r["Data"] for r in ev["SubscribeToShardEvent"]["Records"])
                if len(got) >= len(sent):
                    break
        except Exception as e:  # recorded and asserted below
            errors.append(e)
        finally:
            done.set()
    t = threading.Thread(target=read, daemon=True)
    t.start()
    for d in sent[3:]:
        retry(lambda: boto.put_record(StreamName=name, PartitionKey="k", Data=d), "PutRecord")
    assert done.wait(30), f"only {got} arrived through {other.endpoint}"
    stream.close()
    assert not errors, errors
    assert got == sent


def log_keys(srv):
    """The partition keys of the user records in a node's shard logs, in offset order (one stream with one
    shard in the cluster), read from its data directory with spate-inspect (read-only, safe while it runs).
    Control records (empty partition key: leadership markers) are left out."""
    out = subprocess.run([str(INSPECT_BIN), "--records", str(srv.data_dir)], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode in (0, 2), out.stderr
    recs = [(int(m.group(1)), m.group(2)) for m in re.finditer(r"record (\d+) key (.*?) data \d+ bytes", out.stdout)]
    return [key for _, key in sorted(recs) if key]


def test_replicated_puts_through_any_node_reach_every_replica(cluster):
    etcd, nodes, _ = cluster
    clients = [helpers.make_boto3_client(n.endpoint) for n in nodes]
    name = helpers.unique_name("cl")
    clients[0].create_stream(StreamName=name, ShardCount=1)
    wait_active(clients[2], name)
    helpers.poll_until(lambda: len(leaders(etcd, name)) == 1, what="a shard leader")
    keys = []
    for i in range(30):
        client = clients[i % 3]
        key = f"k{i:03d}"
        retry(lambda: client.put_record(StreamName=name, PartitionKey=key, Data=key.encode()), "PutRecord")
        keys.append(key)
    # With a replication factor of 3 every node holds the shard: each log ends up with every record, in
    # the leader's order (acknowledged once two hold it; the third catches up).
    for srv in nodes:
        helpers.poll_until(lambda: log_keys(srv) == keys, timeout=15, interval=0.2,
                           what=f"every record in the log of the node on port {srv.port}")
    got = [r["PartitionKey"] for r in read_shard(clients[1], name, "shardId-000000000000")]
    assert got == keys


class PutLog:
    """Writers putting records with unique partition keys (`w<writer>-<n>`, data = key) through the given nodes,
    one PutRecord at a time and never retried, by boto3 or by the test (so any duplicate in the shard is the
    server's), bounded in count and time. Every call is kept as a `Call`, answered or not:

    - `sent`, `returned`: when the call was sent and when it came back (time.monotonic());
    - `seq`: the sequence number it was acknowledged with, or None;
    - `error`: None; the AWS error code it was answered with; the exception's class name when no answer came
      (`answered` False: a read timeout, a reset, the node gone); or a note when boto3 retried it after all.
    """

    Call = collections.namedtuple("Call", "key sent returned seq error answered")

    def __init__(self, name, srvs, max_puts=3000, max_s=40):
        self.name = name
        self.calls = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.deadline = time.monotonic() + max_s
        self.threads = [threading.Thread(target=self._run, args=(w, srv, max_puts), daemon=True)
                        for w, srv in enumerate(srvs)]

    def _run(self, w, srv, max_puts):
        client = helpers.make_boto3_client(srv.endpoint, sent_once=True)
        for i in range(max_puts):
            if self.stop.is_set() or time.monotonic() > self.deadline:
                return
            key = f"w{w}-{i:05d}"
            sent = time.monotonic()
            seq, error, answered = None, None, True
            try:
                out = client.put_record(StreamName=self.name, PartitionKey=key, Data=key.encode())
                seq = int(out["SequenceNumber"])
                if out["ResponseMetadata"].get("RetryAttempts"):
                    error = f"retried {out['ResponseMetadata']['RetryAttempts']} times by the SDK"
            except ClientError as e:
                error = e.response["Error"]["Code"]
            except Exception as e:  # noqa: BLE001 - no answer (a read timeout, a reset): recorded, never retried
                error, answered = type(e).__name__, False
            with self.lock:
                self.calls.append(self.Call(key, sent, time.monotonic(), seq, error, answered))
            if seq is None:
                time.sleep(0.02)

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def snapshot(self):
        """Every call answered so far, in the order they came back."""
        with self.lock:
            return list(self.calls)

    def acked(self):
        return [c for c in self.snapshot() if c.seq is not None]

    def finish(self, join_timeout_s=30):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=join_timeout_s)
        assert not any(t.is_alive() for t in self.threads), f"a writer still waits after {join_timeout_s} s"


def read_all(boto, name, shard_id, want_keys):
    """The shard's records once every key of want_keys is readable (reads stop at the committed end, which
    may trail the acknowledgements for a moment)."""
    def complete():
        try:
            recs = read_shard(boto, name, shard_id)
        except ClientError as e:
            if e.response["Error"]["Code"] != "InternalFailure":
                raise
            return None
        return recs if want_keys <= {r["PartitionKey"] for r in recs} else None
    return helpers.poll_until(complete, timeout=20, interval=0.2, what="every acknowledged record readable")


def one_led_shard(etcd, nodes):
    """A new stream of one shard, created through the first node and ACTIVE through the second, once the shard
    has a leader: (name, shard id, the leader's node id, {node id: server})."""
    name = helpers.unique_name("cl")
    shard = "shardId-000000000000"
    helpers.make_boto3_client(nodes[0].endpoint).create_stream(StreamName=name, ShardCount=1)
    wait_active(helpers.make_boto3_client(nodes[1].endpoint), name)
    helpers.poll_until(lambda: len(leaders(etcd, name)) == 1, what="a shard leader")
    return name, shard, leaders(etcd, name)[shard], {f"n{i}": srv for i, srv in enumerate(nodes, start=1)}


def test_no_acknowledged_record_is_lost_when_the_leader_is_killed_under_load(cluster):
    etcd, nodes, _ = cluster
    name, shard, leader, by_id = one_led_shard(etcd, nodes)
    survivors = [srv for node_id, srv in by_id.items() if node_id != leader]
    boto = helpers.make_boto3_client(survivors[0].endpoint)
    retry(lambda: boto.put_record(StreamName=name, PartitionKey="first", Data=b"first"), "the first PutRecord")

    load = PutLog(name, survivors).start()
    try:
        helpers.poll_until(lambda: len(load.acked()) >= 40, timeout=20, interval=0.02,
                           what="40 acknowledged puts before the kill")
        killed_at = time.monotonic()
        by_id[leader].kill()
        helpers.poll_until(lambda: any(c.sent > killed_at for c in load.acked()), timeout=25,
                           interval=0.02, what="a put sent after the kill acknowledged")
        first_after = min(c.returned for c in load.acked() if c.sent > killed_at)
        time.sleep(1.0)  # more writes under the new leader
    finally:
        load.finish()
    calls = load.snapshot()
    acked = [c for c in calls if c.seq is not None]
    new_leader = leaders(etcd, name)[shard]
    print(f"failover under load: first write accepted {first_after - killed_at:.2f} s after kill -9 of {leader} "
          f"(now {new_leader}; lease TTL {LEASE_TTL_S} s, 2 s in etcd); {len(acked)} puts acknowledged, "
          f"{len(calls) - len(acked)} failed")
    # A call answered with an error was refused retryably (the forwarder, or the new leader catching up); the
    # others got no answer (the killed node's connections).
    assert {c.error for c in calls if c.answered and c.error is not None} <= {"InternalFailure"}
    assert new_leader != leader

    # Every acknowledged record is readable from the new leader, with the sequence number it was given, in
    # order; none twice; sequence numbers increase across the failover.
    want = {c.key: c.seq for c in acked}
    want["first"] = None
    records = read_all(boto, name, shard, set(want))
    keys = [r["PartitionKey"] for r in records]
    seqs = [int(r["SequenceNumber"]) for r in records]
    assert len(keys) == len(set(keys)), "a record is in the shard twice"
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    for r in records:
        assert r["Data"] == r["PartitionKey"].encode()
        if want.get(r["PartitionKey"]) is not None:
            assert int(r["SequenceNumber"]) == want[r["PartitionKey"]], r["PartitionKey"]
    before = [c.seq for c in acked if c.returned < killed_at]
    after = [c.seq for c in acked if c.sent > killed_at]
    assert before and after and max(before) < min(after)
    # The killed node's log may hold a tail no majority acknowledged (durable there only).
    dead = by_id[leader]
    cluster_keys = keys
    dead_keys = log_keys(dead)
    tail = [k for k in dead_keys if k not in set(cluster_keys)]
    print(f"the killed leader's log: {len(dead_keys)} records, {len(tail)} of them unacknowledged and not "
          "kept by the cluster")

    # Restarted, it rejoins as a follower, is cut back where it diverged and caught up.
    dead.start()
    helpers.poll_until(lambda: leader in node_keys(etcd), what=f"{leader} registered again")
    for i in range(10):
        key = f"after-restart-{i}"
        retry(lambda: boto.put_record(StreamName=name, PartitionKey=key, Data=key.encode()), "PutRecord")
    final = [r["PartitionKey"] for r in read_all(boto, name, shard, set(cluster_keys) | {"after-restart-9"})]
    assert final[:len(cluster_keys)] == cluster_keys
    assert leaders(etcd, name)[shard] == new_leader  # it did not take the shard back
    helpers.poll_until(lambda: log_keys(dead) == final, timeout=20, interval=0.2,
                       what=f"{leader}'s log equal to the leader's")
