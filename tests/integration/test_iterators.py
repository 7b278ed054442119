"""GetShardIterator types and GetRecords: positions, fields, Limit, empty shards, and iterator errors."""

import datetime
import math

import pytest

import helpers
from helpers import ACCOUNT_ID, KinesisError, shard_id

SHARD0 = shard_id(0)
NEAR_NOW = datetime.timedelta(seconds=10)


def _iterator(kin, name, kind, shard=SHARD0, **kw):
    return kin.call("GetShardIterator", StreamName=name, ShardId=shard, ShardIteratorType=kind, **kw)["ShardIterator"]


def _put_batch(kin, name, datas):
    out = kin.call("PutRecords", StreamName=name, Records=[{"Data": d, "PartitionKey": "pk"} for d in datas])
    assert out["FailedRecordCount"] == 0
    return [r["SequenceNumber"] for r in out["Records"]]


def _datas(records):
    return [r["Data"] for r in records]


def test_iterator_types_position_correctly(kin, make_stream):
    name = make_stream(1, "itypes")
    datas = [f"r{i}".encode() for i in range(5)]
    seqs = _put_batch(kin, name, datas)

    assert _datas(helpers.read_shard(kin, name, SHARD0, "TRIM_HORIZON")) == datas
    assert _datas(helpers.read_shard(kin, name, SHARD0, "AT_SEQUENCE_NUMBER",
                                     StartingSequenceNumber=seqs[2])) == datas[2:]
    assert _datas(helpers.read_shard(kin, name, SHARD0, "AFTER_SEQUENCE_NUMBER",
                                     StartingSequenceNumber=seqs[2])) == datas[3:]
    assert _datas(helpers.read_shard(kin, name, SHARD0, "AFTER_SEQUENCE_NUMBER",
                                     StartingSequenceNumber=seqs[4])) == []

    latest = _iterator(kin, name, "LATEST")
    first = kin.call("GetRecords", ShardIterator=latest)
    assert first["Records"] == []
    assert first["NextShardIterator"]
    more = [b"after-latest-1", b"after-latest-2"]
    _put_batch(kin, name, more)
    assert _datas(kin.call("GetRecords", ShardIterator=latest)["Records"]) == more
    assert _datas(kin.call("GetRecords", ShardIterator=first["NextShardIterator"])["Records"]) == more


def test_get_records_fields(kin, make_stream):
    name = make_stream(1, "fields")
    put = kin.call("PutRecord", StreamName=name, Data=b"\x00field-data\xff"[1:-1], PartitionKey="the-key")
    out = kin.call("GetRecords", ShardIterator=_iterator(kin, name, "TRIM_HORIZON"))
    assert len(out["Records"]) == 1
    rec = out["Records"][0]
    assert rec["SequenceNumber"] == put["SequenceNumber"]
    assert rec["Data"] == b"field-data"
    assert rec["PartitionKey"] == "the-key"
    ts = rec["ApproximateArrivalTimestamp"]
    assert isinstance(ts, datetime.datetime) and ts.tzinfo is not None
    assert abs(helpers.utcnow() - ts) < NEAR_NOW, ts
    assert isinstance(out["MillisBehindLatest"], int) and out["MillisBehindLatest"] >= 0
    assert isinstance(out["NextShardIterator"], str) and out["NextShardIterator"]
    assert "ChildShards" not in out or out["ChildShards"] == []
    tail = kin.call("GetRecords", ShardIterator=out["NextShardIterator"])
    assert tail["Records"] == []
    assert tail["MillisBehindLatest"] == 0


def test_get_records_limit(kin, make_stream):
    name = make_stream(1, "limit")
    datas = [f"L{i}".encode() for i in range(5)]
    _put_batch(kin, name, datas)
    it = _iterator(kin, name, "TRIM_HORIZON")
    pages = []
    for _ in range(4):
        out = kin.call("GetRecords", ShardIterator=it, Limit=2)
        assert isinstance(out["MillisBehindLatest"], int)
        pages.append(_datas(out["Records"]))
        it = out["NextShardIterator"]
        assert it
    assert pages == [datas[0:2], datas[2:4], datas[4:5], []]


def test_empty_shard_returns_no_records_and_next_iterator(kin, make_stream):
    name = make_stream(2, "empty")
    for kind in ("TRIM_HORIZON", "LATEST"):
        out = kin.call("GetRecords", ShardIterator=_iterator(kin, name, kind, shard=shard_id(1)))
        assert out["Records"] == []
        assert out["NextShardIterator"]
        assert out["MillisBehindLatest"] == 0


def test_at_timestamp(kin, make_stream):
    name = make_stream(1, "atts")
    kin.call("PutRecord", StreamName=name, Data=b"A", PartitionKey="k")
    a_ts = helpers.read_shard(kin, name, SHARD0)[0]["ApproximateArrivalTimestamp"].timestamp()
    boundary = math.floor(a_ts) + 1      # whole seconds: boto3 1.26 serialises timestamps as integers
    helpers.wait_until_wall_clock(boundary + 0.05)
    _put_batch(kin, name, [b"B", b"C"])
    stored = helpers.read_shard(kin, name, SHARD0)
    assert _datas(stored) == [b"A", b"B", b"C"]
    assert stored[1]["ApproximateArrivalTimestamp"].timestamp() >= boundary

    def at(ts):
        return _datas(helpers.read_shard(kin, name, SHARD0, "AT_TIMESTAMP",
                                         Timestamp=datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)))

    assert at(boundary) == [b"B", b"C"]
    assert at(math.floor(a_ts) - 3600) == [b"A", b"B", b"C"]      # before the first record -> everything

    with pytest.raises(KinesisError) as ei:
        at(helpers.utcnow().timestamp() + 3600)
    assert ei.value.type == "InvalidArgumentException"
    assert ei.value.message.startswith("The timestampInMillis parameter cannot be greater than the "
                                       "currentTimestampInMillis"), ei.value.message


@pytest.mark.parametrize("kin", ["js", "raw"], indirect=True)
def test_at_timestamp_millisecond_precision(kin, make_stream):
    """Clients that send fractional seconds (JS SDK, raw JSON) get millisecond-exact positioning."""
    name = make_stream(1, "atms")
    kin.call("PutRecord", StreamName=name, Data=b"A", PartitionKey="k")
    a_ts = helpers.read_shard(kin, name, SHARD0)[0]["ApproximateArrivalTimestamp"]
    helpers.wait_until_wall_clock(a_ts.timestamp() + 0.005)
    kin.call("PutRecord", StreamName=name, Data=b"B", PartitionKey="k")
    b_ts = helpers.read_shard(kin, name, SHARD0)[1]["ApproximateArrivalTimestamp"]
    assert b_ts > a_ts

    ms = datetime.timedelta(milliseconds=1)
    assert _datas(helpers.read_shard(kin, name, SHARD0, "AT_TIMESTAMP", Timestamp=a_ts)) == [b"A", b"B"]
    assert _datas(helpers.read_shard(kin, name, SHARD0, "AT_TIMESTAMP", Timestamp=a_ts + ms)) == [b"B"]
    # No record at/after the timestamp: the iterator sits at the tip and sees later records.
    helpers.wait_until_wall_clock(b_ts.timestamp() + 0.005)
    tip = _iterator(kin, name, "AT_TIMESTAMP", Timestamp=b_ts + ms)
    assert kin.call("GetRecords", ShardIterator=tip)["Records"] == []
    kin.call("PutRecord", StreamName=name, Data=b"C", PartitionKey="k")
    assert _datas(kin.call("GetRecords", ShardIterator=tip)["Records"]) == [b"C"]


def test_iterator_errors(kin, make_stream):
    name = make_stream(2, "iterr")

    with pytest.raises(KinesisError) as ei:
        kin.call("GetRecords", ShardIterator="bm90LWEtcmVhbC1pdGVyYXRvcg==")
    assert ei.value.type == "InvalidArgumentException"
    assert ei.value.message == "Invalid ShardIterator."

    with pytest.raises(KinesisError) as ei:
        _iterator(kin, name, "AT_SEQUENCE_NUMBER")
    assert ei.value.type == "InvalidArgumentException"
    assert ei.value.message.startswith(
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or "
        "(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber."), ei.value.message

    with pytest.raises(KinesisError) as ei:
        _iterator(kin, name, "TRIM_HORIZON", shard=shard_id(9))
    assert ei.value.type == "ResourceNotFoundException"
    # moto/kinesalite (AWS-derived) use one of these two wordings for a shard that does not exist
    assert ei.value.message in (
        f"Could not find shard {shard_id(9)} in stream {name} under account {ACCOUNT_ID}.",
        f"Shard {shard_id(9)} in stream {name} under account {ACCOUNT_ID} does not exist"), ei.value.message

    on_shard1 = kin.call("PutRecord", StreamName=name, Data=b"x", PartitionKey="k",
                         ExplicitHashKey=str(helpers.MAX_HASH_KEY))
    assert on_shard1["ShardId"] == shard_id(1)
    with pytest.raises(KinesisError) as ei:
        _iterator(kin, name, "AT_SEQUENCE_NUMBER", shard=SHARD0, StartingSequenceNumber=on_shard1["SequenceNumber"])
    assert ei.value.type == "InvalidArgumentException"
    assert ei.value.message.startswith("Invalid StartingSequenceNumber."), ei.value.message

    missing = helpers.unique_name("noiter")
    with pytest.raises(KinesisError) as ei:
        _iterator(kin, missing, "TRIM_HORIZON")
    assert ei.value.type == "ResourceNotFoundException"


@pytest.mark.parametrize("kin", ["boto3", "js"], indirect=True)
def test_iterator_from_deleted_and_recreated_stream_is_rejected(kin, raw, new_name):
    name = new_name("recreate")
    helpers.create_stream_raw(raw, name, 1)
    kin.call("PutRecord", StreamName=name, Data=b"old-life", PartitionKey="k")
    old = _iterator(kin, name, "TRIM_HORIZON")
    assert _datas(kin.call("GetRecords", ShardIterator=old)["Records"]) == [b"old-life"]

    kin.call("DeleteStream", StreamName=name)
    helpers.wait_gone(raw, name)
    helpers.create_stream_raw(raw, name, 1)
    kin.call("PutRecord", StreamName=name, Data=b"new-life", PartitionKey="k")

    with pytest.raises(KinesisError) as ei:
        kin.call("GetRecords", ShardIterator=old)
    assert ei.value.type == "ResourceNotFoundException", (ei.value.type, ei.value.message)
    assert ei.value.message == f"Shard {SHARD0} in stream {name} under account {ACCOUNT_ID} does not exist"
    assert _datas(helpers.read_shard(kin, name, SHARD0)) == [b"new-life"]


@pytest.mark.parametrize("kin", ["boto3", "js"], indirect=True)
def test_recreated_stream_never_repeats_a_sequence_number(kin, raw, new_name):
    """A stream deleted and created again under its name gets a new epoch: its numbers differ from the old
    incarnation's (and sort after them, shard by shard), and an old number (a stale checkpoint) is refused with
    InvalidArgumentException wherever the API takes one, instead of silently skipping the new records."""
    name = new_name("reseq")
    helpers.create_stream_raw(raw, name, 2)
    old = _put_batch(kin, name, [b"old-0", b"old-1", b"old-2"])
    old_shards = {s["ShardId"]: s["SequenceNumberRange"]["StartingSequenceNumber"]
                  for s in kin.call("DescribeStream", StreamName=name)["StreamDescription"]["Shards"]}

    kin.call("DeleteStream", StreamName=name)
    helpers.wait_gone(raw, name)
    helpers.create_stream_raw(raw, name, 2)
    new = _put_batch(kin, name, [b"new-0", b"new-1", b"new-2"])
    assert not set(old) & set(new), (old, new)
    assert min(int(n) for n in new) > max(int(o) for o in old)  # same shard (same key), later epoch
    new_shards = {s["ShardId"]: s["SequenceNumberRange"]["StartingSequenceNumber"]
                  for s in kin.call("DescribeStream", StreamName=name)["StreamDescription"]["Shards"]}
    assert new_shards.keys() == old_shards.keys()
    for shard in new_shards:
        assert int(new_shards[shard]) > int(old_shards[shard]), shard

    shard = kin.call("PutRecord", StreamName=name, Data=b"probe", PartitionKey="pk")["ShardId"]
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        with pytest.raises(KinesisError) as ei:
            _iterator(kin, name, kind, shard=shard, StartingSequenceNumber=old[0])
        assert ei.value.type == "InvalidArgumentException", (kind, ei.value)
        assert ei.value.message == (f"StartingSequenceNumber {old[0]} used in GetShardIterator on shard {shard} "
                                    f"in stream {name} under account {ACCOUNT_ID} is invalid."), ei.value.message
    with pytest.raises(KinesisError) as ei:
        kin.call("PutRecord", StreamName=name, Data=b"x", PartitionKey="pk", SequenceNumberForOrdering=old[-1])
    assert ei.value.type == "InvalidArgumentException", ei.value

    # The new incarnation's own numbers work as before.
    it = _iterator(kin, name, "AFTER_SEQUENCE_NUMBER", shard=shard, StartingSequenceNumber=new[0])
    assert _datas(kin.call("GetRecords", ShardIterator=it)["Records"]) == [b"new-1", b"new-2", b"probe"]
    kin.call("PutRecord", StreamName=name, Data=b"ordered", PartitionKey="pk", SequenceNumberForOrdering=new[-1])


def test_sequence_numbers_keep_their_epoch_across_a_restart(make_server):
    """The epoch is in the catalog: after a restart a stream hands out numbers of the same incarnation (still
    increasing), and a stream created then gets yet another epoch."""
    srv = make_server()
    raw = helpers.RawClient(srv.endpoint)
    name = helpers.unique_name("epochrestart")
    helpers.create_stream_raw(raw, name, 1)
    put = lambda: raw.json("PutRecord", {"StreamName": name, "PartitionKey": "k", "Data": "eA=="}).json()[
        "SequenceNumber"]
    before = put()
    srv.kill()
    srv.start()
    raw = helpers.RawClient(srv.endpoint)
    after = put()
    assert int(after) == int(before) + 1  # same shard, same epoch, next offset
    resp = raw.json("GetShardIterator", {"StreamName": name, "ShardId": SHARD0,
                                          "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": before})
    assert resp.status == 200, resp
    assert raw.json("DeleteStream", {"StreamName": name}).status == 200
    helpers.wait_gone(raw, name)
    helpers.create_stream_raw(raw, name, 1)
    again = put()
    assert again not in (before, after) and int(again) > int(after)


def test_shard_iterator_in_double_quotes_is_tolerated(raw, make_stream):
    """AWS accepts a ShardIterator wrapped in double quotes (AWS-validated LocalStack test)."""
    drv = helpers.RawJsonDriver(f"http://{raw.host_port}")
    name = make_stream(1, "quoted")
    drv.call("PutRecord", StreamName=name, Data=b"q", PartitionKey="k")
    it = _iterator(drv, name, "TRIM_HORIZON")
    assert _datas(drv.call("GetRecords", ShardIterator=f'"{it}"')["Records"]) == [b"q"]
