"""Shared helpers for the Spate integration suite.

Everything here talks to a real `spated` over the network. Three real AWS clients (boto3, aws-cli and the
JavaScript SDK v3 over HTTP/2) and one raw HTTP client are wrapped behind one tiny interface, the *driver*:

    driver.call("PutRecord", StreamName=..., Data=b"...", PartitionKey="k") -> dict
    driver.call(...) raises KinesisError(type, message, request_id, http_status) on an AWS error

so one scenario runs unchanged through every client (STYLE.md rule 14). Results are normalised to what
boto3 returns: blobs are `bytes`, timestamps are timezone-aware `datetime`s, ResponseMetadata is dropped
(the request id of the last call is kept in `driver.last_request_id`).
"""

import base64
import datetime
import hashlib
import http.client
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import OperationNotFoundError

import cbor_codec

ACCOUNT_ID = "000000000000"
REGION = "us-east-1"
ACCESS_KEY_ID = "AKIDSPATETEST"
SECRET_ACCESS_KEY = "spate-test-secret-key"
TARGET_PREFIX = "Kinesis_20131202"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
CBOR_CONTENT_TYPE = "application/x-amz-cbor-1.1"
MAX_HASH_KEY = 2**128 - 1
MAX_RECORD_BYTES = 1024 * 1024          # data + partition key, default stream limit
MAX_PUT_RECORDS_ENTRIES = 500
ALL_METRICS = [
    "IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
    "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds",
]

HERE = Path(__file__).resolve().parent
JS_DIR = HERE / "js"

CALL_TIMEOUT_S = 60          # upper bound for any single client call (subprocess or HTTP)
STATE_TIMEOUT_S = 20         # upper bound for a CREATING/DELETING/UPDATING transition to finish


# ----------------------------------------------------------------------------------------------------
# Small pure helpers
# ----------------------------------------------------------------------------------------------------

def unique_name(prefix="s"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def stream_arn(name, region=REGION, account=ACCOUNT_ID):
    return f"arn:aws:kinesis:{region}:{account}:stream/{name}"


def rnf_message(name):
    return f"Stream {name} under account {ACCOUNT_ID} not found."


def hash_key(partition_key):
    """AWS's partition-key hash: MD5 of the UTF-8 bytes read as a big-endian 128-bit integer."""
    return int(hashlib.md5(partition_key.encode("utf-8")).hexdigest(), 16)


def expected_hash_ranges(shard_count):
    step = 2**128 // shard_count
    ranges = []
    for i in range(shard_count):
        end = MAX_HASH_KEY if i == shard_count - 1 else (i + 1) * step - 1
        ranges.append((i * step, end))
    return ranges


def shard_id(index):
    return f"shardId-{index:012d}"


def shard_for_hash(shards, h):
    """The open shard (from a DescribeStream/ListShards shard list) whose hash range holds h."""
    hits = [s["ShardId"] for s in shards
            if "EndingSequenceNumber" not in s.get("SequenceNumberRange", {})
            and int(s["HashKeyRange"]["StartingHashKey"]) <= h <= int(s["HashKeyRange"]["EndingHashKey"])]
    assert len(hits) == 1, f"hash {h} is covered by {hits}"
    return hits[0]


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def is_sequence_number(s):
    return isinstance(s, str) and re.fullmatch(r"0|[1-9]\d{0,128}", s) is not None


def poll_until(fn, timeout=STATE_TIMEOUT_S, interval=0.02, what="condition"):
    """Call fn() until it returns a truthy value or the deadline passes (then AssertionError)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value {last!r}")
        time.sleep(interval)


def local_objects(root):
    """{key: body} of the objects spated's local object store holds under `root` (a bucket directory, or an
    error-output directory). The store writes each object to a `.tmp-` file and renames it into place, so a
    listing can see a file that is renamed or gone before it is read: those are not objects yet."""
    root = Path(root)
    if not root.exists():
        return {}
    out = {}
    for p in sorted(root.rglob("*")):
        if p.name.startswith(".tmp-"):
            continue
        try:
            if p.is_file():
                out[str(p.relative_to(root))] = p.read_bytes()
        except FileNotFoundError:
            continue
    return out


def wait_until_wall_clock(target_epoch_s, timeout=5.0):
    """Polling loop (not a fixed sleep) until the local wall clock has passed target_epoch_s."""
    poll_until(lambda: time.time() > target_epoch_s, timeout=timeout, interval=0.01,
               what=f"wall clock to pass {target_epoch_s}")


# ----------------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------------

class KinesisError(Exception):
    """An AWS error as seen by one client: __type, message, request id, HTTP status."""

    def __init__(self, type_, message, request_id=None, http_status=None, client=None):
        super().__init__(f"[{client}] {type_}: {message}")
        self.type = type_
        self.message = message
        self.request_id = request_id
        self.http_status = http_status
        self.client = client


class ClientValidationError(Exception):
    """The client refused the request before sending it (boto3/aws-cli parameter validation)."""


# ----------------------------------------------------------------------------------------------------
# Value normalisation shared by the JSON-speaking drivers
# ----------------------------------------------------------------------------------------------------

def _parse_timestamp(v):
    if isinstance(v, (int, float)):
        return datetime.datetime.fromtimestamp(v, datetime.timezone.utc)
    if isinstance(v, str):
        s = v.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", s):
            return datetime.datetime.fromtimestamp(float(s), datetime.timezone.utc)
        if s.endswith("Z"):
            s = s[:-1] + "+00:00"
        dt = datetime.datetime.fromisoformat(s)
        return dt if dt.tzinfo else dt.replace(tzinfo=datetime.timezone.utc)
    return v


def normalize_json_output(obj, key=None):
    """JSON wire values -> boto3-like values: Data base64 -> bytes, *Timestamp -> aware datetime."""
    if isinstance(obj, dict):
        return {k: normalize_json_output(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [normalize_json_output(v, key) for v in obj]
    if key == "Data" and isinstance(obj, str):
        return base64.b64decode(obj)
    if key is not None and key.endswith("Timestamp") or key in ("StartedAt", "EndedAt", "EarliestAllowedEndAt"):
        return _parse_timestamp(obj)
    return obj


def encode_json_input(obj):
    """boto3-like input values -> JSON wire values (bytes -> base64, datetime -> epoch seconds w/ ms)."""
    if isinstance(obj, dict):
        return {k: encode_json_input(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode_json_input(v) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return base64.b64encode(bytes(obj)).decode("ascii")
    if isinstance(obj, datetime.datetime):
        return round(obj.timestamp(), 3)
    return obj


# ----------------------------------------------------------------------------------------------------
# Raw HTTP client (no client-side validation; lets us send anything)
# ----------------------------------------------------------------------------------------------------

class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # lower-cased names -> value
        self.body = body

    @property
    def content_type(self):
        return self.headers.get("content-type", "")

    def json(self):
        return json.loads(self.body.decode("utf-8")) if self.body else {}

    def cbor(self):
        return cbor_codec.loads(self.body) if self.body else {}

    def __repr__(self):
        return f"RawResponse({self.status}, {self.headers!r}, {self.body[:300]!r})"


def sigv4_headers(host_port, body, headers, region=REGION, service="kinesis"):
    """Sign with dummy credentials so the request is well-formed whether or not the server verifies."""
    req = AWSRequest(method="POST", url=f"http://{host_port}/", data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), service, region).add_auth(req)
    return dict(req.headers.items())


class RawClient:
    """One POST per connection via http.client (HTTP/1.1)."""

    def __init__(self, endpoint, timeout=CALL_TIMEOUT_S):
        m = re.fullmatch(r"http://([^:/]+):(\d+)/?", endpoint)
        assert m, endpoint
        self.host, self.port = m.group(1), int(m.group(2))
        self.timeout = timeout

    @property
    def host_port(self):
        return f"{self.host}:{self.port}"

    def request(self, operation=None, body=b"", content_type=JSON_CONTENT_TYPE, sign=True,
                target=None, extra_headers=None, method="POST", path="/"):
        headers = {"Content-Type": content_type} if content_type else {}
        if target is None and operation is not None:
            target = f"{TARGET_PREFIX}.{operation}"
        if target is not None:
            headers["X-Amz-Target"] = target
        if sign:
            headers = sigv4_headers(self.host_port, body, headers)
        else:
            headers["X-Amz-Date"] = utcnow().strftime("%Y%m%dT%H%M%SZ")
        headers.update(extra_headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def json(self, operation, params=None, **kw):
        body = json.dumps(encode_json_input(params or {})).encode("utf-8")
        return self.request(operation, body, JSON_CONTENT_TYPE, **kw)

    def cbor(self, operation, params=None, **kw):
        return self.request(operation, cbor_codec.dumps(params or {}), CBOR_CONTENT_TYPE, **kw)


# ----------------------------------------------------------------------------------------------------
# Drivers: one interface over every client
# ----------------------------------------------------------------------------------------------------

class RawJsonDriver:
    """JSON 1.1 over raw HTTP/1.1: sends exactly what the test gives (no client-side validation)."""

    name = "raw"

    def __init__(self, endpoint):
        self.raw = RawClient(endpoint)
        self.last_request_id = None

    def supports(self, op, inputs=(), outputs=()):
        return True

    def call(self, op, **params):
        resp = self.raw.json(op, params)
        self.last_request_id = resp.headers.get("x-amzn-requestid")
        if resp.status != 200:
            try:
                body = resp.json()
            except ValueError:
                body = {}
            type_ = body.get("__type", "")
            type_ = type_.rsplit("#", 1)[-1]
            raise KinesisError(type_, body.get("message", body.get("Message")), self.last_request_id,
                               resp.status, self.name)
        return normalize_json_output(resp.json())


def make_boto3_client(endpoint, sent_once=False):
    """The suite's boto3 client. botocore's max_attempts counts retries, so it still resends a call once
    after a retryable error; `sent_once` sends each call exactly once (total_max_attempts 1), for tests
    that count duplicates as the server's."""
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                                    region_name=REGION)
    retries = {"total_max_attempts": 1} if sent_once else {"max_attempts": 1}
    return session.client(
        "kinesis", endpoint_url=endpoint,
        config=Config(retries={**retries, "mode": "standard"}, connect_timeout=5,
                      read_timeout=CALL_TIMEOUT_S, tcp_keepalive=False))


class Boto3Driver:
    name = "boto3"

    def __init__(self, endpoint):
        self.client = make_boto3_client(endpoint)
        self.model = self.client.meta.service_model
        self.last_request_id = None

    def supports(self, op, inputs=(), outputs=()):
        try:
            om = self.model.operation_model(op)
        except OperationNotFoundError:
            return False
        in_members = om.input_shape.members if om.input_shape else {}
        out_members = om.output_shape.members if om.output_shape else {}
        return all(m in in_members for m in inputs) and all(m in out_members for m in outputs)

    def call(self, op, **params):
        try:
            resp = getattr(self.client, xform_name(op))(**params)
        except ClientError as e:
            meta = e.response.get("ResponseMetadata", {})
            self.last_request_id = meta.get("RequestId")
            err = e.response.get("Error", {})
            raise KinesisError(err.get("Code"), err.get("Message"), self.last_request_id,
                               meta.get("HTTPStatusCode"), self.name) from None
        except ParamValidationError as e:
            raise ClientValidationError(str(e)) from None
        self.last_request_id = resp.pop("ResponseMetadata", {}).get("RequestId")
        return resp


class CliDriver:
    """aws-cli as a subprocess: `aws kinesis <op> --cli-input-json file://...`.

    v1 (pyenv here) and v2 (Debian's awscli 2.9) differ: v2 reads blobs in JSON input as base64
    (cli_binary_format=base64), v1 sends the string's UTF-8 bytes, so binary Data needs v2. Timestamps
    are printed as ISO 8601 (cli_timestamp_format) and auto-pagination is off (--no-paginate).
    """

    name = "cli"
    _version_cache = {}

    def __init__(self, endpoint, workdir):
        self.aws = shutil.which("aws")
        self.endpoint = endpoint
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_file = self.workdir / "aws-config"
        self.config_file.write_text("[default]\nregion = us-east-1\ncli_timestamp_format = iso8601\n")
        self.major = self.version()[0]
        self.last_request_id = None
        self._skeletons = {}
        self._counter = 0

    @property
    def env(self):
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_CONFIG_FILE": str(self.config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.workdir / "no-credentials"),
            "AWS_DEFAULT_REGION": REGION, "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard",
            "AWS_PAGER": "", "PAGER": "cat",
        })
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL"):
            env.pop(k, None)
        return env

    def version(self):
        if self.aws not in CliDriver._version_cache:
            p = subprocess.run([self.aws, "--version"], capture_output=True, text=True, timeout=CALL_TIMEOUT_S,
                               env=self.env if hasattr(self, "config_file") else None)
            m = re.search(r"aws-cli/(\d+)\.(\d+)\.(\d+)", p.stdout + p.stderr)
            assert m, f"cannot parse `aws --version`: {p.stdout!r} {p.stderr!r}"
            CliDriver._version_cache[self.aws] = tuple(int(x) for x in m.groups())
        return CliDriver._version_cache[self.aws]

    def _base_args(self, op):
        args = [self.aws, "kinesis", xform_name(op, "-"), "--endpoint-url", self.endpoint,
                "--region", REGION, "--output", "json", "--no-paginate",
                "--cli-read-timeout", str(CALL_TIMEOUT_S), "--cli-connect-timeout", "10"]
        if self.major >= 2:
            args.append("--no-cli-pager")
        return args

    def supports(self, op, inputs=(), outputs=()):
        key = op
        if key not in self._skeletons:
            res = {}
            for kind in ("input", "output"):
                p = subprocess.run(self._base_args(op)[:3] + ["--region", REGION, "--generate-cli-skeleton", kind],
                                   capture_output=True, text=True, timeout=CALL_TIMEOUT_S, env=self.env)
                try:
                    res[kind] = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None
                except ValueError:
                    res[kind] = None
            self._skeletons[key] = res
        sk = self._skeletons[key]
        if sk["input"] is None:
            return False
        if outputs and sk["output"] is None:
            return False
        return all(m in sk["input"] for m in inputs) and all(m in (sk["output"] or {}) for m in outputs)

    def _encode(self, obj):
        if isinstance(obj, dict):
            return {k: self._encode(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self._encode(v) for v in obj]
        if isinstance(obj, (bytes, bytearray)):
            if self.major >= 2:
                return base64.b64encode(bytes(obj)).decode("ascii")
            try:
                return bytes(obj).decode("utf-8")
            except UnicodeDecodeError:
                pytest.skip("aws-cli v1 sends blob strings as UTF-8 text: it cannot send non-UTF-8 Data")
        if isinstance(obj, datetime.datetime):
            return obj.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds")
        return obj

    def call(self, op, **params):
        self._counter += 1
        path = self.workdir / f"input-{os.getpid()}-{self._counter}.json"
        path.write_text(json.dumps(self._encode(params)))
        try:
            p = subprocess.run(self._base_args(op) + ["--cli-input-json", f"file://{path}"],
                               capture_output=True, text=True, timeout=CALL_TIMEOUT_S, env=self.env)
        finally:
            path.unlink(missing_ok=True)
        if p.returncode == 0:
            out = p.stdout.strip()
            return normalize_json_output(json.loads(out)) if out else {}
        m = re.search(r"An error occurred \(([^)]*)\) when calling the \w+ operation"
                      r"(?: \(reached max retries: \d+\))?: (.*)", p.stderr, re.S)
        if m:
            raise KinesisError(m.group(1), m.group(2).strip(), None, None, self.name)
        if "Parameter validation failed" in p.stderr or "Invalid type for parameter" in p.stderr:
            raise ClientValidationError(p.stderr.strip())
        raise AssertionError(f"aws-cli {op} failed (rc={p.returncode}) without an AWS error:\n"
                             f"stdout: {p.stdout[:2000]}\nstderr: {p.stderr[:4000]}")


def _js_decode(obj):
    if isinstance(obj, dict):
        if set(obj) == {"__bytes"}:
            return base64.b64decode(obj["__bytes"])
        if set(obj) == {"__date"}:
            return datetime.datetime.fromtimestamp(obj["__date"] / 1000.0, datetime.timezone.utc)
        return {k: _js_decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_js_decode(v) for v in obj]
    return obj


def _js_encode(obj):
    if isinstance(obj, dict):
        return {k: _js_encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_js_encode(v) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return {"__bytes": base64.b64encode(bytes(obj)).decode("ascii")}
    if isinstance(obj, datetime.datetime):
        return {"__date": round(obj.timestamp() * 1000)}
    return obj


class JsDriver:
    """@aws-sdk/client-kinesis (default NodeHttp2Handler, i.e. h2c prior knowledge) in a long-lived node
    process (js/driver.mjs) that executes one command per JSON line on stdin."""

    name = "js"

    def __init__(self, node, endpoint, log_path):
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([node, str(JS_DIR / "driver.mjs"), endpoint], cwd=str(JS_DIR),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.last_request_id = None
        self._id = 0
        hello = self._next_line(timeout=CALL_TIMEOUT_S)
        assert hello.get("ready"), hello
        self.handler = hello.get("handler")
        self.sdk_version = hello.get("sdkVersion")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _next_line(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"JS driver did not answer within {timeout}s (log: {self.log.name})")
        if line is None:
            raise AssertionError(f"JS driver exited (rc={self.proc.poll()}); see {self.log.name}")
        return json.loads(line)

    def supports(self, op, inputs=(), outputs=()):
        return True

    def _request(self, op, params):
        self._id += 1
        msg = json.dumps({"id": self._id, "op": op, "params": _js_encode(params)}) + "\n"
        self.proc.stdin.write(msg.encode("utf-8"))
        self.proc.stdin.flush()
        reply = self._next_line(timeout=CALL_TIMEOUT_S)
        assert reply.get("id") == self._id, reply
        return reply

    def call(self, op, **params):
        reply = self._request(op, params)
        self.last_request_id = reply.get("requestId")
        if not reply["ok"]:
            e = reply["error"]
            raise KinesisError(e.get("type"), e.get("message"), e.get("requestId"), e.get("httpStatus"), self.name)
        return _js_decode(reply["result"])

    def stats(self):
        return self._request("__stats", {})["result"]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def require(driver, op, inputs=(), outputs=()):
    """Skip (with the reason) when this client's bundled API model predates what the scenario needs
    (boto3 1.26 on Debian 12 has no StreamARN, TagResource, ListStreams NextToken, ...)."""
    if not driver.supports(op, inputs, outputs):
        what = ", ".join(dict.fromkeys([*inputs, *outputs])) or "the operation"
        pytest.skip(f"{driver.name}'s bundled API model lacks {op} {what}")


# ----------------------------------------------------------------------------------------------------
# Stream helpers (driver-agnostic; they use the fast raw client)
# ----------------------------------------------------------------------------------------------------

def describe_summary_raw(raw, name):
    resp = raw.json("DescribeStreamSummary", {"StreamName": name})
    if resp.status == 200:
        return resp.json()["StreamDescriptionSummary"]
    body = resp.json() if resp.body else {}
    if body.get("__type", "").endswith("ResourceNotFoundException"):
        return None
    raise AssertionError(f"DescribeStreamSummary({name}) failed: {resp!r}")


def wait_active(raw, name, timeout=STATE_TIMEOUT_S):
    return poll_until(lambda: (lambda s: s if s and s["StreamStatus"] == "ACTIVE" else None)(
        describe_summary_raw(raw, name)), timeout=timeout, what=f"stream {name} ACTIVE")


def wait_gone(raw, name, timeout=STATE_TIMEOUT_S):
    poll_until(lambda: describe_summary_raw(raw, name) is None, timeout=timeout, what=f"stream {name} deleted")


def create_stream_raw(raw, name, shards=1, **extra):
    params = {"StreamName": name, **extra}
    if shards is not None:
        params["ShardCount"] = shards
    resp = raw.json("CreateStream", params)
    assert resp.status == 200, resp
    return wait_active(raw, name)


def list_all_shards_raw(raw, name):
    resp = raw.json("DescribeStream", {"StreamName": name})
    assert resp.status == 200, resp
    return resp.json()["StreamDescription"]["Shards"]


def read_shard(driver, name, shard, iterator_type="TRIM_HORIZON", max_calls=50, **kw):
    """All records currently readable from one shard via GetShardIterator + GetRecords until caught up."""
    it = driver.call("GetShardIterator", StreamName=name, ShardId=shard, ShardIteratorType=iterator_type,
                     **kw)["ShardIterator"]
    records = []
    for _ in range(max_calls):
        out = driver.call("GetRecords", ShardIterator=it)
        records.extend(out["Records"])
        it = out.get("NextShardIterator")
        if not out["Records"] and out.get("MillisBehindLatest", 0) == 0:
            break
        if it is None:
            break
    return records
