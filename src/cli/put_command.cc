// spate put NAME: stdin lines as records, through the RecordWriter (the
// producer library, aggregated unless --no-aggregate).

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/line_reader.h"
#include "cli/partition_key.h"
#include "cli/record_writer.h"

namespace spate::cli {
namespace {

// The service's limits on one record (kinesis-2013-12-02.json: PartitionKey
// 1..256 characters; Data at most 10 MiB, the largest maximum record size a
// stream can be given; the stream's own maximum, 1 MiB by default, is the
// service's to enforce).
constexpr size_t kMaxPartitionKeyChars = 256;
constexpr size_t kMaxDataBytes = 10 * 1024 * 1024;
constexpr double kMaxRate = 1e6;

struct PutFlags {
  std::string name;
  std::string key_template = "{n}";
  double rate = 0;  // records per second; 0: as fast as the stream takes them
  bool no_aggregate = false;
  bool exactly_once = false;  // Spate's exactly-once appends (docs/exactly-once.md)
  std::string producer_id;    // with exactly_once; empty: the server picks one
};

// UTF-8 characters in `s` (continuation bytes are not counted).
size_t Utf8Chars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

int Put(Context& ctx, const PutFlags& flags) {
  std::string error;
  std::optional<PartitionKeyTemplate> keys = PartitionKeyTemplate::Parse(flags.key_template, &error);
  if (!keys.has_value()) return ctx.Fail(error);
  std::shared_ptr<KinesisClient> client = ctx.shared_client();
  if (client == nullptr) return kExitFailure;
  ProducerConfig config = CliProducerConfig(!flags.no_aggregate);
  config.exactly_once = flags.exactly_once || !flags.producer_id.empty();
  config.producer_id = flags.producer_id;
  Outcome<std::unique_ptr<RecordWriter>> made = MakeRecordWriter(std::move(client), flags.name, config);
  if (!made.ok()) return ctx.Fail(made.error());
  std::unique_ptr<RecordWriter> writer = std::move(made).value();

  const int64_t start = MonotonicMs();
  int64_t line_number = 0;
  int64_t rejected = 0;  // lines no service would accept, never sent
  std::string first_rejection;
  std::string line;
  LineReader reader(STDIN_FILENO);
  // No read needs a timeout: the producer sends a queued record within its
  // RecordMaxBufferedTime (100 ms) whether or not more input comes (a slow
  // source such as `tail -f`).
  while (true) {
    LineReader::Result got = reader.Next(&line, -1);
    if (got == LineReader::Result::kError) return ctx.Fail(std::string("reading stdin: ") + std::strerror(errno));
    if (got == LineReader::Result::kEnd) break;
    ++line_number;
    if (flags.rate > 0) {
      // Record k (0-based) is due k/rate seconds after the start.
      auto due = start + static_cast<int64_t>(static_cast<double>(line_number - 1) * 1000.0 / flags.rate);
      if (due > MonotonicMs()) SleepMs(due - MonotonicMs());
    }
    PutRecordsEntry entry;
    entry.partition_key = keys->Expand(line_number);
    size_t key_chars = Utf8Chars(entry.partition_key);
    if (key_chars == 0 || key_chars > kMaxPartitionKeyChars || line.size() > kMaxDataBytes) {
      ++rejected;
      if (first_rejection.empty()) {
        first_rejection =
            "line " + std::to_string(line_number) +
            (line.size() > kMaxDataBytes ? " is larger than 10 MiB" : ": its partition key is not 1 to 256 characters");
      }
      continue;
    }
    entry.data = line;
    writer->Add(std::move(entry));
  }
  writer->Flush();

  const RecordWriter::Report r = writer->report();
  int64_t failed = r.failed + rejected;
  if (failed > 0) {
    std::string why = r.last_error.empty() ? first_rejection : r.last_error;
    return ctx.Fail(std::to_string(failed) + " of " + std::to_string(line_number) + " records were not put to stream " +
                    flags.name + "; last error: " + why);
  }
  if (ctx.stderr_is_terminal()) {
    std::fprintf(stderr, "put %lld records to %s in %llu Kinesis records, %llu PutRecords calls\n",
                 static_cast<long long>(r.put), flags.name.c_str(), static_cast<unsigned long long>(r.kinesis_records),
                 static_cast<unsigned long long>(r.put_records_calls));
  }
  return kExitOk;
}

}  // namespace

void AddPutCommand(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<PutFlags>();
  CLI::App* put = app.add_subcommand("put", "Put stdin's lines as records, one record per line");
  put->add_option("NAME", flags->name, "Stream name or ARN")->required();
  put->add_option("--partition-key", flags->key_template,
                  "Partition key template: text with {n} (line number) and {random}")
      ->capture_default_str();
  put->add_option("--rate", flags->rate, "At most this many records per second")->check(CLI::Range(0.001, kMaxRate));
  put->add_flag("--no-aggregate", flags->no_aggregate,
                "One Kinesis record per line (else lines are KPL-aggregated per shard)");
  put->add_flag("--exactly-once", flags->exactly_once,
                "Spate extension: the server drops resent requests (docs/exactly-once.md); not on Amazon Kinesis");
  put->add_option("--producer-id", flags->producer_id,
                  "With --exactly-once: the producer id (a new epoch fences older producers with it)");
  put->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Put(ctx, *flags); }; });
}

}  // namespace spate::cli
