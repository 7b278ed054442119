// spate-kpl: KPL aggregation from the command line, through spate_kpl
// (include/spate/aggregation.h). The interoperability tests pipe records
// between it and the aws-kinesis-agg npm library
// (tests/integration/js/kpl_interop.mjs), which speaks the same lines.
//
//   spate-kpl aggregate [MAX_SIZE]   user records in, Kinesis records out
//   spate-kpl deaggregate            Kinesis records in, user records out
//
// Every line, in and out, is tab-separated: PARTITION_KEY, EXPLICIT_HASH_KEY
// (empty for none), base64 DATA; deaggregate's output adds a fourth field,
// the sub-sequence number. Exit status 0, or 1 on a malformed line.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "spate/aggregation.h"
#include "util/base64.h"

namespace {

struct Line {
  std::string partition_key;
  std::string explicit_hash_key;
  std::string data;
};

bool ParseLine(const std::string& text, Line* line, std::string* error) {
  const size_t t1 = text.find('\t');
  const size_t t2 = t1 == std::string::npos ? std::string::npos : text.find('\t', t1 + 1);
  if (t2 == std::string::npos) {
    *error = "expected PARTITION_KEY<TAB>EXPLICIT_HASH_KEY<TAB>BASE64_DATA";
    return false;
  }
  line->partition_key = text.substr(0, t1);
  line->explicit_hash_key = text.substr(t1 + 1, t2 - t1 - 1);
  line->data.clear();
  return spate::util::Base64Decode(std::string_view(text).substr(t2 + 1), &line->data, error);
}

void Print(std::string_view pk, std::string_view ehk, std::string_view data) {
  std::cout << pk << '\t' << ehk << '\t' << spate::util::Base64Encode(data);
}

int Aggregate(size_t max_size) {
  spate::Aggregator agg(max_size);
  auto emit = [&] {
    spate::EncodedRecord r = agg.Finish();
    Print(r.partition_key, r.explicit_hash_key, r.data);
    std::cout << '\n';
  };
  std::string text, error;
  Line line;
  for (size_t n = 1; std::getline(std::cin, text); ++n) {
    if (!ParseLine(text, &line, &error)) {
      std::cerr << "spate-kpl: line " << n << ": " << error << '\n';
      return 1;
    }
    if (!agg.Add(line.partition_key, line.data, line.explicit_hash_key)) {
      emit();
      const bool added = agg.Add(line.partition_key, line.data, line.explicit_hash_key);
      if (!added) return 1;  // unreachable: an empty aggregator takes any record
    }
  }
  if (!agg.empty()) emit();
  return 0;
}

int Deaggregate() {
  std::string text, error;
  Line line;
  for (size_t n = 1; std::getline(std::cin, text); ++n) {
    if (!ParseLine(text, &line, &error)) {
      std::cerr << "spate-kpl: line " << n << ": " << error << '\n';
      return 1;
    }
    for (const spate::UserRecord& u : spate::Deaggregate(line.data, line.partition_key, line.explicit_hash_key)) {
      Print(u.partition_key, u.explicit_hash_key, u.data);
      std::cout << '\t' << u.sub_sequence_number << '\n';
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "aggregate" && argc <= 3) {
    const size_t max_size = argc == 3 ? std::strtoull(argv[2], nullptr, 10) : spate::kDefaultAggregationMaxSize;
    if (max_size == 0) {
      std::cerr << "spate-kpl: MAX_SIZE must be a positive number of bytes\n";
      return 1;
    }
    return Aggregate(max_size);
  }
  if (mode == "deaggregate" && argc == 2) return Deaggregate();
  std::cerr << "usage: spate-kpl aggregate [MAX_SIZE] | spate-kpl deaggregate  (lines: PK<TAB>EHK<TAB>BASE64)\n";
  return 1;
}
