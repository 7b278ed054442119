#pragma once

// spate::KinesisClient: a small, blocking client for the Kinesis Data Streams
// and Firehose JSON APIs, signed with SigV4. It is the transport under
// spate::Producer, spate::Consumer and the `spate` command-line tool, and it
// speaks the ordinary AWS API, so it works against Amazon Kinesis as well as
// against spated.
//
// This header is installed; it names no third-party type.
//
// Threading: a KinesisClient is safe to call from any number of threads at
// once. Each call blocks its thread until the answer (or the request's
// deadline); connections are pooled and reused between calls.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace spate {

// An error as the service answered it, or a failure to get an answer.
struct ApiError {
  // The AWS error type without its namespace ("ResourceNotFoundException").
  // Failures without an answer use "NetworkError" (connect, reset, timeout)
  // and "InvalidResponse" (an answer the client cannot read).
  std::string type;
  std::string message;
  // The HTTP status of the answer; 0 when there was none.
  int http_status = 0;

  // True for errors a caller may retry unchanged: throttling
  // (ProvisionedThroughputExceededException, LimitExceededException,
  // ThrottlingException, ServiceUnavailableException), any 5xx, and
  // NetworkError.
  bool retryable() const;
  // "Type: message", for logs and the CLI.
  std::string ToString() const;
};

// Outcome<T> holds a T or an ApiError.
template <typename T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Outcome(ApiError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

// An empty value for calls that answer nothing but success.
struct Done {};

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when none
};

// How to reach the service. Every empty field is filled by Resolve() from
// the usual AWS sources, in the AWS CLI's order.
struct ClientConfig {
  // "http://127.0.0.1:4567" or "https://kinesis.us-east-1.amazonaws.com".
  // Empty: AWS_ENDPOINT_URL_KINESIS, then AWS_ENDPOINT_URL, then
  // "http://127.0.0.1:4567". One endpoint serves every call, Firehose's too
  // (spated serves all its services on one port).
  std::string endpoint;
  // Empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, then
  // "us-east-1".
  std::string region;
  // Empty: AWS_PROFILE, then "default".
  std::string profile;
  // Unset: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, then the
  // profile in AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials), then
  // the fixed pair "spate"/"spate" (spated without --credentials-file accepts
  // any well-formed signature).
  std::optional<Credentials> credentials;
  // Verify the server's TLS certificate (https endpoints); a CA bundle path
  // may replace the system's.
  bool verify_tls = true;
  std::string ca_file;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{30000};

  // Fills the empty fields as described above. Fails (type
  // "InvalidConfiguration") on an endpoint that is not http(s)://host[:port]
  // (one trailing '/' is dropped), and, as the AWS CLI does, on a profile
  // other than "default" named explicitly (here or by AWS_PROFILE) that
  // neither profile file holds. Set-but-empty variables count as unset.
  static Outcome<ClientConfig> Resolve(ClientConfig partial);
};

// ---- Data shapes (the fields of the AWS shapes a client needs) -------------

struct PutRecordsEntry {
  std::string data;  // raw bytes; the client base64-encodes them
  std::string partition_key;
  std::string explicit_hash_key;  // empty when none
};

// One entry of a PutRecords answer, in request order: either shard_id and
// sequence_number, or error_code and error_message.
struct PutRecordsResultEntry {
  std::string shard_id;
  std::string sequence_number;
  std::string error_code;  // "ProvisionedThroughputExceededException", "InternalFailure"
  std::string error_message;
  bool ok() const { return error_code.empty(); }
};

struct PutRecordsResult {
  int failed_record_count = 0;
  std::vector<PutRecordsResultEntry> records;
};

// Exactly-once appends (a Spate extension, docs/exactly-once.md): who a
// producer is (InitProducer's answer) and the stamp of one request.
struct ProducerIdentity {
  std::string producer_id;
  int64_t epoch = 0;
};
struct ProducerStamp {
  std::string producer_id;
  int64_t epoch = 0;
  // Unique per (producer id, epoch); a resend of a request whose outcome is
  // unknown carries the same sequence and the same records in the same order.
  int64_t sequence = 0;
};

struct PutRecordResult {
  std::string shard_id;
  std::string sequence_number;
};

struct Record {
  std::string sequence_number;
  std::string partition_key;
  std::string data;                          // decoded bytes
  int64_t approximate_arrival_timestamp_ms;  // milliseconds since the epoch
  std::string encryption_type;               // "NONE" or "KMS"
};

struct GetRecordsResult {
  std::vector<Record> records;
  std::string next_shard_iterator;  // empty when the shard is closed and read to its end
  int64_t millis_behind_latest = 0;
  // Children of a closed shard read to its end (AWS answers them on the last
  // GetRecords of such a shard).
  std::vector<std::string> child_shards;
};

struct HashKeyRange {
  std::string starting_hash_key;  // decimal, as AWS writes it
  std::string ending_hash_key;
};

struct Shard {
  std::string shard_id;
  std::string parent_shard_id;           // empty when none
  std::string adjacent_parent_shard_id;  // empty when none
  HashKeyRange hash_key_range;
  std::string starting_sequence_number;
  std::string ending_sequence_number;  // empty while the shard is open
  bool open() const { return ending_sequence_number.empty(); }
};

struct StreamSummary {
  std::string stream_name;
  std::string stream_arn;
  std::string stream_status;  // CREATING, ACTIVE, UPDATING, DELETING
  std::string stream_mode;    // PROVISIONED or ON_DEMAND
  int retention_period_hours = 24;
  int open_shard_count = 0;
  int consumer_count = 0;
  std::string encryption_type;
  int64_t creation_timestamp_ms = 0;
};

// Where GetShardIterator starts.
struct IteratorPosition {
  enum class Type { kTrimHorizon, kLatest, kAtSequenceNumber, kAfterSequenceNumber, kAtTimestamp };
  Type type = Type::kTrimHorizon;
  std::string sequence_number;  // for kAt/kAfterSequenceNumber
  int64_t timestamp_ms = 0;     // for kAtTimestamp

  static IteratorPosition TrimHorizon() { return {}; }
  static IteratorPosition Latest() { return {Type::kLatest, {}, 0}; }
  static IteratorPosition AtSequenceNumber(std::string s) { return {Type::kAtSequenceNumber, std::move(s), 0}; }
  static IteratorPosition AfterSequenceNumber(std::string s) { return {Type::kAfterSequenceNumber, std::move(s), 0}; }
  static IteratorPosition AtTimestamp(int64_t ms) { return {Type::kAtTimestamp, {}, ms}; }
};

// A registered (enhanced fan-out) consumer of a stream.
struct StreamConsumer {
  std::string consumer_name;
  std::string consumer_arn;
  std::string consumer_status;  // CREATING, ACTIVE, DELETING
};

// One SubscribeToShardEvent of an enhanced fan-out subscription.
struct SubscribeToShardEvent {
  std::vector<Record> records;
  // Where the subscription got to: a new subscription AFTER_SEQUENCE_NUMBER
  // this number continues it. Empty once the shard is closed and read to its
  // end (then shard_ended is true).
  std::string continuation_sequence_number;
  int64_t millis_behind_latest = 0;
  // The shard is closed and every record was delivered; child_shards names
  // its children (the last event of such a shard carries them).
  bool shard_ended = false;
  std::vector<std::string> child_shards;
};

// What a subscription calls, from the thread that called SubscribeToShard.
struct SubscribeToShardHandler {
  // Each event in order; false ends the subscription (SubscribeToShard then
  // answers Done).
  std::function<bool(SubscribeToShardEvent&)> on_event;
  // Polled while waiting for events (at least once a second); true ends the
  // subscription (answers Done). May be empty.
  std::function<bool()> cancelled;
};

// Streams are named by name; an ARN is accepted wherever a name is (the
// client sends StreamARN when the string starts with "arn:").
class KinesisClient {
 public:
  // Resolves `config` (ClientConfig::Resolve) and builds a client.
  static Outcome<std::unique_ptr<KinesisClient>> Create(ClientConfig config);
  virtual ~KinesisClient() = default;

  // The resolved configuration the client uses.
  virtual const ClientConfig& config() const = 0;

  // One signed JSON call: `target` is the X-Amz-Target value
  // ("Kinesis_20131202.ListStreams", "Firehose_20150804.PutRecord"),
  // `signing_name` the SigV4 service name ("kinesis", "firehose"), `body` a
  // JSON document. Answers the response body (a JSON document) on 2xx, else
  // the ApiError decoded from it. Every typed call below goes through it.
  virtual Outcome<std::string> CallJson(std::string_view target, std::string_view signing_name,
                                        std::string_view body) = 0;

  // ---- Data Streams, typed ----
  // shard_count 0 creates an ON_DEMAND stream.
  virtual Outcome<Done> CreateStream(std::string_view stream, int shard_count) = 0;
  virtual Outcome<Done> DeleteStream(std::string_view stream, bool enforce_consumer_deletion) = 0;
  virtual Outcome<StreamSummary> DescribeStreamSummary(std::string_view stream) = 0;
  // Every stream name, all pages.
  virtual Outcome<std::vector<std::string>> ListStreams() = 0;
  // Every shard of the stream (open and closed), all pages.
  virtual Outcome<std::vector<Shard>> ListShards(std::string_view stream) = 0;
  virtual Outcome<Done> UpdateShardCount(std::string_view stream, int target_shard_count) = 0;
  virtual Outcome<PutRecordResult> PutRecord(std::string_view stream, const PutRecordsEntry& entry) = 0;
  // At most 500 entries and 5 MiB per call (the service refuses more).
  virtual Outcome<PutRecordsResult> PutRecords(std::string_view stream,
                                               const std::vector<PutRecordsEntry>& entries) = 0;
  virtual Outcome<std::string> GetShardIterator(std::string_view stream, std::string_view shard_id,
                                                const IteratorPosition& position) = 0;
  // limit 0: the service's default (10,000).
  virtual Outcome<GetRecordsResult> GetRecords(std::string_view shard_iterator, int limit) = 0;

  // ---- Enhanced fan-out ----
  // `stream` is a name or ARN (the client finds the ARN these calls need).
  // Registering an existing consumer answers its description (not
  // ResourceInUseException), so that workers sharing a name may all call it.
  virtual Outcome<StreamConsumer> RegisterStreamConsumer(std::string_view stream, std::string_view consumer_name);
  virtual Outcome<StreamConsumer> DescribeStreamConsumer(std::string_view consumer_arn);
  // One subscription (HTTP/2 event stream on AWS): blocks, calling `handler`
  // for each event, until the service ends it (after 5 minutes on AWS: the
  // caller subscribes again from the last continuation_sequence_number), the
  // shard ends, or the handler stops it. Answers Done in those cases, else
  // the error (ResourceInUseException while another subscription of the same
  // consumer to the shard is alive, the exception event the service sent, a
  // NetworkError). Clients that cannot subscribe answer
  // "UnsupportedOperation" (the default).
  virtual Outcome<Done> SubscribeToShard(std::string_view consumer_arn, std::string_view shard_id,
                                         const IteratorPosition& position, const SubscribeToShardHandler& handler);

  // ---- Exactly-once appends (Spate's SpateProducers_20261207 extension) ----
  // A new epoch for `producer_id` (empty: the server picks a new id); every
  // older epoch of the id is fenced from then on.
  virtual Outcome<ProducerIdentity> InitProducer(std::string_view producer_id);
  // PutRecords whose shard parts the server appends at most once per stamp:
  // a resend is answered with the original sequence numbers. A fenced epoch
  // fails with ConcurrentModificationException. Amazon Kinesis has no such
  // call; clients that cannot make it answer "UnsupportedOperation".
  virtual Outcome<PutRecordsResult> PutRecordsStamped(std::string_view stream,
                                                      const std::vector<PutRecordsEntry>& entries,
                                                      const ProducerStamp& stamp);
};

}  // namespace spate
