"""fdatasync errors against the real binary (issue 3), injected with libfiu (Debian fiu-utils): spated runs
under `fiu-run -x`, and `fiu-ctrl` makes fdatasync fail with EIO at random while a writer puts records.
Checks: a put is never acknowledged after the log's first failed sync (the log is fenced: every later
put fails with a retryable InternalFailure, also once the fault is gone, until a restart); every
acknowledged record survives a restart; no put that failed ever becomes visible. Skipped when fiu-run or
fiu-ctrl is missing.
"""

import base64
import shutil
import subprocess

import pytest

import spated_proc as sp

PUTS = 300
PROBABILITY = 0.05
FAULT = "posix/io/sync/fdatasync"


def fiu_ctrl(pid, command):
    r = subprocess.run(["fiu-ctrl", "-c", command, str(pid)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(shutil.which("fiu-run") is None or shutil.which("fiu-ctrl") is None,
                    reason="libfiu's fiu-run/fiu-ctrl are not installed (Debian package fiu-utils)")
def test_fdatasync_error_fences_the_log(tmp_path):
    server = sp.Spated(tmp_path / "data", tmp_path, wrapper=["fiu-run", "-x"])
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
        # EIO (failinfo=5) from a random share of fdatasync calls; only the shard logs call fdatasync
        # while records are put (the catalog is not written).
        fiu_ctrl(server.proc.pid, f"enable_random name={FAULT},probability={PROBABILITY},failinfo=5")
        for i in range(20, 20 + PUTS):
            put(i)
            if not outcomes[-1] and len(outcomes) - outcomes.index(False) > 20:
                break
        fiu_ctrl(server.proc.pid, f"disable name={FAULT}")
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
