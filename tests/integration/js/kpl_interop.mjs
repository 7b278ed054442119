// KPL aggregation through the reference aws-kinesis-agg library, speaking the
// same lines as build/spate-kpl (tools/kpl/spate_kpl.cc):
//   node kpl_interop.mjs aggregate     user records in, Kinesis records out
//   node kpl_interop.mjs deaggregate   Kinesis records in, user records out
// Lines: PARTITION_KEY \t EXPLICIT_HASH_KEY (empty: none) \t BASE64_DATA;
// deaggregate adds \t SUB_SEQUENCE_NUMBER (empty for a plain record).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const agg = require("aws-kinesis-agg");

const mode = process.argv[2];
const lines = readFileSync(0, "utf8").split("\n").filter((l) => l.length > 0);
const parsed = lines.map((l) => {
  const [pk, ehk, data] = l.split("\t");
  return { pk, ehk, data };
});
const out = [];

function fail(err) {
  process.stderr.write(`kpl_interop: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
}

if (mode === "aggregate") {
  const records = parsed.map((r) => {
    const rec = { partitionKey: r.pk, data: Buffer.from(r.data, "base64") };
    if (r.ehk) rec.explicitHashKey = r.ehk;
    return rec;
  });
  agg.aggregate(
    records,
    (encoded, done) => {
      const ehk = encoded.ExplicitHashKey || encoded.explicitHashKey || "";
      out.push(`${encoded.partitionKey}\t${ehk}\t${Buffer.from(encoded.data).toString("base64")}`);
      done();
    },
    () => {
      process.stdout.write(out.map((l) => l + "\n").join(""));
    },
    (err) => fail(err),
  );
} else if (mode === "deaggregate") {
  for (const r of parsed) {
    const kinesisRecord = { partitionKey: r.pk, explicitHashKey: r.ehk, sequenceNumber: "0", data: r.data };
    agg.deaggregateSync(kinesisRecord, true, (err, userRecords) => {
      if (err) fail(err);
      for (const u of userRecords) {
        const sub = u.subSequenceNumber === undefined ? "" : String(u.subSequenceNumber);
        out.push(`${u.partitionKey}\t${u.explicitPartitionKey || ""}\t${u.data}\t${sub}`);
      }
    });
  }
  process.stdout.write(out.map((l) => l + "\n").join(""));
} else {
  fail("usage: node kpl_interop.mjs aggregate|deaggregate");
}
