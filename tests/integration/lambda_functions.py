"""Lambda functions for the integration tests that call them (Firehose data transformation, Analytics
preprocessing and Lambda outputs): a function served over HTTP on loopback, and a spated whose --lambda-map
runs Python sources as local commands."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

# A function that fails every invocation: exit status 2, a message on stderr.
BROKEN_COMMAND = ["/bin/sh", "-c", "echo broken >&2; exit 2"]


class FunctionServer:
    """A Lambda-like HTTP function on loopback: answers each POSTed event with what `respond(event)` returns,
    (status, JSON body). `respond` runs under `lock`, which also guards `events` (every event received).
    `port` 0 takes a free port; another port binds that one (a function brought back where it was)."""

    def __init__(self, respond, port=0):
        self.events = []
        self.lock = threading.Lock()
        fn = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fn.lock:
                    fn.events.append(event)
                    status, out = respond(event)
                data = json.dumps(out).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def start_lambda_spated(base, commands, urls):
    """Starts a spated (--limits=off) in directory `base` whose functions are `commands` ({ARN or name: Python
    source, run with this interpreter; or an argv list}) through --lambda-map, with a 30 s timeout, and `urls`
    ({name: URL}) through --lambda flags. Returns the started conftest.SpatedServer; the caller stops it."""
    fmap = {"timeout_seconds": 30}
    for i, (name, command) in enumerate(commands.items()):
        if isinstance(command, str):
            script = base / f"function-{i}.py"
            script.write_text(command)
            command = [sys.executable, str(script)]
        fmap[name] = {"command": command}
    map_file = base / "lambda-map.json"
    map_file.write_text(json.dumps(fmap))
    flags = ["--limits=off", "--lambda-map", str(map_file)]
    for name, url in urls.items():
        flags += ["--lambda", f"{name}={url}"]
    from conftest import SpatedServer, _require_binary
    _require_binary()
    srv = SpatedServer(base / "data", base, 50, flags)
    srv.start()
    return srv
