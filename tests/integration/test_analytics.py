"""Kinesis Data Analytics (SQL) on the same port (KinesisAnalytics_20150814, SigV4 name kinesisanalytics): the
control plane through boto3 and aws-cli, DiscoverInputSchema on a stream and on an object of the embedded object
store, applications surviving a restart, and applications that run: records in, filtered records out.
"""

import base64
import http.client
import json
import os
import subprocess
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import helpers
from helpers import ACCESS_KEY_ID, ACCOUNT_ID, REGION, SECRET_ACCESS_KEY

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/kda"
APP_ARN = f"arn:aws:kinesisanalytics:{REGION}:{ACCOUNT_ID}:application/"
DEMO_COLUMNS = [
    {"Name": "TICKER_SYMBOL", "SqlType": "VARCHAR(4)", "Mapping": "$.TICKER_SYMBOL"},
    {"Name": "SECTOR", "SqlType": "VARCHAR(16)", "Mapping": "$.SECTOR"},
    {"Name": "CHANGE", "SqlType": "REAL", "Mapping": "$.CHANGE"},
    {"Name": "PRICE", "SqlType": "REAL", "Mapping": "$.PRICE"},
]
K1_CODE = ('CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), price REAL);\n'
           'CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"\n'
           '  SELECT STREAM TICKER_SYMBOL, PRICE FROM "SOURCE_SQL_STREAM_001"\n'
           '  WHERE (ABS((CHANGE / (PRICE-CHANGE)) * 100)) > 15;\n')


def kda_client(endpoint):
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                                    region_name=REGION)
    return session.client("kinesisanalytics", endpoint_url=endpoint,
                          config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                                        read_timeout=helpers.CALL_TIMEOUT_S))


@pytest.fixture(scope="module")
def kda(server):
    return kda_client(server.endpoint)


@pytest.fixture
def new_app(kda):
    """new_app(prefix) -> a unique application name; every application so named is deleted after the test."""
    names = []

    def factory(prefix="app"):
        name = helpers.unique_name(prefix)
        names.append(name)
        return name

    yield factory
    for name in names:
        try:
            d = kda.describe_application(ApplicationName=name)["ApplicationDetail"]
            kda.delete_application(ApplicationName=name, CreateTimestamp=d["CreateTimestamp"])
        except ClientError:
            pass


def kinesis_input(stream, prefix="SOURCE_SQL_STREAM", columns=DEMO_COLUMNS, parallelism=None):
    i = {"NamePrefix": prefix,
         "KinesisStreamsInput": {"ResourceARN": helpers.stream_arn(stream), "RoleARN": ROLE},
         "InputSchema": {"RecordFormat": {"RecordFormatType": "JSON",
                                          "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}}},
                         "RecordEncoding": "UTF-8", "RecordColumns": columns}}
    if parallelism:
        i["InputParallelism"] = {"Count": parallelism}
    return i


def kinesis_output(stream, name="DESTINATION_SQL_STREAM", fmt="JSON"):
    return {"Name": name, "KinesisStreamsOutput": {"ResourceARN": helpers.stream_arn(stream), "RoleARN": ROLE},
            "DestinationSchema": {"RecordFormatType": fmt}}


def raw_call(server, op, params):
    """One JSON 1.1 call signed for `kinesisanalytics`, with any member values (no client-side checks)."""
    return raw_call_service(server, "kinesisanalytics", "KinesisAnalytics_20150814", op, params)


def raw_call_service(server, service, target_prefix, op, params):
    host_port = server.endpoint[len("http://"):]
    body = json.dumps(params).encode()
    headers = {"Content-Type": helpers.JSON_CONTENT_TYPE, "X-Amz-Target": f"{target_prefix}.{op}"}
    headers = helpers.sigv4_headers(host_port, body, headers, service=service)
    conn = http.client.HTTPConnection(*host_port.split(":"), timeout=helpers.CALL_TIMEOUT_S)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def error_type(exc):
    return exc.value.response["Error"]["Code"]


def version(kda, name):
    return kda.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationVersionId"]


def wait_status(kda, name, status, timeout=helpers.STATE_TIMEOUT_S):
    return helpers.poll_until(
        lambda: (lambda d: d if d["ApplicationStatus"] == status else None)(
            kda.describe_application(ApplicationName=name)["ApplicationDetail"]),
        timeout=timeout, what=f"application {name} {status}")


def put_json(raw, stream, records):
    entries = [{"Data": base64.b64encode(json.dumps(r).encode()).decode(), "PartitionKey": str(i)}
               for i, r in enumerate(records)]
    resp = raw.json("PutRecords", {"StreamName": stream, "Records": entries})
    assert resp.status == 200 and resp.json()["FailedRecordCount"] == 0, resp


# ------------------------------------------------------------------------------------------ control plane

def test_create_describe_and_the_full_detail(kda, new_app, make_stream):
    src, dst = make_stream(prefix="kdasrc"), make_stream(prefix="kdadst")
    name = new_app()
    out = kda.create_application(ApplicationName=name, ApplicationDescription="demo", ApplicationCode=K1_CODE,
                                 Inputs=[kinesis_input(src, parallelism=2)], Outputs=[kinesis_output(dst)],
                                 Tags=[{"Key": "team", "Value": "a"}])
    assert out["ApplicationSummary"] == {"ApplicationName": name, "ApplicationARN": APP_ARN + name,
                                         "ApplicationStatus": "READY"}
    d = kda.describe_application(ApplicationName=name)["ApplicationDetail"]
    assert d["ApplicationStatus"] == "READY" and d["ApplicationVersionId"] == 1
    assert d["ApplicationDescription"] == "demo" and d["ApplicationCode"] == K1_CODE
    assert d["CreateTimestamp"].year >= 2024
    (i,) = d["InputDescriptions"]
    assert i["InputId"] == "1.1" and i["NamePrefix"] == "SOURCE_SQL_STREAM"
    assert i["InAppStreamNames"] == ["SOURCE_SQL_STREAM_001", "SOURCE_SQL_STREAM_002"]
    assert i["InputParallelism"] == {"Count": 2}
    assert i["KinesisStreamsInputDescription"] == {"ResourceARN": helpers.stream_arn(src), "RoleARN": ROLE}
    assert i["InputSchema"]["RecordColumns"] == DEMO_COLUMNS
    (o,) = d["OutputDescriptions"]
    assert o["Name"] == "DESTINATION_SQL_STREAM" and o["DestinationSchema"] == {"RecordFormatType": "JSON"}
    assert o["KinesisStreamsOutputDescription"]["ResourceARN"] == helpers.stream_arn(dst)
    assert d["ReferenceDataSourceDescriptions"] == [] and d["CloudWatchLoggingOptionDescriptions"] == []


def test_add_and_delete_parts_bump_the_version_and_a_stale_one_is_refused(kda, new_app, make_stream):
    src, dst = make_stream(prefix="kdasrc"), make_stream(prefix="kdadst")
    name = new_app()
    kda.create_application(ApplicationName=name)
    kda.add_application_input(ApplicationName=name, CurrentApplicationVersionId=1, Input=kinesis_input(src))
    kda.add_application_output(ApplicationName=name, CurrentApplicationVersionId=2, Output=kinesis_output(dst))
    kda.add_application_reference_data_source(
        ApplicationName=name, CurrentApplicationVersionId=3,
        ReferenceDataSource={
            "TableName": "CompanyName",
            "S3ReferenceDataSource": {"BucketARN": "arn:aws:s3:::refbucket", "FileKey": "companies.csv",
                                      "ReferenceRoleARN": ROLE},
            "ReferenceSchema": {"RecordFormat": {"RecordFormatType": "CSV", "MappingParameters": {
                "CSVMappingParameters": {"RecordRowDelimiter": "\n", "RecordColumnDelimiter": ","}}},
                "RecordColumns": [{"Name": "Ticker", "SqlType": "VARCHAR(4)"},
                                  {"Name": "Company", "SqlType": "VARCHAR(20)"}]}})
    log_arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:kda:log-stream:app"
    kda.add_application_cloud_watch_logging_option(
        ApplicationName=name, CurrentApplicationVersionId=4,
        CloudWatchLoggingOption={"LogStreamARN": log_arn, "RoleARN": ROLE})
    assert version(kda, name) == 5
    with pytest.raises(ClientError) as e:
        kda.update_application(ApplicationName=name, CurrentApplicationVersionId=4,
                               ApplicationUpdate={"ApplicationCodeUpdate": "-- stale"})
    assert error_type(e) == "ConcurrentModificationException"
    kda.update_application(ApplicationName=name, CurrentApplicationVersionId=5, ApplicationUpdate={
        "InputUpdates": [{"InputId": "1.1", "NamePrefixUpdate": "IN", "InputParallelismUpdate": {"CountUpdate": 3}}],
        "OutputUpdates": [{"OutputId": "1.1", "DestinationSchemaUpdate": {"RecordFormatType": "CSV"}}],
        "CloudWatchLoggingOptionUpdates": [{"CloudWatchLoggingOptionId": "1.1", "RoleARNUpdate": ROLE + "2"}]})
    d = kda.describe_application(ApplicationName=name)["ApplicationDetail"]
    assert d["ApplicationVersionId"] == 6
    assert d["InputDescriptions"][0]["InAppStreamNames"] == ["IN_001", "IN_002", "IN_003"]
    assert d["OutputDescriptions"][0]["DestinationSchema"] == {"RecordFormatType": "CSV"}
    assert d["ReferenceDataSourceDescriptions"][0]["S3ReferenceDataSourceDescription"]["FileKey"] == "companies.csv"
    assert d["CloudWatchLoggingOptionDescriptions"] == [
        {"CloudWatchLoggingOptionId": "1.1", "LogStreamARN": log_arn, "RoleARN": ROLE + "2"}]
    kda.delete_application_output(ApplicationName=name, CurrentApplicationVersionId=6, OutputId="1.1")
    kda.delete_application_reference_data_source(ApplicationName=name, CurrentApplicationVersionId=7,
                                                 ReferenceId="1.1")
    kda.delete_application_cloud_watch_logging_option(ApplicationName=name, CurrentApplicationVersionId=8,
                                                      CloudWatchLoggingOptionId="1.1")
    d = kda.describe_application(ApplicationName=name)["ApplicationDetail"]
    assert d["ApplicationVersionId"] == 9
    assert d["OutputDescriptions"] == [] and d["ReferenceDataSourceDescriptions"] == []
    with pytest.raises(ClientError) as e:
        kda.delete_application_output(ApplicationName=name, CurrentApplicationVersionId=9, OutputId="1.1")
    assert error_type(e) == "ResourceNotFoundException"


def test_tags(kda, new_app):
    name = new_app()
    kda.create_application(ApplicationName=name, Tags=[{"Key": "a", "Value": "1"}])
    arn = APP_ARN + name
    kda.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert kda.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "a", "Value": "2"},
                                                                   {"Key": "b", "Value": "3"}]
    kda.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert kda.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "3"}]
    with pytest.raises(ClientError) as e:
        kda.tag_resource(ResourceARN=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error_type(e) == "TooManyTagsException"
    with pytest.raises(ClientError) as e:
        kda.list_tags_for_resource(ResourceARN=APP_ARN + "no-such-app")
    assert error_type(e) == "ResourceNotFoundException"


def test_list_applications_pages(kda, new_app):
    prefix = helpers.unique_name("pg")
    names = sorted(new_app(prefix) for _ in range(5))
    for n in names:
        kda.create_application(ApplicationName=n)
    seen, start = [], None
    for _ in range(10):
        args = {"Limit": 2}
        if start:
            args["ExclusiveStartApplicationName"] = start
        page = kda.list_applications(**args)
        assert len(page["ApplicationSummaries"]) <= 2
        seen += [s["ApplicationName"] for s in page["ApplicationSummaries"]]
        if not page["HasMoreApplications"]:
            break
        start = page["ApplicationSummaries"][-1]["ApplicationName"]
    assert [n for n in seen if n.startswith(prefix)] == names
    assert seen == sorted(seen)


def test_errors(kda, new_app, server):
    name = new_app()
    kda.create_application(ApplicationName=name)
    with pytest.raises(ClientError) as e:
        kda.create_application(ApplicationName=name)
    assert error_type(e) == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        kda.describe_application(ApplicationName="no-such-app")
    assert error_type(e) == "ResourceNotFoundException"
    # The model's constraints, checked by the server: a raw call the SDK would refuse to send.
    status, body = raw_call(server, "CreateApplication", {"ApplicationName": "bad name!"})
    assert status == 400 and body["__type"].endswith("ValidationException"), body
    assert "applicationName" in body.get("message", body.get("Message", "")), body
    # An input that names no source, and one whose stream does not exist at start.
    bad = kinesis_input("x")
    del bad["KinesisStreamsInput"]
    with pytest.raises(ClientError) as e:
        kda.add_application_input(ApplicationName=name, CurrentApplicationVersionId=1, Input=bad)
    assert error_type(e) == "InvalidArgumentException"
    kda.add_application_input(ApplicationName=name, CurrentApplicationVersionId=1,
                              Input=kinesis_input(helpers.unique_name("missing")))
    with pytest.raises(ClientError) as e:
        kda.start_application(ApplicationName=name, InputConfigurations=[
            {"Id": "1.1", "InputStartingPositionConfiguration": {"InputStartingPosition": "NOW"}}])
    assert error_type(e) == "InvalidApplicationConfigurationException"


def test_delete_goes_through_deleting(kda, new_app):
    name = new_app()
    kda.create_application(ApplicationName=name)
    d = kda.describe_application(ApplicationName=name)["ApplicationDetail"]
    kda.delete_application(ApplicationName=name, CreateTimestamp=d["CreateTimestamp"])
    helpers.poll_until(lambda: name not in [s["ApplicationName"] for s in
                                            kda.list_applications(Limit=50)["ApplicationSummaries"]],
                       what="application deleted")
    with pytest.raises(ClientError) as e:
        kda.describe_application(ApplicationName=name)
    assert error_type(e) == "ResourceNotFoundException"


def test_aws_cli_control_plane(server, new_app, tmp_path):
    name = new_app("cli")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
               AWS_DEFAULT_REGION=REGION, HOME=str(tmp_path), AWS_PAGER="")

    def cli(*args, ok=True):
        p = subprocess.run(["aws", "--endpoint-url", server.endpoint, "--output", "json", "kinesisanalytics", *args],
                           capture_output=True, text=True, env=env, timeout=helpers.CALL_TIMEOUT_S)
        assert (p.returncode == 0) == ok, p.stderr
        return (json.loads(p.stdout) if p.stdout.strip() else {}) if ok else p.stderr

    out = cli("create-application", "--application-name", name, "--application-code", K1_CODE)
    assert out["ApplicationSummary"]["ApplicationStatus"] == "READY"
    d = cli("describe-application", "--application-name", name)["ApplicationDetail"]
    assert d["ApplicationVersionId"] == 1 and d["ApplicationCode"] == K1_CODE
    cli("update-application", "--application-name", name, "--current-application-version-id", "1",
        "--application-update", json.dumps({"ApplicationCodeUpdate": "-- v2"}))
    err = cli("update-application", "--application-name", name, "--current-application-version-id", "1",
              "--application-update", json.dumps({"ApplicationCodeUpdate": "-- v3"}), ok=False)
    assert "ConcurrentModificationException" in err
    names = [s["ApplicationName"] for s in cli("list-applications", "--limit", "50")["ApplicationSummaries"]]
    assert name in names
    cli("delete-application", "--application-name", name, "--create-timestamp", str(d["CreateTimestamp"]))


# ------------------------------------------------------------------------------------------ discovery

def test_discover_input_schema_on_a_stream_of_json(kda, raw, make_stream):
    src = make_stream(prefix="kdadisc")
    put_json(raw, src, [{"USER": 1, "@@": 2, "TICKER": "AMZN", "PRICE": 10.5},
                        {"USER": 7, "@@": 3, "TICKER": "TECHNO", "PRICE": 11}])
    out = kda.discover_input_schema(ResourceARN=helpers.stream_arn(src), RoleARN=ROLE,
                                    InputStartingPositionConfiguration={"InputStartingPosition": "TRIM_HORIZON"})
    schema = out["InputSchema"]
    assert schema["RecordFormat"]["RecordFormatType"] == "JSON"
    assert schema["RecordFormat"]["MappingParameters"]["JSONMappingParameters"]["RecordRowPath"] == "$"
    cols = {c["Name"]: c for c in schema["RecordColumns"]}
    assert list(cols) == ["COL_USER", "COL_0", "TICKER", "PRICE"]
    assert cols["COL_USER"]["SqlType"] == "INTEGER" and cols["COL_USER"]["Mapping"] == "$.USER"
    assert cols["TICKER"]["SqlType"] == "VARCHAR(8)" and cols["PRICE"]["SqlType"] == "DOUBLE"
    assert out["ParsedInputRecords"][0] == ["1", "2", "AMZN", "10.5"]
    assert len(out["RawInputRecords"]) == 2


def test_discover_input_schema_on_an_empty_stream_is_unable_to_detect(kda, make_stream):
    src = make_stream(prefix="kdaempty")
    with pytest.raises(ClientError) as e:
        kda.discover_input_schema(ResourceARN=helpers.stream_arn(src), RoleARN=ROLE,
                                  InputStartingPositionConfiguration={"InputStartingPosition": "TRIM_HORIZON"})
    assert error_type(e) == "UnableToDetectSchemaException"


def test_discover_input_schema_on_an_object_of_the_local_store(kda, server):
    bucket = helpers.unique_name("kdabkt").lower()
    path = server.data_dir / "s3" / bucket / "ref" / "companies.csv"
    path.parent.mkdir(parents=True)
    path.write_text("AMZN,Amazon,10\nASD,SomeCompanyA,20\n")
    out = kda.discover_input_schema(S3Configuration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                                                     "FileKey": "ref/companies.csv"})
    schema = out["InputSchema"]
    assert schema["RecordFormat"]["RecordFormatType"] == "CSV"
    assert schema["RecordFormat"]["MappingParameters"]["CSVMappingParameters"]["RecordColumnDelimiter"] == ","
    assert [(c["Name"], c["SqlType"]) for c in schema["RecordColumns"]] == [
        ("COL1", "VARCHAR(4)"), ("COL2", "VARCHAR(16)"), ("COL3", "INTEGER")]
    assert out["ParsedInputRecords"] == [["AMZN", "Amazon", "10"], ["ASD", "SomeCompanyA", "20"]]
    with pytest.raises(ClientError) as e:
        kda.discover_input_schema(S3Configuration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                                                   "FileKey": "../../catalog/CURRENT"})
    assert error_type(e) == "InvalidArgumentException"


# ------------------------------------------------------------------------------------------ durability

def test_applications_survive_a_restart(make_server):
    srv = make_server()
    kda = kda_client(srv.endpoint)
    kda.create_application(ApplicationName="durable", ApplicationCode=K1_CODE,
                           Tags=[{"Key": "k", "Value": "v"}])
    kda.add_application_output(ApplicationName="durable", CurrentApplicationVersionId=1,
                               Output=kinesis_output("dst"))
    before = kda.describe_application(ApplicationName="durable")["ApplicationDetail"]
    srv.stop()
    srv.start()
    kda = kda_client(srv.endpoint)
    assert kda.describe_application(ApplicationName="durable")["ApplicationDetail"] == before
    assert kda.list_tags_for_resource(ResourceARN=APP_ARN + "durable")["Tags"] == [{"Key": "k", "Value": "v"}]


# ------------------------------------------------------------------------------------------ running applications

def start(kda, name, position):
    kda.start_application(ApplicationName=name, InputConfigurations=[
        {"Id": "1.1", "InputStartingPositionConfiguration": {"InputStartingPosition": position}}])


def read_json_records(raw, stream, want, timeout=30):
    found = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(found) < want:
        found = []
        for shard in helpers.list_all_shards_raw(raw, stream):
            it = raw.json("GetShardIterator", {"StreamName": stream, "ShardId": shard["ShardId"],
                                               "ShardIteratorType": "TRIM_HORIZON"}).json()["ShardIterator"]
            for _ in range(20):
                out = raw.json("GetRecords", {"ShardIterator": it}).json()
                found += [json.loads(base64.b64decode(r["Data"])) for r in out["Records"]]
                it = out.get("NextShardIterator")
                if not out["Records"]:
                    break
        if len(found) < want:
            time.sleep(0.2)
    return found


DEMO_ROWS = [
    {"TICKER_SYMBOL": "AAA", "SECTOR": "TECH", "CHANGE": 5.0, "PRICE": 25.0},    # 5/20 = 25% -> kept
    {"TICKER_SYMBOL": "BBB", "SECTOR": "TECH", "CHANGE": 1.0, "PRICE": 101.0},   # 1% -> filtered out
    {"TICKER_SYMBOL": "CCC", "SECTOR": "FIN", "CHANGE": -4.0, "PRICE": 16.0},    # -4/20 = 20% -> kept
]


def test_k1_continuous_filter_end_to_end(kda, raw, new_app, make_stream):
    src, dst = make_stream(prefix="k1src"), make_stream(prefix="k1dst")
    name = new_app("k1")
    kda.create_application(ApplicationName=name, ApplicationCode=K1_CODE, Inputs=[kinesis_input(src)],
                           Outputs=[kinesis_output(dst)])
    put_json(raw, src, DEMO_ROWS)
    start(kda, name, "TRIM_HORIZON")
    wait_status(kda, name, "RUNNING")
    got = read_json_records(raw, dst, 2)
    assert sorted(r["TICKER_SYMBOL"] for r in got) == ["AAA", "CCC"], got
    kda.stop_application(ApplicationName=name)
    wait_status(kda, name, "READY")


def test_a_running_application_resumes_after_a_restart(make_server):
    srv = make_server()
    raw = helpers.RawClient(srv.endpoint)
    kda = kda_client(srv.endpoint)
    helpers.create_stream_raw(raw, "src", 1)
    helpers.create_stream_raw(raw, "dst", 1)
    kda.create_application(ApplicationName="resume", ApplicationCode=K1_CODE, Inputs=[kinesis_input("src")],
                           Outputs=[kinesis_output("dst")])
    put_json(raw, "src", DEMO_ROWS[:1])
    start(kda, "resume", "TRIM_HORIZON")
    wait_status(kda, "resume", "RUNNING")
    assert [r["TICKER_SYMBOL"] for r in read_json_records(raw, "dst", 1)] == ["AAA"]
    srv.stop()
    srv.start()
    raw = helpers.RawClient(srv.endpoint)
    kda = kda_client(srv.endpoint)
    assert kda.describe_application(ApplicationName="resume")["ApplicationDetail"]["ApplicationStatus"] == "RUNNING"
    put_json(raw, "src", DEMO_ROWS[1:])
    got = read_json_records(raw, "dst", 2)
    # At-least-once: AAA may be written again only if the restart came before its checkpoint.
    assert set(r["TICKER_SYMBOL"] for r in got) == {"AAA", "CCC"}, got


def test_bad_sql_is_code_validation_with_line_and_column(kda, new_app, make_stream):
    src = make_stream(prefix="badsql")
    name = new_app("badsql")
    with pytest.raises(ClientError) as e:
        kda.create_application(ApplicationName=name, Inputs=[kinesis_input(src)],
                               ApplicationCode='CREATE OR REPLACE STREAM "S" (a INTEGER);\nSELECT STREAM FROM;')
    assert error_type(e) == "CodeValidationException"
    assert "line 2" in e.value.response["Error"]["Message"], e.value.response
    kda.create_application(ApplicationName=name, Inputs=[kinesis_input(src)], ApplicationCode=K1_CODE)
    with pytest.raises(ClientError) as e:
        kda.update_application(ApplicationName=name, CurrentApplicationVersionId=1,
                               ApplicationUpdate={"ApplicationCodeUpdate": "CREATE STREAM"})
    assert error_type(e) == "CodeValidationException"
    assert version(kda, name) == 1


def test_output_as_csv_to_a_delivery_stream_and_errors_to_error_stream(kda, raw, server, new_app, make_stream):
    src, errs = make_stream(prefix="csvsrc"), make_stream(prefix="errdst")
    bucket = helpers.unique_name("kdaout").lower()
    fh = boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                               region_name=REGION).client("firehose", endpoint_url=server.endpoint)
    ds = helpers.unique_name("kdads")
    status, body = raw_call_service(server, "firehose", "Firehose_20150804", "CreateDeliveryStream", {
        "DeliveryStreamName": ds, "ExtendedS3DestinationConfiguration": {
            "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}}})
    assert status == 200, body
    helpers.poll_until(lambda: fh.describe_delivery_stream(DeliveryStreamName=ds)["DeliveryStreamDescription"]
                       ["DeliveryStreamStatus"] == "ACTIVE", what="delivery stream ACTIVE")
    name = new_app("csv")
    ds_arn = f"arn:aws:firehose:{REGION}:{ACCOUNT_ID}:deliverystream/{ds}"
    kda.create_application(ApplicationName=name, ApplicationCode=K1_CODE, Inputs=[kinesis_input(src)], Outputs=[
        {"Name": "DESTINATION_SQL_STREAM", "KinesisFirehoseOutput": {"ResourceARN": ds_arn, "RoleARN": ROLE},
         "DestinationSchema": {"RecordFormatType": "CSV"}},
        kinesis_output(errs, name="error_stream")])
    put_json(raw, src, DEMO_ROWS)
    entries = [{"Data": base64.b64encode(b"not json").decode(), "PartitionKey": "x"}]
    assert raw.json("PutRecords", {"StreamName": src, "Records": entries}).json()["FailedRecordCount"] == 0
    start(kda, name, "TRIM_HORIZON")
    wait_status(kda, name, "RUNNING")
    errors = read_json_records(raw, errs, 1)
    assert errors and errors[0]["ERROR_NAME"] == "Parse error", errors
    assert bytes.fromhex(errors[0]["DATA_ROW"]) == b"not json"

    def delivered():
        text = "".join(b.decode() for b in helpers.local_objects(server.data_dir / "s3" / bucket).values())
        return text if text.count("\n") >= 2 else None

    text = helpers.poll_until(delivered, timeout=30, what="CSV rows delivered")
    assert sorted(text.splitlines()) == ["AAA,25.0", "CCC,16.0"], text
    kda.stop_application(ApplicationName=name)
    wait_status(kda, name, "READY")


def metric_values(endpoint, name, app):
    """{id label: value} of the series `name` of application `app` on GET /metrics."""
    host_port = endpoint[len("http://"):]
    conn = http.client.HTTPConnection(*host_port.split(":"), timeout=helpers.CALL_TIMEOUT_S)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    out = {}
    for line in text.splitlines():
        if not line.startswith(name + "{") or f'application_name="{app}"' not in line:
            continue
        labels, value = line[len(name) + 1:].rsplit("} ", 1)
        ident = next((p.split("=", 1)[1].strip('"') for p in labels.split(",") if p.startswith("id=")), "")
        out[ident] = float(value)
    return out


def test_hand_offs_go_through_the_state_machine_and_runners_expose_metrics(make_server):
    """With a 1.5 s state delay, each call answers at once and DescribeApplication shows the transitional
    status (STARTING, UPDATING, STOPPING, DELETING) before the state machine moves it on; the runner's series
    appear while it runs and go when it stops."""
    from conftest import SLOW_STATE_DELAY_MS
    srv = make_server(state_delay_ms=SLOW_STATE_DELAY_MS)
    raw = helpers.RawClient(srv.endpoint)
    kda = kda_client(srv.endpoint)
    for s in ("src", "dst"):
        raw.json("CreateStream", {"StreamName": s, "ShardCount": 1})
    for s in ("src", "dst"):
        helpers.wait_active(raw, s)
    kda.create_application(ApplicationName="life", ApplicationCode=K1_CODE, Inputs=[kinesis_input("src")],
                           Outputs=[kinesis_output("dst")])
    put_json(raw, "src", DEMO_ROWS)

    def status():
        return kda.describe_application(ApplicationName="life")["ApplicationDetail"]["ApplicationStatus"]

    start(kda, "life", "TRIM_HORIZON")
    assert status() == "STARTING"
    assert metric_values(srv.endpoint, "spate_analytics_input_records_total", "life") == {}
    wait_status(kda, "life", "RUNNING")
    assert sorted(r["TICKER_SYMBOL"] for r in read_json_records(raw, "dst", 2)) == ["AAA", "CCC"]
    helpers.poll_until(lambda: metric_values(srv.endpoint, "spate_analytics_output_records_total", "life") ==
                       {"1.1": 2.0}, what="output records counted")
    assert metric_values(srv.endpoint, "spate_analytics_input_records_total", "life") == {"1.1": 3.0}
    in_bytes = sum(len(json.dumps(r)) for r in DEMO_ROWS)
    assert metric_values(srv.endpoint, "spate_analytics_input_bytes_total", "life") == {"1.1": float(in_bytes)}
    assert metric_values(srv.endpoint, "spate_analytics_millis_behind_latest", "life") == {"1.1": 0.0}
    assert metric_values(srv.endpoint, "spate_analytics_error_rows_total", "life") == {"": 0.0}

    kda.update_application(ApplicationName="life", CurrentApplicationVersionId=1,
                           ApplicationUpdate={"ApplicationCodeUpdate": K1_CODE + "\n-- changed\n"})
    assert status() == "UPDATING"
    wait_status(kda, "life", "RUNNING")
    # The new runner carries on from the checkpoint, and the series keep counting.
    put_json(raw, "src", [{"TICKER_SYMBOL": "DDD", "SECTOR": "X", "CHANGE": "not a number", "PRICE": 1.0}])
    helpers.poll_until(lambda: metric_values(srv.endpoint, "spate_analytics_error_rows_total", "life") ==
                       {"": 1.0}, what="the bad record counted as an error row")
    assert metric_values(srv.endpoint, "spate_analytics_input_records_total", "life") == {"1.1": 4.0}

    t0 = time.monotonic()
    kda.stop_application(ApplicationName="life")
    stop_ms = (time.monotonic() - t0) * 1000
    assert status() == "STOPPING"
    wait_status(kda, "life", "READY")
    assert metric_values(srv.endpoint, "spate_analytics_input_records_total", "life") == {}

    created = kda.describe_application(ApplicationName="life")["ApplicationDetail"]["CreateTimestamp"]
    t0 = time.monotonic()
    kda.delete_application(ApplicationName="life", CreateTimestamp=created)
    delete_ms = (time.monotonic() - t0) * 1000
    assert status() == "DELETING"
    # Reported, not asserted: the calls no longer wait for the runner.
    print(f"StopApplication answered in {stop_ms:.1f} ms, DeleteApplication in {delete_ms:.1f} ms")
    helpers.poll_until(lambda: kda.list_applications()["ApplicationSummaries"] == [], what="application deleted")
