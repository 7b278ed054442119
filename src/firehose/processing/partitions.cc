#include "firehose/processing/partitions.h"

#include <unordered_map>

namespace spate::firehose::processing {

Partitions GroupByPrefix(const std::vector<std::string>& prefixes, size_t max) {
  Partitions p;
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    auto it = index.find(prefixes[i]);
    if (it == index.end()) {
      if (p.prefixes.size() >= max) {
        p.overflow.push_back(i);
        continue;
      }
      it = index.emplace(prefixes[i], p.prefixes.size()).first;
      p.prefixes.push_back(prefixes[i]);
      p.records.emplace_back();
    }
    p.records[it->second].push_back(i);
  }
  return p;
}

}  // namespace spate::firehose::processing
