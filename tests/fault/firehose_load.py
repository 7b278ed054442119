"""Shared by the Firehose fault tests (test_firehose_faults.py, test_firehose_http_kill9.py): a producer of
numbered, checksummed records (s3_delivery.make_record) that remembers what was sent and what acknowledged, and
kill -9 of spated at random moments while two producers put batches."""

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from s3_delivery import firehose_client, make_record, put_batch, record_id  # noqa: E402

# Bounds each producer thread of a kill cycle.
PRODUCE_S = 10


class Producer:
    """Numbers records across calls and threads; remembers which were acknowledged and which were sent at all.
    `fh` is the client of calls that name none (a thread of its own passes its own)."""

    def __init__(self, fh, name):
        self.fh, self.name = fh, name
        self.lock = threading.Lock()
        self.next_id = 0
        self.acked, self.sent = set(), set()

    def put(self, batches=1, per_batch=50, fh=None, healthy=True):
        """PutRecordBatch `batches` times; `healthy`: every record must be accepted."""
        for _ in range(batches):
            with self.lock:
                first = self.next_id
                self.next_id += per_batch
                self.sent.update(range(first, first + per_batch))
            got = put_batch(fh or self.fh, self.name, [make_record(first + i) for i in range(per_batch)])
            assert not healthy or len(got) == per_batch, "PutRecordBatch refused records of a healthy stream"
            with self.lock:
                self.acked.update(record_id(r) for r in got)


def kill_at_random_moments(srv, prod, rng, cycles, delay=(0.4, 1.2), per_batch=40, before=None, after=None):
    """`cycles` times: two threads put batches of `per_batch` through their own clients, spated is killed with
    SIGKILL after a random time in `delay` (the fault's moment, not a wait) and started again. `before()` runs as
    each cycle starts, `after()` between the kill and the restart. A call the kill cuts ends its thread: its
    records are in doubt (in `prod.sent`, not `prod.acked`)."""
    def produce(endpoint, stop):
        fh = firehose_client(endpoint)
        deadline = time.monotonic() + PRODUCE_S
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                prod.put(per_batch=per_batch, fh=fh, healthy=False)
            except Exception:  # noqa: BLE001 - the kill cut the call
                return

    for _ in range(cycles):
        if before is not None:
            before()
        stop = threading.Event()
        threads = [threading.Thread(target=produce, args=(srv.endpoint, stop)) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(*delay))
        srv.kill()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads)
        if after is not None:
            after()
        srv.start()
