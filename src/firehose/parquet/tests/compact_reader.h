#pragma once

// A small Thrift compact-protocol reader for the tests: decodes a struct into
// a tree of fields by their wire types alone (no IDL), so that a test can
// check what ParquetWriter wrote independently of the writer's code.

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spate::firehose::parquet::testing {

struct TValue {
  int type = 0;   // compact type of the value
  int64_t i = 0;  // ints and bools
  std::string bin;
  std::vector<TValue> list;
  std::map<int16_t, TValue> fields;  // struct

  const TValue& operator[](int16_t id) const {
    auto it = fields.find(id);
    if (it == fields.end()) throw std::runtime_error("no field " + std::to_string(id));
    return it->second;
  }
  bool has(int16_t id) const { return fields.count(id) != 0; }
};

class CompactReader {
 public:
  explicit CompactReader(std::string_view in) : in_(in) {}
  size_t pos() const { return pos_; }

  TValue ReadStruct() {
    TValue v;
    v.type = 12;
    int16_t last = 0;
    while (true) {
      const uint8_t h = Byte();
      if (h == 0) return v;
      const int type = h & 0x0F;
      const int delta = h >> 4;
      int16_t id = delta != 0 ? static_cast<int16_t>(last + delta) : static_cast<int16_t>(UnZigZag(Varint()));
      last = id;
      v.fields[id] = ReadValue(type);
    }
  }

 private:
  uint8_t Byte() {
    if (pos_ >= in_.size()) throw std::runtime_error("compact: truncated");
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const uint8_t b = Byte();
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    throw std::runtime_error("compact: varint too long");
  }
  static int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
  TValue ReadValue(int type) {
    TValue v;
    v.type = type;
    switch (type) {
      case 1: v.i = 1; return v;
      case 2: v.i = 0; return v;
      case 3: v.i = static_cast<int8_t>(Byte()); return v;
      case 4:
      case 5:
      case 6: v.i = UnZigZag(Varint()); return v;
      case 8: {
        const uint64_t n = Varint();
        if (n > in_.size() - pos_) throw std::runtime_error("compact: binary past the end");
        v.bin.assign(in_.substr(pos_, n));
        pos_ += n;
        return v;
      }
      case 9: {
        const uint8_t h = Byte();
        uint64_t n = h >> 4;
        if (n == 15) n = Varint();
        const int et = h & 0x0F;
        for (uint64_t k = 0; k < n; ++k) v.list.push_back(et == 12 ? ReadStruct() : ReadValue(et));
        return v;
      }
      case 12: return ReadStruct();
      default: throw std::runtime_error("compact: unexpected type " + std::to_string(type));
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace spate::firehose::parquet::testing
