#include "util/json_split.h"

namespace spate::util {

size_t JsonObjectEnd(std::string_view data, size_t start) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = start; i < data.size(); ++i) {
    char c = data[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

std::vector<std::string_view> SplitDelimited(std::string_view data, std::string_view delimiter) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= data.size()) {
    size_t at = delimiter.empty() ? std::string_view::npos : data.find(delimiter, start);
    size_t end = at == std::string_view::npos ? data.size() : at;
    if (end > start) out.push_back(data.substr(start, end - start));
    if (at == std::string_view::npos) break;
    start = at + delimiter.size();
  }
  return out;
}

}  // namespace spate::util
