"""Firehose's Redshift destination delivering into a real PostgreSQL 15 that the test starts itself
(postgres.py: initdb in a temporary directory, loopback port, password authentication).

The service model only accepts ClusterJDBCURL hosts of the form *.redshift.*: the tests name
`pg.redshift.local` and map it to 127.0.0.1 with spated's --redshift-host-address. Batches are staged in
the embedded object store (DATA_DIR/s3/<bucket>/...), then COPYed; retries come every
--redshift-retry-interval-ms (200 ms here instead of Redshift's 5 minutes).
"""

import base64
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import helpers
import postgres
from firehose_metrics import metric
from test_firehose import ROLE, FirehoseRaw, fh_client, objects, wait_fh_status

pytestmark = pytest.mark.skipif(not postgres.available(), reason="PostgreSQL 15 (postgresql-15) is not installed")

HOST = "pg.redshift.local"
DB = "firehose"
RETRY_MS = 200
SERVER_ARGS = ("--limits=off", "--redshift-retry-interval-ms", str(RETRY_MS),
               "--redshift-host-address", f"{HOST}=127.0.0.1")


@pytest.fixture(scope="module")
def pg():
    d = tempfile.mkdtemp(prefix="spate-pg-")
    os.chmod(d, 0o755)  # PostgreSQL may run as another user (postgres.py)
    srv = postgres.PostgresServer(Path(d) / "cluster").init().start()
    srv.psql(f"CREATE DATABASE {DB}")
    yield srv
    srv.destroy()
    Path(d).rmdir()


@pytest.fixture(scope="module")
def rs_server(tmp_path_factory):
    from conftest import SpatedServer, _require_binary
    _require_binary()
    base = tmp_path_factory.mktemp("spated-redshift")
    srv = SpatedServer(base / "data", base, extra_args=SERVER_ARGS)
    srv.start()
    yield srv
    srv.stop()


def redshift_config(pg, table, columns="", copy_options="", bucket="stage", size_mb=1, interval_s=0, **extra):
    cfg = {
        "RoleARN": ROLE,
        "ClusterJDBCURL": f"jdbc:postgresql://{HOST}:{pg.port}/{DB}",
        "CopyCommand": {"DataTableName": table, "DataTableColumns": columns, "CopyOptions": copy_options},
        "Username": postgres.USER,
        "Password": postgres.PASSWORD,
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                            "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s}},
    }
    cfg.update(extra)
    return cfg


def put(fraw, name, records):
    for i in range(0, len(records), 500):
        chunk = records[i:i + 500]
        _, out = fraw.call("PutRecordBatch", {"DeliveryStreamName": name,
                                              "Records": [{"Data": base64.b64encode(r).decode()} for r in chunk]})
        assert out["FailedPutCount"] == 0


def wait_rows(pg, table, n, timeout=60):
    got = []

    def check():
        got[:] = pg.psql(f"SELECT count(*) FROM {table}", db=DB)
        return int(got[0][0]) >= n
    helpers.poll_until(check, timeout=timeout, interval=0.1, what=f"{n} rows in {table}")
    return int(got[0][0])


def test_boto3_creates_describes_and_rows_arrive_with_their_contents(rs_server, pg, tmp_path):
    pg.psql("CREATE TABLE events (id int, name text, note text)", db=DB)
    fh = fh_client(rs_server.endpoint)
    fraw = FirehoseRaw(rs_server.endpoint)
    name = helpers.unique_name("rs")
    # Debian's boto3 refuses IntervalInSeconds below 60: created at 60 s, then updated to 0 below.
    cfg = redshift_config(pg, "events", "id, name, note", "delimiter '|'", interval_s=60)
    fh.create_delivery_stream(DeliveryStreamName=name, RedshiftDestinationConfiguration=cfg)
    wait_fh_status(fraw, name, "ACTIVE")
    desc = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    dest = desc["Destinations"][0]
    rd = dest["RedshiftDestinationDescription"]
    assert rd["ClusterJDBCURL"] == cfg["ClusterJDBCURL"]
    assert rd["CopyCommand"] == cfg["CopyCommand"]
    assert rd["Username"] == postgres.USER
    assert "Password" not in rd and postgres.PASSWORD not in json.dumps(desc, default=str)
    assert rd["RetryOptions"] == {"DurationInSeconds": 3600}
    assert rd["S3BackupMode"] == "Disabled"
    s3d = rd["S3DestinationDescription"]
    assert s3d["BucketARN"] == "arn:aws:s3:::stage"
    assert s3d["CompressionFormat"] == "UNCOMPRESSED"
    assert s3d["BufferingHints"] == {"SizeInMBs": 1, "IntervalInSeconds": 60}

    # aws-cli sees the same description.
    env = dict(os.environ, AWS_ACCESS_KEY_ID=helpers.ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=helpers.SECRET_ACCESS_KEY,
               AWS_DEFAULT_REGION=helpers.REGION, HOME=str(tmp_path))
    r = subprocess.run(["aws", "--endpoint-url", rs_server.endpoint, "firehose", "describe-delivery-stream",
                        "--delivery-stream-name", name, "--output", "json"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    cli_rd = json.loads(r.stdout)["DeliveryStreamDescription"]["Destinations"][0]["RedshiftDestinationDescription"]
    assert cli_rd["CopyCommand"] == cfg["CopyCommand"] and "Password" not in cli_rd

    fraw.call("UpdateDestination", {"DeliveryStreamName": name, "CurrentDeliveryStreamVersionId": desc["VersionId"],
                                    "DestinationId": dest["DestinationId"],
                                    "RedshiftDestinationUpdate": {"S3Update": {
                                        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}}}})
    # Redshift's text format without ESCAPE: a backslash is data; \N is NULL.
    records = [f"{i}|name-{i}|C:\\dir\\{i}\n".encode() for i in range(300)] + [b"300|\\N|\\N\n"]
    fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records[:200]])
    put(fraw, name, records[200:])
    assert wait_rows(pg, "events", len(records)) == len(records)
    rows = pg.psql("SELECT id, coalesce(name, '<null>'), coalesce(note, '<null>') FROM events ORDER BY id", db=DB)
    assert rows[:2] == [["0", "name-0", "C:\\dir\\0"], ["1", "name-1", "C:\\dir\\1"]]
    assert rows[-1] == ["300", "<null>", "<null>"]
    assert [int(r[0]) for r in rows] == list(range(301))
    # Each batch was staged in the S3 configuration's bucket first.
    staged = objects(rs_server.data_dir, "stage")
    assert b"".join(sorted(staged.values(), key=lambda b: int(b.split(b"|")[0]))) == b"".join(records)
    progress = pg.psql("SELECT count(*) FROM spate_firehose_progress", db=DB)
    assert int(progress[0][0]) >= 1
    # DeliveryToRedshift.{Records,Bytes,Success}: every row, its bytes, one success per COPY committed.
    ep = rs_server.endpoint
    helpers.poll_until(lambda: metric(ep, "spate_firehose_delivery_to_redshift_records_total", name) == len(records),
                       timeout=10, what="DeliveryToRedshift.Records")
    assert metric(ep, "spate_firehose_delivery_to_redshift_bytes_total", name) == sum(map(len, records))
    assert 1 <= metric(ep, "spate_firehose_delivery_to_redshift_success_total", name) <= len(staged)
    assert metric(ep, "spate_firehose_delivery_to_redshift_failed_total", name) == 0


def test_json_auto_maps_members_to_columns(rs_server, pg):
    pg.psql("CREATE TABLE clicks (id bigint, page text, ms int)", db=DB)
    fraw = FirehoseRaw(rs_server.endpoint)
    name = helpers.unique_name("rsj")
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name,
                                       "RedshiftDestinationConfiguration": redshift_config(
                                           pg, "clicks", "", "json 'auto'", bucket="stagejson")})
    wait_fh_status(fraw, name, "ACTIVE")
    records = [json.dumps({"ms": i * 10, "id": i, "page": f"/p/{i}\t\"q\"", "other": [1, 2]}).encode() + b"\n"
               for i in range(100)]
    put(fraw, name, records)
    wait_rows(pg, "clicks", 100)
    rows = pg.psql("SELECT id, replace(page, E'\\t', '<TAB>'), ms FROM clicks ORDER BY id", db=DB)
    assert rows[7] == ["7", "/p/7<TAB>\"q\"", "70"]
    assert len(rows) == 100


@pytest.mark.parametrize("change, message", [
    (lambda c: c["CopyCommand"].update(CopyOptions="maxerror 10"), "maxerror"),
    (lambda c: c["CopyCommand"].update(CopyOptions="json 's3://b/paths.json'"), "JSON"),
    (lambda c: c["S3Configuration"].update(CompressionFormat="Snappy"), "Snappy"),
    (lambda c: c["S3Configuration"].update(CompressionFormat="ZIP"), "ZIP"),
    (lambda c: c.update(SecretsManagerConfiguration={"Enabled": True}), "SecretsManagerConfiguration"),
    (lambda c: c.pop("Password"), "Password"),
    (lambda c: c["S3Configuration"].update(Prefix="p/!{timestamp:yyyy}/", ErrorOutputPrefix="e/"), "Prefix"),
    (lambda c: c.update(S3BackupMode="Enabled"), "S3BackupConfiguration"),
])
def test_create_refuses_what_is_not_supported(rs_server, pg, change, message):
    fraw = FirehoseRaw(rs_server.endpoint)
    cfg = redshift_config(pg, "events")
    change(cfg)
    code, out = fraw.call("CreateDeliveryStream", {"DeliveryStreamName": helpers.unique_name("rsbad"),
                                                   "RedshiftDestinationConfiguration": cfg}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("InvalidArgumentException"), out
    assert message.lower() in out.get("message", out.get("Message", "")).lower(), out


def test_jdbc_url_outside_the_models_pattern_is_a_validation_error(rs_server, pg):
    fraw = FirehoseRaw(rs_server.endpoint)
    cfg = redshift_config(pg, "events")
    cfg["ClusterJDBCURL"] = f"jdbc:postgresql://127.0.0.1:{pg.port}/{DB}"
    code, out = fraw.call("CreateDeliveryStream", {"DeliveryStreamName": helpers.unique_name("rsurl"),
                                                   "RedshiftDestinationConfiguration": cfg}, expect_ok=False)
    assert code == 400 and out["__type"].endswith("ValidationException"), out


def test_postgres_down_then_back_loses_and_duplicates_nothing(rs_server, pg):
    pg.psql("CREATE TABLE outage (id int PRIMARY KEY, v text)", db=DB)
    fraw = FirehoseRaw(rs_server.endpoint)
    name = helpers.unique_name("rsdown")
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name,
                                       "RedshiftDestinationConfiguration": redshift_config(
                                           pg, "outage", "id,v", "csv", bucket="stagedown")})
    wait_fh_status(fraw, name, "ACTIVE")
    put(fraw, name, [f"{i},before\n".encode() for i in range(50)])
    wait_rows(pg, "outage", 50)
    assert pg.stop() == 0
    try:
        put(fraw, name, [f"{i},during\n".encode() for i in range(50, 250)])
        time.sleep(2 * RETRY_MS / 1000 + 0.5)  # let several COPY attempts fail
    finally:
        pg.start()
    wait_rows(pg, "outage", 250)
    put(fraw, name, [f"{i},after\n".encode() for i in range(250, 300)])
    wait_rows(pg, "outage", 300)
    rows = pg.psql("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM outage", db=DB)
    assert rows == [["300", "300", "0", "299"]]
    # The COPYs that failed while PostgreSQL was down are counted apart from the delivered rows.
    assert metric(rs_server.endpoint, "spate_firehose_delivery_to_redshift_failed_total", name) >= 1
    helpers.poll_until(lambda: metric(rs_server.endpoint, "spate_firehose_delivery_to_redshift_records_total",
                                      name) == 300, timeout=10, what="DeliveryToRedshift.Records")


def test_kill9_at_random_points_loads_every_record_exactly_once(make_server, pg):
    # No primary key: a batch loaded twice would show as duplicate ids.
    pg.psql("CREATE TABLE crash (id int, batch int)", db=DB)
    srv = make_server(extra_args=SERVER_ARGS)
    fraw = FirehoseRaw(srv.endpoint)
    name = helpers.unique_name("rskill")
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name,
                                       "RedshiftDestinationConfiguration": redshift_config(
                                           pg, "crash", "id,batch", "delimiter ','", bucket="stagekill")})
    wait_fh_status(fraw, name, "ACTIVE")
    rng = random.Random(18)
    total = 0
    for round_ in range(6):
        put(fraw, name, [f"{total + i},{round_}\n".encode() for i in range(400)])
        total += 400
        if round_ % 2 == 0:
            # Right after the first rows of this round show up: most likely between a COPY's commit and the
            # deliverer's checkpoint.
            helpers.poll_until(lambda: int(pg.psql("SELECT count(*) FROM crash", db=DB)[0][0]) > total - 400,
                               timeout=60, interval=0.005, what="a COPY")
        else:
            time.sleep(rng.uniform(0, 0.3))
        srv.kill()
        srv.start()
        fraw = FirehoseRaw(srv.endpoint)
    wait_rows(pg, "crash", total)
    time.sleep(1)  # anything loaded twice would have arrived by now
    rows = pg.psql("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM crash", db=DB)
    assert rows == [[str(total), str(total), "0", str(total - 1)]]
    # How often a kill fell between a COPY's commit and the checkpoint (the replay the progress row caught).
    replays = sum(p.read_text(errors="replace").count("was loaded before a restart")
                  for p in srv.log_dir.glob("spated-*.log"))
    print(f"kill -9 rounds: 6, batches replayed and recognised as loaded: {replays}")


def test_kill9_between_copy_commit_and_checkpoint_loads_the_batch_once(make_server, pg):
    """The failure point --redshift-kill-after-copies 1 SIGKILLs spated right after its first COPY commits,
    before the deliverer records the batch: the restarted server replays the batch and the progress row
    must stop it from being loaded twice."""
    pg.psql("CREATE TABLE crashpoint (id int, v text)", db=DB)
    srv = make_server(extra_args=SERVER_ARGS + ("--redshift-kill-after-copies", "1"))
    fraw = FirehoseRaw(srv.endpoint)
    name = helpers.unique_name("rspoint")
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name,
                                       "RedshiftDestinationConfiguration": redshift_config(
                                           pg, "crashpoint", "id,v", "delimiter ','", bucket="stagepoint")})
    wait_fh_status(fraw, name, "ACTIVE")
    put(fraw, name, [f"{i},x\n".encode() for i in range(200)])
    assert srv.proc.wait(timeout=60) == -9
    srv.proc = None
    loaded = int(pg.psql("SELECT count(*) FROM crashpoint", db=DB)[0][0])
    assert loaded > 0  # the first batch committed before the kill
    srv.extra_args = list(SERVER_ARGS)
    srv.start()
    fraw = FirehoseRaw(srv.endpoint)
    put(fraw, name, [f"{i},y\n".encode() for i in range(200, 300)])
    wait_rows(pg, "crashpoint", 300)
    time.sleep(1)  # a batch loaded twice would have arrived by now
    rows = pg.psql("SELECT count(*), count(DISTINCT id) FROM crashpoint", db=DB)
    assert rows == [["300", "300"]]
    assert "was loaded before a restart" in srv.log_path.read_text(errors="replace")


def test_a_batch_failing_past_the_retry_window_is_skipped_into_an_errors_manifest(rs_server, pg):
    fraw = FirehoseRaw(rs_server.endpoint)
    name = helpers.unique_name("rsexp")
    # The table does not exist: every COPY fails; 1 s of retries, then the batch is skipped.
    cfg = redshift_config(pg, "no_such_table", "", "", bucket="stageexp", RetryOptions={"DurationInSeconds": 1})
    fraw.call("CreateDeliveryStream", {"DeliveryStreamName": name, "RedshiftDestinationConfiguration": cfg})
    wait_fh_status(fraw, name, "ACTIVE")
    put(fraw, name, [b"1|a\n", b"2|b\n"])
    found = {}

    def manifest():
        nonlocal found
        found = {k: v for k, v in objects(rs_server.data_dir, "stageexp").items() if k.startswith("errors/")}
        return bool(found)
    helpers.poll_until(manifest, timeout=30, interval=0.1, what="an errors/ manifest")
    (key, body), = found.items()
    doc = json.loads(body)
    assert list(doc) == ["entries"] and len(doc["entries"]) == 1
    entry = doc["entries"][0]
    assert entry["mandatory"] is True and entry["url"].startswith("s3://stageexp/")
    staged_key = entry["url"][len("s3://stageexp/"):]
    assert objects(rs_server.data_dir, "stageexp")[staged_key] == b"1|a\n2|b\n"
