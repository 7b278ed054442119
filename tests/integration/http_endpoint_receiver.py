"""An HTTP endpoint receiver for the Firehose HTTP endpoint tests.

It checks every request against AWS's "HTTP Endpoint Delivery Request and Response Specifications" (version
1.0): `POST`, `X-Amz-Firehose-Protocol-Version: 1.0`, an `X-Amz-Firehose-Request-Id` equal to the body's
`requestId`, `X-Amz-Firehose-Source-Arn`, the `X-Amz-Firehose-Access-Key` it expects (when one is set),
`X-Amz-Firehose-Common-Attributes` as `{"commonAttributes": {...}}` (when expected), `Content-Type:
application/json`, `Content-Encoding: gzip` bodies, and a body `{"requestId", "timestamp" (ms), "records":
[{"data": base64}]}` of 1 to 10,000 records. A request that breaks a rule is answered 400 and recorded in
`violations` (tests assert that it stays empty).

Answers on demand (`answer_next(kind, times)`, or `always(kind)`): "ok" (200 with the matching requestId, the
default), "500", "413", "302" (a redirect to a path that would accept), "garbage" (200 with a non-JSON
body), "wrong-id" (200 with another requestId). `delay_s` holds every answer back that long (an endpoint
slower than Spate's timeout never answers in time). `stop()` / `start()` refuse connections in between.
Every request is logged in `requests` as (request id, [record bytes], answer kind), and records acknowledged
with a correct 200 in `delivered` (request id -> records), so retries and their ids can be checked.
"""

import base64
import gzip
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HttpEndpointReceiver:
    def __init__(self, access_key=None, common_attributes=None):
        self.lock = threading.Lock()
        self.access_key = access_key
        self.common_attributes = common_attributes
        self.requests = []
        self.delivered = {}
        self.violations = []
        self.plan = []          # [kind, times_left]
        self.default = "ok"
        self.delay_s = 0.0
        self.port = 0
        self.httpd = None
        self.thread = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/firehose"

    def start(self):
        handler = type("ReceiverHandler", (_Handler,), {"receiver": self})
        self.httpd = _Server(("127.0.0.1", self.port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    def answer_next(self, kind, times=1):
        with self.lock:
            self.plan.append([kind, times])

    def always(self, kind):
        with self.lock:
            self.plan.clear()
            self.default = kind

    def delivered_records(self):
        with self.lock:
            return [r for records in self.delivered.values() for r in records]

    def _next_kind(self):
        for step in self.plan:
            if step[1] > 0:
                step[1] -= 1
                return step[0]
        return self.default

    def check(self, method, path, headers, body):
        """Returns (status, answer bytes, content type)."""
        problems = []
        if method != "POST":
            problems.append(f"method {method}")
        if headers.get("X-Amz-Firehose-Protocol-Version") != "1.0":
            problems.append(f"protocol version {headers.get('X-Amz-Firehose-Protocol-Version')!r}")
        request_id = headers.get("X-Amz-Firehose-Request-Id")
        if not request_id:
            problems.append("no X-Amz-Firehose-Request-Id")
        if not (headers.get("X-Amz-Firehose-Source-Arn") or "").startswith("arn:aws:firehose:"):
            problems.append(f"source arn {headers.get('X-Amz-Firehose-Source-Arn')!r}")
        if self.access_key is not None and headers.get("X-Amz-Firehose-Access-Key") != self.access_key:
            problems.append(f"access key {headers.get('X-Amz-Firehose-Access-Key')!r}")
        if self.common_attributes is not None:
            try:
                got = json.loads(headers.get("X-Amz-Firehose-Common-Attributes") or "null")
            except ValueError:
                got = None
            if got != {"commonAttributes": self.common_attributes}:
                problems.append(f"common attributes {headers.get('X-Amz-Firehose-Common-Attributes')!r}")
        if (headers.get("Content-Type") or "").split(";")[0] != "application/json":
            problems.append(f"content type {headers.get('Content-Type')!r}")
        if (headers.get("Content-Encoding") or "").lower() == "gzip":
            try:
                body = gzip.decompress(body)
            except OSError:
                problems.append("body not gzip")
        records = []
        try:
            doc = json.loads(body)
            if doc.get("requestId") != request_id:
                problems.append("body requestId differs from the header")
            if not isinstance(doc.get("timestamp"), int):
                problems.append("no integer timestamp")
            if not 1 <= len(doc["records"]) <= 10000:
                problems.append(f"{len(doc['records'])} records")
            records = [base64.b64decode(r["data"], validate=True) for r in doc["records"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append("body is not the JSON envelope")
        with self.lock:
            if problems:
                self.violations.extend(problems)
                self.requests.append((request_id, records, "violation"))
                return 400, json.dumps({"requestId": request_id, "timestamp": _now_ms(),
                                        "errorMessage": "; ".join(problems)}).encode(), "application/json"
            kind = self._next_kind()
            self.requests.append((request_id, records, kind))
            if kind == "ok":
                self.delivered[request_id] = records
                return 200, json.dumps({"requestId": request_id, "timestamp": _now_ms()}).encode(), \
                    "application/json"
        if kind == "garbage":
            return 200, b"<html>not json</html>", "text/html"
        if kind == "wrong-id":
            return 200, json.dumps({"requestId": "not-" + request_id, "timestamp": _now_ms()}).encode(), \
                "application/json"
        return int(kind), json.dumps({"requestId": request_id, "timestamp": _now_ms(),
                                      "errorMessage": f"answering {kind} on demand"}).encode(), "application/json"


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that went away mid-connection (Spate killed with its connection open) is no error of the
        receiver's; anything else is printed as socketserver does."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _now_ms():
    return int(time.time() * 1000)


class _Handler(BaseHTTPRequestHandler):
    receiver = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        status, data, ctype = self.receiver.check(self.command, self.path, self.headers, body)
        if self.receiver.delay_s > 0:
            time.sleep(self.receiver.delay_s)
        try:
            self.send_response(status)
            if status in (301, 302, 307, 308):
                self.send_header("Location", self.path + "/elsewhere")
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True   # the client gave up waiting

    do_POST = _handle
    do_PUT = _handle
