"""Firehose delivery to a real S3-compatible server (s3rver) under faults: the server stopped and restarted,
5xx answers, a destination slower than the client's timeout, and kill -9 of spated mid-buffer and mid-upload.

Oracle: every record a PutRecordBatch acknowledged is delivered, intact (each record carries a unique id and a
CRC), and exactly once: the deliverer cuts an object at log offsets recorded before its upload and replays a
pending object under the same key, so no range of records ends up in two objects. Records of a batch whose
answer was lost (the kill) may be delivered or not, but never twice. Retries are kept quick with
--delivery-retry-max-ms; every wait is bounded.
"""

import random
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import helpers  # noqa: E402
from conftest import S3Server, SpatedServer, _ensure_npm_package  # noqa: E402
from s3_delivery import (S3Proxy, firehose_client, list_objects, make_record, parse_records, put_batch,  # noqa: E402
                         record_id, s3_destination, spated_s3_args)
from firehose_load import Producer, kill_at_random_moments  # noqa: E402

RETRY_MAX_MS = 300
DELIVERY_TIMEOUT_S = 15


@pytest.fixture
def s3(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: s3rver needs it")
    srv = S3Server(node, _ensure_npm_package("s3rver"), tmp_path / "s3", tmp_path)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def spated(tmp_path):
    """spated(args) -> a started SpatedServer delivering with `args`; killed at the test's end."""
    servers = []

    def factory(args):
        srv = SpatedServer(tmp_path / "data", tmp_path, 20, args)
        servers.append(srv)
        return srv.start()

    yield factory
    for srv in servers:
        srv.stop(signal.SIGKILL)


@pytest.fixture
def proxy():
    made = []

    def factory(port):
        made.append(S3Proxy(port))
        return made[-1]

    yield factory
    for p in made:
        p.close()


def create_stream(fh, bucket, size_mb=1, interval_s=0):
    name = helpers.unique_name("fhf")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_destination(
        bucket, size_mb, interval_s))
    helpers.poll_until(lambda: fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
                       ["DeliveryStreamStatus"] == "ACTIVE", what=f"{name} ACTIVE")
    return name


def wait_delivered(s3, bucket, ids, timeout=DELIVERY_TIMEOUT_S):
    """Waits until every id is in the bucket; returns (objects, {id: count})."""
    state = {}

    def check():
        state["objects"] = list_objects(s3.client, bucket)
        state["counts"] = parse_records(state["objects"])
        return set(ids) <= set(state["counts"])
    helpers.poll_until(check, timeout=timeout, interval=0.1, what=f"{len(ids)} records in s3://{bucket}")
    return state["objects"], state["counts"]


def assert_exactly_once(counts, acked, sent):
    missing = set(acked) - set(counts)
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {sorted(missing)[:5]}"
    twice = {i: n for i, n in counts.items() if n != 1}
    assert not twice, f"records delivered more than once: {dict(list(twice.items())[:5])}"
    assert set(counts) <= set(sent), "delivered records that were never put"


def failed_attempts(srv):
    return srv.log_tail(1 << 20).count("failed (retrying")


def test_s3_stopped_while_records_are_put_delivery_resumes_after_restart(s3, spated):
    bucket = s3.create_bucket()
    srv = spated(spated_s3_args(s3, None, RETRY_MAX_MS))
    fh = firehose_client(srv.endpoint)
    prod = Producer(fh, create_stream(fh, bucket))
    prod.put(2)
    wait_delivered(s3, bucket, prod.acked)
    s3.stop()
    prod.put(3)   # acknowledged: durable in spated, whatever S3 does
    helpers.poll_until(lambda: failed_attempts(srv) >= 3, timeout=10, what="three failed attempts while S3 is down")
    prod.put(3)   # and more while the upload is pending
    s3.start()    # same port, same directory
    _, counts = wait_delivered(s3, bucket, prod.acked)
    assert_exactly_once(counts, prod.acked, prod.sent)


@pytest.mark.parametrize("fault", [(503, "SlowDown"), (500, "InternalError"), (503, "ServiceUnavailable")])
def test_5xx_for_a_while_then_recovery(s3, spated, proxy, fault):
    bucket = s3.create_bucket()
    px = proxy(s3.port)
    srv = spated(spated_s3_args(s3, px.endpoint, RETRY_MAX_MS))
    fh = firehose_client(srv.endpoint)
    prod = Producer(fh, create_stream(fh, bucket))
    px.fail = fault
    prod.put(3)
    helpers.poll_until(lambda: sum(1 for *_, st in px.answered if st == fault[0]) >= 4, timeout=10,
                       what=f"four {fault} answers")
    prod.put(2)
    assert list_objects(s3.client, bucket) == {}   # nothing reached S3 while it failed
    assert fault[1] in srv.log_tail(1 << 20)        # the error is logged with S3's code
    px.fail = None
    _, counts = wait_delivered(s3, bucket, prod.acked)
    assert_exactly_once(counts, prod.acked, prod.sent)


def test_slow_destination_just_under_and_just_over_the_timeout(s3, spated, proxy):
    timeout_ms = 1000
    bucket = s3.create_bucket()
    px = proxy(s3.port)
    srv = spated(spated_s3_args(s3, px.endpoint, RETRY_MAX_MS, "--s3-timeout-ms", str(timeout_ms)))
    fh = firehose_client(srv.endpoint)
    prod = Producer(fh, create_stream(fh, bucket))
    # Just under the timeout: slow, but every attempt succeeds.
    px.delay_s = 0.7 * timeout_ms / 1000
    prod.put(2)
    wait_delivered(s3, bucket, prod.acked)
    assert failed_attempts(srv) == 0, srv.log_tail()
    # Just over: each attempt times out in spated while its request still reaches S3 late (the object lands),
    # and the retry rewrites the same key: still one object per range.
    px.delay_s = 1.3 * timeout_ms / 1000
    prod.put(2)
    helpers.poll_until(lambda: failed_attempts(srv) >= 2, timeout=10, what="two timed-out attempts")
    assert "imeout" in srv.log_tail(1 << 20) or "timed out" in srv.log_tail(1 << 20)
    px.delay_s = 0.2
    prod.put(1)
    objects, counts = wait_delivered(s3, bucket, prod.acked)
    assert_exactly_once(counts, prod.acked, prod.sent)
    put_paths = [p for m, _, p in px.calls if m == "PUT"]
    assert len(put_paths) > len(set(put_paths))   # some key was written more than once ...
    assert len(objects) == len(set(put_paths))    # ... and every key is one object


def test_kill9_while_s3_is_down_replays_pending_and_buffered_records(s3, spated):
    bucket = s3.create_bucket()
    args = spated_s3_args(s3, None, RETRY_MAX_MS)
    srv = spated(args)
    fh = firehose_client(srv.endpoint)
    prod = Producer(fh, create_stream(fh, bucket))
    s3.stop()
    prod.put(2)   # cut as the pending object, its upload failing
    helpers.poll_until(lambda: failed_attempts(srv) >= 2, timeout=10, what="failed uploads while S3 is down")
    prod.put(3)   # buffered behind the pending object
    srv.kill()
    s3.start()
    srv.start()
    fh = firehose_client(srv.endpoint)
    _, counts = wait_delivered(s3, bucket, prod.acked)
    assert_exactly_once(counts, prod.acked, prod.sent)


def test_kill9_mid_upload_replays_the_same_key(s3, spated, proxy):
    bucket = s3.create_bucket()
    px = proxy(s3.port)
    args = spated_s3_args(s3, px.endpoint, RETRY_MAX_MS)
    srv = spated(args)
    fh = firehose_client(srv.endpoint)
    prod = Producer(fh, create_stream(fh, bucket))
    px.delay_s = 1.5   # the upload is in flight when spated dies; it still lands after the kill
    prod.put(2)
    helpers.poll_until(lambda: any(m == "PUT" for m, _, _ in px.calls), timeout=10, what="an upload in flight")
    first_key = next(p for m, _, p in px.calls if m == "PUT")
    srv.kill()
    px.delay_s = 0
    srv.start()
    _, counts = wait_delivered(s3, bucket, prod.acked)
    assert_exactly_once(counts, prod.acked, prod.sent)
    put_paths = [p for m, _, p in px.calls if m == "PUT"]
    assert put_paths.count(first_key) >= 2, put_paths   # replayed under the key of the interrupted upload
    objects = list_objects(s3.client, bucket)
    assert len(objects) == len(set(put_paths))


def test_kill9_mid_buffer_under_concurrent_puts(s3, spated, proxy):
    """Two producers put batches while uploads are slowed down; spated is killed at a random moment, twice.
    Every acknowledged record is delivered once; a batch whose answer was lost is delivered at most once."""
    seed = int(time.time())
    rng = random.Random(seed)
    bucket = s3.create_bucket()
    px = proxy(s3.port)
    args = spated_s3_args(s3, px.endpoint, RETRY_MAX_MS)
    srv = spated(args)
    prod = Producer(None, create_stream(firehose_client(srv.endpoint), bucket))

    def slow_uploads():
        px.delay_s = 0.3   # uploads pending at the kill

    def quick_uploads():
        px.delay_s = 0

    kill_at_random_moments(srv, prod, rng, cycles=2, before=slow_uploads, after=quick_uploads)
    assert len(prod.acked) > 0, f"seed {seed}: nothing acknowledged"
    _, counts = wait_delivered(s3, bucket, prod.acked)
    assert_exactly_once(counts, prod.acked, prod.sent)


def test_pending_object_replayed_after_kill9_keeps_its_compression(s3, spated):
    """An object cut as GZIP (key .gz) whose upload is pending when UpdateDestination switches the stream to
    UNCOMPRESSED: the update applies to later objects only, so after a kill -9 the replay under the .gz key must
    still be gzip, and the later records go uncompressed."""
    bucket = s3.create_bucket()
    srv = spated(spated_s3_args(s3, None, RETRY_MAX_MS))
    fh = firehose_client(srv.endpoint)
    name = helpers.unique_name("fhf")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_destination(
        bucket, 1, 0, CompressionFormat="GZIP"))
    helpers.poll_until(lambda: fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
                       ["DeliveryStreamStatus"] == "ACTIVE", what=f"{name} ACTIVE")
    prod = Producer(fh, name)
    s3.stop()
    prod.put(2)
    helpers.poll_until(lambda: failed_attempts(srv) >= 2, timeout=10, what="failed uploads while S3 is down")
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    fh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId=d["VersionId"],
                          DestinationId=d["Destinations"][0]["DestinationId"],
                          ExtendedS3DestinationUpdate={"CompressionFormat": "UNCOMPRESSED"})
    srv.kill()
    s3.start()
    srv.start()
    fh = firehose_client(srv.endpoint)
    prod.fh = fh
    prod.put(1)
    objects, counts = wait_delivered(s3, bucket, prod.acked)   # list_objects gunzips every .gz key
    assert_exactly_once(counts, prod.acked, prod.sent)
    assert any(k.endswith(".gz") for k in objects) and any(not k.endswith(".gz") for k in objects), list(objects)


def test_kill9_mid_multipart_upload_replays_one_object(s3, spated, proxy):
    """A 17 MiB object (above the 16 MiB multipart threshold) whose upload is between parts when spated dies:
    after the restart the object is uploaded again, as a new multipart upload under the same key: one object."""
    bucket = s3.create_bucket()
    px = proxy(s3.port)
    srv = spated(spated_s3_args(s3, px.endpoint, RETRY_MAX_MS))
    fh = firehose_client(srv.endpoint)
    size_mb = 17
    prod = Producer(fh, create_stream(fh, bucket, size_mb, 900))
    record_bytes = 1_000_000
    count = size_mb * (1 << 20) // record_bytes + 1   # the last record crosses the size hint: one object of all
    px.delay_s = 0.5
    for start in range(0, count, 4):
        records = [make_record(i, record_bytes - 20) for i in range(start, min(start + 4, count))]
        prod.sent.update(record_id(r) for r in records)
        prod.acked.update(record_id(r) for r in put_batch(fh, prod.name, records))
    assert len(prod.acked) == count
    helpers.poll_until(lambda: any("partNumber=1&" in p or p.endswith("partNumber=1") for m, _, p in px.calls
                                   if m == "PUT"), timeout=10, what="the first part in flight")
    srv.kill()
    px.delay_s = 0
    srv.start()
    objects, counts = wait_delivered(s3, bucket, prod.acked)
    assert_exactly_once(counts, prod.acked, prod.sent)
    assert len(objects) == 1
    uploads = [p.split("?")[0] for m, _, p in px.calls if m == "POST" and p.split("?")[1].startswith("uploads")]
    assert len(uploads) == 2 and uploads[0] == uploads[1], uploads   # the same key, started twice


def test_sigterm_while_the_destination_hangs_stops_promptly(s3, spated, proxy):
    """A clean stop does not wait for an upload S3 is sitting on (the request timeout is 30 s by default): the
    upload is abandoned, the object stays pending and is delivered after the restart, once."""
    bucket = s3.create_bucket()
    px = proxy(s3.port)
    srv = spated(spated_s3_args(s3, px.endpoint, RETRY_MAX_MS))
    fh = firehose_client(srv.endpoint)
    prod = Producer(fh, create_stream(fh, bucket))
    px.delay_s = 12
    prod.put(2)
    helpers.poll_until(lambda: any(m == "PUT" for m, _, _ in px.calls), timeout=10, what="an upload in flight")
    start = time.monotonic()
    assert srv.stop() == 0
    stop_s = time.monotonic() - start
    px.delay_s = 0
    srv.start()
    _, counts = wait_delivered(s3, bucket, prod.acked)
    assert_exactly_once(counts, prod.acked, prod.sent)
    assert stop_s < 3, f"SIGTERM took {stop_s:.1f} s while an upload hung"


def error_output_objects(data_dir, bucket):
    """{key: body} of the objects spated wrote to its error output for `bucket`."""
    return helpers.local_objects(Path(data_dir) / "firehose" / "error-output" / bucket)


def test_s3_down_past_the_retry_window_sends_objects_to_the_error_output_across_a_kill9(s3, spated, tmp_path):
    bucket = s3.create_bucket()
    window_ms = 1500
    args = spated_s3_args(s3, None, RETRY_MAX_MS, "--delivery-retry-window-ms", str(window_ms))
    srv = spated(args)
    fh = firehose_client(srv.endpoint)
    prod = Producer(fh, create_stream(fh, bucket))
    s3.stop()
    prod.put(2)   # cut as the pending object: its window starts at the first failed attempt
    helpers.poll_until(lambda: failed_attempts(srv) >= 1, timeout=10, what="a failed upload while S3 is down")
    srv.kill()    # the window's start is durable: the restart does not grant a new 1.5 s
    time.sleep(window_ms / 1000)
    srv.start()
    expired = {}

    def in_error_output():
        expired.update(error_output_objects(tmp_path / "data", bucket))
        return set(prod.acked) <= set(parse_records(expired))
    helpers.poll_until(in_error_output, timeout=DELIVERY_TIMEOUT_S, interval=0.1,
                       what="the expired object in the error output")
    assert "was written to the error output" in srv.log_tail(1 << 20)
    # Delivery goes on: later records reach S3 once it is back; none is in both places, none is lost.
    fh = firehose_client(srv.endpoint)
    s3.start()
    later = Producer(fh, prod.name)
    later.next_id = prod.next_id
    later.put(2)
    _, counts = wait_delivered(s3, bucket, later.acked)
    expired_counts = parse_records(error_output_objects(tmp_path / "data", bucket))
    assert not set(expired_counts) & set(counts), "records both expired and delivered"
    all_counts = {**counts, **expired_counts}
    assert_exactly_once(all_counts, prod.acked | later.acked, prod.sent | later.sent)
