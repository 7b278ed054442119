#include "server/access_log.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>
#include <vector>

namespace spate::server {
namespace {

void AppendField(std::string_view v, std::string* out) {
  if (v.empty()) {
    out->push_back('-');
    return;
  }
  // A field never contains a space or a line break (a stream name cannot;
  // this keeps a hostile operation name from forging a line).
  for (char c : v) out->push_back(c == ' ' || c == '\n' || c == '\r' || c == '\t' ? '_' : c);
}

void AppendJsonString(std::string_view key, std::string_view v, std::string* out) {
  out->push_back('"');
  out->append(key);
  out->append("\":\"");
  AppendJsonEscaped(v, out);
  out->append("\",");
}

void AppendNumber(uint64_t n, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;  // 24 bytes hold any uint64_t
  out->append(buf, end);
}

// Milliseconds with three decimals, from microseconds.
void AppendLatencyMs(int64_t us, std::string* out) {
  uint64_t u = us > 0 ? static_cast<uint64_t>(us) : 0;
  AppendNumber(u / 1000, out);
  uint64_t frac = u % 1000;
  out->push_back('.');
  out->push_back(static_cast<char>('0' + frac / 100));
  out->push_back(static_cast<char>('0' + frac / 10 % 10));
  out->push_back(static_cast<char>('0' + frac % 10));
}

}  // namespace

std::string AccessLog::FormatLine(LogFormat format, const AccessLogEntry& e) {
  std::string line;
  line.reserve(160);
  if (format == LogFormat::kJson) {
    line.push_back('{');
    AppendJsonString("time", FormatUtcTime(e.time_ms), &line);
    AppendJsonString("account", e.account, &line);
    AppendJsonString("operation", e.operation, &line);
    AppendJsonString("stream", e.stream, &line);
    line.append("\"status\":");
    AppendNumber(static_cast<uint64_t>(e.status), &line);
    line.push_back(',');
    AppendJsonString("error", e.error_type, &line);
    line.append("\"latency_ms\":");
    AppendLatencyMs(e.latency_us, &line);
    line.append(",\"request_bytes\":");
    AppendNumber(e.request_bytes, &line);
    line.append(",\"response_bytes\":");
    AppendNumber(e.response_bytes, &line);
    line.push_back(',');
    AppendJsonString("request_id", e.request_id, &line);
    line.back() = '}';
    line.push_back('\n');
    return line;
  }
  line.append(FormatUtcTime(e.time_ms));
  for (std::string_view f : {std::string_view(e.account), std::string_view(e.operation), std::string_view(e.stream)}) {
    line.push_back(' ');
    AppendField(f, &line);
  }
  line.push_back(' ');
  AppendNumber(static_cast<uint64_t>(e.status), &line);
  line.push_back(' ');
  AppendField(e.error_type, &line);
  line.push_back(' ');
  AppendLatencyMs(e.latency_us, &line);
  line.push_back(' ');
  AppendNumber(e.request_bytes, &line);
  line.push_back(' ');
  AppendNumber(e.response_bytes, &line);
  line.push_back(' ');
  AppendField(e.request_id, &line);
  line.push_back('\n');
  return line;
}

Result<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path, LogFormat format, size_t queue_entries) {
  if (queue_entries == 0) return Status(ErrorCode::kInvalidArgument, "access log queue must hold an entry");
  if (path == "-") return std::unique_ptr<AccessLog>(new AccessLog(stdout, std::string(), format, queue_entries));
  std::FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) {
    return Status(ErrorCode::kIoError, "cannot open the access log " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(f, path, format, queue_entries));
}

AccessLog::AccessLog(std::FILE* file, std::string path, LogFormat format, size_t queue_entries)
    : file_(file), path_(std::move(path)), owned_(!path_.empty()), format_(format), capacity_(queue_entries) {
  writer_ = std::thread([this] { Run(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
  if (reopened_ != nullptr) std::fclose(reopened_);
  if (owned_) std::fclose(file_);
}

Status AccessLog::Reopen() {
  if (!owned_) return Status::Ok();
  std::FILE* f = std::fopen(path_.c_str(), "ae");
  if (f == nullptr) {
    return Status(ErrorCode::kIoError, "cannot reopen the access log " + path_ + ": " + std::strerror(errno));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Two reopens before the writer woke: the later file wins.
    if (reopened_ != nullptr) std::fclose(reopened_);
    reopened_ = f;
  }
  wake_.notify_one();
  return Status::Ok();
}

bool AccessLog::Submit(AccessLogEntry entry) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= capacity_) {
      ++dropped_;
      return false;
    }
    was_empty = queue_.empty();
    queue_.push_back(std::move(entry));
    ++submitted_;
  }
  // The writer sleeps only on an empty queue.
  if (was_empty) wake_.notify_one();
  return true;
}

void AccessLog::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t target = submitted_;
  flushed_.wait(lock, [&] { return written_ >= target; });
}

uint64_t AccessLog::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

uint64_t AccessLog::written() const {
  std::lock_guard<std::mutex> lock(mu_);
  return written_;
}

void AccessLog::Run() {
  std::deque<AccessLogEntry> batch;
  std::string buf;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || reopened_ != nullptr; });
      if (reopened_ != nullptr) {
        // Everything written so far went to the old file (already flushed
        // after each batch); from here on, the new one.
        std::fclose(file_);
        file_ = reopened_;
        reopened_ = nullptr;
      }
      if (queue_.empty()) {
        if (stopping_) return;  // nothing left
        continue;
      }
      batch.swap(queue_);
    }
    buf.clear();
    for (const AccessLogEntry& e : batch) buf += FormatLine(format_, e);
    std::fwrite(buf.data(), 1, buf.size(), file_);
    std::fflush(file_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      written_ += batch.size();
    }
    flushed_.notify_all();
    batch.clear();
  }
}

}  // namespace spate::server
