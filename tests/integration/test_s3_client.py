"""Firehose's S3 client (src/firehose/s3_object_store.cc) against real servers.

The C++ client runs as build/src/firehose/tests/s3_put_tool (one object per run; prints "ok" or
"error <ErrorCode>: <message>"). Objects are checked with boto3's S3 client.

- s3rver (the `s3_server` fixture): a real S3-compatible server. It checks the access key but not SigV4
  signatures, so a second server here, SigningCheckServer, recomputes each request's signature with
  botocore's S3 signer (an independent implementation) and answers S3's multipart protocol, including the
  answers s3rver cannot give (503 SlowDown, an <Error> inside a 200 to CompleteMultipartUpload).
"""

import hashlib
import os
import socket
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PUT_TOOL = Path(os.environ.get("S3_PUT_TOOL", REPO_ROOT / "build" / "src" / "firehose" / "tests" / "s3_put_tool"))
TOOL_TIMEOUT_S = 30
SMALL_PART = 1 << 20   # s3rver takes parts below S3's 5 MiB minimum, so multipart stays quick


@pytest.fixture(scope="module")
def put_tool():
    if not PUT_TOOL.exists():
        pytest.fail(f"{PUT_TOOL} not found: build it (`ninja -C build s3_put_tool`) or set S3_PUT_TOOL", pytrace=False)
    return PUT_TOOL


def put(tool, tmp_path, endpoint, bucket, key, body, *flags, access_key="S3RVER", secret_key="S3RVER"):
    """Runs the tool; returns (ok, error code name or None, message)."""
    src = tmp_path / f"body-{time.monotonic_ns()}"
    src.write_bytes(body)
    cmd = [str(tool), "--endpoint", endpoint, "--bucket", bucket, "--key", key, "--file", str(src),
           "--access-key", access_key, "--secret-key", secret_key, *flags]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    out = p.stdout.strip()
    if p.returncode == 0:
        assert out == "ok", out
        return True, None, ""
    assert p.returncode == 1 and out.startswith("error "), f"rc={p.returncode} out={out!r} err={p.stderr!r}"
    code, _, message = out[len("error "):].partition(": ")
    return False, code, message


def get(s3, bucket, key):
    return s3.client.get_object(Bucket=bucket, Key=key)["Body"].read()


# ---------------------------------------------------------------------------- against s3rver

def test_small_object_is_stored_whole(s3_server, put_tool, tmp_path):
    bucket = s3_server.make_bucket()
    body = b"{\"n\":1}\n{\"n\":2}\n"
    assert put(put_tool, tmp_path, s3_server.endpoint, bucket, "2026/12/06/22/s-1-2026-12-06-22-00-00-a", body) \
        == (True, None, "")
    assert get(s3_server, bucket, "2026/12/06/22/s-1-2026-12-06-22-00-00-a") == body
    head = s3_server.client.head_object(Bucket=bucket, Key="2026/12/06/22/s-1-2026-12-06-22-00-00-a")
    assert head["ContentLength"] == len(body)


def test_empty_object(s3_server, put_tool, tmp_path):
    bucket = s3_server.make_bucket()
    assert put(put_tool, tmp_path, s3_server.endpoint, bucket, "empty", b"")[0]
    assert get(s3_server, bucket, "empty") == b""


def test_keys_that_need_encoding_arrive_unchanged(s3_server, put_tool, tmp_path):
    bucket = s3_server.make_bucket()
    keys = ["a b/c$d+e=f&g", "p/ü€/~tilde_-.x", "q/(1)!'*,;:@", "r/%41 literal percent"]
    for i, key in enumerate(keys):
        assert put(put_tool, tmp_path, s3_server.endpoint, bucket, key, f"body {i}".encode()) == (True, None, "")
    listed = [o["Key"] for o in s3_server.client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed) == sorted(keys)
    for i, key in enumerate(keys):
        assert get(s3_server, bucket, key) == f"body {i}".encode()


def test_large_object_goes_up_in_parts(s3_server, put_tool, tmp_path):
    bucket = s3_server.make_bucket()
    body = os.urandom(3 * SMALL_PART + 12345)   # 4 parts, the last one short
    ok = put(put_tool, tmp_path, s3_server.endpoint, bucket, "big/object.bin", body,
             "--multipart-threshold", str(SMALL_PART), "--part-bytes", str(SMALL_PART))
    assert ok == (True, None, "")
    assert hashlib.sha256(get(s3_server, bucket, "big/object.bin")).digest() == hashlib.sha256(body).digest()
    log = s3_server.log_text()
    stored_parts = [line for line in log.splitlines() if "Stored part" in line and f'bucket "{bucket}"' in line]
    assert len(stored_parts) == 4, log[-3000:]


def test_an_object_at_the_threshold_is_one_put(s3_server, put_tool, tmp_path):
    bucket = s3_server.make_bucket()
    body = os.urandom(SMALL_PART)
    assert put(put_tool, tmp_path, s3_server.endpoint, bucket, "edge", body,
               "--multipart-threshold", str(SMALL_PART), "--part-bytes", str(SMALL_PART // 2))[0]
    assert get(s3_server, bucket, "edge") == body
    assert not [line for line in s3_server.log_text().splitlines()
                if "Stored part" in line and f'bucket "{bucket}"' in line]


def test_rewriting_a_key_replaces_the_object(s3_server, put_tool, tmp_path):
    bucket = s3_server.make_bucket()
    assert put(put_tool, tmp_path, s3_server.endpoint, bucket, "k", b"first version, longer")[0]
    assert put(put_tool, tmp_path, s3_server.endpoint, bucket, "k", b"second")[0]
    assert get(s3_server, bucket, "k") == b"second"
    big = os.urandom(2 * SMALL_PART + 1)   # and a multipart rewrite of the same key
    assert put(put_tool, tmp_path, s3_server.endpoint, bucket, "k", big,
               "--multipart-threshold", str(SMALL_PART), "--part-bytes", str(SMALL_PART))[0]
    assert get(s3_server, bucket, "k") == big
    assert [o["Key"] for o in s3_server.client.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]


def test_one_store_shared_by_threads(s3_server, put_tool, tmp_path):
    bucket = s3_server.make_bucket()
    body = os.urandom(SMALL_PART + 1000)   # each thread's object goes up in 3 parts, all interleaved
    assert put(put_tool, tmp_path, s3_server.endpoint, bucket, "t", body, "--parallel", "8",
               "--multipart-threshold", str(SMALL_PART), "--part-bytes", str(SMALL_PART // 2)) == (True, None, "")
    keys = sorted(o["Key"] for o in s3_server.client.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == [f"t.{i}" for i in range(8)]
    for key in keys:
        assert get(s3_server, bucket, key) == body


def test_virtual_host_addressing(s3_server, put_tool, tmp_path):
    bucket = s3_server.make_bucket()
    assert put(put_tool, tmp_path, s3_server.vhost_endpoint, bucket, "v/h a.txt", b"vhost", "--virtual-host") \
        == (True, None, "")
    assert get(s3_server, bucket, "v/h a.txt") == b"vhost"


def test_missing_bucket_is_not_found(s3_server, put_tool, tmp_path):
    ok, code, message = put(put_tool, tmp_path, s3_server.endpoint, "no-such-bucket-here", "k", b"x")
    assert (ok, code) == (False, "NotFound")
    assert "NoSuchBucket" in message and "no-such-bucket-here" in message


def test_missing_bucket_is_not_found_for_multipart_too(s3_server, put_tool, tmp_path):
    ok, code, message = put(put_tool, tmp_path, s3_server.endpoint, "no-such-bucket-here", "k",
                            os.urandom(SMALL_PART + 1), "--multipart-threshold", str(SMALL_PART))
    assert (ok, code) == (False, "NotFound")
    assert message.startswith("CreateMultipartUpload") and "NoSuchBucket" in message


def test_unknown_access_key_is_access_denied(s3_server, put_tool, tmp_path):
    bucket = s3_server.make_bucket()
    ok, code, message = put(put_tool, tmp_path, s3_server.endpoint, bucket, "k", b"x", access_key="NOT-A-KEY")
    assert (ok, code) == (False, "AccessDenied")
    assert "InvalidAccessKeyId" in message


def test_stopped_server_is_unavailable_then_delivery_resumes(make_s3_server, put_tool, tmp_path):
    srv = make_s3_server()
    bucket = srv.create_bucket()
    srv.stop()
    ok, code, message = put(put_tool, tmp_path, srv.endpoint, bucket, "k", b"while down")
    assert (ok, code) == (False, "Unavailable"), message
    srv.start()   # same port, same directory
    assert put(put_tool, tmp_path, srv.endpoint, bucket, "k", b"after restart")[0]
    assert get(srv, bucket, "k") == b"after restart"


def test_a_server_that_never_answers_times_out_as_unavailable(put_tool, tmp_path):
    with socket.socket() as listener:   # accepts into its backlog, never reads or answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
        start = time.monotonic()
        ok, code, message = put(put_tool, tmp_path, endpoint, "b", "k", b"x", "--timeout-ms", "300")
        elapsed = time.monotonic() - start
    assert (ok, code) == (False, "Unavailable"), message
    assert "imeout" in message or "timed out" in message
    assert elapsed < 5


def test_bad_endpoint_is_invalid_argument(put_tool, tmp_path):
    ok, code, message = put(put_tool, tmp_path, "127.0.0.1:9", "b", "k", b"x")
    assert (ok, code) == (False, "InvalidArgument")
    ok, code, _ = put(put_tool, tmp_path, "http://127.0.0.1:9", "b", "k", b"x", "--virtual-host")
    assert (ok, code) == (False, "InvalidArgument")


# ---------------------------------------------------------------------------- signatures, checked by botocore

ACCESS_KEY = "AKIDSPATETEST"
SECRET_KEY = "spate/secret+key"
REGION = "eu-west-1"


def botocore_signature(method, raw_path, headers, body, session_token):
    """The signature botocore's S3 signer gives the request as received (the headers it signed, its x-amz-date)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed = headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    auto = {"x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}   # botocore sets these itself
    req = AWSRequest(method=method, url=f"http://{headers['host']}{raw_path}", data=body,
                     headers={k: headers[k] for k in signed if k not in auto})
    req.context["timestamp"] = headers["x-amz-date"]
    auth = S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, session_token or None), "s3", REGION)
    auth._modify_request_before_signing(req)
    return auth.signature(auth.string_to_sign(req, auth.canonical_request(req)), req), signed


class SigningCheckServer:
    """A loopback HTTP server speaking S3's PutObject and multipart calls that refuses (403) any request whose
    SigV4 signature or payload hash differs from botocore's. `faults` scripts answers: {"put": (status, code)},
    {"complete_200_error": True}. `calls` records (method, path, query) of each request as it arrives, before it
    is answered (the client sends its next request only after an answer, so the order is the client's)."""

    def __init__(self, session_token=""):
        self.session_token = session_token
        self.faults = {}
        self.calls = []
        self.objects = {}
        self.parts = {}
        self.mismatches = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status, code, message="scripted"):
                xml = f"<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
                self._answer(status, xml.encode())

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                hdrs = {k.lower(): v for k, v in self.headers.items()}
                path, _, query = self.path.partition("?")
                params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
                outer.calls.append((self.command, path, params))
                want, signed = botocore_signature(self.command, self.path, hdrs, body, outer.session_token)
                got = hdrs["authorization"].split("Signature=")[1]
                scope_ok = f"Credential={ACCESS_KEY}/{hdrs['x-amz-date'][:8]}/{REGION}/s3/aws4_request" \
                    in hdrs["authorization"]
                sha_ok = hdrs.get("x-amz-content-sha256") == hashlib.sha256(body).hexdigest()
                token_ok = hdrs.get("x-amz-security-token", "") == outer.session_token and \
                    (not outer.session_token or "x-amz-security-token" in signed)
                if want != got or not scope_ok or not sha_ok or not token_ok:
                    outer.mismatches.append((self.command, self.path, want, got, scope_ok, sha_ok, token_ok))
                    self._error(403, "SignatureDoesNotMatch")
                elif self.command == "PUT" and "uploadId" in params:
                    etag = '"' + hashlib.md5(body).hexdigest() + '"'
                    outer.parts.setdefault(params["uploadId"], {})[int(params["partNumber"])] = (etag, body)
                    self._answer(200, headers=[("ETag", etag)])
                elif self.command == "PUT":
                    if "put" in outer.faults:
                        self._error(*outer.faults["put"])
                    else:
                        outer.objects[path] = body
                        self._answer(200, headers=[("ETag", '"' + hashlib.md5(body).hexdigest() + '"')])
                elif self.command == "POST" and "uploads" in params:
                    self._answer(200, b"<?xml version=\"1.0\"?><InitiateMultipartUploadResult><Bucket>b</Bucket>"
                                      b"<Key>k</Key><UploadId>up/1+2=&amp;x</UploadId>"
                                      b"</InitiateMultipartUploadResult>")
                elif self.command == "POST" and "uploadId" in params:
                    parts = outer.parts.get(params["uploadId"], {})
                    listed = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{e.replace(chr(34), '&quot;')}</ETag>"
                                     f"</Part>" for n, (e, _) in sorted(parts.items()))
                    if listed not in body.decode():
                        self._error(400, "InvalidPart", "part list differs")
                    elif outer.faults.get("complete_200_error"):
                        self._error(200, "InternalError", "We encountered an internal error. Please try again.")
                    else:
                        outer.objects[path] = b"".join(b for _, (_, b) in sorted(parts.items()))
                        self._answer(200, b"<?xml version=\"1.0\"?><CompleteMultipartUploadResult><Key>k</Key>"
                                          b"</CompleteMultipartUploadResult>")
                elif self.command == "DELETE" and "uploadId" in params:
                    outer.parts.pop(params["uploadId"], None)
                    self._answer(204)
                else:
                    self._error(400, "NotImplemented")

            do_PUT = do_POST = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def signing_server():
    servers = []

    def factory(session_token=""):
        servers.append(SigningCheckServer(session_token))
        return servers[-1]

    yield factory
    for s in servers:
        s.close()


def signed_put(tool, tmp_path, srv, key, body, *flags):
    return put(tool, tmp_path, srv.endpoint, "bucket", key, body, "--region", REGION, *flags,
               access_key=ACCESS_KEY, secret_key=SECRET_KEY)


def test_signatures_match_botocore_for_odd_keys(signing_server, put_tool, tmp_path):
    srv = signing_server()
    keys = ["plain", "a b/c$d+e=f&g", "ü€/~_-.", "dir//x/../y", "(1)!'*,;:@%41"]
    for key in keys:
        assert signed_put(put_tool, tmp_path, srv, key, key.encode() * 3) == (True, None, ""), srv.mismatches
    assert srv.mismatches == []
    assert sorted(srv.objects) == sorted(f"/bucket/{urllib.parse.quote(k, safe='/~')}" for k in keys)
    # A wrong secret gives another signature, which the server refuses: the comparison is not vacuous.
    ok, code, _ = put(put_tool, tmp_path, srv.endpoint, "bucket", "plain", b"x", "--region", REGION,
                      access_key=ACCESS_KEY, secret_key=SECRET_KEY + "x")
    assert (ok, code) == (False, "AccessDenied")
    assert len(srv.mismatches) == 1


def test_session_token_is_sent_and_signed(signing_server, put_tool, tmp_path):
    token = "FwoGZXIvYXdzE/token+with=chars"
    srv = signing_server(session_token=token)
    assert signed_put(put_tool, tmp_path, srv, "k", b"x", "--session-token", token) == (True, None, "")
    assert srv.mismatches == []
    # Without the token the server refuses, so the check above is not vacuous.
    ok, code, _ = signed_put(put_tool, tmp_path, srv, "k", b"x")
    assert (ok, code) == (False, "AccessDenied")


def test_multipart_calls_are_signed_and_in_order(signing_server, put_tool, tmp_path):
    srv = signing_server()
    body = os.urandom(5 * 1000 + 7)
    assert signed_put(put_tool, tmp_path, srv, "m/p", body, "--multipart-threshold", "4000",
                      "--part-bytes", "1000") == (True, None, "")
    assert srv.mismatches == []
    assert [(m, p.get("partNumber")) for m, _, p in srv.calls] == \
        [("POST", None)] + [("PUT", str(n)) for n in range(1, 7)] + [("POST", None)]
    assert all(p.get("uploadId") == "up/1+2=&x" for _, _, p in srv.calls[1:])   # decoded and re-encoded intact
    assert srv.objects["/bucket/m/p"] == body


def test_slow_down_is_unavailable(signing_server, put_tool, tmp_path):
    srv = signing_server()
    srv.faults["put"] = (503, "SlowDown")
    ok, code, message = signed_put(put_tool, tmp_path, srv, "k", b"x")
    assert (ok, code) == (False, "Unavailable")
    assert "SlowDown" in message
    srv.faults["put"] = (400, "InvalidRequest")
    assert signed_put(put_tool, tmp_path, srv, "k", b"x")[1] == "InvalidArgument"


def test_error_inside_a_200_completion_fails_and_aborts_the_upload(signing_server, put_tool, tmp_path):
    srv = signing_server()
    srv.faults["complete_200_error"] = True
    ok, code, message = signed_put(put_tool, tmp_path, srv, "m", os.urandom(3000), "--multipart-threshold", "1000",
                                   "--part-bytes", "1000")
    assert (ok, code) == (False, "Unavailable")
    assert "CompleteMultipartUpload" in message and "InternalError" in message
    assert srv.calls[-1][0] == "DELETE" and srv.calls[-1][2]["uploadId"] == "up/1+2=&x"
    assert srv.parts == {} and "/bucket/m" not in srv.objects
