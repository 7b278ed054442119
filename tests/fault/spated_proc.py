"""A minimal launcher and JSON client for fault tests (no AWS SDK: raw HTTP/1.1 keeps writers fast)."""

import base64
import http.client
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SPATED_BIN = Path(os.environ.get("SPATED_BIN", REPO_ROOT / "build" / "spated"))
LISTENING_RE = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDFAULT/20260101/us-east-1/kinesis/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-target, Signature=00")


class Spated:
    def __init__(self, data_dir, log_dir, extra_args=(), wrapper=(), env=None):
        """`wrapper`: a command prefix that execs spated, so proc.pid is spated's. `env`: extra
        environment variables (e.g. LD_PRELOAD of a fault shim)."""
        self.data_dir, self.log_dir, self.extra_args = Path(data_dir), Path(log_dir), list(extra_args)
        self.wrapper = list(wrapper)
        self.env = {**os.environ, **env} if env else None
        self.proc, self.port, self.starts = None, None, 0

    def start(self, timeout=30):
        self.starts += 1
        log_path = self.log_dir / f"spated-{self.starts}.log"
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                # Storage faults, not metering: AWS's throughput limits are off.
                [*self.wrapper, str(SPATED_BIN), "--port", "0", "--data-dir", str(self.data_dir),
                 "--state-delay-ms", "20", "--limits=off", *self.extra_args], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = LISTENING_RE.search(log_path.read_text(errors="replace"))
            if m:
                self.port = int(m.group(1))
                return time.monotonic() - (deadline - timeout)
            if self.proc.poll() is not None:
                raise AssertionError(f"spated exited {self.proc.returncode}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.01)
        raise AssertionError("spated did not start listening")

    def kill9(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
            self.proc = None

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
            self.proc = None


class KinesisError(Exception):
    def __init__(self, status, body):
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


class Client:
    """One keep-alive HTTP/1.1 connection speaking Kinesis JSON 1.1."""

    def __init__(self, port, timeout=30):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def call(self, op, target_prefix="Kinesis_20131202", **body):
        """`target_prefix`: another service behind the same port (e.g. SpateProducers_20261207)."""
        payload = json.dumps(body)
        self.conn.request("POST", "/", payload, {
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{target_prefix}.{op}",
            "Authorization": AUTH, "X-Amz-Date": "20260101T000000Z"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise KinesisError(resp.status, data.decode(errors="replace"))
        return json.loads(data) if data else {}

    def close(self):
        self.conn.close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def wait_active(client, name, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = client.call("DescribeStreamSummary", StreamName=name)
        if d["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
            return
        time.sleep(0.02)
    raise AssertionError(f"stream {name} not ACTIVE")


def iter_shard(client, name, shard_id, after=None):
    """The records of a shard to the tip, in order, a page at a time: from TRIM_HORIZON, or after the
    sequence number `after`."""
    if after is None:
        args = {"ShardIteratorType": "TRIM_HORIZON"}
    else:
        args = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": str(after)}
    it = client.call("GetShardIterator", StreamName=name, ShardId=shard_id, **args)["ShardIterator"]
    while it:
        r = client.call("GetRecords", ShardIterator=it, Limit=10000)
        yield from r["Records"]
        if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
            break
        it = r.get("NextShardIterator")


def drain_shard(client, name, shard_id):
    """Every record of a shard from TRIM_HORIZON to the tip, in order."""
    return list(iter_shard(client, name, shard_id))
