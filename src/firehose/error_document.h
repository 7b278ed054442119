#pragma once

// The documents Firehose writes for records it could not deliver, one JSON
// object a line under the destination's error prefix: processing-failed
// (sink.h's FailedRecord), format-conversion-failed (FailedConversion below),
// the HTTP endpoint's and OpenSearch's failed records (backed up to S3).
// Every kind starts with the same five members, in the order AWS writes
// them, and carries the record's bytes base64-encoded as rawData; this is the
// one builder of them all. Pure functions, safe from any thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/value.h"

namespace spate::firehose {

// What every error document says of the failure. Views into the caller's
// record, which outlive the ErrorDocument built from them.
struct ErrorFields {
  int64_t attempts = 0;
  int64_t arrival_ms = 0;
  std::string_view error_code;
  std::string_view error_message;
  int64_t attempt_ending_ms = 0;
};

// The names of the error members: errorCode and errorMessage, or (format
// conversion) lastErrorCode and lastErrorMessage.
enum class ErrorNames { kError, kLastError };

// One document: the five common members {attemptsMade, arrivalTimestamp,
// errorCode, errorMessage, attemptEndingTimestamp}, then the members the
// caller adds, in the order it adds them (rawData where the kind puts it).
class ErrorDocument {
 public:
  explicit ErrorDocument(const ErrorFields& f, ErrorNames names = ErrorNames::kError);

  // Adds member `name` (not one already present).
  ErrorDocument& Add(std::string_view name, protocol::Value value);
  // Adds rawData: `bytes` base64-encoded.
  ErrorDocument& AddRawData(std::string_view bytes);

  // The document as one line of JSON (no newline).
  std::string Json() const;

 private:
  protocol::Value doc_;
};

// The document Firehose writes for a record that failed conversion, under
// the error prefix's `format-conversion-failed/`. Fields as AWS's "Handling
// errors for data format conversion" page shows them, with the names
// observed in Firehose's output (lastErrorCode, lastErrorMessage; the page's
// table says ErrorCode, ErrorMessage).
struct DataCatalogTable {
  std::string catalog_id, database_name, table_name, region, version_id, role_arn;
};
struct FailedConversion {
  int64_t attempts_made = 1;
  int64_t arrival_ms = 0;
  std::string error_code = "DataFormatConversion.ParseError";
  std::string error_message;
  int64_t attempt_ending_ms = 0;
  std::string raw_data;         // the record's bytes (written base64)
  std::string sequence_number;  // the source's (KinesisStreamAsSource); "" (DirectPut): not written
  int64_t sub_sequence_number = 0;
};
// {attemptsMade, arrivalTimestamp, lastErrorCode, lastErrorMessage,
// attemptEndingTimestamp, rawData, sequenceNumber (when known),
// subSequenceNumber, dataCatalogTable}, one line of JSON (no newline).
std::string FailedConversionJson(const FailedConversion& f, const DataCatalogTable& table);

}  // namespace spate::firehose
