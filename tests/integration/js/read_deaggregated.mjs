// Reads every shard of a stream from TRIM_HORIZON through the JS SDK v3 and
// de-aggregates each record with the reference aws-kinesis-agg library.
//   node read_deaggregated.mjs <endpoint> <stream>
// stdout: one user record per line, shards in ListShards order, records in
// stream order: SHARD_ID \t PARTITION_KEY \t BASE64_DATA \t SEQUENCE_NUMBER \t SUB_SEQUENCE_NUMBER
import { createRequire } from "node:module";
import * as K from "@aws-sdk/client-kinesis";

const require = createRequire(import.meta.url);
const agg = require("aws-kinesis-agg");

const [endpoint, stream] = process.argv.slice(2);
const MAX_CALLS_PER_SHARD = 2000;
const client = new K.KinesisClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDSPATETEST", secretAccessKey: "spate-test-secret-key" },
  maxAttempts: 5,
});

const out = [];
const shards = (await client.send(new K.ListShardsCommand({ StreamName: stream }))).Shards;
for (const shard of shards) {
  let it = (await client.send(new K.GetShardIteratorCommand({
    StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON",
  }))).ShardIterator;
  for (let calls = 0; it && calls < MAX_CALLS_PER_SHARD; calls++) {
    const res = await client.send(new K.GetRecordsCommand({ ShardIterator: it }));
    for (const r of res.Records) {
      const kinesisRecord = {
        partitionKey: r.PartitionKey,
        sequenceNumber: r.SequenceNumber,
        data: Buffer.from(r.Data).toString("base64"),
      };
      agg.deaggregateSync(kinesisRecord, true, (err, users) => {
        if (err) {
          process.stderr.write(`read_deaggregated: ${err}\n`);
          process.exit(1);
        }
        for (const u of users) {
          const sub = u.subSequenceNumber === undefined ? "" : String(u.subSequenceNumber);
          out.push(`${shard.ShardId}\t${u.partitionKey}\t${u.data}\t${u.sequenceNumber}\t${sub}`);
        }
      });
    }
    it = res.NextShardIterator;
    if (res.Records.length === 0 && (res.MillisBehindLatest ?? 0) === 0) break;
  }
}
process.stdout.write(out.map((l) => l + "\n").join(""));
