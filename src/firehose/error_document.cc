#include "firehose/error_document.h"

#include "protocol/json_codec.h"
#include "util/base64.h"

namespace spate::firehose {

using protocol::Value;

ErrorDocument::ErrorDocument(const ErrorFields& f, ErrorNames names) : doc_(Value::MakeObject()) {
  const bool last = names == ErrorNames::kLastError;
  doc_.Set("attemptsMade", Value::Int(f.attempts));
  doc_.Set("arrivalTimestamp", Value::Int(f.arrival_ms));
  doc_.Set(last ? "lastErrorCode" : "errorCode", Value::String(std::string(f.error_code)));
  doc_.Set(last ? "lastErrorMessage" : "errorMessage", Value::String(std::string(f.error_message)));
  doc_.Set("attemptEndingTimestamp", Value::Int(f.attempt_ending_ms));
}

ErrorDocument& ErrorDocument::Add(std::string_view name, Value value) {
  doc_.Set(std::string(name), std::move(value));
  return *this;
}

ErrorDocument& ErrorDocument::AddRawData(std::string_view bytes) {
  return Add("rawData", Value::String(util::Base64Encode(bytes)));
}

std::string ErrorDocument::Json() const {
  std::string out;
  protocol::WriteJson(doc_, &out);
  return out;
}

std::string FailedConversionJson(const FailedConversion& f, const DataCatalogTable& table) {
  ErrorDocument doc({f.attempts_made, f.arrival_ms, f.error_code, f.error_message, f.attempt_ending_ms},
                    ErrorNames::kLastError);
  doc.AddRawData(f.raw_data);
  if (!f.sequence_number.empty()) doc.Add("sequenceNumber", Value::String(f.sequence_number));
  doc.Add("subSequenceNumber", Value::Int(f.sub_sequence_number));
  Value t = Value::MakeObject();
  t.Set("catalogId", Value::String(table.catalog_id));
  t.Set("databaseName", Value::String(table.database_name));
  t.Set("tableName", Value::String(table.table_name));
  t.Set("region", Value::String(table.region));
  t.Set("versionId", Value::String(table.version_id));
  t.Set("roleArn", Value::String(table.role_arn));
  doc.Add("dataCatalogTable", std::move(t));
  return doc.Json();
}

}  // namespace spate::firehose
