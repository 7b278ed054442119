// Drives the web console's Cluster page (#/cluster) in headless Chromium
// through puppeteer-core, for tests/integration/test_console_cluster.py: one
// browser launch; a node of a real cluster, then a single node.
//
//   node console_cluster_check.mjs '<json config>'
//
// Config: {chromium, url (a cluster node), stream (a stream of the cluster
// whose shards should show replica lag), drain (a node id to drain and
// undrain through the page's buttons), single (a spated without --cluster)}.
// Prints one JSON line: {"event":"result", ...}, or with "failure". Every
// wait has a deadline.

import puppeteer from "puppeteer-core";

const cfg = JSON.parse(process.argv[2]);
const WAIT_MS = 20000;
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

function watch(page, sink) {
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warn") sink.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => sink.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => sink.push(`requestfailed: ${r.url()} ${r.failure() && r.failure().errorText}`));
}

// The rows of the nodes table, by node id.
const readNodes = (page) =>
  page.$$eval("#cluster-nodes tbody tr[data-node]", (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.node, [...r.children].map((c) => c.textContent)])),
  );

// The rows of the shards table of one stream.
const readShards = (page, stream) =>
  page.$$eval(
    "#cluster-shards tbody tr[data-shard]",
    (rows, stream) =>
      rows
        .filter((r) => r.dataset.stream === stream)
        .map((r) => ({ shard: r.dataset.shard, cells: [...r.children].map((c) => c.textContent) })),
    stream,
  );

async function clusterNode(browser, result) {
  const page = await browser.newPage();
  const errors = [];
  watch(page, errors);
  const dialogs = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.accept();
  });
  await page.goto(`${cfg.url}/console/#/cluster`, { waitUntil: "load" });
  await page.waitForSelector('#view[data-cluster="true"] #cluster-nodes tbody tr[data-node]', { timeout: WAIT_MS });
  // Every shard of the stream shown with its leader and every follower's lag (the leaders'
  // progress reports reach etcd about once a second; the page refreshes every 2 s).
  await page.waitForFunction(
    (stream) => {
      const rows = [...document.querySelectorAll("#cluster-shards tbody tr[data-shard]")].filter((r) => r.dataset.stream === stream);
      return rows.length > 0 && rows.every((r) => r.children[2].textContent.startsWith("n") && (r.children[6].textContent.match(/ \d/g) || []).length === 2);
    },
    { timeout: WAIT_MS },
    cfg.stream,
  );
  result.summary = await page.$eval("#cluster-summary", (e) => e.textContent);
  result.nodes = await readNodes(page);
  result.shards = await readShards(page, cfg.stream);
  const revision = await page.$eval("#view", (e) => Number(e.dataset.revision));

  // Drain through the page: the node's row turns to draining and, once its leaderships are
  // handed over, to leading nothing; the page refreshes by itself.
  await page.click(`#cluster-nodes tr[data-node="${cfg.drain}"] button.drain`);
  await page.waitForFunction(
    (node) => {
      const r = document.querySelector(`#cluster-nodes tr[data-node="${node}"]`);
      return r && r.children[3].textContent === "yes" && r.children[4].textContent === "0" && r.querySelector("button.undrain");
    },
    { timeout: WAIT_MS },
    cfg.drain,
  );
  result.drained = (await readNodes(page))[cfg.drain];
  result.shardsWhileDrained = await readShards(page, cfg.stream);
  result.refreshed = (await page.$eval("#view", (e) => Number(e.dataset.revision))) > revision;
  await page.click(`#cluster-nodes tr[data-node="${cfg.drain}"] button.undrain`);
  await page.waitForFunction(
    (node) => {
      const r = document.querySelector(`#cluster-nodes tr[data-node="${node}"]`);
      return r && r.children[3].textContent === "no" && r.querySelector("button.drain");
    },
    { timeout: WAIT_MS },
    cfg.drain,
  );
  result.undrained = (await readNodes(page))[cfg.drain];
  result.dialogs = dialogs;
  result.banner = await page.$eval("#banner", (e) => (e.hidden ? "" : e.textContent));
  result.errors = errors;
  await page.close();
}

async function singleNode(browser, result) {
  const page = await browser.newPage();
  const errors = [];
  watch(page, errors);
  await page.goto(`${cfg.single}/console/#/cluster`, { waitUntil: "load" });
  await page.waitForSelector('#view[data-cluster="false"] #cluster-single', { timeout: WAIT_MS });
  result.single = {
    text: await page.$eval("#cluster-single", (e) => e.textContent),
    banner: await page.$eval("#banner", (e) => (e.hidden ? "" : e.textContent)),
    // The refused DescribeCluster is the page's one expected 400; nothing else may fail.
    errors: errors.filter((e) => !/status of 400/.test(e)),
  };
  await page.close();
}

const result = { event: "result" };
let browser;
try {
  browser = await puppeteer.launch({
    executablePath: cfg.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  await clusterNode(browser, result);
  await singleNode(browser, result);
} catch (e) {
  result.failure = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
}
emit(result);
