"""Throughput limits as AWS applies them (per shard writes and reads, control-plane rates), --limits=off,
deterministic fault injection (--inject-fault), and on-demand scaling under sustained load.

Every test here runs on a dedicated server (make_server / module fixtures) so that its metering never
depends on what other tests did."""

import subprocess
import time

import pytest

import helpers
from helpers import KinesisError, shard_id
from conftest import SPATED_BIN, DriverPool

CLIENTS = ["boto3", "js"]


@pytest.fixture(scope="module")
def aws_limits_server(tmp_path_factory):
    """A server with default flags: --limits=aws is the default."""
    from conftest import SpatedServer, _require_binary
    _require_binary()
    base = tmp_path_factory.mktemp("spated-limits")
    srv = SpatedServer(base / "data", base, 20, extra_args=())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def limits_drivers(aws_limits_server, tmp_path_factory, request):
    pool = DriverPool(aws_limits_server, tmp_path_factory.mktemp("limits-drivers"), request)
    yield pool
    pool.close()


@pytest.fixture(params=CLIENTS)
def lkin(request, limits_drivers):
    drv = limits_drivers.get(request.param)
    if request.param == "boto3" and not getattr(drv, "no_retries", False):
        # The suite's boto3 client retries once (botocore's max_attempts counts retries), which would
        # hide throttling errors from these tests: one attempt only.
        import boto3
        from botocore.config import Config
        session = boto3.session.Session(aws_access_key_id=helpers.ACCESS_KEY_ID,
                                        aws_secret_access_key=helpers.SECRET_ACCESS_KEY, region_name=helpers.REGION)
        drv.client = session.client("kinesis", endpoint_url=drv.client.meta.endpoint_url,
                                    config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
        drv.no_retries = True
    return drv


@pytest.fixture
def lraw(aws_limits_server):
    return helpers.RawClient(aws_limits_server.endpoint)


def _stream(raw, prefix, shards=1, **extra):
    name = helpers.unique_name(prefix)
    helpers.create_stream_raw(raw, name, shards, **extra)
    return name


def _rate_message(name, shard=0):
    return f"Rate exceeded for shard {shard_id(shard)} in stream {name} under account {helpers.ACCOUNT_ID}."


# ------------------------------------------------------------------------------------------- writes

def test_put_records_over_the_shard_quota_fail_record_by_record(lkin, lraw):
    name = _stream(lraw, "wthr")
    entries = [{"Data": b"x", "PartitionKey": f"k{i}"} for i in range(500)]
    accepted, failures = 0, []
    for _ in range(4):  # 2,000 records: twice the 1,000 records/s a shard takes
        out = lkin.call("PutRecords", StreamName=name, Records=entries)
        assert len(out["Records"]) == 500
        failed = [r for r in out["Records"] if "ErrorCode" in r]
        assert out["FailedRecordCount"] == len(failed)
        failures.extend(failed)
        accepted += 500 - len(failed)
    assert failures, "2,000 records in well under a second must be throttled"
    assert accepted >= 1000
    for r in failures:
        assert r["ErrorCode"] == "ProvisionedThroughputExceededException"
        assert r["ErrorMessage"] == _rate_message(name)
        assert "SequenceNumber" not in r
    # PutRecord gets the whole-request error (raw client: boto3 would retry it).
    raw_driver = helpers.RawJsonDriver(lkin_endpoint(lraw))
    errors = 0
    for _ in range(10):
        try:
            raw_driver.call("PutRecord", StreamName=name, PartitionKey="k", Data="A" * 700_000)
        except KinesisError as e:
            assert (e.type, e.message) == ("ProvisionedThroughputExceededException", _rate_message(name))
            errors += 1
    assert errors > 0


def lkin_endpoint(raw):
    return f"http://{raw.host_port}"


def test_writes_are_accepted_again_after_a_second(lraw):
    name = _stream(lraw, "wrec")
    big = [{"Data": "QUFBQQ==", "PartitionKey": f"k{i}"} for i in range(500)]
    for _ in range(3):
        lraw.json("PutRecords", {"StreamName": name, "Records": big})
    deadline = time.monotonic() + 5
    while True:
        out = lraw.json("PutRecords", {"StreamName": name, "Records": big[:100]}).json()
        if out["FailedRecordCount"] == 0:
            break
        assert time.monotonic() < deadline, "the write bucket never refilled"
        time.sleep(0.2)


# ------------------------------------------------------------------------------------------- reads

def test_get_records_over_five_calls_per_second_is_throttled(lkin, lraw):
    name = _stream(lraw, "rthr")
    lraw.json("PutRecord", {"StreamName": name, "PartitionKey": "k", "Data": "AA=="})
    it = lkin.call("GetShardIterator", StreamName=name, ShardId=shard_id(0),
                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    throttled = None
    for _ in range(12):
        try:
            lkin.call("GetRecords", ShardIterator=it)
        except KinesisError as e:
            throttled = e
            break
    assert throttled is not None, "12 GetRecords calls in a row on one shard must exceed 5 per second"
    assert throttled.type == "ProvisionedThroughputExceededException"
    assert throttled.message == _rate_message(name)
    assert throttled.http_status == 400


def test_read_bytes_over_two_mebibytes_per_second_throttle_the_next_call(lraw):
    name = _stream(lraw, "rbig")
    payload = "A" * (1 << 20)  # base64 text: 768 KiB of data
    for i in range(4):  # 3 MiB, paced by the shard's 1 MiB/s write quota
        helpers.poll_until(lambda: lraw.json("PutRecord", {"StreamName": name, "PartitionKey": f"k{i}",
                                                           "Data": payload}).status == 200,
                           timeout=10, interval=0.1, what="a write accepted")
    it = lraw.json("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                        "ShardIteratorType": "TRIM_HORIZON"}).json()["ShardIterator"]
    out = lraw.json("GetRecords", {"ShardIterator": it})
    assert out.status == 200 and len(out.json()["Records"]) == 4
    # 3 MiB read against 2 MiB/s: the shard owes ~0.5 s of reads, so the next call is throttled.
    resp = lraw.json("GetRecords", {"ShardIterator": out.json()["NextShardIterator"]})
    assert resp.status == 400
    assert resp.json() == {"__type": "ProvisionedThroughputExceededException", "message": _rate_message(name)}


# ------------------------------------------------------------------------------------------- control plane

@pytest.mark.parametrize("kin_name", CLIENTS)
def test_control_plane_rate_is_limit_exceeded(kin_name, limits_drivers):
    kin = limits_drivers.get(kin_name)
    errors = []
    for _ in range(4):  # DescribeLimits allows 1 call per second per account
        try:
            kin.call("DescribeLimits")
        except KinesisError as e:
            errors.append(e)
    assert errors
    assert errors[0].type == "LimitExceededException"
    assert errors[0].message == f"Rate exceeded for account {helpers.ACCOUNT_ID}."


# ------------------------------------------------------------------------------------------- --limits=off

def test_limits_off_never_throttles(make_server):
    srv = make_server(extra_args=["--limits=off"])
    raw = helpers.RawClient(srv.endpoint)
    name = _stream(raw, "nolim")
    entries = [{"Data": "QUFBQQ==", "PartitionKey": f"k{i}"} for i in range(500)]
    for _ in range(8):  # 4,000 records at once
        out = raw.json("PutRecords", {"StreamName": name, "Records": entries}).json()
        assert out["FailedRecordCount"] == 0
    it = raw.json("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                       "ShardIteratorType": "LATEST"}).json()["ShardIterator"]
    for _ in range(20):
        resp = raw.json("GetRecords", {"ShardIterator": it})
        assert resp.status == 200, resp
    for _ in range(5):
        assert raw.json("DescribeLimits", {}).status == 200


def test_help_documents_the_limits_and_fault_flags():
    out = subprocess.run([str(SPATED_BIN), "--help"], capture_output=True, text=True, timeout=10).stdout
    assert "--limits=aws|off" in out
    assert "--inject-fault" in out
    assert "--on-demand-scale-after-ms" in out
    bad = subprocess.run([str(SPATED_BIN), "--limits=sometimes"], capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2 and "--limits" in bad.stderr
    bad = subprocess.run([str(SPATED_BIN), "--inject-fault", "operation=PutRecord,error=Boom"],
                         capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2 and "error must be" in bad.stderr


# ------------------------------------------------------------------------------------------- fault injection

@pytest.mark.parametrize("kin_name", CLIENTS)
def test_injected_faults_hit_chosen_operations_and_streams(kin_name, make_server, tmp_path, request):
    srv = make_server(extra_args=[
        "--limits=off",
        "--inject-fault", "operation=PutRecords,stream=victim,error=InternalFailure,count=3",
        "--inject-fault", "operation=PutRecord,stream=victim,error=ProvisionedThroughputExceededException,count=2",
        "--inject-fault", "operation=GetRecords,stream=victim,error=ProvisionedThroughputExceededException,count=2",
        "--inject-fault", "operation=ListShards,error=InternalFailure,count=2"])
    (tmp_path / "drv").mkdir()
    pool = DriverPool(srv, tmp_path / "drv", request)

    def until_ok(fn):  # boto3 retries once, the JS client never: each consumes the count differently
        for _ in range(3):
            try:
                return fn()
            except KinesisError:
                pass
        return fn()

    try:
        kin = pool.get(kin_name)
        raw = helpers.RawClient(srv.endpoint)
        helpers.create_stream_raw(raw, "victim", 1)
        helpers.create_stream_raw(raw, "bystander", 1)
        records = [{"Data": b"d", "PartitionKey": f"k{i}"} for i in range(5)]
        assert kin.call("PutRecords", StreamName="bystander", Records=records)["FailedRecordCount"] == 0
        out = kin.call("PutRecords", StreamName="victim", Records=records)
        assert out["FailedRecordCount"] == 3
        assert [r.get("ErrorCode") for r in out["Records"]] == ["InternalFailure"] * 3 + [None, None]
        assert out["Records"][0]["ErrorMessage"] == "Internal service failure."
        assert kin.call("PutRecords", StreamName="victim", Records=records)["FailedRecordCount"] == 0
        with pytest.raises(KinesisError) as e:
            kin.call("PutRecord", StreamName="victim", PartitionKey="k", Data=b"d")
        assert e.value.type == "ProvisionedThroughputExceededException"
        until_ok(lambda: kin.call("PutRecord", StreamName="victim", PartitionKey="k", Data=b"d"))
        it = kin.call("GetShardIterator", StreamName="victim", ShardId=shard_id(0),
                      ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        with pytest.raises(KinesisError) as e:
            kin.call("GetRecords", ShardIterator=it)
        assert (e.value.type, e.value.message) == ("ProvisionedThroughputExceededException", _rate_message("victim"))
        assert len(until_ok(lambda: kin.call("GetRecords", ShardIterator=it))["Records"]) == 2 + 5 + 1
        with pytest.raises(KinesisError) as e:
            kin.call("ListShards", StreamName="bystander")
        assert e.value.type == "InternalFailure" and e.value.http_status == 500
        assert len(until_ok(lambda: kin.call("ListShards", StreamName="bystander"))["Shards"]) == 1
    finally:
        pool.close()


def test_fault_injection_at_a_rate_is_deterministic(make_server):
    rule = "operation=PutRecords,error=ProvisionedThroughputExceededException,rate=0.3,seed=1234"
    patterns = []
    for _ in range(2):
        srv = make_server(extra_args=["--limits=off", "--inject-fault", rule])
        raw = helpers.RawClient(srv.endpoint)
        helpers.create_stream_raw(raw, "det", 1)
        entries = [{"Data": "AA==", "PartitionKey": f"k{i}"} for i in range(200)]
        out = raw.json("PutRecords", {"StreamName": "det", "Records": entries}).json()
        patterns.append([r.get("ErrorCode") for r in out["Records"]])
        srv.stop()
    assert patterns[0] == patterns[1]
    failed = sum(1 for c in patterns[0] if c)
    assert 30 < failed < 90  # ~60 of 200
    assert set(patterns[0]) == {None, "ProvisionedThroughputExceededException"}


# ------------------------------------------------------------------------------------------- on-demand scaling

def test_on_demand_stream_under_sustained_load_gains_shards(make_server):
    srv = make_server(state_delay_ms=20, extra_args=["--limits=aws", "--on-demand-scale-after-ms", "1500"])
    raw = helpers.RawClient(srv.endpoint)
    name = helpers.unique_name("odscale")
    assert raw.json("CreateStream", {"StreamName": name, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}}).status \
        == 200
    helpers.wait_active(raw, name)
    shards = helpers.list_all_shards_raw(raw, name)
    assert len(shards) == 4
    first = shards[0]
    lo, hi = int(first["HashKeyRange"]["StartingHashKey"]), int(first["HashKeyRange"]["EndingHashKey"])
    step = (hi - lo) // 1000
    # ~1,500 records/s offered to shard 0's key range (its capacity is 1,000/s), for at most 10 s.
    entries = [{"Data": "AA==", "PartitionKey": "p", "ExplicitHashKey": str(lo + i * step)} for i in range(500)]
    deadline = time.monotonic() + 10
    grown = False
    while time.monotonic() < deadline and not grown:
        t0 = time.monotonic()
        for _ in range(3):
            assert raw.json("PutRecords", {"StreamName": name, "Records": entries}).status == 200
        grown = helpers.describe_summary_raw(raw, name)["OpenShardCount"] > 4
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    assert grown, "a shard above its write capacity for 1.5 s must be split"
    shards = helpers.list_all_shards_raw(raw, name)
    children = [s for s in shards if s.get("ParentShardId") == shard_id(0)]
    assert len(children) == 2
    assert "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
    assert helpers.describe_summary_raw(raw, name)["StreamStatus"] == "ACTIVE"
    # The split shard's key range now takes about twice the records per second.
    out = raw.json("PutRecords", {"StreamName": name, "Records": entries}).json()
    assert {r["ShardId"] for r in out["Records"] if "ShardId" in r} <= {s["ShardId"] for s in children}
