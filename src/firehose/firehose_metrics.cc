#include "firehose/firehose_metrics.h"

namespace spate::firehose {
namespace {

const std::vector<std::string> kLabels = {"account", "region", "delivery_stream_name"};

}  // namespace

FirehoseMetrics::FirehoseMetrics(metrics::Registry* registry) {
  metrics::Registry* r = registry != nullptr ? registry : &own_;
  incoming_bytes_ = r->AddCounter("spate_firehose_incoming_bytes_total",
                                  "IncomingBytes: bytes of records acknowledged by PutRecord and PutRecordBatch "
                                  "(or read from the Kinesis source).",
                                  kLabels);
  incoming_records_ = r->AddCounter("spate_firehose_incoming_records_total",
                                    "IncomingRecords: records acknowledged by PutRecord and PutRecordBatch "
                                    "(or read from the Kinesis source).",
                                    kLabels);
  incoming_put_requests_ =
      r->AddCounter("spate_firehose_incoming_put_requests_total",
                    "IncomingPutRequests: successful PutRecord and PutRecordBatch calls.", kLabels);
  throttled_records_ =
      r->AddCounter("spate_firehose_throttled_records_total",
                    "ThrottledRecords: records refused for the delivery stream's DirectPut quota.", kLabels);
  delivered_records_ = r->AddCounter("spate_firehose_delivery_to_s3_records_total",
                                     "DeliveryToS3.Records: records delivered to S3 or the local store.", kLabels);
  delivered_bytes_ = r->AddCounter("spate_firehose_delivery_to_s3_bytes_total",
                                   "DeliveryToS3.Bytes: bytes delivered, before compression.", kLabels);
  delivered_objects_ =
      r->AddCounter("spate_firehose_delivery_to_s3_objects_total",
                    "DeliveryToS3.ObjectCount: objects delivered (DeliveryToS3.Success counts them).", kLabels);
  failed_attempts_ = r->AddCounter("spate_firehose_delivery_to_s3_failed_attempts_total",
                                   "Object uploads that failed and will be retried.", kLabels);
  expired_records_ = r->AddCounter(
      "spate_firehose_delivery_to_s3_expired_records_total",
      "Records whose object kept failing for the whole retry window and went to the error output.", kLabels);
  hold_expired_records_ = r->AddCounter(
      "spate_firehose_hold_expired_records_total",
      "Records a reader's hold (an Analytics application's input) kept for 24 h and then let go.", kLabels);
  data_freshness_ = r->AddGauge("spate_firehose_delivery_to_s3_data_freshness_seconds",
                                "DeliveryToS3.DataFreshness: age of the oldest record not yet delivered.", kLabels);
  redshift_records_ = r->AddCounter("spate_firehose_delivery_to_redshift_records_total",
                                    "DeliveryToRedshift.Records: records COPYed into PostgreSQL.", kLabels);
  redshift_bytes_ =
      r->AddCounter("spate_firehose_delivery_to_redshift_bytes_total",
                    "DeliveryToRedshift.Bytes: bytes COPYed into PostgreSQL, before compression.", kLabels);
  redshift_copies_ = r->AddCounter("spate_firehose_delivery_to_redshift_success_total",
                                   "DeliveryToRedshift.Success: COPY transactions committed.", kLabels);
  redshift_failed_copies_ = r->AddCounter("spate_firehose_delivery_to_redshift_failed_total",
                                          "COPY attempts that failed and are retried.", kLabels);
  opensearch_records_ = r->AddCounter("spate_firehose_delivery_to_opensearch_records_total",
                                      "DeliveryToAmazonOpenSearchService.Records: documents indexed.", kLabels);
  opensearch_bytes_ =
      r->AddCounter("spate_firehose_delivery_to_opensearch_bytes_total",
                    "DeliveryToAmazonOpenSearchService.Bytes: bytes of the documents indexed.", kLabels);
  opensearch_success_ =
      r->AddCounter("spate_firehose_delivery_to_opensearch_success_total",
                    "DeliveryToAmazonOpenSearchService.Success: _bulk requests answered 200.", kLabels);
  opensearch_failed_records_ =
      r->AddCounter("spate_firehose_delivery_to_opensearch_failed_records_total",
                    "Documents written to the S3 backup as failed (AmazonOpenSearchService-failed).", kLabels);
  http_endpoint_records_ = r->AddCounter("spate_firehose_delivery_to_http_endpoint_records_total",
                                         "DeliveryToHttpEndpoint.Records: records the endpoint acknowledged.", kLabels);
  http_endpoint_bytes_ =
      r->AddCounter("spate_firehose_delivery_to_http_endpoint_bytes_total",
                    "DeliveryToHttpEndpoint.Bytes: bytes of the records acknowledged, before encoding.", kLabels);
  http_endpoint_success_ =
      r->AddCounter("spate_firehose_delivery_to_http_endpoint_success_total",
                    "DeliveryToHttpEndpoint.Success: requests answered 200 with their requestId.", kLabels);
  http_endpoint_failed_records_ = r->AddCounter(
      "spate_firehose_delivery_to_http_endpoint_failed_records_total",
      "Records written to the S3 backup (http-endpoint-failed) or, after a 413, to the error output.", kLabels);
  succeed_conversion_records_ =
      r->AddCounter("spate_firehose_succeed_conversion_records_total",
                    "SucceedConversion.Records: records converted to Parquet (record format conversion).", kLabels);
  succeed_conversion_bytes_ =
      r->AddCounter("spate_firehose_succeed_conversion_bytes_total",
                    "SucceedConversion.Bytes: bytes of JSON of the records converted.", kLabels);
  failed_conversion_records_ = r->AddCounter(
      "spate_firehose_failed_conversion_records_total",
      "FailedConversion.Records: records that did not convert (written to format-conversion-failed).", kLabels);
  failed_conversion_bytes_ =
      r->AddCounter("spate_firehose_failed_conversion_bytes_total",
                    "FailedConversion.Bytes: bytes of the records that did not convert.", kLabels);
  processing_ = std::make_unique<processing::ProcessingMetricFamilies>(r, kLabels);
}

std::shared_ptr<DeliveryStreamMetrics> FirehoseMetrics::ForStream(const std::string& account, const std::string& region,
                                                                  const std::string& name) {
  metrics::LabelValues v = {account, region, name};
  auto m = std::make_shared<DeliveryStreamMetrics>();
  m->incoming_bytes = incoming_bytes_->Get(v);
  m->incoming_records = incoming_records_->Get(v);
  m->incoming_put_requests = incoming_put_requests_->Get(v);
  m->throttled_records = throttled_records_->Get(v);
  m->delivered_records = delivered_records_->Get(v);
  m->delivered_bytes = delivered_bytes_->Get(v);
  m->delivered_objects = delivered_objects_->Get(v);
  m->failed_attempts = failed_attempts_->Get(v);
  m->expired_records = expired_records_->Get(v);
  m->hold_expired_records = hold_expired_records_->Get(v);
  m->data_freshness_seconds = data_freshness_->Get(v);
  m->redshift_records = redshift_records_->Get(v);
  m->redshift_bytes = redshift_bytes_->Get(v);
  m->redshift_copies = redshift_copies_->Get(v);
  m->redshift_failed_copies = redshift_failed_copies_->Get(v);
  m->opensearch_records = opensearch_records_->Get(v);
  m->opensearch_bytes = opensearch_bytes_->Get(v);
  m->opensearch_success = opensearch_success_->Get(v);
  m->opensearch_failed_records = opensearch_failed_records_->Get(v);
  m->http_endpoint_records = http_endpoint_records_->Get(v);
  m->http_endpoint_bytes = http_endpoint_bytes_->Get(v);
  m->http_endpoint_success = http_endpoint_success_->Get(v);
  m->http_endpoint_failed_records = http_endpoint_failed_records_->Get(v);
  m->succeed_conversion_records = succeed_conversion_records_->Get(v);
  m->succeed_conversion_bytes = succeed_conversion_bytes_->Get(v);
  m->failed_conversion_records = failed_conversion_records_->Get(v);
  m->failed_conversion_bytes = failed_conversion_bytes_->Get(v);
  m->processing = processing_->ForStream(v);
  return m;
}

void FirehoseMetrics::Remove(const std::string& account, const std::string& region, const std::string& name) {
  metrics::LabelValues v = {account, region, name};
  for (metrics::FamilyBase* f : std::initializer_list<metrics::FamilyBase*>{incoming_bytes_,
                                                                            incoming_records_,
                                                                            incoming_put_requests_,
                                                                            throttled_records_,
                                                                            delivered_records_,
                                                                            delivered_bytes_,
                                                                            delivered_objects_,
                                                                            failed_attempts_,
                                                                            expired_records_,
                                                                            hold_expired_records_,
                                                                            data_freshness_,
                                                                            redshift_records_,
                                                                            redshift_bytes_,
                                                                            redshift_copies_,
                                                                            redshift_failed_copies_,
                                                                            opensearch_records_,
                                                                            opensearch_bytes_,
                                                                            opensearch_success_,
                                                                            opensearch_failed_records_,
                                                                            http_endpoint_records_,
                                                                            http_endpoint_bytes_,
                                                                            http_endpoint_success_,
                                                                            http_endpoint_failed_records_,
                                                                            succeed_conversion_records_,
                                                                            succeed_conversion_bytes_,
                                                                            failed_conversion_records_,
                                                                            failed_conversion_bytes_}) {
    f->Remove(v);
  }
  processing_->Remove(v);
}

}  // namespace spate::firehose
