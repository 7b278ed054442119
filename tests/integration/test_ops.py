"""Running spated for real: --version, the Server header and /health, --config files, the lifecycle
log, --log-format json and the access log (--access-log)."""

import json
import re
import signal
import subprocess
import threading

import helpers
from conftest import SPATED_BIN, _require_binary


def _version():
    _require_binary()
    p = subprocess.run([str(SPATED_BIN), "--version"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    m = re.fullmatch(r"spated (\d+\.\d+\.\d+)( \(git [0-9a-f]{7,}(-dirty)?\))?\n", p.stdout)
    assert m, p.stdout
    return m.group(1), p.stdout


def test_version_health_and_server_header_agree(server, raw):
    version, _ = _version()
    health = raw.request(method="GET", path="/health", sign=False, content_type=None)
    assert health.status == 200
    body = health.json()
    assert body["status"] == "ok" and body["version"] == version, body
    assert health.headers["server"] == f"spated/{version}"
    api = raw.json("ListStreams", {})
    assert api.status == 200 and api.headers["server"] == f"spated/{version}"


def test_help_documents_health_config_and_logs():
    _require_binary()
    out = subprocess.run([str(SPATED_BIN), "--help"], capture_output=True, text=True, timeout=10).stdout
    for flag in ("--config FILE", "--version", "--log-format", "--access-log", "/health", "dropped", "SIGHUP",
                 "--metrics-port", "--metrics-host"):
        assert flag in out, flag


def test_config_file_sets_flags_and_the_command_line_wins(make_server, tmp_path):
    access = tmp_path / "access.log"
    conf = tmp_path / "spated.conf"
    conf.write_text(f'# test config\nshard-limit = 3\nlog-format = "json"\naccess-log = "{access}"\n'
                    f'state-delay-ms = 60000\n')
    # SpatedServer passes --state-delay-ms 50 on the command line: it wins over the file's 60000.
    srv = make_server(extra_args=("--limits=off", "--config", str(conf)))
    raw = helpers.RawClient(srv.endpoint)
    assert raw.json("DescribeLimits", {}).json()["ShardLimit"] == 3
    name = helpers.unique_name("cfg")
    helpers.create_stream_raw(raw, name, shards=1)  # ACTIVE within the 50 ms state delay
    # --log-format json: every line of the server's log is a JSON object.
    lines = [ln for ln in srv.log_path.read_text().splitlines() if ln.strip()]
    for ln in lines:
        obj = json.loads(ln)
        assert set(obj) == {"time", "level", "msg"}, obj
    assert any("listening on 127.0.0.1:" in json.loads(ln)["msg"] for ln in lines)
    # ...and the access log follows it.
    helpers.poll_until(lambda: access.exists() and "CreateStream" in access.read_text(), timeout=10,
                       what="the access log line of CreateStream")
    entries = [json.loads(ln) for ln in access.read_text().splitlines()]
    create = [e for e in entries if e["operation"] == "CreateStream"][0]
    assert create["stream"] == name and create["status"] == 200 and create["account"] == helpers.ACCOUNT_ID
    srv.stop()


def test_config_file_with_a_bad_value_is_refused(tmp_path):
    _require_binary()
    conf = tmp_path / "bad.conf"
    conf.write_text("port = 99999\n")
    p = subprocess.run([str(SPATED_BIN), "--config", str(conf)], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "--port: needs a port number 0-65535" in p.stderr, p.stderr
    p = subprocess.run([str(SPATED_BIN), "--config", str(tmp_path / "missing.conf")], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 2 and "missing.conf" in p.stderr, p.stderr


def test_access_log_records_each_call(make_server, tmp_path):
    access = tmp_path / "access.log"
    srv = make_server(extra_args=("--limits=off", "--access-log", str(access)))
    raw = helpers.RawClient(srv.endpoint)
    name = helpers.unique_name("acc")
    helpers.create_stream_raw(raw, name, shards=1)
    put = raw.json("PutRecord", {"StreamName": name, "Data": b"hello", "PartitionKey": "k"})
    assert put.status == 200
    missing = raw.json("DescribeStreamSummary", {"StreamName": "no-such-stream"})
    assert missing.status == 400
    helpers.poll_until(lambda: "no-such-stream" in access.read_text(), timeout=10, what="access log lines")
    lines = access.read_text().splitlines()
    # <time> <account> <operation> <stream> <status> <error type> <latency ms> <req bytes> <resp bytes> <id>
    pat = re.compile(r"(\S+Z) (\S+) (\S+) (\S+) (\d{3}) (\S+) (\d+\.\d{3}) (\d+) (\d+) (\S+)")
    rows = [pat.fullmatch(ln) for ln in lines]
    assert all(rows), lines
    by_op = {(r.group(3), r.group(4)): r for r in rows}
    p = by_op[("PutRecord", name)]
    assert p.group(2) == helpers.ACCOUNT_ID and p.group(5) == "200" and p.group(6) == "-"
    assert int(p.group(8)) > 0 and int(p.group(9)) == len(put.body)
    assert p.group(10) == put.headers["x-amzn-requestid"]
    m = by_op[("DescribeStreamSummary", "no-such-stream")]
    assert m.group(5) == "400" and m.group(6) == "ResourceNotFoundException"
    srv.stop()


def test_sighup_reopens_the_access_log(make_server, tmp_path):
    """logrotate's way: rename the file, SIGHUP; later lines go to a new file at the path, earlier ones
    stay in the renamed one, and the server keeps serving."""
    access = tmp_path / "access.log"
    rotated = tmp_path / "access.log.1"
    srv = make_server(extra_args=("--limits=off", "--access-log", str(access)))
    raw = helpers.RawClient(srv.endpoint)
    assert raw.json("DescribeStreamSummary", {"StreamName": "before-rotation"}).status == 400
    helpers.poll_until(lambda: "before-rotation" in access.read_text(), timeout=10, what="the first line")
    access.rename(rotated)
    srv.proc.send_signal(signal.SIGHUP)
    helpers.poll_until(lambda: "reopened the access log" in srv.log_tail(), timeout=10, what="the reopen")
    assert raw.json("DescribeStreamSummary", {"StreamName": "after-rotation"}).status == 400
    helpers.poll_until(lambda: access.exists() and "after-rotation" in access.read_text(), timeout=10,
                       what="the line in the new file")
    assert "after-rotation" not in rotated.read_text()
    assert "before-rotation" in rotated.read_text() and "before-rotation" not in access.read_text()
    assert srv.proc.poll() is None
    srv.stop()


def test_no_access_log_line_is_lost_across_rotations_under_load(make_server, tmp_path):
    """Four clients call while the log is renamed and SIGHUP'd five times: every call is in exactly one of the
    files (bounded: 4 x 100 calls, 5 rotations)."""
    access = tmp_path / "access.log"
    srv = make_server(extra_args=("--limits=off", "--access-log", str(access)))
    calls_per_client, clients, rotations = 100, 4, 5
    ids = [[] for _ in range(clients)]

    def client(i):
        raw = helpers.RawClient(srv.endpoint)
        for _ in range(calls_per_client):
            r = raw.json("ListStreams", {})
            assert r.status == 200
            ids[i].append(r.headers["x-amzn-requestid"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for n in range(1, rotations + 1):
        helpers.poll_until(lambda: access.exists() and access.stat().st_size > 0, timeout=30, what="a line to rotate")
        access.rename(tmp_path / f"access.log.{n}")
        srv.proc.send_signal(signal.SIGHUP)
        helpers.poll_until(lambda: srv.log_tail(100_000).count("reopened the access log") >= n, timeout=30,
                           what=f"reopen {n}")
    for t in threads:
        t.join(timeout=120)
    want = {i for per in ids for i in per}
    assert len(want) == calls_per_client * clients

    def logged():
        files = [access] + [tmp_path / f"access.log.{n}" for n in range(1, rotations + 1)]
        return [ln.split()[-1] for f in files if f.exists() for ln in f.read_text().splitlines()]

    helpers.poll_until(lambda: want <= set(logged()), timeout=30, what="every call logged")
    lines = logged()
    assert len(lines) == len(set(lines)), "a line written twice"
    assert sum(1 for f in tmp_path.glob("access.log.*") if f.stat().st_size > 0) >= 2
    srv.stop()


def test_sighup_without_an_access_log_is_harmless(make_server):
    srv = make_server()
    srv.proc.send_signal(signal.SIGHUP)
    helpers.poll_until(lambda: "no --access-log to reopen" in srv.log_tail(), timeout=10, what="the log line")
    assert helpers.RawClient(srv.endpoint).json("ListStreams", {}).status == 200
    srv.stop()


def test_lifecycle_events_are_logged(make_server):
    srv = make_server()
    raw = helpers.RawClient(srv.endpoint)
    name = helpers.unique_name("life")
    arn = helpers.stream_arn(name)
    helpers.create_stream_raw(raw, name, shards=2)
    assert raw.json("IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 48}).status == 200
    assert raw.json("RegisterStreamConsumer", {"StreamARN": arn, "ConsumerName": "c1"}).status == 200
    assert raw.json("UpdateShardCount", {"StreamName": name, "TargetShardCount": 4,
                                         "ScalingType": "UNIFORM_SCALING"}).status == 200
    helpers.wait_active(raw, name)
    assert raw.json("UpdateStreamMode", {"StreamARN": arn,
                                         "StreamModeDetails": {"StreamMode": "ON_DEMAND"}}).status == 200
    helpers.wait_active(raw, name)
    assert raw.json("DeleteStream", {"StreamName": name, "EnforceConsumerDeletion": True}).status == 200
    helpers.wait_gone(raw, name)
    label = f"stream {name} ({helpers.ACCOUNT_ID}/{helpers.REGION})"
    expected = [
        f"{label} created: 2 shards, PROVISIONED",
        f"{label} retention period 24 h -> 48 h",
        f"{label}: consumer c1 registered",
        f"{label} resharded: 2 -> 4 open shards",
        f"{label} capacity mode PROVISIONED -> ON_DEMAND",
        f"{label} deleting",
        f"{label} deleted",
    ]
    helpers.poll_until(lambda: all(e in srv.log_path.read_text() for e in expected), timeout=10,
                       what=f"lifecycle log lines {expected}")
    # The restart's recovery summary counts what is left: nothing of the deleted stream.
    keep = helpers.unique_name("keep")
    helpers.create_stream_raw(raw, keep, shards=3)
    srv.restart()
    assert re.search(r"INFO recovered in \d+ ms: 1 streams, 3 shards \(3 open\), \d+ segments, \d+ bytes, "
                     r"\d+ batches replayed from the journal, 0 delivery streams", srv.log_path.read_text()), \
        srv.log_tail()
    srv.stop()
