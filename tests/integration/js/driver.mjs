// Line-oriented RPC driver around @aws-sdk/client-kinesis, used by the pytest suite (helpers.JsDriver).
//
//   node driver.mjs <endpoint>
//   stdin : one JSON object per line  {"id": n, "op": "PutRecord", "params": {...}}
//   stdout: one JSON object per line  {"id": n, "ok": true, "result": {...}, "requestId": "..."}
//                                  or {"id": n, "ok": false, "error": {type, message, requestId, httpStatus}}
// Binary values travel as {"__bytes": base64}, dates as {"__date": epochMillis}, both directions.
// The client keeps the SDK's default request handler (NodeHttp2Handler: HTTP/2, h2c prior knowledge on
// http://). To prove it, http2.connect and http.request are wrapped with counters reported by "__stats".
import http from 'node:http';
import http2 from 'node:http2';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import * as K from '@aws-sdk/client-kinesis';

const endpoint = process.argv[2];
if (!endpoint) {
  console.error('usage: node driver.mjs <endpoint>');
  process.exit(2);
}

const stats = { h2Sessions: 0, http1Requests: 0 };
const realConnect = http2.connect;
http2.connect = function (...args) { stats.h2Sessions++; return realConnect.apply(this, args); };
const realRequest = http.request;
http.request = function (...args) { stats.http1Requests++; return realRequest.apply(this, args); };

const client = new K.KinesisClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDSPATETEST', secretAccessKey: 'spate-test-secret-key' },
  maxAttempts: 1,
});

function revive(_key, value) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '__bytes') return new Uint8Array(Buffer.from(value.__bytes, 'base64'));
    if (keys.length === 1 && keys[0] === '__date') return new Date(value.__date);
  }
  return value;
}

function encode(v) {
  if (v instanceof Uint8Array) return { __bytes: Buffer.from(v).toString('base64') };
  if (v instanceof Date) return { __date: v.getTime() };
  if (Array.isArray(v)) return v.map(encode);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && k !== '$metadata') out[k] = encode(x);
    return out;
  }
  return v;
}

const require = createRequire(import.meta.url);
const sdkVersion = require('@aws-sdk/client-kinesis/package.json').version;
const handler = await (async () => {
  const h = client.config.requestHandler;
  return (typeof h === 'function' ? 'function' : h?.constructor?.name) ?? 'unknown';
})();
process.stdout.write(JSON.stringify({ ready: true, handler, sdkVersion }) + '\n');

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  const msg = JSON.parse(line, revive);
  let reply;
  if (msg.op === '__stats') {
    reply = { id: msg.id, ok: true, result: { ...stats } };
  } else {
    const Command = K[`${msg.op}Command`];
    if (!Command) {
      reply = { id: msg.id, ok: false, error: { type: 'NoSuchCommandInSdk', message: msg.op } };
    } else {
      try {
        const out = await client.send(new Command(msg.params));
        reply = { id: msg.id, ok: true, result: encode(out), requestId: out.$metadata?.requestId };
      } catch (e) {
        reply = {
          id: msg.id, ok: false,
          error: {
            type: e.name, message: e.message, requestId: e.$metadata?.requestId,
            httpStatus: e.$metadata?.httpStatusCode, fault: e.$fault, code: e.code,
          },
        };
      }
    }
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
client.destroy();
