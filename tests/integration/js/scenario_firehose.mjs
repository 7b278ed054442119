// Firehose through the JS SDK v3 (its default handler, HTTP/1.1): create a delivery stream with zero buffering (which the
// JS client sends and Debian's boto3 refuses client-side) -> wait ACTIVE -> PutRecord + PutRecordBatch
// -> describe -> errors -> (objects are checked by the pytest side) .
//   node scenario_firehose.mjs <endpoint> <deliveryStreamName> <bucket>
// Prints one JSON object with everything observed; test_firehose.py asserts on it.
import {
  FirehoseClient, CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordCommand,
  PutRecordBatchCommand, ResourceNotFoundException, ResourceInUseException,
} from '@aws-sdk/client-firehose';

const [endpoint, name, bucket] = process.argv.slice(2);
const client = new FirehoseClient({
  endpoint, region: 'us-east-1', maxAttempts: 1,
  credentials: { accessKeyId: 'AKIDSPATETEST', secretAccessKey: 'spate-test-secret-key' },
});
const deadline = Date.now() + 60_000;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const result = { handler: client.config.requestHandler?.constructor?.name, errors: {} };

try {
  await client.send(new CreateDeliveryStreamCommand({
    DeliveryStreamName: name, DeliveryStreamType: 'DirectPut',
    ExtendedS3DestinationConfiguration: {
      RoleARN: 'arn:aws:iam::000000000000:role/firehose', BucketARN: `arn:aws:s3:::${bucket}`,
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 }, CompressionFormat: 'GZIP',
    },
  }));
  for (;;) {
    const d = await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
    result.status = d.DeliveryStreamDescription.DeliveryStreamStatus;
    if (result.status === 'ACTIVE') {
      result.hints = d.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription.BufferingHints;
      break;
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for ACTIVE');
    await pause(20);
  }
  const one = await client.send(new PutRecordCommand({
    DeliveryStreamName: name, Record: { Data: Buffer.from('js-single\n') } }));
  result.recordId = one.RecordId;
  const batch = await client.send(new PutRecordBatchCommand({
    DeliveryStreamName: name,
    Records: Array.from({ length: 20 }, (_, i) => ({ Data: Buffer.from(`js-batch-${i}\n`) })),
  }));
  result.failedPutCount = batch.FailedPutCount;
  result.responses = batch.RequestResponses.length;
  try {
    await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: `${name}-missing` }));
  } catch (e) {
    result.errors.missing = { name: e.name, message: e.message, rnf: e instanceof ResourceNotFoundException };
  }
  try {
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      S3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/f', BucketARN: 'arn:aws:s3:::b' },
    }));
  } catch (e) {
    result.errors.duplicate = { name: e.name, riu: e instanceof ResourceInUseException };
  }
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.fatal = { name: e.name, message: e.message, stack: e.stack };
}
client.destroy();
process.stdout.write(JSON.stringify(result) + '\n');
