// SubscribeToShard through the JS SDK v3 (default NodeHttp2Handler: HTTP/2, h2c prior knowledge).
//   node scenario_fanout.mjs <endpoint> <consumerARN> <shardId> <recordCount>
// Subscribes from TRIM_HORIZON, prints "subscribed" after the first event that carries records, keeps
// reading until <recordCount> records arrived, then prints one JSON line with what it saw (test_fanout.py
// asserts on it). Gives up after 45 s.
import http from 'node:http';
import http2 from 'node:http2';
import { KinesisClient, SubscribeToShardCommand } from '@aws-sdk/client-kinesis';

const [endpoint, consumerARN, shardId, countArg] = process.argv.slice(2);
const want = Number(countArg);
const stats = { h2Sessions: 0, http1Requests: 0 };
const realConnect = http2.connect;
http2.connect = function (...args) { stats.h2Sessions++; return realConnect.apply(this, args); };
const realRequest = http.request;
http.request = function (...args) { stats.http1Requests++; return realRequest.apply(this, args); };

const client = new KinesisClient({
  endpoint, region: 'us-east-1', maxAttempts: 1,
  credentials: { accessKeyId: 'AKIDSPATETEST', secretAccessKey: 'spate-test-secret-key' },
});
const timer = setTimeout(() => { console.error('timed out'); process.exit(3); }, 45_000);

const seqs = [];
const datas = [];
let continuation = null;
let announced = false;
const out = await client.send(new SubscribeToShardCommand({
  ConsumerARN: consumerARN, ShardId: shardId, StartingPosition: { Type: 'TRIM_HORIZON' },
}));
for await (const ev of out.EventStream) {
  const e = ev.SubscribeToShardEvent;
  if (!e) continue;  // initial-response surfaces as an unknown member in some SDK versions
  for (const r of e.Records) {
    seqs.push(r.SequenceNumber);
    datas.push(Buffer.from(r.Data).toString('utf8'));
  }
  continuation = e.ContinuationSequenceNumber;
  if (!announced && seqs.length > 0) {
    announced = true;
    process.stdout.write('subscribed\n');
  }
  if (seqs.length >= want) break;
}
clearTimeout(timer);
process.stdout.write(JSON.stringify({
  handler: client.config.requestHandler?.constructor?.name, ...stats, seqs, datas, continuation,
}) + '\n');
client.destroy();
process.exit(0);
