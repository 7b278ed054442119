"""Stream life cycle: CreateStream / DescribeStream(Summary) / ListStreams / DeleteStream, through every client."""

import datetime

import pytest

import helpers
from helpers import ACCOUNT_ID, KinesisError, require, rnf_message, stream_arn

RECENT = datetime.timedelta(minutes=5)


def assert_recent(ts):
    assert isinstance(ts, datetime.datetime) and ts.tzinfo is not None, ts
    assert abs(helpers.utcnow() - ts) < RECENT, ts


def assert_common_description(d, name, mode="PROVISIONED"):
    assert d["StreamName"] == name
    assert d["StreamARN"] == stream_arn(name)
    assert d["StreamStatus"] == "ACTIVE"
    assert d["StreamModeDetails"] == {"StreamMode": mode}
    assert d["RetentionPeriodHours"] == 24
    assert d["EncryptionType"] == "NONE"
    assert d["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert "KeyId" not in d or d["KeyId"] is None
    assert_recent(d["StreamCreationTimestamp"])


def test_create_describe_delete(kin, raw, new_name):
    name = new_name("life")
    assert kin.call("CreateStream", StreamName=name, ShardCount=3) == {}
    helpers.wait_active(raw, name)

    desc = kin.call("DescribeStream", StreamName=name)["StreamDescription"]
    assert_common_description(desc, name)
    assert desc["HasMoreShards"] is False
    assert [s["ShardId"] for s in desc["Shards"]] == [helpers.shard_id(i) for i in range(3)]

    summary = kin.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]
    assert_common_description(summary, name)
    assert summary["OpenShardCount"] == 3
    assert summary["ConsumerCount"] == 0
    assert "Shards" not in summary

    assert kin.call("DeleteStream", StreamName=name) == {}
    try:
        status = kin.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
        assert status == "DELETING"
    except KinesisError as e:   # the client may be slower than the 50 ms delete delay
        assert e.type == "ResourceNotFoundException"
    helpers.wait_gone(raw, name)
    with pytest.raises(KinesisError) as ei:
        kin.call("DescribeStream", StreamName=name)
    assert ei.value.type == "ResourceNotFoundException"
    assert ei.value.message == rnf_message(name)


def test_create_without_shard_count_or_mode_has_4_shards(kin, raw, new_name):
    name = new_name("noshards")
    kin.call("CreateStream", StreamName=name)
    helpers.wait_active(raw, name)
    summary = kin.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 4
    shards = kin.call("DescribeStream", StreamName=name)["StreamDescription"]["Shards"]
    assert [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
            for s in shards] == helpers.expected_hash_ranges(4)


def test_create_on_demand_has_4_shards(kin, raw, new_name):
    name = new_name("ondemand")
    kin.call("CreateStream", StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    helpers.wait_active(raw, name)
    summary = kin.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    desc = kin.call("DescribeStream", StreamName=name)["StreamDescription"]
    assert desc["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert len(desc["Shards"]) == 4


def test_duplicate_create_is_resource_in_use(kin, make_stream):
    name = make_stream(1, "dup")
    with pytest.raises(KinesisError) as ei:
        kin.call("CreateStream", StreamName=name, ShardCount=1)
    assert ei.value.type == "ResourceInUseException"
    assert ei.value.message == f"Stream {name} under account {ACCOUNT_ID} already exists."


def test_transitional_states_creating_and_deleting(slow_server, tmp_path):
    """With a 1.5 s state delay: CREATING (no shards; data plane says not found), ACTIVE via the boto3
    waiter, then DELETING, then gone via the stream_not_exists waiter."""
    boto = helpers.make_boto3_client(slow_server.endpoint)
    name = helpers.unique_name("slow")
    boto.create_stream(StreamName=name, ShardCount=2)
    desc = boto.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamStatus"] == "CREATING"
    assert desc["Shards"] == []
    summary = boto.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "CREATING"
    listed = boto.list_streams()["StreamNames"]
    assert name in listed

    with pytest.raises(boto.exceptions.ResourceNotFoundException) as ei:
        boto.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    assert ei.value.response["Error"]["Message"] == rnf_message(name)
    with pytest.raises(boto.exceptions.ResourceNotFoundException):
        boto.get_shard_iterator(StreamName=name, ShardId=helpers.shard_id(0), ShardIteratorType="TRIM_HORIZON")
    with pytest.raises(boto.exceptions.ResourceInUseException):
        boto.delete_stream(StreamName=name)

    boto.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 200})
    desc = boto.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamStatus"] == "ACTIVE"
    assert len(desc["Shards"]) == 2

    boto.delete_stream(StreamName=name)
    assert boto.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"] == "DELETING"
    boto.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 200})
    with pytest.raises(boto.exceptions.ResourceNotFoundException):
        boto.describe_stream_summary(StreamName=name)
    assert name not in boto.list_streams()["StreamNames"]


def _list_all_names(kin):
    names, start = [], None
    for _ in range(1000):
        params = {"Limit": 100}
        if start:
            params["ExclusiveStartStreamName"] = start
        out = kin.call("ListStreams", **params)
        names += out["StreamNames"]
        if not out["HasMoreStreams"]:
            return names
        start = out["StreamNames"][-1]
    raise AssertionError("ListStreams paging did not terminate")


def test_list_streams_sorted_and_paged(kin, raw, new_name):
    base = helpers.unique_name("ls")
    ours = [new_name(exact=f"{base}-{suffix}") for suffix in ("a", "b", "c")]
    for name in reversed(ours):                       # create out of order: listing must still be sorted
        raw.json("CreateStream", {"StreamName": name, "ShardCount": 1})
    for name in ours:
        helpers.wait_active(raw, name)

    names = _list_all_names(kin)
    assert names == sorted(names)
    i = names.index(ours[0])
    assert names[i:i + 3] == ours

    out = kin.call("ListStreams", Limit=1, ExclusiveStartStreamName=ours[0])
    assert out["StreamNames"] == [ours[1]]
    assert out["HasMoreStreams"] is True

    out = kin.call("ListStreams", Limit=2, ExclusiveStartStreamName=ours[0])
    assert out["StreamNames"] == ours[1:]
    assert out["HasMoreStreams"] == (names[-1] != ours[2])


def test_list_streams_next_token_and_summaries(kin, raw, new_name):
    require(kin, "ListStreams", inputs=["NextToken"], outputs=["NextToken", "StreamSummaries"])
    base = helpers.unique_name("lt")
    ours = [new_name(exact=f"{base}-{suffix}") for suffix in ("a", "b", "c")]
    for name in ours:
        raw.json("CreateStream", {"StreamName": name, "ShardCount": 1})
    for name in ours:
        helpers.wait_active(raw, name)

    out = kin.call("ListStreams", Limit=2, ExclusiveStartStreamName=ours[0])
    assert out["StreamNames"] == ours[1:]
    summaries = out["StreamSummaries"]
    assert [s["StreamName"] for s in summaries] == ours[1:]
    for s in summaries:
        assert s["StreamARN"] == stream_arn(s["StreamName"])
        assert s["StreamStatus"] == "ACTIVE"
        assert s["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        assert_recent(s["StreamCreationTimestamp"])

    first = kin.call("ListStreams", Limit=1, ExclusiveStartStreamName=ours[0])
    assert first["StreamNames"] == [ours[1]] and first["HasMoreStreams"] is True
    assert first.get("NextToken"), "HasMoreStreams is true, so a NextToken is expected"
    second = kin.call("ListStreams", Limit=1, NextToken=first["NextToken"])
    assert second["StreamNames"] == [ours[2]]

    # Following NextToken from the very beginning yields the same list as ExclusiveStartStreamName paging.
    via_token, out = [], kin.call("ListStreams", Limit=100)
    for _ in range(1000):
        via_token += out["StreamNames"]
        if not out["HasMoreStreams"]:
            break
        out = kin.call("ListStreams", Limit=100, NextToken=out["NextToken"])
    assert via_token == sorted(via_token)
    assert set(ours) <= set(via_token)


@pytest.mark.parametrize("kin", ["boto3", "cli", "js", "raw"], indirect=True)
def test_stream_arn_in_place_of_stream_name(kin, raw, make_stream):
    require(kin, "DescribeStreamSummary", inputs=["StreamARN"])
    name = make_stream(2, "arn")
    arn = stream_arn(name)

    summary = kin.call("DescribeStreamSummary", StreamARN=arn)["StreamDescriptionSummary"]
    assert summary["StreamName"] == name and summary["StreamARN"] == arn
    desc = kin.call("DescribeStream", StreamARN=arn)["StreamDescription"]
    assert desc["StreamName"] == name and len(desc["Shards"]) == 2
    shards = kin.call("ListShards", StreamARN=arn)["Shards"]
    assert [s["ShardId"] for s in shards] == [helpers.shard_id(0), helpers.shard_id(1)]

    put = kin.call("PutRecord", StreamARN=arn, Data=b"via-arn", PartitionKey="pk")
    assert put["ShardId"] == helpers.shard_for_hash(shards, helpers.hash_key("pk"))
    both = kin.call("PutRecord", StreamName=name, StreamARN=arn, Data=b"via-both", PartitionKey="pk")
    assert int(both["SequenceNumber"]) > int(put["SequenceNumber"])
    it = kin.call("GetShardIterator", StreamARN=arn, ShardId=put["ShardId"],
                  ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=put["SequenceNumber"])
    records = kin.call("GetRecords", StreamARN=arn, ShardIterator=it["ShardIterator"])["Records"]
    assert [r["Data"] for r in records] == [b"via-arn", b"via-both"]

    missing = stream_arn(helpers.unique_name("nope"))
    with pytest.raises(KinesisError) as ei:
        kin.call("DescribeStreamSummary", StreamARN=missing)
    assert ei.value.type == "ResourceNotFoundException"

    assert kin.call("DeleteStream", StreamARN=arn) == {}
    helpers.wait_gone(raw, name)
