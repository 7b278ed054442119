"""Shared by the Firehose-to-S3 tests (tests/integration/test_firehose_s3.py, tests/fault/test_firehose_faults.py):
records that carry their own identity and checksum, spated's S3 flags, and reading a bucket back with boto3.

A record is b"<id>:<crc32 of payload, 8 hex>:<payload>\\n" with a unique decimal id, so a delivered object can be
split into records and each one checked: present, intact, and how many times.
"""

import gzip
import os
import zlib

import boto3
from botocore.config import Config

from helpers import ACCESS_KEY_ID, ACCOUNT_ID, REGION, SECRET_ACCESS_KEY

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/firehose"


def spated_s3_args(s3, endpoint=None, retry_max_ms=300, *more):
    """spated flags that deliver to the S3Server `s3` (or `endpoint`, e.g. a proxy in front of it)."""
    return ["--limits=off", "--s3-endpoint", endpoint or s3.endpoint, "--s3-access-key-id", s3.access_key,
            "--s3-secret-access-key", s3.secret_key, "--delivery-retry-max-ms", str(retry_max_ms), *more]


def firehose_client(endpoint):
    """boto3's Firehose client. Client-side validation is off: Debian's botocore model predates zero buffering
    (IntervalInSeconds 0), which AWS accepts; every other member still goes over the wire as boto3 builds it."""
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                                    region_name=REGION)
    return session.client("firehose", endpoint_url=endpoint,
                          config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                                        read_timeout=30, parameter_validation=False))


def s3_destination(bucket, size_mb=1, interval_s=0, **extra):
    cfg = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
           "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s}}
    cfg.update(extra)
    return cfg


def make_record(rid, payload_bytes=40):
    payload = os.urandom(payload_bytes // 2).hex().encode()
    return b"%d:%08x:%s\n" % (rid, zlib.crc32(payload), payload)


def put_batch(fh, name, records):
    """PutRecordBatch; returns the records the answer acknowledged (FailedPutCount may be non-zero)."""
    out = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])
    assert len(out["RequestResponses"]) == len(records)
    return [r for r, e in zip(records, out["RequestResponses"]) if "RecordId" in e and "ErrorCode" not in e]


def list_objects(client, bucket):
    """{key: body} of every object of the bucket (bodies decompressed when the key ends in .gz)."""
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            found[obj["Key"]] = gzip.decompress(body) if obj["Key"].endswith(".gz") else body
    return found


def parse_records(bodies):
    """{id: count} over the objects' records; asserts every record is whole and its CRC matches."""
    counts = {}
    for key, body in bodies.items():
        assert body.endswith(b"\n") or body == b"", (key, body[-80:])
        for line in body.split(b"\n")[:-1]:
            rid, crc, payload = line.split(b":", 2)
            assert int(crc, 16) == zlib.crc32(payload), (key, line[:80])
            counts[int(rid)] = counts.get(int(rid), 0) + 1
    return counts


def record_id(record):
    return int(record.split(b":", 1)[0])


class S3Proxy:
    """A loopback HTTP proxy in front of an S3 server (s3rver) that records each request and can misbehave.

    Requests are forwarded unchanged (method, path, headers including Host, body) to 127.0.0.1:<target_port>, so
    the signature and virtual-host addressing reach the server as the client made them. `calls` holds
    (method, host, path) of each request as it arrives. Faults, settable at any time from the test:
      fail = (status, code): answer every request with that S3 error instead of forwarding it;
      delay_s = seconds to wait before forwarding (the request still reaches the server after the wait, even
                if the client gave up: a late write, as a slow S3 does it);
    When the server is down the connection is closed without an answer, as a dead server's would be."""

    def __init__(self, target_port):
        import http.client
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.target_port = target_port
        self.fail = None
        self.delay_s = 0.0
        self.calls = []
        self.answered = []   # (method, path, status) of each request answered
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body, headers):
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.calls.append((self.command, self.headers.get("Host", ""), self.path))
                if outer.fail is not None:
                    status, code = outer.fail
                    xml = f"<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>scripted</Message></Error>"
                    self._send(status, xml.encode(), [("Content-Type", "application/xml")])
                    outer.answered.append((self.command, self.path, status))
                    return
                if outer.delay_s:
                    time.sleep(outer.delay_s)
                conn = http.client.HTTPConnection("127.0.0.1", outer.target_port, timeout=30)
                try:
                    conn.request(self.command, self.path, body=body,
                                 headers={k: v for k, v in self.headers.items() if k.lower() != "connection"})
                    resp = conn.getresponse()
                    data = resp.read()
                except OSError:
                    self.close_connection = True   # the server is down: no answer, as if it were us
                    return
                finally:
                    conn.close()
                try:
                    self._send(resp.status, data, resp.getheaders())
                    outer.answered.append((self.command, self.path, resp.status))
                except OSError:
                    pass   # the client gave up (timeout) before the answer

            do_PUT = do_POST = do_DELETE = do_GET = do_HEAD = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
