"""Firehose record processing on a real spated: data transformation through the Lambda contract
(a local command and an HTTP URL, mapped by --lambda-map and --lambda), dynamic partitioning with jq
(libjq 1.6), and AWS's processing-failed documents under the error prefix.

Delivery streams are created with the raw SigV4 client where they need zero buffering (Debian's boto3
refuses IntervalInSeconds below 60 client-side); records are put and configurations refused through
boto3.
"""

import base64
import json
import re
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import helpers
from firehose_metrics import metric, scrape
from helpers import ACCOUNT_ID, REGION
from lambda_functions import BROKEN_COMMAND, FunctionServer, start_lambda_spated
from test_firehose import ROLE, FirehoseRaw, fh_client, objects, wait_fh_status

FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:transform"
HTTP_FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:http-transform"
BROKEN_FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:broken"
OUTAGE_FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:outage"

# The transformation: "drop..." -> Dropped, "fail..." -> ProcessingFailed, "omit..." left out of the
# answer (Lambda.MissingRecordId), anything else upper-cased with a partition key of its first letter.
TRANSFORM = r'''
import base64, json, sys
event = json.load(sys.stdin)
assert set(event) == {"invocationId", "deliveryStreamArn", "region", "records"}, event.keys()
out = []
for r in event["records"]:
    assert set(r) == {"recordId", "approximateArrivalTimestamp", "data"}, r.keys()
    d = base64.b64decode(r["data"]).decode()
    if d.startswith("omit"):
        continue
    if d.startswith("drop"):
        out.append({"recordId": r["recordId"], "result": "Dropped"})
    elif d.startswith("fail"):
        out.append({"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]})
    else:
        out.append({"recordId": r["recordId"], "result": "Ok",
                    "data": base64.b64encode(d.upper().encode()).decode(),
                    "metadata": {"partitionKeys": {"first": d[0]}}})
json.dump({"records": out}, sys.stdout)
'''


def http_respond(event):
    """Prefixes every record with 'http:'; a record 'boom' makes the whole invocation fail (HTTP 500)."""
    records = []
    for r in event["records"]:
        d = base64.b64decode(r["data"])
        if d == b"boom":
            return 500, {"errorMessage": "boom", "errorType": "Error"}
        records.append({"recordId": r["recordId"], "result": "Ok", "data": base64.b64encode(b"http:" + d).decode()})
    return 200, {"records": records}


@pytest.fixture(scope="module")
def function_server():
    srv = FunctionServer(http_respond)
    yield srv
    srv.close()


class FunctionOutage:
    """An HTTP function that can be taken down (its port closed: connections refused) and brought back on the
    same port. It answers every record Ok as `t:<data>` plus a newline, and keeps every event it received."""

    def __init__(self):
        self.events = []
        self.server = FunctionServer(self._respond)
        self.port = self.server.port
        self.url = self.server.url

    def _respond(self, event):
        self.events.append(event)
        return 200, {"records": [{"recordId": r["recordId"], "result": "Ok",
                                  "data": base64.b64encode(b"t:" + base64.b64decode(r["data"]) + b"\n").decode()}
                                 for r in event["records"]]}

    def down(self):
        self.server.close()
        self.server = None

    def up(self):
        self.server = FunctionServer(self._respond, port=self.port)

    def close(self):
        if self.server is not None:
            self.down()


@pytest.fixture(scope="module")
def function_outage():
    fn = FunctionOutage()
    yield fn
    fn.close()


@pytest.fixture(scope="module")
def proc_server(tmp_path_factory, function_server, function_outage):
    srv = start_lambda_spated(tmp_path_factory.mktemp("lambda"), {FN_ARN: TRANSFORM, "broken": BROKEN_COMMAND},
                              {"http-transform": function_server.url, "outage": function_outage.url})
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def praw(proc_server):
    return FirehoseRaw(proc_server.endpoint)


@pytest.fixture(scope="module")
def pfh(proc_server):
    return fh_client(proc_server.endpoint)


def lambda_processor(arn, retries=None):
    params = [{"ParameterName": "LambdaArn", "ParameterValue": arn}]
    if retries is not None:
        params.append({"ParameterName": "NumberOfRetries", "ParameterValue": str(retries)})
    return {"Type": "Lambda", "Parameters": params}


def create(praw, name, cfg):
    praw.call("CreateDeliveryStream", {"DeliveryStreamName": name, "DeliveryStreamType": "DirectPut",
                                       "ExtendedS3DestinationConfiguration": cfg})
    wait_fh_status(praw, name, "ACTIVE")


def put(pfh, name, records):
    out = pfh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])
    assert out["FailedPutCount"] == 0


def wait_keys(data_dir, bucket, predicate, what, timeout=20):
    found = {}

    def check():
        nonlocal found
        found = objects(data_dir, bucket)
        return predicate(found)
    helpers.poll_until(check, timeout=timeout, interval=0.05, what=what)
    return found


def failed_docs(found, prefix):
    docs = []
    for key, body in found.items():
        if key.startswith(prefix):
            docs += [json.loads(line) for line in body.decode().splitlines() if line]
    return docs


def check_failed_shape(doc, lambda_arn=None):
    assert set(doc) >= {"attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp",
                        "rawData"}, doc
    assert isinstance(doc["attemptsMade"], int) and doc["attemptsMade"] >= 1
    assert isinstance(doc["arrivalTimestamp"], int) and isinstance(doc["attemptEndingTimestamp"], int)
    assert doc["attemptEndingTimestamp"] >= doc["arrivalTimestamp"]
    if lambda_arn is not None:
        assert doc["lambdaArn"] == lambda_arn


def test_transform_command_drops_fails_and_rewrites(proc_server, praw, pfh):
    name = helpers.unique_name("fhp")
    bucket = helpers.unique_name("bkt").lower()
    create(praw, name, {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "out/",
                        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
                        "ProcessingConfiguration": {"Enabled": True, "Processors": [lambda_processor(FN_ARN)]}})
    put(pfh, name, [b"keep-1\n", b"drop-2\n", b"fail-3\n", b"omit-4\n", b"keep-5\n"])
    found = wait_keys(proc_server.data_dir, bucket,
                      lambda f: sum(b.count(b"KEEP") for k, b in f.items() if k.startswith("out/2")) == 2
                      and len(failed_docs(f, "out/processing-failed/")) == 2,
                      "the transformed records and 2 processing-failed documents")
    delivered = b"".join(b for k, b in found.items() if re.match(r"out/\d{4}/", k))
    assert delivered == b"KEEP-1\nKEEP-5\n"
    docs = sorted(failed_docs(found, "out/processing-failed/"), key=lambda d: d["rawData"])
    for d in docs:
        check_failed_shape(d, FN_ARN)
    assert [base64.b64decode(d["rawData"]) for d in docs] == [b"fail-3\n", b"omit-4\n"]
    assert docs[0]["errorCode"] == "Lambda.ProcessingFailedStatus"
    assert docs[1]["errorCode"] == "Lambda.MissingRecordId"
    assert all(d["attemptsMade"] == 1 for d in docs)
    assert b"drop" not in b"".join(found.values())
    # ExecuteProcessing.{Success,Duration}, SucceedProcessing.{Records,Bytes}, the processing-failed count.
    text = scrape(proc_server.endpoint)
    assert metric(None, "spate_firehose_execute_processing_success_total", name, text) >= 1
    assert metric(None, "spate_firehose_execute_processing_failure_total", name, text) == 0
    assert metric(None, "spate_firehose_execute_processing_duration_seconds_count", name, text) >= 1
    assert metric(None, "spate_firehose_succeed_processing_records_total", name, text) == 2
    assert metric(None, "spate_firehose_succeed_processing_bytes_total", name, text) == len(b"KEEP-1\nKEEP-5\n")
    assert metric(None, "spate_firehose_failed_processing_records_total", name, text) == 2
    praw.call("DeleteDeliveryStream", {"DeliveryStreamName": name})


def test_http_function_and_its_failures(proc_server, praw, pfh, function_server):
    name = helpers.unique_name("fhp")
    bucket = helpers.unique_name("bkt").lower()
    create(praw, name, {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
                        "ProcessingConfiguration": {"Enabled": True,
                                                    "Processors": [lambda_processor(HTTP_FN_ARN, retries=1)]}})
    put(pfh, name, [b"a", b"b"])
    found = wait_keys(proc_server.data_dir, bucket, lambda f: b"http:ahttp:b" in b"".join(f.values()),
                      "records transformed by the HTTP function")
    ev = [e for e in function_server.events if e["deliveryStreamArn"].endswith("/" + name)][0]
    assert ev["region"] == REGION
    assert ev["deliveryStreamArn"] == f"arn:aws:firehose:{REGION}:{ACCOUNT_ID}:deliverystream/{name}"
    assert [base64.b64decode(r["data"]) for r in ev["records"]] == [b"a", b"b"]
    # A failing invocation: tried 1 + NumberOfRetries times, then its records are processing-failed.
    before = len([e for e in function_server.events if e["deliveryStreamArn"].endswith("/" + name)])
    put(pfh, name, [b"boom"])
    found = wait_keys(proc_server.data_dir, bucket, lambda f: failed_docs(f, "processing-failed/"),
                      "the failed invocation's document")
    (doc,) = failed_docs(found, "processing-failed/")
    check_failed_shape(doc, HTTP_FN_ARN)
    assert doc["errorCode"] == "Lambda.FunctionError"
    assert doc["attemptsMade"] == 2
    assert base64.b64decode(doc["rawData"]) == b"boom"
    boom_events = [e for e in function_server.events[before:] if e["deliveryStreamArn"].endswith("/" + name)]
    assert len(boom_events) == 2 and boom_events[0]["invocationId"] != boom_events[1]["invocationId"]
    assert boom_events[0]["records"][0]["recordId"] == boom_events[1]["records"][0]["recordId"]
    # Both attempts of the failing invocation count as failures of ExecuteProcessing.
    assert metric(proc_server.endpoint, "spate_firehose_execute_processing_failure_total", name) == 2
    praw.call("DeleteDeliveryStream", {"DeliveryStreamName": name})


def test_jq_partitioned_stream(proc_server, praw, pfh):
    name = helpers.unique_name("fhp")
    bucket = helpers.unique_name("bkt").lower()
    create(praw, name, {
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
        "Prefix": "customer=!{partitionKeyFromQuery:customer}/kind=!{partitionKeyFromQuery:kind}/",
        "ErrorOutputPrefix": "err/!{firehose:error-output-type}/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 0},
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [
            {"Type": "RecordDeAggregation", "Parameters": [{"ParameterName": "SubRecordType",
                                                            "ParameterValue": "JSON"}]},
            {"Type": "MetadataExtraction", "Parameters": [
                {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{customer: .c, kind: .k}"},
                {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]},
            {"Type": "AppendDelimiterToRecord", "Parameters": []}]}})
    d = pfh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    ext = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert ext["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert [p["Type"] for p in ext["ProcessingConfiguration"]["Processors"]] == [
        "RecordDeAggregation", "MetadataExtraction", "AppendDelimiterToRecord"]
    put(pfh, name, [b'{"c":"a","k":1,"i":1}{"c":"b","k":1,"i":2}', b'{"c":"a","k":1,"i":3}\n{"c":"a","k":2,"i":4}',
                    b"not json", b'{"k":3,"i":5}'])

    def ready(f):
        return (sum(b.count(b'"i"') for k, b in f.items() if k.startswith("customer=")) == 4
                and len(failed_docs(f, "err/processing-failed/")) == 2)
    found = wait_keys(proc_server.data_dir, bucket, ready, "4 partitioned records and 2 failed ones")
    by_prefix = {}
    for key, body in found.items():
        if key.startswith("customer="):
            prefix = key.rsplit("/", 1)[0]
            by_prefix.setdefault(prefix, []).extend(json.loads(l)["i"] for l in body.decode().splitlines())
            assert re.search(rf"/{re.escape(name)}-1-\d{{4}}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f-]{{36}}$", key), key
    assert {p: sorted(v) for p, v in by_prefix.items()} == {
        "customer=a/kind=1": [1, 3], "customer=b/kind=1": [2], "customer=a/kind=2": [4]}
    docs = failed_docs(found, "err/processing-failed/")
    for doc in docs:
        check_failed_shape(doc)
    codes = sorted(d["errorCode"] for d in docs)
    assert codes == ["DynamicPartitioning.MetadataExtractionFailed", "RecordDeAggregation.Failed"]
    text = scrape(proc_server.endpoint)
    assert metric(None, "spate_firehose_partition_count", name, text) >= 1
    assert metric(None, "spate_firehose_partition_count_exceeded_total", name, text) == 0
    assert metric(None, "spate_firehose_jq_processing_duration_seconds_count", name, text) >= 1
    praw.call("DeleteDeliveryStream", {"DeliveryStreamName": name})


def test_more_than_500_active_partitions_overflow_to_the_error_prefix(proc_server, praw, pfh):
    """One record JSON-de-aggregated into 503 records of distinct keys: one batch with 503 partitions;
    500 become objects, 3 go to the error prefix as DynamicPartitioning.ActivePartitionsLimitExceeded, and
    PartitionCount / PartitionCountExceeded say so."""
    name = helpers.unique_name("fhp")
    bucket = helpers.unique_name("bkt").lower()
    create(praw, name, {
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
        "Prefix": "k=!{partitionKeyFromQuery:k}/", "ErrorOutputPrefix": "err/!{firehose:error-output-type}/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 0},
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [
            {"Type": "RecordDeAggregation", "Parameters": [{"ParameterName": "SubRecordType",
                                                            "ParameterValue": "JSON"}]},
            {"Type": "MetadataExtraction", "Parameters": [
                {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{k: .k}"},
                {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]}})
    put(pfh, name, ["".join(json.dumps({"k": f"p{i:03d}"}) for i in range(503)).encode()])

    def ready(f):
        return (sum(1 for k in f if k.startswith("k=")) == 500
                and len(failed_docs(f, "err/processing-failed/")) == 3)
    found = wait_keys(proc_server.data_dir, bucket, ready, "500 partition objects and 3 overflow documents")
    docs = failed_docs(found, "err/processing-failed/")
    assert {d["errorCode"] for d in docs} == {"DynamicPartitioning.ActivePartitionsLimitExceeded"}
    text = scrape(proc_server.endpoint)
    assert metric(None, "spate_firehose_partition_count", name, text) == 500
    assert metric(None, "spate_firehose_partition_count_exceeded_total", name, text) == 1
    praw.call("DeleteDeliveryStream", {"DeliveryStreamName": name})


def test_processing_configurations_aws_refuses(pfh):
    bucket = "arn:aws:s3:::refused"

    def refused(**cfg):
        name = helpers.unique_name("fhp")
        with pytest.raises(ClientError) as e:
            pfh.create_delivery_stream(DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                                       ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": bucket, **cfg})
        assert e.value.response["Error"]["Code"] == "InvalidArgumentException", e.value.response
        return e.value.response["Error"]["Message"]

    jq = {"Type": "MetadataExtraction", "Parameters": [
        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{c: .c}"},
        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}
    hints = {"SizeInMBs": 64, "IntervalInSeconds": 60}
    # Dynamic partitioning needs an ErrorOutputPrefix.
    refused(Prefix="c=!{partitionKeyFromQuery:c}/", BufferingHints=hints,
            DynamicPartitioningConfiguration={"Enabled": True},
            ProcessingConfiguration={"Enabled": True, "Processors": [jq]})
    # MetadataExtraction without dynamic partitioning.
    refused(ProcessingConfiguration={"Enabled": True, "Processors": [jq]})
    # A query libjq does not compile.
    bad = json.loads(json.dumps(jq))
    bad["Parameters"][0]["ParameterValue"] = "{c: .c"
    assert "JQ-1.6" in refused(Prefix="c=!{partitionKeyFromQuery:c}/", ErrorOutputPrefix="e/!{firehose:error-output-type}/",
                               BufferingHints=hints, DynamicPartitioningConfiguration={"Enabled": True},
                               ProcessingConfiguration={"Enabled": True, "Processors": [bad]})
    # Keys of the Prefix that the query does not make.
    refused(Prefix="c=!{partitionKeyFromQuery:c}/d=!{partitionKeyFromQuery:d}/",
            ErrorOutputPrefix="e/!{firehose:error-output-type}/", BufferingHints=hints,
            DynamicPartitioningConfiguration={"Enabled": True},
            ProcessingConfiguration={"Enabled": True, "Processors": [jq]})
    # A buffer under 64 MiB with dynamic partitioning.
    refused(Prefix="c=!{partitionKeyFromQuery:c}/", ErrorOutputPrefix="e/!{firehose:error-output-type}/",
            BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 60}, DynamicPartitioningConfiguration={"Enabled": True},
            ProcessingConfiguration={"Enabled": True, "Processors": [jq]})
    # NumberOfRetries out of range.
    refused(ProcessingConfiguration={"Enabled": True, "Processors": [
        {"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": FN_ARN},
                                          {"ParameterName": "NumberOfRetries", "ParameterValue": "301"}]}]})


def test_dynamic_partitioning_cannot_be_changed_by_update(praw, pfh):
    name = helpers.unique_name("fhp")
    create(praw, name, {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::upd",
                        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60}})
    d = pfh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    with pytest.raises(ClientError) as e:
        pfh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId=d["VersionId"],
                               DestinationId=d["Destinations"][0]["DestinationId"],
                               ExtendedS3DestinationUpdate={"DynamicPartitioningConfiguration": {"Enabled": True}})
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"
    praw.call("DeleteDeliveryStream", {"DeliveryStreamName": name})


def test_transformation_before_an_http_endpoint(proc_server, praw, pfh):
    """ProcessingConfiguration works for the other destinations too: the transform command's output (upper-cased,
    dropped, failed) is what the HTTP endpoint receives; the failed record goes to the S3 configuration's bucket."""
    from http_endpoint_receiver import HttpEndpointReceiver
    receiver = HttpEndpointReceiver()
    try:
        name = helpers.unique_name("procHttp")
        bucket = helpers.unique_name("proc-http").lower()
        praw.call("CreateDeliveryStream", {
            "DeliveryStreamName": name, "DeliveryStreamType": "DirectPut",
            "HttpEndpointDestinationConfiguration": {
                "EndpointConfiguration": {"Url": receiver.url, "Name": "receiver"},
                "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}, "RoleARN": ROLE,
                "RetryOptions": {"DurationInSeconds": 60},
                "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "fail/",
                                    "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}},
                "ProcessingConfiguration": {"Enabled": True, "Processors": [lambda_processor(FN_ARN)]}}})
        wait_fh_status(praw, name, "ACTIVE")
        put(pfh, name, [b"keep-one", b"drop-this", b"fail-this", b"keep-two"])
        helpers.poll_until(lambda: len(receiver.delivered_records()) >= 2, timeout=20, what="2 records delivered")
        assert sorted(receiver.delivered_records()) == [b"KEEP-ONE", b"KEEP-TWO"]
        assert not receiver.violations
        found = wait_keys(proc_server.data_dir, bucket, lambda f: any("processing-failed/" in k for k in f),
                          "the processing-failed object")
        docs = failed_docs(found, "fail/processing-failed/")
        assert [base64.b64decode(d["rawData"]) for d in docs] == [b"fail-this"]
        check_failed_shape(docs[0], FN_ARN)
    finally:
        receiver.stop()


def test_a_function_down_mid_stream_retries_or_fails_each_record_exactly_once(proc_server, praw, pfh,
                                                                                function_outage):
    """The function goes away (connections refused) while records are put, and comes back. A stream with
    NumberOfRetries 7 (backoffs of 0.2 s doubling to at most 10 s: 22.6 s in all) outlasts the outage (about a
    second, longer on a loaded machine): every record is delivered
    transformed, none failed. One with NumberOfRetries 1 gives up after one retry: what was invoked during the
    outage goes to processing-failed/ (Lambda.FunctionError, 2 attempts, the raw record), as AWS documents for an
    invocation that fails past its retries. In both, every record put ends up exactly once, transformed or
    failed, and what is put once the function is back is transformed."""
    streams = {}
    for name, retries in ((helpers.unique_name("fhOutR"), 7), (helpers.unique_name("fhOutF"), 1)):
        bucket = helpers.unique_name("outage").lower()
        create(praw, name, {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
                            "ProcessingConfiguration": {"Enabled": True,
                                                        "Processors": [lambda_processor(OUTAGE_FN_ARN, retries)]}})
        streams[name] = {"bucket": bucket, "retries": retries, "sent": []}
    retried, failing = streams

    def put_phase(phase, count):
        for i in range(count):
            for name, st in streams.items():
                rec = f"{phase}-{i:03d}".encode()
                pfh.put_record(DeliveryStreamName=name, Record={"Data": rec})
                st["sent"].append(rec)
            time.sleep(0.02)

    def outcome(name):
        """(records delivered transformed, records in processing-failed documents), each with repeats."""
        found = objects(proc_server.data_dir, streams[name]["bucket"])
        delivered = []
        for key, body in found.items():
            if not key.startswith("processing-failed/"):
                delivered += [line[len(b"t:"):] for line in body.splitlines()]
        return delivered, failed_docs(found, "processing-failed/")

    def accounted(name):
        delivered, failed = outcome(name)
        return len(delivered) + len(failed) >= len(streams[name]["sent"])

    def failures(name):
        return metric(proc_server.endpoint, "spate_firehose_execute_processing_failure_total", name) or 0

    put_phase("before", 10)
    for name in streams:
        helpers.poll_until(lambda: accounted(name), timeout=20, interval=0.05, what=f"{name}'s first records")
    function_outage.down()
    try:
        put_phase("down", 30)
        # Down long enough that the failing stream gave an invocation up and the other one is retrying.
        wait_keys(proc_server.data_dir, streams[failing]["bucket"], lambda f: failed_docs(f, "processing-failed/"),
                  "a processing-failed document while the function is down")
        helpers.poll_until(lambda: failures(retried) >= 2, timeout=20, interval=0.05,
                           what="invocations failed and retried while the function is down")
    finally:
        function_outage.up()
    put_phase("after", 10)
    for name in streams:
        helpers.poll_until(lambda: accounted(name), timeout=25, interval=0.05, what=f"every record of {name}")

    for name, st in streams.items():
        delivered, failed = outcome(name)
        raw_failed = [base64.b64decode(d["rawData"]) for d in failed]
        everything = delivered + raw_failed
        print(f"{name} (NumberOfRetries {st['retries']}): {len(st['sent'])} put, {len(delivered)} delivered, "
              f"{len(failed)} processing-failed, {failures(name)} failed invocations")
        assert sorted(everything) == sorted(st["sent"]), "a record lost or delivered twice"
        for doc in failed:
            check_failed_shape(doc, OUTAGE_FN_ARN)
            assert doc["errorCode"] == "Lambda.FunctionError", doc
            assert doc["attemptsMade"] == st["retries"] + 1, doc
        # Nothing put before the outage or after it failed.
        assert all(r.startswith(b"down-") for r in raw_failed), raw_failed
    assert not outcome(retried)[1], "the stream whose retries outlast the outage failed records"
    assert outcome(failing)[1]
    # Every record delivered went through the function and came back transformed.
    seen = {base64.b64decode(r["data"]) for e in function_outage.events for r in e["records"]}
    assert all(r in seen for name in streams for r in outcome(name)[0])
    for name in streams:
        praw.call("DeleteDeliveryStream", {"DeliveryStreamName": name})
