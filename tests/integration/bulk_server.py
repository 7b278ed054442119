"""A small OpenSearch `_bulk` server for the Firehose OpenSearch tests.

No OpenSearch or Elasticsearch server is packaged in Debian 12, so the tests run against this stand-in. It
implements only what Firehose uses, following OpenSearch's documented `_bulk` API: `POST /_bulk` (or
`/<index>/_bulk`) with an NDJSON body of action/document line pairs, each action `{"index": {"_index",
"_type"?, "_id"?}}`, the body terminated by a newline; the answer `{"took", "errors", "items": [{"index":
{"_index", "_id", "_version", "result", "status", "error"?}}]}`, one item per document in order. A document
with an `_id` that exists is replaced (status 200, "updated"), a new one is created (201); a document without
an `_id` gets a generated one. It is not a search engine: documents are kept in memory, per index, as parsed
JSON, and a document that is not a JSON object fails with 400 mapper_parsing_exception as OpenSearch's would.

Failures on demand, to test Firehose's retries and S3 backup:
  - `fail_documents(match, status, times)`: items whose document contains `match` answer `status` (429 ->
    es_rejected_execution_exception, 5xx -> unavailable_shards_exception, 400 -> mapper_parsing_exception)
    `times` times (None: always), while the others succeed in the same request;
  - `fail_requests(status, times)`: whole requests answer `status`;
  - `stop()` / `start()`: the port refuses connections in between (the same port again on start).
Every request is logged (`requests`: the parsed action lines), so a test can see ids repeat across retries.
"""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERROR_TYPES = {429: "es_rejected_execution_exception", 400: "mapper_parsing_exception",
               409: "version_conflict_engine_exception"}


class BulkServer:
    def __init__(self):
        self.lock = threading.Lock()
        self.indices = {}          # index -> {id: document}
        self.requests = []         # one list of action dicts per _bulk request
        self.doc_rules = []        # [match, status, times_left]
        self.request_rules = []    # [status, times_left]
        self.protocol_errors = []  # what a client did that OpenSearch would refuse
        self.port = 0
        self.httpd = None
        self.thread = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        server = self
        handler = type("BulkHandler", (_Handler,), {"bulk": server})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    def fail_documents(self, match, status, times=None):
        with self.lock:
            self.doc_rules.append([match, status, times])

    def fail_requests(self, status, times=None):
        with self.lock:
            self.request_rules.append([status, times])

    def clear_failures(self):
        with self.lock:
            self.doc_rules.clear()
            self.request_rules.clear()

    def documents(self, index):
        with self.lock:
            return dict(self.indices.get(index, {}))

    def index_names(self):
        with self.lock:
            return sorted(self.indices)

    def _take_rule(self, rules, pred):
        for rule in rules:
            if pred(rule) and (rule[-1] is None or rule[-1] > 0):
                if rule[-1] is not None:
                    rule[-1] -= 1
                return rule
        return None

    def handle_bulk(self, path, body):
        """Returns (status, answer dict)."""
        with self.lock:
            rule = self._take_rule(self.request_rules, lambda r: True)
            if rule:
                return rule[0], {"error": {"type": "cluster_block_exception", "reason": "failing on demand"},
                                 "status": rule[0]}
            if not body.endswith(b"\n"):
                self.protocol_errors.append("body not terminated by a newline")
                return 400, {"error": {"type": "illegal_argument_exception",
                                       "reason": "The bulk request must be terminated by a newline [\\n]"},
                             "status": 400}
            lines = body.decode("utf-8").split("\n")[:-1]
            if len(lines) % 2:
                self.protocol_errors.append("odd number of lines")
                return 400, {"error": {"type": "illegal_argument_exception", "reason": "odd lines"}, "status": 400}
            default_index = path.strip("/").split("/")[0] if path.strip("/") != "_bulk" else None
            actions, items = [], []
            errors = False
            for i in range(0, len(lines), 2):
                action = json.loads(lines[i])
                if list(action) != ["index"]:
                    self.protocol_errors.append(f"action {list(action)}")
                meta = action.get("index", {})
                actions.append(meta)
                index = meta.get("_index", default_index)
                doc_id = meta.get("_id") or uuid.uuid4().hex
                text = lines[i + 1]
                item = {"_index": index, "_id": doc_id}
                failed = self._take_rule(self.doc_rules, lambda r: r[0] in text)
                status = failed[1] if failed else None
                doc = None
                if status is None:
                    try:
                        doc = json.loads(text)
                    except ValueError:
                        doc = None
                    if not isinstance(doc, dict):
                        status = 400
                if status is not None:
                    errors = True
                    item["status"] = status
                    item["error"] = {"type": ERROR_TYPES.get(status, "unavailable_shards_exception"),
                                     "reason": f"failing on demand with {status}"}
                else:
                    docs = self.indices.setdefault(index, {})
                    existed = doc_id in docs
                    docs[doc_id] = doc
                    item.update({"_version": 1, "result": "updated" if existed else "created",
                                 "_shards": {"total": 1, "successful": 1, "failed": 0},
                                 "status": 200 if existed else 201})
                items.append({"index": item})
            self.requests.append(actions)
            return 200, {"took": 1, "errors": errors, "items": items}


class _Handler(BaseHTTPRequestHandler):
    bulk = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if not self.path.rstrip("/").endswith("_bulk"):
            status, answer = 404, {"error": "no handler", "status": 404}
        else:
            status, answer = self.bulk.handle_bulk(self.path, body)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_PUT = do_POST
