#include "base/log.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace spate {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kText};
std::mutex g_mu;
const char* Name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level = level; }
LogLevel GetLogLevel() { return g_level; }
void SetLogFormat(LogFormat format) { g_format = format; }
LogFormat GetLogFormat() { return g_format; }

std::string FormatUtcTime(int64_t unix_ms) {
  // The seconds part is formatted once per second per thread (the access
  // log's writer formats thousands of lines a second).
  thread_local int64_t cached_second = INT64_MIN;
  thread_local char cached[24];
  thread_local size_t cached_len = 0;
  int64_t second = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  if (second != cached_second) {
    std::time_t t = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&t, &tm);
    cached_len = std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = second;
  }
  int ms = static_cast<int>(unix_ms - second * 1000);
  std::string out(cached, cached_len);
  char frac[6] = {'.',
                  static_cast<char>('0' + ms / 100),
                  static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10),
                  'Z',
                  '\0'};
  out.append(frac, 5);
  return out;
}

void AppendJsonEscaped(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (u < 0x20 || u == 0x7f) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xf]);
    } else {
      out->push_back(c);
    }
  }
}

std::string FormatLogLine(LogFormat format, LogLevel level, int64_t unix_ms, std::string_view message) {
  std::string line;
  line.reserve(message.size() + 64);
  if (format == LogFormat::kJson) {
    line.append("{\"time\":\"");
    line.append(FormatUtcTime(unix_ms));
    line.append("\",\"level\":\"");
    line.append(Name(level));
    line.append("\",\"msg\":\"");
    AppendJsonEscaped(message, &line);
    line.append("\"}\n");
  } else {
    line.append(FormatUtcTime(unix_ms));
    line.push_back(' ');
    line.append(Name(level));
    line.push_back(' ');
    line.append(message);
    line.push_back('\n');
  }
  return line;
}

void Log(LogLevel level, std::string_view message) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  auto now = std::chrono::system_clock::now();
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::string line = FormatLogLine(g_format.load(std::memory_order_relaxed), level, ms, message);
  std::lock_guard<std::mutex> lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace spate
