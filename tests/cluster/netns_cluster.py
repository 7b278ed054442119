"""A 3-member etcd and 3 `spated --cluster` nodes, each pair in a network namespace of its own.

Topology (one run; every name carries the harness's pid and a random tag, so runs never collide and
a crashed run's leftovers are recognised by the next one):

    <prefix>-sw   a bridge `br0`, one port per namespace below
    <prefix>-n1   eth0 10.77.0.1/24: etcd member e1 (client :2379 and :2389, peer :2380), spated n1 :4567
    <prefix>-n2   eth0 10.77.0.2/24: e2, n2
    <prefix>-n3   eth0 10.77.0.3/24: e3, n3
    <prefix>-cl   eth0 10.77.0.100/24: the clients (load, checker, etcd reads)

Addresses exist only inside these namespaces; nothing is configured in the root namespace. The
harness runs as root and joins the client namespace per thread (`enter_netns`, setns(2) on the
calling thread only), so its sockets live there while `ip`/`nft` run from the root namespace.

etcd listens for clients on two ports: :2379 for the harness and :2389 for spated. A partition
between a node and etcd drops the node namespace's packets to :2389 only, so its etcd member (whose
gateway dials its own :2379) keeps its quorum while the node loses etcd.

Faults: `kill9`/`restart` and `pause`/`resume` of a node or an etcd member, `partition_node` (one
namespace cut from the other two in both directions, the clients still reach it), `cut_from_etcd`
(a node's spated cut from every etcd member), `heal` (every nftables rule of the run removed), and
clock skew (`start_spated(node, skew_ms=...)`: clock_skew_shim.c preloaded, wall clock only;
libfaketime hangs spated, see the shim). `close()` kills every process and
deletes every namespace; it runs on failure too, and a new Cluster removes what a killed earlier run
left behind.
"""

import base64
import calendar
import contextlib
import ctypes
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SPATED_BIN = Path(os.environ.get("SPATED_BIN", REPO_ROOT / "build" / "spated"))
INSPECT_BIN = Path(os.environ.get("SPATE_INSPECT_BIN", REPO_ROOT / "build" / "spate-inspect"))
ETCD_BIN = shutil.which("etcd") or "/usr/bin/etcd"
SKEW_SHIM = Path(os.environ.get("SPATE_CLOCK_SKEW_SHIM", REPO_ROOT / "build" / "tests" / "clock_skew_shim.so"))
NETNS_DIR = Path("/var/run/netns")
NAME_TAG = "spcl"                 # every namespace of this harness starts with it
SUBNET = "10.77.0"
CLIENT_ADDR = f"{SUBNET}.100"
SPATED_PORT = 4567
REPLICATION_PORT = 4568
ETCD_CLIENT_PORT = 2379           # the harness's
ETCD_NODE_PORT = 2389             # spated's (cut by cut_from_etcd)
ETCD_PEER_PORT = 2380
CHAOS_TABLE = "spatechaos"
LEASE_TTL_S = 2                   # etcd 3.4's minimum with its default election settings
ELECTION_TIMEOUT_S = 1.0          # etcd's default; a leader cut from its quorum steps down within 2 of them
SECRET = "cluster-harness-secret-0123456789"
START_TIMEOUT_S = 30

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_CLONE_NEWNET = 0x40000000


def netns_available():
    """None when this process can create network namespaces and run nft, else why not."""
    if os.geteuid() != 0:
        return "the cluster harness needs root (network namespaces, nftables)"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (scripts/install-deps.sh --test installs it)"
    name = f"{NAME_TAG}-probe-{os.getpid()}"
    p = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if p.returncode != 0:
        return f"`ip netns add` failed: {p.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def replication_wired():
    """Whether spated replicates records between nodes (it then takes --replication-port)."""
    p = subprocess.run([str(SPATED_BIN), "--help"], capture_output=True, text=True, timeout=30)
    return "--replication-port" in (p.stdout + p.stderr)


def enter_netns(name):
    """Moves the calling thread (only it) into the namespace `name`, for good."""
    fd = os.open(NETNS_DIR / name, os.O_RDONLY)
    try:
        if _libc.setns(fd, _CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


@contextlib.contextmanager
def in_netns(name):
    """The calling thread in namespace `name` for the block, then back where it was."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        enter_netns(name)
        yield
    finally:
        _libc.setns(home, _CLONE_NEWNET)
        os.close(home)


def _run(*cmd, check=True, input=None):
    p = subprocess.run(list(cmd), capture_output=True, text=True, input=input, timeout=30)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def sweep_stale_namespaces():
    """Deletes the namespaces of harness runs whose process is gone (a run killed with SIGKILL)."""
    if not NETNS_DIR.is_dir():
        return
    for entry in NETNS_DIR.iterdir():
        parts = entry.name.split("-")
        if parts[0] != NAME_TAG or len(parts) < 3 or not parts[1].isdigit():
            continue
        if not Path(f"/proc/{parts[1]}").exists():
            # Processes left inside keep running without a name; end them first.
            pids = _run("ip", "netns", "pids", entry.name, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            _run("ip", "netns", "del", entry.name, check=False)


class Proc:
    """A process started inside a namespace with `ip netns exec` (which execs: the pid is the
    program's), its output in a log file per start."""

    def __init__(self, ns, name, log_dir):
        self.ns, self.name, self.log_dir = ns, name, Path(log_dir)
        self.proc, self.starts, self.log_path, self.paused = None, 0, None, False

    def spawn(self, argv, env=None):
        assert self.proc is None
        self.starts += 1
        self.log_path = self.log_dir / f"{self.name}-{self.starts}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns, *argv], stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env={**os.environ, **(env or {})})
        self.paused = False

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except (OSError, AttributeError):
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill9(self):
        if self.proc is not None:
            self.signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
            self.proc, self.paused = None, False

    def stop(self, timeout=20):
        """SIGTERM (after SIGCONT, if paused), SIGKILL if it does not exit in time."""
        if self.proc is None:
            return
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
        self.proc, self.paused = None, False

    def pause(self):
        self.signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.signal(signal.SIGCONT)
        self.paused = False


class Node:
    """Namespace i: its etcd member and its spated."""

    def __init__(self, cluster, i):
        self.i, self.id = i, f"n{i}"
        self.ns = f"{cluster.prefix}-n{i}"
        self.addr = f"{SUBNET}.{i}"
        self.dir = cluster.dir / self.id
        self.dir.mkdir(parents=True)
        self.etcd = Proc(self.ns, f"etcd{i}", self.dir)
        self.spated = Proc(self.ns, f"spated{i}", self.dir)
        self.skew_ms = None           # the wall-clock skew spated runs with

    @property
    def endpoint(self):
        return (self.addr, SPATED_PORT)


class Cluster:
    def __init__(self, base_dir, replication=None, extra_spated_args=(), lease_ttl_s=LEASE_TTL_S):
        sweep_stale_namespaces()
        self.prefix = f"{NAME_TAG}-{os.getpid()}-{random.randrange(16 ** 6):06x}"
        self.dir = Path(base_dir)
        self.namespaces = []
        self.replication = replication_wired() if replication is None else replication
        self.extra_spated_args = list(extra_spated_args)
        self.lease_ttl_s = lease_ttl_s
        self.secret_file = self.dir / "cluster-secret"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.secret_file.write_text(SECRET + "\n")
        self.nodes = [Node(self, i) for i in (1, 2, 3)]
        self.client_ns = f"{self.prefix}-cl"
        self.partitioned = set()      # namespaces holding the chaos table

    # ------------------------------------------------------------------ topology

    def _add_ns(self, name):
        _run("ip", "netns", "add", name)
        self.namespaces.append(name)
        _run("ip", "-n", name, "link", "set", "lo", "up")

    def build_network(self):
        sw = f"{self.prefix}-sw"
        self._add_ns(sw)
        _run("ip", "-n", sw, "link", "add", "br0", "type", "bridge")
        _run("ip", "-n", sw, "link", "set", "br0", "up")
        tag = self.prefix.rsplit("-", 1)[1]
        members = [(n.ns, n.addr) for n in self.nodes] + [(self.client_ns, CLIENT_ADDR)]
        for k, (ns, addr) in enumerate(members, start=1):
            self._add_ns(ns)
            a, b = f"sa{tag}{k}", f"sb{tag}{k}"       # root-namespace names only until moved
            _run("ip", "link", "add", a, "type", "veth", "peer", "name", b)
            _run("ip", "link", "set", a, "netns", ns)
            _run("ip", "link", "set", b, "netns", sw)
            _run("ip", "-n", ns, "link", "set", a, "name", "eth0")
            _run("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0")
            _run("ip", "-n", ns, "link", "set", "eth0", "up")
            _run("ip", "-n", sw, "link", "set", b, "name", f"p{k}")
            _run("ip", "-n", sw, "link", "set", f"p{k}", "master", "br0")
            _run("ip", "-n", sw, "link", "set", f"p{k}", "up")

    # ------------------------------------------------------------------ etcd

    def etcd_argv(self, node):
        peers = ",".join(f"e{n.i}=http://{n.addr}:{ETCD_PEER_PORT}" for n in self.nodes)
        return [ETCD_BIN, f"--name=e{node.i}", f"--data-dir={node.dir / 'etcd'}",
                f"--listen-client-urls=http://{node.addr}:{ETCD_CLIENT_PORT},http://{node.addr}:{ETCD_NODE_PORT}",
                f"--advertise-client-urls=http://{node.addr}:{ETCD_CLIENT_PORT}",
                f"--listen-peer-urls=http://{node.addr}:{ETCD_PEER_PORT}",
                f"--initial-advertise-peer-urls=http://{node.addr}:{ETCD_PEER_PORT}",
                f"--initial-cluster={peers}", "--initial-cluster-state=new",
                f"--initial-cluster-token={self.prefix}"]

    def start_etcd(self, node):
        node.etcd.spawn(self.etcd_argv(node))

    def etcd_call(self, path, body, timeout=3, nodes=None):
        """A POST to the etcd JSON gateway through the first member that answers (client namespace)."""
        last = None
        with in_netns(self.client_ns):
            for n in nodes or self.nodes:
                if not n.etcd.alive() or n.etcd.paused:
                    continue
                req = urllib.request.Request(f"http://{n.addr}:{ETCD_CLIENT_PORT}{path}",
                                             data=json.dumps(body).encode(), method="POST")
                try:
                    with urllib.request.urlopen(req, timeout=timeout) as resp:
                        return json.loads(resp.read())
                except (OSError, urllib.error.URLError) as e:
                    last = e
        raise ConnectionError(f"no etcd member answered {path}: {last}")

    def etcd_range(self, prefix):
        """(header revision, [{key, value, create_revision, mod_revision, lease}]) under prefix,
        linearizable (needs a quorum)."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        r = self.etcd_call("/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(end)})
        return int(r["header"]["revision"]), [_kv(kv) for kv in r.get("kvs", [])]

    def etcd_leader(self):
        """The member the raft leader is (its Node), from the maintenance status of the members."""
        for n in self.nodes:
            try:
                st = self.etcd_call("/v3/maintenance/status", {}, nodes=[n])
            except ConnectionError:
                continue
            if st.get("leader") and st.get("leader") == st.get("header", {}).get("member_id"):
                return n
        return None

    def wait_etcd_quorum(self, timeout=START_TIMEOUT_S):
        def ok():
            try:
                self.etcd_range("/probe/")
                return True
            except ConnectionError:
                return False
        poll_until(ok, timeout, "etcd to answer with a quorum")

    # ------------------------------------------------------------------ spated

    def spated_argv(self, node):
        local_first = [node] + [n for n in self.nodes if n is not node]
        etcd = "etcd://" + ",".join(f"{n.addr}:{ETCD_NODE_PORT}" for n in local_first)
        argv = [str(SPATED_BIN), "--host", node.addr, "--port", str(SPATED_PORT),
                "--data-dir", str(node.dir / "data"), "--state-delay-ms", "20", "--limits=off",
                "--cluster", etcd, "--node-id", node.id, "--cluster-lease-ttl-s", str(self.lease_ttl_s),
                "--cluster-secret-file", str(self.secret_file), *self.extra_spated_args]
        if self.replication:
            argv += ["--replication-port", str(REPLICATION_PORT)]
        return argv

    def start_spated(self, node, skew_ms=None):
        """Starts node's spated and waits until it listens and holds its etcd key. `skew_ms`: its wall
        clock this far ahead (negative: behind), through clock_skew_shim.c (CLOCK_REALTIME only;
        the monotonic clock stays true)."""
        node.skew_ms = skew_ms
        env = None
        if skew_ms is not None:
            if not SKEW_SHIM.exists():
                raise AssertionError(f"{SKEW_SHIM} not built (ninja -C build spate_clock_skew_shim)")
            env = {"LD_PRELOAD": str(SKEW_SHIM), "SPATE_CLOCK_SKEW_MS": str(skew_ms)}
        node.spated.spawn(self.spated_argv(node), env=env)
        marker = f"listening on {node.addr}:{SPATED_PORT}"

        def listening():
            text = node.spated.log_text()
            if marker in text:
                return True
            if not node.spated.alive():
                raise AssertionError(f"spated {node.id} exited:\n{node.spated.log_text()[-3000:]}")
            return False
        poll_until(listening, START_TIMEOUT_S, f"spated {node.id} to listen")
        poll_until(lambda: node.id in self.live_nodes(), START_TIMEOUT_S, f"{node.id} to register in etcd")

    def wall_clock_of(self, node):
        """The wall-clock time (Unix seconds) of node's spated's newest log line."""
        stamps = re.findall(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+Z", node.spated.log_text(), re.M)
        return calendar.timegm(time.strptime(stamps[-1], "%Y-%m-%dT%H:%M:%S"))

    def live_nodes(self):
        try:
            _, kvs = self.etcd_range("/spate/nodes/")
        except ConnectionError:
            return set()
        return {kv["key"].rsplit("/", 1)[1] for kv in kvs}

    def start(self):
        self.build_network()
        for n in self.nodes:
            self.start_etcd(n)
        self.wait_etcd_quorum()
        for n in self.nodes:
            self.start_spated(n)
        return self

    def node(self, node_id):
        return next(n for n in self.nodes if n.id == node_id)

    # ------------------------------------------------------------------ faults

    def _nft(self, ns, script):
        _run("ip", "netns", "exec", ns, "nft", "-f", "-", input=script)
        self.partitioned.add(ns)

    def partition_node(self, node):
        """Cuts node's namespace (its etcd member and spated) from the other two, both ways; the
        client namespace still reaches it."""
        others = ", ".join(n.addr for n in self.nodes if n is not node)
        self._nft(node.ns, f"""table inet {CHAOS_TABLE} {{
  chain out {{ type filter hook output priority 0; ip daddr {{ {others} }} drop; }}
  chain in {{ type filter hook input priority 0; ip saddr {{ {others} }} drop; }}
}}
""")

    def cut_from_etcd(self, node):
        """Drops every packet node's spated sends to an etcd member (port 2389), its own included."""
        self._nft(node.ns, f"""table inet {CHAOS_TABLE} {{
  chain out {{ type filter hook output priority 0; tcp dport {ETCD_NODE_PORT} drop; }}
}}
""")

    def heal(self):
        for ns in sorted(self.partitioned):
            _run("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", CHAOS_TABLE, check=False)
        self.partitioned.clear()
        for n in self.nodes:
            if n.spated.paused:
                n.spated.resume()
            if n.etcd.paused:
                n.etcd.resume()

    # ------------------------------------------------------------------ end

    def stop_spated_all(self):
        for n in self.nodes:
            n.spated.stop()

    def close(self):
        """Kills every process and deletes every namespace; safe to call twice."""
        for n in self.nodes:
            for p in (n.spated, n.etcd):
                with contextlib.suppress(Exception):
                    p.kill9()
        for ns in reversed(self.namespaces):
            pids = _run("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            _run("ip", "netns", "del", ns, check=False)
        self.namespaces = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def poll_until(fn, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def _b64(s):
    return base64.b64encode(s.encode()).decode()


def _kv(kv):
    return {"key": base64.b64decode(kv["key"]).decode(),
            "value": base64.b64decode(kv.get("value", "")).decode(errors="replace"),
            "create_revision": int(kv.get("create_revision", 0)),
            "mod_revision": int(kv.get("mod_revision", 0)), "lease": int(kv.get("lease", 0))}
