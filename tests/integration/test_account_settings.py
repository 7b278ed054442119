"""DescribeAccountSettings / UpdateAccountSettings (the minimum throughput billing commitment) and
UpdateStreamWarmThroughput (on-demand warm throughput), through the JS SDK and the raw JSON client.

Debian's boto3 (botocore 1.29) predates these operations. Account settings are per account and region,
so every test runs against a private server: the shared one's account must stay without a commitment."""

import datetime

import pytest

import helpers
from helpers import KinesisError

DAY = datetime.timedelta(hours=24)
CLIENTS = ["js", "raw"]


@pytest.fixture(params=CLIENTS)
def private(request, make_server, tmp_path):
    """(client under test, raw client, server) on a private server."""
    srv = make_server()
    raw = helpers.RawClient(srv.endpoint)
    if request.param == "raw":
        yield helpers.RawJsonDriver(srv.endpoint), raw, srv
        return
    node = request.getfixturevalue("node_bin")
    request.getfixturevalue("js_deps")
    drv = helpers.JsDriver(node, srv.endpoint, tmp_path / "js-driver.log")
    try:
        yield drv, raw, srv
    finally:
        drv.close()


def commitment(kin):
    return kin.call("DescribeAccountSettings")["MinimumThroughputBillingCommitment"]


def set_commitment(kin, status):
    return kin.call("UpdateAccountSettings", MinimumThroughputBillingCommitment={"Status": status})[
        "MinimumThroughputBillingCommitment"]


def close_to_now(t):
    return abs(helpers.utcnow() - t) < datetime.timedelta(seconds=30)


def test_commitment_lifecycle_as_aws_documents_it(private):
    """Enabling starts a commitment whose earliest end is 24 hours later; disabling within them schedules the end
    (ENABLED_UNTIL_EARLIEST_ALLOWED_END); enabling again cancels it. Each answer is the state, as Describe shows."""
    kin, _, _ = private
    assert commitment(kin) == {"Status": "DISABLED"}

    on = set_commitment(kin, "ENABLED")
    assert on["Status"] == "ENABLED"
    assert close_to_now(on["StartedAt"])
    assert on["EarliestAllowedEndAt"] - on["StartedAt"] == DAY
    assert "EndedAt" not in on
    assert commitment(kin) == on
    assert set_commitment(kin, "ENABLED") == on  # enabling an enabled commitment changes nothing

    scheduled = set_commitment(kin, "DISABLED")
    assert scheduled == {**on, "Status": "ENABLED_UNTIL_EARLIEST_ALLOWED_END"}
    assert commitment(kin) == scheduled

    assert set_commitment(kin, "ENABLED") == on  # the same commitment goes on


def test_commitment_input_is_validated_against_the_model(make_server):
    srv = make_server()
    raw = helpers.RawClient(srv.endpoint)
    for body in ({}, {"MinimumThroughputBillingCommitment": {}},
                 {"MinimumThroughputBillingCommitment": {"Status": "ENABLED_UNTIL_EARLIEST_ALLOWED_END"}},
                 {"MinimumThroughputBillingCommitment": {"Status": "enabled"}}):
        resp = raw.json("UpdateAccountSettings", body)
        assert resp.status == 400 and resp.json()["__type"] == "ValidationException", (body, resp)
    assert raw.json("DescribeAccountSettings", {}).json() == {"MinimumThroughputBillingCommitment":
                                                               {"Status": "DISABLED"}}


def test_commitment_survives_a_restart(make_server):
    srv = make_server()
    raw = helpers.RawClient(srv.endpoint)
    resp = raw.json("UpdateAccountSettings", {"MinimumThroughputBillingCommitment": {"Status": "ENABLED"}})
    assert resp.status == 200, resp
    before = resp.json()
    srv.kill()
    srv.start()
    raw = helpers.RawClient(srv.endpoint)
    assert raw.json("DescribeAccountSettings", {}).json() == before


def summary(raw, name):
    return helpers.describe_summary_raw(raw, name)


def open_shards(raw, name):
    return [s for s in helpers.list_all_shards_raw(raw, name) if "EndingSequenceNumber" not in
            s["SequenceNumberRange"]]


def test_warm_throughput_scales_an_on_demand_stream_and_is_reported(private, new_name):
    kin, raw, _ = private
    name = helpers.unique_name("warm")
    helpers.create_stream_raw(raw, name, None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    arn = helpers.stream_arn(name)
    assert summary(raw, name)["WarmThroughput"] == {"TargetMiBps": 0, "CurrentMiBps": 4}

    # Only accounts with the billing commitment.
    with pytest.raises(KinesisError) as ei:
        kin.call("UpdateStreamWarmThroughput", StreamARN=arn, WarmThroughputMiBps=6)
    assert ei.value.type == "InvalidArgumentException", ei.value
    assert "MinimumThroughputBillingCommitment" in ei.value.message
    set_commitment(kin, "ENABLED")

    # Only on-demand streams.
    prov = helpers.unique_name("warmprov")
    helpers.create_stream_raw(raw, prov, 1)
    with pytest.raises(KinesisError) as ei:
        kin.call("UpdateStreamWarmThroughput", StreamName=prov, WarmThroughputMiBps=6)
    assert ei.value.type == "ValidationException", ei.value
    assert ei.value.message == (f"Request is invalid. Stream {prov} under account {helpers.ACCOUNT_ID} "
                                f"is in Provisioned mode.")
    assert "WarmThroughput" not in summary(raw, prov)

    # At most 10 GiB/s.
    with pytest.raises(KinesisError) as ei:
        kin.call("UpdateStreamWarmThroughput", StreamARN=arn, WarmThroughputMiBps=10241)
    assert ei.value.type == "LimitExceededException", ei.value
    with pytest.raises(KinesisError) as ei:
        kin.call("UpdateStreamWarmThroughput", StreamName=helpers.unique_name("nosuch"), WarmThroughputMiBps=6)
    assert ei.value.type == "ResourceNotFoundException", ei.value

    out = kin.call("UpdateStreamWarmThroughput", StreamARN=arn, WarmThroughputMiBps=6)
    assert out["StreamARN"] == arn and out["StreamName"] == name
    assert out["WarmThroughput"]["TargetMiBps"] == 6
    helpers.wait_active(raw, name)
    assert summary(raw, name)["WarmThroughput"] == {"TargetMiBps": 6, "CurrentMiBps": 6}
    assert len(open_shards(raw, name)) == 6
    assert summary(raw, name)["OpenShardCount"] == 6

    # Lowering keeps the capacity (on-demand streams do not shrink here).
    out = kin.call("UpdateStreamWarmThroughput", StreamName=name, WarmThroughputMiBps=2)
    assert out["WarmThroughput"] == {"TargetMiBps": 2, "CurrentMiBps": 6}
    helpers.wait_active(raw, name)
    assert summary(raw, name)["WarmThroughput"] == {"TargetMiBps": 2, "CurrentMiBps": 6}


def test_create_stream_warm_throughput_is_the_starting_capacity(make_server):
    srv = make_server()
    raw = helpers.RawClient(srv.endpoint)
    name = helpers.unique_name("warmcreate")
    body = {"StreamName": name, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}, "WarmThroughputMiBps": 9}
    resp = raw.json("CreateStream", body)
    assert resp.status == 400 and resp.json()["__type"] == "InvalidArgumentException", resp
    assert raw.json("UpdateAccountSettings", {"MinimumThroughputBillingCommitment": {"Status": "ENABLED"}}).status \
        == 200
    resp = raw.json("CreateStream", {"StreamName": helpers.unique_name("warmcreate"), "ShardCount": 1,
                                     "WarmThroughputMiBps": 9})
    assert resp.status == 400 and resp.json()["__type"] == "ValidationException", resp
    assert raw.json("CreateStream", body).status == 200
    helpers.wait_active(raw, name)
    assert summary(raw, name)["WarmThroughput"] == {"TargetMiBps": 9, "CurrentMiBps": 9}
    assert len(open_shards(raw, name)) == 9

    # UpdateStreamMode to ON_DEMAND with a warm throughput does the same.
    other = helpers.unique_name("warmmode")
    helpers.create_stream_raw(raw, other, 2)
    resp = raw.json("UpdateStreamMode", {"StreamARN": helpers.stream_arn(other), "WarmThroughputMiBps": 5,
                                         "StreamModeDetails": {"StreamMode": "ON_DEMAND"}})
    assert resp.status == 200, resp
    helpers.wait_active(raw, other)
    assert summary(raw, other)["WarmThroughput"] == {"TargetMiBps": 5, "CurrentMiBps": 5}

    srv.kill()
    srv.start()
    raw = helpers.RawClient(srv.endpoint)
    assert summary(raw, name)["WarmThroughput"] == {"TargetMiBps": 9, "CurrentMiBps": 9}
    assert summary(raw, other)["WarmThroughput"] == {"TargetMiBps": 5, "CurrentMiBps": 5}
