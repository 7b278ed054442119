"""Enhanced fan-out: registered consumers and SubscribeToShard over HTTP/1.1 (boto3, raw JSON and CBOR) and
HTTP/2 (the JS SDK v3, js/scenario_fanout.mjs).

boto3 reads the event stream itself (botocore's EventStream: prelude/message CRCs, initial-response first), so
every boto3 subscription here also checks the framing.
"""

import base64
import datetime
import http.client
import json
import re
import subprocess
import threading
import time

import pytest
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import EventStreamError

import cbor_codec
import helpers
from helpers import ACCOUNT_ID, CBOR_CONTENT_TYPE, JS_DIR, JSON_CONTENT_TYPE, REGION, TARGET_PREFIX, shard_id

READ_TIMEOUT_S = 30
# Servers with short fan-out timers, so heartbeats, lifetimes and take-overs are observable quickly.
FAST_FANOUT_ARGS = ["--limits=off", "--fanout-heartbeat-ms", "300", "--fanout-subscription-ms", "3000",
                    "--fanout-takeover-guard-ms", "1000"]


def consumer_arn_re(name, consumer):
    return rf"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{name}/consumer/{consumer}:\d+"


def register_active(boto, name, consumer):
    arn = boto.register_stream_consumer(StreamARN=helpers.stream_arn(name), ConsumerName=consumer)["Consumer"][
        "ConsumerARN"]
    helpers.poll_until(lambda: boto.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"][
        "ConsumerStatus"] == "ACTIVE", what=f"consumer {consumer} ACTIVE")
    return arn


def put(raw, name, datas, key="pk"):
    seqs = []
    for d in datas:
        resp = raw.json("PutRecord", {"StreamName": name, "Data": d, "PartitionKey": key})
        assert resp.status == 200, resp
        seqs.append(resp.json()["SequenceNumber"])
    return seqs


class Subscription:
    """A boto3 SubscribeToShard stream read on a thread, so the test can wait for events with a deadline."""

    def __init__(self, boto, arn, shard, position):
        self.out = boto.subscribe_to_shard(ConsumerARN=arn, ShardId=shard, StartingPosition=position)
        self.stream = self.out["EventStream"]
        self.events = []
        self.error = None
        self.ended = threading.Event()
        self.cv = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for ev in self.stream:
                with self.cv:
                    self.events.append(ev["SubscribeToShardEvent"])
                    self.cv.notify_all()
        except EventStreamError as e:
            self.error = e
        except Exception as e:  # a closed socket after close(): recorded, asserted by the tests that care
            self.error = e
        finally:
            self.ended.set()
            with self.cv:
                self.cv.notify_all()

    def records(self):
        with self.cv:
            return [r for ev in self.events for r in ev["Records"]]

    def wait(self, pred, what, timeout=READ_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        with self.cv:
            while not pred(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; events {self.events!r}, error {self.error!r}")
                self.cv.wait(left)

    def wait_records(self, n):
        self.wait(lambda s: len([r for ev in s.events for r in ev["Records"]]) >= n or s.ended.is_set(),
                  f"{n} records")
        return self.records()

    def wait_end(self, timeout=READ_TIMEOUT_S):
        assert self.ended.wait(timeout), f"subscription did not end; events {self.events!r}"

    def close(self):
        self.stream.close()


@pytest.fixture
def boto(server):
    return helpers.make_boto3_client(server.endpoint)


@pytest.fixture
def fast_server(make_server):
    return make_server(extra_args=FAST_FANOUT_ARGS)


# ------------------------------------------------------------------------------------------- consumers


def test_consumer_life_cycle(boto, raw, make_stream):
    name = make_stream(1, "efo")
    stream_arn = helpers.stream_arn(name)
    c = boto.register_stream_consumer(StreamARN=stream_arn, ConsumerName="dash")["Consumer"]
    assert c["ConsumerName"] == "dash" and c["ConsumerStatus"] == "CREATING"
    assert re.fullmatch(consumer_arn_re(name, "dash"), c["ConsumerARN"])
    assert int(c["ConsumerARN"].rsplit(":", 1)[1]) == int(c["ConsumerCreationTimestamp"].timestamp())
    arn = register_active(boto, name, "audit")
    helpers.poll_until(lambda: boto.describe_stream_consumer(StreamARN=stream_arn, ConsumerName="dash")[
        "ConsumerDescription"]["ConsumerStatus"] == "ACTIVE", what="dash ACTIVE")
    d = boto.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]
    assert d["ConsumerName"] == "audit" and d["StreamARN"] == stream_arn and d["ConsumerARN"] == arn
    listed = boto.list_stream_consumers(StreamARN=stream_arn)["Consumers"]
    assert [x["ConsumerName"] for x in listed] == ["dash", "audit"]
    assert helpers.describe_summary_raw(raw, name)["ConsumerCount"] == 2

    with pytest.raises(boto.exceptions.ResourceInUseException):
        boto.register_stream_consumer(StreamARN=stream_arn, ConsumerName="dash")

    boto.deregister_stream_consumer(ConsumerARN=arn)
    assert boto.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]["ConsumerStatus"] == "DELETING"

    def gone():
        try:
            boto.describe_stream_consumer(ConsumerARN=arn)
            return False
        except boto.exceptions.ResourceNotFoundException:
            return True
    helpers.poll_until(gone, what="consumer gone")
    boto.deregister_stream_consumer(StreamARN=stream_arn, ConsumerName="dash")
    helpers.poll_until(lambda: not boto.list_stream_consumers(StreamARN=stream_arn)["Consumers"],
                       what="no consumers")
    assert helpers.describe_summary_raw(raw, name)["ConsumerCount"] == 0
    with pytest.raises(boto.exceptions.ResourceNotFoundException):
        boto.deregister_stream_consumer(StreamARN=stream_arn, ConsumerName="dash")


def test_consumer_arguments_must_name_one_consumer(raw, make_stream):
    name = make_stream(1, "efoarg")
    resp = raw.json("DescribeStreamConsumer", {"StreamARN": helpers.stream_arn(name)})
    assert resp.status == 400 and resp.json()["__type"] == "InvalidArgumentException", resp
    resp = raw.json("DescribeStreamConsumer", {"ConsumerARN": helpers.stream_arn(name) + "/consumer/x:1",
                                               "ConsumerName": "y"})
    assert resp.status == 400 and resp.json()["__type"] == "InvalidArgumentException", resp
    resp = raw.json("DescribeStreamConsumer", {"ConsumerARN": helpers.stream_arn(name) + "/consumer/x:1"})
    assert resp.status == 400 and resp.json()["__type"] == "ResourceNotFoundException", resp
    resp = raw.json("RegisterStreamConsumer", {"StreamARN": helpers.stream_arn(name + "-missing"),
                                               "ConsumerName": "x"})
    assert resp.status == 400 and resp.json()["__type"] == "ResourceNotFoundException", resp


def test_consumer_limit_and_paging(boto, make_stream):
    name = make_stream(1, "efolim")
    stream_arn = helpers.stream_arn(name)
    for batch in range(4):
        for i in range(5):
            boto.register_stream_consumer(StreamARN=stream_arn, ConsumerName=f"c{batch * 5 + i:02d}")
        helpers.poll_until(lambda: all(c["ConsumerStatus"] == "ACTIVE" for c in boto.list_stream_consumers(
            StreamARN=stream_arn)["Consumers"]), what="consumers ACTIVE")
    with pytest.raises(boto.exceptions.LimitExceededException):
        boto.register_stream_consumer(StreamARN=stream_arn, ConsumerName="c20")
    names, token = [], None
    for _ in range(10):
        kw = {"NextToken": token} if token else {}
        page = boto.list_stream_consumers(StreamARN=stream_arn, MaxResults=7, **kw)
        names += [c["ConsumerName"] for c in page["Consumers"]]
        token = page.get("NextToken")
        if not token:
            break
    assert names == [f"c{i:02d}" for i in range(20)]


def test_at_most_five_consumers_creating(make_server):
    srv = make_server(state_delay_ms=5000)
    boto = helpers.make_boto3_client(srv.endpoint)
    raw = helpers.RawClient(srv.endpoint)
    assert raw.json("CreateStream", {"StreamName": "lim5", "ShardCount": 1}).status == 200
    helpers.wait_active(raw, "lim5", timeout=20)
    for i in range(5):
        boto.register_stream_consumer(StreamARN=helpers.stream_arn("lim5"), ConsumerName=f"c{i}")
    with pytest.raises(boto.exceptions.LimitExceededException):
        boto.register_stream_consumer(StreamARN=helpers.stream_arn("lim5"), ConsumerName="c5")


def test_delete_stream_with_consumers_needs_enforce(boto, raw, make_stream):
    name = make_stream(1, "efodel")
    register_active(boto, name, "c")
    resp = raw.json("DeleteStream", {"StreamName": name})
    assert resp.status == 400 and resp.json()["__type"] == "ResourceInUseException", resp
    assert raw.json("DeleteStream", {"StreamName": name, "EnforceConsumerDeletion": True}).status == 200
    helpers.wait_gone(raw, name)


def test_tags_on_consumer_arns(boto, raw, make_stream):
    name = make_stream(1, "efotag")
    arn = register_active(boto, name, "c")
    assert raw.json("TagResource", {"ResourceARN": arn, "Tags": {"team": "x", "env": "dev"}}).status == 200
    assert raw.json("UntagResource", {"ResourceARN": arn, "TagKeys": ["env"]}).status == 200
    tags = raw.json("ListTagsForResource", {"ResourceARN": arn}).json()["Tags"]
    assert tags == [{"Key": "team", "Value": "x"}]
    # The stream's own tags are a different set.
    assert raw.json("ListTagsForResource", {"ResourceARN": helpers.stream_arn(name)}).json()["Tags"] == []
    resp = raw.json("ListTagsForResource", {"ResourceARN": helpers.stream_arn(name) + "/consumer/nobody:1"})
    assert resp.status == 400 and resp.json()["__type"] == "ResourceNotFoundException", resp


# ------------------------------------------------------------------------------------------- SubscribeToShard


def test_trim_horizon_history_then_live_in_order(boto, raw, make_stream):
    name = make_stream(1, "efoth")
    arn = register_active(boto, name, "c")
    history = put(raw, name, [base64.b64encode(f"h{i}".encode()).decode() for i in range(5)])
    sub = Subscription(boto, arn, shard_id(0), {"Type": "TRIM_HORIZON"})
    try:
        got = sub.wait_records(5)
        assert [r["Data"] for r in got] == [f"h{i}".encode() for i in range(5)]
        assert [r["SequenceNumber"] for r in got] == history
        live = put(raw, name, [base64.b64encode(f"l{i}".encode()).decode() for i in range(5)])
        got = sub.wait_records(10)
        assert [r["SequenceNumber"] for r in got] == history + live
        assert all(r["PartitionKey"] == "pk" and isinstance(r["ApproximateArrivalTimestamp"], datetime.datetime)
                   for r in got)
        last = sub.events[-1]
        assert last["ContinuationSequenceNumber"] == live[-1]
        assert last["MillisBehindLatest"] == 0
        assert sub.error is None
    finally:
        sub.close()


def _metric(raw, family, **labels):
    """The value of one series of GET /metrics (None when it is absent)."""
    text = raw.request(method="GET", path="/metrics", sign=False, content_type=None).body.decode()
    want = {k: str(v) for k, v in labels.items()}
    for line in text.splitlines():
        m = re.fullmatch(r"(\w+)\{(.*)\} (\S+)", line)
        if m and m.group(1) == family and dict(re.findall(r'(\w+)="([^"]*)"', m.group(2))) == want:
            return float(m.group(3))
    return None


def test_pushes_count_as_the_shards_outgoing_bytes_and_records(boto, raw, make_stream):
    """CloudWatch's shard-level OutgoingBytes/OutgoingRecords count what is retrieved from the shard, by
    GetRecords and by SubscribeToShard events alike; the stream-level GetRecords.* stay polling only and the
    pushes are the consumer's SubscribeToShardEvent.*."""
    name = make_stream(1, "efoout")
    boto.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["OutgoingBytes", "OutgoingRecords"])
    arn = register_active(boto, name, "c")
    datas = [b"one", b"three", b"seventeen"]
    put(raw, name, [base64.b64encode(d).decode() for d in datas])
    stream = {"account": ACCOUNT_ID, "region": REGION, "stream_name": name}
    shard = dict(stream, shard_id=shard_id(0))
    assert _metric(raw, "spate_kinesis_shard_outgoing_records_total", **shard) == 0
    sub = Subscription(boto, arn, shard_id(0), {"Type": "TRIM_HORIZON"})
    try:
        sub.wait_records(3)
    finally:
        sub.close()
    pushed_bytes = sum(len(d) + len("pk") for d in datas)
    assert _metric(raw, "spate_kinesis_shard_outgoing_records_total", **shard) == 3
    assert _metric(raw, "spate_kinesis_shard_outgoing_bytes_total", **shard) == pushed_bytes
    assert _metric(raw, "spate_kinesis_subscribe_to_shard_event_records_total", **stream, consumer_name="c") == 3
    assert _metric(raw, "spate_kinesis_subscribe_to_shard_event_bytes_total", **stream, consumer_name="c") == \
        pushed_bytes
    assert _metric(raw, "spate_kinesis_get_records_records_total", **stream) == 0
    # A GetRecords of the same records adds to the shard's outgoing counters too.
    it = boto.get_shard_iterator(StreamName=name, ShardId=shard_id(0),
                                 ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert len(boto.get_records(ShardIterator=it)["Records"]) == 3
    assert _metric(raw, "spate_kinesis_shard_outgoing_records_total", **shard) == 6
    assert _metric(raw, "spate_kinesis_shard_outgoing_bytes_total", **shard) == 2 * pushed_bytes
    assert _metric(raw, "spate_kinesis_get_records_records_total", **stream) == 3


def test_resume_from_continuation_sequence_number(boto, raw, make_stream):
    name = make_stream(1, "eforesume")
    arn = register_active(boto, name, "c")
    first = put(raw, name, [base64.b64encode(b"a").decode(), base64.b64encode(b"b").decode()])
    sub = Subscription(boto, arn, shard_id(0), {"Type": "TRIM_HORIZON"})
    try:
        sub.wait_records(2)
        cont = sub.events[-1]["ContinuationSequenceNumber"]
    finally:
        sub.close()
    assert cont == first[-1]
    later = put(raw, name, [base64.b64encode(b"c").decode()])
    # Resubscribing AFTER the continuation point sees only what followed (retried while the closed
    # subscription is still inside the take-over guard).
    sub2 = _subscribe_retrying(boto, arn, shard_id(0),
                               {"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": cont})
    try:
        got = sub2.wait_records(1)
        assert [r["SequenceNumber"] for r in got] == later
    finally:
        sub2.close()
    sub3 = _subscribe_retrying(boto, arn, shard_id(0), {"Type": "AT_SEQUENCE_NUMBER", "SequenceNumber": first[1]})
    try:
        got = sub3.wait_records(2)
        assert [r["SequenceNumber"] for r in got] == first[1:] + later
    finally:
        sub3.close()


def test_continuation_before_any_record_does_not_skip_the_first(fast_server):
    """The KCL resubscribes AFTER_SEQUENCE_NUMBER the last continuation; on a shard that had no record yet that
    continuation is the shard's StartingSequenceNumber, which (as on AWS) is no record's number: the first
    record written afterwards must still be delivered, and GetShardIterator AFTER it reads that record too."""
    boto = helpers.make_boto3_client(fast_server.endpoint)
    raw = helpers.RawClient(fast_server.endpoint)
    raw.json("CreateStream", {"StreamName": "quiet", "ShardCount": 1})
    helpers.wait_active(raw, "quiet")
    arn = register_active(boto, "quiet", "c")
    start = boto.describe_stream(StreamName="quiet")["StreamDescription"]["Shards"][0]["SequenceNumberRange"][
        "StartingSequenceNumber"]
    sub = Subscription(boto, arn, shard_id(0), {"Type": "TRIM_HORIZON"})
    try:
        sub.wait(lambda s: len(s.events) >= 1, "a heartbeat")
        cont = sub.events[0]["ContinuationSequenceNumber"]
    finally:
        sub.close()
    assert cont == start
    first = put(raw, "quiet", [base64.b64encode(b"first").decode()])
    assert int(first[0]) > int(start)
    sub2 = _subscribe_retrying(boto, arn, shard_id(0), {"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": cont})
    try:
        got = sub2.wait_records(1)
        assert [r["SequenceNumber"] for r in got] == first
    finally:
        sub2.close()
    it = boto.get_shard_iterator(StreamName="quiet", ShardId=shard_id(0), ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                 StartingSequenceNumber=start)["ShardIterator"]
    assert [r["Data"] for r in boto.get_records(ShardIterator=it)["Records"]] == [b"first"]
    it = boto.get_shard_iterator(StreamName="quiet", ShardId=shard_id(0), ShardIteratorType="AT_SEQUENCE_NUMBER",
                                 StartingSequenceNumber=start)["ShardIterator"]
    assert [r["Data"] for r in boto.get_records(ShardIterator=it)["Records"]] == [b"first"]


def _subscribe_retrying(boto, arn, shard, position, timeout=15):
    """Subscribes, retrying while the previous subscription of this consumer is inside the 5 s guard (as the
    KCL does on ResourceInUseException)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Subscription(boto, arn, shard, position)
        except boto.exceptions.ResourceInUseException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_latest_and_at_timestamp(boto, raw, make_stream):
    name = make_stream(1, "efolatest")
    a1 = register_active(boto, name, "latest")
    a2 = register_active(boto, name, "ts")
    before = put(raw, name, [base64.b64encode(b"old").decode()])
    # botocore 1.29 sends JSON timestamps as whole epoch seconds: mark the start of the next second.
    mark_s = int(time.time()) + 1
    helpers.wait_until_wall_clock(mark_s + 0.01)
    mark = datetime.datetime.fromtimestamp(mark_s, datetime.timezone.utc)
    after = put(raw, name, [base64.b64encode(b"mid").decode()])
    latest = Subscription(boto, a1, shard_id(0), {"Type": "LATEST"})
    at_ts = Subscription(boto, a2, shard_id(0), {"Type": "AT_TIMESTAMP", "Timestamp": mark})
    try:
        newest = put(raw, name, [base64.b64encode(b"new").decode()])
        assert [r["SequenceNumber"] for r in latest.wait_records(1)] == newest
        assert [r["SequenceNumber"] for r in at_ts.wait_records(2)] == after + newest
        assert before[0] not in [r["SequenceNumber"] for r in at_ts.records()]
    finally:
        latest.close()
        at_ts.close()


def test_subscribe_errors(boto, raw, make_stream):
    name = make_stream(1, "efoerr")
    arn = register_active(boto, name, "c")
    with pytest.raises(boto.exceptions.ResourceNotFoundException):
        boto.subscribe_to_shard(ConsumerARN=arn, ShardId=shard_id(7), StartingPosition={"Type": "LATEST"})
    with pytest.raises(boto.exceptions.ResourceNotFoundException):
        boto.subscribe_to_shard(ConsumerARN=arn.rsplit(":", 1)[0] + ":1", ShardId=shard_id(0),
                                StartingPosition={"Type": "LATEST"})
    with pytest.raises(boto.exceptions.InvalidArgumentException):
        boto.subscribe_to_shard(ConsumerARN=arn, ShardId=shard_id(0),
                                StartingPosition={"Type": "AT_SEQUENCE_NUMBER"})
    with pytest.raises(boto.exceptions.InvalidArgumentException):
        boto.subscribe_to_shard(ConsumerARN=arn, ShardId=shard_id(0), StartingPosition={
            "Type": "AT_TIMESTAMP", "Timestamp": helpers.utcnow() + datetime.timedelta(hours=1)})
    c2 = boto.register_stream_consumer(StreamARN=helpers.stream_arn(name), ConsumerName="new")["Consumer"]
    if c2["ConsumerStatus"] == "CREATING":
        try:
            boto.subscribe_to_shard(ConsumerARN=c2["ConsumerARN"], ShardId=shard_id(0),
                                    StartingPosition={"Type": "LATEST"})
        except boto.exceptions.ResourceInUseException:
            pass
        except Exception as e:  # the consumer may have become ACTIVE meanwhile (50 ms state delay)
            raise AssertionError(f"unexpected {e!r}")


def test_second_subscription_refused_then_takes_over(fast_server):
    boto = helpers.make_boto3_client(fast_server.endpoint)
    raw = helpers.RawClient(fast_server.endpoint)
    raw.json("CreateStream", {"StreamName": "take", "ShardCount": 1})
    helpers.wait_active(raw, "take")
    arn = register_active(boto, "take", "c")
    first = Subscription(boto, arn, shard_id(0), {"Type": "LATEST"})
    started = time.monotonic()
    try:
        with pytest.raises(boto.exceptions.ResourceInUseException) as e:
            boto.subscribe_to_shard(ConsumerARN=arn, ShardId=shard_id(0), StartingPosition={"Type": "LATEST"})
        assert time.monotonic() - started < 1.0, "the guard window passed before the check; rerun"
        assert "Another active subscription exists for this consumer" in str(e.value)
        helpers.wait_until_wall_clock(time.time() + 1.05)
        second = Subscription(boto, arn, shard_id(0), {"Type": "LATEST"})
        try:
            first.wait_end()
            assert isinstance(first.error, EventStreamError), first.error
            assert first.error.response["Error"]["Code"] == "ResourceInUseException"
            seqs = put(raw, "take", [base64.b64encode(b"x").decode()])
            assert [r["SequenceNumber"] for r in second.wait_records(1)] == seqs
        finally:
            second.close()
    finally:
        first.close()


def test_heartbeats_and_subscription_lifetime(fast_server):
    boto = helpers.make_boto3_client(fast_server.endpoint)
    raw = helpers.RawClient(fast_server.endpoint)
    raw.json("CreateStream", {"StreamName": "hb", "ShardCount": 1})
    helpers.wait_active(raw, "hb")
    arn = register_active(boto, "hb", "c")
    started = time.monotonic()
    sub = Subscription(boto, arn, shard_id(0), {"Type": "TRIM_HORIZON"})
    try:
        sub.wait(lambda s: len(s.events) >= 2, "two heartbeats")
        assert all(ev["Records"] == [] for ev in sub.events)
        assert all(helpers.is_sequence_number(ev["ContinuationSequenceNumber"]) for ev in sub.events)
        sub.wait_end(timeout=20)
        assert sub.error is None, sub.error
        lifetime = time.monotonic() - started
        assert 2.5 < lifetime < 15, lifetime
        assert len(sub.events) >= 5  # 3 s at 300 ms heartbeats
    finally:
        sub.close()


def test_deregistering_ends_the_stream(boto, make_stream):
    name = make_stream(1, "efodereg")
    arn = register_active(boto, name, "c")
    sub = Subscription(boto, arn, shard_id(0), {"Type": "LATEST"})
    try:
        boto.deregister_stream_consumer(ConsumerARN=arn)
        sub.wait_end()
        assert isinstance(sub.error, EventStreamError), sub.error
        assert sub.error.response["Error"]["Code"] == "ResourceNotFoundException"
    finally:
        sub.close()


def test_many_subscribers_each_get_every_record(boto, raw, make_stream):
    name = make_stream(2, "efomany")
    arns = [register_active(boto, name, f"c{i}") for i in range(5)]
    subs = [Subscription(boto, a, shard_id(s), {"Type": "LATEST"}) for a in arns for s in range(2)]
    try:
        seqs = put(raw, name, [base64.b64encode(f"r{i}".encode()).decode() for i in range(20)], key="k")
        seqs += put(raw, name, [base64.b64encode(f"q{i}".encode()).decode() for i in range(20)], key="other-key-9")
        shards = helpers.list_all_shards_raw(raw, name)
        expect = {shard_id(0): [], shard_id(1): []}
        for key, chunk in (("k", seqs[:20]), ("other-key-9", seqs[20:])):
            expect[helpers.shard_for_hash(shards, helpers.hash_key(key))] += chunk
        for i, sub in enumerate(subs):
            want = expect[shard_id(i % 2)]
            got = sub.wait_records(len(want)) if want else []
            assert [r["SequenceNumber"] for r in got] == want
    finally:
        for s in subs:
            s.close()


def test_split_ends_subscription_with_child_shards(boto, raw, make_stream):
    name = make_stream(1, "efosplit")
    arn = register_active(boto, name, "c")
    sub = Subscription(boto, arn, shard_id(0), {"Type": "TRIM_HORIZON"})
    try:
        seqs = put(raw, name, [base64.b64encode(b"before").decode()])
        sub.wait_records(1)
        resp = raw.json("SplitShard", {"StreamName": name, "ShardToSplit": shard_id(0),
                                       "NewStartingHashKey": str(2**127)})
        if resp.status == 400 and resp.json().get("__type", "").endswith("UnknownOperationException"):
            pytest.skip("SplitShard is not served on this branch yet")
        assert resp.status == 200, resp
        sub.wait_end()
        assert sub.error is None, sub.error
        last = sub.events[-1]
        assert sorted(c["ShardId"] for c in last["ChildShards"]) == [shard_id(1), shard_id(2)]
        assert all(c["ParentShards"] == [shard_id(0)] for c in last["ChildShards"])
        assert [r["SequenceNumber"] for r in sub.records()] == seqs
    finally:
        sub.close()


# ------------------------------------------------------------------------------------------- raw framing


def _raw_subscribe(server, body, content_type):
    raw = helpers.RawClient(server.endpoint)
    headers = helpers.sigv4_headers(raw.host_port, body, {"Content-Type": content_type,
                                                          "X-Amz-Target": f"{TARGET_PREFIX}.SubscribeToShard"})
    conn = http.client.HTTPConnection(raw.host, raw.port, timeout=READ_TIMEOUT_S)
    conn.request("POST", "/", body=body, headers=headers)
    return conn, conn.getresponse()


def _read_messages(resp, n):
    buf = EventStreamBuffer()
    msgs = []
    while len(msgs) < n:
        chunk = resp.read1(65536)
        if not chunk:
            break
        buf.add_data(chunk)
        msgs.extend(buf)
    return msgs


@pytest.mark.parametrize("encoding", ["json", "cbor"])
def test_raw_event_stream_framing_over_http1(server, boto, raw, make_stream, encoding):
    name = make_stream(1, f"eforaw{encoding}")
    arn = register_active(boto, name, "c")
    seqs = put(raw, name, [base64.b64encode(b"\x00\xffbin").decode()])
    params = {"ConsumerARN": arn, "ShardId": shard_id(0), "StartingPosition": {"Type": "TRIM_HORIZON"}}
    if encoding == "json":
        conn, resp = _raw_subscribe(server, json.dumps(params).encode(), JSON_CONTENT_TYPE)
    else:
        conn, resp = _raw_subscribe(server, cbor_codec.dumps(params), CBOR_CONTENT_TYPE)
    try:
        assert resp.status == 200
        assert resp.getheader("Content-Type") == "application/vnd.amazon.eventstream"
        assert resp.getheader("Transfer-Encoding") == "chunked"
        assert resp.getheader("x-amzn-RequestId")
        msgs = _read_messages(resp, 2)
        first, second = msgs[0], msgs[1]
        assert first.headers[":message-type"] == "event" and first.headers[":event-type"] == "initial-response"
        assert second.headers[":event-type"] == "SubscribeToShardEvent"
        assert second.headers[":content-type"] == "application/json"
        ev = json.loads(second.payload)  # JSON even for a CBOR request
        assert [r["SequenceNumber"] for r in ev["Records"]] == seqs
        assert base64.b64decode(ev["Records"][0]["Data"]) == b"\x00\xffbin"
    finally:
        conn.close()


def test_subscribe_error_before_stream_is_plain_response(server, boto, make_stream):
    name = make_stream(1, "eforawerr")
    arn = register_active(boto, name, "c")
    params = {"ConsumerARN": arn, "ShardId": shard_id(3), "StartingPosition": {"Type": "LATEST"}}
    conn, resp = _raw_subscribe(server, json.dumps(params).encode(), JSON_CONTENT_TYPE)
    try:
        assert resp.status == 400
        assert resp.getheader("Content-Type") == JSON_CONTENT_TYPE
        assert json.loads(resp.read())["__type"] == "ResourceNotFoundException"
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------- JS SDK v3 (HTTP/2)


def test_js_sdk_subscribes_over_http2(node_bin, js_deps, server, boto, raw, make_stream):
    name = make_stream(1, "efojs")
    arn = register_active(boto, name, "js")
    history = put(raw, name, [base64.b64encode(f"h{i}".encode()).decode() for i in range(3)])
    p = subprocess.Popen([node_bin, str(JS_DIR / "scenario_fanout.mjs"), server.endpoint, arn, shard_id(0), "6"],
                         cwd=str(JS_DIR), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The script prints "subscribed" once the history arrived; then live records follow.
        line = p.stdout.readline()
        assert line.strip() == "subscribed", line + p.stderr.read()
        live = put(raw, name, [base64.b64encode(f"l{i}".encode()).decode() for i in range(3)])
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["handler"] == "NodeHttp2Handler"
    assert result["h2Sessions"] >= 1 and result["http1Requests"] == 0
    assert result["seqs"] == history + live
    assert result["datas"] == [f"h{i}" for i in range(3)] + [f"l{i}" for i in range(3)]
    assert result["continuation"] == live[-1]
