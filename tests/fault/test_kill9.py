"""kill -9 against the real binary (issue 3): writers running, SIGKILL at a random moment, restart, and
check that every acknowledged record is readable exactly once, in order, at the sequence number it was
acknowledged with. A bounded number of cycles runs in the test command; set SPATE_KILL9_CYCLES for more.

The checker follows the anomaly list of ../shared/reference/reliability-performance.md section 1.3:
lost (acked, not read), duplicate (read twice), inconsistent offsets (another record at an acked
sequence number), non-monotonic sequence numbers within a shard, and G1a (a put answered with a
definite error that becomes visible). Puts whose connection broke are ambiguous and may appear 0 or 1
times.

The checker verifies as it goes, in bounded memory: after each restart it reads each shard from the last
verified sequence number to the end, checks what is new against that cycle's acknowledged, failed and
ambiguous puts (record ids carry their cycle), and forgets them; only per-shard positions are kept. So
thousands of cycles run in the memory of one (scripts/soak-kill9.sh runs it for a given time).
"""

import base64
import http.client
import os
import random
import threading
import time

import spated_proc as sp

CYCLES = int(os.environ.get("SPATE_KILL9_CYCLES", "6"))
WRITERS = 8
SHARDS = 4


def writer(port, stream, writer_id, stop, acked, ambiguous, failed, rng):
    client = sp.Client(port, timeout=10)
    counter = 0
    try:
        while not stop.is_set():
            n = rng.choice([1, 1, 5, 50, 200])
            ids = [f"w{writer_id}-{counter + i}" for i in range(n)]
            counter += n
            records = [{"Data": sp.b64(i.encode() + b"|" + bytes(rng.randrange(0, 2000))), "PartitionKey": i}
                       for i in ids]
            try:
                if n == 1:
                    r = client.call("PutRecord", StreamName=stream, **records[0])
                    acked[ids[0]] = (r["ShardId"], int(r["SequenceNumber"]))
                else:
                    r = client.call("PutRecords", StreamName=stream, Records=records)
                    for i, e in zip(ids, r["Records"]):
                        if "SequenceNumber" in e:
                            acked[i] = (e["ShardId"], int(e["SequenceNumber"]))
                        else:
                            failed.add(i)
            except sp.KinesisError as e:
                if e.status >= 500:
                    ambiguous.update(ids)
                else:
                    failed.update(ids)
            except (OSError, http.client.HTTPException):  # connection broken by the kill: outcome unknown
                ambiguous.update(ids)
                return
    finally:
        client.close()


class Checker:
    """Checks each cycle's records once they are final (after the restart) and forgets them."""

    def __init__(self, stream):
        self.stream = stream
        self.last = {f"shardId-{i:012d}": None for i in range(SHARDS)}
        self.anomalies = []
        self.acked_total = 0
        self.ambiguous_total = 0
        self.failed_total = 0
        self.read_total = 0

    def check_cycle(self, client, cycle, acked, ambiguous, failed):
        prefix = f"w{cycle}."
        seen = {}
        for shard_id, last in self.last.items():
            for rec in sp.iter_shard(client, self.stream, shard_id, after=last):
                seq = int(rec["SequenceNumber"])
                if last is not None and seq <= last:
                    self.anomalies.append(f"non-monotonic {shard_id}: {seq} after {last}")
                last = seq
                self.read_total += 1
                rid = base64.b64decode(rec["Data"]).split(b"|", 1)[0].decode()
                if not rid.startswith(prefix):
                    self.anomalies.append(f"cycle {cycle}: record {rid} of another cycle read again (duplicate)")
                elif rid in seen:
                    self.anomalies.append(f"duplicate {rid}")
                seen[rid] = (shard_id, seq)
                if rid in failed:
                    self.anomalies.append(f"G1a: failed put {rid} is visible")
            self.last[shard_id] = last
        for rid, where in acked.items():
            if rid not in seen:
                self.anomalies.append(f"lost {rid} acked at {where}")
            elif seen[rid] != where:
                self.anomalies.append(f"inconsistent offset {rid}: acked {where}, read {seen[rid]}")
        for rid in seen:
            if rid not in acked and rid not in ambiguous:
                self.anomalies.append(f"{rid} is visible but was never put")
        self.acked_total += len(acked)
        self.ambiguous_total += len(ambiguous)
        self.failed_total += len(failed)


def test_kill9_loses_no_acknowledged_record(tmp_path):
    rng = random.Random(int(os.environ.get("SPATE_KILL9_SEED", str(int(time.time())))))
    # SPATE_KILL9_SPATED_ARGS: extra spated flags, e.g. "--segment-bytes 65536" so kills land during
    # segment rolls (scripts/soak-kill9.sh runs such variants).
    extra = os.environ.get("SPATE_KILL9_SPATED_ARGS", "").split()
    server = sp.Spated(tmp_path / "data", tmp_path, extra_args=extra)
    server.start()
    admin = sp.Client(server.port)
    admin.call("CreateStream", StreamName="k9", ShardCount=SHARDS)
    sp.wait_active(admin, "k9")
    admin.close()

    checker = Checker("k9")
    restart_seconds = []
    deadline = time.monotonic() + float(os.environ.get("SPATE_KILL9_SECONDS", "inf"))
    cycles = 0
    for cycle in range(CYCLES):
        if time.monotonic() > deadline:
            break
        acked, ambiguous, failed = {}, set(), set()
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(server.port, "k9", f"{cycle}.{w}", stop, acked, ambiguous,
                                                         failed, random.Random(rng.random())))
                   for w in range(WRITERS)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.2, 1.2))
        server.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        restart_seconds.append(server.start())
        client = sp.Client(server.port)
        checker.check_cycle(client, cycle, acked, ambiguous, failed)
        client.close()
        cycles += 1
        if len(checker.anomalies) > 100:
            break
    server.stop()
    print(f"kill9: {cycles} cycles, {checker.acked_total} acked, {checker.ambiguous_total} ambiguous, "
          f"{checker.failed_total} failed, {checker.read_total} read, restart max {max(restart_seconds):.3f}s, "
          f"{len(checker.anomalies)} anomalies")
    assert checker.acked_total > 0
    assert not checker.anomalies, f"{len(checker.anomalies)} anomalies, first: {checker.anomalies[:10]}"
