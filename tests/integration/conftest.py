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
LISTENING_RE = re.compile(r"listening on 127\.0\.0\.1:(\d+)")

ALL_CLIENTS = ["boto3", "cli", "js"]


class SpatedServer:
    """One spated process on an ephemeral port with its own data dir; restartable on the same dir."""

    def __init__(self, data_dir, log_dir, state_delay_ms=STATE_DELAY_MS, extra_args=()):
        self.extra_args = list(extra_args)
        self.data_dir = Path(data_dir)
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
               "--state-delay-ms", str(self.state_delay_ms)] + self.extra_args
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            m = LISTENING_RE.search(self.log_path.read_text(errors="replace"))
            if m:
                self.port = int(m.group(1))
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

    def factory(state_delay_ms=STATE_DELAY_MS, extra_args=()):
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
