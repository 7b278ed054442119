"""Turns bench/suite.py's results.json into report.md and gnuplot PNGs.

Figures are medians over repetitions; a ratio is the median of the ratios
computed within each repetition (same minutes of the same machine), never a
ratio of medians taken at different times.

  /usr/bin/python3 bench/report.py results/bench-.../results.json   # re-render
"""

import json
import os
import shutil
import statistics
import subprocess
import sys

SERVERS = [("spate", "Spate"), ("kinesalite-mem", "kinesalite (memory)"), ("kinesalite-disk", "kinesalite --path"),
           ("kinesis-local", "kinesis-mock")]
PEERS = [s for s, _ in SERVERS[1:]]

# scenario, what it is, metric key, unit
THROUGHPUT = [
    ("put_c1", "PutRecord 100 B, 1 connection", "req_per_s", "rec/s"),
    ("put_c8", "PutRecord 100 B, 8 connections", "req_per_s", "rec/s"),
    ("put_c64", "PutRecord 100 B, 64 connections", "req_per_s", "rec/s"),
    ("put_c50", "PutRecord 100 B, 50 connections", "req_per_s", "rec/s"),
    ("put_h2_8x8", "PutRecord 100 B, HTTP/2 8 conn x 8 streams", "req_per_s", "rec/s"),
    ("putrecords_1k", "PutRecords 500 x 1 KiB, 8 conn, 16 shards", "mb_per_s", "MB/s"),
    ("putrecords_100b", "PutRecords 500 x 100 B, 8 conn, 16 shards", "records_per_s", "rec/s"),
    ("hot_shard", "One hot shard, PutRecords 500 x 1 KiB, 4 conn", "mb_per_s", "MB/s"),
    ("hot_shard", "One hot shard (records)", "records_per_s", "rec/s"),
    ("mixed_100x4", "100 streams x 4 shards, mixed, 32 conn", "req_per_s", "req/s"),
    ("getrecords_drain", "GetRecords drain of one shard", "mb_per_s", "MB/s"),
]
LATENCY = [
    ("put_c1", "PutRecord, 1 conn, closed loop"),
    ("put_c50_half_open", "PutRecord, 50 conn, open loop at half of its own saturation"),
    ("put_to_get", "Put -> GetRecords propagation, 100 rec/s"),
    ("put_to_push", "Put -> SubscribeToShard push, 100 rec/s (boto3)"),
]
FIO_SIZES = ("4k", "256k", "1m", "4m")


def fio_ceiling(res, prefix="append_"):
    """Per repetition: the best fio + fdatasync MB/s over the block sizes, of appends to a growing
    file (prefix "append_"; results before 2026-12-07 have none) or of rewrites of a 1 GiB file ("")."""
    by_rep = {}
    for bs in FIO_SIZES:
        for i, r in enumerate(res.get("disk", {}).get(f"{prefix}fdatasync_{bs}", [])):
            rep = r.get("rep", i)
            by_rep[rep] = max(by_rep.get(rep, 0), r["mb_per_s"])
    return [by_rep[k] for k in sorted(by_rep)]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def metric(results, server, scenario, key):
    runs = results.get(server, {}).get(scenario, [])
    out = []
    for r in runs:
        v = r
        for k in key.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        out.append(v)
    return out


def fmt(v, unit=""):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        s = f"{v:,.0f}"
    elif abs(v) >= 100:
        s = f"{v:.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}"
    return f"{s} {unit}".strip()


def ratio(results, a_server, scenario, key, b_servers, b_scenario=None, b_key=None, invert=False):
    """Median over repetitions of a / max(b) (or min(b)/a with invert=True for lower-is-better)."""
    a = metric(results, a_server, scenario, key)
    bs = [metric(results, b, b_scenario or scenario, b_key or key) for b in b_servers]
    per_rep = []
    for i, av in enumerate(a):
        peer_vals = [b[i] for b in bs if i < len(b) and b[i]]
        if av is None or not peer_vals:
            continue
        if invert:
            per_rep.append(min(peer_vals) / av if av else None)
        else:
            per_rep.append(av / max(peer_vals))
    return med(per_rep)


def write(data, out):
    res = data["results"]
    servers = [(s, label) for s, label in SERVERS if s in res]
    m = data["machine"]
    lines = []
    w = lines.append
    w(f"# Spate vs its peers ({'quick' if data['quick'] else 'full'} run)\n")
    w(f"Run {m['date']} at Spate {m['spate_commit']}; {data['reps']} repetition(s), {data['window_s']} s measured "
      f"window per scenario; the whole suite took {data['elapsed_s'] / 60:.1f} min.\n")
    w("| machine | |\n|---|---|")
    for k in ("cpu", "memory", "os", "kernel", "disk", "load_avg_at_start", "node", "kinesalite", "kinesis_local",
              "redis", "fio"):
        w(f"| {k.replace('_', ' ')} | {m.get(k, '')} |")
    w("")
    w("All servers run on loopback on this machine, one at a time, with the same load from `spate_loadgen` "
      "(which shares the 2 cores). Spate is durable (fdatasync before every acknowledgement)"
      f"{', limits off' if data.get('spate_limits_off') else ''}; kinesalite keeps records in memory or in LevelDB "
      "(`--path`, no fsync); kinesis-mock (npm `kinesis-local`) keeps them in memory. Figures are medians over repetitions; "
      "**Spate ÷ best peer** is the median of the per-repetition ratios against the fastest peer of that "
      "repetition.\n")

    # Throughput
    w("## Throughput\n")
    w("| scenario | " + " | ".join(label for _, label in servers) + " | Spate ÷ best peer |")
    w("|---|" + "---|" * (len(servers) + 1))
    for scen, title, key, unit in THROUGHPUT:
        if not any(scen in res.get(s, {}) for s, _ in servers):
            continue
        cells = [fmt(med(metric(res, s, scen, key)), unit) for s, _ in servers]
        r = ratio(res, "spate", scen, key, [p for p in PEERS if scen in res.get(p, {})])
        w(f"| {title} | " + " | ".join(cells) + f" | {fmt(r)}{'x' if r else ''} |")
    drained = {s: med([r.get("shard_mb") for r in res.get(s, {}).get("getrecords_drain", [])]) for s, _ in servers}
    w("\nShard size drained by GetRecords (preload capped by size and by time): " +
      ", ".join(f"{label} {fmt(drained[s], 'MB')}" for s, label in servers if drained.get(s)) + ".\n")

    # Latency
    w("## Latency (ms)\n")
    w("| scenario | server | p50 | p99 | p99.9 | max | achieved |")
    w("|---|---|---|---|---|---|---|")
    for scen, title in LATENCY:
        for s, label in servers:
            runs = res.get(s, {}).get(scen)
            if not runs:
                continue
            def g(q):
                v = med([r["lat_us"].get(q) for r in runs])
                return fmt(v / 1000 if v is not None else None)
            ach = med([r.get("req_per_s") if scen not in ("put_to_get", "put_to_push") else r.get("records_per_s")
                       for r in runs])
            late = sum(r.get("late", 0) for r in runs)
            w(f"| {title} | {label} | {g('p50')} | {g('p99')} | {g('p999')} | {g('max')} | {fmt(ach, '/s')}"
              f"{f' ({late} late)' if late else ''} |")
    if "redis" in res:
        runs = res["redis"]["xadd_c50_always"]
        w(f"| Redis XADD, 50 conn, closed loop | Redis 7 appendfsync always | "
          f"{fmt(med([r['lat_us']['p50'] for r in runs]) / 1000)} | {fmt(med([r['lat_us']['p99'] for r in runs]) / 1000)} | – | "
          f"{fmt(med([r['lat_us']['max'] for r in runs]) / 1000)} | {fmt(med([r['req_per_s'] for r in runs]), '/s')} |")
    w("")
    push = [(label, res[s]["put_to_push"]) for s, label in servers if res.get(s, {}).get("put_to_push")]
    if push:
        w("Fan-out, from the PutRecord acknowledgement (the producer's answer) to the event at the subscriber, ms:\n")
        w("| server | p50 | p99 | max | records pushed |")
        w("|---|---|---|---|---|")
        for label, runs in push:
            w(f"| {label} | {fmt(med([r['ack_to_push_ms']['p50'] for r in runs]))} | "
              f"{fmt(med([r['ack_to_push_ms']['p99'] for r in runs]))} | "
              f"{fmt(med([r['ack_to_push_ms']['max'] for r in runs]))} | "
              f"{sum(r['pushed'] for r in runs)} of {sum(r['records'] for r in runs)} |")
        w("")

    # Memory
    w("## Memory (peak RSS, VmHWM)\n")
    w("| | " + " | ".join(label for _, label in servers) + " |")
    w("|---|" + "---|" * len(servers))
    w("| same load: 100 records/s of 1 KiB for " + f"{2 * data['window_s']:.0f} s, fresh server | " +
      " | ".join(fmt(med(metric(res, s, "memory_same_load", "rss_mib")), "MiB") for s, _ in servers) + " |")
    w("| whole suite (each server's own load) | " +
      " | ".join(fmt(med(metric(res, s, "peak_rss", "rss_mib")), "MiB") for s, _ in servers) + " |")
    w("")

    # References
    w("## References on the same machine\n")
    if "redis" in res:
        w(f"- Redis {m.get('redis')} XADD (100 B field) with `appendfsync always`, 50 clients, no pipelining: "
          f"{fmt(med([r['req_per_s'] for r in res['redis']['xadd_c50_always']]), 'req/s')} (median).")
    for prefix, what in (("append_", "appending to a growing file"), ("", "rewriting a 1 GiB file")):
        for bs in FIO_SIZES:
            runs = res.get("disk", {}).get(f"{prefix}fdatasync_{bs}")
            if runs:
                w(f"- fio write + fdatasync, {what}, {bs} writes: "
                  f"{fmt(med([r['syncs_per_s'] for r in runs]), 'syncs/s')}, "
                  f"{fmt(med([r['mb_per_s'] for r in runs]), 'MB/s')}, fdatasync p50 "
                  f"{fmt(med([r['sync_p50_us'] for r in runs]), 'µs')}, "
                  f"p99 {fmt(med([r['sync_p99_us'] for r in runs]), 'µs')}.")
    w("")

    # Targets
    w("## Targets\n")
    w("| target | measured | met |")
    w("|---|---|---|")

    def target(name, value, goal, unit, higher=True):
        if value is None:
            w(f"| {name} | not measured | – |")
            return
        ok = value >= goal if higher else value <= goal
        miss = "" if ok else (f" (short by {100 * (1 - value / goal):.0f} %)" if higher
                              else f" (over by {100 * (value / goal - 1):.0f} %)")
        w(f"| {name} | {fmt(value, unit)} | {'yes' if ok else 'no' + miss} |")

    target("Durable PutRecords ingest ≥ 100 MB/s", med(metric(res, "spate", "putrecords_1k", "mb_per_s")), 100, "MB/s")
    ceiling = fio_ceiling(res)
    bulk = metric(res, "spate", "putrecords_1k", "mb_per_s")
    fractions = [b / c for b, c in zip(bulk, ceiling) if b is not None and c]
    target("Durable PutRecords 500 x 1 KiB ≥ 85 % of the disk's fdatasync ceiling (fio appending, same repetition)",
           med(fractions) and 100 * med(fractions), 85, "%")
    rewrite = [b / c for b, c in zip(bulk, fio_ceiling(res, "")) if b is not None and c]
    if rewrite:
        w(f"| Durable PutRecords 500 x 1 KiB as a share of fio rewriting a 1 GiB file (reported, no target) | "
          f"{fmt(100 * med(rewrite), '%')} | – |")
    target("PutRecords ≥ 20x the faster of kinesalite / kinesis-mock",
           ratio(res, "spate", "putrecords_1k", "mb_per_s", [p for p in PEERS if "putrecords_1k" in res.get(p, {})]),
           20, "x")
    if "redis" in res:
        target("PutRecord, 50 conn ≥ Redis appendfsync-always XADD (same repetition)",
               ratio(res, "spate", "put_c50", "req_per_s", ["redis"], "xadd_c50_always", "req_per_s"), 1, "x")
    p99 = med([r["lat_us"]["p99"] for r in res.get("spate", {}).get("put_c50_half_open", [])])
    target("PutRecord p99 at half that load ≤ 10 ms", p99 and p99 / 1000, 10, "ms", higher=False)
    p999 = med([r["lat_us"]["p999"] for r in res.get("spate", {}).get("put_c50_half_open", [])])
    if p999 is not None:
        w(f"| PutRecord p99.9 at half that load (reported, no target) | {fmt(p999 / 1000, 'ms')} | – |")
    target("GetRecords read ≥ 500 MB/s (page cache)", med(metric(res, "spate", "getrecords_drain", "mb_per_s")), 500, "MB/s")
    target("One hot shard ≥ 10 MB/s", med(metric(res, "spate", "hot_shard", "mb_per_s")), 10, "MB/s")
    target("One hot shard ≥ 10,000 records/s", med(metric(res, "spate", "hot_shard", "records_per_s")), 10000, "rec/s")
    for p in PEERS:
        if "memory_same_load" in res.get(p, {}):
            label = dict(SERVERS)[p]
            target(f"Peak RSS at the same load below {label} (Spate ÷ peer)",
                   ratio(res, "spate", "memory_same_load", "rss_mib", [p]), 1, "x", higher=False)
    w("")
    if data["notes"]:
        w("## Notes\n")
        for n in data["notes"]:
            w(f"- {n}")
        w("")
    w("![throughput](throughput.png)\n\n![latency](latency.png)\n\n![memory](memory.png)\n")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(lines))
    plots(res, servers, out)


def plots(res, servers, out):
    if not shutil.which("gnuplot"):
        return
    # Throughput in records/s (log scale), one cluster per scenario.
    scen = [("put_c1", "req_per_s", "PutRecord c1"), ("put_c8", "req_per_s", "PutRecord c8"),
            ("put_c64", "req_per_s", "PutRecord c64"), ("putrecords_1k", "records_per_s", "PutRecords 1KiB"),
            ("putrecords_100b", "records_per_s", "PutRecords 100B"), ("hot_shard", "records_per_s", "hot shard"),
            ("mixed_100x4", "req_per_s", "100x4 mixed (req)"), ("getrecords_drain", "records_per_s", "GetRecords drain")]
    with open(os.path.join(out, "throughput.dat"), "w") as f:
        f.write("scenario " + " ".join(f'"{l}"' for _, l in servers) + "\n")
        for s, key, title in scen:
            f.write(f'"{title}" ' + " ".join(str(med(metric(res, srv, s, key)) or 0.001) for srv, _ in servers) + "\n")
    with open(os.path.join(out, "latency.dat"), "w") as f:
        f.write("q " + " ".join(f'"{l}"' for _, l in servers) + "\n")
        for q, title in (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9"), ("max", "max")):
            vals = [med([r["lat_us"].get(q) for r in res.get(srv, {}).get("put_c50_half_open", [])]) for srv, _ in servers]
            f.write(f'"{title}" ' + " ".join(str((v or 0) / 1000 or 0.001) for v in vals) + "\n")
    with open(os.path.join(out, "memory.dat"), "w") as f:
        f.write("what " + " ".join(f'"{l}"' for _, l in servers) + "\n")
        for s, title in (("memory_same_load", "same load"), ("peak_rss", "whole suite")):
            f.write(f'"{title}" ' + " ".join(str(med(metric(res, srv, s, "rss_mib")) or 0) for srv, _ in servers) + "\n")
    n = len(servers)
    common = ("set terminal pngcairo size 1100,520 noenhanced font ',10'\nset style data histogram\n"
              "set style histogram cluster gap 1\nset style fill solid 0.85 border -1\nset key top right\n"
              "set grid ytics\nset xtics rotate by -20\n")
    script = common + f"""
set output '{out}/throughput.png'
set title 'Throughput (records/s, log scale; median of repetitions)'
set logscale y
plot for [i=2:{n + 1}] '{out}/throughput.dat' using i:xtic(1) title columnheader(i)
unset logscale y
set output '{out}/latency.png'
set title 'PutRecord latency (ms, log scale), 50 connections, open loop at half of each server''s saturation'
set logscale y
plot for [i=2:{n + 1}] '{out}/latency.dat' using i:xtic(1) title columnheader(i)
unset logscale y
set output '{out}/memory.png'
set title 'Peak RSS (MiB)'
plot for [i=2:{n + 1}] '{out}/memory.dat' using i:xtic(1) title columnheader(i)
"""
    with open(os.path.join(out, "plots.gp"), "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", os.path.join(out, "plots.gp")], check=False)


if __name__ == "__main__":
    path = sys.argv[1]
    with open(path) as f:
        write(json.load(f), os.path.dirname(os.path.abspath(path)))
