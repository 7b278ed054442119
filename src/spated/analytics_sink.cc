#include "spated/analytics_sink.h"

#include <chrono>
#include <future>
#include <memory>

#include "firehose/delivery_streams.h"
#include "streams/registry.h"
#include "streams/stream_ref.h"

namespace spate::spated {
namespace {

template <typename T>
Result<T> WaitFor(std::future<Result<T>>& f) {
  if (f.wait_for(std::chrono::milliseconds(analytics::RecordSink::kPutDeadlineMs)) != std::future_status::ready) {
    return Unavailable("no acknowledgement within the deadline");
  }
  return f.get();
}

}  // namespace

Result<std::vector<Status>> ServicesRecordSink::Put(const iam::Caller& owner, Kind kind, std::string_view arn,
                                                    const std::vector<std::string>& records) {
  if (kind == Kind::kKinesisStream) return PutKinesis(owner, arn, records);
  return PutFirehose(owner, arn, records);
}

Result<std::vector<Status>> ServicesRecordSink::PutKinesis(const iam::Caller& owner, std::string_view arn,
                                                           const std::vector<std::string>& records) {
  SPATE_ASSIGN_OR_RETURN(streams::StreamRef ref, streams::ResolveStream(owner, "", arn));
  if (ref.account != owner.account) {
    return Status(ErrorCode::kAccessDenied, "Stream " + std::string(arn) + " belongs to another account.");
  }
  std::vector<streams::PutEntry> entries;
  entries.reserve(records.size());
  for (const std::string& r : records) {
    streams::PutEntry e;
    e.partition_key = std::to_string(next_key_.fetch_add(1));
    e.data = r;
    entries.push_back(std::move(e));
  }
  auto promise = std::make_shared<std::promise<Result<std::vector<Status>>>>();
  auto future = promise->get_future();
  registry_->Put(ref, std::move(entries), [promise](Result<std::vector<streams::PutOutcome>> r) {
    if (!r.ok()) {
      promise->set_value(r.status());
      return;
    }
    std::vector<Status> out;
    for (const streams::PutOutcome& o : *r) out.push_back(o.status);
    promise->set_value(std::move(out));
  });
  return WaitFor(future);
}

Result<std::vector<Status>> ServicesRecordSink::PutFirehose(const iam::Caller& owner, std::string_view arn,
                                                            const std::vector<std::string>& records) {
  constexpr std::string_view kResource = ":deliverystream/";
  size_t at = arn.find(kResource);
  if (at == std::string_view::npos) return InvalidArgument("Invalid delivery stream ARN " + std::string(arn) + ".");
  std::string expected_prefix = "arn:aws:firehose:" + owner.region + ":" + owner.account;
  if (arn.substr(0, at) != expected_prefix) {
    return Status(ErrorCode::kAccessDenied,
                  "Delivery stream " + std::string(arn) + " is not in the application's account and region.");
  }
  protocol::Value in = protocol::Value::MakeObject();
  in.Set("DeliveryStreamName", protocol::Value::String(std::string(arn.substr(at + kResource.size()))));
  protocol::Value list = protocol::Value::MakeArray();
  for (const std::string& r : records) {
    protocol::Value rec = protocol::Value::MakeObject();
    rec.Set("Data", protocol::Value::Blob(r));
    list.Append(std::move(rec));
  }
  in.Set("Records", std::move(list));
  auto promise = std::make_shared<std::promise<Result<std::vector<Status>>>>();
  auto future = promise->get_future();
  size_t n = records.size();
  delivery_streams_->PutRecordBatch(owner, std::move(in), [promise, n](Result<protocol::Value> r) {
    if (!r.ok()) {
      promise->set_value(r.status());
      return;
    }
    std::vector<Status> out(n);
    const protocol::Value* responses = r->Find("RequestResponses");
    for (size_t i = 0; i < n; ++i) {
      const protocol::Value* resp =
          responses != nullptr && i < responses->as_array().size() ? &responses->as_array()[i] : nullptr;
      if (resp == nullptr) {
        out[i] = Unavailable("no response for the record");
      } else if (resp->Has("ErrorCode")) {
        out[i] = Unavailable(std::string(resp->GetString("ErrorCode")) + ": " +
                             std::string(resp->GetString("ErrorMessage")));
      }
    }
    promise->set_value(std::move(out));
  });
  return WaitFor(future);
}

}  // namespace spate::spated
