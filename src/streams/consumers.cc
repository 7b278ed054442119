#include "streams/consumers.h"

#include <algorithm>
#include <charconv>

namespace spate::streams {

using metadata::ConsumerMeta;
using metadata::ConsumerStatus;
using metadata::StreamMeta;

std::string ConsumerArn(const StreamMeta& stream, const ConsumerMeta& consumer) {
  return StreamArn(stream) + "/consumer/" + consumer.name + ":" + std::to_string(consumer.created_ms / 1000);
}

bool LooksLikeConsumerArn(std::string_view arn) { return arn.find("/consumer/") != std::string_view::npos; }

Result<ConsumerRef> ParseConsumerArn(std::string_view arn) {
  Status invalid(ErrorCode::kInvalidArgument, "Invalid ConsumerARN " + std::string(arn) + ".");
  constexpr std::string_view kConsumer = "/consumer/";
  size_t at = arn.find(kConsumer);
  if (at == std::string_view::npos) return invalid;
  std::string_view stream_arn = arn.substr(0, at);
  std::string_view rest = arn.substr(at + kConsumer.size());
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) return invalid;
  ConsumerRef ref;
  ref.name = std::string(rest.substr(0, colon));
  std::string_view secs = rest.substr(colon + 1);
  auto [p, ec] = std::from_chars(secs.data(), secs.data() + secs.size(), ref.created_s);
  if (ec != std::errc() || p != secs.data() + secs.size()) return invalid;
  auto stream = ResolveStream(Caller{}, {}, stream_arn);
  if (!stream.ok()) return invalid;
  ref.stream = std::move(stream).value();
  return ref;
}

Result<ConsumerRef> ResolveConsumer(std::string_view consumer_arn, std::string_view stream_arn,
                                    std::string_view consumer_name) {
  if (!consumer_arn.empty()) {
    auto ref = ParseConsumerArn(consumer_arn);
    if (!ref.ok()) return ref;
    if (!consumer_name.empty() && consumer_name != ref->name) {
      return Status(ErrorCode::kInvalidArgument, "ConsumerName " + std::string(consumer_name) + " and ConsumerARN " +
                                                     std::string(consumer_arn) + " do not refer to the same consumer.");
    }
    if (!stream_arn.empty()) {
      auto stream = ResolveStream(Caller{}, {}, stream_arn);
      if (!stream.ok()) return stream.status();
      if (stream->name != ref->stream.name || stream->account != ref->stream.account ||
          stream->region != ref->stream.region) {
        return Status(ErrorCode::kInvalidArgument, "StreamARN " + std::string(stream_arn) + " and ConsumerARN " +
                                                       std::string(consumer_arn) + " do not refer to the same stream.");
      }
    }
    return ref;
  }
  if (stream_arn.empty() || consumer_name.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "Either ConsumerARN or both StreamARN and ConsumerName must be provided.");
  }
  auto stream = ResolveStream(Caller{}, {}, stream_arn);
  if (!stream.ok()) return stream.status();
  ConsumerRef ref;
  ref.stream = std::move(stream).value();
  ref.name = std::string(consumer_name);
  return ref;
}

const ConsumerMeta* FindConsumer(const StreamMeta& stream, const ConsumerRef& ref) {
  const ConsumerMeta* c = stream.FindConsumer(ref.name);
  if (c == nullptr || (ref.created_s != 0 && c->created_ms / 1000 != ref.created_s)) return nullptr;
  return c;
}

ConsumerMeta* FindConsumer(StreamMeta& stream, const ConsumerRef& ref) {
  return const_cast<ConsumerMeta*>(FindConsumer(static_cast<const StreamMeta&>(stream), ref));
}

Status ConsumerNotFound(const ConsumerRef& ref) {
  return Status(ErrorCode::kNotFound, "Consumer " + ref.name + " under stream " + ref.stream.name + " under account " +
                                          ref.stream.account + " not found.");
}

bool AdvanceConsumers(StreamMeta* meta, int64_t now_ms, int64_t state_delay_ms) {
  bool changed = false;
  for (ConsumerMeta& c : meta->consumers) {
    if (c.status == ConsumerStatus::kCreating && now_ms - c.status_since_ms >= state_delay_ms) {
      c.status = ConsumerStatus::kActive;
      c.status_since_ms = now_ms;
      changed = true;
    }
  }
  auto gone = [&](const ConsumerMeta& c) {
    return c.status == ConsumerStatus::kDeleting && now_ms - c.status_since_ms >= state_delay_ms;
  };
  size_t before = meta->consumers.size();
  meta->consumers.erase(std::remove_if(meta->consumers.begin(), meta->consumers.end(), gone), meta->consumers.end());
  return changed || meta->consumers.size() != before;
}

}  // namespace spate::streams
