#include "streams/stream_metrics.h"

#include <set>
#include <string>
#include <vector>

#include "metadata/stream_meta.h"
#include "streams/stream_ref.h"

namespace spate::streams {
namespace {

using metrics::Counter;
using metrics::Family;
using metrics::Gauge;
using metrics::Histogram;
using metrics::LabelValues;

const std::vector<std::string> kStreamLabels = {"account", "region", "stream_name"};
const std::vector<std::string> kShardLabels = {"account", "region", "stream_name", "shard_id"};
const std::vector<std::string> kConsumerLabels = {"account", "region", "stream_name", "consumer_name"};

bool SameStream(const LabelValues& v, const metadata::StreamMeta& s) {
  return v[0] == s.account && v[1] == s.region && v[2] == s.name;
}

}  // namespace

StreamsMetrics::StreamsMetrics(metrics::Registry* r) {
  auto counter = [r](const char* name, const char* help, const std::vector<std::string>& labels) {
    return r->AddCounter(name, help, labels);
  };
  auto histogram = [r](const char* name, const char* help, metrics::Buckets b, const std::vector<std::string>& labels) {
    return r->AddHistogram(name, help, b, labels);
  };
  const auto& L = kStreamLabels;
  incoming_bytes_ =
      counter("spate_kinesis_incoming_bytes_total",
              "Bytes (data and partition keys) of records put to the stream (CloudWatch IncomingBytes).", L);
  incoming_records_ =
      counter("spate_kinesis_incoming_records_total", "Records put to the stream (CloudWatch IncomingRecords).", L);
  put_record_success_ = counter("spate_kinesis_put_record_success_total",
                                "Successful PutRecord calls (CloudWatch PutRecord.Success).", L);
  put_record_latency_ =
      histogram("spate_kinesis_put_record_latency_seconds",
                "PutRecord latency, request decoded to record durable (CloudWatch PutRecord.Latency).",
                metrics::LatencyMicrosBuckets(), L);
  put_records_success_ = counter("spate_kinesis_put_records_success_total",
                                 "PutRecords calls with at least one record put (CloudWatch PutRecords.Success).", L);
  put_records_total_records_ = counter("spate_kinesis_put_records_total_records_total",
                                       "Records sent in PutRecords calls (CloudWatch PutRecords.TotalRecords).", L);
  put_records_successful_records_ =
      counter("spate_kinesis_put_records_successful_records_total",
              "Records put by PutRecords calls (CloudWatch PutRecords.SuccessfulRecords, PutRecords.Records).", L);
  put_records_failed_records_ =
      counter("spate_kinesis_put_records_failed_records_total",
              "PutRecords records failed for an internal error (CloudWatch PutRecords.FailedRecords).", L);
  put_records_throttled_records_ =
      counter("spate_kinesis_put_records_throttled_records_total",
              "PutRecords records refused for throughput (CloudWatch PutRecords.ThrottledRecords).", L);
  put_records_bytes_ = counter("spate_kinesis_put_records_bytes_total",
                               "Bytes of the records put by PutRecords calls (CloudWatch PutRecords.Bytes).", L);
  put_records_latency_ =
      histogram("spate_kinesis_put_records_latency_seconds", "PutRecords latency (CloudWatch PutRecords.Latency).",
                metrics::LatencyMicrosBuckets(), L);
  get_records_success_ = counter("spate_kinesis_get_records_success_total",
                                 "Successful GetRecords calls (CloudWatch GetRecords.Success).", L);
  get_records_bytes_ =
      counter("spate_kinesis_get_records_bytes_total",
              "Bytes (data and partition keys) returned by GetRecords (CloudWatch GetRecords.Bytes).", L);
  get_records_records_ = counter("spate_kinesis_get_records_records_total",
                                 "Records returned by GetRecords (CloudWatch GetRecords.Records).", L);
  get_records_latency_ =
      histogram("spate_kinesis_get_records_latency_seconds",
                "Successful GetRecords latency (CloudWatch GetRecords.Latency).", metrics::LatencyMicrosBuckets(), L);
  get_records_iterator_age_ =
      histogram("spate_kinesis_get_records_iterator_age_seconds",
                "Age of the last record returned by each GetRecords call, 0 when caught up with the shard's tip "
                "(CloudWatch GetRecords.IteratorAgeMilliseconds).",
                metrics::AgeMillisBuckets(), L);
  read_throttled_ = counter("spate_kinesis_read_provisioned_throughput_exceeded_total",
                            "GetRecords calls refused for the shard's read rate (CloudWatch "
                            "ReadProvisionedThroughputExceeded).",
                            L);
  write_throttled_ =
      counter("spate_kinesis_write_provisioned_throughput_exceeded_total",
              "Records refused for the shard's write rate (CloudWatch WriteProvisionedThroughputExceeded).", L);

  const auto& S = kShardLabels;
  const char* kEnhanced = " Only for shard-level metrics enabled by EnableEnhancedMonitoring.";
  auto shard_help = [kEnhanced](const char* what) { return std::string(what) + kEnhanced; };
  shard_incoming_bytes_ = r->AddCounter("spate_kinesis_shard_incoming_bytes_total",
                                        shard_help("Bytes put to the shard (CloudWatch IncomingBytes, ShardId)."), S);
  shard_incoming_records_ =
      r->AddCounter("spate_kinesis_shard_incoming_records_total",
                    shard_help("Records put to the shard (CloudWatch IncomingRecords, ShardId)."), S);
  shard_outgoing_bytes_ = r->AddCounter(
      "spate_kinesis_shard_outgoing_bytes_total",
      shard_help("Bytes retrieved from the shard: returned by GetRecords and pushed in SubscribeToShard events "
                 "(CloudWatch OutgoingBytes, ShardId)."),
      S);
  shard_outgoing_records_ = r->AddCounter(
      "spate_kinesis_shard_outgoing_records_total",
      shard_help("Records retrieved from the shard: returned by GetRecords and pushed in SubscribeToShard events "
                 "(CloudWatch OutgoingRecords, ShardId)."),
      S);
  shard_read_throttled_ = r->AddCounter(
      "spate_kinesis_shard_read_provisioned_throughput_exceeded_total",
      shard_help("GetRecords calls refused for the shard's read rate (CloudWatch ReadProvisionedThroughputExceeded, "
                 "ShardId)."),
      S);
  shard_write_throttled_ = r->AddCounter(
      "spate_kinesis_shard_write_provisioned_throughput_exceeded_total",
      shard_help(
          "Records refused for the shard's write rate (CloudWatch WriteProvisionedThroughputExceeded, ShardId)."),
      S);
  shard_iterator_age_ =
      r->AddGauge("spate_kinesis_shard_iterator_age_milliseconds",
                  shard_help("Age of the last record returned by the shard's latest GetRecords, 0 when caught up "
                             "(CloudWatch IteratorAgeMilliseconds, ShardId)."),
                  S);

  const auto& C = kConsumerLabels;
  subscribe_success_ =
      r->AddCounter("spate_kinesis_subscribe_to_shard_success_total",
                    "Subscriptions started by SubscribeToShard (CloudWatch SubscribeToShard.Success).", C);
  event_bytes_ = r->AddCounter("spate_kinesis_subscribe_to_shard_event_bytes_total",
                               "Bytes (data and partition keys) pushed to the consumer (CloudWatch "
                               "SubscribeToShardEvent.Bytes).",
                               C);
  event_records_ = r->AddCounter("spate_kinesis_subscribe_to_shard_event_records_total",
                                 "Records pushed to the consumer (CloudWatch SubscribeToShardEvent.Records).", C);
  event_millis_behind_ = r->AddHistogram("spate_kinesis_subscribe_to_shard_event_millis_behind_latest_seconds",
                                         "How far each event with records was behind the shard's tip (CloudWatch "
                                         "SubscribeToShardEvent.MillisBehindLatest).",
                                         metrics::AgeMillisBuckets(), C);
}

template <typename T>
std::shared_ptr<T> StreamsMetrics::Get(Family<T>* f, const metadata::StreamMeta& s) {
  return f->Get({s.account, s.region, s.name});
}

std::shared_ptr<const StreamMetrics> StreamsMetrics::ForStream(const metadata::StreamMeta& s) {
  auto m = std::make_shared<StreamMetrics>();
  m->incoming_bytes = Get(incoming_bytes_, s);
  m->incoming_records = Get(incoming_records_, s);
  m->put_record_success = Get(put_record_success_, s);
  m->put_record_latency = Get(put_record_latency_, s);
  m->put_records_success = Get(put_records_success_, s);
  m->put_records_total_records = Get(put_records_total_records_, s);
  m->put_records_successful_records = Get(put_records_successful_records_, s);
  m->put_records_failed_records = Get(put_records_failed_records_, s);
  m->put_records_throttled_records = Get(put_records_throttled_records_, s);
  m->put_records_bytes = Get(put_records_bytes_, s);
  m->put_records_latency = Get(put_records_latency_, s);
  m->get_records_success = Get(get_records_success_, s);
  m->get_records_bytes = Get(get_records_bytes_, s);
  m->get_records_records = Get(get_records_records_, s);
  m->get_records_latency = Get(get_records_latency_, s);
  m->get_records_iterator_age = Get(get_records_iterator_age_, s);
  m->read_throttled = Get(read_throttled_, s);
  m->write_throttled = Get(write_throttled_, s);
  return m;
}

ShardMetricsMap StreamsMetrics::ForShards(const metadata::StreamMeta& s) {
  // CloudWatch's shard-level metric names (EnableEnhancedMonitoring) and
  // the family each selects.
  const auto& on = s.shard_level_metrics;
  auto enabled = [&on](const char* name) { return on.count(name) != 0; };
  struct CounterChoice {
    const char* cloudwatch;
    Family<Counter>* family;
    std::shared_ptr<Counter> ShardMetrics::*member;
  };
  const CounterChoice counters[] = {
      {"IncomingBytes", shard_incoming_bytes_, &ShardMetrics::incoming_bytes},
      {"IncomingRecords", shard_incoming_records_, &ShardMetrics::incoming_records},
      {"OutgoingBytes", shard_outgoing_bytes_, &ShardMetrics::outgoing_bytes},
      {"OutgoingRecords", shard_outgoing_records_, &ShardMetrics::outgoing_records},
      {"ReadProvisionedThroughputExceeded", shard_read_throttled_, &ShardMetrics::read_throttled},
      {"WriteProvisionedThroughputExceeded", shard_write_throttled_, &ShardMetrics::write_throttled},
  };
  const bool age = enabled("IteratorAgeMilliseconds");

  std::set<std::string> shard_ids;
  for (const metadata::ShardMeta& shard : s.shards) shard_ids.insert(model::ShardIdName(shard.index));
  auto stale = [&](bool on_now) {
    return [&, on_now](const LabelValues& v) { return SameStream(v, s) && (!on_now || shard_ids.count(v[3]) == 0); };
  };
  for (const CounterChoice& c : counters) c.family->RemoveIf(stale(enabled(c.cloudwatch)));
  shard_iterator_age_->RemoveIf(stale(age));

  ShardMetricsMap out;
  bool any = age;
  for (const CounterChoice& c : counters) any = any || enabled(c.cloudwatch);
  if (!any) return out;
  for (const metadata::ShardMeta& shard : s.shards) {
    LabelValues labels{s.account, s.region, s.name, model::ShardIdName(shard.index)};
    auto m = std::make_shared<ShardMetrics>();
    for (const CounterChoice& c : counters) {
      if (enabled(c.cloudwatch)) (*m).*(c.member) = c.family->Get(labels);
    }
    if (age) m->iterator_age_ms = shard_iterator_age_->Get(labels);
    out[shard.index] = std::move(m);
  }
  return out;
}

std::shared_ptr<const ConsumerMetrics> StreamsMetrics::ForConsumer(const StreamRef& stream,
                                                                   std::string_view consumer_name) {
  LabelValues labels{stream.account, stream.region, stream.name, std::string(consumer_name)};
  auto m = std::make_shared<ConsumerMetrics>();
  m->subscribe_success = subscribe_success_->Get(labels);
  m->event_bytes = event_bytes_->Get(labels);
  m->event_records = event_records_->Get(labels);
  m->event_millis_behind = event_millis_behind_->Get(labels);
  return m;
}

void StreamsMetrics::DropStream(const metadata::StreamMeta& s) {
  auto same = [&s](const LabelValues& v) { return SameStream(v, s); };
  for (auto* f : {incoming_bytes_,
                  incoming_records_,
                  put_record_success_,
                  put_records_success_,
                  put_records_total_records_,
                  put_records_successful_records_,
                  put_records_failed_records_,
                  put_records_throttled_records_,
                  put_records_bytes_,
                  get_records_success_,
                  get_records_bytes_,
                  get_records_records_,
                  read_throttled_,
                  write_throttled_,
                  shard_incoming_bytes_,
                  shard_incoming_records_,
                  shard_outgoing_bytes_,
                  shard_outgoing_records_,
                  shard_read_throttled_,
                  shard_write_throttled_,
                  subscribe_success_,
                  event_bytes_,
                  event_records_}) {
    f->RemoveIf(same);
  }
  for (auto* f : {put_record_latency_, put_records_latency_, get_records_latency_, get_records_iterator_age_,
                  event_millis_behind_}) {
    f->RemoveIf(same);
  }
  shard_iterator_age_->RemoveIf(same);
}

}  // namespace spate::streams
