#include "streams/shard_shapes.h"

#include <algorithm>

#include "metadata/stream_meta.h"
#include "model/types.h"
#include "util/hash_key.h"

namespace spate::streams {

using protocol::Value;

Value ShardValue(const metadata::ShardMeta& s, uint32_t epoch) {
  Value v = Value::MakeObject();
  v.Set("ShardId", Value::String(model::ShardIdName(s.index)));
  if (s.parent) v.Set("ParentShardId", Value::String(model::ShardIdName(*s.parent)));
  if (s.adjacent_parent) v.Set("AdjacentParentShardId", Value::String(model::ShardIdName(*s.adjacent_parent)));
  Value range = Value::MakeObject();
  range.Set("StartingHashKey", Value::String(util::ToDecimal(s.range.start)));
  range.Set("EndingHashKey", Value::String(util::ToDecimal(s.range.end)));
  v.Set("HashKeyRange", std::move(range));
  Value seq = Value::MakeObject();
  seq.Set("StartingSequenceNumber",
          Value::String(model::SequenceNumber::Before(s.index, epoch, s.starting_offset).ToString()));
  if (s.end_offset) {
    // The last sequence number the shard could hold: one below the first it
    // would have given after closing.
    model::LogOffset end = std::max(*s.end_offset, s.starting_offset);
    seq.Set("EndingSequenceNumber", Value::String(model::SequenceNumber::Before(s.index, epoch, end).ToString()));
  }
  v.Set("SequenceNumberRange", std::move(seq));
  return v;
}

Value ChildShardValue(const metadata::ShardMeta& s) {
  Value v = Value::MakeObject();
  v.Set("ShardId", Value::String(model::ShardIdName(s.index)));
  Value parents = Value::MakeArray();
  if (s.parent) parents.Append(Value::String(model::ShardIdName(*s.parent)));
  if (s.adjacent_parent) parents.Append(Value::String(model::ShardIdName(*s.adjacent_parent)));
  v.Set("ParentShards", std::move(parents));
  Value range = Value::MakeObject();
  range.Set("StartingHashKey", Value::String(util::ToDecimal(s.range.start)));
  range.Set("EndingHashKey", Value::String(util::ToDecimal(s.range.end)));
  v.Set("HashKeyRange", std::move(range));
  return v;
}

}  // namespace spate::streams
