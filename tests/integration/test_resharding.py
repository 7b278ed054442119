"""Resharding as AWS does it: SplitShard, MergeShards, UpdateShardCount, lineage, ChildShards at the end of a
closed shard, per-key order across a reshard, AWS's errors, ListShards ShardFilter, and capacity modes."""

import datetime
import time

import pytest

import helpers
from helpers import KinesisError, MAX_HASH_KEY, shard_id

RESHARD_CLIENTS = ["boto3", "js"]


def _range(shard):
    return int(shard["HashKeyRange"]["StartingHashKey"]), int(shard["HashKeyRange"]["EndingHashKey"])


def _shards(raw, name, **extra):
    resp = raw.json("ListShards", {"StreamName": name, **extra})
    assert resp.status == 200, resp
    return resp.json()["Shards"]


def _by_id(shards):
    return {s["ShardId"]: s for s in shards}


def _open(shards):
    return [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]


def _wait_active(raw, name):
    return helpers.wait_active(raw, name)


def _put(driver, name, key, data, **extra):
    return driver.call("PutRecord", StreamName=name, PartitionKey=key, Data=data, **extra)


def _read_to_end(driver, name, shard, max_calls=50):
    """Reads a shard from TRIM_HORIZON; returns (records, last GetRecords output)."""
    it = driver.call("GetShardIterator", StreamName=name, ShardId=shard,
                     ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records, out = [], None
    for _ in range(max_calls):
        out = driver.call("GetRecords", ShardIterator=it)
        records.extend(out["Records"])
        it = out.get("NextShardIterator")
        if it is None or (not out["Records"] and out.get("MillisBehindLatest", 0) == 0):
            break
    return records, out


# ------------------------------------------------------------------------------------------- SplitShard

@pytest.mark.parametrize("kin", RESHARD_CLIENTS, indirect=True)
def test_split_closes_parent_and_opens_two_children(kin, raw, make_stream):
    name = make_stream(1, "split")
    before = _put(kin, name, "k", b"before")
    mid = MAX_HASH_KEY // 2 + 1
    assert kin.call("SplitShard", StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey=str(mid)) == {}
    # UPDATING while the split settles (then ACTIVE); writes keep working meanwhile.
    _put(kin, name, "k", b"during")
    _wait_active(raw, name)
    shards = kin.call("ListShards", StreamName=name)["Shards"]
    assert [s["ShardId"] for s in shards] == [shard_id(0), shard_id(1), shard_id(2)]
    parent, low, high = shards
    end = parent["SequenceNumberRange"]["EndingSequenceNumber"]
    assert helpers.is_sequence_number(end)
    assert int(before["SequenceNumber"]) <= int(end)
    assert low["ParentShardId"] == shard_id(0) and high["ParentShardId"] == shard_id(0)
    assert "AdjacentParentShardId" not in low and "AdjacentParentShardId" not in high
    assert _range(low) == (0, mid - 1)
    assert _range(high) == (mid, MAX_HASH_KEY)
    assert "EndingSequenceNumber" not in low["SequenceNumberRange"]
    # Children sort after the parent's end.
    assert int(low["SequenceNumberRange"]["StartingSequenceNumber"]) > int(end)
    # Records written after the split go to the children only.
    for i in range(20):
        out = _put(kin, name, f"key-{i}", b"after")
        assert out["ShardId"] in (shard_id(1), shard_id(2))
    # DescribeStream shows the same lineage.
    desc = kin.call("DescribeStream", StreamName=name)["StreamDescription"]
    assert desc["StreamStatus"] == "ACTIVE"
    assert desc["Shards"] == shards


@pytest.mark.parametrize("kin", RESHARD_CLIENTS, indirect=True)
def test_reading_a_closed_shard_to_its_end_returns_child_shards(kin, raw, make_stream):
    name = make_stream(1, "childs")
    for i in range(5):
        _put(kin, name, f"k{i}", f"v{i}".encode())
    mid = MAX_HASH_KEY // 2 + 1
    kin.call("SplitShard", StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey=str(mid))
    _wait_active(raw, name)
    records, last = _read_to_end(kin, name, shard_id(0))
    assert [r["Data"] for r in records] == [f"v{i}".encode() for i in range(5)]
    assert last.get("NextShardIterator") is None
    children = last["ChildShards"]
    assert [c["ShardId"] for c in children] == [shard_id(1), shard_id(2)]
    for c in children:
        assert c["ParentShards"] == [shard_id(0)]
    assert (int(children[0]["HashKeyRange"]["StartingHashKey"]), int(children[0]["HashKeyRange"]["EndingHashKey"])) \
        == (0, mid - 1)
    # An open shard never reports ChildShards.
    it = kin.call("GetShardIterator", StreamName=name, ShardId=shard_id(1),
                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = kin.call("GetRecords", ShardIterator=it)
    assert out.get("NextShardIterator")
    assert not out.get("ChildShards")


def test_a_reader_finishing_parents_first_sees_each_key_in_order(boto, raw, server, make_stream):
    name = make_stream(2, "order")
    keys = [f"key-{i}" for i in range(8)]
    sent = {k: [] for k in keys}
    for rnd in range(3):
        for k in keys:
            data = f"{k}/{rnd}".encode()
            boto.put_record(StreamName=name, PartitionKey=k, Data=data)
            sent[k].append(data)
    boto.merge_shards(StreamName=name, ShardToMerge=shard_id(0), AdjacentShardToMerge=shard_id(1))
    for rnd in range(3, 6):
        for k in keys:
            data = f"{k}/{rnd}".encode()
            out = boto.put_record(StreamName=name, PartitionKey=k, Data=data)
            assert out["ShardId"] == shard_id(2)
            sent[k].append(data)
    _wait_active(raw, name)
    seen = {k: [] for k in keys}
    for sid in (shard_id(0), shard_id(1), shard_id(2)):  # parents before the child
        records, _ = _read_to_end(helpers.Boto3Driver(server.endpoint), name, sid)
        for r in records:
            seen[r["PartitionKey"]].append(r["Data"])
    assert seen == sent


# ------------------------------------------------------------------------------------------- MergeShards

@pytest.mark.parametrize("kin", RESHARD_CLIENTS, indirect=True)
def test_merge_closes_both_parents_and_opens_one_child(kin, raw, make_stream):
    name = make_stream(3, "merge")
    assert kin.call("MergeShards", StreamName=name, ShardToMerge=shard_id(1),
                    AdjacentShardToMerge=shard_id(2)) == {}
    _wait_active(raw, name)
    shards = _by_id(kin.call("ListShards", StreamName=name)["Shards"])
    child = shards[shard_id(3)]
    assert child["ParentShardId"] == shard_id(1)
    assert child["AdjacentParentShardId"] == shard_id(2)
    assert _range(child) == (_range(shards[shard_id(1)])[0], MAX_HASH_KEY)
    for sid in (shard_id(1), shard_id(2)):
        assert "EndingSequenceNumber" in shards[sid]["SequenceNumberRange"]
    assert "EndingSequenceNumber" not in shards[shard_id(0)]["SequenceNumberRange"]
    records, last = _read_to_end(kin, name, shard_id(2))
    assert records == [] and last.get("NextShardIterator") is None
    assert last["ChildShards"] == [{"ShardId": shard_id(3), "ParentShards": [shard_id(1), shard_id(2)],
                                    "HashKeyRange": child["HashKeyRange"]}]


# ------------------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("kin", RESHARD_CLIENTS, indirect=True)
def test_reshard_errors_as_aws_words_them(kin, raw, make_stream):
    name = make_stream(3, "rserr")
    acct = helpers.ACCOUNT_ID
    with pytest.raises(KinesisError) as e:
        kin.call("MergeShards", StreamName=name, ShardToMerge=shard_id(1), AdjacentShardToMerge=shard_id(0))
    assert e.value.type == "InvalidArgumentException"
    assert e.value.message == (f"Shards {shard_id(1)} and {shard_id(0)} in stream {name} under account {acct} are not "
                               f"an adjacent pair of shards eligible for merging")
    with pytest.raises(KinesisError) as e:
        kin.call("MergeShards", StreamName=name, ShardToMerge=shard_id(0), AdjacentShardToMerge=shard_id(2))
    assert e.value.type == "InvalidArgumentException"
    start, end = _range(_shards(raw, name)[0])
    with pytest.raises(KinesisError) as e:
        kin.call("SplitShard", StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey=str(end))
    assert e.value.type == "InvalidArgumentException"
    assert e.value.message == (
        f"NewStartingHashKey {end} used in SplitShard() on shard {shard_id(0)} in stream {name} under account "
        f"{acct} is not both greater than one plus the shard's StartingHashKey {start} and less than the shard's "
        f"EndingHashKey {end}.")
    with pytest.raises(KinesisError) as e:
        kin.call("SplitShard", StreamName=name, ShardToSplit=shard_id(9), NewStartingHashKey="100")
    assert e.value.type == "ResourceNotFoundException"
    assert e.value.message == f"Could not find shard {shard_id(9)} in stream {name} under account {acct}."
    # A closed shard is not eligible again.
    kin.call("SplitShard", StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey=str(end // 2))
    _wait_active(raw, name)
    with pytest.raises(KinesisError) as e:
        kin.call("SplitShard", StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey=str(end // 4))
    assert e.value.type == "InvalidArgumentException"
    assert e.value.message == (f"Shard {shard_id(0)} in stream {name} under account {acct} has already been merged "
                               f"or split, and thus is not eligible for merging or splitting.")
    with pytest.raises(KinesisError) as e:
        kin.call("MergeShards", StreamName=name, ShardToMerge=shard_id(0), AdjacentShardToMerge=shard_id(1))
    assert e.value.type == "InvalidArgumentException"


def test_reshard_while_not_active_is_resource_in_use(slow_server):
    raw = helpers.RawClient(slow_server.endpoint)
    name = helpers.unique_name("rsupd")
    helpers.create_stream_raw(raw, name, 2)
    try:
        resp = raw.json("SplitShard", {"StreamName": name, "ShardToSplit": shard_id(0), "NewStartingHashKey": "1000"})
        assert resp.status == 200, resp
        assert helpers.describe_summary_raw(raw, name)["StreamStatus"] == "UPDATING"
        for op, params in [("SplitShard", {"ShardToSplit": shard_id(1), "NewStartingHashKey": str(MAX_HASH_KEY - 9)}),
                           ("MergeShards", {"ShardToMerge": shard_id(2), "AdjacentShardToMerge": shard_id(3)}),
                           ("UpdateShardCount", {"TargetShardCount": 3, "ScalingType": "UNIFORM_SCALING"})]:
            resp = raw.json(op, {"StreamName": name, **params})
            assert resp.status == 400, (op, resp)
            assert resp.json() == {"__type": "ResourceInUseException",
                                   "message": f"Stream {name} under account {helpers.ACCOUNT_ID} not ACTIVE, "
                                              f"instead in state UPDATING"}
        # Reads and writes continue while UPDATING.
        resp = raw.json("PutRecord", {"StreamName": name, "PartitionKey": "k", "Data": "AA=="})
        assert resp.status == 200, resp
        helpers.wait_active(raw, name)
    finally:
        raw.json("DeleteStream", {"StreamName": name})


# ------------------------------------------------------------------------------------------- UpdateShardCount

@pytest.mark.parametrize("kin", RESHARD_CLIENTS, indirect=True)
@pytest.mark.parametrize("start,target", [(2, 4), (4, 5), (4, 2), (3, 2)])
def test_update_shard_count_ends_with_uniform_ranges(kin, raw, make_stream, start, target):
    name = make_stream(start, "usc")
    out = kin.call("UpdateShardCount", StreamName=name, TargetShardCount=target, ScalingType="UNIFORM_SCALING")
    assert out["StreamName"] == name
    assert out["CurrentShardCount"] == start
    assert out["TargetShardCount"] == target
    _wait_active(raw, name)
    shards = kin.call("ListShards", StreamName=name)["Shards"]
    open_ranges = sorted(_range(s) for s in _open(shards))
    assert open_ranges == helpers.expected_hash_ranges(target)
    ids = [int(s["ShardId"].split("-")[1]) for s in shards]
    assert ids == sorted(ids) and ids[:start] == list(range(start))
    by_id = _by_id(shards)
    for s in shards[start:]:
        assert s["ParentShardId"] in by_id
        assert "EndingSequenceNumber" in by_id[s["ParentShardId"]]["SequenceNumberRange"]
    summary = kin.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == target


def test_update_shard_count_limits(boto, make_stream):
    name = make_stream(2, "usclim")
    with pytest.raises(Exception) as e:
        boto.update_shard_count(StreamName=name, TargetShardCount=5, ScalingType="UNIFORM_SCALING")
    err = e.value.response["Error"]
    assert err["Code"] == "LimitExceededException"
    assert err["Message"] == ("UpdateShardCount cannot scale up over double your current open shard count. "
                              "Current open shard count: 2 Target shard count: 5")
    name = make_stream(5, "usclim")
    with pytest.raises(Exception) as e:
        boto.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert e.value.response["Error"]["Message"] == (
        "UpdateShardCount cannot scale down below half your current open shard count. "
        "Current open shard count: 5 Target shard count: 2")


# ------------------------------------------------------------------------------------------- ShardFilter

@pytest.mark.parametrize("kin", RESHARD_CLIENTS, indirect=True)
def test_list_shards_shard_filter_types(kin, raw, make_stream):
    name = make_stream(2, "filter")
    created = datetime.datetime.fromtimestamp(helpers.describe_summary_raw(raw, name)["StreamCreationTimestamp"],
                                              tz=datetime.timezone.utc)
    kin.call("SplitShard", StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey="1000")
    _wait_active(raw, name)
    # boto3 1.26 sends whole seconds: take the next whole second after the split.
    after_split_s = int(time.time()) + 1
    helpers.wait_until_wall_clock(after_split_s)
    after_split = datetime.datetime.fromtimestamp(after_split_s, tz=datetime.timezone.utc)

    def ids(**filt):
        return [s["ShardId"] for s in kin.call("ListShards", StreamName=name, ShardFilter=filt)["Shards"]]

    everything = [shard_id(i) for i in range(4)]
    assert [s["ShardId"] for s in kin.call("ListShards", StreamName=name)["Shards"]] == everything
    assert ids(Type="FROM_TRIM_HORIZON") == everything
    assert ids(Type="AT_TRIM_HORIZON") == [shard_id(0), shard_id(1)]
    assert ids(Type="AT_LATEST") == [shard_id(1), shard_id(2), shard_id(3)]
    assert ids(Type="AFTER_SHARD_ID", ShardId=shard_id(1)) == [shard_id(2), shard_id(3)]
    # Before the split: the original shards; after it: the open ones.
    assert ids(Type="AT_TIMESTAMP", Timestamp=created) == [shard_id(0), shard_id(1)]
    assert ids(Type="AT_TIMESTAMP", Timestamp=after_split) == [shard_id(1), shard_id(2), shard_id(3)]
    assert ids(Type="FROM_TIMESTAMP", Timestamp=created) == everything
    assert ids(Type="FROM_TIMESTAMP", Timestamp=after_split) == [shard_id(1), shard_id(2), shard_id(3)]
    # A timestamp older than the stream lists the oldest shards.
    old = created - datetime.timedelta(days=3)
    assert ids(Type="AT_TIMESTAMP", Timestamp=old) == [shard_id(0), shard_id(1)]
    with pytest.raises(KinesisError) as e:
        ids(Type="AFTER_SHARD_ID")
    assert e.value.type == "InvalidArgumentException"


# ------------------------------------------------------------------------------------------- capacity modes

@pytest.mark.parametrize("kin", RESHARD_CLIENTS, indirect=True)
def test_on_demand_stream_refuses_manual_resharding(kin, raw, new_name):
    name = new_name("od")
    kin.call("CreateStream", StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = _wait_active(raw, name)
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    msg = f"Request is invalid. Stream {name} under account {helpers.ACCOUNT_ID} is in On-Demand mode."
    for op, params in [("SplitShard", {"ShardToSplit": shard_id(0), "NewStartingHashKey": "1000"}),
                       ("MergeShards", {"ShardToMerge": shard_id(0), "AdjacentShardToMerge": shard_id(1)}),
                       ("UpdateShardCount", {"TargetShardCount": 5, "ScalingType": "UNIFORM_SCALING"})]:
        with pytest.raises(KinesisError) as e:
            kin.call(op, StreamName=name, **params)
        assert (e.value.type, e.value.message) == ("ValidationException", msg), op


@pytest.mark.parametrize("kin", RESHARD_CLIENTS, indirect=True)
def test_update_stream_mode_round_trip(kin, raw, make_stream):
    helpers.require(kin, "UpdateStreamMode", inputs=["StreamARN", "StreamModeDetails"])
    name = make_stream(2, "mode")
    arn = helpers.stream_arn(name)
    assert kin.call("UpdateStreamMode", StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"}) == {}
    assert helpers.describe_summary_raw(raw, name)["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    _wait_active(raw, name)
    with pytest.raises(KinesisError) as e:
        kin.call("SplitShard", StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey="1000")
    assert e.value.type == "ValidationException"
    kin.call("UpdateStreamMode", StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
    _wait_active(raw, name)
    kin.call("SplitShard", StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey="1000")
