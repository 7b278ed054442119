// DeliveryStreams as a RecordReader (record_reader.h): other services read
// the records that enter a delivery stream from its log.

#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "firehose/delivery_streams.h"
#include "firehose/stream_state.h"

namespace spate::firehose {
namespace {

// The most bytes one Read returns (GetRecords' own limit).
constexpr size_t kMaxReadBytes = 10u << 20;

}  // namespace

Result<std::shared_ptr<DeliveryStreams::Stream>> DeliveryStreams::FindByArn(const iam::Caller& caller,
                                                                            std::string_view arn) const {
  constexpr std::string_view kResource = ":deliverystream/";
  size_t at = arn.find(kResource);
  if (arn.substr(0, 17) != "arn:aws:firehose:" || at == std::string_view::npos) {
    return InvalidArgument("Invalid delivery stream ARN " + std::string(arn) + ".");
  }
  std::string_view name = arn.substr(at + kResource.size());
  std::string owner = "arn:aws:firehose:" + caller.region + ":" + caller.account;
  if (arn.substr(0, at) != owner) return NotFound(caller, name);
  std::shared_lock<std::shared_mutex> l(mu_);
  std::shared_ptr<Stream> s = Find(caller, name);
  if (s == nullptr || s->log == nullptr || s->meta.status == DeliveryStatus::kDeleting) return NotFound(caller, name);
  return s;
}

Result<RecordRange> DeliveryStreams::Range(const iam::Caller& caller, std::string_view arn) const {
  SPATE_ASSIGN_OR_RETURN(std::shared_ptr<Stream> s, FindByArn(caller, arn));
  RecordRange r;
  {
    std::shared_lock<std::shared_mutex> l(mu_);
    r.log_id = s->meta.log_group;
  }
  r.start = s->log->StartOffset().value();
  r.end = s->log->EndOffset().value();
  return r;
}

Result<service::SourceBatch> DeliveryStreams::Read(const iam::Caller& caller, std::string_view arn,
                                                   std::string_view log_id, uint64_t from, size_t max_records) const {
  SPATE_ASSIGN_OR_RETURN(std::shared_ptr<Stream> s, FindByArn(caller, arn));
  {
    std::shared_lock<std::shared_mutex> l(mu_);
    if (s->meta.log_group != log_id) {
      return Status(ErrorCode::kNotFound, "Firehose " + s->meta.name + " was re-created since it was last read.");
    }
  }
  storage::ReadLimits limits;
  limits.max_records = std::max<size_t>(1, max_records);
  limits.max_bytes = kMaxReadBytes;
  limits.control_records = true;  // a buffer log: no record has a partition key
  SPATE_ASSIGN_OR_RETURN(storage::ReadResult r, s->log->Read(storage::Offset(from), limits));
  service::SourceBatch out;
  out.records.reserve(r.records.size());
  for (storage::StoredRecord& rec : r.records) {
    service::SourceRecord& dst = out.records.emplace_back();
    dst.data = std::move(rec.data);
    dst.arrival_ms = rec.arrival_ms;
  }
  out.next = r.next_offset.value();
  return out;
}

Status DeliveryStreams::Hold(const iam::Caller& caller, std::string_view arn, const std::string& holder,
                             uint64_t from) {
  SPATE_ASSIGN_OR_RETURN(std::shared_ptr<Stream> s, FindByArn(caller, arn));
  s->trimmer->Hold(holder, storage::Offset(from));
  return Status::Ok();
}

void DeliveryStreams::Release(const iam::Caller& caller, std::string_view arn, const std::string& holder) {
  auto s = FindByArn(caller, arn);
  if (s.ok()) (*s)->trimmer->Release(holder);
}

}  // namespace spate::firehose
