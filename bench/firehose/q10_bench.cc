// Nexmark q10 as a Firehose job, in process: bids as JSON records, dynamic
// partitioning by dt=yyyy-MM-dd/hm=HH:mm with a jq MetadataExtraction query
// and AppendDelimiterToRecord, one object per partition per batch into the
// local object store (what the S3 sink does with a processed batch). One
// thread; reports records/s and MiB/s per core (CPU time of the process).
//
//   q10_bench [--records N] [--batch N] [--dir DIR]
//
// Never part of ctest (STYLE.md rule 15).

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "firehose/object_keys.h"
#include "firehose/object_store.h"
#include "firehose/processing/partitions.h"
#include "firehose/processing/record_processor.h"
#include "protocol/json_codec.h"

namespace {

using namespace spate;
using namespace spate::firehose;

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// A Nexmark bid (the generator's field set and sizes, about 100-200 bytes).
std::string Bid(std::mt19937_64& rng, int64_t date_time_ms) {
  char buf[512];
  static const char* kChannels[] = {"Google", "Facebook", "Baidu", "Apple"};
  uint64_t auction = 1000 + rng() % 100, bidder = 1000 + rng() % 1000, price = 100 + rng() % 10'000'000;
  const char* channel = kChannels[rng() % 4];
  int n = std::snprintf(buf, sizeof(buf),
                        R"({"auction":%llu,"bidder":%llu,"price":%llu,"channel":"%s",)"
                        R"("url":"https://www.nexmark.com/%s/item.htm?query=1&channel_id=%llu",)"
                        R"("dateTime":%lld,"extra":"%016llx"})",
                        static_cast<unsigned long long>(auction), static_cast<unsigned long long>(bidder),
                        static_cast<unsigned long long>(price), channel, channel,
                        static_cast<unsigned long long>(rng() % 100000), static_cast<long long>(date_time_ms),
                        static_cast<unsigned long long>(rng()));
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

int main(int argc, char** argv) {
  size_t records = 1'000'000, batch_size = 50'000;
  std::string dir = "/tmp/spate-q10-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--records") == 0) records = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--batch") == 0) batch_size = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  std::filesystem::remove_all(dir);
  auto store = NewLocalObjectStore(dir);
  const std::string prefix = "dt=!{partitionKeyFromQuery:dt}/hm=!{partitionKeyFromQuery:hm}/";
  auto cfg = protocol::ParseJson(
      R"({"BucketARN":"arn:aws:s3:::q10","Prefix":"dt=!{partitionKeyFromQuery:dt}/hm=!{partitionKeyFromQuery:hm}/",)"
      R"("ErrorOutputPrefix":"err/!{firehose:error-output-type}/","BufferingHints":{"SizeInMBs":64,"IntervalInSeconds":60},)"
      R"("DynamicPartitioningConfiguration":{"Enabled":true},"ProcessingConfiguration":{"Enabled":true,"Processors":[)"
      R"({"Type":"MetadataExtraction","Parameters":[{"ParameterName":"MetadataExtractionQuery","ParameterValue":)"
      R"("{dt: (.dateTime / 1000 | floor | strftime(\"%Y-%m-%d\")), hm: (.dateTime / 1000 | floor | strftime(\"%H:%M\"))}"},)"
      R"({"ParameterName":"JsonParsingEngine","ParameterValue":"JQ-1.6"}]},{"Type":"AppendDelimiterToRecord","Parameters":[]}]}})");
  if (!cfg.ok()) {
    std::fprintf(stderr, "config: %s\n", cfg.status().message().c_str());
    return 1;
  }
  auto spec = processing::ParseProcessingSpec(*cfg);
  if (!spec.ok()) {
    std::fprintf(stderr, "spec: %s\n", spec.status().message().c_str());
    return 1;
  }
  auto processor = processing::NewRecordProcessor(*spec, processing::ProcessorEnv{});
  if (!processor.ok()) return 1;

  // One bid per simulated millisecond from 2026-12-07T00:00Z: a 50k-record batch spans 50 s, so it
  // falls in one or two hm partitions, as a q10 stream at 1k bids/s would.
  std::mt19937_64 rng(42);
  const int64_t start_ms = 1796601600000;
  std::vector<std::vector<BatchRecord>> batches;
  uint64_t input_bytes = 0;
  for (size_t i = 0; i < records; i += batch_size) {
    std::vector<BatchRecord> b;
    for (size_t j = i; j < std::min(records, i + batch_size); ++j) {
      BatchRecord r;
      r.data = Bid(rng, start_ms + static_cast<int64_t>(j));
      r.arrival_ms = start_ms + static_cast<int64_t>(j);
      r.offset = storage::Offset(j);
      input_bytes += r.data.size();
      b.push_back(std::move(r));
    }
    batches.push_back(std::move(b));
  }

  double cpu0 = CpuSeconds();
  auto wall0 = std::chrono::steady_clock::now();
  size_t objects = 0, delivered = 0, failed = 0;
  for (auto& records_of_batch : batches) {
    Batch batch;
    batch.records = std::move(records_of_batch);
    batch.oldest_ms = batch.records.front().arrival_ms;
    if (!(*processor)->Process(&batch, nullptr).ok()) return 1;
    failed += batch.processing_failed.size();
    std::vector<std::string> prefixes;
    prefixes.reserve(batch.records.size());
    KeyContext ctx;
    ctx.epoch_ms = batch.oldest_ms;
    for (const BatchRecord& r : batch.records) {
      ctx.partition_keys_from_query = r.keys_from_query;
      auto p = EvaluatePrefix(prefix, ctx);
      prefixes.push_back(p.ok() ? *p : std::string());
    }
    processing::Partitions parts = processing::GroupByPrefix(prefixes);
    for (size_t k = 0; k < parts.prefixes.size(); ++k) {
      std::string body;
      for (size_t idx : parts.records[k]) body += batch.records[idx].data;
      std::string key = parts.prefixes[k] +
                        ObjectName("q10", 1, batch.oldest_ms, TimeZone(),
                                   "00000000-0000-5000-8000-" + std::string(12 - std::to_string(objects).size(), '0') +
                                       std::to_string(objects),
                                   "");
      if (!store->PutObject("q10", key, body, nullptr).ok()) return 1;
      ++objects;
      delivered += parts.records[k].size();
    }
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  double cpu = CpuSeconds() - cpu0;
  double mib = static_cast<double>(input_bytes) / (1 << 20);
  std::printf(
      "{\"bench\":\"firehose_q10_in_process\",\"records\":%zu,\"input_mib\":%.1f,\"batches\":%zu,\"objects\":%zu,"
      "\"delivered\":%zu,\"failed\":%zu,\"wall_s\":%.2f,\"cpu_s\":%.2f,\"records_per_s_per_core\":%.0f,"
      "\"mib_per_s_per_core\":%.2f}\n",
      records, mib, batches.size(), objects, delivered, failed, wall, cpu, static_cast<double>(records) / cpu,
      mib / cpu);
  return 0;
}
