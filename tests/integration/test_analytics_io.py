"""Kinesis Data Analytics inputs and outputs beyond Kinesis streams, against a real spated: an application that
reads a Firehose delivery stream (the records put to it, while the delivery stream still delivers them to its
destination), DiscoverInputSchema on a delivery stream (boto3 and aws-cli), Lambda preprocessing through a local
command mapped by --lambda-map (Ok rewrites, Dropped, ProcessingFailed, a record left out of the answer, a
function that fails every invocation: each failure an error_stream row with the record's bytes), and a Lambda
output served over HTTP by the test (the documented delivery event, DeliveryFailed rows handed over again with a
higher retryHint, a function down for a while holding the rows back until it answers).
"""

import base64
import json
import os
import subprocess
import time

import boto3
import pytest

import helpers
from helpers import ACCESS_KEY_ID, ACCOUNT_ID, REGION, SECRET_ACCESS_KEY
from lambda_functions import BROKEN_COMMAND, FunctionServer, start_lambda_spated
from test_analytics import (APP_ARN, DEMO_COLUMNS, DEMO_ROWS, K1_CODE, ROLE, kda_client, kinesis_input,
                            kinesis_output, put_json, raw_call_service, read_json_records, start, wait_status)

PRE_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:kda-pre"
BROKEN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:kda-broken"
OUT_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:kda-out"

# The preprocessor: "drop..." -> Dropped, "fail..." -> ProcessingFailed, "omit..." left out of the answer,
# "SYM,change,price" -> the demo schema's JSON. It checks the event is the documented one, so a wrong shape
# fails the invocation (and the test, whose records then all land in error_stream), and appends each event to
# events.jsonl beside itself, for the tests to compare the record metadata with the records they put.
PREPROCESS = r'''
import base64, json, os, sys
event = json.load(sys.stdin)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "events.jsonl"), "a") as log:
    log.write(json.dumps(event) + "\n")
assert set(event) == {"invocationId", "applicationArn", "streamArn", "records"}, event.keys()
# (DiscoverInputSchema runs the function for no application: its applicationArn is empty.)
assert event["applicationArn"] == "" or event["applicationArn"].startswith("arn:aws:kinesisanalytics:"), event
assert len({r["recordId"] for r in event["records"]}) == len(event["records"]), event
out = []
for r in event["records"]:
    if ":kinesis:" in event["streamArn"]:
        assert set(r) == {"recordId", "kinesisStreamRecordMetadata", "data"}, r.keys()
        assert set(r["kinesisStreamRecordMetadata"]) == {"sequenceNumber", "partitionKey", "shardId",
                                                         "approximateArrivalTimestamp"}, r
        assert r["kinesisStreamRecordMetadata"]["shardId"].startswith("shardId-"), r
        assert r["kinesisStreamRecordMetadata"]["approximateArrivalTimestamp"] > 0, r
    else:
        assert set(r) == {"recordId", "kinesisFirehoseRecordMetadata", "data"}, r.keys()
        assert set(r["kinesisFirehoseRecordMetadata"]) == {"approximateArrivalTimestamp"}, r
        assert r["kinesisFirehoseRecordMetadata"]["approximateArrivalTimestamp"] > 0, r
    d = base64.b64decode(r["data"]).decode()
    if d.startswith("omit"):
        continue
    if d.startswith("drop"):
        out.append({"recordId": r["recordId"], "result": "Dropped"})
    elif d.startswith("fail"):
        out.append({"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]})
    else:
        sym, change, price = d.split(",")
        row = {"TICKER_SYMBOL": sym, "SECTOR": "X", "CHANGE": float(change), "PRICE": float(price)}
        out.append({"recordId": r["recordId"], "result": "Ok",
                    "data": base64.b64encode(json.dumps(row).encode()).decode()})
json.dump({"records": out}, sys.stdout)
'''


class OutputFunction(FunctionServer):
    """A Lambda output function on loopback. It answers 500 to the first `down` invocations; then it acks each
    record Ok, except the first row whose TICKER_SYMBOL is "RETRY" that it sees while up, which gets
    DeliveryFailed once. Keeps every event it was sent; `lock` guards `down` too."""

    def __init__(self):
        self.down = 0
        self.retry_failed = False
        super().__init__(self._respond)

    def _respond(self, event):
        if self.down > 0:
            self.down -= 1
            return 500, {"errorMessage": "down", "errorType": "Error"}
        records = []
        for r in event["records"]:
            row = json.loads(base64.b64decode(r["data"]))
            ok = row.get("TICKER_SYMBOL") != "RETRY" or self.retry_failed
            self.retry_failed = self.retry_failed or not ok
            records.append({"recordId": r["recordId"], "result": "Ok" if ok else "DeliveryFailed"})
        return 200, {"records": records}


@pytest.fixture(scope="module")
def out_fn():
    fn = OutputFunction()
    yield fn
    fn.close()


@pytest.fixture(scope="module")
def io_server(tmp_path_factory, out_fn):
    base = tmp_path_factory.mktemp("kda-io")
    srv = start_lambda_spated(base, {PRE_ARN: PREPROCESS, "kda-broken": BROKEN_COMMAND}, {"kda-out": out_fn.url})
    srv.preprocess_events = base / "events.jsonl"  # written by PREPROCESS beside its script
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def kda(io_server):
    return kda_client(io_server.endpoint)


@pytest.fixture(scope="module")
def raw(io_server):
    return helpers.RawClient(io_server.endpoint)


@pytest.fixture(scope="module")
def fh(io_server):
    return boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                                 region_name=REGION).client("firehose", endpoint_url=io_server.endpoint)


def new_stream(raw, prefix):
    name = helpers.unique_name(prefix)
    helpers.create_stream_raw(raw, name, 1)
    return name


def new_delivery_stream(io_server, fh, bucket, interval=0):
    """A DirectPut delivery stream into the local store, by default with zero buffering: it delivers (and may trim
    its log) as soon as records arrive, so an application reading it must hold what it has not read."""
    ds = helpers.unique_name("kdain")
    status, body = raw_call_service(io_server, "firehose", "Firehose_20150804", "CreateDeliveryStream", {
        "DeliveryStreamName": ds, "ExtendedS3DestinationConfiguration": {
            "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": interval}}})
    assert status == 200, body
    helpers.poll_until(lambda: fh.describe_delivery_stream(DeliveryStreamName=ds)["DeliveryStreamDescription"]
                       ["DeliveryStreamStatus"] == "ACTIVE", what="delivery stream ACTIVE")
    return ds, f"arn:aws:firehose:{REGION}:{ACCOUNT_ID}:deliverystream/{ds}"


def firehose_input(arn, columns=DEMO_COLUMNS, processor=None):
    i = {"NamePrefix": "SOURCE_SQL_STREAM", "KinesisFirehoseInput": {"ResourceARN": arn, "RoleARN": ROLE},
         "InputSchema": {"RecordFormat": {"RecordFormatType": "JSON",
                                          "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}}},
                         "RecordEncoding": "UTF-8", "RecordColumns": columns}}
    if processor:
        i["InputProcessingConfiguration"] = {"InputLambdaProcessor": {"ResourceARN": processor, "RoleARN": ROLE}}
    return i


def s3_text(data_dir, bucket):
    return "".join(b.decode() for b in helpers.local_objects(data_dir / "s3" / bucket).values())


def put_fh(fh, ds, rows):
    out = fh.put_record_batch(DeliveryStreamName=ds, Records=[{"Data": json.dumps(r).encode()} for r in rows])
    assert out["FailedPutCount"] == 0


def put_raw(raw, stream, texts):
    """PutRecords of `texts` with partition keys "0", "1", ...; answers PutRecords' Records (ShardId,
    SequenceNumber)."""
    entries = [{"Data": base64.b64encode(t.encode()).decode(), "PartitionKey": str(i)} for i, t in enumerate(texts)]
    out = raw.json("PutRecords", {"StreamName": stream, "Records": entries}).json()
    assert out["FailedRecordCount"] == 0
    return out["Records"]


def preprocessed_records(io_server, stream_arn):
    """Every record of the preprocessing events sent for `stream_arn` so far, with its data decoded."""
    records = []
    if not io_server.preprocess_events.exists():
        return records
    for line in io_server.preprocess_events.read_text().splitlines():
        event = json.loads(line)
        if event["streamArn"] == stream_arn:
            records += [dict(r, data=base64.b64decode(r["data"]).decode()) for r in event["records"]]
    return records


def arrival_ms(raw, stream, shard_id):
    """Each record's ApproximateArrivalTimestamp in milliseconds, by sequence number, as GetRecords gives it."""
    it = raw.json("GetShardIterator", {"StreamName": stream, "ShardId": shard_id,
                                      "ShardIteratorType": "TRIM_HORIZON"}).json()["ShardIterator"]
    got = raw.json("GetRecords", {"ShardIterator": it}).json()["Records"]
    return {r["SequenceNumber"]: round(r["ApproximateArrivalTimestamp"] * 1000) for r in got}


def delete_app(kda, name):
    d = kda.describe_application(ApplicationName=name)["ApplicationDetail"]
    kda.delete_application(ApplicationName=name, CreateTimestamp=d["CreateTimestamp"])


# ------------------------------------------------------------------------------------------ delivery-stream input

def test_an_application_reads_the_records_put_to_a_delivery_stream(io_server, kda, raw, fh):
    bucket = helpers.unique_name("kdafh").lower()
    ds, ds_arn = new_delivery_stream(io_server, fh, bucket)
    dst = new_stream(raw, "fhdst")
    name = helpers.unique_name("fhapp")
    kda.create_application(ApplicationName=name, ApplicationCode=K1_CODE, Inputs=[firehose_input(ds_arn)],
                           Outputs=[kinesis_output(dst)])
    d = kda.describe_application(ApplicationName=name)["ApplicationDetail"]
    assert d["InputDescriptions"][0]["KinesisFirehoseInputDescription"] == {"ResourceARN": ds_arn, "RoleARN": ROLE}
    # AWS: TRIM_HORIZON "is not available for an Amazon Kinesis Data Firehose delivery stream".
    with pytest.raises(kda.exceptions.InvalidArgumentException):
        start(kda, name, "TRIM_HORIZON")
    start(kda, name, "NOW")
    wait_status(kda, name, "RUNNING")
    put_fh(fh, ds, DEMO_ROWS)
    got = read_json_records(raw, dst, 2)
    assert sorted(r["TICKER_SYMBOL"] for r in got) == ["AAA", "CCC"], got
    # Firehose rows have no Kinesis columns: the output is exactly the pump's.
    assert set(got[0]) == {"TICKER_SYMBOL", "PRICE"}

    # While it runs, new records flow through.
    put_fh(fh, ds, [{"TICKER_SYMBOL": "DDD", "SECTOR": "X", "CHANGE": 50.0, "PRICE": 100.0}])
    got = read_json_records(raw, dst, 3)
    assert sorted(r["TICKER_SYMBOL"] for r in got) == ["AAA", "CCC", "DDD"], got

    # Stopped, then started from LAST_STOPPED_POINT: what was put meanwhile, once, although the delivery
    # stream delivered it (zero buffering) while the application was stopped.
    kda.stop_application(ApplicationName=name)
    wait_status(kda, name, "READY")
    put_fh(fh, ds, [{"TICKER_SYMBOL": "EEE", "SECTOR": "X", "CHANGE": 50.0, "PRICE": 100.0}])
    helpers.poll_until(lambda: "EEE" in s3_text(io_server.data_dir, bucket), timeout=20, what="EEE delivered")
    start(kda, name, "LAST_STOPPED_POINT")
    wait_status(kda, name, "RUNNING")
    got = read_json_records(raw, dst, 4)
    assert sorted(r["TICKER_SYMBOL"] for r in got) == ["AAA", "CCC", "DDD", "EEE"], got

    # The delivery stream still delivered every record to its own destination.
    def delivered():
        text = s3_text(io_server.data_dir, bucket)
        return text if all(s in text for s in ("AAA", "BBB", "CCC", "DDD", "EEE")) else None

    helpers.poll_until(delivered, timeout=20, what="the delivery stream's own delivery")
    kda.stop_application(ApplicationName=name)
    wait_status(kda, name, "READY")
    delete_app(kda, name)


def test_now_skips_what_the_delivery_stream_already_had(io_server, kda, raw, fh):
    ds, ds_arn = new_delivery_stream(io_server, fh, helpers.unique_name("kdanow").lower())
    dst = new_stream(raw, "nowdst")
    name = helpers.unique_name("nowapp")
    kda.create_application(ApplicationName=name, ApplicationCode=K1_CODE, Inputs=[firehose_input(ds_arn)],
                           Outputs=[kinesis_output(dst)])
    put_fh(fh, ds, DEMO_ROWS[:1])
    start(kda, name, "NOW")
    wait_status(kda, name, "RUNNING")
    put_fh(fh, ds, DEMO_ROWS[2:])
    got = read_json_records(raw, dst, 1)
    assert [r["TICKER_SYMBOL"] for r in got] == ["CCC"], got
    kda.stop_application(ApplicationName=name)
    wait_status(kda, name, "READY")
    delete_app(kda, name)


def test_a_stopped_application_keeps_its_place_in_a_delivery_stream_across_a_restart(tmp_path):
    """The hold of a stopped application lives in memory: spated sets it again when it starts, so records put and
    delivered after the restart, before the application is started again, are still read from its checkpoint."""
    from conftest import SpatedServer, _require_binary
    _require_binary()
    srv = SpatedServer(tmp_path / "data", tmp_path, 50, ["--limits=off"])
    srv.start()
    try:
        def clients():
            session = boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                                            region_name=REGION)
            return (kda_client(srv.endpoint), helpers.RawClient(srv.endpoint),
                    session.client("firehose", endpoint_url=srv.endpoint))

        kda, raw, fh = clients()
        bucket = helpers.unique_name("kdarst").lower()
        ds, ds_arn = new_delivery_stream(srv, fh, bucket)
        dst = new_stream(raw, "rstdst")
        name = helpers.unique_name("rstapp")
        kda.create_application(ApplicationName=name, ApplicationCode=K1_CODE, Inputs=[firehose_input(ds_arn)],
                               Outputs=[kinesis_output(dst)])
        start(kda, name, "NOW")
        wait_status(kda, name, "RUNNING")
        put_fh(fh, ds, DEMO_ROWS[:1])
        assert [r["TICKER_SYMBOL"] for r in read_json_records(raw, dst, 1)] == ["AAA"]
        kda.stop_application(ApplicationName=name)
        wait_status(kda, name, "READY")

        srv.stop()
        srv.start()
        kda, raw, fh = clients()
        put_fh(fh, ds, DEMO_ROWS[2:])
        helpers.poll_until(lambda: "CCC" in s3_text(srv.data_dir, bucket), timeout=20, what="CCC delivered")
        start(kda, name, "LAST_STOPPED_POINT")
        wait_status(kda, name, "RUNNING")
        got = read_json_records(raw, dst, 2)
        assert sorted(r["TICKER_SYMBOL"] for r in got) == ["AAA", "CCC"], got
    finally:
        srv.stop()


def test_start_with_a_missing_delivery_stream_is_an_invalid_configuration(kda):
    name = helpers.unique_name("nods")
    arn = f"arn:aws:firehose:{REGION}:{ACCOUNT_ID}:deliverystream/{helpers.unique_name('absent')}"
    kda.create_application(ApplicationName=name, ApplicationCode=K1_CODE, Inputs=[firehose_input(arn)])
    with pytest.raises(kda.exceptions.InvalidApplicationConfigurationException):
        start(kda, name, "NOW")
    delete_app(kda, name)


def test_discover_input_schema_on_a_delivery_stream(io_server, kda, fh, tmp_path):
    # Discovery samples the records the delivery stream still holds: it buffers them for 15 minutes here.
    ds, ds_arn = new_delivery_stream(io_server, fh, helpers.unique_name("kdadisc").lower(), interval=900)
    put_fh(fh, ds, DEMO_ROWS)
    with pytest.raises(kda.exceptions.InvalidArgumentException):
        kda.discover_input_schema(ResourceARN=ds_arn, RoleARN=ROLE,
                                  InputStartingPositionConfiguration={"InputStartingPosition": "TRIM_HORIZON"})
    out = kda.discover_input_schema(ResourceARN=ds_arn, RoleARN=ROLE,
                                    InputStartingPositionConfiguration={"InputStartingPosition": "NOW"})
    cols = [(c["Name"], c["SqlType"], c["Mapping"]) for c in out["InputSchema"]["RecordColumns"]]
    assert cols[0] == ("TICKER_SYMBOL", "VARCHAR(4)", "$.TICKER_SYMBOL"), cols
    assert [c[0] for c in cols] == ["TICKER_SYMBOL", "SECTOR", "CHANGE", "PRICE"]
    assert len(out["ParsedInputRecords"]) == 3 and out["ParsedInputRecords"][0][0] == "AAA"

    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
               AWS_DEFAULT_REGION=REGION, HOME=str(tmp_path), AWS_PAGER="")
    p = subprocess.run(["aws", "--endpoint-url", io_server.endpoint, "--output", "json", "kinesisanalytics",
                        "discover-input-schema", "--resource-arn", ds_arn, "--role-arn", ROLE,
                        "--input-starting-position-configuration", "InputStartingPosition=NOW"],
                       capture_output=True, text=True, env=env, timeout=helpers.CALL_TIMEOUT_S)
    assert p.returncode == 0, p.stderr
    assert [c["Name"] for c in json.loads(p.stdout)["InputSchema"]["RecordColumns"]] == [c[0] for c in cols]

    with pytest.raises(kda.exceptions.ResourceNotFoundException):
        kda.discover_input_schema(ResourceARN=ds_arn + "-absent", RoleARN=ROLE,
                                  InputStartingPositionConfiguration={"InputStartingPosition": "NOW"})


# ------------------------------------------------------------------------------------------ Lambda preprocessing

def test_a_preprocessor_rewrites_drops_and_fails_records(io_server, kda, raw):
    src, dst, errs = new_stream(raw, "presrc"), new_stream(raw, "predst"), new_stream(raw, "preerr")
    name = helpers.unique_name("preapp")
    inp = kinesis_input(src)
    inp["InputProcessingConfiguration"] = {"InputLambdaProcessor": {"ResourceARN": PRE_ARN, "RoleARN": ROLE}}
    kda.create_application(ApplicationName=name, ApplicationCode=K1_CODE, Inputs=[inp],
                           Outputs=[kinesis_output(dst), kinesis_output(errs, name="error_stream")])
    # Not CSV the schema could read: only the function's rewrite makes rows of them.
    texts = ["AAA,5,25", "drop-me", "fail-me", "BBB,1,101", "omit-me", "CCC,-4,16"]
    put = put_raw(raw, src, texts)
    start(kda, name, "TRIM_HORIZON")
    wait_status(kda, name, "RUNNING")
    got = read_json_records(raw, dst, 2)
    assert sorted(r["TICKER_SYMBOL"] for r in got) == ["AAA", "CCC"], got
    # Each record reached the function with AWS's kinesisStreamRecordMetadata: the shard, partition key and
    # sequence number PutRecords answered, and the arrival time GetRecords gives.
    sent = preprocessed_records(io_server, helpers.stream_arn(src))
    arrivals = arrival_ms(raw, src, put[0]["ShardId"])
    assert sorted(r["data"] for r in sent) == sorted(texts), sent
    for r in sent:
        i = texts.index(r["data"])
        meta = r["kinesisStreamRecordMetadata"]
        assert meta == {"shardId": put[i]["ShardId"], "partitionKey": str(i),
                        "sequenceNumber": put[i]["SequenceNumber"],
                        "approximateArrivalTimestamp": arrivals[put[i]["SequenceNumber"]]}, (r, put[i])
    errors = read_json_records(raw, errs, 2)
    by_name = {e["ERROR_NAME"]: bytes.fromhex(e["DATA_ROW"]) for e in errors}
    assert by_name == {"Lambda_ProcessingFailed": b"fail-me", "Lambda_MissingRecordId": b"omit-me"}, errors
    assert set(errors[0]) == {"ERROR_TIME", "ERROR_LEVEL", "ERROR_NAME", "MESSAGE", "DATA_ROWTIME", "DATA_ROW",
                              "PUMP_NAME"}
    kda.stop_application(ApplicationName=name)
    wait_status(kda, name, "READY")
    delete_app(kda, name)


def test_a_failing_preprocessor_sends_the_records_to_error_stream(kda, raw):
    src, dst, errs = new_stream(raw, "brksrc"), new_stream(raw, "brkdst"), new_stream(raw, "brkerr")
    name = helpers.unique_name("brkapp")
    inp = kinesis_input(src)
    inp["InputProcessingConfiguration"] = {"InputLambdaProcessor": {"ResourceARN": BROKEN_ARN, "RoleARN": ROLE}}
    kda.create_application(ApplicationName=name, ApplicationCode=K1_CODE, Inputs=[inp],
                           Outputs=[kinesis_output(dst), kinesis_output(errs, name="error_stream")])
    put_json(raw, src, DEMO_ROWS[:1])
    start(kda, name, "TRIM_HORIZON")
    wait_status(kda, name, "RUNNING")
    errors = read_json_records(raw, errs, 1)
    assert errors[0]["ERROR_NAME"] == "Lambda_InvocationFailed", errors
    assert json.loads(bytes.fromhex(errors[0]["DATA_ROW"]))["TICKER_SYMBOL"] == "AAA"
    assert "broken" in errors[0]["MESSAGE"]
    assert read_json_records(raw, dst, 1, timeout=0.5) == []
    kda.stop_application(ApplicationName=name)
    wait_status(kda, name, "READY")
    delete_app(kda, name)


def test_a_preprocessor_on_a_delivery_stream_input(io_server, kda, raw, fh):
    ds, ds_arn = new_delivery_stream(io_server, fh, helpers.unique_name("kdaprefh").lower())
    dst = new_stream(raw, "prefhdst")
    name = helpers.unique_name("prefh")
    kda.create_application(ApplicationName=name, ApplicationCode=K1_CODE,
                           Inputs=[firehose_input(ds_arn, processor=PRE_ARN)], Outputs=[kinesis_output(dst)])
    start(kda, name, "NOW")
    wait_status(kda, name, "RUNNING")
    before_ms = int(time.time() * 1000)
    out = fh.put_record_batch(DeliveryStreamName=ds, Records=[{"Data": b"AAA,5,25"}, {"Data": b"drop"}])
    after_ms = int(time.time() * 1000)
    assert out["FailedPutCount"] == 0
    got = read_json_records(raw, dst, 1)
    assert [r["TICKER_SYMBOL"] for r in got] == ["AAA"], got
    # A delivery stream's records carry kinesisFirehoseRecordMetadata: their arrival time only.
    sent = preprocessed_records(io_server, ds_arn)
    assert sorted(r["data"] for r in sent) == ["AAA,5,25", "drop"], sent
    for r in sent:
        assert set(r["kinesisFirehoseRecordMetadata"]) == {"approximateArrivalTimestamp"}, r
        assert before_ms - 1000 <= r["kinesisFirehoseRecordMetadata"]["approximateArrivalTimestamp"] <= after_ms, r
    kda.stop_application(ApplicationName=name)
    wait_status(kda, name, "READY")
    delete_app(kda, name)


def test_discover_input_schema_through_a_preprocessor(kda, raw):
    src = new_stream(raw, "discpre")
    put_raw(raw, src, ["AAA,5,25", "drop-me", "CCC,-4,16"])
    out = kda.discover_input_schema(
        ResourceARN=helpers.stream_arn(src), RoleARN=ROLE,
        InputStartingPositionConfiguration={"InputStartingPosition": "TRIM_HORIZON"},
        InputProcessingConfiguration={"InputLambdaProcessor": {"ResourceARN": PRE_ARN, "RoleARN": ROLE}})
    assert [c["Name"] for c in out["InputSchema"]["RecordColumns"]] == ["TICKER_SYMBOL", "SECTOR", "CHANGE", "PRICE"]
    assert out["RawInputRecords"] == ["AAA,5,25", "drop-me", "CCC,-4,16"]
    assert len(out["ProcessedInputRecords"]) == 2 and json.loads(out["ProcessedInputRecords"][0])["PRICE"] == 25.0


# ------------------------------------------------------------------------------------------ Lambda output

def test_a_lambda_output_receives_rows_and_failed_ones_again(kda, raw, out_fn):
    src = new_stream(raw, "losrc")
    name = helpers.unique_name("loapp")
    code = ('CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(8), price REAL);\n'
            'CREATE OR REPLACE PUMP "P" AS INSERT INTO "DESTINATION_SQL_STREAM"\n'
            '  SELECT STREAM TICKER_SYMBOL, PRICE FROM "SOURCE_SQL_STREAM_001";\n')
    columns = [dict(c, SqlType="VARCHAR(8)") if c["Name"] == "TICKER_SYMBOL" else c for c in DEMO_COLUMNS]
    kda.create_application(ApplicationName=name, ApplicationCode=code, Inputs=[kinesis_input(src, columns=columns)],
                           Outputs=[{"Name": "DESTINATION_SQL_STREAM",
                                     "LambdaOutput": {"ResourceARN": OUT_ARN, "RoleARN": ROLE},
                                     "DestinationSchema": {"RecordFormatType": "JSON"}}])
    with out_fn.lock:
        out_fn.down = 2  # the function is down for its first two invocations: the rows wait
        first = len(out_fn.events)
    put_json(raw, src, [{"TICKER_SYMBOL": "OK1", "SECTOR": "X", "CHANGE": 1.0, "PRICE": 10.0},
                        {"TICKER_SYMBOL": "RETRY", "SECTOR": "X", "CHANGE": 1.0, "PRICE": 20.0},
                        {"TICKER_SYMBOL": "OK2", "SECTOR": "X", "CHANGE": 1.0, "PRICE": 30.0}])
    start(kda, name, "TRIM_HORIZON")
    wait_status(kda, name, "RUNNING")

    def invocations(n):
        with out_fn.lock:
            events = out_fn.events[first:]
        return events if len(events) >= n else None

    events = helpers.poll_until(lambda: invocations(4), timeout=20, what="four invocations of the output")

    def rows(event):
        return [(json.loads(base64.b64decode(r["data"])), r["lambdaDeliveryRecordMetadata"]["retryHint"])
                for r in event["records"]]

    # The documented delivery event, with the rows as JSON objects of the output stream's columns.
    assert set(events[0]) == {"invocationId", "applicationArn", "records"}, events[0].keys()
    assert events[0]["applicationArn"] == APP_ARN + name
    assert set(events[0]["records"][0]) == {"recordId", "lambdaDeliveryRecordMetadata", "data"}
    assert len({e["invocationId"] for e in events}) == len(events)
    # Two invocations answered 500 (the rows waited and went again), then the function acknowledged all but
    # RETRY, which alone went once more, with a retryHint one higher.
    for hint, event in enumerate(events[:3]):
        assert rows(event) == [({"TICKER_SYMBOL": "OK1", "PRICE": 10.0}, hint),
                               ({"TICKER_SYMBOL": "RETRY", "PRICE": 20.0}, hint),
                               ({"TICKER_SYMBOL": "OK2", "PRICE": 30.0}, hint)], event
    assert rows(events[3]) == [({"TICKER_SYMBOL": "RETRY", "PRICE": 20.0}, 3)], events[3]
    # Acknowledged: nothing is handed over again.
    assert invocations(5) is None
    kda.stop_application(ApplicationName=name)
    wait_status(kda, name, "READY")
    delete_app(kda, name)
