#include "cli/partition_key.h"

#include <cstdio>

namespace spate::cli {

std::optional<PartitionKeyTemplate> PartitionKeyTemplate::Parse(std::string_view text, std::string* error) {
  if (text.empty()) {
    *error = "the partition key template is empty";
    return std::nullopt;
  }
  PartitionKeyTemplate t;
  std::string literal;
  while (!text.empty()) {
    if (text.starts_with("{n}") || text.starts_with("{random}")) {
      if (!literal.empty()) t.pieces_.push_back({Piece::Kind::kText, std::move(literal)});
      literal.clear();
      bool n = text.starts_with("{n}");
      t.pieces_.push_back({n ? Piece::Kind::kLineNumber : Piece::Kind::kRandom, {}});
      text.remove_prefix(n ? 3 : 8);
    } else if (text.front() == '{') {
      *error = "unknown placeholder in partition key template at '" + std::string(text) + "' (known: {n}, {random})";
      return std::nullopt;
    } else {
      literal.push_back(text.front());
      text.remove_prefix(1);
    }
  }
  if (!literal.empty()) t.pieces_.push_back({Piece::Kind::kText, std::move(literal)});
  return t;
}

std::string PartitionKeyTemplate::Expand(int64_t line_number) {
  std::string key;
  for (const Piece& p : pieces_) {
    switch (p.kind) {
      case Piece::Kind::kText: key += p.text; break;
      case Piece::Kind::kLineNumber: key += std::to_string(line_number); break;
      case Piece::Kind::kRandom: {
        char hex[33];
        std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(rng_()),
                      static_cast<unsigned long long>(rng_()));
        key += hex;
        break;
      }
    }
  }
  return key;
}

}  // namespace spate::cli
