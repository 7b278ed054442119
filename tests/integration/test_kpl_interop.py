"""KPL aggregation interoperability: Spate's aggregator (build/spate-kpl, on src/kpl/) against the reference
aws-kinesis-agg npm library (js/kpl_interop.mjs), in both directions, byte for byte on data and keys.

No server is involved: these check the wire format (docs/formats/kpl-aggregation.md) itself."""

import base64
import random
import subprocess

import pytest

from conftest import REPO_ROOT
import helpers

SPATE_KPL = REPO_ROOT / "build" / "spate-kpl"
TIMEOUT_S = 60
MAX_HASH_KEY = 2**128 - 1


def _run(cmd, lines):
    text = "".join(f"{pk}\t{ehk}\t{base64.b64encode(data).decode()}\n" for pk, ehk, data in lines)
    p = subprocess.run(cmd, input=text.encode(), capture_output=True, timeout=TIMEOUT_S)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    out = []
    for line in p.stdout.decode().splitlines():
        fields = line.split("\t")
        fields[2] = base64.b64decode(fields[2])
        out.append(fields)
    return out


def spate_kpl(mode, lines, *args):
    if not SPATE_KPL.exists():
        pytest.fail(f"{SPATE_KPL} is missing: build it with `ninja -C build spate-kpl`")
    return _run([str(SPATE_KPL), mode, *args], lines)


def agg_js(node, mode, lines):
    return _run([node, str(helpers.JS_DIR / "kpl_interop.mjs"), mode], lines)


def user_records(n, seed, with_ehk=True):
    """n user records: binary data of 0..300 bytes, 25 partition keys (some non-ASCII), some explicit hash keys."""
    rnd = random.Random(seed)
    keys = [f"key-{i}" for i in range(22)] + ["ключ", "clé-ü", "鍵"]
    out = []
    for _ in range(n):
        ehk = str(rnd.randrange(MAX_HASH_KEY + 1)) if with_ehk and rnd.random() < 0.2 else ""
        out.append((rnd.choice(keys), ehk, rnd.randbytes(rnd.randrange(301))))
    return out


def check_deaggregated(got, sent, ehk_defaults_to_first=False):
    """`got` (pk, ehk, data, sub) rows against the user records `sent`, in order."""
    assert len(got) == len(sent)
    for (pk, ehk, data, _sub), (spk, sehk, sdata) in zip(got, sent):
        assert data == sdata
        assert pk == spk
        if sehk or not ehk_defaults_to_first:
            # aws-kinesis-agg reads an absent explicit_hash_key_index as 0, so it reports the table's first
            # key for records that had none; where a record had its own, both readers must agree exactly.
            assert ehk == sehk


def test_spate_aggregates_aws_kinesis_agg_deaggregates(kinesis_agg):
    sent = user_records(3000, seed=1)
    kinesis_records = spate_kpl("aggregate", sent)
    assert 1 < len(kinesis_records) < 100        # ~330 KB in aggregates of at most 51,200 bytes
    assert all(len(data) <= 51200 for _pk, _ehk, data in kinesis_records)
    got = agg_js(kinesis_agg, "deaggregate", kinesis_records)
    check_deaggregated(got, sent, ehk_defaults_to_first=True)
    # Sub-sequence numbers restart at 0 in each Kinesis record and count up.
    subs = [int(row[3]) for row in got]
    assert subs.count(0) == len(kinesis_records)
    assert all(b == 0 or b == a + 1 for a, b in zip(subs, subs[1:]))


def test_aws_kinesis_agg_aggregates_spate_deaggregates(kinesis_agg):
    sent = user_records(3000, seed=2)
    kinesis_records = agg_js(kinesis_agg, "aggregate", sent)
    assert len(kinesis_records) == 1          # ~450 KB: under aws-kinesis-agg's 1 MiB aggregate
    got = spate_kpl("deaggregate", kinesis_records)
    check_deaggregated(got, sent)
    assert [int(row[3]) for row in got] == list(range(len(sent)))


def test_both_aggregators_write_the_same_bytes(kinesis_agg):
    """Same user records, one aggregate each side: the blobs are identical (tables, indexes, field order, MD5)."""
    sent = user_records(200, seed=3)
    ours = spate_kpl("aggregate", sent, str(1024 * 1024))
    theirs = agg_js(kinesis_agg, "aggregate", sent)
    assert len(ours) == 1 and len(theirs) == 1
    assert ours[0][2] == theirs[0][2]
    assert ours[0][0] == theirs[0][0] == sent[0][0]    # the first record's partition key


def test_plain_records_pass_through_both_readers(kinesis_agg):
    sent = [("plain", "", b"not aggregated"), ("p2", "5", b"\xf3\x89\x9a\xc2 magic but no checksum")]
    ours = spate_kpl("deaggregate", sent)
    assert [(r[0], r[1], r[2], r[3]) for r in ours] == [("plain", "", b"not aggregated", "0"),
                                                        ("p2", "5", sent[1][2], "0")]
    theirs = agg_js(kinesis_agg, "deaggregate", sent[:1])
    assert [(r[0], r[2]) for r in theirs] == [("plain", b"not aggregated")]


def test_a_record_too_big_to_aggregate_goes_out_plain_and_reads_back(kinesis_agg):
    sent = [("small", "", b"s" * 10), ("big", "", b"B" * 60000), ("small", "", b"t" * 10)]
    kinesis_records = spate_kpl("aggregate", sent)
    assert [r[2] for r in kinesis_records][1] == b"B" * 60000      # alone and unwrapped
    got = agg_js(kinesis_agg, "deaggregate", kinesis_records)
    check_deaggregated(got, sent, ehk_defaults_to_first=True)
