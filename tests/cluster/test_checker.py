"""The cluster checker (cluster_history.check) against made-up histories: each anomaly it names is
found, and a clean history passes. No cluster, no root: it runs everywhere in milliseconds."""

import cluster_history as ch

S0 = "shardId-000000000000"
BASE = (0x4B << 120) | ((1 << 23) << 64)     # version 'K', shard 0, the first exact stream epoch


def seq(offset):
    return BASE | (offset + 1)


def history(*acks, failed=()):
    h = ch.History()
    for rid, offset, node, t0, t1 in acks:
        h.ack(rid, S0, seq(offset), node, t0, t1)
    h.fail(list(failed), "ValidationException", True)
    return h


def clean():
    return history(("w0-0", 0, "n1", 1.0, 1.1), ("w0-1", 1, "n1", 1.2, 1.3))


def test_a_clean_history_passes_in_both_modes():
    h = clean()
    assert ch.check(h, {"cluster": {S0: [("w0-0", seq(0)), ("w0-1", seq(1))]}}, "cluster").ok
    assert ch.check(h, {"n1": {S0: [("w0-0", seq(0)), ("w0-1", seq(1))]}, "n2": {S0: []}}, "per-node").ok


def test_lost_duplicate_wrong_position_nonmonotonic_g1a():
    h = history(("w0-0", 0, "n1", 1.0, 1.1), ("w0-1", 1, "n1", 1.2, 1.3), ("w0-2", 2, "n1", 1.2, 1.3),
                failed=["w0-9"])
    reads = {"cluster": {S0: [("w0-0", seq(0)), ("w0-0", seq(3)), ("w0-2", seq(1)), ("w0-9", seq(0))]}}
    rep = ch.check(h, reads, "cluster")
    assert set(rep.counts) == {"lost", "duplicate", "wrong-position", "nonmonotonic", "G1a"}, rep


def test_two_records_acknowledged_at_one_sequence_number():
    h = history(("w0-0", 0, "n1", 1.0, 1.1), ("w1-0", 0, "n2", 1.0, 1.1))
    rep = ch.check(h, {"cluster": {S0: [("w0-0", seq(0))]}}, "cluster")
    assert rep.counts["inconsistent-offsets"] == 1
    # Per node, before replication, a later leader numbering from its own log is a known fact.
    rep = ch.check(h, {"n1": {S0: [("w0-0", seq(0))]}, "n2": {S0: [("w1-0", seq(0))]}}, "per-node")
    assert rep.ok and rep.facts["seq-reused-by-a-later-leader"] == 1


def test_epochs_an_ack_under_another_nodes_epoch_or_an_unknown_one():
    h = clean()
    reads = {"n1": {S0: [("w0-0", seq(0)), ("w0-1", seq(1))]}}
    leaderships = {S0: {9: "n1", 20: "n2"}}
    ok = ch.check(h, reads, "per-node", {"n1": {S0: [(0, 2, 9)]}}, leaderships)
    assert ok.ok, ok
    foreign = ch.check(h, reads, "per-node", {"n1": {S0: [(0, 1, 9), (1, 2, 20)]}}, leaderships)
    assert foreign.counts["two-leaders-one-epoch"] >= 1
    unknown = ch.check(h, reads, "per-node", {"n1": {S0: [(0, 2, 7)]}}, leaderships)
    assert unknown.counts["epoch-unknown"] == 2


def test_replicas_disagreeing_about_an_acknowledged_offset_is_a_fork():
    h = clean()
    reads = {"cluster": {S0: [("w0-0", seq(0)), ("w0-1", seq(1))]}}
    epochs = {"n1": {S0: [(0, 2, 9)]}, "n2": {S0: [(0, 1, 9), (1, 2, 20)]}}
    rep = ch.check(h, reads, "cluster", epochs, {S0: {9: "n1", 20: "n2"}})
    assert rep.counts["fork"] == 1


def test_an_ack_inside_a_no_quorum_window():
    h = history(("w0-0", 0, "n1", 1.0, 1.1), ("w0-1", 1, "n1", 5.0, 5.2))
    reads = {"cluster": {S0: [("w0-0", seq(0)), ("w0-1", seq(1))]}}
    rep = ch.check(h, reads, "cluster", no_ack_windows=[(4.0, 9.0)])
    assert rep.counts == {"ack-without-quorum": 1}


def test_a_deposed_leader_acknowledging_after_its_successor_did():
    # w0-1 went to n1 (epoch 9) after n2 (epoch 20) had already acknowledged w1-0.
    h = ch.History()
    h.ack("w0-0", S0, seq(0), "n1", 1.0, 1.1)
    h.ack("w1-0", S0, seq(1), "n2", 2.0, 2.1)
    h.ack("w0-1", S0, seq(2), "n1", 2.5, 2.6)
    reads = {"cluster": {S0: [("w0-0", seq(0)), ("w1-0", seq(1)), ("w0-1", seq(2))]}}
    leaderships = {S0: {9: "n1", 20: "n2"}}
    stale = {"n1": {S0: [(0, 1, 9), (1, 2, 20), (2, 3, 9)]}}
    assert ch.check(h, reads, "cluster", stale, leaderships).counts["stale-epoch-ack"] == 1
    fine = {"n1": {S0: [(0, 1, 9), (1, 3, 20)]}}
    assert ch.check(h, reads, "cluster", fine, leaderships).ok
