// Raw HTTP/2 (h2c, prior knowledge) client: sends every request of a JSON file CONCURRENTLY on ONE
// session, the way multiplexing clients (Java SDK v2 Netty, KCL) do.
//   node h2_raw.mjs <endpoint> <requests.json>
// requests.json: [{"headers": {name: value}, "body": base64}]   (pre-signed by the Python side)
// Prints [{"status", "headers", "body": base64}] in request order.
import http2 from 'node:http2';
import fs from 'node:fs';

const [endpoint, file] = process.argv.slice(2);
const requests = JSON.parse(fs.readFileSync(file, 'utf8'));
const session = http2.connect(endpoint);
session.on('error', (e) => { console.error('session error', e); process.exit(3); });
const timer = setTimeout(() => { console.error('timeout'); process.exit(4); }, 30_000);

function send({ headers, body }) {
  return new Promise((resolve, reject) => {
    const h = { ':method': 'POST', ':path': '/' };
    for (const [k, v] of Object.entries(headers)) {
      if (k.toLowerCase() === 'host') h[':authority'] = v; else h[k.toLowerCase()] = v;
    }
    const req = session.request(h);
    const chunks = [];
    let status = 0, respHeaders = {};
    req.on('response', (hs) => { status = hs[':status']; respHeaders = { ...hs }; });
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve({ status, headers: respHeaders, body: Buffer.concat(chunks).toString('base64') }));
    req.on('error', reject);
    req.end(Buffer.from(body, 'base64'));
  });
}

const results = await Promise.all(requests.map(send));
clearTimeout(timer);
session.close();
process.stdout.write(JSON.stringify(results) + '\n');
