"""kill -9 against the real binary (issue 3): writers running, SIGKILL at a random moment, restart, and
check that every acknowledged record is readable exactly once, in order, at the sequence number it was
acknowledged with. A bounded number of cycles runs in the test command; set SPATE_KILL9_CYCLES for more.

The checker follows the anomaly list of ../shared/reference/reliability-performance.md section 1.3:
lost (acked, not read), duplicate (read twice), inconsistent offsets (another record at an acked
sequence number), non-monotonic sequence numbers within a shard, and G1a (a put answered with a
definite error that becomes visible). Puts whose connection broke are ambiguous and may appear 0 or 1
times.
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


def test_kill9_loses_no_acknowledged_record(tmp_path):
    rng = random.Random(int(os.environ.get("SPATE_KILL9_SEED", str(int(time.time())))))
    server = sp.Spated(tmp_path / "data", tmp_path)
    server.start()
    admin = sp.Client(server.port)
    admin.call("CreateStream", StreamName="k9", ShardCount=SHARDS)
    sp.wait_active(admin, "k9")
    admin.close()

    acked, ambiguous, failed = {}, set(), set()
    restart_seconds = []
    for cycle in range(CYCLES):
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
    seen = {}
    anomalies = []
    for shard in range(SHARDS):
        shard_id = f"shardId-{shard:012d}"
        last = -1
        for rec in sp.drain_shard(client, "k9", shard_id):
            seq = int(rec["SequenceNumber"])
            if seq <= last:
                anomalies.append(f"non-monotonic {shard_id}: {seq} after {last}")
            last = seq
            rid = base64.b64decode(rec["Data"]).split(b"|", 1)[0].decode()
            if rid in seen:
                anomalies.append(f"duplicate {rid}")
            seen[rid] = (shard_id, seq)
            if rid in failed:
                anomalies.append(f"G1a: failed put {rid} is visible")
    for rid, where in acked.items():
        if rid not in seen:
            anomalies.append(f"lost {rid} acked at {where}")
        elif seen[rid] != where:
            anomalies.append(f"inconsistent offset {rid}: acked {where}, read {seen[rid]}")
    server.stop()
    print(f"kill9: {CYCLES} cycles, {len(acked)} acked, {len(ambiguous)} ambiguous, {len(failed)} failed, "
          f"restart max {max(restart_seconds):.3f}s")
    assert len(acked) > 0
    assert not anomalies, f"{len(anomalies)} anomalies, first: {anomalies[:10]}"
