"""fdatasync errors against the real binary (issue 3), injected at the libc boundary by the project's own
LD_PRELOAD shim (tests/fault/sync_fault_shim.c, built as build/tests/sync_fault_shim.so): while its control
file holds a probability, fdatasync and fsync fail with EIO at random. (libfiu's fiu-run, used before,
deadlocks with jemalloc: it interposes malloc and mmap.) Checks: a put is never acknowledged after the
first failed sync of its log or of the commit journal (the log is fenced: every later put fails with a
retryable InternalFailure, also once the fault is gone, until a restart); every acknowledged record
survives a restart; no put that failed ever becomes visible.
"""

import base64

import pytest

import spated_proc as sp

PUTS = 300
PROBABILITY = "0.05"
SHIM = sp.SPATED_BIN.parent / "tests" / "sync_fault_shim.so"


@pytest.mark.skipif(not SHIM.exists(), reason=f"{SHIM} is not built")
def test_fdatasync_error_fences_the_log(tmp_path):
    control = tmp_path / "sync-fault"
    server = sp.Spated(tmp_path / "data", tmp_path,
                       env={"LD_PRELOAD": str(SHIM), "SPATE_SYNC_FAULT_FILE": str(control)})
    server.start()
    try:
        client = sp.Client(server.port)
        client.call("CreateStream", StreamName="fsync", ShardCount=1)
        sp.wait_active(client, "fsync")
        acked, failed = {}, set()
        outcomes = []

        def put(i):
            rid = f"r{i}"
            try:
                r = client.call("PutRecord", StreamName="fsync", PartitionKey=rid, Data=sp.b64(rid.encode() + b"|x"))
                acked[rid] = int(r["SequenceNumber"])
                outcomes.append(True)
            except sp.KinesisError as e:
                assert e.status == 500 and "InternalFailure" in e.body, e
                failed.add(rid)
                outcomes.append(False)

        for i in range(20):
            put(i)
        assert all(outcomes)
        # EIO from a random share of fdatasync calls; while records are put only the commit journal and
        # the shard logs sync (the catalog is not written).
        control.write_text(PROBABILITY)
        for i in range(20, 20 + PUTS):
            put(i)
            if not outcomes[-1] and len(outcomes) - outcomes.index(False) > 20:
                break
        control.unlink()
        assert False in outcomes, f"no fdatasync failed in {PUTS} puts at probability {PROBABILITY}"
        first_failure = outcomes.index(False)
        assert all(not o for o in outcomes[first_failure:]), "a put was acknowledged after a failed fdatasync"
        # The fault is gone, the log stays fenced until a restart.
        for i in range(1000, 1005):
            put(i)
        assert not any(outcomes[-5:]), "the log acknowledged again without a restart"
        log = (tmp_path / "spated-1.log").read_text(errors="replace")
        assert "is fenced after an I/O error" in log
        client.close()
        server.stop()

        server = sp.Spated(tmp_path / "data", tmp_path)
        server.start()
        client = sp.Client(server.port)
        seen = {}
        for rec in sp.drain_shard(client, "fsync", "shardId-000000000000"):
            rid = base64.b64decode(rec["Data"]).split(b"|", 1)[0].decode()
            assert rid not in failed, f"failed put {rid} is visible after the restart"
            seen[rid] = int(rec["SequenceNumber"])
        for rid, seq in acked.items():
            assert seen.get(rid) == seq, f"acked {rid} at {seq}, read {seen.get(rid)}"
        put(2000)
        assert outcomes[-1], "the restarted server does not accept writes"
        client.close()
        print(f"fsync errors: {len(acked)} acked, {len(failed)} failed; fenced after put {first_failure}")
    finally:
        server.stop()
