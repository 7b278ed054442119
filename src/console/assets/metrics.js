// Live numbers from GET /metrics (the Prometheus text format, docs/metrics.md):
// the page scrapes it every second and computes rates itself from the
// counters' differences, as Prometheus' rate() would.

// Parses the text exposition format into [{name, labels, value}]; comment
// lines and malformed lines are skipped.
export function parsePrometheus(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (line === "" || line[0] === "#") continue;
    let i = 0;
    while (i < line.length && line[i] !== "{" && line[i] !== " ") i++;
    const name = line.slice(0, i);
    const labels = {};
    if (line[i] === "{") {
      i++;
      while (i < line.length && line[i] !== "}") {
        const eq = line.indexOf("=", i);
        if (eq < 0 || line[eq + 1] !== '"') break;
        const key = line.slice(i, eq).trim();
        let j = eq + 2;
        let value = "";
        while (j < line.length && line[j] !== '"') {
          if (line[j] === "\\" && j + 1 < line.length) {
            const c = line[j + 1];
            value += c === "n" ? "\n" : c;
            j += 2;
          } else {
            value += line[j++];
          }
        }
        labels[key] = value;
        i = j + 1;
        if (line[i] === ",") i++;
      }
      i++;
    }
    const rest = line.slice(i).trim().split(/\s+/)[0];
    const value = Number(rest === "+Inf" ? Infinity : rest === "-Inf" ? -Infinity : rest);
    if (name && !Number.isNaN(value)) out.push({ name, labels, value });
  }
  return out;
}

// Sum of the samples of `name` whose labels include every pair of `match`.
export function sumOf(samples, name, match) {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    let ok = true;
    for (const k in match) {
      if (s.labels[k] !== match[k]) {
        ok = false;
        break;
      }
    }
    if (ok) total += s.value;
  }
  return total;
}

// What the stream charts plot, per stream (labels account, region, stream_name).
export const STREAM_SERIES = {
  inBytes: "spate_kinesis_incoming_bytes_total",
  inRecords: "spate_kinesis_incoming_records_total",
  outBytes: "spate_kinesis_get_records_bytes_total",
  outRecords: "spate_kinesis_get_records_records_total",
  // Enhanced fan-out pushes, summed over the stream's consumers.
  fanBytes: "spate_kinesis_subscribe_to_shard_event_bytes_total",
  fanRecords: "spate_kinesis_subscribe_to_shard_event_records_total",
  ageSum: "spate_kinesis_get_records_iterator_age_seconds_sum",
  ageCount: "spate_kinesis_get_records_iterator_age_seconds_count",
};

// Turns successive scrapes of one stream's counters into per-second rates.
// Keeps the last `capacity` points: {t (s), inBytes, outBytes, fanBytes,
// inRecords, outRecords, fanRecords (per second), iteratorAgeMs (mean over the interval, null when
// no GetRecords ran)}. A counter that went down (the server restarted)
// gives a gap, not a negative rate.
export class RateSeries {
  constructor(capacity = 300) {
    this.capacity = capacity;
    this.previous = null;
    this.points = [];
  }

  add(tSeconds, counters) {
    const prev = this.previous;
    this.previous = { t: tSeconds, counters };
    if (!prev || tSeconds <= prev.t) return null;
    const dt = tSeconds - prev.t;
    const rate = (key) => {
      const d = counters[key] - prev.counters[key];
      return d < 0 ? null : d / dt;
    };
    const calls = counters.ageCount - prev.counters.ageCount;
    const ageSum = counters.ageSum - prev.counters.ageSum;
    const point = {
      t: tSeconds,
      inBytes: rate("inBytes"),
      outBytes: rate("outBytes"),
      fanBytes: rate("fanBytes"),
      inRecords: rate("inRecords"),
      outRecords: rate("outRecords"),
      fanRecords: rate("fanRecords"),
      iteratorAgeMs: calls > 0 && ageSum >= 0 ? (ageSum / calls) * 1000 : null,
    };
    this.points.push(point);
    if (this.points.length > this.capacity) this.points.shift();
    return point;
  }

  column(key) {
    return this.points.map((p) => p[key]);
  }
}

export async function scrape() {
  const r = await fetch("/metrics", { cache: "no-store", credentials: "omit" });
  if (!r.ok) throw new Error(`GET /metrics: HTTP ${r.status}`);
  return parsePrometheus(await r.text());
}
