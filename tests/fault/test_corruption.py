"""Corruption of a stopped server's data (issue 3): write records through the real server, stop it, damage
its files, restart, and check that every mutation of acknowledged data is detected and never served.

For each case a fresh copy of the pristine data directory is mutated at a batch boundary -1/0/+1 or at a
random position (flip a bit, zero 512 bytes, truncate, append garbage), in a sealed or the active segment of
shard 0, or in shard 0's index cache files or checkpoint. Oracles:
  * acknowledged data mutated: reads of shard 0 fail with InternalFailure (HTTP 500) before any damaged
    record is returned, every record returned before that is the acknowledged one, and the server logs an
    ERROR line saying the shard log is corrupt;
  * index / checkpoint mutated, or bytes after the acknowledged end touched: shard 0 serves every
    acknowledged record, and the cache files are rebuilt;
  * a torn unacknowledged tail: truncated; every acknowledged record is served;
  * always: shards 1 and 2 keep serving all their records.
SPATE_CORRUPTION_CASES bounds the number of cases (default 40); SPATE_CORRUPTION_SEED fixes the choice.
"""

import base64
import os
import random
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

import spated_proc as sp

CASES = int(os.environ.get("SPATE_CORRUPTION_CASES", "40"))
SHARDS = 3
SEGMENT_BYTES = 16 << 10
ZERO_BYTES = 512
STREAM = "corrupt"


def shard_id(i):
    return f"shardId-{i:012d}"


def batches(data):
    """(position, length) of every batch of a segment's bytes, up to the zero tail."""
    out, pos = [], 0
    while pos + 8 <= len(data):
        magic, length = struct.unpack_from("<II", data, pos)
        if magic == 0 and length == 0:
            break
        out.append((pos, length))
        pos += length
    return out


def read_all(client, shard):
    """(records, error): every record of a shard from TRIM_HORIZON, or those read before an error."""
    out = []
    try:
        it = client.call("GetShardIterator", StreamName=STREAM, ShardId=shard_id(shard),
                         ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            r = client.call("GetRecords", ShardIterator=it, Limit=10000)
            out.extend(r["Records"])
            if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
                break
            it = r.get("NextShardIterator")
    except sp.KinesisError as e:
        return out, e
    return out, None


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A stopped server's data dir holding acknowledged records in several segments per shard."""
    root = tmp_path_factory.mktemp("corruption")
    server = sp.Spated(root / "data", root, ["--segment-bytes", str(SEGMENT_BYTES)])
    server.start()
    client = sp.Client(server.port)
    client.call("CreateStream", StreamName=STREAM, ShardCount=SHARDS)
    sp.wait_active(client, STREAM)
    rng = random.Random(7)
    acked = {s: {} for s in range(SHARDS)}  # shard -> seq -> data
    n = 0
    for _ in range(30):
        records = []
        for _ in range(rng.choice([1, 10, 40])):
            records.append({"Data": sp.b64(f"rec-{n}|".encode() + rng.randbytes(rng.randrange(200, 1500))),
                            "PartitionKey": f"pk-{n}"})
            n += 1
        r = client.call("PutRecords", StreamName=STREAM, Records=records)
        assert r.get("FailedRecordCount", 0) == 0
        for rec, res in zip(records, r["Records"]):
            acked[int(res["ShardId"].split("-")[1])][int(res["SequenceNumber"])] = rec["Data"]
    client.close()
    server.stop()
    shard0 = next((root / "data" / "streams").glob("*/000000000000"))
    segments = sorted(shard0.glob("*.log"))
    assert len(segments) >= 3, "the test needs sealed segments and an active one"
    assert (shard0 / "checkpoint").exists()
    return root / "data", shard0.relative_to(root / "data"), acked


def make_cases(shard_dir, rng):
    """[(name, kind, mutate(path_root))]; kind: 'acked' (must be detected) or 'benign' (must be served)."""
    segs = sorted(shard_dir.glob("*.log"))
    cases = []

    def flip(rel, pos, bit):
        def f(root):
            p = root / rel
            b = bytearray(p.read_bytes())
            b[pos] ^= 1 << bit
            p.write_bytes(bytes(b))
        return f

    def zero(rel, pos):
        def f(root):
            p = root / rel
            b = bytearray(p.read_bytes())
            b[pos:pos + ZERO_BYTES] = bytes(len(b[pos:pos + ZERO_BYTES]))
            p.write_bytes(bytes(b))
        return f

    def truncate(rel, size):
        def f(root):
            os.truncate(root / rel, size)
        return f

    def append(rel, data):
        def f(root):
            with open(root / rel, "ab") as fh:
                fh.write(data)
        return f

    def write_at(rel, pos, data):
        def f(root):
            with open(root / rel, "r+b") as fh:
                fh.seek(pos)
                fh.write(data)
        return f

    base = shard_dir.parent.parent.parent  # the data dir
    for si, seg in enumerate(segs):
        rel = seg.relative_to(base)
        data = seg.read_bytes()
        bs = batches(data)
        end = bs[-1][0] + bs[-1][1]
        active = si == len(segs) - 1
        where = "active" if active else f"sealed{si}"
        for pos, length in rng.sample(bs, min(3, len(bs))) + [bs[-1]]:
            for d in (-1, 0, 1):
                if 0 <= pos + d < end:
                    cases.append((f"{where} flip @batch{pos}{d:+d}", "acked", flip(rel, pos + d, rng.randrange(8))))
            cases.append((f"{where} zero512 @batch{pos}", "acked", zero(rel, pos)))
            if pos > 0:
                cases.append((f"{where} truncate @batch{pos}", "acked", truncate(rel, pos)))
            cases.append((f"{where} truncate @batch{pos}+1", "acked", truncate(rel, pos + 1)))
        for _ in range(3):
            p = rng.randrange(end)
            cases.append((f"{where} flip @{p}", "acked", flip(rel, p, rng.randrange(8))))
            cases.append((f"{where} zero512 @{p}", "acked", zero(rel, p)))
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        cases.append((f"{where} append garbage", "benign", append(rel, garbage)))
        if active:
            cases.append((f"{where} truncate @end", "benign", truncate(rel, end)))
            # A torn, never-acknowledged batch after the acknowledged end: a copy of the last batch, cut short
            # (its offsets repeat, so it cannot be mistaken for acknowledged data).
            last_pos, last_len = bs[-1]
            torn = data[last_pos:last_pos + last_len]
            cut = rng.randrange(8, last_len)
            cases.append((f"{where} torn tail ({cut}/{last_len} bytes)", "torn", write_at(rel, end, torn[:cut])))
    for cache in sorted(shard_dir.glob("*.index")) + [shard_dir / "checkpoint"]:
        rel = cache.relative_to(base)
        size = cache.stat().st_size
        name = cache.name
        cases.append((f"{name} flip", "cache", flip(rel, rng.randrange(size), rng.randrange(8))))
        cases.append((f"{name} zero512", "cache", zero(rel, rng.randrange(size))))
        cases.append((f"{name} truncate", "cache", truncate(rel, rng.randrange(size))))
        cases.append((f"{name} append garbage", "cache", append(rel, b"garbage")))
    return cases


def test_corruption_is_detected_never_served(pristine, tmp_path):
    data_dir, shard_rel, acked = pristine
    rng = random.Random(int(os.environ.get("SPATE_CORRUPTION_SEED", str(int(time.time())))))
    all_cases = make_cases(data_dir / shard_rel, rng)
    # Keep every kind represented, then fill up to CASES at random.
    by_kind = {}
    for c in all_cases:
        by_kind.setdefault(c[1], []).append(c)
    chosen = [rng.choice(v) for v in by_kind.values()]
    rest = [c for c in all_cases if c not in chosen]
    chosen += rng.sample(rest, max(0, min(len(rest), CASES - len(chosen))))
    problems = []
    for i, (name, kind, mutate) in enumerate(chosen):
        work = tmp_path / f"case{i}"
        shutil.copytree(data_dir, work / "data")
        (work / "data" / "LOCK").unlink(missing_ok=True)
        mutate(work / "data")
        server = sp.Spated(work / "data", work, ["--segment-bytes", str(SEGMENT_BYTES)])
        server.start()
        client = sp.Client(server.port)
        try:
            records, err = read_all(client, 0)
            for rec in records:
                want = acked[0].get(int(rec["SequenceNumber"]))
                if want != rec["Data"]:
                    problems.append(f"{name}: served a damaged or unknown record at {rec['SequenceNumber']}")
                    break
            if kind == "acked":
                if err is None:
                    problems.append(f"{name}: damage to acknowledged data not detected "
                                    f"({len(records)}/{len(acked[0])} records served)")
                elif err.status != 500 or "InternalFailure" not in err.body:
                    problems.append(f"{name}: expected InternalFailure, got {err}")
            elif err is not None or len(records) != len(acked[0]):
                problems.append(f"{name}: shard 0 not fully served ({len(records)}/{len(acked[0])}, {err})")
            for s in range(1, SHARDS):
                other, oerr = read_all(client, s)
                if oerr is not None or [r["Data"] for r in other] != [acked[s][k] for k in sorted(acked[s])]:
                    problems.append(f"{name}: shard {s} stopped serving ({oerr})")
        finally:
            client.close()
            server.stop()
        log = (work / f"spated-1.log").read_text(errors="replace")
        if kind == "acked" and "corrupt and will not be served" not in log:
            problems.append(f"{name}: no clear corruption line in the server log")
        shard_dir = work / "data" / shard_rel
        if kind == "cache":
            for cache in sorted((data_dir / shard_rel).glob("*.index")) + [data_dir / shard_rel / "checkpoint"]:
                if (shard_dir / cache.name).read_bytes() != cache.read_bytes():
                    problems.append(f"{name}: {cache.name} not rebuilt")
        if kind == "torn":
            seg = sorted(shard_dir.glob("*.log"))[-1]
            bs = batches(seg.read_bytes())
            if len(bs) != len(batches(sorted((data_dir / shard_rel).glob("*.log"))[-1].read_bytes())):
                problems.append(f"{name}: torn tail not truncated")
        if kind != "acked":
            shutil.rmtree(work)
    print(f"corruption: {len(chosen)} cases of {len(all_cases)}: "
          + ", ".join(f"{k}={sum(1 for c in chosen if c[1] == k)}" for k in by_kind))
    assert not problems, "\n".join(problems)


def test_inspector_reports_checksums(pristine, tmp_path):
    """tools/spate-inspect on the same data: every batch verifies; after a bit flip it names the bad batch."""
    data_dir, shard_rel, acked = pristine
    inspect = sp.SPATED_BIN.parent / "spate-inspect"
    if not inspect.exists():
        pytest.skip(f"{inspect} is not built")
    work = tmp_path / "data"
    shutil.copytree(data_dir, work)
    r = subprocess.run([str(inspect), str(work)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    total = sum(len(v) for v in acked.values())
    assert f"{total} records, 0 batches failing their CRC, 0 other problems" in r.stdout, r.stdout[-500:]
    assert "checkpoint" in r.stdout and "crc ok" in r.stdout
    seg = sorted((work / shard_rel).glob("*.log"))[0]
    b = bytearray(seg.read_bytes())
    b[batches(bytes(b))[0][0] + 60] ^= 0x04
    seg.write_bytes(bytes(b))
    r = subprocess.run([str(inspect), "--summary", str(work)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "crc BAD" in r.stdout and "1 batches failing their CRC" in r.stdout, r.stdout[-2000:]
