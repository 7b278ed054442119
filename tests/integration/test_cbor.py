"""The `application/x-amz-cbor-1.1` protocol the Java SDKs (and KCL/KPL-Java) use by default.

Blobs are CBOR byte strings; timestamps are tag 1 wrapping an INTEGER of epoch milliseconds in both
directions; errors are CBOR maps with __type. Requests are built with the tiny codec in cbor_codec.py.
"""

import time

import helpers
from cbor_codec import Tagged
from helpers import CBOR_CONTENT_TYPE, rnf_message, shard_id

ALL_BYTES = bytes(range(256))


def ok_cbor(resp):
    assert resp.status == 200, resp
    if not resp.body:
        return {}
    assert resp.content_type.startswith(CBOR_CONTENT_TYPE), resp
    body = resp.cbor()
    assert isinstance(body, dict), body
    return body


def assert_millis_timestamp(value, near_ms=None, tolerance_ms=10_000):
    assert isinstance(value, Tagged) and value.tag == 1, f"expected tag 1 timestamp, got {value!r}"
    assert isinstance(value.value, int) and not isinstance(value.value, bool), \
        f"tag 1 must wrap an integer of epoch milliseconds (AWS CBOR), got {value.value!r}"
    if near_ms is None:
        near_ms = int(time.time() * 1000)
    assert abs(value.value - near_ms) < tolerance_ms, (value.value, near_ms)
    return value.value


def test_cbor_create_put_get(raw, new_name, boto):
    name = new_name("cbor")
    ok_cbor(raw.cbor("CreateStream", {"StreamName": name, "ShardCount": 1}))
    helpers.wait_active(raw, name)

    resp = raw.cbor("DescribeStreamSummary", {"StreamName": name})
    summary = ok_cbor(resp)["StreamDescriptionSummary"]
    assert summary["StreamName"] == name
    assert summary["RetentionPeriodHours"] == 24
    assert summary["OpenShardCount"] == 1
    assert_millis_timestamp(summary["StreamCreationTimestamp"], tolerance_ms=300_000)
    assert b"StreamCreationTimestamp\xc1\xfb" not in resp.body      # never a float under tag 1

    put = ok_cbor(raw.cbor("PutRecord", {"StreamName": name, "Data": ALL_BYTES, "PartitionKey": "cbor-key"}))
    assert put["ShardId"] == shard_id(0)
    assert helpers.is_sequence_number(put["SequenceNumber"])

    it = ok_cbor(raw.cbor("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                               "ShardIteratorType": "TRIM_HORIZON"}))["ShardIterator"]
    assert isinstance(it, str)
    out = ok_cbor(raw.cbor("GetRecords", {"ShardIterator": it}))
    assert len(out["Records"]) == 1
    rec = out["Records"][0]
    assert isinstance(rec["Data"], bytes), f"Data must be a CBOR byte string, got {type(rec['Data'])}"
    assert rec["Data"] == ALL_BYTES
    assert rec["PartitionKey"] == "cbor-key"
    assert rec["SequenceNumber"] == put["SequenceNumber"]
    arrival_ms = assert_millis_timestamp(rec["ApproximateArrivalTimestamp"])
    assert isinstance(out["MillisBehindLatest"], int)
    assert isinstance(out["NextShardIterator"], str)

    # The JSON view of the same record agrees to the millisecond.
    json_it = boto.get_shard_iterator(StreamName=name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")
    json_rec = boto.get_records(ShardIterator=json_it["ShardIterator"])["Records"][0]
    assert json_rec["Data"] == ALL_BYTES
    assert round(json_rec["ApproximateArrivalTimestamp"].timestamp() * 1000) == arrival_ms


def test_cbor_put_records_interoperates_with_json(raw, make_stream, boto):
    name = make_stream(2, "cborbatch")
    entries = [{"Data": bytes([i]) * (i + 1) + b"\x00\xff", "PartitionKey": f"k{i}"} for i in range(10)]
    out = ok_cbor(raw.cbor("PutRecords", {"StreamName": name, "Records": entries}))
    assert out["FailedRecordCount"] == 0
    assert len(out["Records"]) == len(entries)
    boto.put_record(StreamName=name, Data=b"\x01json\xfe", PartitionKey="json-key", ExplicitHashKey="0")

    via_json = {}
    for sid in (shard_id(0), shard_id(1)):
        it = boto.get_shard_iterator(StreamName=name, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for r in boto.get_records(ShardIterator=it)["Records"]:
            via_json[r["SequenceNumber"]] = r["Data"]
    for e, r in zip(entries, out["Records"]):
        assert via_json[r["SequenceNumber"]] == e["Data"]

    it = ok_cbor(raw.cbor("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                               "ShardIteratorType": "TRIM_HORIZON"}))["ShardIterator"]
    via_cbor = {r["SequenceNumber"]: r["Data"] for r in ok_cbor(raw.cbor("GetRecords", {"ShardIterator": it}))["Records"]}
    assert b"\x01json\xfe" in via_cbor.values()
    for seq, data in via_cbor.items():
        assert via_json[seq] == data


def test_cbor_at_timestamp_uses_milliseconds(raw, make_stream):
    """floci #2368: a server reading tag 1 as seconds puts AT_TIMESTAMP far in the future/past."""
    name = make_stream(1, "cborts")
    ok_cbor(raw.cbor("PutRecord", {"StreamName": name, "Data": b"A", "PartitionKey": "k"}))
    it = ok_cbor(raw.cbor("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                               "ShardIteratorType": "TRIM_HORIZON"}))["ShardIterator"]
    a_ms = assert_millis_timestamp(ok_cbor(raw.cbor("GetRecords", {"ShardIterator": it}))["Records"][0]
                                   ["ApproximateArrivalTimestamp"])
    helpers.wait_until_wall_clock((a_ms + 5) / 1000.0)
    ok_cbor(raw.cbor("PutRecord", {"StreamName": name, "Data": b"B", "PartitionKey": "k"}))

    def at(ms):
        it = ok_cbor(raw.cbor("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                                   "ShardIteratorType": "AT_TIMESTAMP",
                                                   "Timestamp": Tagged(1, ms)}))["ShardIterator"]
        return [r["Data"] for r in ok_cbor(raw.cbor("GetRecords", {"ShardIterator": it}))["Records"]]

    assert at(a_ms) == [b"A", b"B"]
    assert at(a_ms + 1) == [b"B"]
    assert at(a_ms - 3_600_000) == [b"A", b"B"]

    resp = raw.cbor("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                         "ShardIteratorType": "AT_TIMESTAMP",
                                         "Timestamp": Tagged(1, int(time.time() * 1000) + 3_600_000)})
    assert resp.status == 400
    assert resp.cbor()["__type"] == "InvalidArgumentException"


def test_cbor_error_responses(raw):
    name = helpers.unique_name("cbormissing")
    resp = raw.cbor("DescribeStreamSummary", {"StreamName": name})
    assert resp.status == 400, resp
    assert resp.content_type.startswith(CBOR_CONTENT_TYPE), resp
    assert resp.headers.get("x-amzn-requestid")
    body = resp.cbor()
    assert body == {"__type": "ResourceNotFoundException", "message": rnf_message(name)}

    resp = raw.cbor("DescribeStreamSummary", {"StreamName": "bad name!"})
    assert resp.status == 400, resp
    assert resp.content_type.startswith(CBOR_CONTENT_TYPE), resp
    assert resp.cbor()["__type"] == "ValidationException"

    resp = raw.request("ListStreams", b"\xff\xff\xff not cbor", CBOR_CONTENT_TYPE)
    assert resp.status == 400, resp
    assert resp.headers.get("x-amzn-requestid")
    assert resp.cbor()["__type"] == "SerializationException"
