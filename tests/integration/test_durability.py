"""Durability across restarts on the same --data-dir: clean SIGTERM, and SIGKILL (crash).

Every acknowledged write must survive with the same sequence number; metadata (streams, shards, tags,
retention, deletions) too; sequence numbers keep increasing after the restart.
"""

import json
import os
import random
import signal
import subprocess
import threading
import urllib.request
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

import helpers
from helpers import shard_id


def _snapshot_metadata(drv, name):
    desc = drv.call("DescribeStream", StreamName=name)["StreamDescription"]
    tags = {t["Key"]: t.get("Value", "") for t in drv.call("ListTagsForStream", StreamName=name)["Tags"]}
    return {
        "status": desc["StreamStatus"],
        "arn": desc["StreamARN"],
        "retention": desc["RetentionPeriodHours"],
        "created": desc["StreamCreationTimestamp"],
        "monitoring": sorted(desc["EnhancedMonitoring"][0]["ShardLevelMetrics"]),
        "shards": desc["Shards"],
        "tags": tags,
    }


def _stored(drv, name, shards):
    return {s: [(r["SequenceNumber"], r["PartitionKey"], r["Data"], r["ApproximateArrivalTimestamp"])
                for r in helpers.read_shard(drv, name, s, max_calls=200)] for s in shards}


def _write_some(drv, name, rng, n_single=20, n_batch=150):
    acked = []
    for i in range(n_single):
        key, data = f"single-{rng.random()}", os.urandom(rng.randint(1, 200))
        res = drv.call("PutRecord", StreamName=name, Data=data, PartitionKey=key)
        acked.append((res["ShardId"], res["SequenceNumber"], key, data))
    entries = [{"Data": os.urandom(rng.randint(0, 300)) or b"z", "PartitionKey": f"batch-{rng.random()}"}
               for _ in range(n_batch)]
    out = drv.call("PutRecords", StreamName=name, Records=entries)
    assert out["FailedRecordCount"] == 0
    for e, r in zip(entries, out["Records"]):
        acked.append((r["ShardId"], r["SequenceNumber"], e["PartitionKey"], e["Data"]))
    return acked


def _assert_all_acked_present(stored, acked):
    by_seq = {seq: (key, data) for recs in stored.values() for (seq, key, data, _) in recs}
    for sid, seq, key, data in acked:
        assert seq in by_seq, f"acknowledged record {seq} on {sid} lost"
        assert by_seq[seq] == (key, data), f"record {seq} changed"
    for sid, recs in stored.items():
        seqs = [int(r[0]) for r in recs]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), sid


def test_metadata_and_records_survive_sigterm_then_sigkill(make_server):
    srv = make_server()
    rng = random.Random(42)
    raw = helpers.RawClient(srv.endpoint)
    name = helpers.unique_name("durable")
    gone = helpers.unique_name("deleted")
    helpers.create_stream_raw(raw, name, 3)
    helpers.create_stream_raw(raw, gone, 1)
    drv = helpers.Boto3Driver(srv.endpoint)
    drv.call("AddTagsToStream", StreamName=name, Tags={"owner": "durability", "empty": ""})
    drv.call("IncreaseStreamRetentionPeriod", StreamName=name, RetentionPeriodHours=48)
    drv.call("EnableEnhancedMonitoring", StreamName=name, ShardLevelMetrics=["IncomingBytes"])
    drv.call("DeleteStream", StreamName=gone)
    helpers.wait_gone(raw, gone)

    acked = _write_some(drv, name, rng)
    meta = _snapshot_metadata(drv, name)
    shards = [s["ShardId"] for s in meta["shards"]]
    before = _stored(drv, name, shards)
    _assert_all_acked_present(before, acked)

    # 1. clean shutdown
    assert srv.restart(signal.SIGTERM) == 0, f"SIGTERM should exit 0; log:\n{srv.log_tail()}"
    drv, raw = helpers.Boto3Driver(srv.endpoint), helpers.RawClient(srv.endpoint)
    helpers.wait_active(raw, name)
    assert _snapshot_metadata(drv, name) == meta
    assert _stored(drv, name, shards) == before       # same seqs, keys, data, arrival timestamps
    assert helpers.describe_summary_raw(raw, gone) is None
    assert gone not in drv.call("ListStreams")["StreamNames"]

    more = _write_some(drv, name, rng, n_single=10, n_batch=60)
    for sid in shards:
        old_max = max((int(r[0]) for r in before[sid]), default=-1)
        assert all(int(seq) > old_max for s, seq, _, _ in more if s == sid), \
            f"sequence numbers on {sid} went backwards after restart"
    acked += more
    before_kill = _stored(drv, name, shards)

    # 2. crash
    srv.restart(signal.SIGKILL)
    drv, raw = helpers.Boto3Driver(srv.endpoint), helpers.RawClient(srv.endpoint)
    helpers.wait_active(raw, name)
    assert _snapshot_metadata(drv, name) == meta
    after = _stored(drv, name, shards)
    _assert_all_acked_present(after, acked)
    assert after == before_kill

    # and the stream is fully usable afterwards
    res = drv.call("PutRecord", StreamName=name, Data=b"after-crash", PartitionKey="k")
    assert int(res["SequenceNumber"]) > max(int(r[0]) for r in after[res["ShardId"]])


def test_acknowledged_writes_survive_sigkill_under_load(make_server):
    """A writer puts records continuously; SIGKILL lands mid-stream. Every record whose PutRecord
    returned success must be readable after restart; at most the in-flight request may also appear."""
    srv = make_server()
    raw = helpers.RawClient(srv.endpoint)
    name = helpers.unique_name("crash")
    helpers.create_stream_raw(raw, name, 2)
    client = helpers.make_boto3_client(srv.endpoint)
    acked, attempted = [], []
    enough = threading.Event()
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            data = f"rec-{i}-".encode() + os.urandom(32)
            attempted.append(data)
            try:
                res = client.put_record(StreamName=name, Data=data, PartitionKey=f"key-{i % 17}")
            except (BotoCoreError, ClientError, OSError):
                return
            acked.append((res["ShardId"], res["SequenceNumber"], f"key-{i % 17}", data))
            if len(acked) >= 300:
                enough.set()
            i += 1

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    assert enough.wait(timeout=60), f"writer too slow: {len(acked)} acks in 60 s"
    srv.stop(signal.SIGKILL)
    stop.set()
    t.join(timeout=60)
    assert not t.is_alive()

    srv.start()
    raw = helpers.RawClient(srv.endpoint)
    helpers.wait_active(raw, name)
    drv = helpers.Boto3Driver(srv.endpoint)
    stored = _stored(drv, name, [shard_id(0), shard_id(1)])
    _assert_all_acked_present(stored, acked)
    total = sum(len(v) for v in stored.values())
    assert len(acked) <= total <= len(acked) + 1
    attempted_set = set(attempted)
    assert all(data in attempted_set for recs in stored.values() for (_, _, data, _) in recs)


def _storage_counter(endpoint, name):
    with urllib.request.urlopen(endpoint + "/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not exported")


def _cached_bytes(paths):
    """Bytes of these files in the page cache (util-linux fincore: mincore over each file)."""
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", *map(str, paths)],
                         capture_output=True, text=True, check=True).stdout
    return sum(int(v) for v in out.split())


def test_records_dropped_from_the_page_cache_read_back_and_survive_sigkill(make_server):
    """With a 1 MiB page-cache budget the writer drops most of what it made durable from the cache
    (posix_fadvise DONTNEED), so the stream's segments hold little more than the budget in it, large
    folios included; every record still reads back, from the disk, and survives a crash."""
    srv = make_server(extra_args=("--limits=off", "--log-cache-mb", "1"))
    raw = helpers.RawClient(srv.endpoint)
    name = helpers.unique_name("cold")
    helpers.create_stream_raw(raw, name, 2)
    drv = helpers.Boto3Driver(srv.endpoint)
    # 8 writers at once, so a commit round holds several batches per shard (that is what made the
    # kernel keep large folios behind each drop); bodies built first, so the writers overlap.
    rng = random.Random(7)
    calls = [[{"Data": rng.randbytes(rng.randint(1024, 2048)), "PartitionKey": f"k-{c}-{i}"} for i in range(50)]
             for c in range(8 * 30)]  # 240 x 50 records of 1-2 KiB: about 18 MB
    bodies = [json.dumps(helpers.encode_json_input({"StreamName": name, "Records": entries})).encode()
              for entries in calls]
    answers = [None] * len(calls)

    def writer(w):
        for c in range(w, len(calls), 8):
            answers[c] = raw.request("PutRecords", bodies[c])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acked = []
    for entries, answer in zip(calls, answers):
        assert answer is not None and answer.status == 200, answer
        out = json.loads(answer.body)
        assert out["FailedRecordCount"] == 0
        acked += [(r["ShardId"], r["SequenceNumber"], e["PartitionKey"], e["Data"])
                  for e, r in zip(entries, out["Records"])]
    dropped = _storage_counter(srv.endpoint, "spate_storage_page_cache_dropped_bytes_total")
    assert dropped >= 12e6, f"only {dropped} bytes dropped from the page cache"
    # What stays cached: the budget, plus the folio holding each file's end (a round here writes about
    # 300 KB per shard, so that folio is at most 256 KiB). Drops that did not reach back over the
    # last one kept 6-7 MB of these 18 here (Linux 6.18); the budget alone stays now.
    # The drops run on the store's background thread, just after each round.
    segments = list(Path(srv.data_dir, "streams").rglob("*.log"))
    bound = (1 << 20) + len(segments) * (512 << 10)
    helpers.poll_until(lambda: _cached_bytes(segments) <= bound, timeout=10,
                       what=f"at most {bound} bytes of {len(segments)} segments cached")
    shards = [shard_id(0), shard_id(1)]
    _assert_all_acked_present(_stored(drv, name, shards), acked)

    srv.stop(signal.SIGKILL)
    srv.start()
    helpers.wait_active(helpers.RawClient(srv.endpoint), name)
    drv = helpers.Boto3Driver(srv.endpoint)
    stored = _stored(drv, name, shards)
    _assert_all_acked_present(stored, acked)
    assert sum(len(v) for v in stored.values()) == len(acked)
