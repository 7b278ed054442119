"""JS SDK v3 specifics: it really speaks HTTP/2 (h2c prior knowledge), a whole scenario in one node
process, and several requests multiplexed on one raw HTTP/2 session.

(The JS SDK also runs every parameterised scenario of the other files through js/driver.mjs.)
"""

import base64
import json
import subprocess

import helpers
from helpers import ACCOUNT_ID, JS_DIR, rnf_message, shard_id

NODE_TIMEOUT_S = 120


def _run_node(node_bin, script, *args):
    p = subprocess.run([node_bin, str(JS_DIR / script), *map(str, args)], cwd=str(JS_DIR),
                       capture_output=True, text=True, timeout=NODE_TIMEOUT_S)
    assert p.returncode == 0, f"{script} exited {p.returncode}\nstdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}"
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_js_sdk_talks_http2(drivers):
    js = drivers.get("js")
    assert js.handler == "NodeHttp2Handler", f"the SDK's default handler should be HTTP/2, got {js.handler}"
    before = js.stats()
    js.call("ListStreams", Limit=1)
    js.call("DescribeLimits")
    after = js.stats()
    assert after["h2Sessions"] > before["h2Sessions"], "no HTTP/2 session was opened"
    assert after["http1Requests"] == 0, "the JS SDK fell back to HTTP/1.1"


def test_js_lifecycle_scenario_script(node_bin, js_deps, server, raw, new_name):
    name = new_name("jsscenario")
    out = _run_node(node_bin, "scenario_lifecycle.mjs", server.endpoint, name)
    assert out["ok"], out.get("fatal")
    assert out["handler"] == "NodeHttp2Handler"
    assert out["statuses"][-1] == "GONE" and "ACTIVE" in out["statuses"]
    assert out["summary"]["arn"] == helpers.stream_arn(name)
    assert out["summary"]["openShards"] == 2 and out["summary"]["retention"] == 24
    assert [(s["id"], int(s["start"]), int(s["end"])) for s in out["shards"]] == [
        (shard_id(i), lo, hi) for i, (lo, hi) in enumerate(helpers.expected_hash_ranges(2))]

    assert out["put"]["failed"] == 0
    puts = [out["put"]["single"]] + out["put"]["batch"]
    read = {r["seq"]: r for r in out["read"]}
    assert len(read) == len(puts) == 21
    keys = ["single"] + [f"pk-{i}" for i in range(20)]
    datas = [bytes([0, 1, 2, 253, 254, 255])] + [f"js-{i}".encode() for i in range(20)]
    for p, key, data in zip(puts, keys, datas):
        r = read[p["seq"]]
        assert r["shard"] == p["shard"] == helpers.shard_for_hash(
            [{"ShardId": s["id"], "HashKeyRange": {"StartingHashKey": s["start"], "EndingHashKey": s["end"]},
              "SequenceNumberRange": {}} for s in out["shards"]], helpers.hash_key(key))
        assert r["key"] == key and base64.b64decode(r["data"]) == data
        assert isinstance(r["arrival"], (int, float)) and r["arrival"] > 0

    errors = out["errors"]
    assert errors["duplicateCreate"]["type"] == "ResourceInUseException"
    assert errors["duplicateCreate"]["message"] == f"Stream {name} under account {ACCOUNT_ID} already exists."
    assert errors["missingStream"]["type"] == "ResourceNotFoundException"
    assert errors["missingStream"]["message"] == rnf_message(f"{name}-missing")
    assert errors["badIterator"]["type"] == "InvalidArgumentException"
    assert errors["badName"]["type"] == "ValidationException"
    for label, e in errors.items():
        assert e["httpStatus"] == 400, label
        assert e["requestId"], label
    for label in ("duplicateCreate", "missingStream", "badIterator"):
        assert errors[label]["instanceOk"], f"{label}: SDK did not map __type to its exception class"


def test_h2c_multiplexed_requests_on_one_session(node_bin, js_deps, server, raw, make_stream, tmp_path):
    name = make_stream(1, "h2mux")
    plan = [("ListStreams", {"Limit": 5}), ("DescribeStreamSummary", {"StreamName": name})]
    plan += [("PutRecord", {"StreamName": name, "Data": base64.b64encode(f"mux-{i}".encode()).decode(),
                            "PartitionKey": f"k{i}"}) for i in range(8)]
    plan += [("DescribeStream", {"StreamName": name + "-missing"})]
    requests = []
    for op, params in plan:
        body = json.dumps(params).encode()
        headers = helpers.sigv4_headers(raw.host_port, body, {
            "Content-Type": helpers.JSON_CONTENT_TYPE, "X-Amz-Target": f"{helpers.TARGET_PREFIX}.{op}"})
        requests.append({"headers": headers, "body": base64.b64encode(body).decode()})
    req_file = tmp_path / "requests.json"
    req_file.write_text(json.dumps(requests))

    results = _run_node(node_bin, "h2_raw.mjs", server.endpoint, req_file)
    assert len(results) == len(plan)
    for (op, _), res in zip(plan, results):
        assert res["headers"].get("x-amzn-requestid"), op
        body = json.loads(base64.b64decode(res["body"]) or b"{}")
        if op == "DescribeStream":
            assert res["status"] == 400 and body["__type"] == "ResourceNotFoundException"
        else:
            assert res["status"] == 200, (op, body)
    summary = json.loads(base64.b64decode(results[1]["body"]))["StreamDescriptionSummary"]
    assert summary["StreamName"] == name
    seqs = [json.loads(base64.b64decode(r["body"]))["SequenceNumber"] for r in results[2:10]]
    assert len(set(seqs)) == 8
    stored = helpers.read_shard(helpers.RawJsonDriver(server.endpoint), name, shard_id(0))
    assert sorted(r["Data"] for r in stored) == sorted(f"mux-{i}".encode() for i in range(8))
