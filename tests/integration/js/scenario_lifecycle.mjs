// A self-contained JS SDK v3 scenario over HTTP/2 (default NodeHttp2Handler, h2c prior knowledge):
// create -> wait ACTIVE -> put (PutRecord + PutRecords) -> read every shard -> errors -> delete -> gone.
//   node scenario_lifecycle.mjs <endpoint> <streamName>
// Prints one JSON object with everything observed; the pytest side (test_js.py) asserts on it.
import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, ListShardsCommand, PutRecordCommand,
  PutRecordsCommand, GetShardIteratorCommand, GetRecordsCommand, DeleteStreamCommand, DescribeStreamCommand,
  ResourceNotFoundException, ResourceInUseException, InvalidArgumentException,
} from '@aws-sdk/client-kinesis';

const [endpoint, name] = process.argv.slice(2);
const client = new KinesisClient({
  endpoint, region: 'us-east-1', maxAttempts: 1,
  credentials: { accessKeyId: 'AKIDSPATETEST', secretAccessKey: 'spate-test-secret-key' },
});
const deadline = Date.now() + 60_000;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const result = { handler: client.config.requestHandler?.constructor?.name, statuses: [], errors: {} };

async function status() {
  try {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return out.StreamDescriptionSummary.StreamStatus;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return 'GONE';
    throw e;
  }
}

async function waitFor(wanted) {
  for (;;) {
    const s = await status();
    if (result.statuses.at(-1) !== s) result.statuses.push(s);
    if (s === wanted) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${wanted}, last ${s}`);
    await pause(20);
  }
}

async function expectError(label, fn) {
  try {
    await fn();
    result.errors[label] = { type: 'NO_ERROR' };
  } catch (e) {
    result.errors[label] = { type: e.name, message: e.message, requestId: e.$metadata?.requestId,
      httpStatus: e.$metadata?.httpStatusCode,
      instanceOk: e instanceof ResourceNotFoundException || e instanceof ResourceInUseException
        || e instanceof InvalidArgumentException };
  }
}

try {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  await waitFor('ACTIVE');
  const summary = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
  result.summary = { arn: summary.StreamARN, openShards: summary.OpenShardCount, retention: summary.RetentionPeriodHours,
    created: summary.StreamCreationTimestamp instanceof Date ? summary.StreamCreationTimestamp.getTime() : null };
  const shards = (await client.send(new ListShardsCommand({ StreamName: name }))).Shards;
  result.shards = shards.map((s) => ({ id: s.ShardId, start: s.HashKeyRange.StartingHashKey, end: s.HashKeyRange.EndingHashKey }));

  const enc = new TextEncoder();
  const single = await client.send(new PutRecordCommand({ StreamName: name, Data: new Uint8Array([0, 1, 2, 253, 254, 255]), PartitionKey: 'single' }));
  const batch = await client.send(new PutRecordsCommand({ StreamName: name,
    Records: Array.from({ length: 20 }, (_, i) => ({ Data: enc.encode(`js-${i}`), PartitionKey: `pk-${i}` })) }));
  result.put = { single: { shard: single.ShardId, seq: single.SequenceNumber },
    failed: batch.FailedRecordCount,
    batch: batch.Records.map((r) => ({ shard: r.ShardId, seq: r.SequenceNumber })) };

  result.read = [];
  for (const s of shards) {
    let it = (await client.send(new GetShardIteratorCommand({ StreamName: name, ShardId: s.ShardId,
      ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (let i = 0; i < 20 && it; i++) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: it }));
      for (const r of out.Records) {
        result.read.push({ shard: s.ShardId, seq: r.SequenceNumber, key: r.PartitionKey,
          data: Buffer.from(r.Data).toString('base64'),
          arrival: r.ApproximateArrivalTimestamp instanceof Date ? r.ApproximateArrivalTimestamp.getTime() : null });
      }
      it = out.NextShardIterator;
      if (out.Records.length === 0 && out.MillisBehindLatest === 0) break;
    }
  }

  await expectError('duplicateCreate', () => client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })));
  await expectError('missingStream', () => client.send(new DescribeStreamCommand({ StreamName: `${name}-missing` })));
  await expectError('badIterator', () => client.send(new GetRecordsCommand({ ShardIterator: 'bm9wZQ==' })));
  await expectError('badName', () => client.send(new DescribeStreamSummaryCommand({ StreamName: 'bad name!' })));

  await client.send(new DeleteStreamCommand({ StreamName: name }));
  await waitFor('GONE');
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.fatal = { name: e.name, message: e.message, code: e.code, stack: e.stack };
}
client.destroy();
process.stdout.write(JSON.stringify(result) + '\n');
