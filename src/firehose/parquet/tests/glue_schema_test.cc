#include "firehose/parquet/glue_schema.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace spate::firehose::parquet {
namespace {

TEST(GlueSchema, PrimitiveTypes) {
  EXPECT_EQ(ParseGlueColumn("A", "string")->kind, ColumnKind::kString);
  EXPECT_EQ(ParseGlueColumn("A", "string")->name, "a");
  EXPECT_EQ(ParseGlueColumn("a", "varchar(10)")->kind, ColumnKind::kString);
  EXPECT_EQ(ParseGlueColumn("a", "TINYINT")->kind, ColumnKind::kInt8);
  EXPECT_EQ(ParseGlueColumn("a", "smallint")->kind, ColumnKind::kInt16);
  EXPECT_EQ(ParseGlueColumn("a", "int")->kind, ColumnKind::kInt32);
  EXPECT_EQ(ParseGlueColumn("a", "bigint")->kind, ColumnKind::kInt64);
  EXPECT_EQ(ParseGlueColumn("a", "float")->kind, ColumnKind::kFloat);
  EXPECT_EQ(ParseGlueColumn("a", "double")->kind, ColumnKind::kDouble);
  EXPECT_EQ(ParseGlueColumn("a", "boolean")->kind, ColumnKind::kBoolean);
  EXPECT_EQ(ParseGlueColumn("a", "date")->kind, ColumnKind::kDate);
  EXPECT_EQ(ParseGlueColumn("a", "timestamp")->kind, ColumnKind::kTimestamp);
}

TEST(GlueSchema, DecimalDefaultsAndParameters) {
  Column d = ParseGlueColumn("d", "decimal").value();
  EXPECT_EQ(d.precision, 10);
  EXPECT_EQ(d.scale, 0);
  d = ParseGlueColumn("d", "decimal(7)").value();
  EXPECT_EQ(d.precision, 7);
  d = ParseGlueColumn("d", "decimal(20, 4)").value();
  EXPECT_EQ(d.precision, 20);
  EXPECT_EQ(d.scale, 4);
  EXPECT_FALSE(ParseGlueColumn("d", "decimal(39,0)").ok());
  EXPECT_FALSE(ParseGlueColumn("d", "decimal(4,5)").ok());
  EXPECT_FALSE(ParseGlueColumn("d", "decimal(x)").ok());
}

TEST(GlueSchema, ComplexAndUnknownTypesAreRefusedByName) {
  auto r = ParseGlueColumn("tags", "array<string>");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tags"), std::string::npos);
  EXPECT_FALSE(ParseGlueColumn("m", "map<string,int>").ok());
  EXPECT_FALSE(ParseGlueColumn("s", "struct<a:int>").ok());
  EXPECT_FALSE(ParseGlueColumn("b", "binary").ok());
  EXPECT_FALSE(ParseGlueColumn("v", "varchar").ok());
  EXPECT_FALSE(ParseGlueColumn("i", "int(3)").ok());
}

class GlueDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("glue_schema_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_ / "db");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& table, const std::string& text) {
    std::ofstream(dir_ / "db" / (table + ".json")) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(GlueDir, ReadsGetTableOutput) {
  Write("t", R"J({"Table":{"Name":"t","StorageDescriptor":{"Columns":[{"Name":"id","Type":"bigint"},
    {"Name":"Price","Type":"decimal(10,2)"}]},"PartitionKeys":[{"Name":"dt","Type":"string"}]}})J");
  auto cols = LoadGlueTable(dir_.string(), "db", "t").value();
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[1].name, "price");
  EXPECT_EQ(cols[1].scale, 2);
}

TEST_F(GlueDir, ReadsBareColumnList) {
  Write("t", R"([{"Name":"a","Type":"string"}])");
  EXPECT_EQ(LoadGlueTable(dir_.string(), "db", "t")->size(), 1u);
}

TEST_F(GlueDir, MissingTableIsNotFound) {
  auto r = LoadGlueTable(dir_.string(), "db", "nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
}

TEST_F(GlueDir, NamesCannotEscapeTheDirectory) {
  EXPECT_EQ(LoadGlueTable(dir_.string(), "..", "t").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(LoadGlueTable(dir_.string(), "db", "a/b").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(GlueDir, DuplicateColumnsAndMalformedFilesAreRefused) {
  Write("dup", R"([{"Name":"a","Type":"string"},{"Name":"A","Type":"int"}])");
  EXPECT_FALSE(LoadGlueTable(dir_.string(), "db", "dup").ok());
  Write("bad", R"({"Columns": 3})");
  EXPECT_FALSE(LoadGlueTable(dir_.string(), "db", "bad").ok());
  Write("empty", R"([])");
  EXPECT_FALSE(LoadGlueTable(dir_.string(), "db", "empty").ok());
}

}  // namespace
}  // namespace spate::firehose::parquet
