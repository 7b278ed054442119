#!/usr/bin/env python3
"""Firehose DirectPut benchmark (on demand; never part of `make test`).

  bench/firehose/run.sh [--seconds S] [--conns N] [--s3]

1. Throughput: spated (--limits=off) on a fresh data directory; spate_loadgen sends PutRecordBatch of
   500 x 1 KiB records to a delivery stream buffering 64 MiB / 60 s into the local directory, for S
   seconds. Reports acknowledged MiB/s, spated's CPU seconds (utime + stime from /proc) and MiB/s per
   core-second while accepting, and again until every byte is delivered (accepting + delivering), the
   bytes delivered once the buffer is flushed, and spated's peak RSS (VmHWM).
2. Freshness: zero buffering (IntervalInSeconds 0); one record every 50 ms, each carrying its id; a
   watcher polls the bucket's directory every 2 ms. Reports p50/p99 from the put's acknowledgement
   to the object being visible.

With --s3 the throughput part delivers to a real S3-compatible server instead (s3rver from the
integration tests' pinned npm packages, on loopback, path-style), and also reports the S3 server's CPU
seconds: it runs on the same 2 cores.

Prints one JSON object per part.
"""

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def call(port, op, params):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps(params).encode()
    conn.request("POST", "/", body=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Firehose_20150804.{op}",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/firehose/aws4_request, "
                         "SignedHeaders=host, Signature=00", "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())})
    r = conn.getresponse()
    out = r.read()
    conn.close()
    if r.status != 200:
        raise RuntimeError(f"{op}: {r.status} {out[:300]!r}")
    return json.loads(out or b"{}")


def start_spated(binary, data_dir, extra=()):
    log = open(Path(data_dir).parent / "spated.log", "wb")
    proc = subprocess.Popen([binary, "--port", "0", "--data-dir", str(data_dir), "--state-delay-ms", "0",
                             "--limits=off", *extra], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", (Path(data_dir).parent / "spated.log").read_text())
        if m:
            return proc, int(m.group(1))
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("spated did not start")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0


def dir_bytes(root):
    return sum(p.stat().st_size for p in Path(root).rglob("*") if p.is_file() and not p.name.startswith(".tmp-"))


def create(port, name, bucket, size_mb, interval_s):
    call(port, "CreateDeliveryStream", {"DeliveryStreamName": name, "ExtendedS3DestinationConfiguration": {
        "RoleARN": "arn:aws:iam::000000000000:role/r", "BucketARN": f"arn:aws:s3:::{bucket}",
        "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s}}})


def start_s3(work):
    """An s3rver on loopback (the integration tests' fixture class and pinned package); returns it started."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))
    import conftest  # noqa: E402  (the suite's S3Server wrapper and npm installer)
    node = shutil.which("node")
    if node is None:
        raise SystemExit("--s3 needs node (s3rver)")
    srv = conftest.S3Server(node, conftest._ensure_npm_package("s3rver"), work / "s3rver", work)
    srv.start()
    return srv


def s3_bucket_bytes(client, bucket):
    total = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        total += sum(o["Size"] for o in page.get("Contents", []))
    return total


def throughput(args, binary, loadgen, work):
    data = work / "tp"
    data.mkdir()
    s3 = start_s3(work) if args.s3 else None
    extra = []
    if s3 is not None:
        s3.client.create_bucket(Bucket="tpbucket")
        extra = ["--s3-endpoint", s3.endpoint, "--s3-access-key-id", s3.access_key,
                 "--s3-secret-access-key", s3.secret_key]
    proc, port = start_spated(binary, data, extra)
    try:
        create(port, "tp", "tpbucket", 64, 60)
        cpu0 = cpu_seconds(proc.pid)
        s3_cpu0 = cpu_seconds(s3.proc.pid) if s3 else 0
        out = subprocess.run([loadgen, "firehose", "--port", str(port), "--stream", "tp", "--conns", str(args.conns),
                              "--records", "500", "--record-bytes", "1024", "--duration", str(args.seconds),
                              "--warmup", "1"], capture_output=True, text=True, timeout=args.seconds + 60)
        cpu = cpu_seconds(proc.pid) - cpu0
        res = json.loads(out.stdout.strip().splitlines()[-1])
        acked_mib = res["ok"] * 500 * 1024 / (1 << 20)
        # Flush what is buffered by lowering the interval to 0, then wait for every byte.
        d = call(port, "DescribeDeliveryStream", {"DeliveryStreamName": "tp"})["DeliveryStreamDescription"]
        call(port, "UpdateDestination", {"DeliveryStreamName": "tp", "CurrentDeliveryStreamVersionId": d["VersionId"],
                                         "DestinationId": "destinationId-000000000001",
                                         "ExtendedS3DestinationUpdate": {
                                             "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 0}}})
        bucket = data / "s3" / "tpbucket"
        delivered = (lambda: s3_bucket_bytes(s3.client, "tpbucket")) if s3 else (lambda: dir_bytes(bucket))
        deadline = time.time() + 300
        total = res["ok"] * 500 * 1024
        flush_start = time.time()
        while time.time() < deadline and delivered() < total:
            time.sleep(0.5)
        flush_s = time.time() - flush_start
        # The S3 server's CPU over the whole run and the flush: what the delivery cost it.
        s3_cpu = cpu_seconds(s3.proc.pid) - s3_cpu0 if s3 else None
        # spated's CPU until every byte was delivered: accepting and delivering.
        cpu_total = cpu_seconds(proc.pid) - cpu0
        return {"part": "throughput", "destination": "s3rver" if s3 else "local directory", "seconds": res["seconds"], "calls": res["ok"], "errors": res["errors"],
                "acked_mib_per_s": round(acked_mib / res["seconds"], 1),
                "spated_cpu_s": round(cpu, 2),
                "mib_per_cpu_s": round(acked_mib / cpu, 1) if cpu > 0 else None,
                "spated_cpu_s_with_delivery": round(cpu_total, 2),
                "mib_per_cpu_s_with_delivery": round(acked_mib / cpu_total, 1) if cpu_total > 0 else None,
                "s3_server_cpu_s": round(s3_cpu, 2) if s3 else None, "flush_s": round(flush_s, 1),
                "delivered_bytes": delivered(), "acked_bytes": total,
                "peak_rss_mib": round(peak_rss_mib(proc.pid), 1),
                "call_p50_ms": round(res["lat_us"]["p50"] / 1000, 2), "call_p99_ms": round(res["lat_us"]["p99"] / 1000, 2)}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if s3 is not None:
            s3.stop()


def freshness(args, binary, work):
    data = work / "fresh"
    data.mkdir()
    proc, port = start_spated(binary, data)
    try:
        create(port, "fresh", "freshbucket", 1, 0)
        bucket = data / "s3" / "freshbucket"
        acked = {}
        seen = {}
        stop = threading.Event()

        def watch():
            known = set()
            while not stop.is_set():
                if bucket.exists():
                    for p in bucket.rglob("*"):
                        if p.is_file() and not p.name.startswith(".tmp-") and p not in known:
                            known.add(p)
                            now = time.monotonic()
                            for rid in p.read_bytes().split(b";"):
                                if rid:
                                    seen.setdefault(int(rid), now)
                time.sleep(0.002)
        t = threading.Thread(target=watch)
        t.start()
        n = int(args.fresh_seconds * 20)
        for i in range(n):
            call(port, "PutRecord", {"DeliveryStreamName": "fresh",
                                     "Record": {"Data": base64.b64encode(f"{i};".encode()).decode()}})
            acked[i] = time.monotonic()
            time.sleep(0.05)
        deadline = time.time() + 30
        while time.time() < deadline and len(seen) < n:
            time.sleep(0.05)
        stop.set()
        t.join()
        lat = sorted((seen[i] - acked[i]) * 1000 for i in acked if i in seen)
        pct = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else None
        return {"part": "freshness", "records": n, "visible": len(lat), "p50_ms": pct(0.5), "p99_ms": pct(0.99),
                "max_ms": round(lat[-1], 1) if lat else None}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spated", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--conns", type=int, default=4)
    ap.add_argument("--fresh-seconds", type=float, default=10)
    ap.add_argument("--s3", action="store_true", help="deliver to an s3rver on loopback instead of the local directory")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="spate-fh-bench-"))
    try:
        print(json.dumps(throughput(args, args.spated, args.loadgen, work)), flush=True)
        print(json.dumps(freshness(args, args.spated, work)), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
