#pragma once

// The pure pieces of delivery to OpenSearch / Elasticsearch: index names with
// their rotation suffix, document ids, the _bulk request body, reading the
// _bulk answer, and AWS's failed-document JSON. No I/O; safe from any thread.
// The sink (opensearch_destination.cc) sends and retries.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "firehose/sink.h"

namespace spate::firehose {

// IndexRotationPeriod. The suffix is appended to IndexName with a '-', from
// the record's arrival time in UTC.
enum class IndexRotation { kNoRotation, kOneHour, kOneDay, kOneWeek, kOneMonth };

// "NoRotation" .. "OneMonth"; nullopt for another name.
std::optional<IndexRotation> ParseIndexRotation(std::string_view name);

// IndexName plus the suffix of the period holding `arrival_ms`:
// OneHour -YYYY-MM-DD-HH, OneDay -YYYY-MM-DD, OneWeek -YYYY-wWW (US weeks:
// they start on Sunday, week 1 is the week holding January 1, and the year
// is that week's year, so 2024-12-31 is in 2025-w01), OneMonth -YYYY-MM.
std::string RotatedIndexName(std::string_view index_name, IndexRotation rotation, int64_t arrival_ms);

// FIREHOSE_DEFAULT's document id of a record: the batch's id, the record's
// log offset and its place among the records its source record became.
// The same on every attempt and after a restart (a replay overwrites the
// document instead of indexing it twice).
std::string FirehoseDocumentId(std::string_view batch_id, const BatchRecord& r);

// The record's data as one line of a _bulk body: a JSON object, valid
// UTF-8, on one line (a trailing "\n" or "\r\n" is dropped). nullopt
// otherwise: such a record fails without being sent.
std::optional<std::string_view> BulkDocument(std::string_view data);

// One document of a _bulk request.
struct BulkItem {
  std::string index;
  std::string type;           // "" (7.x and later, OpenSearch): no _type
  std::string id;             // "" (NO_DOCUMENT_ID): the cluster makes one
  std::string_view document;  // from BulkDocument
};

// The NDJSON body: {"index":{"_index":...,"_type":...,"_id":...}} then the
// document, each line ending in "\n".
std::string BulkBody(const std::vector<BulkItem>& items);

// The outcome of one item of a _bulk answer.
struct BulkItemResult {
  int status = 0;          // HTTP status of the item (201 created, 200 updated, 429, 400...)
  std::string error_type;  // error.type ("mapper_parsing_exception"), "" on success
  std::string error_json;  // the item's "error" member as JSON, "" on success
  std::string id;          // _id the cluster used (its own under NO_DOCUMENT_ID)

  bool ok() const { return status >= 200 && status < 300; }
  // 429 and 5xx: worth sending again; other failures are the document's.
  bool retryable() const { return status == 429 || status >= 500; }
};

// Reads a 200 answer to a _bulk request of `sent` items: {"took", "errors",
// "items": [{"index": {"_index", "_id", "status", "error"}}, ...]}, one item
// per document sent, in order. kUnavailable for anything else (an answer
// that does not say what happened to each document is a failed request).
Result<std::vector<BulkItemResult>> ParseBulkResponse(std::string_view body, size_t sent);

// AWS's failed-document record for the S3 backup (one line of JSON):
// {attemptsMade, arrivalTimestamp, errorCode, errorMessage,
// attemptEndingTimestamp, esDocumentId, esIndexName, esTypeName, rawData}
// (rawData base64). `serverless`: osDocumentId and osIndexName, no type.
struct FailedDocument {
  int attempts = 0;
  int64_t arrival_ms = 0;
  std::string error_code;
  std::string error_message;
  int64_t attempt_ending_ms = 0;
  std::string document_id;
  std::string index;
  std::string type;
  std::string raw_data;  // bytes, as the record arrived at the sink
};
std::string FailedDocumentJson(const FailedDocument& d, bool serverless);

}  // namespace spate::firehose
