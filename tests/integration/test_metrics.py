"""GET /metrics, scraped by a real Prometheus (Debian `prometheus`) and queried through its HTTP API.

One private spated; one Prometheus child process with a generated config (scrape interval 1 s), its
own storage directory and a free loopback port, stopped at the end of the test. Records are put and
read with boto3; PromQL then has to see exactly those counts, a positive rate, and, once the stream is
deleted, no series of it at all. docs/metrics.md has the names.
"""

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

import helpers
from conftest import SPATED_BIN

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
READY_TIMEOUT_S = 15
QUERY_TIMEOUT_S = 10  # several 1 s scrapes


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers, r.read().decode()


class Prometheus:
    def __init__(self, base_url):
        self.base_url = base_url

    def query(self, promql):
        """The instant vector of `promql` now, as [(labels, float)]."""
        url = self.base_url + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        status, _, body = _get(url)
        doc = json.loads(body)
        assert status == 200 and doc["status"] == "success", body
        return [(r["metric"], float(r["value"][1])) for r in doc["data"]["result"]]

    def scalar(self, promql):
        """The single value of `promql`, or None while it has no result."""
        result = self.query(promql)
        assert len(result) <= 1, result
        return result[0][1] if result else None

    def wait_for(self, promql, want, timeout=QUERY_TIMEOUT_S):
        """Polls until `promql` has the value `want` (None: no result at all); returns it."""
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = self.scalar(promql)
            if got == want:
                return got
            time.sleep(0.2)
        pytest.fail(f"{promql} = {got} after {timeout}s, expected {want}")


@pytest.fixture
def prometheus(tmp_path):
    """start(target_port) -> a Prometheus scraping 127.0.0.1:target_port/metrics every second."""
    if PROMETHEUS is None:
        pytest.fail("prometheus is not installed (scripts/install-deps.sh --test installs Debian's)")
    procs = []

    def start(target_port):
        port = _free_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  scrape_timeout: 1s\n"
            "  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: spated\n"
            "    metrics_path: /metrics\n"
            "    static_configs:\n"
            f"      - targets: ['127.0.0.1:{target_port}']\n")
        log = open(tmp_path / "prometheus.log", "wb")
        proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                if _get(base + "/-/ready", timeout=1)[0] == 200:
                    return Prometheus(base)
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("prometheus did not become ready:\n" +
                            (tmp_path / "prometheus.log").read_text(errors="replace")[-3000:])
            time.sleep(0.1)

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_active(client, name):
    helpers.poll_until(
        lambda: client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE",
        what=f"{name} ACTIVE")


def test_prometheus_scrapes_stream_metrics(make_server, prometheus):
    srv = make_server()
    client = helpers.make_boto3_client(srv.endpoint)
    name = helpers.unique_name("metrics")
    client.create_stream(StreamName=name, ShardCount=2)
    _wait_active(client, name)
    client.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingRecords", "OutgoingRecords"])
    _wait_active(client, name)

    # The exposition itself: content type, and promtool's linter (names, HELP, TYPE, _total).
    status, headers, text = _get(srv.endpoint + "/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    sel = f'stream_name="{name}"'
    assert f'spate_kinesis_incoming_records_total{{account="{helpers.ACCOUNT_ID}",region="{helpers.REGION}",{sel}}} 0' \
        in text
    if PROMTOOL is not None:
        lint = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
        assert lint.returncode == 0, lint.stdout + lint.stderr

    prom = prometheus(srv.port)
    prom.wait_for('up{job="spated"}', 1.0)
    # A sample at 0 before the puts, so that rate() below sees the counter rise.
    prom.wait_for(f"sum(spate_kinesis_incoming_records_total{{{sel}}})", 0.0)

    put_record_bytes = 0
    for i in range(20):
        data, key = f"record-{i}".encode(), f"pk-{i}"
        client.put_record(StreamName=name, Data=data, PartitionKey=key)
        put_record_bytes += len(data) + len(key)
    batch = [{"Data": b"x" * (i + 1), "PartitionKey": f"batch-{i}"} for i in range(30)]
    out = client.put_records(StreamName=name, Records=batch)
    assert out["FailedRecordCount"] == 0
    put_records_bytes = sum(len(r["Data"]) + len(r["PartitionKey"]) for r in batch)

    read = 0
    for shard in client.list_shards(StreamName=name)["Shards"]:
        it = client.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        read += len(client.get_records(ShardIterator=it)["Records"])
    assert read == 50

    prom.wait_for(f"sum(spate_kinesis_incoming_records_total{{{sel}}})", 50.0)
    prom.wait_for(f"sum(spate_kinesis_get_records_records_total{{{sel}}})", 50.0)
    q = prom.scalar
    assert q(f"sum(spate_kinesis_incoming_bytes_total{{{sel}}})") == put_record_bytes + put_records_bytes
    assert q(f"sum(spate_kinesis_put_record_success_total{{{sel}}})") == 20
    assert q(f"sum(spate_kinesis_put_record_latency_seconds_count{{{sel}}})") == 20
    assert q(f"sum(spate_kinesis_put_records_success_total{{{sel}}})") == 1
    assert q(f"sum(spate_kinesis_put_records_successful_records_total{{{sel}}})") == 30
    assert q(f"sum(spate_kinesis_put_records_total_records_total{{{sel}}})") == 30
    assert q(f"sum(spate_kinesis_put_records_bytes_total{{{sel}}})") == put_records_bytes
    assert q(f"sum(spate_kinesis_put_records_throttled_records_total{{{sel}}})") == 0
    assert q(f"sum(spate_kinesis_get_records_success_total{{{sel}}})") == 2
    # Everything was read up to the tip: every GetRecords was caught up.
    assert q(f'sum(spate_kinesis_get_records_iterator_age_seconds_bucket{{{sel},le="0"}})') == 2
    assert q(f"rate(spate_kinesis_incoming_records_total{{{sel}}}[30s])") > 0
    p50 = q(f"histogram_quantile(0.5, sum by (le) (rate(spate_kinesis_put_record_latency_seconds_bucket{{{sel}}}[30s])))")
    assert 0 < p50 < 10

    # Shard level: only the metrics enabled, one series per shard, adding up to the stream's.
    assert q(f"count(spate_kinesis_shard_incoming_records_total{{{sel}}})") == 2
    assert q(f"sum(spate_kinesis_shard_incoming_records_total{{{sel}}})") == 50
    assert q(f"sum(spate_kinesis_shard_outgoing_records_total{{{sel}}})") == 50
    assert q(f"count(spate_kinesis_shard_incoming_bytes_total{{{sel}}})") is None

    # Process and storage.
    assert q('spate_storage_fdatasync_seconds_count{job="spated"}') > 0
    assert q('spate_storage_commit_round_batches_count{job="spated"}') > 0
    assert q('spate_storage_segments{job="spated"}') >= 2
    assert q('spate_storage_segment_bytes{job="spated"}') > 0
    assert q('spate_http_open_connections{job="spated"}') >= 1
    assert q('process_resident_memory_bytes{job="spated"}') > 0

    # Disabling a shard-level metric drops its series; deleting the stream drops every series of it
    # (Prometheus marks them stale at the next scrape).
    client.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["OutgoingRecords"])
    prom.wait_for(f"count(spate_kinesis_shard_outgoing_records_total{{{sel}}})", None)
    assert q(f"count(spate_kinesis_shard_incoming_records_total{{{sel}}})") == 2
    client.delete_stream(StreamName=name)
    helpers.poll_until(lambda: name not in client.list_streams()["StreamNames"], what=f"{name} deleted")
    prom.wait_for(f"count({{{sel}}})", None)
    assert sel not in _get(srv.endpoint + "/metrics")[2]


def _metrics_port(srv):
    m = helpers.poll_until(lambda: re.search(r"serving /metrics on 127\.0\.0\.1:(\d+)", srv.log_tail()),
                           timeout=10, what="the --metrics-port listener")
    return int(m.group(1))


def test_metrics_port_serves_metrics_alone_and_prometheus_scrapes_it(make_server, prometheus):
    """--metrics-port: GET /metrics moves to a listener of its own, which answers nothing else; the API port
    keeps the API (and the console) without /metrics."""
    srv = make_server(extra_args=("--limits=off", "--metrics-port", "0"))
    port = _metrics_port(srv)
    assert port != srv.port
    status, headers, body = _get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE spate_kinesis_incoming_records_total counter" in body
    metrics_raw = helpers.RawClient(f"http://127.0.0.1:{port}")
    for method, path in (("GET", "/health"), ("GET", "/console/"), ("POST", "/"), ("GET", "/metrics/x")):
        r = metrics_raw.request(method=method, path=path, sign=False, content_type=None)
        assert r.status == 404 and b"only GET /metrics" in r.body, (method, path, r.status)
    # The API port: no /metrics, the API as before, and the console told where the metrics are.
    raw = helpers.RawClient(srv.endpoint)
    assert raw.request(method="GET", path="/metrics", sign=False, content_type=None).status != 200
    assert raw.json("ListStreams", {}).status == 200
    config = raw.request(method="GET", path="/console/config.json", sign=False, content_type=None)
    assert json.loads(config.body)["metricsOnThisPort"] is False
    # A real Prometheus scrapes the listener and sees a stream's records.
    name = helpers.unique_name("mport")
    helpers.create_stream_raw(raw, name, shards=1)
    for i in range(4):
        assert raw.json("PutRecord", {"StreamName": name, "Data": b"x", "PartitionKey": str(i)}).status == 200
    prom = prometheus(port)
    prom.wait_for('up{job="spated"}', 1.0)
    prom.wait_for(f'spate_kinesis_incoming_records_total{{job="spated",stream_name="{name}"}}', 4.0)
    srv.stop()


def test_metrics_port_that_cannot_be_bound_stops_the_server(make_server, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = taken.getsockname()[1]
        proc = subprocess.run([str(SPATED_BIN), "--port", "0", "--data-dir", str(tmp_path / "d"),
                               "--metrics-port", str(busy)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert f"cannot listen for /metrics on 127.0.0.1:{busy}" in proc.stderr, proc.stderr
