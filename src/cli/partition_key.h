#pragma once

// `spate put --partition-key TEMPLATE`: text with the placeholders {n} (the
// record's 1-based line number) and {random} (32 random hex digits, fresh
// for each record); any other text is copied. Not thread-safe (one RNG).

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace spate::cli {

class PartitionKeyTemplate {
 public:
  // Parses `text`; nullopt with *error set when it is empty or holds a '{'
  // that opens no known placeholder.
  static std::optional<PartitionKeyTemplate> Parse(std::string_view text, std::string* error);

  // The key of line `line_number`.
  std::string Expand(int64_t line_number);

 private:
  struct Piece {
    enum class Kind { kText, kLineNumber, kRandom } kind;
    std::string text;
  };
  std::vector<Piece> pieces_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace spate::cli
