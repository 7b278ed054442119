"""kill -9 against the exactly-once append extension (docs/exactly-once.md): writers send stamped PutRecords
(SpateProducers_20261207), spated is killed at a random moment, restarted, and every request of the cycle
cut off by the kill, and the newest 32 acknowledged ones, as if their answers had been lost) is resent twice
with its original stamp. The oracle: each record id is read back at most once, every acknowledged one
exactly once; an acknowledged request older than the window is refused (InvalidArgumentException), not
appended again; a resend of an acknowledged request is answered with the original shard ids and
sequence numbers; the producer's epoch survives the restarts (the same epoch is accepted after each) and an
InitProducer after the last one fences it (ConcurrentModificationException).

The tables of stamped requests live in memory; what makes a resend after the restart a duplicate is the
control record written in the same batch (same group commit) as the records, read back on first use."""

import base64
import http.client
import itertools
import os
import random
import threading
import time

import pytest

import spated_proc as sp

PREFIX = "SpateProducers_20261207"
CYCLES = int(os.environ.get("SPATE_EO_KILL9_CYCLES", "3"))
WRITERS = 4
SHARDS = 4
WINDOW = 32  # requests remembered per producer and shard (dedup::DedupLimits::window)


def stamped(client, stream, producer, epoch, seq, ids):
    records = [{"Data": sp.b64(i.encode()), "PartitionKey": i} for i in ids]
    return client.call("PutRecords", target_prefix=PREFIX, StreamName=stream, Records=records, ProducerId=producer,
                       ProducerEpoch=epoch, ProducerSequence=seq)


def writer(port, stream, producer, epoch, sequences, tag, stop, sent, rng):
    """Sends stamped requests until `stop` or a broken connection; `sent[seq] = (ids, answer or None)`."""
    client = sp.Client(port, timeout=10)
    counter = 0
    try:
        while not stop.is_set():
            n = rng.choice([1, 3, 20, 100])
            ids = [f"{tag}-{counter + i}" for i in range(n)]
            counter += n
            seq = next(sequences)
            sent[seq] = (ids, None)
            try:
                sent[seq] = (ids, stamped(client, stream, producer, epoch, seq, ids))
            except sp.KinesisError:  # outcome unknown: resent after the restart
                pass
            except (OSError, http.client.HTTPException):  # the kill broke the connection
                return
    finally:
        client.close()


def test_resends_after_kill9_are_not_appended_twice(tmp_path):
    rng = random.Random(int(os.environ.get("SPATE_EO_KILL9_SEED", str(int(time.time())))))
    server = sp.Spated(tmp_path / "data", tmp_path)
    server.start()
    admin = sp.Client(server.port)
    admin.call("CreateStream", StreamName="eo", ShardCount=SHARDS)
    sp.wait_active(admin, "eo")
    ident = admin.call("InitProducer", target_prefix=PREFIX, ProducerId="eo-kill9")
    producer, epoch = ident["ProducerId"], ident["ProducerEpoch"]
    admin.close()

    sequences = itertools.count()  # shared by the writers: one sequence per request
    must_read, may_read = set(), set()  # ids acknowledged (or resent and acknowledged); ids cut off
    acked_total = resent_total = unknown_total = refused_total = 0
    for cycle in range(CYCLES):
        sent = {}
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(server.port, "eo", producer, epoch, sequences, f"c{cycle}w{w}",
                                                         stop, sent, random.Random(rng.random())))
                   for w in range(WRITERS)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 1.0))
        server.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        server.start()
        client = sp.Client(server.port)
        # A producer resends only what it has in flight: the requests cut off by the kill, and (as if
        # their answers had been lost too) the newest WINDOW requests, all inside every shard's window.
        newest = sorted(sent)[-WINDOW:]
        for seq in sorted(sent):
            ids, answer = sent[seq]
            if answer is None:
                unknown_total += 1
            else:
                acked_total += 1
                must_read.update(ids)
            if seq not in newest and answer is not None:
                continue
            for _ in range(2):
                again = stamped(client, "eo", producer, epoch, seq, ids)
                codes = {e.get("ErrorCode") for e in again["Records"]}
                if seq not in newest and codes == {"InvalidArgumentException"}:
                    break  # a cut-off request older than a shard's window: refused, never appended
                assert again["FailedRecordCount"] == 0, (seq, again)
                if answer is not None and answer["FailedRecordCount"] == 0:
                    # The original answer, record for record: nothing was appended again.
                    assert again["Records"] == answer["Records"], (seq, again, answer)
                answer = again
                must_read.update(ids)
                resent_total += 1
            may_read.update(ids)
        # An acknowledged request older than the window is refused, not appended again.
        for seq in sorted(sent)[: max(0, len(sent) - 4 * WINDOW)][:3]:
            ids, answer = sent[seq]
            old = stamped(client, "eo", producer, epoch, seq, ids)
            assert {e.get("ErrorCode") for e in old["Records"]} == {"InvalidArgumentException"}, old
            refused_total += 1
        client.close()

    client = sp.Client(server.port)
    counts = {}
    for i in range(SHARDS):
        for rec in sp.drain_shard(client, "eo", f"shardId-{i:012d}"):
            rid = base64.b64decode(rec["Data"]).decode()
            counts[rid] = counts.get(rid, 0) + 1
    duplicates = {rid: c for rid, c in counts.items() if c != 1}
    assert not duplicates, f"{len(duplicates)} records read more than once, e.g. {list(duplicates.items())[:5]}"
    missing = must_read - set(counts)
    unexpected = set(counts) - must_read - may_read
    assert not missing, f"{len(missing)} acknowledged records missing, e.g. {sorted(missing)[:5]}"
    assert not unexpected, f"records never sent: {sorted(unexpected)[:5]}"

    # The epoch is in the catalog: a new InitProducer fences the old one, across a restart too.
    newer = client.call("InitProducer", target_prefix=PREFIX, ProducerId=producer)["ProducerEpoch"]
    assert newer == epoch + 1
    client.close()
    server.kill9()
    server.start()
    client = sp.Client(server.port)
    with pytest.raises(sp.KinesisError) as fenced:
        stamped(client, "eo", producer, epoch, next(sequences), ["late"])
    assert fenced.value.status == 400 and "ConcurrentModificationException" in fenced.value.body
    client.close()
    server.stop()
    print(f"exactly-once kill9: {CYCLES} cycles, {acked_total} requests acked, {unknown_total} cut off, "
          f"{resent_total} resends answered, {refused_total} old resends refused, {len(counts)} records read, "
          f"each once")
    assert acked_total > 0
