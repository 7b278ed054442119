"""Firehose delivering to a real S3-compatible server (s3rver) through spated's S3 client (--s3-endpoint).

Delivery streams are created and fed with boto3's Firehose client; delivered objects are read back with
boto3's S3 client. Every record carries a unique id and a CRC (s3_delivery.make_record), so the checks are:
keys in AWS's layout, every acknowledged record delivered, intact, exactly once.
"""

import re

import pytest

import helpers
from s3_delivery import (S3Proxy, firehose_client, list_objects, make_record, parse_records, put_batch, record_id,
                         s3_destination, spated_s3_args)

# <prefix>yyyy/MM/dd/HH/<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<v5 uuid><ext>, prefix and name at the same instant.
KEY_RE = re.compile(r"^(.*?)(\d{4})/(\d{2})/(\d{2})/(\d{2})/(.+)-(\d+)-(\d{4})-(\d{2})-(\d{2})-(\d{2})-\d{2}-\d{2}-"
                    r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(\.[a-z]+)?$")
MULTIPART_THRESHOLD = 16 << 20   # S3Options::multipart_threshold_bytes
PART_BYTES = 8 << 20             # S3Options::part_bytes


def wait_fh_active(fh, name):
    helpers.poll_until(lambda: fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
                       ["DeliveryStreamStatus"] == "ACTIVE", what=f"{name} ACTIVE")


def wait_delivered(s3, bucket, ids, timeout=15):
    """Waits until every id in `ids` is in the bucket; returns (objects, {id: count})."""
    state = {}

    def check():
        try:
            state["objects"] = list_objects(s3.client, bucket)
        except s3.client.exceptions.NoSuchBucket:
            return False
        state["counts"] = parse_records(state["objects"])
        return set(ids) <= set(state["counts"])
    helpers.poll_until(check, timeout=timeout, interval=0.1, what=f"{len(ids)} records in s3://{bucket}")
    return state["objects"], state["counts"]


def put_numbered(fh, name, first, batches, per_batch=100):
    acked = []
    for b in range(batches):
        records = [make_record(first + b * per_batch + i) for i in range(per_batch)]
        got = put_batch(fh, name, records)
        assert got == records, "a batch to a healthy stream failed"
        acked.extend(got)
    return [record_id(r) for r in acked]


@pytest.mark.parametrize("compression", ["UNCOMPRESSED", "GZIP"])
def test_batches_reach_s3rver_in_aws_key_layout_each_record_once(make_server, s3_server, compression):
    bucket = s3_server.make_bucket()
    srv = make_server(extra_args=spated_s3_args(s3_server))
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhs3")
    extra = {"CompressionFormat": compression}
    if compression == "GZIP":
        extra["Prefix"] = "gz/"
    fh.create_delivery_stream(DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                              ExtendedS3DestinationConfiguration=s3_destination(bucket, 1, 0, **extra))
    wait_fh_active(fh, name)
    ids = put_numbered(fh, name, 0, 5)
    objects, counts = wait_delivered(s3_server, bucket, ids)
    assert counts == {i: 1 for i in ids}
    for key in objects:
        m = KEY_RE.match(key)
        assert m, key
        assert m.group(1) == ("gz/" if compression == "GZIP" else "")
        assert m.group(6) == name and m.group(7) == "1"
        assert m.group(2, 3, 4, 5) == m.group(8, 9, 10, 11)   # prefix hour = name's time (oldest record, UTC)
        assert m.group(12) == (".gz" if compression == "GZIP" else None)
    # Within an object the records are in the order put (one producer, in sequence).
    for body in objects.values():
        order = [int(line.split(b":", 1)[0]) for line in body.split(b"\n")[:-1]]
        assert order == sorted(order)


@pytest.mark.parametrize("addressing", ["path", "virtual-host"])
def test_addressing_styles(make_server, s3_server, addressing):
    """Through a recording proxy: path-style puts the bucket first in the path; virtual-host puts it in Host."""
    bucket = s3_server.make_bucket()
    proxy = S3Proxy(s3_server.port)
    try:
        if addressing == "path":
            args = spated_s3_args(s3_server, proxy.endpoint)
        else:
            args = spated_s3_args(s3_server, f"http://s3.localhost:{proxy.port}", 300, "--s3-virtual-host")
        srv = make_server(extra_args=args)
        fh = firehose_client(srv.endpoint)
        name = helpers.unique_name("fhad")
        fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_destination(
            bucket, 1, 0, Prefix="addr/"))
        wait_fh_active(fh, name)
        ids = put_numbered(fh, name, 0, 2)
        objects, counts = wait_delivered(s3_server, bucket, ids)
        assert counts == {i: 1 for i in ids}
        assert objects and all(k.startswith("addr/") for k in objects)
        puts = [(host, path) for method, host, path in proxy.calls if method == "PUT"]
        assert puts
        for host, path in puts:
            if addressing == "path":
                assert host == f"127.0.0.1:{proxy.port}" and path.startswith(f"/{bucket}/addr/"), (host, path)
            else:
                assert host == f"{bucket}.s3.localhost:{proxy.port}" and path.startswith("/addr/"), (host, path)
    finally:
        proxy.close()


def test_missing_bucket_is_retried_until_created_nothing_lost(make_server, s3_server):
    bucket = f"late-{helpers.unique_name('b')}".lower()
    srv = make_server(extra_args=spated_s3_args(s3_server))
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhnb")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_destination(bucket))
    wait_fh_active(fh, name)
    ids = put_numbered(fh, name, 0, 3)
    # Several refused attempts (NoSuchBucket), each logged, before the bucket exists.
    helpers.poll_until(lambda: srv.log_tail(100000).count("NoSuchBucket") >= 3, timeout=10,
                       what="three NoSuchBucket attempts")
    ids += put_numbered(fh, name, 1000, 2)   # more records while the first object is refused
    s3_server.client.create_bucket(Bucket=bucket)
    try:
        _, counts = wait_delivered(s3_server, bucket, ids)
        assert counts == {i: 1 for i in ids}
    finally:
        s3_server.delete_bucket(bucket)


def test_a_buffer_above_the_threshold_goes_up_as_one_multipart_object(make_server, s3_server):
    bucket = s3_server.make_bucket()
    srv = make_server(extra_args=spated_s3_args(s3_server))
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhmp")
    size_mb = MULTIPART_THRESHOLD // (1 << 20) + 1     # the object is cut once the buffer reaches 17 MiB
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_destination(
        bucket, size_mb, 900))
    wait_fh_active(fh, name)
    record_bytes = 1_000_000
    count = size_mb * (1 << 20) // record_bytes + 1     # the last record crosses the size hint: one object of all
    ids = []
    for start in range(0, count, 4):                    # 4 MB per PutRecordBatch (its limit is 4 MiB)
        records = [make_record(i, record_bytes - 20) for i in range(start, min(start + 4, count))]
        assert put_batch(fh, name, records) == records
        ids += [record_id(r) for r in records]
    objects, counts = wait_delivered(s3_server, bucket, ids, timeout=20)
    assert counts == {i: 1 for i in ids}
    assert len(objects) == 1
    (body,) = objects.values()
    assert len(body) > MULTIPART_THRESHOLD
    parts = [line for line in s3_server.log_text().splitlines()
             if "Stored part" in line and f'bucket "{bucket}"' in line]
    assert len(parts) == -(-len(body) // PART_BYTES), parts
