#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "iam/caller.h"

namespace spate::analytics {

// Where an application's outputs write: a Kinesis stream or a Firehose
// delivery stream, named by ARN. Analytics defines it and spated implements
// it over the streams registry and Firehose's public interfaces, so that no
// service reaches into another. Thread-safe; calls may block up to about
// `kPutDeadlineMs`.
class RecordSink {
 public:
  enum class Kind : uint8_t { kKinesisStream, kDeliveryStream };
  static constexpr int64_t kPutDeadlineMs = 10000;

  virtual ~RecordSink() = default;

  // Writes up to 500 records, durably, as one PutRecords/PutRecordBatch.
  // Answers one status per record (ok: written), or the call's error when
  // none was written (kNotFound: no such stream; kUnavailable: no answer
  // within the deadline). The caller retries what failed.
  virtual Result<std::vector<Status>> Put(const iam::Caller& owner, Kind kind, std::string_view arn,
                                          const std::vector<std::string>& records) = 0;
};

}  // namespace spate::analytics
