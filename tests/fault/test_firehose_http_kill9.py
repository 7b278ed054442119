"""Firehose delivery to an HTTP endpoint (a real HTTP receiver on loopback) across kill -9 of spated.

What is durable: the records (the delivery stream's log, fsynced before PutRecordBatch answers) and the
deliverer's progress in the catalog (the batch cut as pending, [first, end) of the log, before its first request;
the delivered end once the endpoint accepted it; src/firehose/README.md, "Durability and delivery"). A batch
pending at a crash is sent again after the restart with the same records and the same X-Amz-Firehose-Request-Id.

Oracle: every record a PutRecordBatch acknowledged reaches the endpoint (accepted with a 200), intact (id + CRC
per record); a record may reach it more than once (AWS's HTTP endpoint delivery is at-least-once), but only
inside requests with the same request id, so an endpoint that drops repeated request ids gets each record once.
Records of a batch whose answer the kill cut may be delivered or not. Every wait is bounded.
"""

import random
import signal
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import helpers  # noqa: E402
from conftest import SpatedServer  # noqa: E402
from http_endpoint_receiver import HttpEndpointReceiver  # noqa: E402
from s3_delivery import ROLE, firehose_client, parse_records  # noqa: E402
from firehose_load import Producer, kill_at_random_moments  # noqa: E402

DELIVERY_TIMEOUT_S = 20


@pytest.fixture
def receiver():
    rcv = HttpEndpointReceiver()
    yield rcv
    rcv.stop()


@pytest.fixture
def spated(tmp_path):
    """A started spated delivering with quick retries; killed at the test's end."""
    srv = SpatedServer(tmp_path / "data", tmp_path, 20,
                       ["--limits=off", "--delivery-retry-max-ms", "300", "--http-endpoint-timeout-ms", "10000"])
    srv.start()
    yield srv
    srv.stop(signal.SIGKILL)


def create_stream(fh, receiver):
    name = helpers.unique_name("fhk9")
    fh.create_delivery_stream(DeliveryStreamName=name, HttpEndpointDestinationConfiguration={
        "EndpointConfiguration": {"Url": receiver.url, "Name": "receiver"},
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}, "RoleARN": ROLE,
        "RetryOptions": {"DurationInSeconds": 300},
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::k9-failed",
                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}}})
    helpers.poll_until(lambda: fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
                       ["DeliveryStreamStatus"] == "ACTIVE", what=f"{name} ACTIVE")
    return name


def accepted(receiver):
    """The requests the receiver answered 200: [(request id, {record id: count})], in arrival order."""
    with receiver.lock:
        return [(rid, parse_records({rid: b"".join(records)})) for rid, records, kind in receiver.requests
                if kind == "ok"]


def wait_delivered(receiver, ids):
    helpers.poll_until(lambda: set(ids) <= {i for _, counts in accepted(receiver) for i in counts},
                       timeout=DELIVERY_TIMEOUT_S, interval=0.05, what=f"{len(ids)} records at the endpoint")


def check_at_least_once(receiver, prod):
    """No acknowledged record lost; repeats only as the same request sent again. Returns how many records
    arrived more than once."""
    assert not receiver.violations, receiver.violations
    requests = accepted(receiver)
    total = {}
    by_request = {}   # request id -> its records, the same on every repeat
    for rid, counts in requests:
        assert all(n == 1 for n in counts.values()), f"request {rid} holds a record twice"
        assert by_request.setdefault(rid, counts) == counts, f"request {rid} sent again with other records"
        for i in counts:
            total[i] = total.get(i, 0) + 1
    missing = prod.acked - set(total)
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {sorted(missing)[:5]}"
    assert set(total) <= prod.sent, "records delivered that were never put"
    once = {}
    for counts in by_request.values():
        for i in counts:
            once[i] = once.get(i, 0) + 1
    twice = {i: n for i, n in once.items() if n > 1}
    assert not twice, f"records in two different requests: {dict(list(twice.items())[:5])}"
    return sum(1 for n in total.values() if n > 1)


def test_kill9_mid_request_sends_the_same_request_again(spated, receiver):
    fh = firehose_client(spated.endpoint)
    prod = Producer(fh, create_stream(fh, receiver))
    prod.put()
    wait_delivered(receiver, prod.acked)
    # The endpoint takes the next request (and counts it accepted) but answers after spated is gone.
    receiver.delay_s = 2.0
    seen = len(receiver.requests)
    prod.put(2)
    helpers.poll_until(lambda: len(receiver.requests) > seen, timeout=10, what="a request in flight")
    in_flight = receiver.requests[seen][0]
    spated.kill()
    receiver.delay_s = 0
    spated.start()
    prod.fh = firehose_client(spated.endpoint)
    prod.put()
    wait_delivered(receiver, prod.acked)
    repeated = check_at_least_once(receiver, prod)
    ids = [rid for rid, _, _ in receiver.requests]
    assert ids.count(in_flight) >= 2, "the request cut by the kill was not sent again under its id"
    assert repeated > 0   # its records reached the endpoint twice: at least once, as AWS
    print(f"kill -9 mid-request: {len(prod.acked)} acknowledged, all delivered; {repeated} delivered twice, "
          f"under request id {in_flight}")


def test_kill9_while_the_endpoint_is_down_delivers_pending_and_buffered_records(spated, receiver):
    fh = firehose_client(spated.endpoint)
    prod = Producer(fh, create_stream(fh, receiver))
    receiver.stop()   # connections refused: the first batch fails and stays pending
    prod.put()
    helpers.poll_until(lambda: spated.log_tail(1 << 20).count("failed (retrying") >= 2, timeout=10,
                       what="failed deliveries while the endpoint is down")
    prod.put(2)       # buffered behind the pending batch
    spated.kill()
    receiver.start()
    spated.start()
    wait_delivered(receiver, prod.acked)
    assert check_at_least_once(receiver, prod) == 0   # nothing was accepted before the kill


def test_kill9_at_random_moments_under_concurrent_puts(spated, receiver):
    """Two producers put batches while the endpoint answers slowly; spated is killed at a random moment,
    three times."""
    seed = int(time.time())
    rng = random.Random(seed)
    prod = Producer(None, create_stream(firehose_client(spated.endpoint), receiver))

    def slow_answers():
        receiver.delay_s = rng.choice([0.0, 0.1, 0.3])

    def quick_answers():
        receiver.delay_s = 0

    kill_at_random_moments(spated, prod, rng, cycles=3, delay=(0.3, 1.0), before=slow_answers, after=quick_answers)
    assert prod.acked, f"seed {seed}: nothing acknowledged"
    wait_delivered(receiver, prod.acked)
    repeated = check_at_least_once(receiver, prod)
    print(f"seed {seed}: {len(prod.acked)} acknowledged of {len(prod.sent)} sent, all delivered; "
          f"{repeated} delivered twice (same request id)")
