#pragma once

// KPL record aggregation: many user records in one Kinesis record, in the
// Kinesis Producer Library's wire format (docs/formats/kpl-aggregation.md),
// so that what spate::Producer writes reads back through the KCL, Firehose
// and aws-kinesis-agg, and what they write reads back through Deaggregate.
//
// This header is installed; it names no third-party type (protobuf stays in
// the implementation, src/kpl/).
//
// Threading: Aggregator is a value type with no internal locking (one owner
// at a time); Deaggregate and IsAggregated are pure functions.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace spate {

// A record as its producer put it.
struct UserRecord {
  std::string partition_key;
  std::string explicit_hash_key;  // decimal 128-bit hash key; empty when none
  std::string data;
  // Its index inside the Kinesis record that carried it (0 for a plain one).
  uint64_t sub_sequence_number = 0;
  // True when it came out of an aggregate, false for a plain Kinesis record.
  bool aggregated = false;
};

// One Kinesis record to put (the fields of a PutRecords entry).
struct EncodedRecord {
  std::string partition_key;
  std::string explicit_hash_key;  // empty when none
  std::string data;
  // How many user records it carries; their sub-sequence numbers are
  // 0..user_record_count-1 in the order they were added.
  size_t user_record_count = 0;
};

// The KPL's default AggregationMaxSize: an aggregate's whole blob (magic,
// message, MD5) stays at or under it.
inline constexpr size_t kDefaultAggregationMaxSize = 51200;
// The KPL's default AggregationMaxCount (no practical bound).
inline constexpr size_t kDefaultAggregationMaxCount = 4294967295u;

// Packs user records, in order, into one Kinesis record under a size and a
// count limit. Records meant for one shard only: the result is put with the
// first record's hash key, so it lands on the shard that owns that key.
class Aggregator {
 public:
  explicit Aggregator(size_t max_size = kDefaultAggregationMaxSize, size_t max_count = kDefaultAggregationMaxCount);

  // Adds the record when the blob stays within max_size and max_count, or
  // when the aggregator is empty (a record that alone exceeds the limit then
  // goes out alone, unaggregated). Returns false, adding nothing, otherwise:
  // the caller Finish()es and starts again. `explicit_hash_key` empty: none.
  bool Add(std::string_view partition_key, std::string_view data, std::string_view explicit_hash_key = {});

  // The blob's exact size (magic + message + MD5) with `count()` records.
  size_t size_bytes() const;
  // The size the blob would have after adding this record (nothing is added).
  size_t SizeWith(std::string_view partition_key, std::string_view data, std::string_view explicit_hash_key = {}) const;
  size_t count() const { return records_.size(); }
  bool empty() const { return records_.empty(); }

  // The Kinesis record carrying every added record, and a reset aggregator.
  // One record is returned plain (its own keys and data, not wrapped); more
  // are wrapped (partition key of the first record, explicit hash key = the
  // first record's hash key in decimal). Precondition: !empty().
  EncodedRecord Finish();

 private:
  struct Entry {
    uint64_t partition_key_index;
    int64_t explicit_hash_key_index;  // -1: none
    std::string data;
  };
  // The message-size growth of adding this record.
  size_t Growth(std::string_view partition_key, std::string_view data, std::string_view explicit_hash_key) const;

  // Heterogeneous lookup: finding a string_view key allocates nothing.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using KeyIndex = std::unordered_map<std::string, uint64_t, KeyHash, std::equal_to<>>;

  size_t max_size_;
  size_t max_count_;
  size_t message_size_ = 0;  // the protobuf message's exact byte size
  std::vector<std::string> partition_keys_;
  std::vector<std::string> explicit_hash_keys_;
  KeyIndex partition_key_index_;
  KeyIndex explicit_hash_key_index_;
  std::vector<Entry> records_;
};

// True when `data` is a well-formed aggregate: magic, a message that parses,
// a matching MD5, every index inside its table.
bool IsAggregated(std::string_view data);

// The user records one Kinesis record carries: the records of a well-formed
// aggregate, in order, with sub-sequence numbers 0, 1, ...; anything else
// (no magic, too short, MD5 mismatch, unparsable message, an index outside
// its table) as one plain record with the Kinesis record's own keys.
std::vector<UserRecord> Deaggregate(std::string_view data, std::string_view partition_key,
                                    std::string_view explicit_hash_key = {});

}  // namespace spate
