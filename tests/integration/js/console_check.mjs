// Drives spated's web console (/console) in headless Chromium through
// puppeteer-core, for tests/integration/test_console.py: one browser launch,
// every page visited in turn, facts read from the DOM, screenshots saved.
//
//   node console_check.mjs '<json config>'
//
// Config: {chromium, url, stream, dataShard, consumer, deliveryStream, application,
// screenshots (a directory), signed?: {url, accessKeyId, secretAccessKey},
// metricsElsewhere?: {url, stream} (a server run with --metrics-port)}.
// Protocol on stdout: one JSON object per line. {"event":"ready-for-put"}
// when the monitoring page has drawn two scrapes; the test then puts
// records with boto3 and writes "put-done" on stdin. Last line:
// {"event":"result", ...}. Every wait has a deadline.

import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

import puppeteer from "puppeteer-core";

const cfg = JSON.parse(process.argv[2]);
const WAIT_MS = 15000;
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const stdinLines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function watch(page, sink) {
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warn") sink.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => sink.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => sink.push(`requestfailed: ${r.url()} ${r.failure() && r.failure().errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) sink.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
}

async function go(page, hash, selector) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.waitForSelector(selector, { timeout: WAIT_MS });
}

const shot = async (page, name, fullPage = true) => {
  const file = path.join(cfg.screenshots, name);
  await page.screenshot({ path: file, fullPage });
  return file;
};

const texts = (page, selector) => page.$$eval(selector, (els) => els.map((e) => e.textContent));

async function dataViewer(page, result) {
  await go(page, `#/streams/${cfg.stream}/data`, "#dv-shard");
  await page.select("#dv-shard", cfg.dataShard);
  await page.select("#dv-start", "TRIM_HORIZON");
  await page.select("#dv-size", "25");
  await page.select("#dv-format", "text");
  await page.click("#dv-get");
  await page.waitForFunction(() => document.querySelectorAll("#records-table tbody tr").length > 0 && !document.querySelector("#dv-get").disabled, { timeout: WAIT_MS });
  const read = () =>
    page.$$eval("#records-table tbody tr", (rows) =>
      rows.map((r) => ({
        n: r.children[0].textContent,
        partitionKey: r.children[1].textContent,
        sequenceNumber: r.children[2].textContent,
        arrival: r.children[3].textContent,
        data: r.children[4].textContent,
      })),
    );
  const dv = { text: await read(), status: await page.$eval("#dv-status", (e) => e.textContent) };
  await page.select("#dv-format", "json");
  dv.json = (await read()).map((r) => r.data);
  result.screenshots.push(await shot(page, "data-viewer.png", false));
  await page.select("#dv-format", "hex");
  dv.hex = (await read()).map((r) => r.data);
  await page.select("#dv-format", "text");
  await page.click("#dv-next");
  await page.waitForFunction(() => !document.querySelector("#dv-get").disabled && !/Reading/.test(document.querySelector("#dv-status").textContent), { timeout: WAIT_MS });
  dv.nextPage = await read();
  // At a sequence number: the page starts with that record.
  const second = dv.text[1].sequenceNumber;
  await page.select("#dv-start", "AT_SEQUENCE_NUMBER");
  await page.$eval("#dv-seq", (e) => (e.value = ""));
  await page.type("#dv-seq", second);
  await page.click("#dv-get");
  await page.waitForFunction((s) => {
    const first = document.querySelector("#records-table tbody tr");
    return first && first.dataset.sequenceNumber === s && !document.querySelector("#dv-get").disabled;
  }, { timeout: WAIT_MS }, second);
  dv.atSequenceFirst = (await read())[0].sequenceNumber;
  // At a timestamp a minute before the first record (the input is local time, as a person types it).
  const firstArrivalMs = Date.parse(dv.text[0].arrival.replace(" UTC", "Z").replace(" ", "T"));
  await page.select("#dv-start", "AT_TIMESTAMP");
  await page.$eval("#dv-ts", (e, ms) => {
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, "0");
    e.value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }, firstArrivalMs - 60000);
  const getAndWait = async () => {
    await page.$eval("#dv-status", (e) => (e.textContent = ""));
    await page.click("#dv-get");
    await page.waitForFunction(() => !document.querySelector("#dv-get").disabled && / from shardId/.test(document.querySelector("#dv-status").textContent), { timeout: WAIT_MS });
  };
  await getAndWait();
  dv.atTimestampFirst = (await read())[0].sequenceNumber;
  // Latest: nothing yet, at the tip.
  await page.select("#dv-start", "LATEST");
  await getAndWait();
  dv.latest = { rows: (await read()).length, status: await page.$eval("#dv-status", (e) => e.textContent) };
  result.dataViewer = dv;
}

async function monitoring(page, result) {
  await go(page, `#/streams/${cfg.stream}/monitoring`, "#chart-records");
  await page.waitForFunction(() => Number(document.querySelector("#chart-records").dataset.samples) >= 2, { timeout: WAIT_MS });
  emit({ event: "ready-for-put" });
  const line = await Promise.race([stdinLines.next(), new Promise((_, reject) => setTimeout(() => reject(new Error("no put-done on stdin")), 30000))]);
  if (!line || line.done || !String(line.value).startsWith("put-done")) throw new Error(`unexpected stdin: ${JSON.stringify(line)}`);
  const t0 = Date.now();
  await page.waitForFunction(() => {
    const el = document.querySelector("[data-metric=in-records]");
    return el && Number(el.dataset.value) > 0;
  }, { timeout: 10000, polling: 50 });
  const latencyMs = Date.now() - t0;
  // The incoming-records line drawn on the canvas: pixels of its stroke colour.
  const strokePixels = async () =>
    page.$eval("#chart-records", (el) => {
      const hexColor = el.dataset.stroke0;
      const want = [1, 3, 5].map((i) => parseInt(hexColor.slice(i, i + 2), 16));
      let n = 0;
      for (const canvas of el.querySelectorAll("canvas")) {
        const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] > 200 && Math.abs(data[i] - want[0]) < 24 && Math.abs(data[i + 1] - want[1]) < 24 && Math.abs(data[i + 2] - want[2]) < 24) n++;
        }
      }
      return n;
    });
  const deadline = Date.now() + 5000;
  let pixels = await strokePixels();
  while (pixels < 20 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    pixels = await strokePixels();
  }
  result.monitoring = {
    latencyMs,
    strokePixels: pixels,
    inRecords: Number(await page.$eval("[data-metric=in-records]", (e) => e.dataset.value)),
    samples: Number(await page.$eval("#chart-records", (e) => e.dataset.samples)),
  };
  result.screenshots.push(await shot(page, "monitoring.png"));
}

async function signedConsole(browser, result) {
  const s = cfg.signed;
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 720 });
  const errors = [];
  watch(page, errors);
  await page.goto(`${s.url}/console/`, { waitUntil: "load", timeout: WAIT_MS });
  await page.waitForSelector("dialog#signin[open]", { timeout: WAIT_MS });
  const out = { dialogBeforeSignIn: true };
  const signIn = async (key, secret) => {
    await page.$eval("#signin-key", (e) => (e.value = ""));
    await page.type("#signin-key", key);
    await page.type("#signin-secret", secret);
    await page.click("#signin-form button[type=submit]");
  };
  result.screenshots.push(await shot(page, "sign-in.png"));
  const errorsBefore = errors.length;
  await signIn(s.accessKeyId, "not-the-secret");
  await page.waitForFunction(() => !document.querySelector("#banner").hidden && document.querySelector("dialog#signin").open, { timeout: WAIT_MS });
  out.badSecretBanner = await page.$eval("#banner", (e) => e.textContent);
  out.errorsFromBadSecret = errors.slice(errorsBefore);
  errors.length = errorsBefore;
  await signIn(s.accessKeyId, s.secretAccessKey);
  await page.waitForFunction(() => document.querySelector("#view").dataset.loaded === "true", { timeout: WAIT_MS });
  out.streams = await page.$$eval("#streams-table tbody tr[data-stream]", (rows) => rows.map((r) => r.dataset.stream));
  out.identity = await page.$eval("#identity", (e) => e.textContent);
  out.errors = errors;
  result.signed = out;
  await context.close();
}

// A server whose /metrics is on --metrics-port: the stream's monitoring and
// consumers tabs say so instead of scraping (no request to /metrics at all).
async function metricsElsewhere(browser, result) {
  const m = cfg.metricsElsewhere;
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const errors = [];
  const metricsRequests = [];
  watch(page, errors);
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/metrics") metricsRequests.push(r.url());
  });
  await page.goto(`${m.url}/console/#/streams/${m.stream}/monitoring`, { waitUntil: "load", timeout: WAIT_MS });
  await page.waitForSelector("#metrics-elsewhere", { timeout: WAIT_MS });
  const out = { monitoring: await page.$eval("#metrics-elsewhere", (e) => e.textContent), charts: await page.$$eval(".chart", (els) => els.length) };
  await go(page, `#/streams/${m.stream}/consumers`, "#consumers-table");
  out.consumersNote = await page.$eval("#view", (e) => e.textContent.includes("--metrics-port"));
  out.metricsRequests = metricsRequests;
  out.errors = errors;
  result.metricsElsewhere = out;
  await context.close();
}

const result = { event: "result", errors: [], screenshots: [] };
fs.mkdirSync(cfg.screenshots, { recursive: true });
const browser = await puppeteer.launch({
  executablePath: cfg.chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"],
  timeout: 60000,
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  watch(page, result.errors);
  const t0 = Date.now();
  await page.goto(`${cfg.url}/console`, { waitUntil: "load", timeout: WAIT_MS });
  await page.waitForSelector(`#streams-table tr[data-stream="${cfg.stream}"]`, { timeout: WAIT_MS });
  result.firstPageMs = Date.now() - t0;
  result.finalUrl = page.url();
  result.streams = await page.$$eval("#streams-table tbody tr[data-stream]", (rows) =>
    rows.map((r) => ({ name: r.dataset.stream, cells: Array.from(r.children, (c) => c.textContent) })),
  );
  result.screenshots.push(await shot(page, "streams.png"));
  // The portable SHA-256/HMAC (used where WebCrypto is missing) against WebCrypto, across the
  // padding boundaries and keys shorter than, equal to and longer than a block.
  result.portableCrypto = await page.evaluate(async () => {
    const m = await import("./sigv4.js");
    const bytes = (n, seed) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
    const mismatches = [];
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const data = bytes(n, 7);
      if (m.hex(m.sha256Portable(data)) !== m.hex(await m.sha256(data))) mismatches.push(`sha256 ${n}`);
      for (const k of [1, 32, 64, 65, 100]) {
        const key = bytes(k, 3);
        if (m.hex(m.hmacSha256Portable(key, data)) !== m.hex(await m.hmacSha256(key, data))) mismatches.push(`hmac ${k}/${n}`);
      }
    }
    return { mismatches, abc: m.hex(m.sha256Portable("abc")), webCrypto: Boolean(crypto.subtle) };
  });

  await go(page, `#/streams/${cfg.stream}/shards`, "svg.lineage");
  result.lineage = {
    shards: await page.$$eval("svg.lineage g.shard", (gs) => gs.map((g) => ({ id: g.dataset.shardId, open: g.classList.contains("open") }))),
    edges: await page.$$eval("svg.lineage .edges path", (ps) => ps.map((p) => ({ parent: p.dataset.parent, child: p.dataset.child }))),
    hashbar: await texts(page, "#hashbar .segment"),
  };
  result.screenshots.push(await shot(page, "shards.png"));

  await dataViewer(page, result);
  await monitoring(page, result);

  await go(page, `#/streams/${cfg.stream}/consumers`, `#consumers-table tr[data-consumer="${cfg.consumer}"]`);
  result.consumers = await page.$$eval("#consumers-table tbody tr[data-consumer]", (rows) =>
    rows.map((r) => ({ name: r.dataset.consumer, cells: Array.from(r.children, (c) => c.textContent) })),
  );
  result.screenshots.push(await shot(page, "consumers.png"));

  await go(page, "#/firehose", `#delivery-table tr[data-delivery-stream="${cfg.deliveryStream}"]`);
  result.deliveryStreams = await page.$$eval("#delivery-table tbody tr[data-delivery-stream]", (rows) =>
    rows.map((r) => ({ name: r.dataset.deliveryStream, cells: Array.from(r.children, (c) => c.textContent) })),
  );
  result.screenshots.push(await shot(page, "delivery-streams.png"));

  await go(page, "#/analytics", `#applications-table tr[data-application="${cfg.application}"]`);
  result.applications = await page.$$eval("#applications-table tbody tr[data-application]", (rows) =>
    rows.map((r) => ({ name: r.dataset.application, cells: Array.from(r.children, (c) => c.textContent) })),
  );
  result.screenshots.push(await shot(page, "analytics-applications.png"));

  if (cfg.signed) await signedConsole(browser, result);
  if (cfg.metricsElsewhere) await metricsElsewhere(browser, result);
} catch (e) {
  result.failure = String(e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
emit(result);
process.exit(0);
