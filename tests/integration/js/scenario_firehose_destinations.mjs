// Every destination type Spate delivers to, created and described through the JS SDK v3:
//   node scenario_firehose_destinations.mjs <endpoint> <namePrefix> <configs.json>
// configs.json: {"<Name>DestinationConfiguration": {...}, ...}, one delivery stream each.
// For each: CreateDeliveryStream -> wait ACTIVE -> DescribeDeliveryStream -> DeleteDeliveryStream ->
// wait until it is gone. Prints one JSON object, {"<Name>DestinationConfiguration": {"described":
// Destinations[0] as the SDK parsed it, "arn", "type", "status"}, ..., "ok": true}; the pytest side
// compares each description with what was sent.
import { readFileSync } from 'node:fs';
import {
  FirehoseClient, CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, DeleteDeliveryStreamCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-firehose';

const [endpoint, prefix, configsPath] = process.argv.slice(2);
const configs = JSON.parse(readFileSync(configsPath, 'utf8'));
const client = new FirehoseClient({
  endpoint, region: 'us-east-1', maxAttempts: 1,
  credentials: { accessKeyId: 'AKIDSPATETEST', secretAccessKey: 'spate-test-secret-key' },
});
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const result = {};

async function describe(name) {
  return (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription;
}

try {
  let i = 0;
  for (const [member, cfg] of Object.entries(configs)) {
    const name = `${prefix}-${i++}`;
    const created = await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name, DeliveryStreamType: 'DirectPut', [member]: cfg,
    }));
    const deadline = Date.now() + 30_000;
    let d = await describe(name);
    while (d.DeliveryStreamStatus !== 'ACTIVE') {
      if (Date.now() > deadline) throw new Error(`${name} (${member}) did not become ACTIVE: ${d.DeliveryStreamStatus}`);
      await pause(20);
      d = await describe(name);
    }
    result[member] = {
      name, arn: d.DeliveryStreamARN, createdArn: created.DeliveryStreamARN, type: d.DeliveryStreamType,
      status: d.DeliveryStreamStatus, versionId: d.VersionId, destinations: d.Destinations.length,
      described: d.Destinations[0],
    };
    await client.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: name }));
    for (;;) {
      try {
        await describe(name);
      } catch (e) {
        if (e instanceof ResourceNotFoundException) break;
        throw e;
      }
      if (Date.now() > deadline) throw new Error(`${name} was not deleted`);
      await pause(20);
    }
    result[member].deleted = true;
  }
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.fatal = `${e.name}: ${e.message}`;
}
console.log(JSON.stringify(result));
