"""Firehose on the same port: delivery streams driven by boto3, aws-cli and a raw SigV4 client, delivering
to the embedded default object store (DATA_DIR/s3/<bucket>/<key>).

Debian's boto3 refuses IntervalInSeconds below 60 client-side (its model predates zero buffering), so the
tests that wait for a delivery by time send their requests with the raw client, as the JS SDK would.
"""

import base64
import gzip
import http.client
import json
import os
import re
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import helpers
from helpers import ACCESS_KEY_ID, ACCOUNT_ID, REGION, SECRET_ACCESS_KEY

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/firehose"
FH_TARGET = "Firehose_20150804"
KEY_RE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/(\d{2})/(.+)-(\d+)-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-"
                    r"([0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})(\.[a-z]+)?$")


class FirehoseRaw:
    """JSON 1.1 calls signed for the service `firehose`, with any member values (no client-side checks)."""

    def __init__(self, endpoint):
        m = re.fullmatch(r"http://([^:/]+):(\d+)/?", endpoint)
        self.host, self.port = m.group(1), int(m.group(2))

    def call(self, op, params=None, expect_ok=True):
        body = json.dumps(params or {}).encode()
        headers = {"Content-Type": helpers.JSON_CONTENT_TYPE, "X-Amz-Target": f"{FH_TARGET}.{op}"}
        headers = helpers.sigv4_headers(f"{self.host}:{self.port}", body, headers, service="firehose")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=helpers.CALL_TIMEOUT_S)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            resp = conn.getresponse()
            data = json.loads(resp.read() or b"{}")
        finally:
            conn.close()
        if expect_ok:
            assert resp.status == 200, (op, resp.status, data)
        return resp.status, data


def fh_client(endpoint):
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                                    region_name=REGION)
    return session.client("firehose", endpoint_url=endpoint,
                          config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                                        read_timeout=helpers.CALL_TIMEOUT_S))


@pytest.fixture(scope="module")
def fh(server):
    return fh_client(server.endpoint)


@pytest.fixture(scope="module")
def fraw(server):
    return FirehoseRaw(server.endpoint)


@pytest.fixture
def new_fh_name(fraw):
    names = []

    def factory(prefix="fh"):
        name = helpers.unique_name(prefix)
        names.append(name)
        return name

    yield factory
    for name in names:
        fraw.call("DeleteDeliveryStream", {"DeliveryStreamName": name}, expect_ok=False)


def s3_config(bucket, size_mb=None, interval_s=None, **extra):
    cfg = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"}
    if size_mb is not None:
        cfg["BufferingHints"] = {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s}
    cfg.update(extra)
    return cfg


def wait_fh_status(fraw, name, status, timeout=helpers.STATE_TIMEOUT_S):
    def check():
        code, out = fraw.call("DescribeDeliveryStream", {"DeliveryStreamName": name}, expect_ok=False)
        if status == "GONE":
            return code == 400 and out.get("__type", "").endswith("ResourceNotFoundException")
        return code == 200 and out["DeliveryStreamDescription"]["DeliveryStreamStatus"] == status
    helpers.poll_until(check, timeout=timeout, what=f"{name} {status}")


def objects(data_dir, bucket):
    return helpers.local_objects(Path(data_dir) / "s3" / bucket)


def wait_objects(data_dir, bucket, total_bytes, timeout=15):
    """Waits until the bucket's objects hold `total_bytes` of (uncompressed) data; returns them."""
    found = {}

    def check():
        nonlocal found
        found = objects(data_dir, bucket)
        return sum(len(v) for v in found.values()) >= total_bytes
    helpers.poll_until(check, timeout=timeout, interval=0.05, what=f"{total_bytes} bytes in bucket {bucket}")
    return found


# ------------------------------------------------------------------------------------------ control plane

def test_create_describe_list_delete_with_boto3(fh, fraw, new_fh_name):
    name = new_fh_name()
    bucket = helpers.unique_name("bkt").lower()
    out = fh.create_delivery_stream(DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                                    ExtendedS3DestinationConfiguration=s3_config(bucket),
                                    Tags=[{"Key": "team", "Value": "data"}])
    assert out["DeliveryStreamARN"] == f"arn:aws:firehose:{REGION}:{ACCOUNT_ID}:deliverystream/{name}"
    wait_fh_status(fraw, name, "ACTIVE")
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert d["DeliveryStreamName"] == name
    assert d["DeliveryStreamType"] == "DirectPut"
    assert d["VersionId"] == "1"
    assert d["DeliveryStreamEncryptionConfiguration"]["Status"] == "DISABLED"
    assert d["HasMoreDestinations"] is False
    assert len(d["Destinations"]) == 1
    dest = d["Destinations"][0]
    assert dest["DestinationId"] == "destinationId-000000000001"
    ext = dest["ExtendedS3DestinationDescription"]
    assert ext["BucketARN"] == f"arn:aws:s3:::{bucket}"
    assert ext["RoleARN"] == ROLE
    assert ext["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}  # AWS's defaults
    assert ext["CompressionFormat"] == "UNCOMPRESSED"
    assert ext["EncryptionConfiguration"] == {"NoEncryptionConfig": "NoEncryption"}
    assert ext["S3BackupMode"] == "Disabled"
    assert dest["S3DestinationDescription"]["BucketARN"] == f"arn:aws:s3:::{bucket}"

    names = fh.list_delivery_streams(Limit=10000)["DeliveryStreamNames"]
    assert name in names and names == sorted(names)
    assert name in fh.list_delivery_streams(DeliveryStreamType="DirectPut", Limit=10000)["DeliveryStreamNames"]
    assert fh.list_delivery_streams(DeliveryStreamType="KinesisStreamAsSource")["DeliveryStreamNames"] == []

    with pytest.raises(ClientError) as e:
        fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_config(bucket))
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    assert e.value.response["Error"]["Message"] == f"Firehose {name} under accountId {ACCOUNT_ID} already exists"

    fh.delete_delivery_stream(DeliveryStreamName=name)
    wait_fh_status(fraw, name, "GONE")
    with pytest.raises(ClientError) as e:
        fh.describe_delivery_stream(DeliveryStreamName=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["Error"]["Message"] == f"Firehose {name} under account {ACCOUNT_ID} not found."


def test_list_pages_in_name_order(fh, fraw):
    base = helpers.unique_name("fhpage")
    names = [f"{base}-{i}" for i in range(3)]
    for n in names:
        fraw.call("CreateDeliveryStream", {"DeliveryStreamName": n, "S3DestinationConfiguration": s3_config("b")})
    try:
        out = fh.list_delivery_streams(Limit=2, ExclusiveStartDeliveryStreamName=base)
        assert out["DeliveryStreamNames"] == names[:2]
        assert out["HasMoreDeliveryStreams"] is True
        out = fh.list_delivery_streams(Limit=2, ExclusiveStartDeliveryStreamName=names[1])
        assert out["DeliveryStreamNames"][:1] == names[2:]
    finally:
        for n in names:
            fraw.call("DeleteDeliveryStream", {"DeliveryStreamName": n}, expect_ok=False)


def test_bad_requests_get_aws_error_types(fraw, new_fh_name):
    name = new_fh_name()
    code, out = fraw.call("CreateDeliveryStream", {"DeliveryStreamName": "bad name!",
                                                    "S3DestinationConfiguration": s3_config("b")}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("ValidationException"), out
    code, out = fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("InvalidArgumentException"), out
    code, out = fraw.call("CreateDeliveryStream", {
        "DeliveryStreamName": name, "ExtendedS3DestinationConfiguration": s3_config("b"),
        "S3DestinationConfiguration": s3_config("b")}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("InvalidArgumentException"), out
    code, out = fraw.call("CreateDeliveryStream", {
        "DeliveryStreamName": name,
        "ExtendedS3DestinationConfiguration": s3_config("b", Prefix="p/!{timestamp:yyyy}/")}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("InvalidArgumentException"), out  # no ErrorOutputPrefix
    code, out = fraw.call("CreateDeliveryStream", {
        "DeliveryStreamName": name, "ExtendedS3DestinationConfiguration": s3_config("b", CompressionFormat="BZIP")},
        expect_ok=False)
    assert code == 400 and out["__type"].endswith("ValidationException"), out
    code, out = fraw.call("CreateDeliveryStream", {
        "DeliveryStreamName": name, "ExtendedS3DestinationConfiguration": s3_config("b"),
        "Tags": [{"Key": "aws:reserved", "Value": "x"}]}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("ValidationException"), out  # the model's tag-key pattern
    code, out = fraw.call("PutRecord", {"DeliveryStreamName": name, "Record": {"Data": "YQ=="}}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("ResourceNotFoundException"), out


def test_aws_cli_creates_and_describes(server, new_fh_name, tmp_path):
    name = new_fh_name("fhcli")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
               AWS_DEFAULT_REGION=REGION, HOME=str(tmp_path))

    def cli(*args):
        p = subprocess.run(["aws", "--endpoint-url", server.endpoint, "--output", "json", "firehose", *args],
                           capture_output=True, text=True, env=env, timeout=helpers.CALL_TIMEOUT_S)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout) if p.stdout.strip() else {}

    cli("create-delivery-stream", "--delivery-stream-name", name, "--extended-s3-destination-configuration",
        json.dumps(s3_config("clibucket")))
    helpers.poll_until(lambda: cli("describe-delivery-stream", "--delivery-stream-name", name)
                       ["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE", what="ACTIVE")
    out = cli("put-record", "--delivery-stream-name", name, "--record", json.dumps({"Data": "aGVsbG8="}))
    assert out["RecordId"] and out["Encrypted"] is False


# ------------------------------------------------------------------------------------------ data plane

def test_put_record_batch_answers_every_entry_in_order_and_delivers_them_concatenated(server, fh, fraw,
                                                                                      new_fh_name):
    name = new_fh_name()
    bucket = helpers.unique_name("bkt").lower()
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name,
                                       "ExtendedS3DestinationConfiguration": s3_config(bucket, 1, 0)})
    wait_fh_status(fraw, name, "ACTIVE")
    records = [f"record-{i:04d}\n".encode() for i in range(300)]
    out = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])
    assert out["FailedPutCount"] == 0
    assert len(out["RequestResponses"]) == 300
    ids = [e["RecordId"] for e in out["RequestResponses"]]
    assert len(set(ids)) == 300
    single = fh.put_record(DeliveryStreamName=name, Record={"Data": b"last\n"})
    assert single["RecordId"] not in ids
    want = b"".join(records) + b"last\n"
    found = wait_objects(server.data_dir, bucket, len(want))
    # Every record once, nothing added; within an object in the order put.
    got = [line for k in found for line in found[k].splitlines(keepends=True)]
    assert sorted(got) == sorted(records + [b"last\n"])
    for body in found.values():
        lines = body.splitlines(keepends=True)
        assert lines == sorted(lines, key=lambda r: (r == b"last\n", r))
    for key in found:
        m = KEY_RE.match(key)
        assert m, key
        assert m.group(5) == name and m.group(6) == "1"
        # The prefix's hour and the name's time are the same instant (the oldest record's arrival, UTC).
        assert m.group(1, 2, 3, 4) == m.group(7, 8, 9, 10)
        assert m.group(14) is None  # UNCOMPRESSED: no extension


def test_batch_limits(fh, fraw, new_fh_name):
    name = new_fh_name()
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name, "S3DestinationConfiguration": s3_config("b")})
    wait_fh_status(fraw, name, "ACTIVE")
    code, out = fraw.call("PutRecordBatch", {"DeliveryStreamName": name,
                                             "Records": [{"Data": "YQ=="}] * 501}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("ValidationException"), out
    big = base64.b64encode(b"x" * 1_000_000).decode()
    code, out = fraw.call("PutRecordBatch", {"DeliveryStreamName": name,
                                             "Records": [{"Data": big}] * 5}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("InvalidArgumentException"), out
    code, out = fraw.call("PutRecord", {"DeliveryStreamName": name, "Record": {
        "Data": base64.b64encode(b"x" * 1_024_001).decode()}}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("ValidationException"), out


def test_size_hint_cuts_objects_before_the_interval(server, fh, fraw, new_fh_name):
    name = new_fh_name()
    bucket = helpers.unique_name("bkt").lower()
    # boto3 can send these hints: 1 MiB or 900 s, whichever first.
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_config(
        bucket, 1, 900, Prefix="sized/", CompressionFormat="GZIP"))
    wait_fh_status(fraw, name, "ACTIVE")
    chunk = bytes(range(256)) * 1000  # 256,000 bytes
    for _ in range(5):
        out = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": chunk}])
        assert out["FailedPutCount"] == 0
    # 1,280,000 bytes passed the 1 MiB hint: at least one object, long before 900 s.
    found = {}

    def check():
        nonlocal found
        found = objects(server.data_dir, bucket)
        return len(found) >= 1
    helpers.poll_until(check, timeout=15, what="a size-triggered object")
    for key, body in found.items():
        assert key.startswith("sized/") and key.endswith(".gz"), key
        data = gzip.decompress(body)
        assert len(data) >= 1 << 20 and len(data) % len(chunk) == 0


def test_update_destination_checks_the_version_and_applies_to_later_objects(server, fh, fraw, new_fh_name):
    name = new_fh_name()
    bucket = helpers.unique_name("bkt").lower()
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name,
                                       "ExtendedS3DestinationConfiguration": s3_config(bucket, 1, 900)})
    wait_fh_status(fraw, name, "ACTIVE")
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"before-update|"})
    with pytest.raises(ClientError) as e:
        fh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId="7",
                              DestinationId="destinationId-000000000001",
                              ExtendedS3DestinationUpdate={"Prefix": "x/"})
    assert e.value.response["Error"]["Code"] == "ConcurrentModificationException"
    with pytest.raises(ClientError) as e:
        fh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1",
                              DestinationId="destinationId-000000000009",
                              ExtendedS3DestinationUpdate={"Prefix": "x/"})
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"
    # Zero buffering and a new prefix: the buffered record goes out under them, as version 2.
    fraw.call("UpdateDestination", {"DeliveryStreamName": name, "CurrentDeliveryStreamVersionId": "1",
                                    "DestinationId": "destinationId-000000000001",
                                    "ExtendedS3DestinationUpdate": {
                                        "Prefix": "v2/", "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}}})
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert d["VersionId"] == "2"
    assert "LastUpdateTimestamp" in d
    ext = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert ext["Prefix"] == "v2/" and ext["BufferingHints"] == {"SizeInMBs": 1, "IntervalInSeconds": 0}
    found = wait_objects(server.data_dir, bucket, len(b"before-update|"))
    (key, body), = found.items()
    assert key.startswith("v2/") and f"/{name}-2-" in key and body == b"before-update|"


def test_tags(fh, fraw, new_fh_name):
    name = new_fh_name()
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name, "S3DestinationConfiguration": s3_config("b"),
                                       "Tags": [{"Key": "b", "Value": "2"}]})
    fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "c", "Value": "3"}])
    out = fh.list_tags_for_delivery_stream(DeliveryStreamName=name)
    assert out["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}]
    assert out["HasMoreTags"] is False
    out = fh.list_tags_for_delivery_stream(DeliveryStreamName=name, ExclusiveStartTagKey="a", Limit=1)
    assert out["Tags"] == [{"Key": "b", "Value": "2"}] and out["HasMoreTags"] is True
    fh.untag_delivery_stream(DeliveryStreamName=name, TagKeys=["b"])
    assert [t["Key"] for t in fh.list_tags_for_delivery_stream(DeliveryStreamName=name)["Tags"]] == ["a", "c"]
    with pytest.raises(ClientError) as e:
        fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    assert e.value.response["Error"]["Code"] == "LimitExceededException"


def test_encryption_stores_records_encrypted_and_delivers_them_in_clear(server, fh, fraw, new_fh_name):
    name = new_fh_name()
    bucket = helpers.unique_name("bkt").lower()
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name,
                                       "ExtendedS3DestinationConfiguration": s3_config(bucket, 1, 0)})
    wait_fh_status(fraw, name, "ACTIVE")
    fh.start_delivery_stream_encryption(DeliveryStreamName=name,
                                        DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
    helpers.poll_until(lambda: fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
                       ["DeliveryStreamEncryptionConfiguration"]["Status"] == "ENABLED", what="ENABLED")
    secret = b"a-secret-that-must-not-be-on-disk-in-clear"
    assert fh.put_record(DeliveryStreamName=name, Record={"Data": secret})["Encrypted"] is True
    found = wait_objects(server.data_dir, bucket, len(secret))
    assert list(found.values()) == [secret]
    buffers = Path(server.data_dir) / "firehose"
    for f in buffers.rglob("*.log"):
        assert secret not in f.read_bytes(), f
    fh.stop_delivery_stream_encryption(DeliveryStreamName=name)
    helpers.poll_until(lambda: fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
                       ["DeliveryStreamEncryptionConfiguration"]["Status"] == "DISABLED", what="DISABLED")
    assert fh.put_record(DeliveryStreamName=name, Record={"Data": b"plain"})["Encrypted"] is False


def test_put_to_a_creating_stream_is_refused(slow_server, new_fh_name):
    fraw = FirehoseRaw(slow_server.endpoint)
    name = helpers.unique_name("fhslow")
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name, "S3DestinationConfiguration": s3_config("b")})
    try:
        code, out = fraw.call("DescribeDeliveryStream", {"DeliveryStreamName": name})
        assert out["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "CREATING"
        code, out = fraw.call("PutRecord", {"DeliveryStreamName": name, "Record": {"Data": "YQ=="}}, expect_ok=False)
        assert code == 400 and out["__type"].endswith("ResourceInUseException"), out
        code, out = fraw.call("DeleteDeliveryStream", {"DeliveryStreamName": name}, expect_ok=False)
        assert code == 400 and out["__type"].endswith("ResourceInUseException"), out
        wait_fh_status(fraw, name, "ACTIVE")
    finally:
        fraw.call("DeleteDeliveryStream", {"DeliveryStreamName": name}, expect_ok=False)


# ------------------------------------------------------------------------------------------ durability

def test_acknowledged_records_survive_kill9_and_are_delivered_once_after_restart(make_server):
    srv = make_server()
    fraw = FirehoseRaw(srv.endpoint)
    name = helpers.unique_name("fhkill")
    bucket = "killbucket"
    # A long interval: nothing is delivered before the kill.
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name,
                                       "ExtendedS3DestinationConfiguration": s3_config(bucket, 128, 900)})
    wait_fh_status(fraw, name, "ACTIVE")
    want = []
    for i in range(20):
        batch = [f"{i:03d}-{j:03d};".encode() for j in range(50)]
        fraw.call("PutRecordBatch", {"DeliveryStreamName": name,
                                     "Records": [{"Data": base64.b64encode(r).decode()} for r in batch]})
        want.extend(batch)
    assert objects(srv.data_dir, bucket) == {}
    srv.kill()
    srv.start()
    fraw = FirehoseRaw(srv.endpoint)
    code, out = fraw.call("DescribeDeliveryStream", {"DeliveryStreamName": name})
    assert out["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE"
    # Zero buffering from now on: everything acknowledged before the kill goes out.
    fraw.call("UpdateDestination", {"DeliveryStreamName": name, "CurrentDeliveryStreamVersionId": "1",
                                    "DestinationId": "destinationId-000000000001",
                                    "ExtendedS3DestinationUpdate": {
                                        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}}})
    expected = b"".join(want)
    found = wait_objects(srv.data_dir, bucket, len(expected))
    got = [r for body in found.values() for r in body.split(b";") if r]
    assert sorted(got) == sorted(r[:-1] for r in want)  # each acknowledged record exactly once
    # A clean restart delivers nothing twice.
    srv.restart()
    time.sleep(0.5)
    assert objects(srv.data_dir, bucket) == found


# ------------------------------------------------------------------------------------------ Kinesis source

def test_kinesis_stream_as_source_delivers_from_latest_across_a_reshard(server, raw, fraw, new_name):
    stream = new_name("fhsrc")
    helpers.create_stream_raw(raw, stream, shards=2)
    helpers.wait_active(raw, stream)
    kin = helpers.make_boto3_client(server.endpoint)
    kin.put_record(StreamName=stream, Data=b"before;", PartitionKey="k0")  # before the delivery stream: not read
    name = helpers.unique_name("fhsrc")
    bucket = helpers.unique_name("bkt").lower()
    arn = helpers.stream_arn(stream)
    fraw.call("CreateDeliveryStream", {
        "DeliveryStreamName": name, "DeliveryStreamType": "KinesisStreamAsSource",
        "KinesisStreamSourceConfiguration": {"KinesisStreamARN": arn, "RoleARN": ROLE},
        "ExtendedS3DestinationConfiguration": s3_config(bucket, 1, 0)})
    try:
        wait_fh_status(fraw, name, "ACTIVE")
        code, out = fraw.call("DescribeDeliveryStream", {"DeliveryStreamName": name})
        d = out["DeliveryStreamDescription"]
        assert d["DeliveryStreamType"] == "KinesisStreamAsSource"
        assert d["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"] == arn
        code, out = fraw.call("PutRecord", {"DeliveryStreamName": name, "Record": {"Data": "YQ=="}},
                              expect_ok=False)
        assert code == 400 and out["__type"].endswith("InvalidArgumentException"), out
        assert out["message"] == "This operation is not permitted on KinesisStreamAsSource delivery stream type."
        want = []
        for i in range(40):
            rec = f"a{i:02d};".encode()
            kin.put_record(StreamName=stream, Data=rec, PartitionKey=f"k{i}")
            want.append(rec)
        shards = kin.list_shards(StreamName=stream)["Shards"]
        first = shards[0]
        mid = (int(first["HashKeyRange"]["StartingHashKey"]) + int(first["HashKeyRange"]["EndingHashKey"])) // 2
        kin.split_shard(StreamName=stream, ShardToSplit=first["ShardId"], NewStartingHashKey=str(mid))
        helpers.wait_active(raw, stream)
        for i in range(40):
            rec = f"b{i:02d};".encode()
            kin.put_record(StreamName=stream, Data=rec, PartitionKey=f"k{i}")
            want.append(rec)
        total = sum(len(r) for r in want)
        found = wait_objects(server.data_dir, bucket, total, timeout=20)
        got = [r + b";" for body in found.values() for r in body.split(b";") if r]
        assert sorted(got) == sorted(want)  # from LATEST: "before" is not there; nothing lost across the split
    finally:
        fraw.call("DeleteDeliveryStream", {"DeliveryStreamName": name}, expect_ok=False)


def test_a_deleted_source_stream_is_reported_once_not_every_poll(server, raw, fraw, new_name):
    stream = new_name("fhgone")
    helpers.create_stream_raw(raw, stream, shards=1)
    helpers.wait_active(raw, stream)
    name = helpers.unique_name("fhgone")
    arn = helpers.stream_arn(stream)
    fraw.call("CreateDeliveryStream", {
        "DeliveryStreamName": name, "DeliveryStreamType": "KinesisStreamAsSource",
        "KinesisStreamSourceConfiguration": {"KinesisStreamARN": arn, "RoleARN": ROLE},
        "ExtendedS3DestinationConfiguration": s3_config(helpers.unique_name("bkt").lower(), 1, 0)})
    try:
        wait_fh_status(fraw, name, "ACTIVE")
        helpers.make_boto3_client(server.endpoint).delete_stream(StreamName=stream)

        def warnings():
            return [line for line in server.log_tail(1 << 20).splitlines()
                    if f"reading {arn} for" in line and "failed" in line]
        helpers.poll_until(lambda: len(warnings()) >= 1, timeout=10, what="the source failure logged")
        time.sleep(3.5)  # three more polls of a source that stays gone
        # Each distinct failure once (the stream may say DELETING before it says not found), never once a poll.
        messages = [line.split(" ", 1)[1] for line in warnings()]
        assert len(messages) == len(set(messages)) and len(messages) <= 2, messages
    finally:
        fraw.call("DeleteDeliveryStream", {"DeliveryStreamName": name}, expect_ok=False)


def test_kinesis_source_must_exist(fraw, new_fh_name):
    code, out = fraw.call("CreateDeliveryStream", {
        "DeliveryStreamName": new_fh_name(), "DeliveryStreamType": "KinesisStreamAsSource",
        "KinesisStreamSourceConfiguration": {"KinesisStreamARN": helpers.stream_arn("no-such-stream-xyz"),
                                             "RoleARN": ROLE},
        "ExtendedS3DestinationConfiguration": s3_config("b")}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("InvalidArgumentException"), out


# ------------------------------------------------------------------------------------------ JS SDK

def test_js_sdk_zero_buffering(server, node_bin, js_deps, fraw, new_fh_name):
    name = new_fh_name("fhjs")
    bucket = helpers.unique_name("bkt").lower()
    p = subprocess.run([node_bin, str(helpers.JS_DIR / "scenario_firehose.mjs"), server.endpoint, name, bucket],
                       cwd=str(helpers.JS_DIR), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["ok"], out.get("fatal")
    assert out["handler"] == "NodeHttpHandler"  # the Firehose client's default: HTTP/1.1
    assert out["hints"] == {"SizeInMBs": 1, "IntervalInSeconds": 0}
    assert out["failedPutCount"] == 0 and out["responses"] == 20
    assert out["errors"]["missing"]["rnf"] and out["errors"]["duplicate"]["riu"]
    want = [b"js-single\n"] + [f"js-batch-{i}\n".encode() for i in range(20)]
    found = {}

    def check():
        nonlocal found
        found = objects(server.data_dir, bucket)
        got = b"".join(gzip.decompress(v) for v in found.values())
        return len(got) >= sum(len(w) for w in want)
    helpers.poll_until(check, timeout=15, what="JS records delivered")
    assert all(k.endswith(".gz") for k in found)
    got = [line for v in found.values() for line in gzip.decompress(v).splitlines(keepends=True)]
    assert sorted(got) == sorted(want)


# ------------------------------------------------------------------------------------------ metrics

def _metric(endpoint, name, stream):
    m = re.match(r"http://([^:/]+):(\d+)", endpoint)
    conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=10)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    for line in text.splitlines():
        if line.startswith(name + "{") and f'delivery_stream_name="{stream}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_delivery_stream_metrics_on_the_metrics_route(server, fh, fraw, new_fh_name):
    name = new_fh_name()
    bucket = helpers.unique_name("bkt").lower()
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name,
                                       "ExtendedS3DestinationConfiguration": s3_config(bucket, 1, 0)})
    wait_fh_status(fraw, name, "ACTIVE")
    fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"abc"}, {"Data": b"de"}])
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"f"})
    wait_objects(server.data_dir, bucket, 6)
    assert _metric(server.endpoint, "spate_firehose_incoming_records_total", name) == 3
    assert _metric(server.endpoint, "spate_firehose_incoming_bytes_total", name) == 6
    assert _metric(server.endpoint, "spate_firehose_incoming_put_requests_total", name) == 2
    helpers.poll_until(lambda: _metric(server.endpoint, "spate_firehose_delivery_to_s3_records_total", name) == 3,
                       what="delivered records counted")
    assert _metric(server.endpoint, "spate_firehose_delivery_to_s3_bytes_total", name) == 6
    assert _metric(server.endpoint, "spate_firehose_delivery_to_s3_objects_total", name) >= 1
    fraw.call("DeleteDeliveryStream", {"DeliveryStreamName": name})
    wait_fh_status(fraw, name, "GONE")
    assert _metric(server.endpoint, "spate_firehose_incoming_records_total", name) is None  # series removed


# ------------------------------------------------------------------------------------------ S3 backup

def test_s3_backup_delivers_every_source_record_to_the_backup_bucket_too(server, fh, fraw, new_fh_name):
    name = new_fh_name()
    bucket = helpers.unique_name("bkt").lower()
    backup = helpers.unique_name("bak").lower()
    # Enabled without a backup configuration: AWS's InvalidArgumentException.
    code, out = fraw.call("CreateDeliveryStream", {
        "DeliveryStreamName": name, "ExtendedS3DestinationConfiguration": s3_config(bucket, S3BackupMode="Enabled")},
        expect_ok=False)
    assert code == 400 and out["__type"].endswith("InvalidArgumentException"), out
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name, "ExtendedS3DestinationConfiguration": s3_config(
        bucket, 1, 0, Prefix="main/", S3BackupMode="Enabled",
        S3BackupConfiguration=s3_config(backup, 1, 0, Prefix="source/", CompressionFormat="GZIP"))})
    wait_fh_status(fraw, name, "ACTIVE")
    ext = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]["Destinations"][0][
        "ExtendedS3DestinationDescription"]
    assert ext["S3BackupMode"] == "Enabled"
    assert ext["S3BackupDescription"]["BucketARN"] == f"arn:aws:s3:::{backup}"
    assert ext["S3BackupDescription"]["Prefix"] == "source/"
    assert ext["S3BackupDescription"]["CompressionFormat"] == "GZIP"
    records = [b"rec-%03d|" % i for i in range(50)]
    fraw.call("PutRecordBatch", {"DeliveryStreamName": name,
                                 "Records": [{"Data": base64.b64encode(r).decode()} for r in records]})
    expected = b"".join(records)
    main = wait_objects(server.data_dir, bucket, len(expected))
    assert b"".join(main.values()) == expected and all(k.startswith("main/") for k in main)

    def backed_up():
        found = objects(server.data_dir, backup)
        return b"".join(gzip.decompress(v) for _, v in sorted(found.items())) == expected
    helpers.poll_until(backed_up, timeout=15, interval=0.05, what="the backup objects")
    assert all(k.startswith("source/") and k.endswith(".gz") for k in objects(server.data_dir, backup))
    # Once enabled, backup cannot be disabled again.
    code, out = fraw.call("UpdateDestination", {
        "DeliveryStreamName": name, "CurrentDeliveryStreamVersionId": "1",
        "DestinationId": "destinationId-000000000001",
        "ExtendedS3DestinationUpdate": {"S3BackupMode": "Disabled"}}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("InvalidArgumentException"), out


def test_s3_backup_enabled_by_update_destination_backs_up_later_records(server, fh, fraw, new_fh_name):
    name = new_fh_name()
    bucket = helpers.unique_name("bkt").lower()
    backup = helpers.unique_name("bak").lower()
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name,
                                       "ExtendedS3DestinationConfiguration": s3_config(bucket, 1, 0)})
    wait_fh_status(fraw, name, "ACTIVE")
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"before|"})
    wait_objects(server.data_dir, bucket, len(b"before|"))
    fraw.call("UpdateDestination", {"DeliveryStreamName": name, "CurrentDeliveryStreamVersionId": "1",
                                    "DestinationId": "destinationId-000000000001",
                                    "ExtendedS3DestinationUpdate": {
                                        "S3BackupMode": "Enabled",
                                        "S3BackupUpdate": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{backup}",
                                                           "BufferingHints": {"SizeInMBs": 1,
                                                                              "IntervalInSeconds": 0}}}})
    ext = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]["Destinations"][0][
        "ExtendedS3DestinationDescription"]
    assert ext["S3BackupMode"] == "Enabled" and ext["S3BackupDescription"]["BucketARN"] == f"arn:aws:s3:::{backup}"
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"after|"})
    wait_objects(server.data_dir, bucket, len(b"before|after|"))
    found = wait_objects(server.data_dir, backup, len(b"after|"))
    assert b"".join(v for _, v in sorted(found.items())).endswith(b"after|")
