"""Firehose delivering to OpenSearch (`_bulk`) and to HTTP endpoints, driven with boto3 (and aws-cli for one
create).

No OpenSearch server is packaged in Debian, so the OpenSearch tests run against `bulk_server.BulkServer`, a
small `_bulk` server that follows OpenSearch's documented request and answer format and fails chosen items
with 429 or 400 on demand. The HTTP endpoint tests run against `http_endpoint_receiver.HttpEndpointReceiver`,
which checks every request against AWS's HTTP endpoint delivery specification and answers 500, 413 or
garbage on demand. S3 backups go to the local object store (DATA_DIR/s3/<bucket>).
"""

import base64
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

import helpers
from bulk_server import BulkServer
from firehose_metrics import metric
from http_endpoint_receiver import HttpEndpointReceiver
from s3_delivery import firehose_client

ROLE = "arn:aws:iam::000000000000:role/firehose"
DOMAIN_ARN = "arn:aws:es:us-east-1:000000000000:domain/logs"


def s3_config(bucket):
    return {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}}


def wait_active(fh, name):
    helpers.poll_until(lambda: fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
                       ["DeliveryStreamStatus"] == "ACTIVE", what=f"{name} ACTIVE")


def s3_objects(srv, bucket):
    return helpers.local_objects(Path(srv.data_dir) / "s3" / bucket)


def failed_docs(srv, bucket, folder):
    docs = []
    for key, body in s3_objects(srv, bucket).items():
        if key.startswith(folder):
            docs.extend(json.loads(line) for line in body.decode().splitlines())
    return docs


def put(fh, name, records):
    for i in range(0, len(records), 500):
        chunk = records[i:i + 500]
        out = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in chunk])
        assert out["FailedPutCount"] == 0


def docs_for(n, tag):
    return [json.dumps({"n": i, "tag": tag}).encode() for i in range(n)]


@pytest.fixture
def bulk():
    server = BulkServer()
    yield server
    server.stop()


@pytest.fixture
def receiver():
    r = HttpEndpointReceiver(access_key="s3cr3t", common_attributes={"env": "test", "team": "streams"})
    yield r
    r.stop()


def opensearch_cfg(bucket, retry_s=60, **extra):
    cfg = {"RoleARN": ROLE, "DomainARN": DOMAIN_ARN, "IndexName": "logs", "IndexRotationPeriod": "OneDay",
           "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
           "RetryOptions": {"DurationInSeconds": retry_s}, "S3Configuration": s3_config(bucket)}
    cfg.update(extra)
    return cfg


def os_server(make_server, bulk):
    return make_server(extra_args=["--limits=off", "--delivery-retry-max-ms", "300",
                                   "--opensearch-domain", f"{DOMAIN_ARN}={bulk.url}"])


def indexed(bulk):
    out = {}
    for index in bulk.index_names():
        for doc_id, doc in bulk.documents(index).items():
            out[(index, doc_id)] = doc
    return out


def test_opensearch_indexes_every_document_with_rotation_and_stable_ids(make_server, bulk):
    srv = os_server(make_server, bulk)
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhos")
    fh.create_delivery_stream(DeliveryStreamName=name,
                              AmazonopensearchserviceDestinationConfiguration=opensearch_cfg("osb", TypeName=""))
    wait_active(fh, name)
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]["Destinations"][0]
    desc = d["AmazonopensearchserviceDestinationDescription"]
    assert desc["DomainARN"] == DOMAIN_ARN and desc["IndexName"] == "logs"
    assert desc["IndexRotationPeriod"] == "OneDay" and desc["S3BackupMode"] == "FailedDocumentsOnly"
    assert desc["RetryOptions"] == {"DurationInSeconds": 60}
    assert desc["S3DestinationDescription"]["BucketARN"] == "arn:aws:s3:::osb"

    records = docs_for(300, "a")
    put(fh, name, records)
    today = time.strftime("logs-%Y-%m-%d", time.gmtime())
    helpers.poll_until(lambda: len(indexed(bulk)) == 300, timeout=20, what="300 documents indexed")
    docs = indexed(bulk)
    assert {idx for idx, _ in docs} <= {today, time.strftime("logs-%Y-%m-%d", time.gmtime(time.time() - 60))}
    assert sorted(doc["n"] for doc in docs.values()) == list(range(300))
    assert not bulk.protocol_errors
    for actions in bulk.requests:
        for a in actions:
            assert "_type" not in a and a["_id"]   # FIREHOSE_DEFAULT ids, no type for 7.x-style
    # Nothing failed: nothing in the backup bucket.
    assert s3_objects(srv, "osb") == {}
    # DeliveryToAmazonOpenSearchService.{Records,Bytes,Success}.
    helpers.poll_until(lambda: metric(srv.endpoint, "spate_firehose_delivery_to_opensearch_records_total", name) == 300,
                       timeout=10, what="DeliveryToAmazonOpenSearchService.Records")
    assert metric(srv.endpoint, "spate_firehose_delivery_to_opensearch_bytes_total", name) == sum(map(len, records))
    assert metric(srv.endpoint, "spate_firehose_delivery_to_opensearch_success_total", name) >= 1
    assert metric(srv.endpoint, "spate_firehose_delivery_to_opensearch_failed_records_total", name) == 0


def test_opensearch_retries_429_items_and_backs_up_400_items(make_server, bulk):
    srv = os_server(make_server, bulk)
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhos")
    bulk.fail_documents('"n": 3,', 429, times=3)     # throttled three times, then indexed
    bulk.fail_documents('"n": 7,', 400)              # refused for good
    fh.create_delivery_stream(DeliveryStreamName=name,
                              AmazonopensearchserviceDestinationConfiguration=opensearch_cfg("osf"))
    wait_active(fh, name)
    records = docs_for(10, "b") + [b"not json", b'{"two":\n"lines"}']
    put(fh, name, records)
    helpers.poll_until(lambda: len(failed_docs(srv, "osf", "AmazonOpenSearchService-failed/")) == 3, timeout=20,
                       what="3 failed documents backed up")
    docs = indexed(bulk)
    assert sorted(doc["n"] for doc in docs.values()) == [0, 1, 2, 3, 4, 5, 6, 8, 9]
    failed = failed_docs(srv, "osf", "AmazonOpenSearchService-failed/")
    raw = sorted(base64.b64decode(f["rawData"]) for f in failed)
    assert raw == sorted([records[7], b"not json", b'{"two":\n"lines"}'])
    for f in failed:
        assert set(f) == {"attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp",
                          "esDocumentId", "esIndexName", "esTypeName", "rawData"}
        assert f["errorCode"] == "400" and f["esIndexName"].startswith("logs-")
    # The throttled document was sent again under the same id.
    ids_of_3 = [a["_id"] for actions in bulk.requests for a in actions
                if a["_id"] in {i for (_, i), d in docs.items() if d["n"] == 3}]
    assert len(ids_of_3) == 4 and len(set(ids_of_3)) == 1
    helpers.poll_until(lambda: metric(srv.endpoint, "spate_firehose_delivery_to_opensearch_records_total", name) == 9,
                       timeout=10, what="DeliveryToAmazonOpenSearchService.Records")
    assert metric(srv.endpoint, "spate_firehose_delivery_to_opensearch_failed_records_total", name) == 3


def test_opensearch_all_documents_backup_and_expiry_after_the_retry_window(make_server, bulk):
    srv = os_server(make_server, bulk)
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhos")
    bulk.fail_documents('"n": 1,', 503)   # never succeeds: backed up once the 2 s window has passed
    fh.create_delivery_stream(DeliveryStreamName=name, ElasticsearchDestinationConfiguration=dict(
        opensearch_cfg("osa", retry_s=2, IndexRotationPeriod="NoRotation", TypeName="_doc"),
        S3BackupMode="AllDocuments"))
    wait_active(fh, name)
    records = docs_for(4, "c")
    put(fh, name, records)
    helpers.poll_until(lambda: len(failed_docs(srv, "osa", "AmazonOpenSearchService-failed/")) == 1, timeout=20,
                       what="the failing document backed up")
    failed = failed_docs(srv, "osa", "AmazonOpenSearchService-failed/")[0]
    assert base64.b64decode(failed["rawData"]) == records[1] and failed["errorCode"] == "503"
    assert failed["attemptsMade"] >= 2 and failed["esTypeName"] == "_doc" and failed["esIndexName"] == "logs"
    assert sorted(d["n"] for d in bulk.documents("logs").values()) == [0, 2, 3]
    def backup():
        return b"".join(body for key, body in s3_objects(srv, "osa").items()
                        if not key.startswith("AmazonOpenSearchService-failed/"))
    # AllDocuments: every record, as it arrived (written after the failed documents).
    helpers.poll_until(lambda: backup() == b"".join(records), timeout=20, what="AllDocuments backup")
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]["Destinations"][0]
    assert d["ElasticsearchDestinationDescription"]["S3BackupMode"] == "AllDocuments"
    assert d["ElasticsearchDestinationDescription"]["TypeName"] == "_doc"


def test_opensearch_down_for_a_while_loses_nothing(make_server, bulk):
    srv = os_server(make_server, bulk)
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhos")
    cfg = opensearch_cfg("osd", ClusterEndpoint=bulk.url, IndexRotationPeriod="NoRotation")
    del cfg["DomainARN"]
    fh.create_delivery_stream(DeliveryStreamName=name, AmazonopensearchserviceDestinationConfiguration=cfg)
    wait_active(fh, name)
    bulk.stop()
    put(fh, name, docs_for(50, "d"))
    time.sleep(1.0)   # the outage: a few failed attempts at 300 ms backoff
    bulk.start()
    helpers.poll_until(lambda: len(bulk.documents("logs")) == 50, timeout=20, what="50 documents after the outage")
    assert sorted(d["n"] for d in bulk.documents("logs").values()) == list(range(50))
    assert s3_objects(srv, "osd") == {}


def test_opensearch_domain_arn_must_be_mapped(make_server, bulk):
    srv = make_server(extra_args=["--limits=off"])
    fh = firehose_client(srv.endpoint)
    with pytest.raises(fh.exceptions.InvalidArgumentException) as e:
        fh.create_delivery_stream(DeliveryStreamName=helpers.unique_name("fhos"),
                                  AmazonopensearchserviceDestinationConfiguration=opensearch_cfg("x"))
    assert "--opensearch-domain" in str(e.value)


def http_cfg(receiver, bucket, retry_s=60, **extra):
    cfg = {"EndpointConfiguration": {"Url": receiver.url, "Name": "receiver", "AccessKey": "s3cr3t"},
           "RequestConfiguration": {"ContentEncoding": "GZIP", "CommonAttributes": [
               {"AttributeName": "env", "AttributeValue": "test"},
               {"AttributeName": "team", "AttributeValue": "streams"}]},
           "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}, "RoleARN": ROLE,
           "RetryOptions": {"DurationInSeconds": retry_s}, "S3Configuration": s3_config(bucket)}
    cfg.update(extra)
    return cfg


def http_server(make_server, timeout_ms=180000):
    return make_server(extra_args=["--limits=off", "--delivery-retry-max-ms", "300",
                                   "--http-endpoint-timeout-ms", str(timeout_ms)])


def test_http_endpoint_protocol_and_stable_request_ids_across_retries(make_server, receiver):
    srv = http_server(make_server)
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhhttp")
    receiver.answer_next("500", 1)
    receiver.answer_next("garbage", 1)
    receiver.answer_next("wrong-id", 1)
    receiver.answer_next("302", 1)
    fh.create_delivery_stream(DeliveryStreamName=name, HttpEndpointDestinationConfiguration=http_cfg(receiver, "hb"))
    wait_active(fh, name)
    desc = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]["Destinations"][0][
        "HttpEndpointDestinationDescription"]
    assert desc["EndpointConfiguration"] == {"Url": receiver.url, "Name": "receiver"}   # AccessKey not echoed
    assert desc["S3BackupMode"] == "FailedDataOnly"
    assert desc["RequestConfiguration"]["ContentEncoding"] == "GZIP"
    records = [b"rec-%d" % i for i in range(20)]
    put(fh, name, records)
    helpers.poll_until(lambda: len(receiver.delivered_records()) >= 20, timeout=20, what="20 records acknowledged")
    assert not receiver.violations
    assert sorted(receiver.delivered_records()) == sorted(records)
    first = receiver.requests[0][0]
    kinds = [k for rid, _, k in receiver.requests if rid == first]
    assert kinds[:5] == ["500", "garbage", "wrong-id", "302", "ok"]    # the same request id every attempt
    assert s3_objects(srv, "hb") == {}
    # DeliveryToHttpEndpoint.{Records,Bytes,Success}: one request succeeded, after four failed attempts.
    helpers.poll_until(lambda: metric(srv.endpoint, "spate_firehose_delivery_to_http_endpoint_records_total",
                                      name) == 20, timeout=10, what="DeliveryToHttpEndpoint.Records")
    assert metric(srv.endpoint, "spate_firehose_delivery_to_http_endpoint_bytes_total", name) == sum(map(len, records))
    assert metric(srv.endpoint, "spate_firehose_delivery_to_http_endpoint_success_total", name) == 1
    assert metric(srv.endpoint, "spate_firehose_delivery_to_http_endpoint_failed_records_total", name) == 0


def test_http_endpoint_failures_after_the_window_go_to_s3_and_all_data_is_backed_up(make_server, receiver):
    srv = http_server(make_server)
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhhttp")
    receiver.always("500")
    fh.create_delivery_stream(DeliveryStreamName=name, HttpEndpointDestinationConfiguration=http_cfg(
        receiver, "hf", retry_s=2, S3BackupMode="AllData"))
    wait_active(fh, name)
    records = [b"x-%d" % i for i in range(5)]
    put(fh, name, records)
    helpers.poll_until(lambda: len(failed_docs(srv, "hf", "http-endpoint-failed/")) == 5, timeout=20,
                       what="5 failed records in S3")
    failed = failed_docs(srv, "hf", "http-endpoint-failed/")
    assert sorted(base64.b64decode(f["rawData"]) for f in failed) == sorted(records)
    for f in failed:
        assert set(f) == {"attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp",
                          "rawData", "subsequenceNumber", "dataId"}
        assert f["errorCode"] == "HttpEndpoint.DestinationException" and f["attemptsMade"] >= 2
    def backup():
        return b"".join(body for key, body in s3_objects(srv, "hf").items()
                        if not key.startswith("http-endpoint-failed/"))
    helpers.poll_until(lambda: backup() == b"".join(records), timeout=20, what="AllData backup")
    assert len({rid for rid, _, _ in receiver.requests}) == 1
    assert not receiver.violations
    assert metric(srv.endpoint, "spate_firehose_delivery_to_http_endpoint_failed_records_total", name) == 5
    assert metric(srv.endpoint, "spate_firehose_delivery_to_http_endpoint_records_total", name) == 0


def test_http_endpoint_retry_window_does_not_count_the_waits_for_answers(make_server, receiver):
    """AWS's HttpEndpointRetryOptions: the window starts once the first attempt has failed and leaves out the
    time spent waiting for answers. Every answer here comes after Spate's 1 s timeout, so every attempt waits
    1 s; the window is 1 s and the backoff at most 300 ms. Counting the waits would expire the batch at the
    second attempt (1 s of waiting alone); leaving them out takes at least four attempts (backoffs of
    ~200 + 300 + 300 ms before the window of 1 s is spent)."""
    srv = http_server(make_server, timeout_ms=1000)
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhhttp")
    receiver.delay_s = 2.0
    receiver.always("500")
    fh.create_delivery_stream(DeliveryStreamName=name, HttpEndpointDestinationConfiguration=http_cfg(
        receiver, "hw", retry_s=1))
    wait_active(fh, name)
    put(fh, name, [b"slow-1", b"slow-2"])
    helpers.poll_until(lambda: len(failed_docs(srv, "hw", "http-endpoint-failed/")) == 2, timeout=30,
                       what="2 failed records in S3")
    failed = failed_docs(srv, "hw", "http-endpoint-failed/")
    assert sorted(base64.b64decode(f["rawData"]) for f in failed) == [b"slow-1", b"slow-2"]
    for f in failed:
        # Told by curl's result code (CURLE_OPERATION_TIMEDOUT), not its message.
        assert f["errorCode"] == "HttpEndpoint.RequestTimeout", f
        assert f["attemptsMade"] >= 4, f
    attempts = [rid for rid, _, _ in receiver.requests]
    assert len(attempts) >= 4 and len(set(attempts)) == 1   # one request id, retried
    assert not receiver.violations


def test_http_endpoint_413_is_not_retried_and_kept_in_the_error_output(make_server, receiver):
    srv = http_server(make_server)
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhhttp")
    receiver.answer_next("413", 1)
    fh.create_delivery_stream(DeliveryStreamName=name, HttpEndpointDestinationConfiguration=http_cfg(receiver, "h4"))
    wait_active(fh, name)
    put(fh, name, [b"big-1", b"big-2"])
    error_root = Path(srv.data_dir) / "firehose" / "error-output" / "h4"
    helpers.poll_until(lambda: helpers.local_objects(error_root), timeout=20, what="the 413 records in the error output")
    docs = [json.loads(line) for body in helpers.local_objects(error_root).values() for line in body.decode().splitlines()]
    assert sorted(base64.b64decode(d["rawData"]) for d in docs) == [b"big-1", b"big-2"]
    assert len(receiver.requests) == 1        # not retried
    assert s3_objects(srv, "h4") == {}         # not in the S3 bucket (as AWS)
    helpers.poll_until(lambda: metric(srv.endpoint, "spate_firehose_delivery_to_http_endpoint_failed_records_total",
                                      name) == 2, timeout=10, what="the 413 records counted as failed")
    put(fh, name, [b"after"])
    helpers.poll_until(lambda: b"after" in receiver.delivered_records(), timeout=20, what="the next batch")


def test_http_endpoint_down_for_a_while_loses_nothing(make_server, receiver):
    srv = http_server(make_server)
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhhttp")
    fh.create_delivery_stream(DeliveryStreamName=name, HttpEndpointDestinationConfiguration=http_cfg(receiver, "hd"))
    wait_active(fh, name)
    receiver.stop()
    records = [b"down-%d" % i for i in range(30)]
    put(fh, name, records)
    time.sleep(1.0)   # the outage: a few failed attempts at 300 ms backoff
    receiver.start()
    helpers.poll_until(lambda: set(records) <= set(receiver.delivered_records()), timeout=20,
                       what="every record after the outage")
    assert not receiver.violations
    assert s3_objects(srv, "hd") == {}


def test_aws_cli_creates_an_http_endpoint_stream(make_server, receiver, tmp_path):
    srv = http_server(make_server)
    name = helpers.unique_name("fhcli")
    spec = tmp_path / "create.json"
    spec.write_text(json.dumps({"DeliveryStreamName": name,
                                "HttpEndpointDestinationConfiguration": http_cfg(receiver, "hc")}))
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret",
               AWS_DEFAULT_REGION="us-east-1", HOME=str(tmp_path))
    out = subprocess.run(["aws", "--endpoint-url", srv.endpoint, "--output", "json", "firehose",
                          "create-delivery-stream", "--cli-input-json", f"file://{spec}"],
                         capture_output=True, text=True, timeout=helpers.CALL_TIMEOUT_S, env=env)
    assert out.returncode == 0, out.stderr
    assert "DeliveryStreamARN" in out.stdout
    fh = firehose_client(srv.endpoint)
    wait_active(fh, name)
    put(fh, name, [b"from-cli"])
    helpers.poll_until(lambda: b"from-cli" in receiver.delivered_records(), timeout=20, what="delivered")
