#pragma once

// What every `spate` command shares: the client configuration from the
// global flags, the client built from it, terminal facts (colour, progress
// lines) and the one-line error report. Single-threaded: the CLI runs one
// command on the main thread.

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/value.h"
#include "spate/kinesis_client.h"

namespace spate::cli {

// Exit codes: 0 success, 1 a failed operation (the error line says which),
// 2 a usage error (CLI11's message).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// One call of a JSON API through the client: `in` as the body, the target
// `target_prefix` + `operation` (e.g. "Firehose_20150804." and
// "ListDeliveryStreams"), signed for `signing_name`. An empty answer is an
// empty object (DeregisterStreamConsumer's, as AWS's); anything but a JSON
// object is an InvalidResponse error.
Outcome<protocol::Value> CallJsonApi(KinesisClient& client, std::string_view target_prefix,
                                     std::string_view signing_name, std::string_view operation,
                                     const protocol::Value& in);

class Context {
 public:
  // The global flags (--endpoint, --region, --profile) land here before a
  // command runs; empty fields are resolved as ClientConfig::Resolve says,
  // except that the endpoint's default is AWS_ENDPOINT_URL's, then
  // http://127.0.0.1:4567 (the shape), never the Kinesis-only
  // variable.
  ClientConfig config;

  // The client, built on first use. On failure prints the error line and
  // answers nullptr.
  KinesisClient* client();
  // The same client, shared (spate::Producer keeps a shared_ptr to it).
  std::shared_ptr<KinesisClient> shared_client();

  // Colours for stdout only when stdout is a terminal and NO_COLOR is unset;
  // the same test with stderr for the error line.
  bool stdout_colour() const;
  bool stderr_colour() const;
  // True when stderr is a terminal (progress lines go there).
  bool stderr_is_terminal() const;

  // Prints "spate: <what>" on stderr (the prefix red on a terminal) and
  // answers kExitFailure.
  int Fail(std::string_view what) const;
  int Fail(const ApiError& error) const { return Fail(error.ToString()); }

  // `text` in bold (headings) when stdout_colour().
  std::string Bold(std::string_view text) const;

  // The command to run, set by the subcommand CLI11 selected.
  std::function<int()> action;

 private:
  std::shared_ptr<KinesisClient> client_;
};

// Writes `bytes` to stdout; on a closed pipe (`spate tail s | head`) exits
// the process quietly with status 0, on any other error with the error line
// and status 1.
void WriteOut(std::string_view bytes);

// Sleeps `ms` milliseconds (the CLI's only waits: backoff and pacing).
void SleepMs(int64_t ms);

// Milliseconds on the monotonic clock.
int64_t MonotonicMs();

}  // namespace spate::cli

namespace spate::cli {

// Flushes stdout, with WriteOut's handling of a closed pipe or an error.
void FlushOut();

// Milliseconds since the epoch as "2026-12-07T01:02:03.456Z".
std::string IsoTime(int64_t unix_ms);

}  // namespace spate::cli
