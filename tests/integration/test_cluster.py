"""Cluster mode (src/cluster/): a real etcd 3.4 and three spated nodes on loopback.

What the first slice of cluster mode promises, and only that: each node registers under its etcd
lease (/spate/nodes/<id>), a node killed with kill -9 leaves the cluster after its lease TTL while
the others keep answering, a node id is held by one live process at a time, and a node that cannot
renew its lease stops acknowledging writes until it holds a lease again.
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

import helpers
from conftest import FUNCTIONAL_ARGS, SpatedServer, _require_binary

ETCD_BIN = shutil.which("etcd") or "/usr/bin/etcd"
ETCD_START_TIMEOUT_S = 15
LEASE_TTL_S = 1


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
def cluster(tmp_path):
    _require_binary()
    etcd = Etcd(tmp_path)
    etcd.start()
    nodes = []

    def add_node(node_id, name=None):
        """A node (not started) with its own data and log directory, `name` (default node_id)."""
        log_dir = tmp_path / (name or node_id)
        log_dir.mkdir()
        srv = SpatedServer(log_dir / "data", log_dir, extra_args=[
            *FUNCTIONAL_ARGS, "--cluster", f"etcd://127.0.0.1:{etcd.client_port}", "--node-id", node_id,
            "--cluster-lease-ttl-s", str(LEASE_TTL_S)])
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
        helpers.poll_until(lambda: boto.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "StreamStatus"] == "ACTIVE", what="ACTIVE")
        assert boto.put_record(StreamName=name, PartitionKey="k", Data=b"x")["SequenceNumber"]


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
    assert boto.put_record(StreamName=name, PartitionKey="k", Data=b"before")["SequenceNumber"]

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
