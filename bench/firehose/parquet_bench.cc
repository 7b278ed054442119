// JSON -> Parquet conversion throughput on one core: the converter and writer
// Firehose's record format conversion uses (src/firehose/parquet/), over
// generated event records of a typical 9-column table, once per codec.
// Reports records/s and MiB/s of JSON per CPU-second of the converting
// thread, and the output's size.
//
//   parquet_bench [--records N] [--rounds R]
//
// Bounded: N records (default 200000, at most 5000000), R rounds (default 3,
// at most 20); the best round is reported.

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "firehose/parquet/glue_schema.h"
#include "firehose/parquet/record_converter.h"

using namespace spate::firehose::parquet;

namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<std::string> MakeRecords(size_t n) {
  std::mt19937_64 rng(1);
  std::vector<std::string> out;
  out.reserve(n);
  const char* kEvents[] = {"click", "view", "purchase", "signup"};
  for (size_t i = 0; i < n; ++i) {
    char buf[512];
    const int len = std::snprintf(
        buf, sizeof(buf),
        "{\"event_id\":%zu,\"user_id\":\"user-%05u\",\"event\":\"%s\",\"price\":\"%u.%02u\",\"quantity\":%u,"
        "\"ok\":%s,\"score\":%.6f,\"event_time\":\"2026-12-07T%02u:%02u:%02u.%03uZ\",\"day\":\"2026-12-07\"}\n",
        i, static_cast<unsigned>(rng() % 100000), kEvents[rng() % 4], static_cast<unsigned>(rng() % 1000),
        static_cast<unsigned>(rng() % 100), static_cast<unsigned>(rng() % 20), rng() % 2 ? "true" : "false",
        static_cast<double>(rng() % 1000000) / 1000.0, static_cast<unsigned>(rng() % 24),
        static_cast<unsigned>(rng() % 60), static_cast<unsigned>(rng() % 60), static_cast<unsigned>(rng() % 1000));
    out.emplace_back(buf, static_cast<size_t>(len));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 200000;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--records") n = std::min<size_t>(std::strtoull(argv[i + 1], nullptr, 10), 5000000);
    if (a == "--rounds") rounds = std::clamp(std::atoi(argv[i + 1]), 1, 20);
  }
  std::vector<Column> columns;
  for (auto [name, type] : std::vector<std::pair<const char*, const char*>>{{"event_id", "bigint"},
                                                                            {"user_id", "string"},
                                                                            {"event", "string"},
                                                                            {"price", "decimal(10,2)"},
                                                                            {"quantity", "int"},
                                                                            {"ok", "boolean"},
                                                                            {"score", "double"},
                                                                            {"event_time", "timestamp"},
                                                                            {"day", "date"}}) {
    columns.push_back(ParseGlueColumn(name, type).value());
  }
  const std::vector<std::string> records = MakeRecords(n);
  size_t json_bytes = 0;
  for (const auto& r : records) json_bytes += r.size();
  auto converter = RecordConverter::Make(columns, {}).value();
  std::printf("records %zu, JSON %.1f MiB, %d rounds (best shown), one thread\n", n, json_bytes / 1048576.0, rounds);
  std::printf("%-13s %14s %14s %12s %12s\n", "codec", "records/cpu-s", "MiB/cpu-s", "parquet MiB", "ratio");
  for (auto [codec, label] : std::vector<std::pair<Codec, const char*>>{
           {Codec::kUncompressed, "UNCOMPRESSED"}, {Codec::kSnappy, "SNAPPY"}, {Codec::kGzip, "GZIP"}}) {
    double best = 1e30;
    size_t out_bytes = 0;
    for (int r = 0; r < rounds; ++r) {
      WriterOptions wo;
      wo.codec = codec;
      auto writer = ParquetWriter::Make(columns, wo).value();
      std::vector<std::vector<Cell>> rows;
      const double t0 = ThreadCpuSeconds();
      for (const auto& rec : records) {
        rows.clear();
        if (!converter->Convert(rec, &rows).ok()) return 1;
        for (const auto& row : rows) {
          if (!writer->AppendRow(row).ok()) return 1;
        }
      }
      std::string file = writer->Finish().value();
      const double t = ThreadCpuSeconds() - t0;
      best = std::min(best, t);
      out_bytes = file.size();
    }
    std::printf("%-13s %14.0f %14.1f %12.2f %12.2f\n", label, n / best, json_bytes / 1048576.0 / best,
                out_bytes / 1048576.0, static_cast<double>(json_bytes) / static_cast<double>(out_bytes));
  }
  return 0;
}
