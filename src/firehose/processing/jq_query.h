#pragma once

// A MetadataExtractionQuery (JsonParsingEngine JQ-1.6) compiled by libjq 1.6,
// the jq AWS runs, evaluated on each record to get its partitionKeyFromQuery
// keys. libjq stays out of this header.
//
// Threading: a JqQuery is used by one thread at a time (libjq's jq_state is
// not thread-safe); each processor owns its own.

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace spate::firehose::processing {

// The only JsonParsingEngine AWS accepts.
inline constexpr std::string_view kJsonParsingEngine = "JQ-1.6";

class JqQuery {
 public:
  using Keys = std::map<std::string, std::string, std::less<>>;

  // Compiles `query`. Error (kInvalidArgument): jq's compile error.
  static Result<std::unique_ptr<JqQuery>> Compile(std::string_view query);
  ~JqQuery();
  JqQuery(const JqQuery&) = delete;
  JqQuery& operator=(const JqQuery&) = delete;

  // The keys `record` (one JSON document) yields: the query's first output,
  // which must be an object whose values are non-empty strings or numbers
  // (numbers as jq prints them: 42, 1.5). Error (kInvalidArgument, the
  // message as AWS words the failure where known): a record that is not
  // JSON, a jq runtime error, no output, an output that is not such an object.
  Result<Keys> Extract(std::string_view record);

 private:
  struct State;
  explicit JqQuery(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace spate::firehose::processing
