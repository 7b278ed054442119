"""spate::Producer against a real spated, through the real client (src/client), driven by build/spate-produce.

What is put is read back with boto3 and de-aggregated twice: with our de-aggregator (build/spate-kpl) and with
the reference aws-kinesis-agg through the JS SDK (js/read_deaggregated.mjs). Every record must come back exactly
once, in order per partition key, on the shard that owns its hash key."""

import base64
import json
import os
import subprocess
import time

import pytest

import helpers
from conftest import REPO_ROOT

SPATE_PRODUCE = REPO_ROOT / "build" / "spate-produce"
SPATE_KPL = REPO_ROOT / "build" / "spate-kpl"
RUN_TIMEOUT_S = 180
MAX_GET_RECORDS_CALLS = 2000     # per shard: bounds every read loop


@pytest.fixture(scope="module")
def tools():
    for path in (SPATE_PRODUCE, SPATE_KPL):
        if not path.exists():
            pytest.fail(f"{path} is missing: `ninja -C build spate-produce spate-kpl`", pytrace=False)


def produce(server, stream, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = "/nonexistent"  # no profile of the machine's user leaks in
    p = subprocess.run([str(SPATE_PRODUCE), "--endpoint", server.endpoint, "--stream", stream, *args],
                       capture_output=True, timeout=RUN_TIMEOUT_S, env=env)
    assert p.stdout, p.stderr.decode(errors="replace")
    summary = json.loads(p.stdout)
    assert p.returncode == 0, (summary, p.stderr.decode(errors="replace"))
    return summary


def read_kinesis_records(client, name):
    """{shard_id: [(partition_key, data), ...]} of every Kinesis record, in stream order."""
    out = {}
    for shard in client.list_shards(StreamName=name)["Shards"]:
        it = client.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = []
        for _ in range(MAX_GET_RECORDS_CALLS):
            try:
                res = client.get_records(ShardIterator=it)
            except client.exceptions.ProvisionedThroughputExceededException:
                # Under --limits=aws the shard allows 5 reads a second: wait and read again.
                time.sleep(0.25)
                continue
            records.extend((r["PartitionKey"], r["Data"]) for r in res["Records"])
            it = res.get("NextShardIterator")
            if it is None or (not res["Records"] and res.get("MillisBehindLatest", 0) == 0):
                break
        out[shard["ShardId"]] = records
    return out


def deaggregate_with_spate(kinesis_records):
    """{shard_id: [(partition_key, data_bytes), ...]} of the user records, through build/spate-kpl."""
    out = {}
    for shard_id, records in kinesis_records.items():
        text = "".join(f"{pk}\t\t{base64.b64encode(data).decode()}\n" for pk, data in records)
        p = subprocess.run([str(SPATE_KPL), "deaggregate"], input=text.encode(), capture_output=True,
                           timeout=RUN_TIMEOUT_S)
        assert p.returncode == 0, p.stderr.decode()
        out[shard_id] = [(f[0], base64.b64decode(f[2])) for f in (l.split("\t") for l in p.stdout.decode().splitlines())]
    return out


def deaggregate_with_aws_kinesis_agg(node, server, name):
    p = subprocess.run([node, str(helpers.JS_DIR / "read_deaggregated.mjs"), server.endpoint, name],
                       capture_output=True, timeout=RUN_TIMEOUT_S)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    out = {}
    for line in p.stdout.decode().splitlines():
        shard_id, pk, data, _seq, _sub = line.split("\t")
        out.setdefault(shard_id, []).append((pk, base64.b64decode(data)))
    return out


def check_user_records(per_shard, count, shards):
    """Every record 0..count-1 exactly once, on the shard owning its key's hash, in order per key."""
    ranges = {s["ShardId"]: (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
              for s in shards}
    seen = []
    for shard_id, records in per_shard.items():
        last = {}
        lo, hi = ranges[shard_id]
        for pk, data in records:
            key, index, _pad = data.decode().split("/", 2)
            assert key == pk
            assert lo <= helpers.hash_key(pk) <= hi, (pk, shard_id)
            assert int(index) > last.get(pk, -1), f"{pk}: {index} after {last.get(pk)}"
            last[pk] = int(index)
            seen.append(int(index))
    assert len(seen) == count
    assert sorted(seen) == list(range(count))


def test_10000_records_through_four_shards_read_back_deaggregated_in_order(tools, server, boto, make_stream,
                                                                          kinesis_agg, js_deps):
    name = make_stream(shards=4, prefix="prod")
    summary = produce(server, name, "--count", "10000", "--size", "100", "--keys", "200")
    assert summary["ok"] == 10000 and summary["failed"] == 0, summary
    # Aggregation and collection: far fewer Kinesis records and calls than user records.
    assert summary["kinesis_records"] < 1000, summary
    assert summary["put_records_calls"] < 1000, summary
    kinesis = read_kinesis_records(boto, name)
    assert sum(len(r) for r in kinesis.values()) == summary["kinesis_records"]
    shards = boto.list_shards(StreamName=name)["Shards"]
    ours = deaggregate_with_spate(kinesis)
    check_user_records(ours, 10000, shards)
    theirs = deaggregate_with_aws_kinesis_agg(kinesis_agg, server, name)
    check_user_records(theirs, 10000, shards)
    assert {k: v for k, v in theirs.items()} == {k: v for k, v in ours.items() if v}


def test_plain_records_without_aggregation(tools, server, boto, make_stream):
    name = make_stream(shards=2, prefix="prodplain")
    summary = produce(server, name, "--count", "500", "--size", "50", "--keys", "20", "--no-aggregation")
    assert summary["ok"] == 500 and summary["kinesis_records"] == 500, summary
    kinesis = read_kinesis_records(boto, name)
    check_user_records({s: [(pk, d) for pk, d in r] for s, r in kinesis.items()}, 500,
                       boto.list_shards(StreamName=name)["Shards"])


def test_under_aws_limits_a_one_shard_stream_loses_nothing(tools, make_server):
    srv = make_server(extra_args=("--limits=aws",))
    client = helpers.make_boto3_client(srv.endpoint)
    name = helpers.unique_name("prodlim")
    client.create_stream(StreamName=name, ShardCount=1)
    client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    # 8,000 records of 400 bytes: about 3.3 MB, over three seconds of the shard's 1 MiB/s.
    summary = produce(srv, name, "--count", "8000", "--size", "400", "--keys", "40")
    assert summary["ok"] == 8000 and summary["failed"] == 0, summary
    assert summary["seconds"] >= 2.0, summary     # the rate limiter held it near 1 MiB/s
    print("producer under --limits=aws:", json.dumps(summary))
    kinesis = read_kinesis_records(client, name)
    check_user_records(deaggregate_with_spate(kinesis), 8000, client.list_shards(StreamName=name)["Shards"])
