#include "cli/context.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include "protocol/json_codec.h"

namespace spate::cli {
namespace {

constexpr std::string_view kRed = "\033[31m";
constexpr std::string_view kBold = "\033[1m";
constexpr std::string_view kReset = "\033[0m";
constexpr std::string_view kDefaultEndpoint = "http://127.0.0.1:4567";

bool NoColor() {
  const char* v = std::getenv("NO_COLOR");
  return v != nullptr && *v != '\0';
}

}  // namespace

KinesisClient* Context::client() {
  if (client_ != nullptr) return client_.get();
  ClientConfig c = config;
  if (c.endpoint.empty()) {
    const char* env = std::getenv("AWS_ENDPOINT_URL");
    c.endpoint = env != nullptr && *env != '\0' ? std::string(env) : std::string(kDefaultEndpoint);
  }
  Outcome<std::unique_ptr<KinesisClient>> made = KinesisClient::Create(std::move(c));
  if (!made.ok()) {
    Fail(made.error());
    return nullptr;
  }
  client_ = std::move(made).value();
  return client_.get();
}

std::shared_ptr<KinesisClient> Context::shared_client() {
  if (client() == nullptr) return nullptr;
  return client_;
}

bool Context::stdout_colour() const { return isatty(STDOUT_FILENO) == 1 && !NoColor(); }
bool Context::stderr_colour() const { return stdout_colour() && isatty(STDERR_FILENO) == 1; }
bool Context::stderr_is_terminal() const { return isatty(STDERR_FILENO) == 1; }

int Context::Fail(std::string_view what) const {
  std::string line = stderr_colour() ? std::string(kRed) + "spate:" + std::string(kReset) : "spate:";
  line += ' ';
  line += what;
  // One line, whatever the message holds.
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  line += '\n';
  std::fflush(stdout);
  std::fwrite(line.data(), 1, line.size(), stderr);
  return kExitFailure;
}

std::string Context::Bold(std::string_view text) const {
  if (!stdout_colour()) return std::string(text);
  return std::string(kBold) + std::string(text) + std::string(kReset);
}

void WriteOut(std::string_view bytes) {
  if (bytes.empty()) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size()) return;
  if (errno == EPIPE) std::_Exit(kExitOk);
  std::string line = std::string("spate: writing to stdout: ") + std::strerror(errno) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::_Exit(kExitFailure);
}

void SleepMs(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace spate::cli

namespace spate::cli {

void FlushOut() {
  if (std::fflush(stdout) == 0) return;
  if (errno == EPIPE) std::_Exit(kExitOk);
  std::string line = std::string("spate: writing to stdout: ") + std::strerror(errno) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::_Exit(kExitFailure);
}

std::string IsoTime(int64_t unix_ms) {
  constexpr int64_t kMsPerSecond = 1000;
  int64_t secs = unix_ms / kMsPerSecond;
  int64_t ms = unix_ms % kMsPerSecond;
  if (ms < 0) {
    ms += kMsPerSecond;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", date, static_cast<int>(ms));
  return out;
}

Outcome<protocol::Value> CallJsonApi(KinesisClient& client, std::string_view target_prefix,
                                     std::string_view signing_name, std::string_view operation,
                                     const protocol::Value& in) {
  std::string body;
  protocol::WriteJson(in, &body);
  Outcome<std::string> out = client.CallJson(std::string(target_prefix) + std::string(operation), signing_name, body);
  if (!out.ok()) return out.error();
  if (out.value().find_first_not_of(" \t\r\n") == std::string::npos) return protocol::Value::MakeObject();
  auto parsed = protocol::ParseJson(out.value());
  if (!parsed.ok() || !parsed.value().is_object()) {
    return ApiError{"InvalidResponse", std::string(operation) + " answered something other than a JSON object", 200};
  }
  return std::move(parsed).value();
}

}  // namespace spate::cli
