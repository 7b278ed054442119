#include "firehose/format_conversion.h"

#include "base/log.h"
#include "firehose/parquet/glue_schema.h"

namespace spate::firehose {
namespace {

using protocol::Value;

const Value* Dfcc(const Value& s3_cfg) {
  const Value* d = s3_cfg.Find("DataFormatConversionConfiguration");
  return d != nullptr && d->is_object() ? d : nullptr;
}

// The one member of a union-like structure (Deserializer, Serializer), or
// an error naming `what` when there is none or more than one.
Result<const Value::Member*> OneOf(const Value* v, const std::string& what) {
  if (v == nullptr || !v->is_object() || v->as_object().empty()) {
    return InvalidArgument(what + " must specify exactly one of its members when data format conversion is enabled.");
  }
  const Value::Member* found = nullptr;
  for (const Value::Member& m : v->as_object()) {
    if (m.second.is_null()) continue;
    if (found != nullptr) return InvalidArgument(what + " must specify exactly one of its members.");
    found = &m;
  }
  if (found == nullptr) return InvalidArgument(what + " must specify exactly one of its members.");
  return found;
}

// arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME -> field `i` (3 region, 4 account).
std::string ArnField(const std::string& arn, int i) {
  size_t start = 0;
  for (int k = 0; k < i; ++k) {
    start = arn.find(':', start);
    if (start == std::string::npos) return "";
    ++start;
  }
  const size_t end = arn.find(':', start);
  return arn.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

bool FormatConversionEnabled(const Value& s3_cfg) {
  const Value* d = Dfcc(s3_cfg);
  if (d == nullptr) return false;
  const Value* e = d->Find("Enabled");
  return e == nullptr || !e->is_bool() || e->as_bool();
}

Status CheckFormatConversion(const Value& s3_cfg) {
  if (!FormatConversionEnabled(s3_cfg)) return Status::Ok();
  const Value& d = *Dfcc(s3_cfg);
  const Value* schema = d.Find("SchemaConfiguration");
  if (schema == nullptr || !schema->is_object() || schema->GetString("DatabaseName").empty() ||
      schema->GetString("TableName").empty()) {
    return InvalidArgument(
        "SchemaConfiguration with DatabaseName and TableName is required when data format conversion is enabled.");
  }
  const Value* in = d.Find("InputFormatConfiguration");
  SPATE_ASSIGN_OR_RETURN(const Value::Member* deserializer, OneOf(in != nullptr ? in->Find("Deserializer") : nullptr,
                                                                  "InputFormatConfiguration.Deserializer"));
  if (deserializer->first == "HiveJsonSerDe") {
    parquet::DeserializerOptions o;
    o.kind = parquet::DeserializerOptions::Kind::kHive;
    if (const Value* f = deserializer->second.Find("TimestampFormats"); f != nullptr && f->is_array()) {
      for (const Value& s : f->as_array()) o.timestamp_formats.push_back(s.is_string() ? s.as_string() : "");
    }
    SPATE_TRY(parquet::RecordConverter::Make({{"c", parquet::ColumnKind::kString}}, o).status());
  }
  const Value* out = d.Find("OutputFormatConfiguration");
  SPATE_ASSIGN_OR_RETURN(const Value::Member* serializer, OneOf(out != nullptr ? out->Find("Serializer") : nullptr,
                                                                "OutputFormatConfiguration.Serializer"));
  if (serializer->first == "OrcSerDe") {
    return InvalidArgument("OrcSerDe (conversion to Apache ORC) is not supported by this server; use ParquetSerDe.");
  }
  if (serializer->second.GetString("WriterVersion", "V1") != "V1") {
    return InvalidArgument("ParquetSerDe WriterVersion V2 is not supported by this server; use V1.");
  }
  if (s3_cfg.GetString("CompressionFormat", "UNCOMPRESSED") != "UNCOMPRESSED") {
    return InvalidArgument(
        "CompressionFormat must be UNCOMPRESSED when data format conversion is enabled; set the compression in "
        "ParquetSerDe.Compression instead.");
  }
  if (const Value* h = s3_cfg.Find("BufferingHints"); h != nullptr && h->is_object() && h->Has("SizeInMBs")) {
    if (h->GetInt("SizeInMBs") < kConversionMinBufferMiB) {
      return InvalidArgument("BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled.");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<FormatConversion>> FormatConversion::Make(const Value& dfcc, std::string glue_schema_dir,
                                                                 const std::string& stream_arn) {
  std::unique_ptr<FormatConversion> c(new FormatConversion());
  c->glue_schema_dir_ = std::move(glue_schema_dir);
  const Value* schema = dfcc.Find("SchemaConfiguration");
  if (schema == nullptr) return InvalidArgument("SchemaConfiguration is required");
  c->table_.database_name = std::string(schema->GetString("DatabaseName"));
  c->table_.table_name = std::string(schema->GetString("TableName"));
  c->table_.region = std::string(schema->GetString("Region", ArnField(stream_arn, 3)));
  c->table_.catalog_id = std::string(schema->GetString("CatalogId", ArnField(stream_arn, 4)));
  c->table_.version_id = std::string(schema->GetString("VersionId", "LATEST"));
  c->table_.role_arn = std::string(schema->GetString("RoleARN"));
  const Value* in = dfcc.Find("InputFormatConfiguration");
  const Value* de = in != nullptr ? in->Find("Deserializer") : nullptr;
  if (const Value* h = de != nullptr ? de->Find("HiveJsonSerDe") : nullptr; h != nullptr && !h->is_null()) {
    c->deserializer_.kind = parquet::DeserializerOptions::Kind::kHive;
    if (const Value* f = h->Find("TimestampFormats"); f != nullptr && f->is_array()) {
      for (const Value& s : f->as_array()) {
        if (s.is_string()) c->deserializer_.timestamp_formats.push_back(s.as_string());
      }
    }
  } else if (const Value* o = de != nullptr ? de->Find("OpenXJsonSerDe") : nullptr; o != nullptr && o->is_object()) {
    if (const Value* v = o->Find("CaseInsensitive"); v != nullptr && v->is_bool()) {
      c->deserializer_.case_insensitive = v->as_bool();
    }
    if (const Value* v = o->Find("ConvertDotsInJsonKeysToUnderscores"); v != nullptr && v->is_bool()) {
      c->deserializer_.convert_dots_to_underscores = v->as_bool();
    }
    if (const Value* m = o->Find("ColumnToJsonKeyMappings"); m != nullptr && m->is_object()) {
      for (const auto& [column, key] : m->as_object()) {
        if (key.is_string()) c->deserializer_.column_to_json_key.emplace_back(column, key.as_string());
      }
    }
  }
  const Value* out = dfcc.Find("OutputFormatConfiguration");
  const Value* ser = out != nullptr ? out->Find("Serializer") : nullptr;
  const Value* pq = ser != nullptr ? ser->Find("ParquetSerDe") : nullptr;
  if (pq != nullptr && pq->is_object()) {
    const std::string_view codec = pq->GetString("Compression", "SNAPPY");
    c->writer_.codec = codec == "GZIP"           ? parquet::Codec::kGzip
                       : codec == "UNCOMPRESSED" ? parquet::Codec::kUncompressed
                                                 : parquet::Codec::kSnappy;
    if (pq->Has("PageSizeBytes")) c->writer_.page_size_bytes = static_cast<uint64_t>(pq->GetInt("PageSizeBytes"));
    if (pq->Has("BlockSizeBytes")) c->writer_.block_size_bytes = static_cast<uint64_t>(pq->GetInt("BlockSizeBytes"));
    if (const Value* v = pq->Find("EnableDictionaryCompression"); v != nullptr && v->is_bool() && v->as_bool()) {
      SPATE_LOG_INFO("ParquetSerDe EnableDictionaryCompression is accepted and not used: pages are PLAIN-encoded");
    }
  }
  if (c->glue_schema_dir_.empty()) {
    SPATE_LOG_WARN("record format conversion is enabled but spated has no --glue-schema-dir: table " +
                   c->table_.database_name + "." + c->table_.table_name +
                   " cannot be resolved and delivery will retry");
  }
  return c;
}

Result<ConvertedObject> FormatConversion::Convert(const Batch& batch, const std::vector<size_t>& records,
                                                  int64_t now_ms) const {
  if (glue_schema_dir_.empty()) {
    return NotFound("Glue table " + table_.database_name + "." + table_.table_name +
                    " cannot be resolved: spated was started without --glue-schema-dir");
  }
  SPATE_ASSIGN_OR_RETURN(std::vector<parquet::Column> columns,
                         parquet::LoadGlueTable(glue_schema_dir_, table_.database_name, table_.table_name));
  SPATE_ASSIGN_OR_RETURN(std::unique_ptr<parquet::RecordConverter> converter,
                         parquet::RecordConverter::Make(columns, deserializer_));
  SPATE_ASSIGN_OR_RETURN(std::unique_ptr<parquet::ParquetWriter> writer,
                         parquet::ParquetWriter::Make(std::move(columns), writer_));
  ConvertedObject out;
  std::vector<std::vector<parquet::Cell>> rows;
  for (size_t i : records) {
    const BatchRecord& r = batch.records[i];
    rows.clear();
    Status st = converter->Convert(r.data, &rows);
    if (!st.ok()) {
      FailedConversion f;
      f.arrival_ms = r.arrival_ms;
      f.attempt_ending_ms = now_ms;
      f.error_message = st.message();
      f.raw_data = r.data;
      f.sub_sequence_number = r.sub_index;
      out.failed_documents.push_back(FailedConversionJson(f, table_));
      out.failed_bytes += r.data.size();
      continue;
    }
    for (const auto& row : rows) SPATE_TRY(writer->AppendRow(row));
    ++out.records;
    out.bytes += r.data.size();
  }
  out.rows = static_cast<uint64_t>(writer->rows());
  if (out.records > 0) {
    SPATE_ASSIGN_OR_RETURN(out.parquet, writer->Finish());
  }
  return out;
}

}  // namespace spate::firehose
