// s3_put_tool: stores one file as one object through the S3 object store, so
// the integration suite can drive the C++ client against a real S3 server.
//
//   s3_put_tool --endpoint URL --bucket B --key K --file F
//               [--region R] [--access-key A] [--secret-key S] [--session-token T]
//               [--virtual-host] [--multipart-threshold N] [--part-bytes N] [--timeout-ms N]
//               [--parallel N]
//
// With --parallel N, N threads share one store and each writes the file as
// object <key>.<i> (i = 0..N-1); the first error is reported.
// Prints "ok" and exits 0, or prints "error <ErrorCode name>: <message>" and
// exits 1; a usage error exits 2.

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "firehose/object_store.h"

namespace {

constexpr int kMaxParallel = 64;

int Usage(const std::string& why) {
  std::cerr << "s3_put_tool: " << why << "\n"
            << "usage: s3_put_tool --endpoint URL --bucket B --key K --file F [--region R] [--access-key A]\n"
            << "       [--secret-key S] [--session-token T] [--virtual-host] [--multipart-threshold N]\n"
            << "       [--part-bytes N] [--timeout-ms N] [--parallel N]\n";
  return 2;
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
  spate::firehose::S3Options options;
  std::string bucket, key, file;
  int parallel = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--virtual-host") {
      options.path_style = false;
      continue;
    }
    if (i + 1 >= argc) return Usage("missing value for " + std::string(flag));
    std::string_view value = argv[++i];
    if (flag == "--endpoint") {
      options.endpoint = value;
    } else if (flag == "--bucket") {
      bucket = value;
    } else if (flag == "--key") {
      key = value;
    } else if (flag == "--file") {
      file = value;
    } else if (flag == "--region") {
      options.region = value;
    } else if (flag == "--access-key") {
      options.access_key_id = value;
    } else if (flag == "--secret-key") {
      options.secret_access_key = value;
    } else if (flag == "--session-token") {
      options.session_token = value;
    } else if (flag == "--multipart-threshold") {
      if (!ParseNumber(value, &options.multipart_threshold_bytes)) return Usage("bad --multipart-threshold");
    } else if (flag == "--part-bytes") {
      if (!ParseNumber(value, &options.part_bytes)) return Usage("bad --part-bytes");
    } else if (flag == "--parallel") {
      if (!ParseNumber(value, &parallel) || parallel < 1 || parallel > kMaxParallel) return Usage("bad --parallel");
    } else if (flag == "--timeout-ms") {
      if (!ParseNumber(value, &options.timeout_ms)) return Usage("bad --timeout-ms");
    } else {
      return Usage("unknown flag " + std::string(flag));
    }
  }
  if (options.endpoint.empty() || bucket.empty() || file.empty()) return Usage("--endpoint, --bucket, --file needed");

  std::ifstream in(file, std::ios::binary);
  if (!in) return Usage("cannot read " + file);
  std::stringstream contents;
  contents << in.rdbuf();
  std::string body = contents.str();

  auto store = spate::firehose::NewS3ObjectStore(options);
  spate::Status st = store.status();
  if (store.ok() && parallel == 0) st = (*store)->PutObject(bucket, key, body);
  if (store.ok() && parallel > 0) {
    std::vector<spate::Status> results(parallel);
    std::vector<std::thread> threads;
    for (int i = 0; i < parallel; ++i) {
      threads.emplace_back([&, i] { results[i] = (*store)->PutObject(bucket, key + "." + std::to_string(i), body); });
    }
    for (std::thread& t : threads) t.join();
    for (const spate::Status& r : results) {
      if (!r.ok()) {
        st = r;
        break;
      }
    }
  }
  if (!st.ok()) {
    std::cout << "error " << spate::ErrorCodeName(st.code()) << ": " << st.message() << std::endl;
    return 1;
  }
  std::cout << "ok" << std::endl;
  return 0;
}
