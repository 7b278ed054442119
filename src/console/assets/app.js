// Spate console: pages, navigation and sign-in. Plain ES modules, no
// framework; every element is built with the DOM API and every value from
// the server is set as text, never parsed as HTML (stream names, partition
// keys and record data are the users').

import { Api, ApiError } from "./api.js";
import { RateSeries, STREAM_SERIES, scrape, sumOf } from "./metrics.js";
import { ShardReader, START_POSITIONS, base64ToBytes, formatData } from "./records.js";
import { hashFraction, isOpen, lineageSvg, shortId } from "./shards.js";

// ---- session ----------------------------------------------------------------

// In development mode spated accepts any well-formed signature; the account
// is the access key id when it is 12 digits, else 000000000000, as for SDKs.
const DEVELOPMENT_CREDENTIALS = { accessKeyId: "spate-console", secretAccessKey: "development-mode" };
const CREDENTIALS_KEY = "spate.console.credentials";  // sessionStorage: gone with the tab
const REGION_KEY = "spate.console.region";  // localStorage: not a secret

const state = {
  config: { credentialsRequired: false, metricsOnThisPort: true },
  credentials: JSON.parse(sessionStorage.getItem(CREDENTIALS_KEY) || "null"),
  region: localStorage.getItem(REGION_KEY) || "us-east-1",
};

const api = new Api(() => ({ credentials: state.credentials || DEVELOPMENT_CREDENTIALS, region: state.region }));

// ---- DOM helpers -------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function table(headers, rows, attrs = {}) {
  return h(
    "table",
    attrs,
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows),
  );
}

function badge(status) {
  return h("span", { class: `badge badge-${String(status).toLowerCase()}` }, status);
}

function formatTime(epochSeconds) {
  if (epochSeconds === undefined || epochSeconds === null) return "";
  const d = new Date(Number(epochSeconds) * 1000);
  return d.toISOString().replace("T", " ").replace("Z", " UTC");
}

function formatBytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

// arn:aws:kinesis:REGION:ACCOUNT:stream/NAME -> the labels /metrics uses.
function streamLabels(arn) {
  const parts = String(arn).split(":");
  return { account: parts[4], region: parts[3], stream_name: parts.slice(5).join(":").replace(/^stream\//, "") };
}

// Runs `fn` over `items` with at most `limit` calls in flight.
async function mapLimited(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---- errors and sign-in ------------------------------------------------------

const banner = () => document.getElementById("banner");

function showError(e) {
  if (e instanceof ApiError && e.isAuth) {
    openSignIn(`${e.type}: the server did not accept these credentials.`);
  }
  const b = banner();
  b.textContent = e instanceof ApiError ? `${e.type}: ${e.message.replace(/^[^:]*: /, "")}` : String(e.message || e);
  b.hidden = false;
}

function clearError() {
  banner().hidden = true;
}

function openSignIn(message) {
  const dialog = document.getElementById("signin");
  document.getElementById("signin-message").textContent =
    message || (state.config.credentialsRequired ? "This server verifies signatures: sign in with an access key." : "");
  document.getElementById("signin-region").value = state.region;
  document.getElementById("signin-key").value = state.credentials ? state.credentials.accessKeyId : "";
  document.getElementById("signin-secret").value = "";
  if (!dialog.open) dialog.showModal();
}

function updateIdentity() {
  const who = state.credentials
    ? `${state.credentials.accessKeyId} · ${state.region}`
    : state.config.credentialsRequired
      ? "not signed in"
      : `development mode · ${state.region}`;
  document.getElementById("identity").textContent = who;
  document.getElementById("signout").hidden = !state.credentials;
}

function setupSignIn() {
  const dialog = document.getElementById("signin");
  document.getElementById("signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const key = document.getElementById("signin-key").value.trim();
    const secret = document.getElementById("signin-secret").value;
    const region = document.getElementById("signin-region").value.trim() || "us-east-1";
    state.region = region;
    localStorage.setItem(REGION_KEY, region);
    if (key && secret) {
      state.credentials = { accessKeyId: key, secretAccessKey: secret };
      sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify(state.credentials));
    }
    dialog.close();
    updateIdentity();
    render();
  });
  document.getElementById("signin-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("signin-open").addEventListener("click", () => openSignIn());
  document.getElementById("signout").addEventListener("click", () => {
    state.credentials = null;
    sessionStorage.removeItem(CREDENTIALS_KEY);
    updateIdentity();
    if (state.config.credentialsRequired) openSignIn();
    render();
  });
}

// ---- page life cycle -----------------------------------------------------------

// Each render gets a context; timers and listeners register their cleanup
// with it, and an async step checks `live` before touching the page, so a
// page left while loading never writes into the next one.
let page = null;

function newPage() {
  if (page) {
    page.live = false;
    for (const fn of page.cleanup) fn();
  }
  page = { live: true, cleanup: [] };
  const view = document.getElementById("view");
  view.replaceChildren();
  return { ctx: page, view };
}

function every(ctx, ms, fn) {
  let timer = null;
  const tick = async () => {
    if (!ctx.live) return;
    try {
      await fn();
    } catch (e) {
      if (ctx.live) showError(e);
    }
    if (ctx.live) timer = setTimeout(tick, ms);
  };
  ctx.cleanup.push(() => clearTimeout(timer));
  tick();
}

function render() {
  const hash = location.hash.replace(/^#\/?/, "");
  const parts = hash.split("/").map(decodeURIComponent);
  for (const a of document.querySelectorAll("nav.main a")) {
    a.classList.toggle("active", a.dataset.section === (parts[0] || "streams"));
  }
  clearError();
  if (state.config.credentialsRequired && !state.credentials) {
    const { view } = newPage();
    view.append(
      h("p", { class: "muted" }, "This server verifies AWS signatures: sign in with an access key to see its account's streams."),
      h("button", { class: "primary", onclick: () => openSignIn() }, "Sign in"),
    );
    openSignIn();
    return;
  }
  const { ctx, view } = newPage();
  const run = async () => {
    if (parts[0] === "firehose") return deliveryStreamsPage(ctx, view);
    if (parts[0] === "analytics") return applicationsPage(ctx, view);
    if (parts[0] === "cluster") return clusterPage(ctx, view);
    if (parts[0] === "streams" && parts[1]) return streamPage(ctx, view, parts[1], parts[2] || "monitoring");
    return streamsPage(ctx, view);
  };
  run().catch((e) => ctx.live && showError(e));
}

// ---- streams list ----------------------------------------------------------------

const TRANSITIONAL = new Set(["CREATING", "UPDATING", "DELETING"]);

async function streamsPage(ctx, view) {
  const tbody = h("tbody");
  const count = h("span", { class: "muted" });
  view.append(
    h("div", { class: "page-head" }, h("h1", {}, "Data streams"), count, h("button", { onclick: () => load() }, "Refresh")),
    h(
      "table",
      { id: "streams-table" },
      h(
        "thead",
        {},
        h("tr", {}, ["Name", "Status", "Capacity mode", "Open shards", "Retention", "Consumers", "Encryption", "Created"].map((x) => h("th", {}, x))),
      ),
      tbody,
    ),
  );
  let timer = null;
  ctx.cleanup.push(() => clearTimeout(timer));
  const load = async () => {
    clearTimeout(timer);
    const summaries = await api.listStreams();
    const details = await mapLimited(summaries, 4, (s) =>
      api.kinesis("DescribeStreamSummary", { StreamName: s.StreamName }).then(
        (r) => r.StreamDescriptionSummary,
        (e) => {
          if (e instanceof ApiError && e.type === "ResourceNotFoundException") return null;  // deleted meanwhile
          throw e;
        },
      ),
    );
    if (!ctx.live) return;
    const rows = [];
    let transitional = false;
    summaries.forEach((s, i) => {
      const d = details[i];
      if (!d) return;
      transitional ||= TRANSITIONAL.has(d.StreamStatus);
      rows.push(
        h(
          "tr",
          { dataset: { stream: d.StreamName } },
          h("td", {}, h("a", { href: `#/streams/${encodeURIComponent(d.StreamName)}` }, d.StreamName)),
          h("td", {}, badge(d.StreamStatus)),
          h("td", {}, (d.StreamModeDetails && d.StreamModeDetails.StreamMode) || "PROVISIONED"),
          h("td", { class: "num" }, d.OpenShardCount),
          h("td", { class: "num" }, `${d.RetentionPeriodHours} h`),
          h("td", { class: "num" }, d.ConsumerCount ?? 0),
          h("td", {}, d.EncryptionType || "NONE"),
          h("td", {}, formatTime(d.StreamCreationTimestamp)),
        ),
      );
    });
    if (rows.length === 0) {
      rows.push(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No streams in this account and region.")));
    }
    tbody.replaceChildren(...rows);
    count.textContent = `${summaries.length} in ${state.region}`;
    view.dataset.loaded = "true";
    if (transitional) timer = setTimeout(() => load().catch((e) => ctx.live && showError(e)), 1000);
  };
  await load();
}

// ---- one stream ------------------------------------------------------------------

const TABS = [
  ["monitoring", "Monitoring"],
  ["shards", "Shards"],
  ["data", "Data viewer"],
  ["consumers", "Consumers"],
];

async function streamPage(ctx, view, name, tab) {
  const summary = (await api.kinesis("DescribeStreamSummary", { StreamName: name })).StreamDescriptionSummary;
  if (!ctx.live) return;
  const base = `#/streams/${encodeURIComponent(name)}`;
  const monitoring = (summary.EnhancedMonitoring || []).flatMap((m) => m.ShardLevelMetrics || []);
  const facts = [
    ["ARN", summary.StreamARN],
    ["Status", badge(summary.StreamStatus)],
    ["Capacity mode", (summary.StreamModeDetails && summary.StreamModeDetails.StreamMode) || "PROVISIONED"],
    ["Open shards", summary.OpenShardCount],
    ["Retention", `${summary.RetentionPeriodHours} hours`],
    ["Consumers", summary.ConsumerCount ?? 0],
    ["Encryption", summary.EncryptionType || "NONE"],
    ["Shard-level metrics", monitoring.length ? monitoring.join(", ") : "none"],
    ["Created", formatTime(summary.StreamCreationTimestamp)],
  ];
  view.append(
    h("div", { class: "page-head" }, h("h1", {}, h("a", { href: "#/streams" }, "Data streams"), " / ", name)),
    h("dl", { class: "facts" }, facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h(
      "nav",
      { class: "tabs" },
      TABS.map(([id, label]) => h("a", { href: `${base}/${id}`, class: id === tab ? "active" : "", dataset: { tab: id } }, label)),
    ),
  );
  const body = h("section", { class: "tab-body", id: `tab-${tab}` });
  view.append(body);
  if (tab === "shards") return shardsTab(ctx, body, summary);
  if (tab === "data") return dataTab(ctx, body, summary);
  if (tab === "consumers") return consumersTab(ctx, body, summary);
  return monitoringTab(ctx, body, summary);
}

// spated --metrics-port serves /metrics on a listener of its own, not here.
const metricsHere = () => state.config.metricsOnThisPort !== false;
const METRICS_ELSEWHERE =
  "This server serves GET /metrics on a port of its own (spated --metrics-port), for Prometheus; this page cannot read it.";

// ---- monitoring: live charts from /metrics ---------------------------------------------

const SCRAPE_INTERVAL_MS = 1000;
const CHART_POINTS = 300;  // five minutes at one scrape a second

const CHARTS = [
  {
    id: "bytes",
    title: "Bytes per second",
    series: [["inBytes", "incoming"], ["outBytes", "outgoing (GetRecords)"], ["fanBytes", "outgoing (fan-out pushes)"]],
    value: formatBytes,
  },
  {
    id: "records",
    title: "Records per second",
    series: [["inRecords", "incoming"], ["outRecords", "outgoing (GetRecords)"], ["fanRecords", "outgoing (fan-out pushes)"]],
  },
  { id: "age", title: "Iterator age (ms, mean of GetRecords calls)", series: [["iteratorAgeMs", "iterator age"]] },
];
const COLORS = ["#2563eb", "#16a34a", "#d97706"];

function monitoringTab(ctx, body, summary) {
  if (!metricsHere()) {
    body.append(h("p", { class: "muted", id: "metrics-elsewhere" }, METRICS_ELSEWHERE));
    return;
  }
  const labels = streamLabels(summary.StreamARN);
  const series = new RateSeries(CHART_POINTS);
  const now = h("div", { class: "now", id: "rates-now" }, "Waiting for the second scrape of /metrics…");
  const grid = h("div", { class: "charts", id: "charts" });
  body.append(
    h("p", { class: "muted" }, "Rates computed in this page from the counters of GET /metrics, scraped every second."),
    now,
    grid,
  );
  const charts = CHARTS.map((c, ci) => {
    const el = h("div", { class: "chart", id: `chart-${c.id}`, dataset: { samples: "0", stroke0: COLORS[ci % COLORS.length] } });
    grid.append(h("figure", {}, h("figcaption", {}, c.title), el));
    const plot = new window.uPlot(
      {
        width: Math.max(300, el.clientWidth || 440),
        height: 220,
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
        series: [{}, ...c.series.map(([, label], i) => ({ label, stroke: COLORS[(ci + i) % COLORS.length], width: 2, spanGaps: false }))],
        axes: [{}, { size: 70, values: c.value ? (u, ticks) => ticks.map(c.value) : undefined }],
        legend: { live: false },
      },
      [[], ...c.series.map(() => [])],
      el,
    );
    return { c, el, plot };
  });
  const resize = () => {
    for (const { el, plot } of charts) plot.setSize({ width: Math.max(300, el.clientWidth), height: 220 });
  };
  window.addEventListener("resize", resize);
  ctx.cleanup.push(() => {
    window.removeEventListener("resize", resize);
    for (const { plot } of charts) plot.destroy();
  });
  every(ctx, SCRAPE_INTERVAL_MS, async () => {
    const samples = await scrape();
    if (!ctx.live) return;
    const counters = {};
    for (const [key, name] of Object.entries(STREAM_SERIES)) counters[key] = sumOf(samples, name, labels);
    const point = series.add(Date.now() / 1000, counters);
    if (!point) return;
    const xs = series.column("t");
    for (const { c, el, plot } of charts) {
      plot.setData([xs, ...c.series.map(([key]) => series.column(key))]);
      el.dataset.samples = String(xs.length);
    }
    const r = (v, f = (x) => x.toFixed(1)) => (v === null ? "–" : f(v));
    now.replaceChildren(
      h("span", { dataset: { metric: "in-records", value: point.inRecords ?? "" } }, `in ${r(point.inRecords)} records/s`),
      h("span", {}, `in ${r(point.inBytes, formatBytes)}/s`),
      h("span", { dataset: { metric: "out-records", value: point.outRecords ?? "" } }, `out ${r(point.outRecords)} records/s`),
      h("span", {}, `out ${r(point.outBytes, formatBytes)}/s`),
      h("span", { dataset: { metric: "fan-records", value: point.fanRecords ?? "" } }, `pushed ${r(point.fanRecords)} records/s`),
      h("span", {}, `iterator age ${r(point.iteratorAgeMs, (x) => x.toFixed(0))} ms`),
      h("span", { class: "muted" }, `totals: ${counters.inRecords} records in, ${counters.outRecords} out, ${counters.fanRecords} pushed`),
    );
  });
}

// ---- shards: the hash-key map and the lineage tree -------------------------------------

async function shardsTab(ctx, body, summary) {
  const shards = await api.listShards(summary.StreamName);
  if (!ctx.live) return;
  const open = shards.filter(isOpen).sort((a, b) => (BigInt(a.HashKeyRange.StartingHashKey) < BigInt(b.HashKeyRange.StartingHashKey) ? -1 : 1));
  const bar = h("div", { class: "hashbar", id: "hashbar" });
  for (const s of open) {
    const from = hashFraction(s.HashKeyRange.StartingHashKey);
    const to = hashFraction((BigInt(s.HashKeyRange.EndingHashKey) + 1n).toString());
    const seg = h("div", { class: "segment", title: `${s.ShardId}\n${s.HashKeyRange.StartingHashKey} – ${s.HashKeyRange.EndingHashKey}` }, shortId(s.ShardId));
    seg.style.width = `${((to - from) * 100).toFixed(3)}%`;
    bar.append(seg);
  }
  const tree = h("div", { class: "lineage-box", id: "lineage" });
  tree.append(lineageSvg(shards, Math.max(640, body.clientWidth || 960)));
  const rows = shards.map((s) =>
    h(
      "tr",
      { dataset: { shard: s.ShardId } },
      h("td", {}, s.ShardId),
      h("td", {}, isOpen(s) ? badge("OPEN") : badge("CLOSED")),
      h("td", {}, s.ParentShardId || ""),
      h("td", {}, s.AdjacentParentShardId || ""),
      h("td", { class: "mono" }, s.HashKeyRange.StartingHashKey),
      h("td", { class: "mono" }, s.HashKeyRange.EndingHashKey),
      h("td", { class: "mono" }, s.SequenceNumberRange.StartingSequenceNumber),
      h("td", { class: "mono" }, s.SequenceNumberRange.EndingSequenceNumber || ""),
    ),
  );
  body.append(
    h("h2", {}, "Hash-key space (open shards)"),
    bar,
    h("div", { class: "scale" }, h("span", {}, "0"), h("span", {}, "2¹²⁸ − 1")),
    h("h2", {}, "Lineage"),
    h("p", { class: "muted" }, "Generations from top to bottom, hash keys from left to right: a split is one shard over two, a merge two over one. Closed shards are hatched."),
    tree,
    h("h2", {}, `All shards (${shards.length})`),
    table(["Shard", "State", "Parent", "Adjacent parent", "Starting hash key", "Ending hash key", "Starting sequence number", "Ending sequence number"], rows, { id: "shards-table" }),
  );
}

// ---- data viewer ------------------------------------------------------------------------

async function dataTab(ctx, body, summary) {
  const shards = await api.listShards(summary.StreamName);
  if (!ctx.live) return;
  shards.sort((a, b) => Number(isOpen(b)) - Number(isOpen(a)) || a.ShardId.localeCompare(b.ShardId));
  const shardSel = h("select", { id: "dv-shard" }, shards.map((s) => h("option", { value: s.ShardId }, `${s.ShardId}${isOpen(s) ? "" : " (closed)"}`)));
  const startSel = h("select", { id: "dv-start" }, START_POSITIONS.map(([v, label]) => h("option", { value: v }, label)));
  const seqInput = h("input", { id: "dv-seq", placeholder: "sequence number", class: "mono", size: 56, hidden: true });
  const tsInput = h("input", { id: "dv-ts", type: "datetime-local", step: 1, hidden: true });
  const sizeSel = h("select", { id: "dv-size" }, [10, 25, 50, 100].map((n) => h("option", { value: n, selected: n === 25 }, `${n} per page`)));
  const formatSel = h("select", { id: "dv-format" }, [["text", "Text"], ["json", "JSON"], ["hex", "Hex"]].map(([v, l]) => h("option", { value: v }, l)));
  const getBtn = h("button", { id: "dv-get", class: "primary" }, "Get records");
  const nextBtn = h("button", { id: "dv-next", disabled: true }, "Next page");
  const status = h("p", { class: "muted", id: "dv-status" }, "Pick a shard and a starting position.");
  const tbody = h("tbody");
  const results = h("table", { id: "records-table" }, h("thead", {}, h("tr", {}, ["#", "Partition key", "Sequence number", "Arrival time", "Data"].map((x) => h("th", {}, x)))), tbody);
  startSel.addEventListener("change", () => {
    seqInput.hidden = !startSel.value.endsWith("SEQUENCE_NUMBER");
    tsInput.hidden = startSel.value !== "AT_TIMESTAMP";
  });
  body.append(
    h(
      "div",
      { class: "toolbar" },
      h("label", {}, "Shard ", shardSel),
      h("label", {}, "Starting position ", startSel),
      seqInput,
      tsInput,
      sizeSel,
      h("label", {}, "Data as ", formatSel),
      getBtn,
      nextBtn,
    ),
    status,
    results,
  );

  let reader = null;
  let shown = [];  // the records of the current page, raw
  let index = 0;
  const draw = () => {
    const mode = formatSel.value;
    tbody.replaceChildren(
      ...shown.map((rec, i) => {
        const bytes = base64ToBytes(rec.Data);
        const f = formatData(bytes, mode);
        return h(
          "tr",
          { dataset: { sequenceNumber: rec.SequenceNumber } },
          h("td", { class: "num" }, index - shown.length + i + 1),
          h("td", { class: "pk" }, rec.PartitionKey),
          h("td", { class: "mono" }, rec.SequenceNumber),
          h("td", {}, formatTime(rec.ApproximateArrivalTimestamp)),
          h("td", {}, h("pre", { class: `data${f.error ? " not-json" : ""}`, title: f.error || `${bytes.length} bytes` }, f.text)),
        );
      }),
    );
  };
  formatSel.addEventListener("change", draw);
  const readPage = async () => {
    getBtn.disabled = nextBtn.disabled = true;
    status.textContent = "Reading…";
    try {
      const records = await reader.nextPage();
      if (!ctx.live) return;
      shown = records;
      index += records.length;
      draw();
      const behind = reader.millisBehindLatest;
      status.textContent =
        `${records.length} record${records.length === 1 ? "" : "s"} from ${reader.shardId}` +
        (reader.closed ? "; the shard is closed and this is its end." : behind === 0 ? "; at the shard's tip." : behind ? `; ${behind} ms behind the tip.` : "");
      nextBtn.disabled = reader.closed;
    } catch (e) {
      if (!ctx.live) return;
      status.textContent = "";
      showError(e);
    } finally {
      getBtn.disabled = false;
    }
  };
  getBtn.addEventListener("click", () => {
    clearError();
    const start = { type: startSel.value };
    if (start.type.endsWith("SEQUENCE_NUMBER")) start.sequenceNumber = seqInput.value.trim();
    if (start.type === "AT_TIMESTAMP") {
      start.timestamp = tsInput.value ? new Date(tsInput.value) : new Date();
    }
    reader = new ShardReader(api, summary.StreamName, shardSel.value, start, Number(sizeSel.value));
    index = 0;
    readPage();
  });
  nextBtn.addEventListener("click", readPage);
}

// ---- consumers ----------------------------------------------------------------------------

async function consumersTab(ctx, body, summary) {
  const [consumers, samples] = await Promise.all([api.listConsumers(summary.StreamARN), metricsHere() ? scrape() : []]);
  if (!ctx.live) return;
  const labels = streamLabels(summary.StreamARN);
  const rows = consumers.map((c) => {
    const m = { ...labels, consumer_name: c.ConsumerName };
    return h(
      "tr",
      { dataset: { consumer: c.ConsumerName } },
      h("td", {}, c.ConsumerName),
      h("td", {}, badge(c.ConsumerStatus)),
      h("td", { class: "num" }, sumOf(samples, "spate_kinesis_subscribe_to_shard_success_total", m)),
      h("td", { class: "num" }, sumOf(samples, "spate_kinesis_subscribe_to_shard_event_records_total", m)),
      h("td", { class: "num" }, formatBytes(sumOf(samples, "spate_kinesis_subscribe_to_shard_event_bytes_total", m))),
      h("td", {}, formatTime(c.ConsumerCreationTimestamp)),
      h("td", { class: "mono small" }, c.ConsumerARN),
    );
  });
  if (rows.length === 0) rows.push(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No enhanced fan-out consumers registered.")));
  body.append(
    h(
      "p",
      { class: "muted" },
      metricsHere()
        ? "Enhanced fan-out consumers (RegisterStreamConsumer) and their SubscribeToShard totals since the server started."
        : `Enhanced fan-out consumers (RegisterStreamConsumer). ${METRICS_ELSEWHERE}`,
    ),
    table(["Name", "Status", "Subscriptions", "Records pushed", "Bytes pushed", "Registered", "ARN"], rows, { id: "consumers-table" }),
  );
}

// ---- Firehose delivery streams ----------------------------------------------------------------

function destinationOf(d) {
  const s3 = d.ExtendedS3DestinationDescription || d.S3DestinationDescription;
  if (s3) {
    const hints = s3.BufferingHints || {};
    return {
      kind: d.ExtendedS3DestinationDescription ? "Extended S3" : "S3",
      where: `${s3.BucketARN}${s3.Prefix ? ` / ${s3.Prefix}` : ""}`,
      buffering: hints.SizeInMBs !== undefined ? `${hints.SizeInMBs} MiB or ${hints.IntervalInSeconds} s` : "",
      compression: s3.CompressionFormat || "UNCOMPRESSED",
    };
  }
  const key = Object.keys(d).find((k) => k.endsWith("DestinationDescription")) || "unknown";
  const desc = d[key] || {};
  const hints = desc.BufferingHints || {};
  return {
    kind: key.replace(/DestinationDescription$/, ""),
    where: desc.EndpointConfiguration ? desc.EndpointConfiguration.Url : desc.DomainARN || desc.ClusterJDBCURL || "",
    buffering: hints.SizeInMBs !== undefined ? `${hints.SizeInMBs} MiB or ${hints.IntervalInSeconds} s` : "",
    compression: desc.CompressionFormat || "",
  };
}

async function deliveryStreamsPage(ctx, view) {
  const names = await api.listDeliveryStreams();
  const descriptions = await mapLimited(names, 4, (n) =>
    api.firehose("DescribeDeliveryStream", { DeliveryStreamName: n }).then(
      (r) => r.DeliveryStreamDescription,
      (e) => {
        if (e instanceof ApiError && e.type === "ResourceNotFoundException") return null;
        throw e;
      },
    ),
  );
  if (!ctx.live) return;
  const rows = descriptions.filter(Boolean).map((d) => {
    const dest = destinationOf((d.Destinations || [])[0] || {});
    const source = d.Source && d.Source.KinesisStreamSourceDescription ? `Kinesis stream ${streamLabels(d.Source.KinesisStreamSourceDescription.KinesisStreamARN).stream_name}` : "Direct PUT";
    return h(
      "tr",
      { dataset: { deliveryStream: d.DeliveryStreamName } },
      h("td", {}, d.DeliveryStreamName),
      h("td", {}, badge(d.DeliveryStreamStatus)),
      h("td", {}, source),
      h("td", {}, dest.kind),
      h("td", { class: "mono small" }, dest.where),
      h("td", {}, dest.buffering),
      h("td", {}, dest.compression),
      h("td", {}, formatTime(d.CreateTimestamp)),
    );
  });
  if (rows.length === 0) rows.push(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No delivery streams in this account and region.")));
  view.append(
    h("div", { class: "page-head" }, h("h1", {}, "Firehose delivery streams"), h("span", { class: "muted" }, `${names.length} in ${state.region}`)),
    table(["Name", "Status", "Source", "Destination", "Bucket / endpoint", "Buffering hints", "Compression", "Created"], rows, { id: "delivery-table" }),
  );
  view.dataset.loaded = "true";
}

// ---- Kinesis Data Analytics (SQL) applications ----------------------------------------------

// "stream NAME" / "delivery stream NAME" from an input's or output's description.
function resourceOf(d, kinds) {
  for (const [key, label] of kinds) {
    if (d[key] && d[key].ResourceARN) return `${label} ${d[key].ResourceARN.split("/").pop()}`;
  }
  return d.LambdaOutputDescription ? "Lambda" : "";
}
const INPUT_KINDS = [["KinesisStreamsInputDescription", "stream"], ["KinesisFirehoseInputDescription", "delivery stream"]];
const OUTPUT_KINDS = [["KinesisStreamsOutputDescription", "stream"], ["KinesisFirehoseOutputDescription", "delivery stream"]];

async function applicationsPage(ctx, view) {
  const summaries = await api.listApplications();
  const details = await mapLimited(summaries, 4, (s) =>
    api.analytics("DescribeApplication", { ApplicationName: s.ApplicationName }).then(
      (r) => r.ApplicationDetail,
      (e) => {
        if (e instanceof ApiError && e.type === "ResourceNotFoundException") return null;
        throw e;
      },
    ),
  );
  if (!ctx.live) return;
  const rows = [];
  for (const d of details.filter(Boolean)) {
    const inputs = (d.InputDescriptions || []).map((i) => `${resourceOf(i, INPUT_KINDS)} → ${(i.InAppStreamNames || []).join(", ")}`);
    const outputs = (d.OutputDescriptions || []).map(
      (o) => `${o.Name} → ${resourceOf(o, OUTPUT_KINDS)}${o.DestinationSchema ? ` (${o.DestinationSchema.RecordFormatType})` : ""}`,
    );
    const code = h("pre", { class: "data" }, d.ApplicationCode || "");
    rows.push(
      h(
        "tr",
        { dataset: { application: d.ApplicationName } },
        h("td", {}, d.ApplicationName),
        h("td", {}, badge(d.ApplicationStatus)),
        h("td", { class: "num" }, String(d.ApplicationVersionId)),
        h("td", {}, ...inputs.map((t) => h("div", {}, t))),
        h("td", {}, ...outputs.map((t) => h("div", {}, t))),
        h("td", {}, formatTime(d.CreateTimestamp)),
        h("td", {}, d.ApplicationCode ? h("details", {}, h("summary", {}, `${d.ApplicationCode.replace(/\n$/, "").split("\n").length} lines`), code) : h("span", { class: "muted" }, "none")),
      ),
    );
  }
  if (rows.length === 0) rows.push(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No analytics applications in this account and region.")));
  view.append(
    h("div", { class: "page-head" }, h("h1", {}, "Analytics applications"), h("span", { class: "muted" }, `${summaries.length} in ${state.region}`)),
    h("p", { class: "muted" }, "Kinesis Data Analytics SQL applications: their inputs (source → in-application streams), outputs and code."),
    table(["Name", "Status", "Version", "Inputs", "Outputs", "Created", "SQL"], rows, { id: "applications-table" }),
  );
  view.dataset.loaded = "true";
}

// ---- cluster status (cluster mode: SpateCluster_20261207) ------------------------------------

const CLUSTER_REFRESH_MS = 2000;

// "n2 0 B · n3 1.2 KiB": each follower's lag behind the leader's durable end,
// from the leader's last progress report.
function lagText(s) {
  if (!s.FollowerDurableEnd) return "–";
  const parts = s.FollowerDurableEnd.map((f) => `${f.NodeId} ${formatBytes(f.LagBytes ?? 0)}`);
  return parts.length ? parts.join(" · ") : "no follower streaming";
}

function reportAge(ms) {
  if (!ms) return "";
  const s = Math.max(0, (Date.now() - Number(ms)) / 1000);
  return s < 1 ? "reported just now" : `reported ${s.toFixed(0)} s ago`;
}

async function clusterPage(ctx, view) {
  const head = h("span", { class: "muted", id: "cluster-summary" });
  const nodesBody = h("tbody");
  const shardsBody = h("tbody");
  const note = h("p", { class: "muted small" },
    "Every node answers from its own view of etcd. Replica lag is each follower's distance, in bytes of the shard's log, " +
    "behind its leader's durable end, from the progress the leader publishes in etcd about once a second.");
  view.append(
    h("div", { class: "page-head" }, h("h1", {}, "Cluster"), head, h("button", { id: "cluster-refresh", onclick: () => refresh() }, "Refresh")),
    h("h2", {}, "Nodes"),
    table(["Node", "Address", "State", "Draining", "Leads", ""], [], { id: "cluster-nodes" }),
    h("h2", {}, "Shards"),
    note,
    table(["Stream", "Shard", "Leader", "Epoch", "Replicas", "Committed end", "Replica lag"], [], { id: "cluster-shards" }),
  );
  view.querySelector("#cluster-nodes").replaceChild(nodesBody, view.querySelector("#cluster-nodes tbody"));
  view.querySelector("#cluster-shards").replaceChild(shardsBody, view.querySelector("#cluster-shards tbody"));

  let timer = null;
  ctx.cleanup.push(() => clearTimeout(timer));
  let busy = false;  // a drain or undrain under way: its button stays disabled

  const change = async (operation, node) => {
    const verb = operation === "DrainNode" ? "Drain" : "Undrain";
    const what = operation === "DrainNode"
      ? `Drain ${node}? It hands every shard it leads to another replica and takes no new leadership until undrained.`
      : `Undrain ${node}? It takes leaderships again as balancing gives them.`;
    if (!window.confirm(what)) return;
    busy = true;
    for (const b of view.querySelectorAll("#cluster-nodes button")) b.disabled = true;
    try {
      await api.cluster(operation, { NodeId: node });
      view.dataset.lastChange = `${verb} ${node}`;
    } catch (e) {
      if (ctx.live) showError(e);
    } finally {
      busy = false;
    }
    await refresh();
  };

  const load = async () => {
    let c;
    try {
      c = await api.cluster("DescribeCluster", {});
    } catch (e) {
      // A single node registers no cluster service: the front door knows no such target.
      if (e instanceof ApiError && e.type === "UnknownOperationException") {
        if (!ctx.live) return;
        view.replaceChildren(
          h("div", { class: "page-head" }, h("h1", {}, "Cluster")),
          h("p", { id: "cluster-single", class: "muted" },
            "This server is not in cluster mode: it runs as a single node. Start spated with --cluster etcd://HOST:PORT " +
            "--node-id ID to join a cluster (docs/cluster.md)."),
        );
        view.dataset.loaded = "true";
        view.dataset.cluster = "false";
        return;
      }
      throw e;
    }
    if (!ctx.live) return;
    const nodes = c.Nodes || [];
    head.textContent = `${nodes.filter((n) => n.Alive).length} of ${nodes.length} nodes live · catalog owner ${c.CatalogOwner || "none"} · answered by ${c.Self} · etcd revision ${c.Revision}`;
    nodesBody.replaceChildren(
      ...nodes.map((n) =>
        h(
          "tr",
          { dataset: { node: n.NodeId } },
          h("td", {}, n.NodeId, n.NodeId === c.Self ? h("span", { class: "muted small" }, " (answering)") : null),
          h("td", { class: "mono" }, n.Address || "–"),
          h("td", {}, badge(n.Alive ? "Live" : "Dead")),
          h("td", {}, n.Draining ? "yes" : "no"),
          h("td", { class: "num" }, n.LeaderCount),
          h(
            "td",
            {},
            h(
              "button",
              {
                class: n.Draining ? "undrain" : "drain",
                disabled: busy,
                onclick: () => change(n.Draining ? "UndrainNode" : "DrainNode", n.NodeId),
              },
              n.Draining ? "Undrain" : "Drain",
            ),
          ),
        ),
      ),
    );
    const shards = (c.Shards || []).slice().sort((a, b) =>
      `${a.AccountId}/${a.Region}/${a.StreamName}/${a.ShardId}`.localeCompare(`${b.AccountId}/${b.Region}/${b.StreamName}/${b.ShardId}`));
    const rows = shards.map((s) =>
      h(
        "tr",
        { dataset: { stream: s.StreamName, shard: s.ShardId } },
        h("td", { title: `${s.AccountId} · ${s.Region}` }, s.StreamName),
        h("td", { class: "mono" }, s.ShardId),
        h("td", {}, s.Leader || (s.HandoffTo ? `→ ${s.HandoffTo}` : h("span", { class: "muted" }, "none"))),
        h("td", { class: "num" }, s.LeaderEpoch ?? ""),
        h("td", {}, (s.Replicas || []).join(", "), s.Leaving && s.Leaving.length ? h("span", { class: "muted small" }, ` (leaving: ${s.Leaving.join(", ")})`) : null),
        h("td", { class: "num", title: reportAge(s.ProgressReportedAtMs) }, s.CommittedEnd === undefined ? "–" : formatBytes(s.CommittedEnd)),
        h("td", { class: "lag", title: reportAge(s.ProgressReportedAtMs) }, lagText(s)),
      ),
    );
    if (rows.length === 0) rows.push(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No shards in the cluster yet.")));
    shardsBody.replaceChildren(...rows);
    view.dataset.loaded = "true";
    view.dataset.cluster = "true";
    view.dataset.revision = String(c.Revision);
  };
  // Refreshes every CLUSTER_REFRESH_MS while the page is shown, through errors too (a node that
  // answered may come back); a single node is looked at once.
  const refresh = async () => {
    clearTimeout(timer);
    try {
      await load();
      clearError();
    } catch (e) {
      if (ctx.live) showError(e);
    }
    if (ctx.live && view.dataset.cluster !== "false") timer = setTimeout(refresh, CLUSTER_REFRESH_MS);
  };
  await refresh();
}

// ---- start ----------------------------------------------------------------------------------

async function start() {
  setupSignIn();
  try {
    const r = await fetch("config.json", { cache: "no-store" });
    if (r.ok) state.config = await r.json();
  } catch {
    // Older or unreachable server: assume development mode; a refused call opens the sign-in.
  }
  updateIdentity();
  window.addEventListener("hashchange", render);
  render();
}

start();
