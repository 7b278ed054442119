"""Firehose record format conversion (JSON -> Apache Parquet) end to end.

A private spated runs with --glue-schema-dir pointing at a directory holding the Glue table's file
(db/table.json, in `aws glue get-table`'s shape). boto3 creates an ExtendedS3 delivery stream with
DataFormatConversionConfiguration (OpenX JSON SerDe in, ParquetSerDe out) delivering to the embedded local
bucket store (DATA_DIR/s3/BUCKET); records are put with PutRecordBatch; the delivered .parquet objects are
read back with the npm `hyparquet` (js/parquet_read.mjs), an independent reader, and compared with what
was put. Records that cannot be converted must appear, as AWS's documents, under the error prefix's
format-conversion-failed/.
"""

import base64
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import helpers
from firehose_metrics import metric
from conftest import FUNCTIONAL_ARGS, _ensure_npm_package
from test_firehose import objects, wait_fh_status, FirehoseRaw
from test_parquet_hyparquet import read

ROLE = "arn:aws:iam::000000000000:role/firehose"
TABLE = {"Table": {"Name": "events", "DatabaseName": "analytics", "StorageDescriptor": {"Columns": [
    {"Name": "id", "Type": "bigint"}, {"Name": "user", "Type": "string"}, {"Name": "amount", "Type": "decimal(12,2)"},
    {"Name": "ok", "Type": "boolean"}, {"Name": "at", "Type": "timestamp"}, {"Name": "day", "Type": "date"},
    {"Name": "ts", "Type": "string"}]}}}


def client(endpoint):
    session = boto3.session.Session(aws_access_key_id=helpers.ACCESS_KEY_ID,
                                     aws_secret_access_key=helpers.SECRET_ACCESS_KEY, region_name=helpers.REGION)
    return session.client("firehose", endpoint_url=endpoint,
                          config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                        parameter_validation=False))  # Debian botocore: IntervalInSeconds >= 60


def conversion(compression="SNAPPY", **serde):
    return {
        "Enabled": True,
        "SchemaConfiguration": {"RoleARN": ROLE, "DatabaseName": "analytics", "TableName": "events",
                                "Region": helpers.REGION, "VersionId": "LATEST"},
        "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {
            "CaseInsensitive": True, "ColumnToJsonKeyMappings": {"ts": "timestamp"}}}},
        "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {"Compression": compression, **serde}}},
    }


def destination(bucket, dfcc, **extra):
    cfg = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "data/",
           "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
           "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 0},
           "DataFormatConversionConfiguration": dfcc}
    cfg.update(extra)
    return cfg


@pytest.fixture
def parquet_server(make_server, tmp_path):
    glue = tmp_path / "glue"
    (glue / "analytics").mkdir(parents=True)
    (glue / "analytics" / "events.json").write_text(json.dumps(TABLE))
    return make_server(extra_args=[*FUNCTIONAL_ARGS, "--glue-schema-dir", str(glue)])


@pytest.fixture(scope="module")
def reader(node_bin):
    _ensure_npm_package("hyparquet")
    _ensure_npm_package("hyparquet-compressors")
    return node_bin


@pytest.mark.parametrize("compression", ["SNAPPY", "GZIP"])
def test_boto3_stream_delivers_parquet_that_hyparquet_reads(parquet_server, reader, tmp_path, compression):
    fh = client(parquet_server.endpoint)
    name = helpers.unique_name("pq")
    bucket = f"pq-{compression.lower()}"
    fh.create_delivery_stream(DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                              ExtendedS3DestinationConfiguration=destination(bucket, conversion(compression)))
    wait_fh_status(FirehoseRaw(parquet_server.endpoint), name, "ACTIVE")
    desc = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    ext = desc["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert ext["DataFormatConversionConfiguration"]["OutputFormatConfiguration"]["Serializer"]["ParquetSerDe"][
        "Compression"] == compression

    good = []
    for i in range(40):
        rec = {"ID": i, "user": f"u{i % 3}", "amount": f"{i}.{i % 100:02d}", "ok": i % 2 == 0,
               "at": f"2026-12-07T04:{i % 60:02d}:00.5Z", "day": "2026-12-07", "timestamp": f"t{i}"}
        if i % 10 == 0:
            del rec["user"]
        good.append(rec)
    bad = [b'[{"id": 1}]', b'{"id": "not a number"}', b'{"id": 1']
    records = [json.dumps(r).encode() + b"\n" for r in good[:20]] + bad + \
              [json.dumps(r).encode() for r in good[20:]]
    out = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": d} for d in records])
    assert out["FailedPutCount"] == 0

    state = {}

    def delivered():
        objs = objects(parquet_server.data_dir, bucket)
        state["objs"] = objs
        rows = 0
        for key, body in objs.items():
            if key.endswith(".parquet"):
                path = tmp_path / "o.parquet"
                path.write_bytes(body)
                rows += read(reader, path)["metadata"]["num_rows"]
        errors = [k for k in objs if k.startswith("errors/format-conversion-failed/")]
        return rows == len(good) and sum(len(objs[k].splitlines()) for k in errors) == len(bad)
    helpers.poll_until(delivered, timeout=30, interval=0.2, what="parquet objects and error documents")

    rows = []
    for key, body in sorted(state["objs"].items()):
        if not key.endswith(".parquet"):
            continue
        assert key.startswith("data/") and f"/{name}-1-" in key
        assert body[:4] == b"PAR1" and body[-4:] == b"PAR1"
        path = tmp_path / "o.parquet"
        path.write_bytes(body)
        got = read(reader, path)
        assert {c["codec"] for rg in got["metadata"]["row_groups"] for c in rg["columns"]} == {compression}
        rows.extend(got["rows"])
    rows.sort(key=lambda r: int(r["id"]))
    assert len(rows) == len(good)
    for rec, row in zip(good, rows):
        assert row["id"] == str(rec["ID"])  # bigint: hyparquet's BigInt, printed as text
        assert row["user"] == rec.get("user")
        assert abs(row["amount"] - float(rec["amount"])) < 1e-9
        assert row["ok"] == rec["ok"]
        assert row["day"] == 20794  # 2026-12-07 in days since 1970-01-01
        assert row["ts"] == rec["timestamp"]  # ColumnToJsonKeyMappings
        minute = int(rec["at"][14:16])
        assert int(row["at"]) == ((20794 * 86400 + 4 * 3600 + minute * 60) * 10**9 + 500_000_000)

    docs = []
    for key, body in state["objs"].items():
        if key.startswith("errors/format-conversion-failed/"):
            docs.extend(json.loads(line) for line in body.splitlines())
    assert sorted(base64.b64decode(d["rawData"]) for d in docs) == sorted(bad)
    for d in docs:
        assert d["lastErrorCode"] == "DataFormatConversion.ParseError" and d["lastErrorMessage"]
        assert d["attemptsMade"] == 1 and d["arrivalTimestamp"] > 0 and d["attemptEndingTimestamp"] > 0
        assert d["dataCatalogTable"]["databaseName"] == "analytics"
        assert d["dataCatalogTable"]["tableName"] == "events"

    # {Succeed,Failed}Conversion.{Records,Bytes}, counted once the objects are written.
    ep = parquet_server.endpoint
    good_bytes = sum(len(d) for d in records if d not in bad)
    helpers.poll_until(lambda: metric(ep, "spate_firehose_succeed_conversion_records_total", name) == len(good),
                       timeout=10, interval=0.2, what="SucceedConversion.Records")
    assert metric(ep, "spate_firehose_succeed_conversion_bytes_total", name) == good_bytes
    assert metric(ep, "spate_firehose_failed_conversion_records_total", name) == len(bad)
    assert metric(ep, "spate_firehose_failed_conversion_bytes_total", name) == sum(len(b) for b in bad)


def test_configurations_aws_refuses_are_refused(parquet_server):
    fh = client(parquet_server.endpoint)

    def refused(cfg):
        with pytest.raises(ClientError) as e:
            fh.create_delivery_stream(DeliveryStreamName=helpers.unique_name("pqbad"), DeliveryStreamType="DirectPut",
                                      ExtendedS3DestinationConfiguration=cfg)
        assert e.value.response["Error"]["Code"] == "InvalidArgumentException", e.value.response
        return e.value.response["Error"]["Message"]

    assert "UNCOMPRESSED" in refused(destination("b", conversion(), CompressionFormat="GZIP"))
    small = destination("b", conversion())
    small["BufferingHints"] = {"SizeInMBs": 5, "IntervalInSeconds": 60}
    assert "64" in refused(small)
    orc = conversion()
    orc["OutputFormatConfiguration"] = {"Serializer": {"OrcSerDe": {}}}
    assert "OrcSerDe" in refused(destination("b", orc))
    assert "V2" in refused(destination("b", conversion(WriterVersion="V2")))
    no_schema = conversion()
    del no_schema["SchemaConfiguration"]
    assert "SchemaConfiguration" in refused(destination("b", no_schema))
    two = conversion()
    two["InputFormatConfiguration"]["Deserializer"]["HiveJsonSerDe"] = {}
    assert "exactly one" in refused(destination("b", two))


def test_default_buffer_is_128_mib_and_disabled_conversion_is_kept(parquet_server):
    fh = client(parquet_server.endpoint)
    name = helpers.unique_name("pqdef")
    cfg = destination("b", conversion())
    del cfg["BufferingHints"]
    fh.create_delivery_stream(DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                              ExtendedS3DestinationConfiguration=cfg)
    ext = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]["Destinations"][0][
        "ExtendedS3DestinationDescription"]
    assert ext["BufferingHints"]["SizeInMBs"] == 128
    name2 = helpers.unique_name("pqoff")
    off = conversion()
    off["Enabled"] = False
    fh.create_delivery_stream(DeliveryStreamName=name2, DeliveryStreamType="DirectPut",
                              ExtendedS3DestinationConfiguration=destination("b", off, CompressionFormat="GZIP"))
    ext = fh.describe_delivery_stream(DeliveryStreamName=name2)["DeliveryStreamDescription"]["Destinations"][0][
        "ExtendedS3DestinationDescription"]
    assert ext["DataFormatConversionConfiguration"]["Enabled"] is False
