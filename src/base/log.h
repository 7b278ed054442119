#pragma once

#include <string_view>

namespace spate {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

// Writes one line to stderr: "<UTC time> <LEVEL> <message>". Thread-safe.
void Log(LogLevel level, std::string_view message);
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

}  // namespace spate

#define SPATE_LOG_INFO(msg) ::spate::Log(::spate::LogLevel::kInfo, (msg))
#define SPATE_LOG_WARN(msg) ::spate::Log(::spate::LogLevel::kWarn, (msg))
#define SPATE_LOG_ERROR(msg) ::spate::Log(::spate::LogLevel::kError, (msg))
