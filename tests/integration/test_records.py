"""PutRecord / PutRecords: MD5 routing, ExplicitHashKey, sequence numbers, result order, data round trip."""

import base64
import os
import random
import uuid

import pytest

import helpers
from helpers import KinesisError, MAX_HASH_KEY, hash_key, require, shard_for_hash, shard_id

UNICODE_KEYS = ["ключ", "clé-ü", "✓ check", "鍵", "emoji-🙂", " spaced key "]


def _shards(kin, name):
    return kin.call("ListShards", StreamName=name)["Shards"]


def _read_all(kin, name, shards):
    return {s["ShardId"]: helpers.read_shard(kin, name, s["ShardId"]) for s in shards}


def test_partition_keys_route_by_md5(kin, make_stream):
    name = make_stream(4, "route")
    shards = _shards(kin, name)
    rng = random.Random(1234)
    keys = [uuid.UUID(int=rng.getrandbits(128)).hex for _ in range(40)] + UNICODE_KEYS
    out = kin.call("PutRecords", StreamName=name,
                   Records=[{"Data": k.encode("utf-8"), "PartitionKey": k} for k in keys])
    assert out["FailedRecordCount"] == 0
    assert len(out["Records"]) == len(keys)
    for key, res in zip(keys, out["Records"]):
        assert res["ShardId"] == shard_for_hash(shards, hash_key(key)), key
    # The 40 random keys cover every shard, so the check above is not vacuous.
    assert {r["ShardId"] for r in out["Records"]} == {s["ShardId"] for s in shards}

    for key in UNICODE_KEYS[:3]:
        res = kin.call("PutRecord", StreamName=name, Data=b"single", PartitionKey=key)
        assert res["ShardId"] == shard_for_hash(shards, hash_key(key)), key
        assert helpers.is_sequence_number(res["SequenceNumber"])

    # What was routed is what is stored: each shard holds exactly the keys hashing into it.
    stored = _read_all(kin, name, shards)
    for sid, records in stored.items():
        for r in records:
            assert shard_for_hash(shards, hash_key(r["PartitionKey"])) == sid


def test_explicit_hash_key_overrides_partition_key(kin, make_stream):
    name = make_stream(3, "explicit")
    shards = _shards(kin, name)
    (s0, e0), (s1, e1), (s2, e2) = helpers.expected_hash_ranges(3)
    key = next(k for k in (f"k{i}" for i in range(1000)) if hash_key(k) <= e0)    # naturally on shard 0
    cases = [(0, shard_id(0)), (e0, shard_id(0)), (s1, shard_id(1)), (e1, shard_id(1)), (s2, shard_id(2)),
             (MAX_HASH_KEY, shard_id(2))]
    for explicit, expected in cases[:3]:
        res = kin.call("PutRecord", StreamName=name, Data=b"e", PartitionKey=key, ExplicitHashKey=str(explicit))
        assert res["ShardId"] == expected, explicit
    out = kin.call("PutRecords", StreamName=name, Records=[
        {"Data": b"e", "PartitionKey": key, "ExplicitHashKey": str(explicit)} for explicit, _ in cases])
    assert [r["ShardId"] for r in out["Records"]] == [expected for _, expected in cases]
    assert shard_for_hash(shards, hash_key(key)) == shard_id(0)


@pytest.mark.parametrize("kin", ["boto3", "cli", "js", "raw"], indirect=True)
def test_explicit_hash_key_out_of_range(kin, make_stream):
    name = make_stream(1, "ehkrange")
    too_big = str(2**128)
    with pytest.raises(KinesisError) as ei:
        kin.call("PutRecord", StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey=too_big)
    assert ei.value.type == "InvalidArgumentException"
    assert ei.value.message == ("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                                f"Specified value was {too_big}")


def test_sequence_numbers_increase_per_shard_and_are_unique(kin, make_stream):
    name = make_stream(2, "seq")
    explicit = {shard_id(0): "0", shard_id(1): str(MAX_HASH_KEY)}
    singles = {shard_id(0): [], shard_id(1): []}
    for i in range(6):
        sid = shard_id(i % 2)
        res = kin.call("PutRecord", StreamName=name, Data=f"single-{i}".encode(), PartitionKey="p",
                       ExplicitHashKey=explicit[sid])
        assert res["ShardId"] == sid
        assert helpers.is_sequence_number(res["SequenceNumber"])
        singles[sid].append(int(res["SequenceNumber"]))
    for sid, seqs in singles.items():
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), sid

    batch = kin.call("PutRecords", StreamName=name, Records=[
        {"Data": f"batch-{i}".encode(), "PartitionKey": f"key-{i}"} for i in range(30)])
    assert batch["FailedRecordCount"] == 0
    all_seqs = [s for seqs in singles.values() for s in seqs] + [int(r["SequenceNumber"]) for r in batch["Records"]]
    assert len(set(all_seqs)) == len(all_seqs), "sequence numbers must be unique within a stream"
    for sid in singles:    # everything put after a PutRecord on the same shard has a larger number
        later = [int(r["SequenceNumber"]) for r in batch["Records"] if r["ShardId"] == sid]
        assert all(s > max(singles[sid]) for s in later)

    for sid in singles:
        records = helpers.read_shard(kin, name, sid)
        seqs = [int(r["SequenceNumber"]) for r in records]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert set(singles[sid]) <= set(seqs)
        assert all(isinstance(r["SequenceNumber"], str) for r in records)


def test_put_records_results_in_request_order(kin, make_stream):
    name = make_stream(3, "order")
    shards = _shards(kin, name)
    entries = [{"Data": f"payload-{i}-{uuid.uuid4().hex}".encode(), "PartitionKey": uuid.uuid4().hex}
               for i in range(30)]
    out = kin.call("PutRecords", StreamName=name, Records=entries)
    assert out["FailedRecordCount"] == 0
    assert len(out["Records"]) == len(entries)
    for e, r in zip(entries, out["Records"]):
        assert r["ShardId"] == shard_for_hash(shards, hash_key(e["PartitionKey"]))
        assert "ErrorCode" not in r
    by_seq = {}
    for records in _read_all(kin, name, shards).values():
        for rec in records:
            by_seq[(rec["SequenceNumber"])] = (rec["Data"], rec["PartitionKey"])
    for e, r in zip(entries, out["Records"]):
        assert by_seq[r["SequenceNumber"]] == (e["Data"], e["PartitionKey"])


def test_sequence_number_for_ordering(kin, make_stream):
    name = make_stream(2, "sno")
    a = kin.call("PutRecord", StreamName=name, Data=b"a", PartitionKey="same")
    b = kin.call("PutRecord", StreamName=name, Data=b"b", PartitionKey="same",
                 SequenceNumberForOrdering=a["SequenceNumber"])
    c = kin.call("PutRecord", StreamName=name, Data=b"c", PartitionKey="same",
                 SequenceNumberForOrdering=b["SequenceNumber"])
    assert a["ShardId"] == b["ShardId"] == c["ShardId"]
    assert int(a["SequenceNumber"]) < int(b["SequenceNumber"]) < int(c["SequenceNumber"])
    records = helpers.read_shard(kin, name, a["ShardId"])
    assert [r["Data"] for r in records] == [b"a", b"b", b"c"]


def test_data_round_trips_byte_exact(kin, make_stream):
    name = make_stream(1, "bytes")
    payloads = [bytes(range(256)), b"\x00", b"\xff\xfe\x00\x80 not utf-8 \xc3\x28", os.urandom(3000),
                "ünïcödé ✓".encode("utf-8")]
    seqs = [kin.call("PutRecord", StreamName=name, Data=p, PartitionKey=f"k{i}")["SequenceNumber"]
            for i, p in enumerate(payloads)]
    records = helpers.read_shard(kin, name, shard_id(0))
    assert [r["Data"] for r in records] == payloads
    assert [r["SequenceNumber"] for r in records] == seqs
    assert [r["PartitionKey"] for r in records] == [f"k{i}" for i in range(len(payloads))]


# ------------------------------------------------------------------------------------------- large records

MIB = 1024 * 1024


@pytest.mark.parametrize("kin", ["js", "raw"], indirect=True)
def test_update_max_record_size_allows_records_up_to_10_mib(kin, raw, make_stream):
    """UpdateMaxRecordSize: the stream's limit (data + partition key) moves within 1024 .. 10240 KiB, is reported by
    DescribeStreamSummary and enforced by PutRecord and PutRecords; a 10 MiB record round-trips byte-exact."""
    require(kin, "UpdateMaxRecordSize", inputs=["StreamARN", "MaxRecordSizeInKiB"])
    name = make_stream(1, "large")
    arn = helpers.stream_arn(name)

    def summary_kib():
        return helpers.describe_summary_raw(raw, name)["MaxRecordSizeInKiB"]

    assert summary_kib() == 1024
    for bad in (1023, 10241, 0):
        with pytest.raises(KinesisError) as ei:
            kin.call("UpdateMaxRecordSize", StreamARN=arn, MaxRecordSizeInKiB=bad)
        assert ei.value.type == "ValidationException", (bad, ei.value.type)
    assert summary_kib() == 1024

    assert kin.call("UpdateMaxRecordSize", StreamARN=arn, MaxRecordSizeInKiB=10240) == {}
    assert summary_kib() == 10240
    big = bytes(range(256)) * (10 * MIB // 256 - 1) + b"k" * 255   # 10 MiB - 1 byte of data, + 1-byte key
    out = kin.call("PutRecord", StreamName=name, Data=big, PartitionKey="k")
    with pytest.raises(KinesisError) as ei:
        kin.call("PutRecord", StreamName=name, Data=big + b"x", PartitionKey="k")
    assert ei.value.type == "ValidationException"
    assert ei.value.message.endswith(f"Member must have length less than or equal to {10 * MIB}"), ei.value.message
    records = helpers.read_shard(kin, name, helpers.shard_id(0))
    assert [r["SequenceNumber"] for r in records] == [out["SequenceNumber"]]
    assert records[0]["Data"] == big

    assert kin.call("UpdateMaxRecordSize", StreamARN=arn, MaxRecordSizeInKiB=2048) == {}
    assert summary_kib() == 2048
    kin.call("PutRecords", StreamName=name, Records=[{"Data": b"m" * (2 * MIB - 1), "PartitionKey": "k"}])
    with pytest.raises(KinesisError) as ei:
        kin.call("PutRecords", StreamName=name, Records=[{"Data": b"small", "PartitionKey": "k"},
                                                         {"Data": b"m" * (2 * MIB), "PartitionKey": "k"}])
    assert ei.value.type == "ValidationException"
    assert "records.2.member.data" in ei.value.message or "records.1.member.data" in ei.value.message


def test_max_record_size_survives_a_restart_and_create_stream_sets_it(make_server):
    srv = make_server()
    raw = helpers.RawClient(srv.endpoint)
    name, other = helpers.unique_name("large"), helpers.unique_name("large")
    helpers.create_stream_raw(raw, name, 1)
    resp = raw.json("UpdateMaxRecordSize", {"StreamARN": helpers.stream_arn(name), "MaxRecordSizeInKiB": 4096})
    assert resp.status == 200, resp
    resp = raw.json("CreateStream", {"StreamName": other, "ShardCount": 1, "MaxRecordSizeInKiB": 5000})
    assert resp.status == 200, resp
    helpers.wait_active(raw, other)
    srv.kill()
    srv.start()
    raw = helpers.RawClient(srv.endpoint)
    assert helpers.describe_summary_raw(raw, name)["MaxRecordSizeInKiB"] == 4096
    assert helpers.describe_summary_raw(raw, other)["MaxRecordSizeInKiB"] == 5000
    data = base64.b64encode(b"z" * (4 * MIB - 1)).decode()
    assert raw.json("PutRecord", {"StreamName": name, "PartitionKey": "k", "Data": data}).status == 200
    resp = raw.json("PutRecord", {"StreamName": name, "PartitionKey": "kk", "Data": data})
    assert resp.status == 400 and resp.json()["__type"] == "ValidationException", resp
    resp = raw.json("CreateStream", {"StreamName": helpers.unique_name("large"), "ShardCount": 1,
                                     "MaxRecordSizeInKiB": 10241})
    assert resp.status == 400 and resp.json()["__type"] == "ValidationException", resp


def test_update_max_record_size_needs_an_active_stream(slow_server):
    raw = helpers.RawClient(slow_server.endpoint)
    name = helpers.unique_name("largeupd")
    assert raw.json("CreateStream", {"StreamName": name, "ShardCount": 1}).status == 200
    try:
        resp = raw.json("UpdateMaxRecordSize", {"StreamARN": helpers.stream_arn(name), "MaxRecordSizeInKiB": 2048})
        assert resp.status == 400, resp
        assert resp.json() == {"__type": "ResourceInUseException",
                               "message": f"Stream {name} under account {helpers.ACCOUNT_ID} not ACTIVE, "
                                          f"instead in state CREATING"}
        resp = raw.json("UpdateMaxRecordSize", {"StreamARN": helpers.stream_arn(helpers.unique_name("nosuch")),
                                                "MaxRecordSizeInKiB": 2048})
        assert resp.status == 400 and resp.json()["__type"] == "ResourceNotFoundException", resp
    finally:
        helpers.wait_active(raw, name)
        raw.json("DeleteStream", {"StreamName": name})
