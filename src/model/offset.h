#pragma once

#include <cstdint>

#include "base/named_type.h"

namespace spate::model {

struct LogOffsetTag {};

// The offset of a record within its shard's log: offset o is the o-th record
// ever appended to the shard, from 0; offsets are dense and never reused.
// Every layer passes it as this type: the shard log assigns and reads by it
// (storage::Offset), the catalog keeps a shard's starting and end offsets
// (metadata::ShardMeta), a sequence number carries one in its low 64 bits
// (SequenceNumber), an iterator the next one to read. What a given offset
// guarantees (assigned, acknowledged, retained) is said where it is
// returned, e.g. storage::ShardLog::EndOffset.
//
// Kept apart from types.h so that storage headers need nothing but this.
using LogOffset = NamedType<uint64_t, LogOffsetTag>;

// The arithmetic that has a meaning: moving by a record count, and the
// record count between two offsets (a >= b).
constexpr LogOffset operator+(LogOffset o, uint64_t records) { return LogOffset(o.value() + records); }
constexpr LogOffset operator-(LogOffset o, uint64_t records) { return LogOffset(o.value() - records); }
constexpr uint64_t operator-(LogOffset a, LogOffset b) { return a.value() - b.value(); }
constexpr LogOffset& operator+=(LogOffset& o, uint64_t records) { return o = o + records; }
constexpr LogOffset& operator++(LogOffset& o) { return o += 1; }  // the next record

}  // namespace spate::model
