#!/usr/bin/python3
"""Enhanced fan-out put-to-push latency over the wire, as a client sees it.

    bench/fanout/put_to_push.py --endpoint http://127.0.0.1:PORT [--rate 100] [--seconds 10]

One stream with one shard and one registered consumer subscribed at LATEST
with boto3's SubscribeToShard (HTTP/1.1 event stream). A paced loop puts one
record every 1/rate s with boto3's PutRecord; each record carries its index.
For every record: `ack` = when PutRecord returned, `arrival` = when the
subscriber decoded the event holding it. Reported, in ms:

  ack_to_push   arrival - ack   (what the issue of a record costs a consumer
                                 after the producer already knows it is stored;
                                 negative when the push beats the answer)
  put_to_push   arrival - send  (from the moment PutRecord was called)

The subscriber runs in its own process (so the putter's Python work never
delays its stamps); both read CLOCK_MONOTONIC through time.perf_counter().
Bounded: at most rate x seconds records, a 30 s drain for the last pushes,
a 60 s deadline for setup. Prints one JSON line.
"""

import argparse
import json
import multiprocessing as mp
import sys
import time

import boto3
from botocore.config import Config


def client(endpoint):
    return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
                        aws_secret_access_key="bench",
                        config=Config(retries={"max_attempts": 2}, read_timeout=60, connect_timeout=5))


def wait_for(fn, what, deadline_s=60):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if fn():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def subscriber(endpoint, consumer_arn, shard_id, conn, stop):
    """Child process: subscribes, sends ("ready",) once the subscription is open, then (index, arrival)."""
    try:
        kin = client(endpoint)
        out = kin.subscribe_to_shard(ConsumerARN=consumer_arn, ShardId=shard_id, StartingPosition={"Type": "LATEST"})
        conn.send(("ready",))
        for ev in out["EventStream"]:
            t = time.perf_counter()
            for r in ev["SubscribeToShardEvent"]["Records"]:
                conn.send((int(r["Data"]), t))
            if stop.is_set():
                break
    except Exception as e:  # reported to the parent, which fails the run
        conn.send(("error", f"{type(e).__name__}: {e}"))


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100.0 * len(s)))]


def measure(endpoint, rate=100.0, seconds=10.0, stream="fanout-bench"):
    kin = client(endpoint)
    try:
        kin.create_stream(StreamName=stream, ShardCount=1)
    except kin.exceptions.ResourceInUseException:
        pass
    wait_for(lambda: kin.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamStatus"]
             == "ACTIVE", "the stream")
    summary = kin.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    shard_id = kin.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    consumer = kin.register_stream_consumer(StreamARN=summary["StreamARN"], ConsumerName="bench")["Consumer"]
    arn = consumer["ConsumerARN"]
    wait_for(lambda: kin.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]["ConsumerStatus"]
             == "ACTIVE", "the consumer")

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    proc = ctx.Process(target=subscriber, args=(endpoint, arn, shard_id, child, stop), daemon=True)
    proc.start()
    arrivals = {}

    def drain(timeout):
        while parent.poll(timeout):
            msg = parent.recv()
            if msg[0] == "error":
                raise RuntimeError("subscriber: " + msg[1])
            if msg[0] != "ready":
                arrivals[msg[0]] = msg[1]
            timeout = 0

    try:
        if not parent.poll(60):
            raise RuntimeError("the subscription did not open within 60 s")
        first = parent.recv()
        if first[0] == "error":
            raise RuntimeError("SubscribeToShard: " + first[1])
        # Warm-up: negative indexes until one comes through (the subscription is live).
        w = -1
        end = time.monotonic() + 30
        while not arrivals and time.monotonic() < end:
            kin.put_record(StreamName=stream, Data=str(w).encode(), PartitionKey="k")
            w -= 1
            drain(0.05)
        if not arrivals:
            raise RuntimeError("no warm-up record was pushed within 30 s")
        n = int(rate * seconds)
        sent, acked = {}, {}
        t0 = time.perf_counter()
        for i in range(n):
            due = t0 + i / rate
            now = time.perf_counter()
            if due > now:
                drain(due - now)
            sent[i] = time.perf_counter()
            kin.put_record(StreamName=stream, Data=str(i).encode(), PartitionKey="k")
            acked[i] = time.perf_counter()
        end = time.monotonic() + 30
        while time.monotonic() < end and not all(i in arrivals for i in range(n)):
            drain(0.2)
    finally:
        stop.set()
        proc.terminate()
        proc.join(5)
    got = [i for i in range(n) if i in arrivals]
    ack_to_push = [(arrivals[i] - acked[i]) * 1000 for i in got]
    put_to_push = [(arrivals[i] - sent[i]) * 1000 for i in got]
    put_ms = [(acked[i] - sent[i]) * 1000 for i in range(n)]
    return {
        "records": n, "pushed": len(got), "rate": rate, "seconds": seconds,
        "ack_to_push_ms": {"p50": pct(ack_to_push, 50), "p99": pct(ack_to_push, 99), "max": max(ack_to_push, default=None)},
        "put_to_push_ms": {"p50": pct(put_to_push, 50), "p99": pct(put_to_push, 99), "max": max(put_to_push, default=None)},
        "put_call_ms": {"p50": pct(put_ms, 50), "p99": pct(put_ms, 99)},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--rate", type=float, default=100.0, help="records per second (paced)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--stream", default="fanout-bench")
    args = ap.parse_args()
    try:
        res = measure(args.endpoint, args.rate, args.seconds, args.stream)
    except Exception as e:
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
