// Converts JSON records (one per line on stdin) into one Parquet file with
// the library Firehose uses, for the integration suite's independent check
// with hyparquet (tests/integration/test_parquet_hyparquet.py).
//
//   parquet_convert_tool --glue-schema-dir DIR --database DB --table T
//       [--codec UNCOMPRESSED|SNAPPY|GZIP] [--page-size N] [--block-size N]
//       [--hive] [--timestamp-format F]... [--case-sensitive] [--dots]
//       [--mapping COLUMN=KEY]... --out FILE
//
// Prints {"rows": N, "failed": [message...]} on stdout; exit 2 on bad usage
// or a schema error.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "firehose/parquet/glue_schema.h"
#include "firehose/parquet/record_converter.h"
#include "protocol/json_codec.h"

using namespace spate::firehose::parquet;

int main(int argc, char** argv) {
  std::string dir, db, table, out_path;
  WriterOptions wo;
  DeserializerOptions dopt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--glue-schema-dir")
      dir = next();
    else if (a == "--database")
      db = next();
    else if (a == "--table")
      table = next();
    else if (a == "--out")
      out_path = next();
    else if (a == "--page-size")
      wo.page_size_bytes = std::stoull(next());
    else if (a == "--block-size")
      wo.block_size_bytes = std::stoull(next());
    else if (a == "--hive")
      dopt.kind = DeserializerOptions::Kind::kHive;
    else if (a == "--timestamp-format")
      dopt.timestamp_formats.push_back(next());
    else if (a == "--case-sensitive")
      dopt.case_insensitive = false;
    else if (a == "--dots")
      dopt.convert_dots_to_underscores = true;
    else if (a == "--mapping") {
      const std::string m = next();
      const size_t eq = m.find('=');
      dopt.column_to_json_key.emplace_back(m.substr(0, eq), eq == std::string::npos ? "" : m.substr(eq + 1));
    } else if (a == "--codec") {
      const std::string c = next();
      if (c == "UNCOMPRESSED")
        wo.codec = Codec::kUncompressed;
      else if (c == "SNAPPY")
        wo.codec = Codec::kSnappy;
      else if (c == "GZIP")
        wo.codec = Codec::kGzip;
      else {
        std::cerr << "unknown codec " << c << "\n";
        return 2;
      }
    } else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  if (dir.empty() || db.empty() || table.empty() || out_path.empty()) {
    std::cerr << "usage: parquet_convert_tool --glue-schema-dir DIR --database DB --table T --out FILE\n";
    return 2;
  }
  auto columns = LoadGlueTable(dir, db, table);
  if (!columns.ok()) {
    std::cerr << columns.status().ToString() << "\n";
    return 2;
  }
  auto converter = RecordConverter::Make(columns.value(), dopt);
  if (!converter.ok()) {
    std::cerr << converter.status().ToString() << "\n";
    return 2;
  }
  auto writer = ParquetWriter::Make(columns.value(), wo);
  if (!writer.ok()) {
    std::cerr << writer.status().ToString() << "\n";
    return 2;
  }
  spate::protocol::Value failed = spate::protocol::Value::MakeArray();
  std::string line;
  std::vector<std::vector<Cell>> rows;
  while (std::getline(std::cin, line)) {
    rows.clear();
    spate::Status st = (*converter)->Convert(line, &rows);
    if (!st.ok()) {
      failed.Append(spate::protocol::Value::String(st.message()));
      continue;
    }
    for (const auto& row : rows) {
      spate::Status ws = (*writer)->AppendRow(row);
      if (!ws.ok()) {
        std::cerr << ws.ToString() << "\n";
        return 1;
      }
    }
  }
  const int64_t n = (*writer)->rows();
  auto bytes = (*writer)->Finish();
  if (!bytes.ok()) {
    std::cerr << bytes.status().ToString() << "\n";
    return 1;
  }
  std::ofstream(out_path, std::ios::binary) << bytes.value();
  spate::protocol::Value summary = spate::protocol::Value::MakeObject();
  summary.Set("rows", spate::protocol::Value::Int(n));
  summary.Set("failed", std::move(failed));
  std::string text;
  spate::protocol::WriteJson(summary, &text);
  std::cout << text << "\n";
  return 0;
}
