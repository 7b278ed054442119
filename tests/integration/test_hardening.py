"""Encryption at rest and hostile input (issue 6).

* StartStreamEncryption / StopStreamEncryption through boto3: UPDATING -> ACTIVE, EncryptionType and KeyId
  reported, records written while encrypted marked KMS, and the stream's segment files hold no plaintext;
  a key store kept elsewhere (--key-store) is needed to read them back.
* Oversize and malformed requests are refused with the right status or AWS error, never a crash.
* A slowloris run (slowhttptest) does not starve a normal client.
"""

import json
import os
import shutil
import socket
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import helpers
from conftest import FUNCTIONAL_ARGS


def _segment_bytes(data_dir):
    out = b""
    for p in Path(data_dir, "streams").rglob("*.log"):
        out += p.read_bytes()
    return out


def _wait_status(client, name, status="ACTIVE"):
    return helpers.poll_until(
        lambda: client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == status,
        what=f"{name} {status}")


def _all_records(client, name):
    it = client.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = []
    for _ in range(20):
        r = client.get_records(ShardIterator=it)
        out += r["Records"]
        it = r.get("NextShardIterator")
        if not r["Records"] or not it:
            break
    return out


def test_stream_encryption_end_to_end(make_server, tmp_path):
    key_store = tmp_path / "elsewhere" / "keys"
    key_store.parent.mkdir()
    srv = make_server(state_delay_ms=300, extra_args=[*FUNCTIONAL_ARGS, "--key-store", str(key_store)])
    c = helpers.make_boto3_client(srv.endpoint)
    name = helpers.unique_name("enc")
    c.create_stream(StreamName=name, ShardCount=1)
    _wait_status(c, name)
    assert c.put_record(StreamName=name, Data=b"PLAINTEXT-BEFORE", PartitionKey="pk")["EncryptionType"] == "NONE"

    c.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    d = c.describe_stream(StreamName=name)["StreamDescription"]
    assert d["StreamStatus"] == "UPDATING"
    assert d["EncryptionType"] == "KMS" and d["KeyId"] == "alias/aws/kinesis"
    _wait_status(c, name)
    s = c.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["EncryptionType"] == "KMS" and s["KeyId"] == "alias/aws/kinesis"

    r = c.put_record(StreamName=name, Data=b"TOPSECRET-one", PartitionKey="secret-partition-key")
    assert r["EncryptionType"] == "KMS"
    rs = c.put_records(StreamName=name, Records=[{"Data": b"TOPSECRET-%d" % i, "PartitionKey": "secret-partition-key"}
                                                 for i in range(10)])
    assert rs["FailedRecordCount"] == 0 and rs["EncryptionType"] == "KMS"

    recs = _all_records(c, name)
    assert [x["Data"] for x in recs][:2] == [b"PLAINTEXT-BEFORE", b"TOPSECRET-one"]
    assert len(recs) == 12
    assert recs[0].get("EncryptionType", "NONE") == "NONE"
    assert all(x["EncryptionType"] == "KMS" for x in recs[1:])

    # The data directory holds no plaintext of what was written while encrypted.
    data = _segment_bytes(srv.data_dir)
    assert b"PLAINTEXT-BEFORE" in data  # the scan does see record bytes
    assert b"TOPSECRET" not in data and b"secret-partition-key" not in data
    assert not (srv.data_dir / "keys").exists()
    assert stat.S_IMODE(os.stat(key_store).st_mode) == 0o600

    # Restart: still readable with the key store.
    srv.restart()
    c = helpers.make_boto3_client(srv.endpoint)
    assert [x["Data"] for x in _all_records(c, name)][-1] == b"TOPSECRET-9"

    # Stop: back to NONE; new records are plaintext, old ones stay readable.
    c.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    _wait_status(c, name)
    assert c.describe_stream(StreamName=name)["StreamDescription"]["EncryptionType"] == "NONE"
    assert c.put_record(StreamName=name, Data=b"PLAIN-AFTER", PartitionKey="pk")["EncryptionType"] == "NONE"
    recs = _all_records(c, name)
    assert recs[-1]["Data"] == b"PLAIN-AFTER" and recs[-1].get("EncryptionType", "NONE") == "NONE"
    assert recs[-2]["EncryptionType"] == "KMS"

    # The data directory copied without the key store reveals nothing: a server on it cannot read them.
    srv.stop()
    copy = make_server(extra_args=[*FUNCTIONAL_ARGS, "--key-store", str(tmp_path / "empty-keys")])
    copy.stop()
    shutil.rmtree(copy.data_dir)
    shutil.copytree(srv.data_dir, copy.data_dir)
    copy.start()
    c2 = helpers.make_boto3_client(copy.endpoint)
    it = c2.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                               ShardIteratorType="AT_SEQUENCE_NUMBER",
                               StartingSequenceNumber=recs[1]["SequenceNumber"])["ShardIterator"]
    with pytest.raises(ClientError) as e:
        c2.get_records(ShardIterator=it)
    assert e.value.response["Error"]["Code"] == "InternalFailure"


def test_start_stream_encryption_errors(server):
    c = helpers.make_boto3_client(server.endpoint)
    name = helpers.unique_name("enc")
    c.create_stream(StreamName=name, ShardCount=1)
    _wait_status(c, name)
    with pytest.raises(ClientError) as e:
        c.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="arn:aws:s3:::bucket")
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        c.start_stream_encryption(StreamName=name + "-missing", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    c.start_stream_encryption(StreamName=name, EncryptionType="KMS",
                              KeyId="arn:aws:kms:us-east-1:000000000000:key/12345678-1234-1234-1234-123456789012")
    with pytest.raises(ClientError) as e:  # still UPDATING
        c.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"


def _raw(port, data, timeout=10):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        return out


def _established_connections(port):
    """TCP connections the server on `port` holds open (its side: local port `port`, ESTABLISHED)."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)  # header
                for line in f:
                    fields = line.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                        n += 1
        except FileNotFoundError:
            pass
    return n


def _status(resp):
    return int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/1.1 ") else None


def test_oversize_and_malformed_inputs_are_refused(make_server):
    srv = make_server(extra_args=[*FUNCTIONAL_ARGS, "--max-body-bytes", "65536"])
    port = srv.port
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\n")
    assert _status(_raw(port, head + b"Content-Length: 70000\r\n\r\n")) == 413
    assert _status(_raw(port, head + b"".join(b"X-%d: v\r\n" % i for i in range(300)) + b"\r\n")) == 431
    assert _status(_raw(port, head + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n")) == 431
    assert _status(_raw(port, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")) == 400
    assert _status(_raw(port, b"\x00\xff garbage\r\n\r\n")) == 400
    raw = helpers.RawClient(srv.endpoint)
    for body in [b"[" * 60000, b'{"Limit": 1' + b"0" * 5000 + b"}", b'{"a":' * 1000 + b"1" + b"}" * 1000,
                 b"\xff\xfe", b'{"Limit": 1e999999}']:
        r = raw.request("ListStreams", body)
        assert r.status == 400, (body[:20], r.status, r.body[:200])
    r = raw.cbor("ListStreams", None)
    assert r.status == 200
    r = raw.request("ListStreams", b"\x9f" * 60000, content_type=helpers.CBOR_CONTENT_TYPE)
    assert r.status == 400
    # Still serving.
    assert raw.json("ListStreams").status == 200
    assert srv.proc.poll() is None


@pytest.mark.skipif(shutil.which("slowhttptest") is None, reason="slowhttptest not installed")
def test_slowloris_does_not_starve_a_normal_client(make_server, tmp_path):
    srv = make_server(extra_args=[*FUNCTIONAL_ARGS, "--header-timeout-ms", "2000", "--max-connections", "3000"])
    c = helpers.make_boto3_client(srv.endpoint)
    name = helpers.unique_name("loris")
    c.create_stream(StreamName=name, ShardCount=1)
    _wait_status(c, name)
    attack = subprocess.Popen(
        ["slowhttptest", "-H", "-c", "1000", "-r", "500", "-i", "1", "-l", "12", "-x", "24", "-p", "2",
         "-u", f"http://127.0.0.1:{srv.port}/"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        # Measure once the attack has taken hold: half of its 1000 connections open at once. It opens
        # them at up to 500/s and the server closes each after the 2 s header deadline, so it peaks at
        # ~750 open after ~2 s, then dwindles.
        helpers.poll_until(lambda: _established_connections(srv.port) >= 500 or attack.poll() is not None,
                           timeout=10, interval=0.05, what="500 slowloris connections open at once")
        assert attack.poll() is None, "slowhttptest exited before its connections were open"
        latencies = []
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            t = time.monotonic()
            c.put_record(StreamName=name, Data=b"x", PartitionKey="k")
            c.list_streams()
            latencies.append(time.monotonic() - t)
        out, _ = attack.communicate(timeout=60)
    finally:
        if attack.poll() is None:
            attack.kill()
            attack.wait()
    text = out.decode(errors="replace")
    assert len(latencies) > 10, text[-2000:]
    assert max(latencies) < 2.0, (max(latencies), text[-2000:])
    assert srv.proc.poll() is None
    # The attack's connections were closed by the server (header deadline), not held for its whole run.
    assert "closed" in text, text[-2000:]
