// The data viewer: records of one shard from a starting position, a page at
// a time, through GetShardIterator and GetRecords (as the AWS console's Data
// Viewer reads them), and their data shown as text, JSON or hex.

export function base64ToBytes(b64) {
  const bin = atob(b64 || "");
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

// A record's data for display. mode: "text" (UTF-8, invalid bytes as U+FFFD),
// "json" (pretty-printed; {error} when the data is not JSON), "hex" (a dump
// with offsets and the printable ASCII). At most `limit` bytes are shown.
export function formatData(bytes, mode, limit = 4096) {
  const shown = bytes.length > limit ? bytes.subarray(0, limit) : bytes;
  const more = bytes.length > limit ? `\n… ${bytes.length - limit} more bytes` : "";
  if (mode === "hex") {
    const lines = [];
    for (let off = 0; off < shown.length; off += 16) {
      const row = shown.subarray(off, off + 16);
      const hexPart = Array.from(row, (b) => b.toString(16).padStart(2, "0")).join(" ");
      const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
      lines.push(`${off.toString(16).padStart(8, "0")}  ${hexPart.padEnd(47)}  |${ascii}|`);
    }
    return { text: lines.join("\n") + more };
  }
  const text = utf8.decode(mode === "json" ? bytes : shown);
  if (mode === "json") {
    try {
      return { text: JSON.stringify(JSON.parse(text), null, 2) };
    } catch (e) {
      return { text: utf8.decode(shown) + more, error: "not JSON: " + e.message };
    }
  }
  return { text: text + more };
}

// The starting positions the viewer offers, as GetShardIterator types.
export const START_POSITIONS = [
  ["TRIM_HORIZON", "Trim horizon"],
  ["LATEST", "Latest"],
  ["AT_SEQUENCE_NUMBER", "At sequence number"],
  ["AFTER_SEQUENCE_NUMBER", "After sequence number"],
  ["AT_TIMESTAMP", "At timestamp"],
];

// How many empty GetRecords answers a page read goes through while the
// shard says there is more (MillisBehindLatest > 0) before it shows an empty
// page, and how long it waits between them (a shard allows 5 reads a second).
const MAX_EMPTY_READS = 5;
const READ_SPACING_MS = 220;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One browsing session of one shard. `start` is {type, sequenceNumber?, timestamp? (Date)}.
export class ShardReader {
  constructor(api, streamName, shardId, start, pageSize) {
    this.api = api;
    this.streamName = streamName;
    this.shardId = shardId;
    this.start = start;
    this.pageSize = pageSize;
    this.iterator = null;
    this.closed = false;
    this.millisBehindLatest = null;
  }

  async open() {
    const params = { StreamName: this.streamName, ShardId: this.shardId, ShardIteratorType: this.start.type };
    if (this.start.type.endsWith("SEQUENCE_NUMBER")) params.StartingSequenceNumber = this.start.sequenceNumber;
    if (this.start.type === "AT_TIMESTAMP") params.Timestamp = this.start.timestamp.getTime() / 1000;
    const r = await this.api.kinesis("GetShardIterator", params);
    this.iterator = r.ShardIterator;
  }

  // The next page: up to pageSize records, [] at the shard's tip (or at its
  // end when closed: then `closed` is true and no page follows).
  async nextPage() {
    if (this.iterator === null) await this.open();
    for (let attempt = 0; ; attempt++) {
      if (!this.iterator) {
        this.closed = true;
        return [];
      }
      const r = await this.api.kinesis("GetRecords", { ShardIterator: this.iterator, Limit: this.pageSize });
      this.iterator = r.NextShardIterator || null;
      this.millisBehindLatest = r.MillisBehindLatest ?? null;
      const records = r.Records || [];
      if (!this.iterator) this.closed = true;
      if (records.length > 0 || !this.iterator || !(r.MillisBehindLatest > 0) || attempt + 1 >= MAX_EMPTY_READS) {
        return records;
      }
      await sleep(READ_SPACING_MS);
    }
  }
}
