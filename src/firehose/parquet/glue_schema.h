#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "firehose/parquet/parquet_writer.h"

namespace spate::firehose::parquet {

// The Glue/Hive column types a Firehose conversion writes, in Glue's type
// syntax (case-insensitive): string, varchar(n), char(n), boolean, tinyint,
// smallint, int (integer), bigint, float, double, decimal (= decimal(10,0)),
// decimal(p) (= decimal(p,0)), decimal(p,s), date, timestamp.
// Complex types (array<..>, map<..>, struct<..>), binary and interval are
// refused with kInvalidArgument naming the column and type: this writer
// writes flat tables only (docs/formats/parquet.md).
// The column's name is lowercased, as Glue and Hive keep it.
Result<Column> ParseGlueColumn(std::string_view name, std::string_view type);

// A table's columns from `dir`/<database>/<table>.json, the file a user puts
// beside spated (--glue-schema-dir) to stand for Glue's table. Accepted
// shapes: Glue's GetTable output {"Table": {"StorageDescriptor": {"Columns":
// [{"Name", "Type"}...]}}}, {"StorageDescriptor": {"Columns": [...]}},
// {"Columns": [...]} or the bare array [...]. Partition keys are not data
// columns (Hive keeps them in the object's path), so they are not read.
// Errors: kNotFound when the file is missing (database and table named),
// kInvalidArgument when it is malformed or a column is unsupported.
// The database and table names may not contain '/' or be "." or ".."
// (kInvalidArgument): they name a file under `dir`.
Result<std::vector<Column>> LoadGlueTable(const std::string& dir, std::string_view database, std::string_view table);

}  // namespace spate::firehose::parquet
