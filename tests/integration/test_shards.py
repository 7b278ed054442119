"""Shard layout (hash ranges, ids, starting sequence numbers), DescribeStream shard paging, ListShards."""

import pytest

import helpers
from helpers import KinesisError, MAX_HASH_KEY, shard_id

THREE_SHARD_RANGES = [
    (0, 113427455640312821154458202477256070484),
    (113427455640312821154458202477256070485, 226854911280625642308916404954512140969),
    (226854911280625642308916404954512140970, 340282366920938463463374607431768211455),
]


def _ranges(shards):
    return [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])) for s in shards]


def test_three_shard_hash_ranges_exact(kin, make_stream):
    name = make_stream(3, "ranges")
    shards = kin.call("DescribeStream", StreamName=name)["StreamDescription"]["Shards"]
    assert [s["ShardId"] for s in shards] == ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
    assert _ranges(shards) == THREE_SHARD_RANGES
    for s in shards:
        # decimal strings on the wire, not numbers
        assert isinstance(s["HashKeyRange"]["StartingHashKey"], str)
        assert isinstance(s["HashKeyRange"]["EndingHashKey"], str)
        assert helpers.is_sequence_number(s["SequenceNumberRange"]["StartingSequenceNumber"])
        assert "EndingSequenceNumber" not in s["SequenceNumberRange"]
        assert "ParentShardId" not in s and "AdjacentParentShardId" not in s
    assert kin.call("ListShards", StreamName=name)["Shards"] == shards


@pytest.mark.parametrize("count", [1, 2, 5, 7])
def test_hash_ranges_partition_the_key_space(boto, make_stream, count):
    name = make_stream(count, "part")
    shards = boto.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    ranges = _ranges(shards)
    assert ranges == helpers.expected_hash_ranges(count)
    assert ranges[0][0] == 0 and ranges[-1][1] == MAX_HASH_KEY
    for (_, end), (start, _) in zip(ranges, ranges[1:]):
        assert start == end + 1
    assert [s["ShardId"] for s in shards] == [shard_id(i) for i in range(count)]


@pytest.mark.parametrize("kin", ["boto3", "js"], indirect=True)
def test_describe_stream_shard_paging(kin, make_stream):
    name = make_stream(5, "dpage")
    page = kin.call("DescribeStream", StreamName=name, Limit=2)["StreamDescription"]
    assert [s["ShardId"] for s in page["Shards"]] == [shard_id(0), shard_id(1)]
    assert page["HasMoreShards"] is True
    page = kin.call("DescribeStream", StreamName=name, Limit=2, ExclusiveStartShardId=shard_id(1))["StreamDescription"]
    assert [s["ShardId"] for s in page["Shards"]] == [shard_id(2), shard_id(3)]
    assert page["HasMoreShards"] is True
    page = kin.call("DescribeStream", StreamName=name, Limit=2, ExclusiveStartShardId=shard_id(3))["StreamDescription"]
    assert [s["ShardId"] for s in page["Shards"]] == [shard_id(4)]
    assert page["HasMoreShards"] is False


def test_describe_stream_boto3_paginator(boto, make_stream):
    name = make_stream(5, "paginator")
    pages = list(boto.get_paginator("describe_stream").paginate(StreamName=name, PaginationConfig={"PageSize": 2}))
    ids = [s["ShardId"] for p in pages for s in p["StreamDescription"]["Shards"]]
    assert ids == [shard_id(i) for i in range(5)]
    assert len(pages) == 3


def test_list_shards(kin, make_stream):
    name = make_stream(5, "lshards")
    all_shards = kin.call("ListShards", StreamName=name)["Shards"]
    assert [s["ShardId"] for s in all_shards] == [shard_id(i) for i in range(5)]
    assert _ranges(all_shards) == helpers.expected_hash_ranges(5)

    first = kin.call("ListShards", StreamName=name, MaxResults=2)
    assert [s["ShardId"] for s in first["Shards"]] == [shard_id(0), shard_id(1)]
    assert first.get("NextToken")
    collected, token = list(first["Shards"]), first["NextToken"]
    for _ in range(10):
        page = kin.call("ListShards", NextToken=token, MaxResults=2)
        assert len(page["Shards"]) <= 2
        collected += page["Shards"]
        token = page.get("NextToken")
        if not token:
            break
    assert collected == all_shards

    with pytest.raises(KinesisError) as ei:
        kin.call("ListShards", StreamName=name, NextToken=first["NextToken"])
    assert ei.value.type == "InvalidArgumentException"

    after = kin.call("ListShards", StreamName=name, ExclusiveStartShardId=shard_id(1))["Shards"]
    assert [s["ShardId"] for s in after] == [shard_id(2), shard_id(3), shard_id(4)]

    for filter_type in ("AT_LATEST", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON"):
        filtered = kin.call("ListShards", StreamName=name, ShardFilter={"Type": filter_type})["Shards"]
        assert filtered == all_shards, filter_type


def test_list_shards_missing_stream(kin):
    name = helpers.unique_name("nolist")
    with pytest.raises(KinesisError) as ei:
        kin.call("ListShards", StreamName=name)
    assert ei.value.type == "ResourceNotFoundException"
    assert ei.value.message == helpers.rnf_message(name)
