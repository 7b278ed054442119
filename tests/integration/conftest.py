"""Fixtures: a real spated process, clients for it, and per-test stream names that are cleaned up.

Server binary: $SPATED_BIN or <repo>/build/spated (built by `make build` / `ninja -C build spated`).
"""

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import helpers

REPO_ROOT = Path(__file__).resolve().parents[2]
SPATED_BIN = Path(os.environ.get("SPATED_BIN", REPO_ROOT / "build" / "spated"))
STATE_DELAY_MS = 50            # fast CREATING->ACTIVE etc. for the shared server
SLOW_STATE_DELAY_MS = 1500     # long enough to observe CREATING/DELETING deterministically
STARTUP_TIMEOUT_S = 30
SHUTDOWN_TIMEOUT_S = 20
# The functional suite runs without AWS's throughput limits: its tests create streams and call
# operations back to back through clients that do not retry, which AWS's control-plane rates
# (e.g. 5 CreateStream/s per account) would throttle. test_throttling.py checks the limits, and that
# --limits=aws is the default, on servers of its own.
FUNCTIONAL_ARGS = ("--limits=off",)
LISTENING_RE = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
TLS_LISTENING_RE = re.compile(r"listening for HTTPS \S+ \S+ on 127\.0\.0\.1:(\d+)")

ALL_CLIENTS = ["boto3", "cli", "js"]


class SpatedServer:
    """One spated process on an ephemeral port with its own data dir; restartable on the same dir."""

    def __init__(self, data_dir, log_dir, state_delay_ms=STATE_DELAY_MS, extra_args=FUNCTIONAL_ARGS):
        self.tls_port = None                 # set when the server reports its HTTPS port
        self.data_dir = Path(data_dir)
        self.extra_args = list(extra_args)
        self.log_dir = Path(log_dir)
        self.state_delay_ms = state_delay_ms
        self.proc = None
        self.port = None
        self.starts = 0
        self.log_path = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, n=4000):
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except (OSError, AttributeError):
            return "<no log>"

    def start(self):
        assert self.proc is None
        self.starts += 1
        self.log_path = self.log_dir / f"spated-{self.starts}.log"
        log = open(self.log_path, "wb")
        cmd = [str(SPATED_BIN), "--host", "127.0.0.1", "--port", "0", "--data-dir", str(self.data_dir),
               "--state-delay-ms", str(self.state_delay_ms), *self.extra_args]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            log_text = self.log_path.read_text(errors="replace")
            m = LISTENING_RE.search(log_text)
            tls = TLS_LISTENING_RE.search(log_text)
            if m and (tls or "--tls-port" not in self.extra_args):
                self.port = int(m.group(1))
                self.tls_port = int(tls.group(1)) if tls else None
                return self
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                pytest.fail(f"spated exited with {rc} before listening; log {self.log_path}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"spated did not print 'listening on' within {STARTUP_TIMEOUT_S}s:\n{self.log_tail()}")
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM):
        """Send sig and wait for exit; returns the exit code (negative = killed by signal)."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
                raise AssertionError(f"spated ignored {sig!r} for {SHUTDOWN_TIMEOUT_S}s; killed it")
        return proc.returncode

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self, sig=signal.SIGTERM):
        rc = self.stop(sig)
        self.start()
        return rc


def _require_binary():
    if not SPATED_BIN.exists():
        pytest.fail(f"spated binary not found at {SPATED_BIN}: build it first (`make build` or "
                    f"`ninja -C build spated`), or set SPATED_BIN", pytrace=False)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    _require_binary()
    base = tmp_path_factory.mktemp("spated")
    srv = SpatedServer(base / "data", base, STATE_DELAY_MS)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def slow_server(tmp_path_factory):
    """A server with a long state delay, so transitional states (CREATING, DELETING) are observable."""
    _require_binary()
    base = tmp_path_factory.mktemp("spated-slow")
    srv = SpatedServer(base / "data", base, SLOW_STATE_DELAY_MS)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def make_server(tmp_path):
    """Factory for private servers (durability tests kill them); all are stopped at test end."""
    _require_binary()
    servers = []

    def factory(state_delay_ms=STATE_DELAY_MS, extra_args=FUNCTIONAL_ARGS):
        srv = SpatedServer(tmp_path / f"data-{len(servers)}", tmp_path, state_delay_ms, extra_args)
        servers.append(srv)
        return srv.start()

    yield factory
    for srv in servers:
        if srv.proc is not None:
            srv.stop(signal.SIGKILL)


@pytest.fixture(scope="session")
def raw(server):
    return helpers.RawClient(server.endpoint)


@pytest.fixture(scope="session")
def boto(server):
    return helpers.make_boto3_client(server.endpoint)


# ---------------------------------------------------------------------------- JS SDK (node) environment

@pytest.fixture(scope="session")
def node_bin():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: JS SDK (HTTP/2) scenarios need node >= 18")
    return node


@pytest.fixture(scope="session")
def js_deps(node_bin):
    """Installs the pinned @aws-sdk/client-kinesis into js/node_modules if absent or at another version.

    A failing npm install FAILS the JS tests (it does not skip them)."""
    import json
    js_dir = helpers.JS_DIR
    pinned = json.loads((js_dir / "package.json").read_text())["dependencies"]["@aws-sdk/client-kinesis"]
    installed = js_dir / "node_modules" / "@aws-sdk" / "client-kinesis" / "package.json"
    if installed.exists() and json.loads(installed.read_text()).get("version") == pinned:
        return js_dir
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("node is installed but npm is not: cannot install @aws-sdk/client-kinesis")
    cmd = [npm, "ci" if (js_dir / "package-lock.json").exists() else "install", "--no-audit", "--no-fund"]
    p = subprocess.run(cmd, cwd=js_dir, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` failed in {js_dir}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return js_dir


# ---------------------------------------------------------------------------- drivers (one per client)

class DriverPool:
    def __init__(self, server, workdir, request):
        self.server = server
        self.workdir = Path(workdir)
        self.request = request
        self.cache = {}

    def get(self, name):
        key = (name, self.server.endpoint)
        if key not in self.cache:
            if name == "boto3":
                drv = helpers.Boto3Driver(self.server.endpoint)
            elif name == "cli":
                if shutil.which("aws") is None:
                    pytest.fail("aws-cli (`aws`) not on PATH")
                drv = helpers.CliDriver(self.server.endpoint, self.workdir / "cli")
            elif name == "js":
                node = self.request.getfixturevalue("node_bin")
                self.request.getfixturevalue("js_deps")
                drv = helpers.JsDriver(node, self.server.endpoint, self.workdir / f"js-driver-{len(self.cache)}.log")
            elif name == "raw":
                drv = helpers.RawJsonDriver(self.server.endpoint)
            else:
                raise ValueError(name)
            self.cache[key] = drv
        return self.cache[key]

    def close(self):
        for drv in self.cache.values():
            if hasattr(drv, "close"):
                drv.close()
        self.cache.clear()


@pytest.fixture(scope="session")
def drivers(server, tmp_path_factory, request):
    pool = DriverPool(server, tmp_path_factory.mktemp("drivers"), request)
    yield pool
    pool.close()


@pytest.fixture(params=ALL_CLIENTS)
def kin(request, drivers):
    """The client under test; override the list with @pytest.mark.parametrize("kin", [...], indirect=True)."""
    return drivers.get(request.param)


@pytest.fixture
def new_name(raw):
    """new_name(prefix) -> a unique stream name; every stream so named is deleted after the test."""
    names = []

    def factory(prefix="s", exact=None):
        name = exact or helpers.unique_name(prefix)
        names.append(name)
        return name

    yield factory
    for name in names:
        try:
            raw.json("DeleteStream", {"StreamName": name, "EnforceConsumerDeletion": True})
        except OSError:
            pass


@pytest.fixture
def make_stream(raw, new_name):
    """make_stream(shards=1, prefix=...) -> name of a new ACTIVE stream (created via the raw client)."""

    def factory(shards=1, prefix="s", **extra):
        name = new_name(prefix)
        helpers.create_stream_raw(raw, name, shards, **extra)
        return name

    return factory


# ---------------------------------------------------------------------------- S3-compatible server (s3rver)

S3RVER_PACKAGE = "s3rver"
S3RVER_LISTENING_RE = re.compile(r"S3rver listening on 127\.0\.0\.1:(\d+)")
S3RVER_ACCESS_KEY = "S3RVER"       # s3rver's built-in account; it refuses other access keys
S3RVER_SECRET_KEY = "S3RVER"
S3_SERVICE_ENDPOINT = "localhost"  # s3rver maps Host <bucket>.s3.localhost to the bucket (virtual-host style)


def _ensure_npm_package(name):
    """Installs js/package.json's pinned dependencies (npm ci) unless `name` is already there at its pinned version.

    A failing install FAILS the test (it does not skip)."""
    import json
    js_dir = helpers.JS_DIR
    pinned = json.loads((js_dir / "package.json").read_text())["dependencies"][name]
    installed = js_dir / "node_modules" / name / "package.json"
    if installed.exists() and json.loads(installed.read_text()).get("version") == pinned:
        return js_dir / "node_modules" / name
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"npm is not installed: cannot install {name}")
    p = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=js_dir, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        pytest.fail(f"`npm ci` failed in {js_dir}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return js_dir / "node_modules" / name


class S3Server:
    """An s3rver process on loopback with its own directory; stop() and start() keep its port.

    endpoint: path-style URL (http://127.0.0.1:<port>); vhost_endpoint: the URL whose host takes a bucket
    prefix for virtual-host addressing (http://s3.localhost:<port>; curl resolves *.localhost to loopback).
    s3rver checks the access key but not SigV4 signatures or payload hashes. It logs each request and what it stored
    ('Stored part 2 of <upload id> in bucket "b"') to log_path; log_text() reads it."""

    access_key = S3RVER_ACCESS_KEY
    secret_key = S3RVER_SECRET_KEY
    region = "us-east-1"

    def __init__(self, node, package_dir, directory, log_dir):
        self.node = node
        self.package_dir = Path(package_dir)
        self.directory = Path(directory)
        self.log_dir = Path(log_dir)
        self.proc = None
        self.port = None
        self.starts = 0
        self.log_path = None
        self._client = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def vhost_endpoint(self):
        return f"http://s3.{S3_SERVICE_ENDPOINT}:{self.port}"

    @property
    def client(self):
        """A boto3 S3 client (path-style, no retries) for creating buckets and checking objects."""
        if self._client is None:
            import boto3
            from botocore.config import Config
            self._client = boto3.client(
                "s3", endpoint_url=self.endpoint, region_name=self.region, aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                              connect_timeout=5, read_timeout=30))
        return self._client

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def start(self):
        assert self.proc is None
        self.starts += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_dir / f"s3rver-{self.starts}.log"
        log = open(self.log_path, "wb")
        cmd = [self.node, str(self.package_dir / "bin" / "s3rver.js"), "--directory", str(self.directory),
               "--address", "127.0.0.1", "--port", str(self.port or 0), "--service-endpoint", S3_SERVICE_ENDPOINT]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            m = S3RVER_LISTENING_RE.search(self.log_path.read_text(errors="replace"))
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                rc, self.proc = self.proc.returncode, None
                pytest.fail(f"s3rver exited with {rc} before listening:\n{self.log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"s3rver did not listen within {STARTUP_TIMEOUT_S}s")
            time.sleep(0.02)

    def stop(self):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        proc.terminate()
        try:
            proc.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def create_bucket(self, prefix="b"):
        """Creates a bucket with a unique DNS-compatible name and returns the name."""
        name = f"{prefix}-{os.getpid()}-{time.monotonic_ns() % 10**12}".lower()
        self.client.create_bucket(Bucket=name)
        return name

    def delete_bucket(self, name):
        """Deletes every object of the bucket, its unfinished multipart uploads, then the bucket."""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for obj in page.get("Contents", []):
                self.client.delete_object(Bucket=name, Key=obj["Key"])
        self.client.delete_bucket(Bucket=name)


@pytest.fixture(scope="session")
def _s3rver_process(node_bin, tmp_path_factory):
    package_dir = _ensure_npm_package(S3RVER_PACKAGE)
    base = tmp_path_factory.mktemp("s3rver")
    srv = S3Server(node_bin, package_dir, base / "data", base)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def s3_server(_s3rver_process):
    """The session's s3rver; make_bucket() gives a new bucket, deleted (with its objects) after the test."""
    srv = _s3rver_process
    if srv.proc is None:
        srv.start()
    made = []

    def make_bucket(prefix="b"):
        name = srv.create_bucket(prefix)
        made.append(name)
        return name

    srv.make_bucket = make_bucket
    yield srv
    for name in made:
        try:
            srv.delete_bucket(name)
        except Exception as e:  # noqa: BLE001  cleanup must not hide the test's own outcome
            print(f"cleanup of bucket {name} failed: {e!r}")


@pytest.fixture
def make_s3_server(node_bin, tmp_path):
    """Factory for private s3rver processes a test may stop and restart (srv.stop(), srv.start()); all stopped at
    test end."""
    package_dir = _ensure_npm_package(S3RVER_PACKAGE)
    servers = []

    def factory():
        srv = S3Server(node_bin, package_dir, tmp_path / f"s3-{len(servers)}", tmp_path)
        servers.append(srv)
        return srv.start()

    yield factory
    for srv in servers:
        srv.stop()


@pytest.fixture(scope="session")
def kinesis_agg(node_bin):
    """The pinned aws-kinesis-agg npm package (the reference KPL aggregation library), installed by `npm ci`
    when missing; yields the node binary that runs js/kpl_interop.mjs against it."""
    _ensure_npm_package("aws-kinesis-agg")
    return node_bin
