"""Spate's Parquet writer (src/firehose/parquet/) checked by an independent reader.

build/src/firehose/parquet/tests/parquet_convert_tool converts JSON records with the same converter and
writer Firehose uses; js/parquet_read.mjs reads the file back with the pinned npm `hyparquet` (a pure-JS
Parquet reader written apart from Spate; GZIP through `hyparquet-compressors`' own inflate, SNAPPY through
hyparquet's own decoder). Every Glue type the conversion writes is covered, under each codec, with small
pages and row groups so that files hold several of each. Expected values are computed here in Python.
"""

import datetime
import decimal
import json
import os
import random
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import _ensure_npm_package
import helpers

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = Path(os.environ.get("PARQUET_CONVERT_TOOL",
                           REPO_ROOT / "build" / "src" / "firehose" / "parquet" / "tests" / "parquet_convert_tool"))
TIMEOUT_S = 60
ROWS = 1500

COLUMNS = [
    ("s", "string"), ("b", "boolean"), ("t", "tinyint"), ("sm", "smallint"), ("i", "int"), ("bi", "bigint"),
    ("f", "float"), ("d", "double"), ("dec", "decimal(10,2)"), ("day", "date"), ("ts", "timestamp"),
]
EPOCH = datetime.date(1970, 1, 1)


@pytest.fixture(scope="module")
def tool():
    if not TOOL.exists():
        pytest.fail(f"{TOOL} not found: build it (`ninja -C build parquet_convert_tool`)", pytrace=False)
    return TOOL


@pytest.fixture(scope="module")
def reader(node_bin):
    _ensure_npm_package("hyparquet")
    _ensure_npm_package("hyparquet-compressors")
    return node_bin


@pytest.fixture(scope="module")
def glue_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("glue")
    (d / "db").mkdir()
    table = {"Table": {"Name": "all_types", "StorageDescriptor": {
        "Columns": [{"Name": n.upper() if n == "s" else n, "Type": t} for n, t in COLUMNS]}}}
    (d / "db" / "all_types.json").write_text(json.dumps(table))
    return d


def make_records():
    """Deterministic records with nulls, absent keys, extremes and non-ASCII text; (json lines, expected rows)."""
    rng = random.Random(7)
    lines, expected = [], []
    for k in range(ROWS):
        rec, exp = {}, {}
        def put(col, json_value, value):
            if rng.random() < 0.1:
                return  # absent: null
            if rng.random() < 0.05:
                rec[col] = None
                return
            rec[col] = json_value
            exp[col] = value
        s = rng.choice(["", "plain", "naïve ☃", "x" * rng.randint(0, 300), f"row-{k}"])
        put("S", s, s)
        b = rng.random() < 0.5
        put("b", b, b)
        t = rng.choice([-128, 127, 0, rng.randint(-128, 127)])
        put("t", t, t)
        sm = rng.choice([-32768, 32767, rng.randint(-32768, 32767)])
        put("sm", str(sm), sm)  # a numeric string is accepted for an integer column
        i = rng.choice([-2**31, 2**31 - 1, rng.randint(-2**31, 2**31 - 1)])
        put("i", i, i)
        bi = rng.choice([-2**63, 2**63 - 1, rng.randint(-2**63, 2**63 - 1)])
        put("bi", bi, str(bi))
        f = rng.uniform(-1e6, 1e6)
        put("f", f, struct.unpack("<f", struct.pack("<f", f))[0])
        d = rng.choice([0.0, -0.0, 1e-300, rng.uniform(-1e12, 1e12)])
        put("d", d, d)
        dec = decimal.Decimal(rng.randint(-10**10, 10**10)) / 1000  # three places: rounds half up to two
        put("dec", str(dec), float(dec.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)))
        day = EPOCH + datetime.timedelta(days=rng.randint(-30000, 30000))
        put("day", day.isoformat(), (day - EPOCH).days)
        secs = rng.randint(-2**31, 2**33)
        nanos = rng.randint(0, 999_999_999)
        form = rng.randrange(3)
        when = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
        if form == 0:
            put("ts", when.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z", str(secs * 10**9 + nanos))
        elif form == 1:
            put("ts", when.strftime("%Y-%m-%d %H:%M:%S") + f".{nanos // 1000:06d}", str(secs * 10**9 + nanos // 1000 * 1000))
        else:
            put("ts", secs, str(secs * 10**9))
        lines.append(json.dumps(rec, ensure_ascii=False))
        expected.append(exp)
    return lines, expected


def convert(tool, glue_dir, tmp_path, lines, codec, *flags):
    out = tmp_path / f"out-{codec}.parquet"
    p = subprocess.run([str(tool), "--glue-schema-dir", str(glue_dir), "--database", "db", "--table", "all_types",
                        "--codec", codec, "--out", str(out), *flags],
                       input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=TIMEOUT_S)
    assert p.returncode == 0, p.stderr
    return out, json.loads(p.stdout)


def read(reader, path):
    p = subprocess.run([reader, str(helpers.JS_DIR / "parquet_read.mjs"), str(path)], cwd=helpers.JS_DIR,
                       capture_output=True, text=True, timeout=TIMEOUT_S)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("codec", ["UNCOMPRESSED", "SNAPPY", "GZIP"])
def test_every_type_reads_back_with_hyparquet(tool, reader, glue_dir, tmp_path, codec):
    lines, expected = make_records()
    path, summary = convert(tool, glue_dir, tmp_path, lines, codec, "--page-size", "4096", "--block-size", "32768")
    assert summary == {"rows": ROWS, "failed": []}
    data = path.read_bytes()
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    got = read(reader, path)
    meta = got["metadata"]
    assert meta["num_rows"] == ROWS
    assert len(meta["row_groups"]) > 1, "the small block size should give several row groups"
    assert sum(rg["num_rows"] for rg in meta["row_groups"]) == ROWS
    assert {c["codec"] for rg in meta["row_groups"] for c in rg["columns"]} == {codec}
    leaves = {e["name"]: e for e in meta["schema"][1:]}
    assert [e["name"] for e in meta["schema"][1:]] == [n for n, _ in COLUMNS]
    assert all(e["repetition_type"] == "OPTIONAL" for e in leaves.values())
    assert leaves["s"]["converted_type"] == "UTF8" and leaves["s"]["type"] == "BYTE_ARRAY"
    assert leaves["t"]["converted_type"] == "INT_8" and leaves["sm"]["converted_type"] == "INT_16"
    assert leaves["dec"]["type"] == "FIXED_LEN_BYTE_ARRAY" and leaves["dec"]["type_length"] == 5
    assert (leaves["dec"]["precision"], leaves["dec"]["scale"]) == (10, 2)
    assert leaves["day"]["converted_type"] == "DATE" and leaves["ts"]["type"] == "INT96"

    rows = got["rows"]
    assert len(rows) == ROWS
    for k, (row, exp) in enumerate(zip(rows, expected)):
        for name, _ in COLUMNS:
            want = exp.get(name.upper() if name == "s" else name)
            have = row[name]
            if want is None:
                assert have is None, (k, name, have)
            elif name in ("f", "d"):
                assert have == want, (k, name, have, want)
            elif name == "dec":
                assert abs(have - want) <= 1e-9 * max(1.0, abs(want)), (k, name, have, want)
            else:
                assert have == want, (k, name, have, want)
    # null counts in the footer's statistics agree with the data
    for j, (name, _) in enumerate(COLUMNS):
        key = name.upper() if name == "s" else name
        nulls = sum(1 for e in expected if key not in e)
        assert sum(rg["columns"][j]["null_count"] for rg in meta["row_groups"]) == nulls, name


def test_failed_records_are_reported_and_skipped(tool, reader, glue_dir, tmp_path):
    lines = ['{"i": 1}', '[{"i": 2}]', '{"i": "x"}', '{"t": 300}', '{"i": 3}{"i": 4}', '{"i": ']
    path, summary = convert(tool, glue_dir, tmp_path, lines, "SNAPPY")
    assert summary["rows"] == 3
    assert len(summary["failed"]) == 4
    assert "array" in summary["failed"][0]
    got = read(reader, path)
    assert [r["i"] for r in got["rows"]] == [1, 3, 4]
