"""Error responses: exact __type and message, JSON shape, x-amzn-RequestId, and request limits."""

import json

import pytest

import helpers
from helpers import KinesisError, MAX_RECORD_BYTES, rnf_message

BAD_NAME_MESSAGE = ("1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: "
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")


def assert_json_error(resp, status, type_, message=None):
    assert resp.status == status, resp
    assert resp.headers.get("x-amzn-requestid"), f"no x-amzn-RequestId on error response: {resp!r}"
    assert resp.content_type.startswith("application/x-amz-json-1.1"), resp
    body = resp.json()
    assert body.get("__type") == type_, body
    if message is not None:
        assert body.get("message") == message, body
    return body


# ------------------------------------------------------------------------------------ protocol level (raw)

def test_unknown_operation(raw):
    """AWS answers an unknown target with a bare UnknownOperationException; Spate names the operation in the
    message, so a user sees at once what was asked for."""
    resp = raw.request(target="Kinesis_20131202.DescribeStreamz", body=b"{}")
    assert_json_error(resp, 400, "UnknownOperationException", "Unknown operation Kinesis_20131202.DescribeStreamz.")
    resp = raw.request(target="NotKinesis_20131202.DescribeStream", body=b"{}")
    assert_json_error(resp, 400, "UnknownOperationException", "Unknown operation NotKinesis_20131202.DescribeStream.")
    resp = raw.request(body=b"{}")
    assert_json_error(resp, 400, "UnknownOperationException",
                      "The request names no operation: the X-Amz-Target header is missing.")


def test_missing_authentication_token(raw):
    resp = raw.request("ListStreams", b"{}", sign=False)
    assert_json_error(resp, 400, "MissingAuthenticationTokenException", "Missing Authentication Token")


def test_unparsable_body_is_serialization_exception(raw):
    resp = raw.request("ListStreams", b"{not json")
    assert resp.status == 400, resp
    assert resp.headers.get("x-amzn-requestid")
    assert resp.json()["__type"] == "SerializationException"


def test_validation_messages(raw):
    resp = raw.json("CreateStream", {"StreamName": "bad name!", "ShardCount": 1})
    assert_json_error(resp, 400, "ValidationException", BAD_NAME_MESSAGE)
    long_name = "a" * 129
    resp = raw.json("DescribeStream", {"StreamName": long_name})
    assert_json_error(resp, 400, "ValidationException",
                      f"1 validation error detected: Value '{long_name}' at 'streamName' failed to satisfy "
                      "constraint: Member must have length less than or equal to 128")
    resp = raw.json("CreateStream", {"StreamName": helpers.unique_name("v"), "ShardCount": 0})
    assert_json_error(resp, 400, "ValidationException",
                      "1 validation error detected: Value '0' at 'shardCount' failed to satisfy constraint: "
                      "Member must have value greater than or equal to 1")


def test_validation_null_member(raw, make_stream):
    name = make_stream(1, "nullpk")
    resp = raw.json("PutRecord", {"StreamName": name, "Data": b"x"})
    assert_json_error(resp, 400, "ValidationException",
                      "1 validation error detected: Value null at 'partitionKey' failed to satisfy constraint: "
                      "Member must not be null")


def test_every_error_response_carries_a_request_id(raw, make_stream):
    name = make_stream(1, "reqid")
    responses = [
        raw.request(target="Kinesis_20131202.Nope", body=b"{}"),
        raw.request("ListStreams", b"{}", sign=False),
        raw.request("ListStreams", b"[[["),
        raw.json("DescribeStream", {"StreamName": "bad name!"}),
        raw.json("DescribeStream", {"StreamName": helpers.unique_name("missing")}),
        raw.json("CreateStream", {"StreamName": name, "ShardCount": 1}),
        raw.json("GetRecords", {"ShardIterator": "garbage"}),
        raw.json("IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 1}),
    ]
    ids = []
    for resp in responses:
        assert 400 <= resp.status < 500, resp
        rid = resp.headers.get("x-amzn-requestid")
        assert rid, resp
        ids.append(rid)
        body = json.loads(resp.body)
        assert isinstance(body.get("__type"), str) and body["__type"], resp
    assert len(set(ids)) == len(ids), "request ids must be unique"
    ok = raw.json("ListStreams", {})
    assert ok.status == 200 and ok.headers.get("x-amzn-requestid")


# ------------------------------------------------------------------------------------ through every client

@pytest.mark.parametrize("kin", ["boto3", "cli", "js", "raw"], indirect=True)
def test_invalid_stream_name_is_validation_exception(kin):
    with pytest.raises(KinesisError) as ei:
        kin.call("DescribeStreamSummary", StreamName="bad name!")
    assert ei.value.type == "ValidationException"
    assert ei.value.message == BAD_NAME_MESSAGE


def test_missing_stream_is_resource_not_found(kin):
    name = helpers.unique_name("ghost")
    calls = [
        ("DescribeStream", {"StreamName": name}),
        ("DescribeStreamSummary", {"StreamName": name}),
        ("PutRecord", {"StreamName": name, "Data": b"x", "PartitionKey": "k"}),
        ("PutRecords", {"StreamName": name, "Records": [{"Data": b"x", "PartitionKey": "k"}]}),
        ("DeleteStream", {"StreamName": name}),
    ]
    for op, params in calls:
        with pytest.raises(KinesisError) as ei:
            kin.call(op, **params)
        assert ei.value.type == "ResourceNotFoundException", op
        assert ei.value.message == rnf_message(name), op
        if kin.name != "cli":           # aws-cli does not print the request id
            assert ei.value.request_id, op
        if ei.value.http_status is not None:
            assert ei.value.http_status == 400, op


def test_record_size_limit(kin, make_stream):
    name = make_stream(1, "big")
    key = "k" * 16
    exact = b"a" * (MAX_RECORD_BYTES - len(key))                 # data + key == 1 MiB: accepted
    put = kin.call("PutRecord", StreamName=name, Data=exact, PartitionKey=key)
    assert helpers.is_sequence_number(put["SequenceNumber"])

    with pytest.raises(KinesisError) as ei:                      # data alone > 1 MiB
        kin.call("PutRecord", StreamName=name, Data=b"b" * (MAX_RECORD_BYTES + 1), PartitionKey="k")
    assert ei.value.type in ("ValidationException", "InvalidArgumentException"), ei.value.type

    with pytest.raises(KinesisError) as ei:                      # data <= 1 MiB but data + key > 1 MiB
        kin.call("PutRecord", StreamName=name, Data=b"c" * (MAX_RECORD_BYTES - len(key) + 1), PartitionKey=key)
    assert ei.value.type in ("ValidationException", "InvalidArgumentException"), ei.value.type

    with pytest.raises(KinesisError) as ei:                      # one oversized entry fails the whole call
        kin.call("PutRecords", StreamName=name, Records=[
            {"Data": b"small", "PartitionKey": "k"},
            {"Data": b"d" * (MAX_RECORD_BYTES + 1), "PartitionKey": "k"}])
    assert ei.value.type in ("ValidationException", "InvalidArgumentException"), ei.value.type

    records = helpers.read_shard(kin, name, helpers.shard_id(0))
    assert len(records) == 1 and len(records[0]["Data"]) == len(exact)
    assert records[0]["SequenceNumber"] == put["SequenceNumber"]


def test_put_records_more_than_500_entries(kin, make_stream):
    name = make_stream(1, "many")
    with pytest.raises(KinesisError) as ei:
        kin.call("PutRecords", StreamName=name,
                 Records=[{"Data": b"x", "PartitionKey": "k"}] * (helpers.MAX_PUT_RECORDS_ENTRIES + 1))
    assert ei.value.type == "ValidationException"
    assert "Member must have length less than or equal to 500" in ei.value.message
    ok = kin.call("PutRecords", StreamName=name,
                  Records=[{"Data": b"x", "PartitionKey": "k"}] * helpers.MAX_PUT_RECORDS_ENTRIES)
    assert ok["FailedRecordCount"] == 0 and len(ok["Records"]) == 500


# ------------------------------------------------------------------------------------ success shape (raw)

def test_success_response_shape(raw, new_name):
    name = new_name("shape")
    resp = raw.json("CreateStream", {"StreamName": name, "ShardCount": 1})
    assert resp.status == 200, resp
    assert resp.body == b"", "operations without output answer with a zero-length body (not {})"
    assert resp.headers.get("x-amzn-requestid")
    helpers.wait_active(raw, name)
    resp = raw.json("ListStreams", {"Limit": 1})
    assert resp.status == 200
    assert resp.content_type.startswith("application/x-amz-json-1.1"), resp
    assert isinstance(resp.json()["StreamNames"], list)


def test_partition_key_length_counts_unicode_characters(raw, make_stream):
    name = make_stream(1, "pklen")
    ok = raw.json("PutRecord", {"StreamName": name, "Data": b"x", "PartitionKey": "é" * 256})   # 512 UTF-8 bytes
    assert ok.status == 200, ok
    resp = raw.json("PutRecord", {"StreamName": name, "Data": b"x", "PartitionKey": "k" * 257})
    assert resp.status == 400 and resp.json()["__type"] == "ValidationException", resp
    assert "Member must have length less than or equal to 256" in resp.json()["message"]
    resp = raw.json("PutRecord", {"StreamName": name, "Data": b"x", "PartitionKey": ""})
    assert resp.status == 400 and resp.json()["__type"] == "ValidationException", resp


def test_get_records_limit_above_10000_is_validation_error(raw, make_stream):
    name = make_stream(1, "glimit")
    it = raw.json("GetShardIterator", {"StreamName": name, "ShardId": helpers.shard_id(0),
                                       "ShardIteratorType": "TRIM_HORIZON"}).json()["ShardIterator"]
    resp = raw.json("GetRecords", {"ShardIterator": it, "Limit": 10001})
    assert resp.status == 400 and resp.json()["__type"] == "ValidationException", resp
    assert "Member must have value less than or equal to 10000" in resp.json()["message"]
