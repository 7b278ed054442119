"""The web console's Cluster page (#/cluster) in a real browser: headless Chromium (Debian `chromium`)
driven by puppeteer-core (js/console_cluster_check.mjs), against a real 3-node cluster (one etcd, three
spated: test_cluster.py's fixture) and against a single node.

The page shows what DescribeCluster (SpateCluster_20261207) answers, signed as the console's other calls:
every node (address, live, draining, leader count) and every shard of the cluster with its leader,
epoch, replicas, committed end and each follower's lag, whichever node leads it (the leaders publish
their progress in etcd). Its Drain and Undrain buttons drain a node (the node's row turns to leading
nothing) and undrain it. On a single node it says the server is not in cluster mode. No page may log a
console error.
"""

import json
import subprocess

import pytest

import helpers
from conftest import FUNCTIONAL_ARGS, _ensure_npm_package
from test_cluster import cluster, cluster_status, leaders, put_records_all, wait_active  # noqa: F401 (the fixture)
from test_console import chromium_path

BROWSER_TIMEOUT_S = 120
SHARDS = 3


def test_cluster_page_in_chromium(cluster, make_server, node_bin):  # noqa: F811
    chromium = chromium_path()
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (scripts/install-deps.sh --test installs it)")
    _ensure_npm_package("puppeteer-core")
    etcd, nodes, _ = cluster
    boto = helpers.make_boto3_client(nodes[0].endpoint)
    name = helpers.unique_name("clpage")
    boto.create_stream(StreamName=name, ShardCount=SHARDS)
    wait_active(boto, name)
    helpers.poll_until(lambda: len(leaders(etcd, name)) == SHARDS, what=f"{SHARDS} shard leaders")
    # A new leader admits writes once caught up: records refused meanwhile are sent again.
    put_records_all(boto, name, [{"Data": f"r{i}".encode(), "PartitionKey": f"k{i}"} for i in range(60)])
    single = make_server(extra_args=FUNCTIONAL_ARGS)

    cfg = {"chromium": chromium, "url": nodes[1].endpoint, "stream": name, "drain": "n1",
           "single": single.endpoint}
    proc = subprocess.run([node_bin, str(helpers.JS_DIR / "console_cluster_check.mjs"), json.dumps(cfg)],
                          cwd=helpers.JS_DIR, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    assert lines, f"console_cluster_check.mjs printed no result: {proc.stderr[-3000:]}"
    result = json.loads(lines[-1])
    assert "failure" not in result, result["failure"]
    assert result["errors"] == [], result["errors"]

    # Nodes: the three, live, at their addresses; n2 answered.
    nodes_seen = result["nodes"]
    assert set(nodes_seen) == {"n1", "n2", "n3"}
    for i, srv in enumerate(nodes, start=1):
        node, address, state, draining, leads, button = nodes_seen[f"n{i}"]
        assert node.startswith(f"n{i}") and address == f"127.0.0.1:{srv.port}", nodes_seen
        assert (state, draining, button) == ("Live", "no", "Drain")
        assert int(leads) >= 0
    assert "(answering)" in nodes_seen["n2"][0]
    assert result["summary"].startswith("3 of 3 nodes live") and "answered by n2" in result["summary"]

    # Shards: every shard of the stream, with the leader etcd names, its replicas, and a lag for each
    # follower, also for the shards n2 does not lead.
    shards = {s["shard"]: s["cells"] for s in result["shards"]}
    assert len(shards) == SHARDS
    led_by = {s["shard"]: s["cells"][2] for s in result["shards"]}
    assert set(led_by.values()) - {"n2"}, "every shard led by the answering node: the test shows nothing"
    for shard, (stream, shard_id, leader, epoch, replicas, committed, lag) in shards.items():
        assert stream == name and shard_id == shard
        assert leader in replicas.split(", ") and sorted(replicas.split(", ")) == ["n1", "n2", "n3"]
        assert int(epoch) > 0
        assert committed.endswith("B") and committed != "0 B", committed
        followers = dict(part.split(" ", 1) for part in lag.split(" · "))
        assert set(followers) == set(replicas.split(", ")) - {leader}, lag
    # `spate cluster status` through another node shows the same progress (polled: the drain and undrain
    # below move leaderships, and a new leadership reports once its first batch is committed).
    def progress_everywhere():
        mine = [s for s in cluster_status(nodes[2])["Shards"] if s["StreamName"] == name]
        return mine if len(mine) == SHARDS and all(s.get("CommittedEnd", 0) > 0 for s in mine) else None
    for s in helpers.poll_until(progress_everywhere, timeout=20, what="every shard's progress in n3's status"):
        assert s["LeaderEnd"] >= s["CommittedEnd"]
        assert {f["NodeId"] for f in s["FollowerDurableEnd"]} <= set(s["Replicas"]) - {s["Leader"]}
        assert all(f["LagBytes"] == max(0, s["LeaderEnd"] - f["DurableEnd"]) for f in s["FollowerDurableEnd"])

    # Drain and undrain through the page's buttons, each after a confirmation.
    assert result["drained"][3:6] == ["yes", "0", "Undrain"], result["drained"]
    assert all(s["cells"][2] != "n1" for s in result["shardsWhileDrained"]), result["shardsWhileDrained"]
    assert result["refreshed"]
    assert result["undrained"][3] == "no" and result["undrained"][5] == "Drain"
    assert [d.split("?")[0] for d in result["dialogs"]] == ["Drain n1", "Undrain n1"]
    assert result["banner"] == ""
    assert not any(n["Draining"] for n in cluster_status(nodes[0])["Nodes"])

    # A single node says so.
    single_page = result["single"]
    assert "not in cluster mode" in single_page["text"], single_page
    assert single_page["banner"] == "" and single_page["errors"] == [], single_page
