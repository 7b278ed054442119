"""HTTPS on --tls-port: ALPN h2 and http/1.1, real clients over TLS, the plain port unchanged.

The certificate is a throwaway self-signed one made with the openssl CLI at test time (never committed).
"""

import json
import shutil
import socket
import ssl
import subprocess

import boto3
import pytest
from botocore.config import Config

import helpers
from conftest import FUNCTIONAL_ARGS, SPATED_BIN, SpatedServer, _require_binary


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.fail("the openssl CLI is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, tls_files):
    _require_binary()
    cert, key = tls_files
    base = tmp_path_factory.mktemp("spated-tls")
    srv = SpatedServer(base / "data", base, extra_args=[*FUNCTIONAL_ARGS, "--tls-port", "0", "--tls-cert", str(cert),
                                                        "--tls-key", str(key)])
    srv.start()
    assert srv.tls_port and srv.tls_port != srv.port
    yield srv
    srv.stop()


def https(srv):
    return f"https://127.0.0.1:{srv.tls_port}"


def alpn(srv, offered):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(offered)
    with socket.create_connection(("127.0.0.1", srv.tls_port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            return t.selected_alpn_protocol(), t.version()


def test_alpn_offers_h2_then_http11(tls_server):
    assert alpn(tls_server, ["h2", "http/1.1"]) == ("h2", alpn(tls_server, ["h2"])[1])
    assert alpn(tls_server, ["http/1.1", "h2"])[0] == "h2"   # the server's preference
    assert alpn(tls_server, ["http/1.1"])[0] == "http/1.1"
    assert alpn(tls_server, ["spdy/3"])[0] is None          # no common protocol: no ALPN, still served
    assert alpn(tls_server, ["h2"])[1] in ("TLSv1.2", "TLSv1.3")


def test_boto3_over_https_and_plain_port_still_serves(tls_server):
    session = boto3.session.Session(aws_access_key_id=helpers.ACCESS_KEY_ID,
                                    aws_secret_access_key=helpers.SECRET_ACCESS_KEY, region_name=helpers.REGION)
    client = session.client("kinesis", endpoint_url=https(tls_server), verify=False,
                            config=Config(retries={"max_attempts": 1}))
    name = helpers.unique_name("tls")
    client.create_stream(StreamName=name, ShardCount=1)
    helpers.poll_until(lambda: client.describe_stream_summary(StreamName=name)
                       ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE")
    client.put_record(StreamName=name, Data=b"over tls" * 1000, PartitionKey="k")
    it = client.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in client.get_records(ShardIterator=it)["Records"]] == [b"over tls" * 1000]
    # The same stream through the plain port.
    plain = helpers.RawClient(tls_server.endpoint)
    assert name in plain.json("ListStreams", {}).json()["StreamNames"]
    client.delete_stream(StreamName=name)


@pytest.mark.parametrize("flag,version", [("--http2", "2"), ("--http1.1", "1.1")])
def test_curl_over_tls(tls_server, flag, version):
    if shutil.which("curl") is None:
        pytest.fail("curl is needed")
    body = b"{}"
    headers = helpers.sigv4_headers(f"127.0.0.1:{tls_server.tls_port}", body,
                                    {"Content-Type": helpers.JSON_CONTENT_TYPE,
                                     "X-Amz-Target": f"{helpers.TARGET_PREFIX}.ListStreams"})
    args = ["curl", "-sS", "-k", flag, "-o", "-", "-w", "\n%{http_version} %{http_code}", "--data-binary", "{}"]
    for k, v in headers.items():
        if k.lower() not in ("content-length", "host"):
            args += ["-H", f"{k}: {v}"]
    p = subprocess.run(args + [https(tls_server) + "/"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out, status_line = p.stdout.rsplit("\n", 1)
    assert status_line == f"{version} 200", (status_line, out)
    assert "StreamNames" in json.loads(out)


def test_node_http2_client_over_tls(tls_server, node_bin):
    script = r"""
const http2 = require('node:http2');
const [url, headersJson] = process.argv.slice(1);
const s = http2.connect(url, { rejectUnauthorized: false });
s.on('error', (e) => { console.error(e); process.exit(3); });
const h = { ':method': 'POST', ':path': '/' };
for (const [k, v] of Object.entries(JSON.parse(headersJson))) {
  if (k.toLowerCase() === 'host') h[':authority'] = v; else h[k.toLowerCase()] = v;
}
const req = s.request(h);
let status = 0; const chunks = [];
req.on('response', (hs) => { status = hs[':status']; });
req.on('data', (c) => chunks.push(c));
req.on('end', () => {
  console.log(JSON.stringify({ status, alpn: s.alpnProtocol, body: Buffer.concat(chunks).toString() }));
  s.close();
});
req.end('{}');
setTimeout(() => { console.error('timeout'); process.exit(4); }, 20000).unref();
"""
    headers = helpers.sigv4_headers(f"127.0.0.1:{tls_server.tls_port}", b"{}",
                                    {"Content-Type": helpers.JSON_CONTENT_TYPE,
                                     "X-Amz-Target": f"{helpers.TARGET_PREFIX}.ListStreams"})
    headers.pop("Content-Length", None)
    p = subprocess.run([node_bin, "-e", script, https(tls_server), json.dumps(headers)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert (out["status"], out["alpn"]) == (200, "h2")
    assert "StreamNames" in json.loads(out["body"])


def test_js_sdk_over_tls(tls_server, node_bin, js_deps, tmp_path, monkeypatch):
    # The SDK's default NodeHttp2Handler negotiates h2 by ALPN on https://.
    monkeypatch.setenv("NODE_TLS_REJECT_UNAUTHORIZED", "0")
    drv = helpers.JsDriver(node_bin, https(tls_server), tmp_path / "js-tls.log")
    try:
        name = helpers.unique_name("tls-js")
        drv.call("CreateStream", StreamName=name, ShardCount=1)
        helpers.poll_until(lambda: drv.call("DescribeStreamSummary", StreamName=name)
                           ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE")
        drv.call("PutRecord", StreamName=name, Data=b"js over h2+tls", PartitionKey="k")
        assert name in drv.call("ListStreams")["StreamNames"]
        assert drv.stats()["h2Sessions"] >= 4
        drv.call("DeleteStream", StreamName=name)
    finally:
        drv.close()


def test_handshake_garbage_does_not_hurt_others(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.tls_port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")   # plain HTTP on the TLS port
        s.settimeout(10)
        try:
            s.recv(100)
        except (ConnectionResetError, socket.timeout):
            pass
    assert alpn(tls_server, ["h2", "http/1.1"])[0] == "h2"


def test_bad_key_file_fails_start_up(tmp_path, tls_files):
    _require_binary()
    cert, _ = tls_files
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key\n")
    p = subprocess.run([str(SPATED_BIN), "--port", "0", "--data-dir", str(tmp_path / "d"),
                        "--tls-port", "0", "--tls-cert", str(cert), "--tls-key", str(bad)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "TLS key" in p.stdout + p.stderr
    p = subprocess.run([str(SPATED_BIN), "--tls-port", "0"], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "go together" in p.stdout + p.stderr
