"""The client load, its history and the checker of the cluster harness.

Load: writer threads in the client namespace, spread over the nodes, each sending PutRecord or
PutRecords (1 to 20 records) in a closed loop, bounded by a record count and a deadline. Every record
carries its id (`w<writer>-<counter>`) as the start of its data and as its partition key. Each
outcome is recorded: acknowledged (shard, sequence number, node asked, send and answer times), failed
for sure (a 4xx answer: it must never be read), or ambiguous (a 5xx, an InternalFailure entry, a
timeout or a broken connection: read at most once).

Final read, after healing, in one of two modes:
- `cluster`: through the nodes' public API, as any client reads (the node forwards to the leader).
  This is what the final system promises: every shard read to its end holds every acknowledged record.
- `per-node`: each node's own log, read with requests signed as a peer (a forwarded request runs where
  it lands). Until replication is wired into spated a shard's records stay on the node that led it
  when they were written, so the union of the nodes' logs is where acknowledged records must be; a
  record in two nodes' logs is then a duplicate made by the server.

Then each node's log is inspected (`spate-inspect`, nodes stopped) for the fencing epoch stamped in
each batch, and compared with etcd's history of the shard's leader key (every create of the key is
a leadership; its create revision is the epoch).

Anomalies (../shared/reference/reliability-performance.md section 1.3), each a count and examples:
`lost` (acknowledged, never read), `duplicate` (one record read twice), `wrong-position` (read at
another sequence number or shard than acknowledged), `inconsistent-offsets` (two records acknowledged
with one sequence number), `nonmonotonic` (sequence numbers not increasing in a shard's read order),
`G1a` (a record of a definitely failed put read), `epoch-unknown` (an acknowledged record in a batch
whose epoch is no leadership of its shard), `two-leaders-one-epoch` (records of one epoch
acknowledged from two nodes' logs, or from a node that did not hold that epoch), `fork` (two nodes'
logs disagree about the epoch of an acknowledged offset), `stale-epoch-ack` (a put sent after a
later leadership of its shard had acknowledged one, yet acknowledged under an earlier epoch: the
deposed leader kept acknowledging), `ack-without-quorum` (a put sent while etcd had no quorum, after
every lease had lapsed, acknowledged).
"""

import base64
import bisect
import hashlib
import hmac
import http.client
import json
import random
import re
import subprocess
import threading
import time
from collections import defaultdict

import netns_cluster as nc

KINESIS = "Kinesis_20131202"
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDCLUSTER/20260101/us-east-1/kinesis/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-target, Signature=00")
OFFSET_MASK = (1 << 64) - 1
FIRST_EXACT_EPOCH = 1 << 23
AMBIGUOUS_CODES = {"InternalFailure", "ServiceUnavailable"}


class KinesisError(Exception):
    def __init__(self, status, body):
        super().__init__(f"{status}: {body[:300]}")
        self.status, self.body = status, body

    @property
    def code(self):
        try:
            return json.loads(self.body).get("__type", "").split("#")[-1]
        except ValueError:
            return ""


class Client:
    """One keep-alive HTTP/1.1 connection to a node, Kinesis JSON 1.1; optionally signed as a peer
    (the request then runs on that node, never forwarded)."""

    def __init__(self, addr, port=nc.SPATED_PORT, timeout=5, peer=None):
        self.addr, self.port, self.timeout, self.peer = addr, port, timeout, peer
        self.conn = None

    def call(self, op, **body):
        payload = json.dumps(body).encode()
        target = f"{KINESIS}.{op}"
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target,
                   "Authorization": AUTH, "X-Amz-Date": "20260101T000000Z"}
        if self.peer is not None:
            account, region, secret = self.peer
            caller = f"{account}/{region}/{int(time.time() * 1000)}"
            text = f"SPATE-PEER-1\n{target}\n{caller}\n{hashlib.sha256(payload).hexdigest()}"
            headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target,
                       "x-spate-peer-caller": caller,
                       "x-spate-peer-signature": hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()}
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.addr, self.port, timeout=self.timeout)
        try:
            self.conn.request("POST", "/", payload, headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except BaseException:
            self.close()
            raise
        if resp.status != 200:
            raise KinesisError(resp.status, data.decode(errors="replace"))
        return json.loads(data) if data else {}

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def seq_offset(seq):
    """The log offset a sequence number names (docs/formats/sequence_number.md)."""
    epoch = (seq >> 64) & 0xFFFFFF
    pos = seq & OFFSET_MASK
    return pos - 1 if epoch >= FIRST_EXACT_EPOCH else pos


class History:
    """Every put's outcome. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}          # id -> (shard id, sequence number, node id, sent at, answered at)
        self.failed = set()      # definite failures
        self.ambiguous = set()
        self.errors = defaultdict(int)   # error kind -> count (for the report)

    def ack(self, rid, shard, seq, node, t0, t1):
        with self.lock:
            self.acked[rid] = (shard, int(seq), node, t0, t1)

    def fail(self, ids, kind, definite):
        with self.lock:
            (self.failed if definite else self.ambiguous).update(ids)
            self.errors[kind] += len(ids)


class Load:
    """Writers in the client namespace: `per_node` per node, until stop(), `max_records` each, or
    `seconds`."""

    def __init__(self, cluster, stream, per_node=2, max_records=20000, seconds=60, seed=None, pause_s=0.0):
        self.cluster, self.stream, self.pause_s = cluster, stream, pause_s
        self.history = History()
        self.stop_event = threading.Event()
        self.max_records, self.deadline = max_records, time.monotonic() + seconds
        self.seed = seed if seed is not None else random.randrange(1 << 30)
        self.threads = [threading.Thread(target=self._writer, args=(k, n), daemon=True)
                        for k, n in enumerate([n for n in cluster.nodes for _ in range(per_node)])]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in self.threads), "a writer did not stop"
        return self.history

    def acks_since(self, t):
        with self.history.lock:
            return sum(1 for a in self.history.acked.values() if a[4] >= t)

    def _writer(self, wid, node):
        nc.enter_netns(self.cluster.client_ns)
        rng = random.Random(self.seed * 1000 + wid)
        client = Client(node.addr, timeout=5)
        h = self.history
        counter = 0
        while not self.stop_event.is_set() and counter < self.max_records and time.monotonic() < self.deadline:
            n = rng.choice([1, 1, 2, 5, 20])
            ids = [f"w{wid}-{counter + j}" for j in range(n)]
            counter += n
            records = [{"PartitionKey": i, "Data": base64.b64encode(i.encode() + b"|" + bytes(rng.randrange(8, 200))).decode()}
                       for i in ids]
            t0 = time.monotonic()
            try:
                if n == 1:
                    r = client.call("PutRecord", StreamName=self.stream, **records[0])
                    h.ack(ids[0], r["ShardId"], r["SequenceNumber"], node.id, t0, time.monotonic())
                else:
                    r = client.call("PutRecords", StreamName=self.stream, Records=records)
                    t1 = time.monotonic()
                    for i, e in zip(ids, r["Records"]):
                        if "SequenceNumber" in e:
                            h.ack(i, e["ShardId"], e["SequenceNumber"], node.id, t0, t1)
                        else:
                            h.fail([i], e.get("ErrorCode", "?"), e.get("ErrorCode") not in AMBIGUOUS_CODES)
            except KinesisError as e:
                h.fail(ids, e.code or str(e.status), e.status < 500 and e.code not in AMBIGUOUS_CODES)
                self.stop_event.wait(0.02)
            except (OSError, http.client.HTTPException) as e:
                h.fail(ids, type(e).__name__, False)     # outcome unknown
                self.stop_event.wait(0.1)
            if self.pause_s:
                self.stop_event.wait(self.pause_s)
        client.close()


# ---------------------------------------------------------------------- setup helpers

def create_stream(cluster, name, shards=3):
    """Creates the stream through n1 and waits until it is ACTIVE everywhere with a leader per shard.
    Returns (account, region) as its etcd keys name them."""
    with nc.in_netns(cluster.client_ns):
        c = Client(cluster.nodes[0].addr, timeout=10)
        retry_call(c, "CreateStream", StreamName=name, ShardCount=shards)
        for n in cluster.nodes:
            cn = Client(n.addr, timeout=10)
            nc.poll_until(lambda: _active(cn, name), 30, f"{name} ACTIVE on {n.id}")
            cn.close()
        c.close()
    nc.poll_until(lambda: len(leaders(cluster, name)) == shards, 30, f"a leader for each of {shards} shards")
    _, kvs = cluster.etcd_range("/spate/streams/")
    key = next(kv["key"] for kv in kvs if kv["key"].endswith("/" + name))
    account, region = key.split("/")[3:5]
    return account, region


def _active(client, name):
    try:
        return client.call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"
    except (KinesisError, OSError, http.client.HTTPException):
        return False


def retry_call(client, op, timeout=20, **body):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.call(op, **body)
        except (KinesisError, OSError, http.client.HTTPException) as e:
            if isinstance(e, KinesisError) and e.status < 500 and e.code not in AMBIGUOUS_CODES:
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def leaders(cluster, name):
    """{shard id: leader node id} now, from etcd."""
    _, kvs = cluster.etcd_range("/spate/leaders/")
    return {kv["key"].rsplit("/", 1)[1]: kv["value"] for kv in kvs if kv["key"].split("/")[-2] == name}


def busiest_leader(cluster, name):
    """The node leading the most shards of the stream."""
    counts = defaultdict(int)
    for node_id in leaders(cluster, name).values():
        counts[node_id] += 1
    return cluster.node(max(sorted(counts), key=lambda k: counts[k]))


def wait_writable(cluster, name, timeout=30):
    """Until a PutRecord to every shard is accepted (through n-any), or AssertionError."""
    with nc.in_netns(cluster.client_ns):
        last_error = []

        def list_shards():
            for n in cluster.nodes:
                try:
                    return Client(n.addr, timeout=5).call("ListShards", StreamName=name)["Shards"]
                except (KinesisError, OSError, http.client.HTTPException) as e:
                    last_error[:] = [f"{n.id}: {e}"]
            return None
        start = time.monotonic()
        try:
            shards = nc.poll_until(list_shards, timeout, "a node to list the shards", interval=0.2)
        except AssertionError:
            raise AssertionError(f"no node listed the shards for {timeout} s; last error {last_error}")
        timeout = max(5, timeout - (time.monotonic() - start))

        def put_all():
            for s in shards:
                ok = False
                for n in cluster.nodes:
                    try:
                        Client(n.addr, timeout=5).call("PutRecord", StreamName=name, PartitionKey="probe",
                                                       ExplicitHashKey=s["HashKeyRange"]["StartingHashKey"],
                                                       Data=base64.b64encode(b"probe|").decode())
                        ok = True
                        break
                    except (KinesisError, OSError, http.client.HTTPException):
                        continue
                if not ok:
                    return False
            return True
        nc.poll_until(put_all, timeout, "every shard to accept a write", interval=0.2)


# ---------------------------------------------------------------------- leader history (etcd)

def leadership_history(cluster, name, quiet_s=2.0):
    """{shard id: {epoch: node id}}: every leadership the shard's leader key ever had, from etcd's
    revision history: a watch from revision 1 (etcd 3.4 keeps history until compacted, and nothing
    compacts in these runs), read until it has been quiet for `quiet_s` (the history comes at once)."""
    prefix = "/spate/leaders/"
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    body = json.dumps({"create_request": {"key": nc._b64(prefix), "range_end": nc._b64(end),
                                          "start_revision": "1"}}).encode()
    out = defaultdict(dict)
    with nc.in_netns(cluster.client_ns):
        n = next(n for n in cluster.nodes if n.etcd.alive() and not n.etcd.paused)
        conn = http.client.HTTPConnection(n.addr, nc.ETCD_CLIENT_PORT, timeout=quiet_s)
        deadline = time.monotonic() + 30
        try:
            conn.request("POST", "/v3/watch", body)
            resp = conn.getresponse()
            while time.monotonic() < deadline:
                line = resp.readline()
                if not line:
                    break
                for ev in json.loads(line).get("result", {}).get("events", []):
                    kv = nc._kv(ev["kv"])
                    if ev.get("type", "PUT") == "PUT" and kv["key"].split("/")[-2] == name:
                        out[kv["key"].rsplit("/", 1)[1]][kv["create_revision"]] = kv["value"]
        except OSError:                       # quiet for quiet_s: the history is read
            pass
        finally:
            conn.close()
    return dict(out)


# ---------------------------------------------------------------------- final read

ID_RE = re.compile(rb"^(w\d+-\d+|probe)\|")


def read_shard(client, name, shard_id, limit_s=60):
    """[(id or None, sequence number)] of a shard from TRIM_HORIZON to its end, in order."""
    it = retry_call(client, "GetShardIterator", StreamName=name, ShardId=shard_id,
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = []
    deadline = time.monotonic() + limit_s
    while it and time.monotonic() < deadline:
        r = retry_call(client, "GetRecords", ShardIterator=it, Limit=10000)
        for rec in r["Records"]:
            m = ID_RE.match(base64.b64decode(rec["Data"]))
            out.append((m.group(1).decode() if m else None, int(rec["SequenceNumber"])))
        if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
            return out
        it = r.get("NextShardIterator")
    if it:
        raise AssertionError(f"{shard_id} not read to its end in {limit_s} s")
    return out


def read_during(cluster, name, through, seconds, shards=3):
    """Follows every shard from TRIM_HORIZON through node `through` for `seconds` while a fault is under
    way, as a client does (calls that fail are tried again with the same iterator). Returns ({shard id:
    [(id or None, sequence number)]}, seconds from the start to the first record returned or None)."""
    started = time.monotonic()
    ids = [f"shardId-{i:012d}" for i in range(shards)]
    its, out, first = {}, {s: [] for s in ids}, None
    with nc.in_netns(cluster.client_ns):
        c = Client(through.addr, timeout=2)
        while time.monotonic() - started < seconds:
            for s in ids:
                try:
                    if s not in its:
                        its[s] = c.call("GetShardIterator", StreamName=name, ShardId=s,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                    r = c.call("GetRecords", ShardIterator=its[s], Limit=10000)
                except (KinesisError, OSError, http.client.HTTPException):
                    continue
                for rec in r["Records"]:
                    m = ID_RE.match(base64.b64decode(rec["Data"]))
                    out[s].append((m.group(1).decode() if m else None, int(rec["SequenceNumber"])))
                if r["Records"] and first is None:
                    first = time.monotonic() - started
                if r.get("NextShardIterator"):
                    its[s] = r["NextShardIterator"]
            time.sleep(0.05)
        c.close()
    return out, first


def check_reads_during(rep, during, final):
    """Records read while a fault was under way must be a prefix of their shard's final read: a record
    once read never vanishes, moves or changes its sequence number in a failover (reads stop at the
    committed end, docs/formats/replication.md, "Reads")."""
    rep.facts["read-during-fault"] = sum(len(v) for v in during.values())
    for shard, got in during.items():
        have = final.get(shard, [])
        if have[:len(got)] != got:
            at = next((i for i, (a, b) in enumerate(zip(got, have)) if a != b), min(len(got), len(have)))
            rep.bad("read-then-changed", (shard, at, got[at] if at < len(got) else None,
                                          have[at] if at < len(have) else None))


def read_all(cluster, name, mode, peer):
    """{node id or "cluster": {shard id: [(id, seq)]}}."""
    with nc.in_netns(cluster.client_ns):
        live = [n for n in cluster.nodes if n.spated.alive() and not n.spated.paused]
        assert live, "no node to read through"
        shards = [s["ShardId"] for s in retry_call(Client(live[0].addr, timeout=10), "ListShards", StreamName=name)["Shards"]]
        if mode == "cluster":
            c = Client(live[0].addr, timeout=10)
            return {"cluster": {s: read_shard(c, name, s) for s in shards}}
        out = {}
        for n in live:
            c = Client(n.addr, timeout=10, peer=peer)
            out[n.id] = {s: read_shard(c, name, s) for s in shards}
        return out


def batch_epochs(node, name):
    """{shard id: [(first offset, end offset, epoch)]} of stream `name` in node's logs (its spated
    stopped), from spate-inspect. A shard's directory is <group>/<shard index>, the group
    `<account>.<region>.<stream>.<created ms>`."""
    p = subprocess.run([str(nc.INSPECT_BIN), str(node.dir / "data")], capture_output=True, text=True, timeout=120)
    shards = defaultdict(list)
    cur = None
    dir_re = re.compile(r"\s*shard \S*/[^/]*\." + re.escape(name) + r"\.\d+/(\d+)$")
    for line in p.stdout.splitlines():
        if re.match(r"\s*shard ", line):
            m = dir_re.match(line)
            cur = f"shardId-{m.group(1)}" if m else None
            continue
        m = re.search(r"offsets \[(\d+), (\d+)\) count \d+ .* epoch (-?\d+)", line)
        if m and cur is not None:
            shards[cur].append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    return {shard: sorted(b) for shard, b in shards.items()}


def epoch_at(batches, offset):
    """The epoch of the batch holding `offset` in `batches` (sorted by first offset, as logs are), or
    None."""
    i = bisect.bisect_right(batches, (offset, float("inf"), float("inf"))) - 1
    if i >= 0 and batches[i][0] <= offset < batches[i][1]:
        return batches[i][2]
    return None


# ---------------------------------------------------------------------- the checker

class Report:
    def __init__(self):
        self.counts = defaultdict(int)
        self.examples = defaultdict(list)
        self.facts = {}

    def bad(self, kind, example):
        self.counts[kind] += 1
        if len(self.examples[kind]) < 5:
            self.examples[kind].append(example)

    @property
    def ok(self):
        return not self.counts

    def __str__(self):
        lines = [f"{k}={v}" for k, v in sorted(self.facts.items())]
        for k in sorted(self.counts):
            lines.append(f"ANOMALY {k}: {self.counts[k]}, e.g. {self.examples[k]}")
        return "\n".join(lines) or "no anomaly"


def check(history, reads, mode, epochs_by_node=None, leaderships=None, no_ack_windows=()):
    """The anomalies of a run (Report). `reads` from read_all; `epochs_by_node` {node id: batch_epochs};
    `leaderships` {shard id: {epoch: node id}}; `no_ack_windows` [(from, to)] monotonic times in which no put
    sent may be acknowledged."""
    rep = Report()
    acked, failed = history.acked, history.failed
    rep.facts.update(acked=len(acked), failed=len(failed), ambiguous=len(history.ambiguous), mode=mode)
    by_seq, reused = {}, 0
    for rid, (shard, seq, *_rest) in acked.items():
        other = by_seq.setdefault((shard, seq), rid)
        if other != rid:
            if mode == "cluster":
                rep.bad("inconsistent-offsets", (shard, seq, other, rid))
            else:
                # Without replication a new leader numbers from its own log: known, and what
                # replication fixes (the cluster mode counts it as an anomaly).
                reused += 1
    if mode != "cluster":
        rep.facts["seq-reused-by-a-later-leader"] = reused

    where = defaultdict(list)                     # id -> [(log, shard, seq)]
    for log, shards in reads.items():
        for shard, records in shards.items():
            last = None
            for rid, seq in records:
                if last is not None and seq <= last:
                    rep.bad("nonmonotonic", (log, shard, last, seq))
                last = seq
                if rid is not None and rid != "probe":
                    where[rid].append((log, shard, seq))
    rep.facts["read"] = sum(len(v) for v in where.values())
    for rid, places in where.items():
        if len(places) > 1:
            rep.bad("duplicate", (rid, places))
        if rid in failed:
            rep.bad("G1a", (rid, places))
    for rid, (shard, seq, node, t0, t1) in acked.items():
        places = where.get(rid)
        if not places:
            rep.bad("lost", (rid, shard, seq, f"acked through {node}"))
        elif not any(p[1] == shard and p[2] == seq for p in places):
            rep.bad("wrong-position", (rid, (shard, seq), places))
        for lo, hi in no_ack_windows:
            if lo <= t0 and t1 <= hi:
                rep.bad("ack-without-quorum", (rid, shard, seq, round(t0 - lo, 2)))

    if epochs_by_node is not None and leaderships is not None:
        _check_epochs(rep, acked, where, mode, epochs_by_node, leaderships)
    return rep


def _check_epochs(rep, acked, where, mode, epochs_by_node, leaderships):
    def batches_of(node_id, shard):
        return epochs_by_node.get(node_id, {}).get(shard, [])

    acked_epochs = defaultdict(set)               # (shard, epoch) -> nodes whose logs hold its acks
    ack_epoch = {}                                # id -> the epoch of its batch
    for rid, (shard, seq, *_r) in acked.items():
        offset = seq_offset(seq)
        holders = [p[0] for p in where.get(rid, []) if p[1] == shard and p[2] == seq]
        if mode == "cluster":
            holders = list(epochs_by_node)
        seen = {}
        for node_id in holders:
            e = epoch_at(batches_of(node_id, shard), offset)
            if e is not None:
                seen[node_id] = e
        if len(set(seen.values())) > 1:
            rep.bad("fork", (rid, shard, offset, seen))
        if seen:
            ack_epoch[rid] = min(seen.values())
        for node_id, e in seen.items():
            owner = leaderships.get(shard, {}).get(e)
            if owner is None:
                rep.bad("epoch-unknown", (rid, shard, offset, node_id, e))
                continue
            acked_epochs[(shard, e)].add(owner)
            if mode == "per-node" and owner != node_id:
                rep.bad("two-leaders-one-epoch", (rid, shard, e, f"in {node_id}'s log, epoch held by {owner}"))
    rep.facts["epochs"] = len(acked_epochs)
    # Real time: once a later leadership has acknowledged a put, no put sent after that answer may be
    # acknowledged under an earlier epoch (the deposed leader kept acknowledging: split brain).
    first_answer = defaultdict(dict)              # shard -> epoch -> earliest answer time
    for rid, e in ack_epoch.items():
        shard, t1 = acked[rid][0], acked[rid][4]
        first_answer[shard][e] = min(t1, first_answer[shard].get(e, t1))
    later_min = {}
    for shard, by_epoch in first_answer.items():
        running = float("inf")
        for e in sorted(by_epoch, reverse=True):
            later_min[(shard, e)] = running       # the earliest answer of any later epoch
            running = min(running, by_epoch[e])
    for rid, e in ack_epoch.items():
        shard, t0 = acked[rid][0], acked[rid][3]
        if t0 > later_min.get((shard, e), float("inf")):
            rep.bad("stale-epoch-ack", (rid, shard, e, "sent after a later epoch had acknowledged"))
    for (shard, e), owners in acked_epochs.items():
        if len(owners) > 1:
            rep.bad("two-leaders-one-epoch", (shard, e, sorted(owners)))


def final_check(cluster, name, history, account, region, mode, windows=(), during=None):
    """After healing, with every node that should be running running: the final read, etcd's
    leadership history, the nodes stopped, their batch epochs, and the check (with `during`, the reads
    made while the fault was under way, read_during). Returns the Report."""
    reads = read_all(cluster, name, mode, (account, region, nc.SECRET))
    leaderships = leadership_history(cluster, name)
    live = [n for n in cluster.nodes if n.spated.alive()]
    cluster.stop_spated_all()
    epochs = {n.id: batch_epochs(n, name) for n in live}
    rep = check(history, reads, mode, epochs, leaderships, windows)
    if during is not None and mode == "cluster":
        check_reads_during(rep, during, reads["cluster"])
    rep.facts["errors"] = dict(history.errors)
    rep.facts["leaderships"] = {s: len(v) for s, v in leaderships.items()}
    return rep
