#!/usr/bin/env python3
"""COPY into PostgreSQL through Firehose's Redshift destination, beside PostgreSQL's own COPY FROM STDIN
(psql \\copy) of the same rows: the ceiling.

Starts a throwaway PostgreSQL 15 (tests/integration/postgres.py) and a spated (build/spated by default),
puts --rows rows (pipe-delimited, ~60 bytes) into a delivery stream whose buffer holds them (interval
900 s), then lowers the interval to 0 and times until every row is in the table: the delivery alone
(log read, staging in the local store, COPY + progress row per 5 MiB batch). Bounded: --rows (default
300000), every wait has a deadline.

    /usr/bin/python3 bench/firehose/redshift.py [--rows N] [--spated build/spated]
"""

import argparse
import base64
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import helpers  # noqa: E402
import postgres  # noqa: E402
from conftest import SpatedServer  # noqa: E402
from test_firehose import ROLE, FirehoseRaw  # noqa: E402

HOST = "pg.redshift.local"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--spated", default=str(ROOT / "build" / "spated"))
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    os.environ["SPATED_BIN"] = args.spated
    work = Path(tempfile.mkdtemp(prefix="spate-bench-pg-"))
    os.chmod(work, 0o755)
    pg = postgres.PostgresServer(work / "cluster").init().start()
    srv = None
    try:
        pg.psql("CREATE DATABASE bench")
        pg.psql("CREATE TABLE ref (id bigint, name text, payload text)", db="bench")
        pg.psql("CREATE TABLE viaspate (id bigint, name text, payload text)", db="bench")
        rows = [f"{i}|name-{i % 1000}|{'x' * 40}\n".encode() for i in range(args.rows)]
        data = work / "rows.txt"
        data.write_bytes(b"".join(rows))
        os.chmod(data, 0o644)
        size = data.stat().st_size

        psql_s = pg.copy_from_file("ref (id, name, payload)", data, "FORMAT text, DELIMITER '|'", db="bench")
        assert int(pg.psql("SELECT count(*) FROM ref", db="bench")[0][0]) == args.rows

        srv = SpatedServer(work / "data", work, extra_args=(
            "--limits=off", "--redshift-host-address", f"{HOST}=127.0.0.1")).start()
        fraw = FirehoseRaw(srv.endpoint)
        cfg = {"RoleARN": ROLE, "ClusterJDBCURL": f"jdbc:postgresql://{HOST}:{pg.port}/bench",
               "CopyCommand": {"DataTableName": "viaspate", "DataTableColumns": "id,name,payload"},
               "Username": postgres.USER, "Password": postgres.PASSWORD,
               "S3Configuration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::stage",
                                   "BufferingHints": {"SizeInMBs": 128, "IntervalInSeconds": 900}}}
        fraw.call("CreateDeliveryStream", {"DeliveryStreamName": "bench", "RedshiftDestinationConfiguration": cfg})
        helpers.poll_until(lambda: fraw.call("DescribeDeliveryStream", {"DeliveryStreamName": "bench"})[1]
                           ["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE", timeout=30)
        for i in range(0, len(rows), 500):
            fraw.call("PutRecordBatch", {"DeliveryStreamName": "bench", "Records": [
                {"Data": base64.b64encode(r).decode()} for r in rows[i:i + 500]]})
        t0 = time.monotonic()
        fraw.call("UpdateDestination", {"DeliveryStreamName": "bench", "CurrentDeliveryStreamVersionId": "1",
                                        "DestinationId": "destinationId-000000000001",
                                        "RedshiftDestinationUpdate": {"S3Update": {
                                            "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 0}}}})
        helpers.poll_until(lambda: int(pg.psql("SELECT count(*) FROM viaspate", db="bench")[0][0]) >= args.rows,
                           timeout=args.timeout, interval=0.05, what="every row")
        spate_s = time.monotonic() - t0
        n = int(pg.psql("SELECT count(*) FROM viaspate", db="bench")[0][0])
        assert n == args.rows, n
        print(f"rows: {args.rows}, {size / 2**20:.1f} MiB, machine load {os.getloadavg()[0]:.1f}")
        print(f"psql \\copy (PostgreSQL's own COPY FROM STDIN): {psql_s:.2f} s, {args.rows / psql_s:,.0f} rows/s")
        print(f"Spate Redshift destination (5 MiB batches, staged + COPY): {spate_s:.2f} s, "
              f"{args.rows / spate_s:,.0f} rows/s ({spate_s / psql_s:.2f}x psql's time)")
    finally:
        if srv is not None:
            srv.stop()
        pg.destroy()


if __name__ == "__main__":
    main()
