#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/service_model.h"  // WireFormat
#include "protocol/value.h"

namespace spate::protocol {

// Writes a response document straight into its wire encoding, for handlers
// whose responses are too large to build as a Value tree first (GetRecords:
// up to 10,000 records and 10 MiB of data per call).
//
// The bytes are exactly what WriteJson / WriteCbor produce for the Value tree
// the same calls describe: String/Blob/TimestampMs/Int encode like the Value
// kinds of the same name, Embed writes a whole Value subtree. Containers are
// opened with their element count, which CBOR needs up front (definite
// lengths, as WriteCbor writes them); the JSON writer ignores it. The caller
// keeps the structure well-formed: inside an object, Key before every value;
// as many elements as announced; Begin/End balanced. Not checked.
class StreamWriter {
 public:
  // Appends to *out, which must outlive the writer.
  StreamWriter(WireFormat format, std::string* out) : format_(format), out_(out) {}

  void BeginObject(size_t members);
  void EndObject();
  void BeginArray(size_t items);
  void EndArray();
  // An object member's name; the next call writes its value.
  void Key(std::string_view name);

  void String(std::string_view s);
  void Blob(std::string_view bytes);
  void TimestampMs(int64_t ms);
  void Int(int64_t i);
  // A string made only of characters JSON copies as they are (no '"', '\\'
  // or control characters), e.g. decimal digits: no escaping scan.
  void PlainString(std::string_view s);
  void Embed(const Value& v);
  // A whole object of string members whose names and values are all plain
  // (as for PlainString): the bytes of BeginObject, Key and PlainString for
  // each member, then EndObject, written with one append in JSON where
  // those calls make a dozen (PutRecords answers up to 500 such objects).
  void PlainStringObject(std::initializer_list<std::pair<std::string_view, std::string_view>> members);

 private:
  // JSON: a ',' before the value or key when one precedes it at this level.
  void Separate() {
    if (need_comma_) out_->push_back(',');
  }

  WireFormat format_;
  std::string* out_;
  bool need_comma_ = false;
};

}  // namespace spate::protocol
