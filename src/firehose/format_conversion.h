#pragma once

// Record format conversion of the ExtendedS3 destination
// (DataFormatConversionConfiguration): a batch's JSON records become one
// Parquet file per object; records that fail become AWS's
// format-conversion-failed documents. The writer and the deserializers are in
// parquet/; the rules are in docs/formats/parquet.md.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "firehose/error_document.h"
#include "firehose/parquet/parquet_writer.h"
#include "firehose/parquet/record_converter.h"
#include "firehose/sink.h"
#include "protocol/value.h"

namespace spate::firehose {

// Whether an ExtendedS3 configuration converts: DataFormatConversionConfiguration
// is present and its Enabled is not false (AWS's default is true).
bool FormatConversionEnabled(const protocol::Value& s3_cfg);

// The CreateDeliveryStream/UpdateDestination checks of an enabled conversion
// (kInvalidArgument with the reason): SchemaConfiguration with DatabaseName
// and TableName; exactly one deserializer (OpenXJsonSerDe, HiveJsonSerDe)
// and one serializer, which must be ParquetSerDe (OrcSerDe is not built)
// with WriterVersion V1; Hive TimestampFormats Spate can parse;
// CompressionFormat UNCOMPRESSED; BufferingHints.SizeInMBs at least 64.
Status CheckFormatConversion(const protocol::Value& s3_cfg);

// The buffer size AWS uses when conversion is enabled and no SizeInMBs is
// given: 128 MiB.
inline constexpr int64_t kConversionDefaultBufferMiB = 128;
inline constexpr int64_t kConversionMinBufferMiB = 64;

// One converted object.
struct ConvertedObject {
  std::string parquet;  // the file; empty when no record converted
  uint64_t rows = 0;
  uint64_t records = 0;                       // records converted (a record may be several rows)
  uint64_t bytes = 0;                         // their bytes of JSON
  std::vector<std::string> failed_documents;  // one per failed record
  uint64_t failed_bytes = 0;
};

// Converts records with a delivery stream's configuration. Immutable after
// Make; Convert may be called from the deliverer's thread.
class FormatConversion {
 public:
  // `dfcc`: the DataFormatConversionConfiguration (already checked);
  // `glue_schema_dir`: where the tables' files are (spated
  // --glue-schema-dir); `stream_arn`: the delivery stream's, for the
  // defaults of Region and CatalogId.
  static Result<std::unique_ptr<FormatConversion>> Make(const protocol::Value& dfcc, std::string glue_schema_dir,
                                                        const std::string& stream_arn);

  // Converts batch.records[i] for each i of `records` into one Parquet file.
  // The table's file is read on each call (VersionId LATEST: an edited file
  // applies from the next object). Errors: the table's file missing or
  // invalid (kNotFound, kInvalidArgument), kInternal from a compressor;
  // the caller retries the batch.
  Result<ConvertedObject> Convert(const Batch& batch, const std::vector<size_t>& records, int64_t now_ms) const;

 private:
  FormatConversion() = default;

  std::string glue_schema_dir_;
  DataCatalogTable table_;
  parquet::DeserializerOptions deserializer_;
  parquet::WriterOptions writer_;
};

}  // namespace spate::firehose
