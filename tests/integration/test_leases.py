"""The lease table extension (docs/leases.md) over raw JSON: SpateLeases_20261207.* on the server's one port.

Checks the compare-and-set on the lease counter (including under concurrent calls), account scoping,
validation by the extension's model, and that leases are durable across a SIGKILL of the server."""

import concurrent.futures
import json
import signal

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import helpers
from conftest import FUNCTIONAL_ARGS

PREFIX = "SpateLeases_20261207"
ARN = helpers.stream_arn("lease-stream")


def call(raw, op, params, **kw):
    body = json.dumps(params).encode()
    return raw.request(body=body, target=f"{PREFIX}.{op}", **kw)


def key(app, shard):
    return {"ApplicationName": app, "StreamARN": ARN, "ShardId": shard}


def test_create_list_update_delete(raw):
    app = helpers.unique_name("app")
    r = call(raw, "CreateLease", {**key(app, "shardId-000000000001"), "ParentShardIds": ["shardId-000000000000"]})
    assert r.status == 200, r
    lease = r.json()["Lease"]
    assert lease["LeaseCounter"] == 0 and lease["Checkpoint"] == "TRIM_HORIZON" and "LeaseOwner" not in lease
    assert lease["ParentShardIds"] == ["shardId-000000000000"]

    r = call(raw, "CreateLease", key(app, "shardId-000000000001"))
    assert r.status == 400 and r.json()["__type"] == "ResourceInUseException"

    r = call(raw, "UpdateLease", {**key(app, "shardId-000000000001"), "ExpectedLeaseCounter": 0, "LeaseOwner": "w1"})
    assert r.status == 200, r
    assert r.json()["Lease"]["LeaseCounter"] == 1 and r.json()["Lease"]["LeaseOwner"] == "w1"

    # A stale counter changes nothing.
    r = call(raw, "UpdateLease", {**key(app, "shardId-000000000001"), "ExpectedLeaseCounter": 0, "LeaseOwner": "w2"})
    assert r.status == 400 and r.json()["__type"] == "ConcurrentModificationException"

    r = call(raw, "UpdateLease", {**key(app, "shardId-000000000001"), "ExpectedLeaseCounter": 1,
                                  "Checkpoint": "49590338271490256608559692538361571095921575989136588898",
                                  "CheckpointSubSequenceNumber": 4})
    assert r.status == 200, r
    leases = call(raw, "ListLeases", {"ApplicationName": app}).json()["Leases"]
    assert len(leases) == 1
    assert leases[0]["LeaseOwner"] == "w1" and leases[0]["LeaseCounter"] == 2
    assert leases[0]["CheckpointSubSequenceNumber"] == 4

    r = call(raw, "DeleteLease", {**key(app, "shardId-000000000001"), "ExpectedLeaseCounter": 1})
    assert r.status == 400 and r.json()["__type"] == "ConcurrentModificationException"
    assert call(raw, "DeleteLease", {**key(app, "shardId-000000000001"), "ExpectedLeaseCounter": 2}).status == 200
    assert call(raw, "ListLeases", {"ApplicationName": app}).json()["Leases"] == []
    r = call(raw, "UpdateLease", {**key(app, "shardId-000000000001"), "ExpectedLeaseCounter": 2})
    assert r.status == 400 and r.json()["__type"] == "ResourceNotFoundException"


def test_validation_uses_the_extension_model(raw):
    r = call(raw, "UpdateLease", {"ApplicationName": "a", "StreamARN": ARN, "ShardId": "shardId-0"})
    assert r.status == 400 and r.json()["__type"] == "ValidationException"
    assert "expectedLeaseCounter" in r.json()["message"]
    r = call(raw, "CreateLease", {**key("a", "shardId-0"), "Checkpoint": "SOMEWHERE"})
    assert r.status == 400 and r.json()["__type"] == "ValidationException"
    r = call(raw, "TakeLease", key("a", "shardId-0"))
    assert r.status == 400 and r.json()["__type"] == "UnknownOperationException"


def test_concurrent_takes_have_exactly_one_winner(raw):
    app = helpers.unique_name("app")
    assert call(raw, "CreateLease", key(app, "shardId-000000000000")).status == 200

    def take(i):
        return call(raw, "UpdateLease", {**key(app, "shardId-000000000000"), "ExpectedLeaseCounter": 0,
                                         "LeaseOwner": f"w{i}"}).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(take, range(16)))
    assert statuses.count(200) == 1, statuses
    lease = call(raw, "ListLeases", {"ApplicationName": app}).json()["Leases"][0]
    assert lease["LeaseCounter"] == 1


def _signed(srv, key_id, secret, op, params):
    body = json.dumps(params).encode()
    headers = {"Content-Type": helpers.JSON_CONTENT_TYPE, "X-Amz-Target": f"{PREFIX}.{op}"}
    req = AWSRequest(method="POST", url=f"{srv.endpoint}/", data=body, headers=headers)
    SigV4Auth(Credentials(key_id, secret), "kinesis", helpers.REGION).add_auth(req)
    raw = helpers.RawClient(srv.endpoint)
    return raw.request(body=body, target=f"{PREFIX}.{op}", sign=False, extra_headers=dict(req.headers.items()))


def test_leases_are_scoped_by_account(make_server, tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text(f"AKIDLEASEA secret-a 111111111111\nAKIDLEASEB secret-b 222222222222\n")
    srv = make_server(extra_args=[*FUNCTIONAL_ARGS, "--credentials-file", str(creds)])
    assert _signed(srv, "AKIDLEASEA", "secret-a", "CreateLease", key("app", "shardId-000000000000")).status == 200
    r = _signed(srv, "AKIDLEASEB", "secret-b", "ListLeases", {"ApplicationName": "app"})
    assert r.status == 200 and r.json()["Leases"] == []
    r = _signed(srv, "AKIDLEASEB", "secret-b", "UpdateLease", {**key("app", "shardId-000000000000"),
                                                               "ExpectedLeaseCounter": 0, "LeaseOwner": "thief"})
    assert r.status == 400 and r.json()["__type"] == "ResourceNotFoundException"
    r = _signed(srv, "AKIDLEASEA", "secret-a", "ListLeases", {"ApplicationName": "app"})
    assert [x["ShardId"] for x in r.json()["Leases"]] == ["shardId-000000000000"]
    # A wrong secret is refused as for any other service.
    r = _signed(srv, "AKIDLEASEA", "wrong", "ListLeases", {"ApplicationName": "app"})
    assert r.status == 400 and r.json()["__type"] == "InvalidSignatureException"


def test_leases_survive_sigkill(make_server):
    srv = make_server()
    raw = helpers.RawClient(srv.endpoint)
    assert call(raw, "CreateLease", key("durable", "shardId-000000000000")).status == 200
    r = call(raw, "UpdateLease", {**key("durable", "shardId-000000000000"), "ExpectedLeaseCounter": 0,
                                  "LeaseOwner": "w1", "Checkpoint": "123"})
    assert r.status == 200, r
    srv.restart(signal.SIGKILL)
    raw = helpers.RawClient(srv.endpoint)
    leases = call(raw, "ListLeases", {"ApplicationName": "durable"}).json()["Leases"]
    assert len(leases) == 1
    assert leases[0]["LeaseOwner"] == "w1" and leases[0]["LeaseCounter"] == 1 and leases[0]["Checkpoint"] == "123"
