#!/usr/bin/env python3
"""Where a durable put's latency goes, from two scrapes of spated's /metrics.

    curl -s http://127.0.0.1:PORT/metrics > before.txt
    ... run the load (e.g. spate_loadgen put --rate R ...) ...
    curl -s http://127.0.0.1:PORT/metrics > after.txt
    bench/profile/ack_stages.py before.txt after.txt

Prints, for the acknowledged batches between the two scrapes, each stage of
spate_storage_append_stage_seconds (admit, queued, write, sync, acknowledge),
the fdatasyncs, and the server-side PutRecord latency: count, mean, and p50 /
p99 / p99.9 interpolated within the buckets (so only as fine as they are), and
how many exceeded 5, 10 and 20 ms. The stage whose tail matches the request
tail is the one that owns it.
"""
import re
import sys


def load(path):
    samples = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, value = line.rsplit(" ", 1)
            samples[key] = float(value)
    return samples


def buckets(before, after, name, selector):
    out = []
    for key, value in after.items():
        if key.startswith(name + "_bucket{") and selector in key:
            le = re.search(r'le="([^"]+)"', key).group(1)
            out.append((float("inf") if le == "+Inf" else float(le), value - before.get(key, 0)))
    out.sort()
    return out


def quantile(bk, q):
    total = bk[-1][1] if bk else 0
    if total == 0:
        return 0.0
    target, prev_le, prev_count = q * total, 0.0, 0.0
    for le, count in bk:
        if count >= target:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * (target - prev_count) / max(1e-9, count - prev_count)
        prev_le, prev_count = le, count
    return prev_le


def above(bk, bound):
    """How many exceeded `bound` (a bucket bound), as text; "-" if it is no bound."""
    total = bk[-1][1] if bk else 0
    for le, count in bk:
        if le == bound:
            return f"{total - count:.0f}"
    return "-"


def show(label, before, after, name, selector=""):
    bk = buckets(before, after, name, selector)
    if not bk:
        return
    total = bk[-1][1]
    sums = [k for k in after if k.startswith(name + "_sum") and selector in k]
    seconds = sum(after[k] - before.get(k, 0) for k in sums)
    ms = lambda s: f"{1000 * s:8.3f}"
    print(f"{label:22} n={total:9.0f} mean={ms(seconds / max(1, total))} p50={ms(quantile(bk, 0.5))} "
          f"p99={ms(quantile(bk, 0.99))} p99.9={ms(quantile(bk, 0.999))} ms   "
          f">5ms {above(bk, 0.005)}  >10ms {above(bk, 0.01)}  >20ms {above(bk, 0.02)}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    before, after = load(sys.argv[1]), load(sys.argv[2])
    for stage in ("admit", "queued", "write", "sync", "acknowledge"):
        show(stage, before, after, "spate_storage_append_stage_seconds", f'stage="{stage}"')
    show("fdatasync", before, after, "spate_storage_fdatasync_seconds")
    show("PutRecord (server)", before, after, "spate_kinesis_put_record_latency_seconds")
    for counter in ("commit_rounds_total", "fdatasyncs_total", "journal_switches_total", "writeback_hints_total"):
        key = "spate_storage_" + counter
        print(f"{key} {after.get(key, 0) - before.get(key, 0):.0f}")


if __name__ == "__main__":
    main()
