"""SigV4 verification (--credentials-file), accounts and resource policies, against a real spated.

The drivers' key (helpers.ACCESS_KEY_ID) belongs to account A here, so boto3, aws-cli and the JS SDK run
unchanged as account A; account B and the error cases use a raw HTTP/1.1 client signed by botocore.
"""

import datetime
import http.client
import json

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import helpers
from conftest import ALL_CLIENTS, FUNCTIONAL_ARGS, DriverPool, SpatedServer, _require_binary
from helpers import KinesisError

ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
KEY_B, SECRET_B = "AKIDACCOUNTB", "secret-of-account-b"
KEY_DEFAULT, SECRET_DEFAULT = "AKIDNOACCOUNT", "secret-of-default"

CREDENTIALS = f"""# test credentials: one per line, ACCESS_KEY_ID SECRET [ACCOUNT]
{helpers.ACCESS_KEY_ID} {helpers.SECRET_ACCESS_KEY} {ACCOUNT_A}
{KEY_B}\t{SECRET_B}   {ACCOUNT_B}   # account B
{KEY_DEFAULT} {SECRET_DEFAULT}
"""

MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.")


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    _require_binary()
    base = tmp_path_factory.mktemp("spated-auth")
    creds = base / "credentials"
    creds.write_text(CREDENTIALS)
    srv = SpatedServer(base / "data", base, extra_args=[*FUNCTIONAL_ARGS, "--credentials-file", str(creds)])
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def auth_drivers(auth_server, tmp_path_factory, request):
    pool = DriverPool(auth_server, tmp_path_factory.mktemp("auth-drivers"), request)
    yield pool
    pool.close()


class _ShiftedDatetime(datetime.datetime):
    shift = datetime.timedelta(0)

    @classmethod
    def utcnow(cls):
        return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + cls.shift


def sign(host_port, op, params, key, secret, region=helpers.REGION, shift=None, extra_headers=None, body=None):
    """(headers, body) of a request signed by botocore's SigV4Auth, optionally as if the clock were off."""
    body = json.dumps(params).encode() if body is None else body
    headers = {"Content-Type": helpers.JSON_CONTENT_TYPE, "X-Amz-Target": f"{helpers.TARGET_PREFIX}.{op}"}
    headers.update(extra_headers or {})
    req = AWSRequest(method="POST", url=f"http://{host_port}/", data=body, headers=headers)
    real = botocore.auth.datetime.datetime
    try:
        if shift is not None:
            _ShiftedDatetime.shift = shift
            botocore.auth.datetime.datetime = _ShiftedDatetime
        SigV4Auth(Credentials(key, secret), "kinesis", region).add_auth(req)
    finally:
        botocore.auth.datetime.datetime = real
    return dict(req.headers.items()), body


def send(server, headers, body):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=helpers.CALL_TIMEOUT_S)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


class Account:
    """A raw signed JSON client acting as one credential."""

    def __init__(self, server, key, secret, region=helpers.REGION):
        self.server, self.key, self.secret, self.region = server, key, secret, region

    def call(self, op, **params):
        status, out = send(self.server, *sign(f"127.0.0.1:{self.server.port}", op,
                                              helpers.encode_json_input(params), self.key, self.secret,
                                              self.region))
        if status != 200:
            raise KinesisError(out.get("__type"), out.get("message", out.get("Message")), None, status, "raw")
        return out

    def error(self, op, **params):
        with pytest.raises(KinesisError) as e:
            self.call(op, **params)
        return e.value


@pytest.fixture(scope="module")
def acct_a(auth_server):
    return Account(auth_server, helpers.ACCESS_KEY_ID, helpers.SECRET_ACCESS_KEY)


@pytest.fixture(scope="module")
def acct_b(auth_server):
    return Account(auth_server, KEY_B, SECRET_B)


def create_active(acct, name, shards=1):
    acct.call("CreateStream", StreamName=name, ShardCount=shards)
    helpers.poll_until(lambda: acct.call("DescribeStreamSummary", StreamName=name)
                       ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE", what=f"{name} ACTIVE")


# ---------------------------------------------------------------------------- signed clients pass

@pytest.mark.parametrize("client", ALL_CLIENTS)
def test_signed_real_clients_pass_and_act_in_their_account(auth_drivers, acct_a, client):
    kin = auth_drivers.get(client)
    name = helpers.unique_name(f"auth-{client}")
    kin.call("CreateStream", StreamName=name, ShardCount=1)
    helpers.poll_until(lambda: acct_a.call("DescribeStreamSummary", StreamName=name)
                       ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE")
    summary = kin.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamARN"] == helpers.stream_arn(name, account=ACCOUNT_A)
    put = kin.call("PutRecord", StreamName=name, Data=b"signed", PartitionKey="k")
    assert helpers.is_sequence_number(put["SequenceNumber"])
    assert name in kin.call("ListStreams")["StreamNames"]
    kin.call("DeleteStream", StreamName=name)


# ---------------------------------------------------------------------------- rejections

def test_wrong_secret_is_invalid_signature(auth_server):
    status, out = send(auth_server, *sign(f"127.0.0.1:{auth_server.port}", "ListStreams", {},
                                          helpers.ACCESS_KEY_ID, "not-the-secret"))
    assert (status, out["__type"], out["message"]) == (400, "InvalidSignatureException", MISMATCH)


def test_wrong_secret_through_boto3(auth_server):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
    client = boto3.session.Session(aws_access_key_id=helpers.ACCESS_KEY_ID, aws_secret_access_key="nope",
                                   region_name=helpers.REGION).client(
        "kinesis", endpoint_url=auth_server.endpoint, config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        client.list_streams()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_unknown_key_is_unrecognized_client(auth_server):
    status, out = send(auth_server, *sign(f"127.0.0.1:{auth_server.port}", "ListStreams", {}, "AKIDUNKNOWN", "x"))
    assert (status, out["__type"]) == (400, "UnrecognizedClientException")
    assert out["message"] == "The security token included in the request is invalid."


def test_tampered_body_is_invalid_signature(auth_server):
    headers, _ = sign(f"127.0.0.1:{auth_server.port}", "ListStreams", {"Limit": 1},
                      helpers.ACCESS_KEY_ID, helpers.SECRET_ACCESS_KEY)
    status, out = send(auth_server, headers, json.dumps({"Limit": 2}).encode())
    assert (status, out["__type"], out["message"]) == (400, "InvalidSignatureException", MISMATCH)


@pytest.mark.parametrize("minutes,accepted", [(-6, False), (6, False), (-4, True), (4, True)])
def test_request_time_must_be_within_five_minutes(auth_server, minutes, accepted):
    headers, body = sign(f"127.0.0.1:{auth_server.port}", "ListStreams", {}, helpers.ACCESS_KEY_ID,
                         helpers.SECRET_ACCESS_KEY, shift=datetime.timedelta(minutes=minutes))
    status, out = send(auth_server, headers, body)
    if accepted:
        assert status == 200, out
        return
    assert (status, out["__type"]) == (400, "InvalidSignatureException")
    if minutes < 0:
        assert out["message"].startswith(f"Signature expired: {headers['X-Amz-Date']} is now earlier than ")
        assert out["message"].endswith(" - 5 min.)")
    else:
        assert out["message"].startswith(f"Signature not yet current: {headers['X-Amz-Date']} is still later than ")


def test_missing_signed_header_is_invalid_signature(auth_server):
    headers, body = sign(f"127.0.0.1:{auth_server.port}", "ListStreams", {}, helpers.ACCESS_KEY_ID,
                         helpers.SECRET_ACCESS_KEY, extra_headers={"X-Spate-Signed": "1"})
    assert "x-spate-signed" in headers["Authorization"]
    assert send(auth_server, headers, body)[0] == 200
    del headers["X-Spate-Signed"]
    status, out = send(auth_server, headers, body)
    assert (status, out["__type"], out["message"]) == (400, "InvalidSignatureException", MISMATCH)


def test_tampered_signed_target_is_invalid_signature(auth_server):
    headers, body = sign(f"127.0.0.1:{auth_server.port}", "ListStreams", {}, helpers.ACCESS_KEY_ID,
                         helpers.SECRET_ACCESS_KEY)
    headers["X-Amz-Target"] = f"{helpers.TARGET_PREFIX}.DescribeLimits"
    assert send(auth_server, headers, body)[1]["__type"] == "InvalidSignatureException"


def test_unsigned_and_incomplete_requests(auth_server):
    raw = helpers.RawClient(auth_server.endpoint)
    r = raw.json("ListStreams", {}, sign=False)
    assert (r.status, r.json()["__type"]) == (400, "MissingAuthenticationTokenException")
    r = raw.json("ListStreams", {}, sign=False, extra_headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"})
    assert r.json()["__type"] == "IncompleteSignatureException"


def test_default_account_when_the_line_has_none(auth_server):
    acct = Account(auth_server, KEY_DEFAULT, SECRET_DEFAULT)
    name = helpers.unique_name("auth-default")
    create_active(acct, name)
    arn = acct.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    assert arn == helpers.stream_arn(name, account="000000000000")
    acct.call("DeleteStream", StreamName=name)


# ---------------------------------------------------------------------------- accounts

def test_accounts_and_regions_are_isolated(acct_a, acct_b, auth_server):
    name = helpers.unique_name("auth-iso")
    create_active(acct_a, name)
    arn = helpers.stream_arn(name, account=ACCOUNT_A)
    acct_a.call("PutRecord", StreamName=name, Data=b"private", PartitionKey="k")

    # B neither sees nor reaches A's stream, by name (its own namespace) or by ARN.
    assert name not in acct_b.call("ListStreams")["StreamNames"]
    e = acct_b.error("DescribeStreamSummary", StreamName=name)
    assert (e.type, e.message) == ("ResourceNotFoundException", f"Stream {name} under account {ACCOUNT_B} not found.")
    for op, params in [("DescribeStreamSummary", {}), ("DescribeStream", {}), ("ListShards", {}),
                       ("PutRecord", {"Data": b"x", "PartitionKey": "k"}),
                       ("GetShardIterator", {"ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}),
                       ("AddTagsToStream", {"Tags": {"k": "v"}}), ("DeleteStream", {})]:
        e = acct_b.error(op, StreamARN=arn, **params)
        assert e.type == "AccessDeniedException", (op, e)
        assert e.message == (f"User: arn:aws:iam::{ACCOUNT_B}:root is not authorized to perform: kinesis:{op} on "
                             f"resource: {arn} because no resource-based policy allows the kinesis:{op} action")
    assert acct_b.error("ListTagsForResource", ResourceARN=arn).type == "AccessDeniedException"
    # A stream of A that does not exist reads the same as one that is not shared.
    ghost = helpers.stream_arn(name + "-ghost", account=ACCOUNT_A)
    assert acct_b.error("DescribeStreamSummary", StreamARN=ghost).type == "AccessDeniedException"

    # An iterator A obtained does not read for B.
    it = acct_a.call("GetShardIterator", StreamName=name, ShardId="shardId-000000000000",
                     ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert acct_b.error("GetRecords", ShardIterator=it).type == "AccessDeniedException"
    assert len(acct_a.call("GetRecords", ShardIterator=it)["Records"]) == 1

    # B may have its own stream of the same name; the two do not mix.
    create_active(acct_b, name)
    assert acct_b.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]["StreamARN"] == \
        helpers.stream_arn(name, account=ACCOUNT_B)
    it_b = acct_b.call("GetShardIterator", StreamName=name, ShardId="shardId-000000000000",
                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert acct_b.call("GetRecords", ShardIterator=it_b)["Records"] == []

    # Regions are namespaces too: the same key in eu-west-1 sees none of us-east-1.
    eu = Account(auth_server, helpers.ACCESS_KEY_ID, helpers.SECRET_ACCESS_KEY, region="eu-west-1")
    assert name not in eu.call("ListStreams")["StreamNames"]
    acct_a.call("DeleteStream", StreamName=name)
    acct_b.call("DeleteStream", StreamName=name)


# ---------------------------------------------------------------------------- resource policies

def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_resource_policy_grants_cross_account_read_and_deny_wins(acct_a, acct_b):
    name = helpers.unique_name("auth-pol")
    create_active(acct_a, name)
    arn = helpers.stream_arn(name, account=ACCOUNT_A)
    acct_a.call("PutRecord", StreamName=name, Data=b"shared", PartitionKey="k")
    assert acct_a.call("GetResourcePolicy", ResourceARN=arn) == {"Policy": "{}"}

    allow_read = {"Sid": "read", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
                  "Action": ["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:GetShardIterator",
                             "kinesis:GetRecords"], "Resource": arn}
    doc = policy(allow_read)
    acct_a.call("PutResourcePolicy", ResourceARN=arn, Policy=doc)
    assert acct_a.call("GetResourcePolicy", ResourceARN=arn) == {"Policy": doc}

    # B reads A's stream through its ARN...
    assert acct_b.call("DescribeStreamSummary", StreamARN=arn)["StreamDescriptionSummary"]["StreamARN"] == arn
    shards = acct_b.call("ListShards", StreamARN=arn)["Shards"]
    it = acct_b.call("GetShardIterator", StreamARN=arn, ShardId=shards[0]["ShardId"],
                     ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = acct_b.call("GetRecords", ShardIterator=it, StreamARN=arn)["Records"]
    assert [r["Data"] for r in records] == ["c2hhcmVk"]
    # ...but may not write, delete, or manage the policy.
    assert acct_b.error("PutRecord", StreamARN=arn, Data=b"x", PartitionKey="k").type == "AccessDeniedException"
    assert acct_b.error("DeleteStream", StreamARN=arn).type == "AccessDeniedException"
    assert acct_b.error("GetResourcePolicy", ResourceARN=arn).type == "AccessDeniedException"
    assert acct_b.error("PutResourcePolicy", ResourceARN=arn, Policy=doc).type == "AccessDeniedException"
    # A still owns its stream; its policy is irrelevant to itself.
    assert acct_a.call("GetRecords", ShardIterator=it)["Records"]

    # An explicit Deny wins over the Allow.
    deny = {"Sid": "no-read", "Effect": "Deny", "Principal": "*", "Action": "kinesis:GetRecords", "Resource": arn}
    acct_a.call("PutResourcePolicy", ResourceARN=arn, Policy=policy(allow_read, deny))
    e = acct_b.error("GetRecords", ShardIterator=it)
    assert e.type == "AccessDeniedException"
    assert e.message.endswith("with an explicit deny in a resource-based policy")
    assert acct_b.call("GetShardIterator", StreamARN=arn, ShardId=shards[0]["ShardId"],
                       ShardIteratorType="LATEST")["ShardIterator"]

    # Deleting the policy takes the access away; deleting again is ResourceNotFound.
    acct_a.call("DeleteResourcePolicy", ResourceARN=arn)
    assert acct_a.call("GetResourcePolicy", ResourceARN=arn) == {"Policy": "{}"}
    assert acct_b.error("DescribeStreamSummary", StreamARN=arn).type == "AccessDeniedException"
    assert acct_a.error("DeleteResourcePolicy", ResourceARN=arn).type == "ResourceNotFoundException"
    acct_a.call("DeleteStream", StreamName=name)


def test_resource_policy_validation(acct_a):
    name = helpers.unique_name("auth-polv")
    create_active(acct_a, name)
    arn = helpers.stream_arn(name, account=ACCOUNT_A)
    for bad in ["not json", "{}", json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*",
                                                             "Action": "s3:GetObject", "Resource": "*"}]})]:
        assert acct_a.error("PutResourcePolicy", ResourceARN=arn, Policy=bad).type == "InvalidArgumentException"
    missing = helpers.stream_arn(name + "-missing", account=ACCOUNT_A)
    e = acct_a.error("PutResourcePolicy", ResourceARN=missing, Policy=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "kinesis:*", "Resource": "*"}))
    assert e.type == "ResourceNotFoundException"
    acct_a.call("DeleteStream", StreamName=name)


def test_policies_survive_restart(tmp_path):
    _require_binary()
    creds = tmp_path / "credentials"
    creds.write_text(CREDENTIALS)
    srv = SpatedServer(tmp_path / "data", tmp_path, extra_args=[*FUNCTIONAL_ARGS, "--credentials-file", str(creds)]).start()
    try:
        a, b = Account(srv, helpers.ACCESS_KEY_ID, helpers.SECRET_ACCESS_KEY), Account(srv, KEY_B, SECRET_B)
        create_active(a, "kept")
        arn = helpers.stream_arn("kept", account=ACCOUNT_A)
        doc = policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT_B}, "Action": "kinesis:Describe*",
                      "Resource": arn})
        a.call("PutResourcePolicy", ResourceARN=arn, Policy=doc)
        srv.restart()
        assert a.call("GetResourcePolicy", ResourceARN=arn) == {"Policy": doc}
        assert b.call("DescribeStreamSummary", StreamARN=arn)["StreamDescriptionSummary"]["StreamName"] == "kept"
    finally:
        srv.stop()


# ---------------------------------------------------------------------------- development mode

def test_development_mode_takes_a_12_digit_key_as_the_account(server, raw):
    acct = Account(server, "123456789012", "anything")
    name = helpers.unique_name("auth-dev")
    create_active(acct, name)
    arn = acct.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    assert arn == helpers.stream_arn(name, account="123456789012")
    assert name not in raw.json("ListStreams", {}).json()["StreamNames"]
    acct.call("DeleteStream", StreamName=name)
