#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spate {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

// How a line looks (spated's --log-format):
//   kText: "<UTC time> <LEVEL> <message>"
//   kJson: {"time":"<UTC time>","level":"<LEVEL>","msg":"<message>"}
// <UTC time> is "2026-12-07T01:02:03.456Z" in both.
enum class LogFormat { kText, kJson };

// Writes one line to stderr (never interleaved with another). Thread-safe.
void Log(LogLevel level, std::string_view message);
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Process-wide; set once at start-up, before other threads log.
void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();

// The line Log writes for `message` at `level` and wall-clock time
// `unix_ms`, in `format`, with its newline (for tests, and for writers of
// other logs that follow the same format).
std::string FormatLogLine(LogFormat format, LogLevel level, int64_t unix_ms, std::string_view message);
// "2026-12-07T01:02:03.456Z" for a wall-clock time in ms since the epoch.
std::string FormatUtcTime(int64_t unix_ms);
// `s` as the inside of a JSON string (quotes, backslashes and control
// characters escaped; other bytes as they are) appended to *out.
void AppendJsonEscaped(std::string_view s, std::string* out);

}  // namespace spate

#define SPATE_LOG_DEBUG(msg) ::spate::Log(::spate::LogLevel::kDebug, (msg))
#define SPATE_LOG_INFO(msg) ::spate::Log(::spate::LogLevel::kInfo, (msg))
#define SPATE_LOG_WARN(msg) ::spate::Log(::spate::LogLevel::kWarn, (msg))
#define SPATE_LOG_ERROR(msg) ::spate::Log(::spate::LogLevel::kError, (msg))
