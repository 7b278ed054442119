// The console's only way to data: the ordinary AWS JSON 1.1 API on the
// page's own origin, every call signed (sigv4.js), exactly as an SDK would
// call it. Nothing here is console-specific on the server.

import { signPost } from "./sigv4.js";

// Signing name and X-Amz-Target prefix of each service spated serves.
const SERVICES = {
  kinesis: { signingName: "kinesis", targetPrefix: "Kinesis_20131202" },
  firehose: { signingName: "firehose", targetPrefix: "Firehose_20150804" },
  analytics: { signingName: "kinesisanalytics", targetPrefix: "KinesisAnalytics_20150814" },
  // Spate's own cluster operation (cluster mode only), signed as Kinesis.
  cluster: { signingName: "kinesis", targetPrefix: "SpateCluster_20261207" },
};

// Error types that mean "these credentials are not accepted": the page asks
// for others instead of showing the error.
export const AUTH_ERRORS = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignatureException",
  "MissingAuthenticationTokenException",
  "AccessDeniedException",
]);

const THROTTLING_ERRORS = new Set(["LimitExceededException", "ProvisionedThroughputExceededException", "ThrottlingException"]);
const MAX_ATTEMPTS = 4;
const BACKOFF_MS = 250;

export class ApiError extends Error {
  constructor(type, message, status) {
    super(`${type}: ${message}`);
    this.type = type;
    this.status = status;
  }
  get isAuth() {
    return AUTH_ERRORS.has(this.type);
  }
}

// `session()` returns {credentials: {accessKeyId, secretAccessKey}, region}
// at each call, so a new sign-in applies to the next call.
export class Api {
  constructor(session) {
    this.session = session;
  }

  // Retries a throttled call (the server meters control-plane calls and
  // shard reads at AWS's rates) a bounded number of times, backing off.
  async call(serviceName, operation, params = {}) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.callOnce(serviceName, operation, params);
      } catch (e) {
        if (!(e instanceof ApiError) || !THROTTLING_ERRORS.has(e.type) || attempt + 1 >= MAX_ATTEMPTS) throw e;
        await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** attempt));
      }
    }
  }

  async callOnce(serviceName, operation, params) {
    const service = SERVICES[serviceName];
    const { credentials, region } = this.session();
    const body = JSON.stringify(params);
    const headers = await signPost({
      host: location.host,
      path: "/",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `${service.targetPrefix}.${operation}`,
      },
      body,
      credentials,
      region,
      service: service.signingName,
    });
    let response;
    try {
      response = await fetch("/", { method: "POST", headers, body, cache: "no-store", credentials: "omit" });
    } catch (e) {
      throw new ApiError("NetworkError", `${operation}: ${e.message}`, 0);
    }
    const text = await response.text();
    let doc = {};
    if (text) {
      try {
        doc = JSON.parse(text);
      } catch {
        throw new ApiError("InvalidResponse", `${operation}: HTTP ${response.status}, not JSON`, response.status);
      }
    }
    if (!response.ok) {
      const type = String(doc.__type || response.headers.get("x-amzn-errortype") || `HTTP${response.status}`);
      throw new ApiError(type.slice(type.lastIndexOf("#") + 1), doc.message || doc.Message || "", response.status);
    }
    return doc;
  }

  kinesis(operation, params) {
    return this.call("kinesis", operation, params);
  }

  firehose(operation, params) {
    return this.call("firehose", operation, params);
  }

  analytics(operation, params) {
    return this.call("analytics", operation, params);
  }

  // DescribeCluster, DrainNode, UndrainNode (SpateCluster_20261207).
  cluster(operation, params) {
    return this.call("cluster", operation, params);
  }

  // Every stream's summary, following NextToken (bounded: 50 pages).
  async listStreams() {
    const out = [];
    let params = { Limit: 100 };
    for (let page = 0; page < 50; page++) {
      const r = await this.kinesis("ListStreams", params);
      out.push(...(r.StreamSummaries || []));
      if (!r.HasMoreStreams || !r.NextToken) break;
      params = { NextToken: r.NextToken, Limit: 100 };
    }
    return out;
  }

  // Every shard of the stream, open and closed (bounded: 100 pages of 1000).
  async listShards(streamName) {
    const out = [];
    let params = { StreamName: streamName, MaxResults: 1000 };
    for (let page = 0; page < 100; page++) {
      const r = await this.kinesis("ListShards", params);
      out.push(...(r.Shards || []));
      if (!r.NextToken) break;
      params = { NextToken: r.NextToken, MaxResults: 1000 };
    }
    return out;
  }

  async listConsumers(streamARN) {
    const out = [];
    let params = { StreamARN: streamARN, MaxResults: 100 };
    for (let page = 0; page < 50; page++) {
      const r = await this.kinesis("ListStreamConsumers", params);
      out.push(...(r.Consumers || []));
      if (!r.NextToken) break;
      params = { StreamARN: streamARN, NextToken: r.NextToken, MaxResults: 100 };
    }
    return out;
  }

  async listDeliveryStreams() {
    const out = [];
    let params = { Limit: 100 };
    for (let page = 0; page < 50; page++) {
      const r = await this.firehose("ListDeliveryStreams", params);
      const names = r.DeliveryStreamNames || [];
      out.push(...names);
      if (!r.HasMoreDeliveryStreams || names.length === 0) break;
      params = { Limit: 100, ExclusiveStartDeliveryStreamName: names[names.length - 1] };
    }
    return out;
  }

  // Every SQL application's summary (Kinesis Analytics v1), following
  // ExclusiveStartApplicationName (bounded: 50 pages of 50).
  async listApplications() {
    const out = [];
    let params = { Limit: 50 };
    for (let page = 0; page < 50; page++) {
      const r = await this.analytics("ListApplications", params);
      const summaries = r.ApplicationSummaries || [];
      out.push(...summaries);
      if (!r.HasMoreApplications || summaries.length === 0) break;
      params = { Limit: 50, ExclusiveStartApplicationName: summaries[summaries.length - 1].ApplicationName };
    }
    return out;
  }
}
