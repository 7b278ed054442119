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
    for k in keys:  # while UPDATING (or already ACTIVE: the delay is short)
        data = f"{k}/3".encode()
        boto.put_record(StreamName=name, PartitionKey=k, Data=data)
        sent[k].append(data)
    _wait_active(raw, name)
    for rnd in range(4, 6):
        for k in keys:
            data = f"{k}/{rnd}".encode()
            out = boto.put_record(StreamName=name, PartitionKey=k, Data=data)
            assert out["ShardId"] == shard_id(2)
            sent[k].append(data)
    seen = {k: [] for k in keys}
    for sid in (shard_id(0), shard_id(1), shard_id(2)):  # parents before the child
        records, _ = _read_to_end(helpers.Boto3Driver(server.endpoint), name, sid)
        for r in records:
            seen[r["PartitionKey"]].append(r["Data"])
    assert seen == sent


# ------------------------------------------------------------------------------------------- UPDATING

# Long enough that the checks made during UPDATING finish well inside it on a loaded machine.
UPDATING_DELAY_MS = 4000


def _put_hash(driver, name, hash_key, data=b"x"):
    return driver.call("PutRecord", StreamName=name, PartitionKey="p", Data=data, ExplicitHashKey=str(hash_key))


def _shard_ids(shards):
    return [s["ShardId"] for s in shards]


def test_while_updating_the_old_shard_map_is_listed_routed_and_read(make_server):
    """As on AWS: after SplitShard, MergeShards or UpdateShardCount the stream is UPDATING and DescribeStream,
    ListShards and PutRecord with an ExplicitHashKey all see the shard map as it was; the parents close and the
    children appear only when the stream is ACTIVE again."""
    srv = make_server(state_delay_ms=UPDATING_DELAY_MS)
    raw = helpers.RawClient(srv.endpoint)
    kin = helpers.Boto3Driver(srv.endpoint)
    mid = MAX_HASH_KEY // 2  # last key of shard 0 of a 2-shard stream
    reshards = {
        "split": ("SplitShard", {"ShardToSplit": shard_id(0), "NewStartingHashKey": str(mid // 2)}),
        "merge": ("MergeShards", {"ShardToMerge": shard_id(0), "AdjacentShardToMerge": shard_id(1)}),
        "scale": ("UpdateShardCount", {"TargetShardCount": 3, "ScalingType": "UNIFORM_SCALING"}),
    }
    names = {kind: helpers.unique_name(f"upd{kind}") for kind in reshards}
    for name in names.values():
        assert raw.json("CreateStream", {"StreamName": name, "ShardCount": 2}).status == 200
    for name in names.values():
        helpers.wait_active(raw, name)
    before = {kind: kin.call("ListShards", StreamName=name)["Shards"] for kind, name in names.items()}
    for kind, (op, params) in reshards.items():
        kin.call(op, StreamName=names[kind], **params)
    during = {}
    for kind, name in names.items():
        desc = kin.call("DescribeStream", StreamName=name)["StreamDescription"]
        assert desc["StreamStatus"] == "UPDATING", kind
        assert desc["Shards"] == before[kind], kind
        assert kin.call("ListShards", StreamName=name)["Shards"] == before[kind], kind
        summary = kin.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]
        assert summary["OpenShardCount"] == 2, kind
        # Routing by the old map: a key a child would take still goes to its parent.
        during[kind] = [_put_hash(kin, name, 0, b"low"), _put_hash(kin, name, mid // 2 + 1, b"cut"),
                        _put_hash(kin, name, MAX_HASH_KEY, b"high")]
        assert [o["ShardId"] for o in during[kind]] == [shard_id(0), shard_id(0), shard_id(1)], kind
        # The parent reads on past its tip: no end, no children yet.
        records, last = _read_to_end(kin, name, shard_id(0))
        assert [r["Data"] for r in records] == [b"low", b"cut"], kind
        assert last.get("NextShardIterator") and not last.get("ChildShards"), kind
    # Everything above ran while UPDATING.
    for kind, name in names.items():
        assert helpers.describe_summary_raw(raw, name)["StreamStatus"] == "UPDATING", kind

    for kind, name in names.items():
        helpers.wait_active(raw, name)
        shards = _by_id(kin.call("ListShards", StreamName=name)["Shards"])
        for parent in {o["ShardId"] for o in during[kind]} if kind != "split" else {shard_id(0)}:
            end = shards[parent]["SequenceNumberRange"].get("EndingSequenceNumber")
            assert end is not None, (kind, parent)
            # Records accepted while UPDATING lie within the parent's range.
            assert all(int(o["SequenceNumber"]) <= int(end) for o in during[kind] if o["ShardId"] == parent), kind
        open_ids = {s["ShardId"] for s in _open(shards.values())}
        want = {"split": {shard_id(1), shard_id(2), shard_id(3)}, "merge": {shard_id(2)}}.get(kind)
        if want is not None:
            assert open_ids == want, kind
        else:
            assert sorted(_range(shards[i]) for i in open_ids) == helpers.expected_hash_ranges(3)
        for h in (0, mid // 2 + 1, MAX_HASH_KEY):
            assert _put_hash(kin, name, h)["ShardId"] in open_ids, (kind, h)
        records, last = _read_to_end(kin, name, shard_id(0))
        assert last.get("NextShardIterator") is None and last["ChildShards"], kind


def test_a_reshard_pending_at_kill_9_completes_after_restart(make_server):
    """The catalog records the reshard during UPDATING; after kill -9 the stream comes back either still UPDATING
    with the old map or (once the delay has run out) ACTIVE with the whole new map, never half of it, and every
    record acknowledged before the kill stays readable."""
    srv = make_server(state_delay_ms=UPDATING_DELAY_MS)
    raw = helpers.RawClient(srv.endpoint)
    names = [helpers.unique_name("k9split"), helpers.unique_name("k9merge")]
    for name in names:
        helpers.create_stream_raw(raw, name, 2)
    acked = {name: [] for name in names}
    for name in names:
        for i in range(5):
            resp = raw.json("PutRecord", {"StreamName": name, "PartitionKey": f"k{i}", "Data": "AA=="})
            assert resp.status == 200, resp
            acked[name].append(resp.json()["SequenceNumber"])
    assert raw.json("SplitShard", {"StreamName": names[0], "ShardToSplit": shard_id(0),
                                   "NewStartingHashKey": "1000"}).status == 200
    assert raw.json("MergeShards", {"StreamName": names[1], "ShardToMerge": shard_id(0),
                                    "AdjacentShardToMerge": shard_id(1)}).status == 200
    reshard_time = time.time()
    for name in names:  # acknowledged while UPDATING, so in a parent
        resp = raw.json("PutRecord", {"StreamName": name, "PartitionKey": "late", "Data": "AQ=="})
        assert resp.status == 200, resp
        acked[name].append(resp.json()["SequenceNumber"])

    def check_whole(name, final_count):
        desc = raw.json("DescribeStream", {"StreamName": name}).json()["StreamDescription"]
        ids = _shard_ids(desc["Shards"])
        if desc["StreamStatus"] == "UPDATING":
            assert ids == [shard_id(0), shard_id(1)], desc
            assert not any("EndingSequenceNumber" in s["SequenceNumberRange"] for s in desc["Shards"]), desc
        else:
            assert desc["StreamStatus"] == "ACTIVE", desc
            assert ids == [shard_id(i) for i in range(final_count)], desc
        return desc["StreamStatus"]

    srv.kill()
    srv.start()
    raw = helpers.RawClient(srv.endpoint)
    check_whole(names[0], 4)
    check_whole(names[1], 3)
    # A second crash after the delay has run out: the restart completes the reshard before serving.
    srv.kill()
    helpers.wait_until_wall_clock(reshard_time + UPDATING_DELAY_MS / 1000 + 0.5, timeout=UPDATING_DELAY_MS / 1000 + 5)
    srv.start()
    raw = helpers.RawClient(srv.endpoint)
    assert check_whole(names[0], 4) == "ACTIVE"
    assert check_whole(names[1], 3) == "ACTIVE"
    kin = helpers.Boto3Driver(srv.endpoint)
    for name, parents in zip(names, [{shard_id(0)}, {shard_id(0), shard_id(1)}]):
        got = []
        for sid in (shard_id(0), shard_id(1)):
            records, last = _read_to_end(kin, name, sid)
            at_end = last.get("NextShardIterator") is None and bool(last.get("ChildShards"))
            assert at_end == (sid in parents), (name, sid, last)
            got += [r["SequenceNumber"] for r in records]
        assert sorted(got, key=int) == sorted(acked[name], key=int), name
        out = raw.json("PutRecord", {"StreamName": name, "PartitionKey": "after", "Data": "Ag==",
                                     "ExplicitHashKey": "0"}).json()
        assert out["ShardId"] == shard_id(2), name


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
