#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/log.h"
#include "base/status.h"

namespace spate::server {

// One answered API request.
struct AccessLogEntry {
  int64_t time_ms = 0;          // wall clock when the request reached the front door
  std::string request_id;       // x-amzn-RequestId
  std::string account;          // the caller's account; empty before SigV4 passed
  std::string operation;        // "PutRecord"; empty when the target named none
  std::string stream;           // the resource the call names (Service::ResourceName); may be empty
  int status = 0;               // HTTP status
  std::string error_type;       // x-amzn-ErrorType ("ResourceNotFoundException"); empty on success
  int64_t latency_us = 0;       // arrival to response built
  uint64_t request_bytes = 0;   // request body
  uint64_t response_bytes = 0;  // response body (0 for an event stream: it is still open)
};

// The request log (spated --access-log PATH|-), written off the hot path:
// Submit() puts the entry on a bounded queue and returns; one writer thread
// formats and writes the lines and flushes after each batch. When the queue
// is full the entry is dropped and counted (dropped()): an I/O thread never
// waits for the disk. Lines, one per entry, in the process's log format:
//   text: <time> <account> <operation> <stream> <status> <error type>
//         <latency ms> <request bytes> <response bytes> <request id>
//         (empty fields as "-")
//   json: {"time":..,"account":..,"operation":..,"stream":..,"status":200,
//          "error":..,"latency_ms":0.412,"request_bytes":..,
//          "response_bytes":..,"request_id":..}
// Reopen() starts a new file at the same path (after logrotate renamed the
// old one; spated calls it on SIGHUP).
// Thread-safe. Destruction writes what is queued, then stops the writer.
class AccessLog {
 public:
  static constexpr size_t kDefaultQueueEntries = 65536;

  // Appends to `path` (created if missing), or writes to stdout for "-".
  static Result<std::unique_ptr<AccessLog>> Open(const std::string& path, LogFormat format,
                                                 size_t queue_entries = kDefaultQueueEntries);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Queues `entry`; false (and counted in dropped()) when the queue is full.
  // Never blocks on I/O.
  bool Submit(AccessLogEntry entry);
  // Returns once every entry submitted before the call is written and
  // flushed (tests; shutdown).
  void Flush();

  // Opens the path again (appending, created if missing) and makes the
  // writer use the new file from its next batch on; the old file is closed
  // once the writer lets go of it. kIoError, keeping the old file, when the
  // path cannot be opened. No-op for stdout ("-").
  Status Reopen();

  uint64_t dropped() const;
  uint64_t written() const;

  // The line for `entry` in `format`, with its newline.
  static std::string FormatLine(LogFormat format, const AccessLogEntry& entry);

 private:
  AccessLog(std::FILE* file, std::string path, LogFormat format, size_t queue_entries);
  void Run();

  std::FILE* file_;                // written by the writer thread only (then by the destructor)
  const std::string path_;         // empty for stdout
  const bool owned_;               // fclose at destruction (not stdout)
  std::FILE* reopened_ = nullptr;  // guarded by mu_: the next file, taken by the writer
  const LogFormat format_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable wake_;      // the writer: entries queued, or stopping
  std::condition_variable flushed_;   // Flush(): written_ moved
  std::deque<AccessLogEntry> queue_;  // guarded by mu_
  uint64_t submitted_ = 0;            // guarded by mu_
  uint64_t written_ = 0;              // guarded by mu_
  uint64_t dropped_ = 0;              // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  std::thread writer_;
};

}  // namespace spate::server
