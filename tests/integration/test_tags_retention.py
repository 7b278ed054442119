"""Stream settings: tags (legacy and ARN-based, one store), retention period, DescribeLimits, enhanced monitoring."""

import pytest

import helpers
from helpers import KinesisError, require, stream_arn

MAX_TAGS_PER_STREAM = 50


def _tags(kin, name, **kw):
    out = kin.call("ListTagsForStream", StreamName=name, **kw)
    return {t["Key"]: t.get("Value", "") for t in out["Tags"]}, out["HasMoreTags"]


def _resource_tags(kin, arn):
    return {t["Key"]: t.get("Value", "") for t in kin.call("ListTagsForResource", ResourceARN=arn)["Tags"]}


# ------------------------------------------------------------------------------------------------ tags

def test_stream_tags_add_list_remove(kin, make_stream):
    name = make_stream(1, "tags")
    assert _tags(kin, name) == ({}, False)
    assert kin.call("AddTagsToStream", StreamName=name, Tags={"env": "test", "team": "spate", "empty": ""}) == {}
    assert _tags(kin, name) == ({"env": "test", "team": "spate", "empty": ""}, False)

    kin.call("AddTagsToStream", StreamName=name, Tags={"env": "prod"})          # overwrite
    assert _tags(kin, name)[0] == {"env": "prod", "team": "spate", "empty": ""}

    kin.call("RemoveTagsFromStream", StreamName=name, TagKeys=["team", "no-such-key"])   # unknown keys ignored
    assert _tags(kin, name)[0] == {"env": "prod", "empty": ""}

    kin.call("AddTagsToStream", StreamName=name, Tags={"a": "1", "b": "2", "c": "3"})
    everything, _ = _tags(kin, name)
    page, more = _tags(kin, name, Limit=2)
    assert len(page) == 2 and more is True
    rest, more = _tags(kin, name, ExclusiveStartTagKey=sorted(page)[-1])
    assert more is False
    assert {**page, **rest} == everything


@pytest.mark.parametrize("kin", ["boto3", "cli", "js", "raw"], indirect=True)
def test_legacy_and_arn_tag_operations_share_one_store(kin, make_stream):
    require(kin, "TagResource")
    require(kin, "ListTagsForResource")
    require(kin, "UntagResource")
    name = make_stream(1, "tagstore")
    arn = stream_arn(name)

    kin.call("AddTagsToStream", StreamName=name, Tags={"legacy": "1"})
    assert _resource_tags(kin, arn) == {"legacy": "1"}
    kin.call("TagResource", ResourceARN=arn, Tags={"modern": "2"})
    assert _tags(kin, name)[0] == {"legacy": "1", "modern": "2"}
    assert _resource_tags(kin, arn) == {"legacy": "1", "modern": "2"}

    kin.call("UntagResource", ResourceARN=arn, TagKeys=["legacy"])
    assert _tags(kin, name)[0] == {"modern": "2"}
    kin.call("RemoveTagsFromStream", StreamName=name, TagKeys=["modern"])
    assert _resource_tags(kin, arn) == {}

    with pytest.raises(KinesisError) as ei:
        kin.call("ListTagsForResource", ResourceARN=stream_arn(helpers.unique_name("untagged")))
    assert ei.value.type == "ResourceNotFoundException"


@pytest.mark.parametrize("kin", ["boto3", "js"], indirect=True)
def test_more_than_50_tags_is_rejected(kin, make_stream):
    """kinesalite's AWS-derived tests: exceeding the per-stream tag limit is InvalidArgumentException
    ("Failed to add tags to stream S under account A because a given stream cannot have more than N tags
    associated with it."), and nothing is added."""
    name = make_stream(1, "manytags")
    kin.call("AddTagsToStream", StreamName=name, Tags={f"k{i:02d}": str(i) for i in range(30)})
    kin.call("AddTagsToStream", StreamName=name, Tags={f"k{i:02d}": str(i) for i in range(30, MAX_TAGS_PER_STREAM)})
    kin.call("AddTagsToStream", StreamName=name, Tags={"k00": "overwrite-is-not-a-new-tag"})
    assert len(_tags(kin, name)[0]) == MAX_TAGS_PER_STREAM

    with pytest.raises(KinesisError) as ei:
        kin.call("AddTagsToStream", StreamName=name, Tags={"one-too-many": "x"})
    assert ei.value.type == "InvalidArgumentException", (ei.value.type, ei.value.message)
    assert "cannot have more than" in ei.value.message
    tags = _tags(kin, name)[0]
    assert len(tags) == MAX_TAGS_PER_STREAM and "one-too-many" not in tags


INVALID_CHARACTERS = ("Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, "
                      "_ . / = + - % @ :.")
ILLEGAL_PERCENT = ("because some tags contained illegal characters. The allowed characters are Unicode letters, "
                   "white-spaces, '_',',','/','=','+','-','@',':'.")
# Accepted as AWS accepts them: letters of any script (accented, CJK), digits, \p{Z} spaces, _ . : / = + - @.
GOOD_TAG_TEXTS = ["Café-Zürich", "ñandú 東京", "a_b.c:d/e=f+g-h@i", "x\u00a0y", "٣"]
# Refused: controls (tab, newline), punctuation outside the list, symbols (emoji).
BAD_TAG_TEXTS = ["a\tb", "a\nb", "a;b", "a,b", "rocket\U0001F680", "a*b", "a#b"]


@pytest.mark.parametrize("kin", ["boto3", "js"], indirect=True)
def test_tag_characters_as_aws_checks_them(kin, make_stream):
    require(kin, "TagResource")
    require(kin, "UntagResource")
    name = make_stream(1, "tagchars")
    arn = stream_arn(name)
    good = {f"k{i}-{text}": text for i, text in enumerate(GOOD_TAG_TEXTS)}
    kin.call("AddTagsToStream", StreamName=name, Tags=good)
    assert _tags(kin, name)[0] == good
    kin.call("RemoveTagsFromStream", StreamName=name, TagKeys=list(good))
    kin.call("TagResource", ResourceARN=arn, Tags=good)
    assert _resource_tags(kin, arn) == good
    kin.call("UntagResource", ResourceARN=arn, TagKeys=list(good))
    assert _tags(kin, name)[0] == {}

    calls = [("AddTagsToStream (key)", lambda t: kin.call("AddTagsToStream", StreamName=name, Tags={t: "v"})),
             ("AddTagsToStream (value)", lambda t: kin.call("AddTagsToStream", StreamName=name, Tags={"k": t})),
             ("TagResource (key)", lambda t: kin.call("TagResource", ResourceARN=arn, Tags={t: "v"})),
             ("TagResource (value)", lambda t: kin.call("TagResource", ResourceARN=arn, Tags={"k": t})),
             ("RemoveTagsFromStream", lambda t: kin.call("RemoveTagsFromStream", StreamName=name, TagKeys=[t])),
             ("UntagResource", lambda t: kin.call("UntagResource", ResourceARN=arn, TagKeys=[t]))]
    for text in BAD_TAG_TEXTS:
        for what, call in calls:
            with pytest.raises(KinesisError) as ei:
                call(text)
            assert (ei.value.type, ei.value.message) == ("InvalidArgumentException", INVALID_CHARACTERS), \
                (what, text)
    account = helpers.ACCOUNT_ID
    for what, call in calls:
        with pytest.raises(KinesisError) as ei:
            call("50%")
        verb = "remove tags from" if what in ("RemoveTagsFromStream", "UntagResource") else "add tags to"
        assert (ei.value.type, ei.value.message) == (
            "InvalidArgumentException", f"Failed to {verb} stream {name} under account {account} {ILLEGAL_PERCENT}"), what
    assert _tags(kin, name)[0] == {}


@pytest.mark.parametrize("kin", ["boto3", "js"], indirect=True)
def test_tag_keys_beginning_with_aws_are_reserved(kin, make_stream):
    require(kin, "TagResource")
    require(kin, "UntagResource")
    name = make_stream(1, "tagaws")
    arn = stream_arn(name)
    for key in ("aws:owner", "AWS:owner", "Aws:x"):
        for op, params in (("AddTagsToStream", {"StreamName": name, "Tags": {key: "v"}}),
                           ("TagResource", {"ResourceARN": arn, "Tags": {key: "v"}}),
                           ("RemoveTagsFromStream", {"StreamName": name, "TagKeys": [key]}),
                           ("UntagResource", {"ResourceARN": arn, "TagKeys": [key]})):
            with pytest.raises(KinesisError) as ei:
                kin.call(op, **params)
            assert ei.value.type == "InvalidArgumentException", (op, key)
            assert "reserved" in ei.value.message and name in ei.value.message, (op, key, ei.value.message)
    # Only the prefix is reserved: elsewhere in a key, and in a value, "aws:" is fine.
    kin.call("AddTagsToStream", StreamName=name, Tags={"not-aws:x": "aws:value", "aws": "x"})
    assert _tags(kin, name)[0] == {"not-aws:x": "aws:value", "aws": "x"}


def test_create_stream_checks_its_tags(raw, new_name):
    name = new_name("tagcreate")
    for tags in ({"a;b": "v"}, {"k": "tab\there"}, {"k": "\U0001F600"}):
        resp = raw.json("CreateStream", {"StreamName": name, "ShardCount": 1, "Tags": tags})
        assert resp.status == 400, resp
        assert resp.json() == {"__type": "InvalidArgumentException", "message": INVALID_CHARACTERS}, tags
    resp = raw.json("CreateStream", {"StreamName": name, "ShardCount": 1, "Tags": {"aws:k": "v"}})
    assert resp.status == 400 and resp.json()["__type"] == "InvalidArgumentException", resp
    assert helpers.describe_summary_raw(raw, name) is None  # nothing was created
    resp = raw.json("CreateStream", {"StreamName": name, "ShardCount": 1, "Tags": {"café": "São Paulo"}})
    assert resp.status == 200, resp
    helpers.wait_active(raw, name)
    assert raw.json("ListTagsForStream", {"StreamName": name}).json()["Tags"] == [{"Key": "café",
                                                                                    "Value": "São Paulo"}]


def test_tags_on_missing_stream(kin):
    name = helpers.unique_name("notags")
    for op, params in (("AddTagsToStream", {"Tags": {"a": "b"}}), ("ListTagsForStream", {}),
                       ("RemoveTagsFromStream", {"TagKeys": ["a"]})):
        with pytest.raises(KinesisError) as ei:
            kin.call(op, StreamName=name, **params)
        assert ei.value.type == "ResourceNotFoundException", op


# ------------------------------------------------------------------------------------------------ retention

def _retention(kin, name):
    return kin.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"]


def test_retention_period(kin, make_stream):
    name = make_stream(1, "retention")
    assert _retention(kin, name) == 24
    assert kin.call("IncreaseStreamRetentionPeriod", StreamName=name, RetentionPeriodHours=48) == {}
    assert _retention(kin, name) == 48
    assert kin.call("DecreaseStreamRetentionPeriod", StreamName=name, RetentionPeriodHours=36) == {}
    assert _retention(kin, name) == 36

    cases = [
        ("IncreaseStreamRetentionPeriod", 12,
         "Minimum allowed retention period is 24 hours. Requested retention period (12 hours) is too short."),
        ("DecreaseStreamRetentionPeriod", 23,
         "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short."),
        ("IncreaseStreamRetentionPeriod", 8761,
         "Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long."),
        ("DecreaseStreamRetentionPeriod", 40,
         f"Requested retention period (40 hours) for stream {name} can not be longer than existing retention "
         f"period (36 hours). Use IncreaseRetentionPeriod API."),
        ("IncreaseStreamRetentionPeriod", 30,
         f"Requested retention period (30 hours) for stream {name} can not be shorter than existing retention "
         f"period (36 hours). Use DecreaseRetentionPeriod API."),
    ]
    for op, hours, message in cases:
        with pytest.raises(KinesisError) as ei:
            kin.call(op, StreamName=name, RetentionPeriodHours=hours)
        assert ei.value.type == "InvalidArgumentException", (op, hours)
        assert ei.value.message == message, (op, hours)
    assert _retention(kin, name) == 36

    kin.call("IncreaseStreamRetentionPeriod", StreamName=name, RetentionPeriodHours=8760)
    assert _retention(kin, name) == 8760
    kin.call("DecreaseStreamRetentionPeriod", StreamName=name, RetentionPeriodHours=24)
    assert _retention(kin, name) == 24


# ------------------------------------------------------------------------------------------------ limits

def test_describe_limits(kin, make_stream):
    make_stream(3, "limits")
    make_stream(None, "limitsod", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    out = kin.call("DescribeLimits")
    assert isinstance(out["ShardLimit"], int) and out["ShardLimit"] > 0
    assert isinstance(out["OpenShardCount"], int) and out["OpenShardCount"] >= 3 + 4
    assert out["OpenShardCount"] <= out["ShardLimit"]
    if kin.supports("DescribeLimits", outputs=["OnDemandStreamCount", "OnDemandStreamCountLimit"]):
        assert isinstance(out["OnDemandStreamCount"], int) and out["OnDemandStreamCount"] >= 1
        assert isinstance(out["OnDemandStreamCountLimit"], int)
        assert out["OnDemandStreamCountLimit"] >= out["OnDemandStreamCount"]


# ------------------------------------------------------------------------------------------------ monitoring

def test_enhanced_monitoring(kin, make_stream):
    name = make_stream(1, "monitor")

    def described():
        desc = kin.call("DescribeStream", StreamName=name)["StreamDescription"]
        assert len(desc["EnhancedMonitoring"]) == 1
        return sorted(desc["EnhancedMonitoring"][0]["ShardLevelMetrics"])

    out = kin.call("EnableEnhancedMonitoring", StreamName=name, ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"])
    assert out["StreamName"] == name
    if kin.supports("EnableEnhancedMonitoring", outputs=["StreamARN"]):
        assert out["StreamARN"] == stream_arn(name)
    assert out["CurrentShardLevelMetrics"] == []
    assert sorted(out["DesiredShardLevelMetrics"]) == ["IncomingBytes", "OutgoingRecords"]
    assert described() == ["IncomingBytes", "OutgoingRecords"]

    out = kin.call("EnableEnhancedMonitoring", StreamName=name, ShardLevelMetrics=["IncomingRecords"])
    assert sorted(out["CurrentShardLevelMetrics"]) == ["IncomingBytes", "OutgoingRecords"]
    assert sorted(out["DesiredShardLevelMetrics"]) == ["IncomingBytes", "IncomingRecords", "OutgoingRecords"]

    out = kin.call("DisableEnhancedMonitoring", StreamName=name, ShardLevelMetrics=["IncomingBytes"])
    assert out["StreamName"] == name
    assert sorted(out["CurrentShardLevelMetrics"]) == ["IncomingBytes", "IncomingRecords", "OutgoingRecords"]
    assert sorted(out["DesiredShardLevelMetrics"]) == ["IncomingRecords", "OutgoingRecords"]
    assert described() == ["IncomingRecords", "OutgoingRecords"]

    out = kin.call("DisableEnhancedMonitoring", StreamName=name, ShardLevelMetrics=["IncomingRecords", "OutgoingRecords"])
    assert out["DesiredShardLevelMetrics"] == []
    assert described() == []

    with pytest.raises(KinesisError) as ei:
        kin.call("EnableEnhancedMonitoring", StreamName=name, ShardLevelMetrics=["NotAMetric"])
    assert ei.value.type == "ValidationException"


def test_tags_go_with_a_deleted_stream(boto, raw, new_name):
    name = new_name("tagsgone")
    helpers.create_stream_raw(raw, name, 1)
    boto.add_tags_to_stream(StreamName=name, Tags={"old": "life"})
    boto.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=72)
    boto.delete_stream(StreamName=name)
    helpers.wait_gone(raw, name)
    helpers.create_stream_raw(raw, name, 1)
    assert boto.list_tags_for_stream(StreamName=name)["Tags"] == []
    assert boto.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"] == 24
