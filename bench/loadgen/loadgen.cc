// spate_loadgen: a Kinesis JSON 1.1 load generator for comparing Spate with
// other Kinesis-compatible servers on one machine.
//
//   spate_loadgen MODE [flags]       (--help lists them)
//
// Modes
//   create   create streams (and wait until ACTIVE); no measurement
//   put      PutRecord, one record per call
//   puts     PutRecords, --records records per call
//   mixed    PutRecord / PutRecords / GetRecords over many streams and shards
//   get      GetRecords drain of one shard from TRIM_HORIZON (--consumers readers)
//   prop     put-to-GetRecords propagation: open-loop puts, one tight poller
//   probe    does the server know an operation (--operation)? exit 0 if yes
//   firehose Firehose PutRecordBatch, --records records per call, to the
//            delivery stream(s) --stream (created beforehand)
//
// Load model. With --rate R > 0 the load is open-loop: request i is due at
// start + i/R whether or not earlier requests have been answered; a due
// request waits for a free connection, and its latency is measured from the
// time it was due, so a stalled server cannot hide its stall (no coordinated
// omission). Requests still unsent or unanswered when the run ends are
// recorded with their latency so far (a lower bound) and counted as "late".
// With --rate 0 (the default) the load is closed-loop: every connection
// re-sends as soon as it gets an answer, for saturation throughput.
//
// Output: one JSON object on stdout; diagnostics on stderr.
#include <simdjson.h>

#include <utility>  // before Asio: its awaitable.hpp needs std::exchange

#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include "histogram.h"
#include "http_client.h"
#include "util/base64.h"

namespace spate::bench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

// ---------------------------------------------------------------- flags

struct Flags {
  std::string mode;
  Endpoint ep;
  bool h2 = false;
  int conns = 8;
  int h2_streams = 1;
  double duration_s = 5;
  double warmup_s = 1;
  double drain_s = 5;  // how long in-flight requests may finish after the window
  double rate = 0;     // requests/s; 0 = closed loop
  std::string stream = "bench";
  int stream_count = 1;  // >1: streams are "<stream>-0" .. "<stream>-<n-1>"
  int shards = 1;
  int record_bytes = 1024;
  int records = 500;  // per PutRecords call
  int keys = 1000;    // partition-key pool; 1 = one hot shard
  double max_mb = 0;  // stop once this much payload is acknowledged (0 = no limit)
  int consumers = 1;
  bool checksum = false;  // get: data_sum of the decoded records
  double poll_ms = 1;
  std::string operation = "SubscribeToShard";
  uint64_t seed = 1;
};

constexpr const char* kHelp = R"(spate_loadgen MODE [flags]
modes: create put puts mixed get prop probe firehose
  --port N             server port (required)     --host ADDR (default 127.0.0.1)
  --h2                 HTTP/2 cleartext (prior knowledge) instead of HTTP/1.1
  --conns N            connections (default 8)    --h2-streams N  in flight per h2 connection (default 1)
  --duration S         measured seconds (default 5)  --warmup S  unmeasured seconds first (default 1)
  --drain S            let in-flight calls finish for up to S s after the window (default 5); their
                       answers count, and the window is stretched to the last one
  --rate R             open loop at R requests/s (default 0: closed loop)
  --stream NAME        stream name (default bench)  --stream-count N  use NAME-0..NAME-(N-1)
  --shards N           shards per stream (create; default 1)
  --record-bytes N     bytes of data per record (default 1024)
  --records N          records per PutRecords call (default 500)
  --keys N             partition keys drawn uniformly from N (default 1000; 1 = one hot shard)
  --max-mb M           stop once M MB of payload are acknowledged
  --consumers N        get: concurrent readers of the shard (default 1)
  --cbor               get: GetRecords in CBOR (application/x-amz-cbor-1.1, Data as raw bytes)
                       (JSON Data is base64-decoded, as a consumer decodes it; cpu_s in the
                       result is this process's CPU time)
  --checksum           get: add data_sum to the result, a checksum of every record's decoded Data
                       (the same for a JSON and a CBOR drain of the same records)
  --poll-ms MS         prop: pause after an empty GetRecords (default 1)
  --operation NAME     probe: the operation to probe (default SubscribeToShard)
)";

bool ParseFlags(int argc, char** argv, Flags* f) {
  if (argc < 2) return false;
  f->mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--port")
      f->ep.port = static_cast<uint16_t>(std::stoi(val()));
    else if (a == "--host")
      f->ep.host = val();
    else if (a == "--h2")
      f->h2 = true;
    else if (a == "--conns")
      f->conns = std::stoi(val());
    else if (a == "--h2-streams")
      f->h2_streams = std::stoi(val());
    else if (a == "--duration")
      f->duration_s = std::stod(val());
    else if (a == "--warmup")
      f->warmup_s = std::stod(val());
    else if (a == "--drain")
      f->drain_s = std::stod(val());
    else if (a == "--rate")
      f->rate = std::stod(val());
    else if (a == "--stream")
      f->stream = val();
    else if (a == "--stream-count")
      f->stream_count = std::stoi(val());
    else if (a == "--shards")
      f->shards = std::stoi(val());
    else if (a == "--record-bytes")
      f->record_bytes = std::stoi(val());
    else if (a == "--records")
      f->records = std::stoi(val());
    else if (a == "--keys")
      f->keys = std::stoi(val());
    else if (a == "--max-mb")
      f->max_mb = std::stod(val());
    else if (a == "--cbor")
      f->ep.cbor = true;
    else if (a == "--checksum")
      f->checksum = true;
    else if (a == "--consumers")
      f->consumers = std::stoi(val());
    else if (a == "--poll-ms")
      f->poll_ms = std::stod(val());
    else if (a == "--operation")
      f->operation = val();
    else if (a == "--seed")
      f->seed = std::stoull(val());
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return false;
    }
  }
  return f->ep.port != 0 && f->conns > 0 && f->h2_streams > 0 && f->stream_count > 0;
}

std::vector<std::string> StreamNames(const Flags& f) {
  if (f.stream_count == 1) return {f.stream};
  std::vector<std::string> v;
  for (int i = 0; i < f.stream_count; ++i) v.push_back(f.stream + "-" + std::to_string(i));
  return v;
}

// ---------------------------------------------------------------- base64
// The server's own codec (src/util/base64.h): AVX2 both ways, strict decoding.

std::string Base64(std::string_view in) { return util::Base64Encode(in); }

// The bytes `in` encodes; empty if it is not canonical base64.
std::string Unbase64(std::string_view in) {
  std::string out, error;
  if (!util::Base64Decode(in, &out, &error)) out.clear();
  return out;
}

// The value of `"key":"value"` in a flat JSON text, or empty.
std::string_view JsonString(std::string_view body, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\":\"";
  size_t p = body.find(needle);
  if (p == std::string_view::npos) return {};
  p += needle.size();
  size_t e = body.find('"', p);
  return e == std::string_view::npos ? std::string_view() : body.substr(p, e - p);
}

long JsonNumber(std::string_view body, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\":";
  size_t p = body.find(needle);
  if (p == std::string_view::npos) return -1;
  return std::strtol(body.data() + p + needle.size(), nullptr, 10);
}

// ---------------------------------------------------------------- results

struct Stats {
  LatencyHistogram latency;  // ns, answered requests intended inside the window
  uint64_t ok = 0, errors = 0, late = 0;
  uint64_t records = 0, failed_records = 0, bytes = 0;  // acknowledged, completed inside the window
  uint64_t total_bytes = 0;                             // acknowledged over the whole run (for --max-mb)
  std::map<std::string, uint64_t> error_types;

  void Error(int status, std::string_view body) {
    ++errors;
    std::string type = status == 0 ? "ConnectionError" : std::string(JsonString(body, "__type"));
    if (type.empty()) type = "HTTP" + std::to_string(status);
    if (error_types[type]++ == 0) {
      std::fprintf(stderr, "first %s: %.*s\n", type.c_str(), static_cast<int>(std::min<size_t>(body.size(), 300)),
                   body.data());
    }
  }
};

void PrintResult(const Flags& f, const Stats& s, double seconds, const std::string& extra = "") {
  auto us = [&](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  std::printf(
      "{\"mode\":\"%s\",\"proto\":\"%s\",\"conns\":%d,\"rate\":%.1f,\"seconds\":%.3f,\"ok\":%llu,\"errors\":%llu,"
      "\"late\":%llu,\"req_per_s\":%.1f,\"records_per_s\":%.1f,\"failed_records\":%llu,\"mb_per_s\":%.3f,"
      "\"lat_us\":{\"count\":%llu,\"mean\":%.1f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},"
      "\"error_types\":{",
      f.mode.c_str(), f.h2 ? "h2" : "h1", f.conns, f.rate, seconds, (unsigned long long)s.ok,
      (unsigned long long)s.errors, (unsigned long long)s.late, s.ok / seconds, s.records / seconds,
      (unsigned long long)s.failed_records, s.bytes / seconds / 1e6, (unsigned long long)s.latency.count(),
      s.latency.mean() / 1000.0, us(s.latency.Quantile(0.50)), us(s.latency.Quantile(0.90)),
      us(s.latency.Quantile(0.99)), us(s.latency.Quantile(0.999)), us(s.latency.max()));
  bool first = true;
  for (auto& [k, v] : s.error_types) {
    std::printf("%s\"%s\":%llu", first ? "" : ",", k.c_str(), (unsigned long long)v);
    first = false;
  }
  std::printf("}%s}\n", extra.c_str());
  std::fflush(stdout);
}

// ---------------------------------------------------------------- connections

std::vector<std::unique_ptr<ClientConnection>> Connect(asio::io_context& io, const Flags& f, int n) {
  std::vector<std::unique_ptr<ClientConnection>> conns;
  int pending = n, failed = 0;
  for (int i = 0; i < n; ++i) {
    conns.push_back(f.h2 ? NewHttp2Connection(io, f.ep, f.h2_streams) : NewHttp1Connection(io, f.ep));
    conns.back()->Start([&](bool ok) {
      --pending;
      if (!ok) ++failed;
    });
  }
  while (pending > 0 && io.run_one() > 0) {
  }
  io.restart();
  if (failed > 0) {
    std::fprintf(stderr, "%d of %d connections failed\n", failed, n);
    std::exit(1);
  }
  return conns;
}

// ---------------------------------------------------------------- put workloads

// One request to send: operation + body, and what it carries.
struct Op {
  const char* operation;
  std::shared_ptr<const std::string> body;
  uint32_t records = 0;
  uint32_t bytes = 0;
  int iterator_slot = -1;  // GetRecords in mixed mode: index into the iterator table
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual Op Next() = 0;
  // Interprets a 200 answer: counts failed records, stores iterators.
  virtual void OnOk(const Op& op, std::string_view body, Stats* s) {
    if (op.records > 1 || std::strcmp(op.operation, "PutRecords") == 0) {
      long failed = JsonNumber(body, "FailedRecordCount");
      if (failed > 0) {
        s->failed_records += static_cast<uint64_t>(failed);
        if (s->failed_records == static_cast<uint64_t>(failed)) {
          std::fprintf(stderr, "PutRecords partial failure: %.*s\n",
                       static_cast<int>(std::min<size_t>(300, body.size())), body.data());
        }
      }
    }
  }
  virtual void OnError(const Op&) {}
};

class PutWorkload : public Workload {
 public:
  PutWorkload(const Flags& f, std::vector<std::string> streams, int records_per_call)
      : streams_(std::move(streams)), per_call_(records_per_call), record_bytes_(f.record_bytes), rng_(f.seed) {
    std::string raw(static_cast<size_t>(f.record_bytes), '\0');
    for (auto& c : raw) c = static_cast<char>(rng_());
    data_ = Base64(raw);
    for (int k = 0; k < std::max(1, f.keys); ++k) keys_.push_back("pk-" + std::to_string(k));
    if (per_call_ > 1) {  // PutRecords bodies are large: build a few per stream up front
      for (size_t s = 0; s < streams_.size(); ++s) {
        for (int v = 0; v < kVariants; ++v) batches_.push_back(std::make_shared<const std::string>(Batch(streams_[s])));
      }
    }
  }

  Op Next() override {
    size_t s = streams_.size() == 1 ? 0 : rng_() % streams_.size();
    if (per_call_ > 1) {
      return Op{"PutRecords", batches_[s * kVariants + rng_() % kVariants], static_cast<uint32_t>(per_call_),
                static_cast<uint32_t>(per_call_ * record_bytes_)};
    }
    auto body = std::make_shared<std::string>();
    body->reserve(data_.size() + 128);
    *body += "{\"StreamName\":\"" + streams_[s] + "\",\"PartitionKey\":\"" + Key() + "\",\"Data\":\"";
    *body += data_;
    *body += "\"}";
    return Op{"PutRecord", std::move(body), 1, static_cast<uint32_t>(record_bytes_)};
  }

 protected:
  static constexpr int kVariants = 4;
  const std::string& Key() { return keys_[keys_.size() == 1 ? 0 : rng_() % keys_.size()]; }
  std::string Batch(const std::string& stream) {
    std::string b = "{\"StreamName\":\"" + stream + "\",\"Records\":[";
    for (int r = 0; r < per_call_; ++r) {
      if (r > 0) b += ',';
      b += "{\"PartitionKey\":\"" + Key() + "\",\"Data\":\"" + data_ + "\"}";
    }
    b += "]}";
    return b;
  }

  std::vector<std::string> streams_;
  int per_call_;
  int record_bytes_;
  std::mt19937_64 rng_;
  std::string data_;
  std::vector<std::string> keys_;
  std::vector<std::shared_ptr<const std::string>> batches_;
};

// Firehose DirectPut: PutRecordBatch of --records records of --record-bytes
// to the delivery stream(s) named by --stream (created beforehand).
class FirehoseWorkload : public Workload {
 public:
  FirehoseWorkload(const Flags& f, const std::vector<std::string>& streams) : records_(f.records), rng_(f.seed) {
    std::string raw(static_cast<size_t>(f.record_bytes), '\0');
    for (auto& c : raw) c = static_cast<char>(rng_());
    std::string data = Base64(raw);
    bytes_ = static_cast<uint32_t>(f.records * f.record_bytes);
    for (const auto& s : streams) {
      std::string b = "{\"DeliveryStreamName\":\"" + s + "\",\"Records\":[";
      for (int r = 0; r < f.records; ++r) b += std::string(r > 0 ? "," : "") + "{\"Data\":\"" + data + "\"}";
      b += "]}";
      bodies_.push_back(std::make_shared<const std::string>(std::move(b)));
    }
  }
  Op Next() override {
    size_t s = bodies_.size() == 1 ? 0 : rng_() % bodies_.size();
    return Op{"Firehose_20150804.PutRecordBatch", bodies_[s], static_cast<uint32_t>(records_), bytes_};
  }
  void OnOk(const Op&, std::string_view body, Stats* s) override {
    long failed = JsonNumber(body, "FailedPutCount");
    if (failed > 0) s->failed_records += static_cast<uint64_t>(failed);
  }

 private:
  int records_;
  uint32_t bytes_ = 0;
  std::mt19937_64 rng_;
  std::vector<std::shared_ptr<const std::string>> bodies_;
};

// Many streams x shards: 70 % PutRecord, 20 % PutRecords of 50, 10 % GetRecords
// (each shard's reader follows its own NextShardIterator from LATEST).
class MixedWorkload : public PutWorkload {
 public:
  MixedWorkload(const Flags& f, std::vector<std::string> streams, std::vector<std::string> iterators)
      : PutWorkload(f, std::move(streams), 1), iterators_(std::move(iterators)), busy_(iterators_.size(), false) {
    per_call_ = 50;
    for (auto& s : streams_) {
      for (int v = 0; v < kVariants; ++v) batches_.push_back(std::make_shared<const std::string>(Batch(s)));
    }
    per_call_ = 1;
  }

  Op Next() override {
    uint64_t dice = rng_() % 10;
    if (dice == 0 && !iterators_.empty()) {
      size_t slot = rng_() % iterators_.size();
      if (!busy_[slot] && !iterators_[slot].empty()) {
        busy_[slot] = true;
        auto body =
            std::make_shared<const std::string>("{\"ShardIterator\":\"" + iterators_[slot] + "\",\"Limit\":1000}");
        return Op{"GetRecords", body, 0, 0, static_cast<int>(slot)};
      }
    }
    if (dice <= 2) {
      size_t s = rng_() % streams_.size();
      return Op{"PutRecords", batches_[s * kVariants + rng_() % kVariants], 50,
                static_cast<uint32_t>(50 * record_bytes_)};
    }
    return PutWorkload::Next();
  }

  void OnOk(const Op& op, std::string_view body, Stats* s) override {
    if (op.iterator_slot < 0) return PutWorkload::OnOk(op, body, s);
    busy_[op.iterator_slot] = false;
    iterators_[op.iterator_slot] = std::string(JsonString(body, "NextShardIterator"));
  }
  void OnError(const Op& op) override {
    if (op.iterator_slot >= 0) busy_[op.iterator_slot] = false;
  }

 private:
  std::vector<std::string> iterators_;
  std::vector<bool> busy_;
};

// Drives a Workload over the connections, open- or closed-loop (see the top
// of the file), for warmup + duration seconds or until --max-mb.
class Driver {
 public:
  Driver(asio::io_context& io, const Flags& f, std::vector<std::unique_ptr<ClientConnection>> conns, Workload* w)
      : io_(io), f_(f), conns_(std::move(conns)), w_(w), tick_(io) {}

  Stats Run(double* seconds) {
    uint64_t now = NowNs();
    window_start_ = now + static_cast<uint64_t>(f_.warmup_s * 1e9);
    window_end_ = window_start_ + static_cast<uint64_t>(f_.duration_s * 1e9);
    next_due_ = now;
    if (f_.rate > 0) {
      interval_ns_ = 1e9 / f_.rate;
    } else {
      for (size_t c = 0; c < conns_.size(); ++c) {
        for (int k = conns_[c]->FreeSlots(); k > 0; --k) Issue(c, now);
      }
    }
    Tick();
    io_.run();
    // Whatever is still due, queued or in flight has waited at least this long.
    uint64_t end = NowNs();
    for (uint64_t due : backlog_) Late(due, end);
    for (auto& [id, due] : in_flight_) Late(due, end);
    uint64_t window_close = std::max(std::min(end, stop_at_), last_done_);
    *seconds = window_close > window_start_ ? static_cast<double>(window_close - window_start_) / 1e9 : 0;
    return stats_;
  }

 private:
  void Late(uint64_t due, uint64_t end) {
    if (due < window_start_ || due >= window_end_) return;
    ++stats_.late;
    stats_.latency.Record(end - due);
  }

  void Tick() {
    uint64_t now = NowNs();
    if (!stopping_ && now >= window_end_) {
      stopping_ = true;
      stop_at_ = window_end_;
    }
    if (stopping_) {
      // Give in-flight requests up to 5 s to finish, then stop.
      if (in_flight_.empty() || now > stop_at_ + static_cast<uint64_t>(f_.drain_s * 1e9)) {
        io_.stop();
        return;
      }
    } else if (f_.rate > 0) {
      while (next_due_ <= now) {
        backlog_.push_back(static_cast<uint64_t>(next_due_));
        next_due_ += interval_ns_;
      }
      Dispatch();
    }
    bool all_broken = true;
    for (auto& c : conns_) all_broken = all_broken && c->Broken();
    if (all_broken) {
      std::fprintf(stderr, "every connection failed\n");
      stop_at_ = std::min(stop_at_, now);
      io_.stop();
      return;
    }
    tick_.expires_after(std::chrono::microseconds(f_.rate > 0 ? 200 : 10000));
    tick_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Tick();
    });
  }

  void Dispatch() {
    for (size_t tries = 0; !backlog_.empty() && tries < conns_.size(); ++tries) {
      size_t c = rr_++ % conns_.size();
      while (!backlog_.empty() && conns_[c]->FreeSlots() > 0) {
        uint64_t due = backlog_.front();
        backlog_.pop_front();
        Issue(c, due);
        tries = 0;
      }
    }
  }

  void Issue(size_t c, uint64_t due) {
    Op op = w_->Next();
    uint64_t id = next_id_++;
    in_flight_.emplace(id, due);
    const char* operation = op.operation;
    auto body = op.body;
    conns_[c]->Send(operation, std::move(body),
                    [this, c, id, due, op = std::move(op)](int status, std::string_view resp) {
                      in_flight_.erase(id);
                      uint64_t done = NowNs();
                      // Answers that arrive while in-flight requests drain still count (the
                      // window then ends at the last answer), so a server whose calls take
                      // seconds is not reported as zero.
                      bool in_window = done >= window_start_;
                      if (in_window) last_done_ = std::max(last_done_, done);
                      if (status == 200) {
                        w_->OnOk(op, resp, &stats_);
                        stats_.total_bytes += op.bytes;
                        if (in_window) {
                          ++stats_.ok;
                          stats_.records += op.records;
                          stats_.bytes += op.bytes;
                        }
                        // Open loop: every request due inside the window. Closed loop: every
                        // answer inside the (stretched) window, from its actual send time.
                        bool measured = f_.rate > 0 ? (due >= window_start_ && due < window_end_) : in_window;
                        if (measured) stats_.latency.Record(done - due);
                      } else {
                        w_->OnError(op);
                        if (in_window || status == 0) stats_.Error(status, resp);
                        if (stats_.errors > 0 && status == 0 && conns_[c]->Broken()) return;
                      }
                      if (f_.max_mb > 0 && !stopping_ && stats_.total_bytes >= f_.max_mb * 1e6) {
                        stopping_ = true;
                        stop_at_ = done;
                        window_end_ = std::min(window_end_, done);
                      }
                      if (stopping_) return;
                      if (f_.rate > 0) {
                        Dispatch();
                      } else if (conns_[c]->FreeSlots() > 0) {
                        Issue(c, NowNs());
                      }
                    });
  }

  asio::io_context& io_;
  const Flags& f_;
  std::vector<std::unique_ptr<ClientConnection>> conns_;
  Workload* w_;
  asio::steady_timer tick_;
  Stats stats_;
  uint64_t window_start_ = 0, window_end_ = 0, stop_at_ = UINT64_MAX, last_done_ = 0;
  double next_due_ = 0, interval_ns_ = 0;
  std::deque<uint64_t> backlog_;
  std::map<uint64_t, uint64_t> in_flight_;  // request id -> due time
  uint64_t next_id_ = 0;
  size_t rr_ = 0;
  bool stopping_ = false;
};

// ---------------------------------------------------------------- set-up helpers

std::string ShardId(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "shardId-%012d", i);
  return buf;
}

// Calls with retries on throttling; exits on any other failure.
std::string MustCall(const Flags& f, const char* op, const std::string& body, bool allow_in_use = false) {
  for (int attempt = 0; attempt < 600; ++attempt) {
    std::string resp;
    int status = BlockingCall(f.ep, op, body, &resp);
    if (status == 200) return resp;
    std::string_view type = JsonString(resp, "__type");
    if (allow_in_use && type.find("ResourceInUse") != std::string_view::npos) return resp;
    if (status != 0 && type.find("LimitExceeded") == std::string_view::npos &&
        type.find("Throughput") == std::string_view::npos) {
      std::fprintf(stderr, "%s failed: HTTP %d %s\n", op, status, resp.c_str());
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "%s: still throttled after 60 s\n", op);
  std::exit(1);
}

int CreateStreams(const Flags& f) {
  auto names = StreamNames(f);
  for (auto& n : names) {
    MustCall(f, "CreateStream", "{\"StreamName\":\"" + n + "\",\"ShardCount\":" + std::to_string(f.shards) + "}", true);
  }
  auto deadline = Clock::now() + std::chrono::seconds(120);
  for (auto& n : names) {
    for (;;) {
      std::string r = MustCall(f, "DescribeStreamSummary", "{\"StreamName\":\"" + n + "\"}");
      if (JsonString(r, "StreamStatus") == "ACTIVE") break;
      if (Clock::now() > deadline) {
        std::fprintf(stderr, "stream %s not ACTIVE after 120 s\n", n.c_str());
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::printf("{\"mode\":\"create\",\"streams\":%zu,\"shards\":%d}\n", names.size(), f.shards);
  return 0;
}

std::string Iterator(const Flags& f, const std::string& stream, int shard, const char* type) {
  std::string r = MustCall(f, "GetShardIterator",
                           "{\"StreamName\":\"" + stream + "\",\"ShardId\":\"" + ShardId(shard) +
                               "\",\"ShardIteratorType\":\"" + type + "\"}");
  return std::string(JsonString(r, "ShardIterator"));
}

int Probe(const Flags& f) {
  std::string body = "{}";
  if (f.operation == "SubscribeToShard") {
    body = "{\"ConsumerARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/" + f.stream +
           "/consumer/probe:1\",\"ShardId\":\"" + ShardId(0) + "\",\"StartingPosition\":{\"Type\":\"LATEST\"}}";
  }
  std::string resp;
  int status = BlockingCall(f.ep, f.operation, body, &resp);
  std::string type(JsonString(resp, "__type"));
  bool known = status != 0 && type.find("UnknownOperation") == std::string::npos &&
               type.find("InvalidAction") == std::string::npos;
  std::printf("{\"mode\":\"probe\",\"operation\":\"%s\",\"status\":%d,\"type\":\"%s\",\"known\":%s}\n",
              f.operation.c_str(), status, type.c_str(), known ? "true" : "false");
  return known ? 0 : 3;
}

// ---------------------------------------------------------------- GetRecords drain

// This process's CPU time so far (user + system), in seconds.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// A GetRecords answer reduced to what the drain needs.
struct DrainPage {
  uint64_t records = 0;
  uint64_t data_bytes = 0;
  uint64_t data_sum = 0;  // with --checksum: DataSum of every record's decoded Data, added up
  int64_t behind = -1;
  std::string next_iterator;
};

// A checksum of one record's bytes, so that the JSON drain (base64 decoded
// here) and the CBOR drain (raw bytes) of the same shard can be compared:
// the 8-byte little-endian words (the last zero-padded), each weighted by
// its position, plus the length. Records add up, in any order.
uint64_t DataSum(std::string_view d) {
  uint64_t sum = d.size() * 0x9e3779b97f4a7c15ull;
  size_t i = 0;
  uint64_t k = 1;
  for (; i + 8 <= d.size(); i += 8, ++k) {
    uint64_t w;
    std::memcpy(&w, d.data() + i, 8);
    sum += w * k;
  }
  if (i < d.size()) {
    uint64_t w = 0;
    std::memcpy(&w, d.data() + i, d.size() - i);
    sum += w * k;
  }
  return sum;
}

// Decodes every record's Data (the bytes a consumer would get) into a
// reused buffer; the answer is parsed in place (`resp` is followed by
// kResponsePadding readable bytes).
class JsonPageParser {
 public:
  explicit JsonPageParser(bool checksum) : checksum_(checksum) {}
  bool Parse(std::string_view resp, DrainPage* page) {
    auto doc = parser_.iterate(resp.data(), resp.size(), resp.size() + kResponsePadding);
    for (auto field : doc.get_object()) {
      std::string_view key = field.unescaped_key();
      if (key == "Records") {
        for (auto rec : field.value().get_array()) {
          for (auto member : rec.get_object()) {
            if (member.unescaped_key().value() != "Data") continue;
            if (!Decode(member.value(), page)) return false;
            ++page->records;
          }
        }
      } else if (key == "NextShardIterator") {
        page->next_iterator = std::string(std::string_view(field.value().get_string()));
      } else if (key == "MillisBehindLatest") {
        page->behind = field.value().get_int64();
      }
    }
    return true;
  }

 private:
  // One Data string. Base64 needs no JSON escapes, so the token's raw bytes
  // are decoded where they lie; a string with a backslash (a server may
  // write "\/") is unescaped by simdjson first.
  bool Decode(simdjson::ondemand::value v, DrainPage* page) {
    std::string_view tok = v.raw_json_token();
    while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' || tok.back() == '\t')) {
      tok.remove_suffix(1);
    }
    if (tok.size() < 2 || tok.front() != '"' || tok.back() != '"') return false;
    std::string_view text = tok.substr(1, tok.size() - 2);
    if (std::memchr(text.data(), '\\', text.size()) != nullptr) {
      std::string_view unescaped;
      if (v.get_string().get(unescaped) != simdjson::SUCCESS) return false;
      text = unescaped;
    }
    // Strict (canonical encodings only), so a server sending anything else
    // is noticed; AVX2, into a reused buffer.
    if (!util::Base64Decode(text, &out_, &error_)) return false;
    std::string_view data(out_);
    page->data_bytes += data.size();
    if (checksum_) page->data_sum += DataSum(data);
    return true;
  }

  bool checksum_;
  simdjson::ondemand::parser parser_;
  std::string out_;    // the decoded Data of the record at hand
  std::string error_;  // why a Data string did not decode (unused: the page fails)
};

// A minimal CBOR (RFC 8949) reader over one GetRecords answer: definite and
// indefinite lengths, tags skipped; enough to walk the document and find
// Records[].Data (byte strings), NextShardIterator and MillisBehindLatest.
class CborReader {
 public:
  explicit CborReader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }

  // Reads an item head: major type and argument (count, length or value);
  // tags are skipped. `indefinite` for a 0x1f argument.
  bool Head(int* major, uint64_t* arg, bool* indefinite) {
    for (;;) {
      if (pos_ >= in_.size()) return ok_ = false;
      const auto ib = static_cast<uint8_t>(in_[pos_++]);
      *major = ib >> 5;
      const int info = ib & 0x1f;
      *indefinite = info == 31;
      if (info < 24 || info == 31) {
        *arg = info;
      } else if (info <= 27) {
        const size_t n = size_t{1} << (info - 24);
        if (pos_ + n > in_.size()) return ok_ = false;
        *arg = 0;
        for (size_t i = 0; i < n; ++i) *arg = (*arg << 8) | static_cast<uint8_t>(in_[pos_++]);
      } else {
        return ok_ = false;
      }
      if (*major != 6) return true;  // a tag: its item follows
    }
  }
  bool Break() {
    if (pos_ < in_.size() && static_cast<uint8_t>(in_[pos_]) == 0xff) {
      ++pos_;
      return true;
    }
    return false;
  }
  // A definite-length string's bytes after its head.
  std::string_view Bytes(uint64_t n) {
    if (pos_ + n > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string_view v = in_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  // Reads a text or byte string (definite length only: what servers send).
  bool String(std::string_view* out) {
    int major;
    uint64_t arg;
    bool indef;
    if (!Head(&major, &arg, &indef) || (major != 2 && major != 3) || indef) return ok_ = false;
    *out = Bytes(arg);
    return ok_;
  }
  bool Int(int64_t* out) {
    int major;
    uint64_t arg;
    bool indef;
    if (!Head(&major, &arg, &indef) || (major != 0 && major != 1)) return ok_ = false;
    *out = major == 0 ? static_cast<int64_t>(arg) : -1 - static_cast<int64_t>(arg);
    return true;
  }
  bool Skip() {
    int major;
    uint64_t arg;
    bool indef;
    if (!Head(&major, &arg, &indef)) return false;
    switch (major) {
      case 0:
      case 1:
      case 7: return true;
      case 2:
      case 3:
        if (!indef) return Bytes(arg), ok_;
        while (!Break()) {
          if (!Skip()) return false;
        }
        return true;
      default: {  // arrays and maps
        const uint64_t per = major == 5 ? 2 : 1;
        for (uint64_t i = 0; indef || i < arg * per; ++i) {
          if (indef && Break()) return true;
          if (!Skip()) return false;
        }
        return true;
      }
    }
  }
  // Calls on_member(key) for each member of the map at the cursor; it must
  // consume the member's value.
  template <typename F>
  bool Map(F&& on_member) {
    int major;
    uint64_t arg;
    bool indef;
    if (!Head(&major, &arg, &indef) || major != 5) return ok_ = false;
    for (uint64_t i = 0; indef || i < arg; ++i) {
      if (indef && Break()) return true;
      std::string_view key;
      if (!String(&key) || !on_member(key)) return false;
    }
    return ok_;
  }
  template <typename F>
  bool Array(F&& on_item) {
    int major;
    uint64_t arg;
    bool indef;
    if (!Head(&major, &arg, &indef) || major != 4) return ok_ = false;
    for (uint64_t i = 0; indef || i < arg; ++i) {
      if (indef && Break()) return true;
      if (!on_item()) return false;
    }
    return ok_;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

bool ParseCborPage(std::string_view resp, bool checksum, DrainPage* page) {
  CborReader r(resp);
  return r.Map([&](std::string_view key) {
    if (key == "Records") {
      return r.Array([&] {
        ++page->records;
        return r.Map([&](std::string_view k) {
          if (k != "Data") return r.Skip();
          std::string_view data;
          if (!r.String(&data)) return false;
          page->data_bytes += data.size();
          if (checksum) page->data_sum += DataSum(data);
          return true;
        });
      });
    }
    if (key == "NextShardIterator") {
      std::string_view it;
      if (!r.String(&it)) return false;
      page->next_iterator = std::string(it);
      return true;
    }
    if (key == "MillisBehindLatest") return r.Int(&page->behind);
    return r.Skip();
  });
}

// The GetRecords request body in the connection's format.
std::string GetRecordsBody(const Flags& f, const std::string& iterator) {
  if (!f.ep.cbor) return "{\"ShardIterator\":\"" + iterator + "\",\"Limit\":10000}";
  auto text = [](std::string* out, std::string_view s) {
    // Text-string heads for lengths below 65536 (iterators are a few hundred bytes).
    if (s.size() < 24) {
      out->push_back(static_cast<char>(0x60 | s.size()));
    } else if (s.size() < 256) {
      out->push_back(static_cast<char>(0x78));
      out->push_back(static_cast<char>(s.size()));
    } else {
      out->push_back(static_cast<char>(0x79));
      out->push_back(static_cast<char>(s.size() >> 8));
      out->push_back(static_cast<char>(s.size() & 0xff));
    }
    out->append(s);
  };
  std::string b;
  b.push_back(static_cast<char>(0xa2));  // map of 2
  text(&b, "ShardIterator");
  text(&b, iterator);
  text(&b, "Limit");
  b.push_back(static_cast<char>(0x19));  // uint16 10000
  b.push_back(static_cast<char>(10000 >> 8));
  b.push_back(static_cast<char>(10000 & 0xff));
  return b;
}

// Each consumer reads the shard from TRIM_HORIZON to the tip with Limit
// 10000; the run ends when every consumer has caught up (an empty answer with
// MillisBehindLatest 0) or after --duration. Throughput = data bytes / time.
// With --cbor the calls and answers are CBOR (Data as raw byte strings).
int Drain(const Flags& flags) {
  Flags f = flags;
  f.conns = f.consumers;  // one connection per reader
  asio::io_context io;
  auto conns = Connect(io, f, f.consumers);
  Stats stats;
  std::vector<std::string> iters;
  for (int c = 0; c < f.consumers; ++c) iters.push_back(Iterator(f, f.stream, 0, "TRIM_HORIZON"));
  uint64_t start = NowNs();
  uint64_t deadline = start + static_cast<uint64_t>(f.duration_s * 1e9);
  int running = f.consumers;
  uint64_t data_sum = 0;
  JsonPageParser json(f.checksum);
  std::function<void(int)> next = [&](int c) {
    if (NowNs() > deadline || iters[c].empty()) {
      --running;
      return;
    }
    auto body = std::make_shared<const std::string>(GetRecordsBody(f, iters[c]));
    uint64_t sent = NowNs();
    conns[c]->Send("GetRecords", body, [&, c, sent, body](int status, std::string_view resp) {
      if (status != 200) {
        stats.Error(status, resp);
        --running;
        return;
      }
      stats.latency.Record(NowNs() - sent);
      ++stats.ok;
      DrainPage page;
      bool parsed = f.ep.cbor ? ParseCborPage(resp, f.checksum, &page) : json.Parse(resp, &page);
      if (!parsed) {
        stats.Error(status, "unparsable GetRecords answer");
        --running;
        return;
      }
      stats.records += page.records;
      stats.bytes += page.data_bytes;
      data_sum += page.data_sum;
      iters[c] = (page.records == 0 && page.behind <= 0) ? std::string() : page.next_iterator;
      next(c);
    });
  };
  for (int c = 0; c < f.consumers; ++c) next(c);
  while (running > 0 && io.run_one() > 0) {
  }
  double seconds = static_cast<double>(NowNs() - start) / 1e9;
  char extra[96];
  std::snprintf(extra, sizeof extra, ",\"cpu_s\":%.3f", CpuSeconds());
  std::string more = extra;
  if (f.checksum) {
    std::snprintf(extra, sizeof extra, ",\"data_sum\":\"%016llx\"", (unsigned long long)data_sum);
    more += extra;
  }
  PrintResult(f, stats, seconds, more);
  return stats.errors == 0 ? 0 : 1;
}

// ---------------------------------------------------------------- propagation

// Open-loop PutRecord of 16-byte records (due time, sequence) at --rate on one
// connection set, one reader on another connection polling GetRecords from
// LATEST; latency = time the record was seen by the reader - its due time.
int Propagation(const Flags& f) {
  asio::io_context io;
  std::string iter = Iterator(f, f.stream, 0, "LATEST");
  auto reader = Connect(io, f, 1);
  Stats put_stats, stats;
  uint64_t start = NowNs() + static_cast<uint64_t>(f.warmup_s * 1e9);
  uint64_t end = start + static_cast<uint64_t>(f.duration_s * 1e9);
  uint64_t sent_records = 0, seen = 0;
  bool stop = false;
  simdjson::ondemand::parser parser;
  asio::steady_timer pause(io);
  std::function<void()> poll = [&] {
    if (stop) return;
    auto body = std::make_shared<const std::string>("{\"ShardIterator\":\"" + iter + "\",\"Limit\":10000}");
    reader[0]->Send("GetRecords", body, [&, body](int status, std::string_view resp) {
      if (status != 200) {
        stats.Error(status, resp);
        if (status == 0) return;
      } else {
        uint64_t now = NowNs();
        simdjson::padded_string padded(resp);
        auto doc = parser.iterate(padded);
        int n = 0;
        for (auto field : doc.get_object()) {
          std::string_view key = field.unescaped_key();
          if (key == "Records") {
            for (auto rec : field.value().get_array()) {
              std::string raw = Unbase64(std::string_view(rec["Data"].get_string()));
              if (raw.size() < 8) continue;
              uint64_t due;
              std::memcpy(&due, raw.data(), 8);
              ++n;
              ++seen;
              if (due >= start && due < end) {
                stats.latency.Record(now - due);
                ++stats.ok;
                ++stats.records;
              }
            }
          } else if (key == "NextShardIterator") {
            iter = std::string(std::string_view(field.value().get_string()));
          }
        }
        if (n > 0) return poll();
      }
      pause.expires_after(std::chrono::microseconds(static_cast<int64_t>(f.poll_ms * 1000)));
      pause.async_wait([&](boost::system::error_code ec) {
        if (!ec) poll();
      });
    });
  };
  poll();
  // The writer: a Driver-like open loop on its own thread and io_context.
  std::thread writer([&] {
    asio::io_context wio;
    Flags wf = f;
    wf.conns = std::max(1, f.conns);
    auto conns = Connect(wio, wf, wf.conns);
    double interval = 1e9 / std::max(1.0, f.rate);
    double next_due = static_cast<double>(NowNs());
    std::deque<uint64_t> backlog;
    asio::steady_timer t(wio);
    uint64_t seq = 0;
    std::function<void()> dispatch = [&] {
      for (auto& c : conns) {
        while (!backlog.empty() && c->FreeSlots() > 0) {
          uint64_t due = backlog.front();
          backlog.pop_front();
          char raw[16];
          std::memcpy(raw, &due, 8);
          std::memcpy(raw + 8, &seq, 8);
          ++seq;
          auto body = std::make_shared<const std::string>("{\"StreamName\":\"" + f.stream + "\",\"PartitionKey\":\"k" +
                                                          std::to_string(seq % 64) + "\",\"Data\":\"" +
                                                          Base64(std::string_view(raw, 16)) + "\"}");
          c->Send("PutRecord", body, [&, body](int status, std::string_view resp) {
            if (status == 200) {
              ++sent_records;
            } else {
              put_stats.Error(status, resp);
            }
            dispatch();
          });
        }
      }
    };
    std::function<void()> tick = [&] {
      uint64_t now = NowNs();
      if (now >= end) return;
      while (next_due <= static_cast<double>(now)) {
        backlog.push_back(static_cast<uint64_t>(next_due));
        next_due += interval;
      }
      dispatch();
      t.expires_after(std::chrono::microseconds(200));
      t.async_wait([&](boost::system::error_code ec) {
        if (!ec) tick();
      });
    };
    tick();
    wio.run();
  });
  asio::steady_timer stopper(io);
  stopper.expires_at(Clock::now() + std::chrono::nanoseconds(end - NowNs() + 2'000'000'000ull));
  stopper.async_wait([&](boost::system::error_code) {
    stop = true;
    io.stop();
  });
  io.run();
  writer.join();
  stats.errors += put_stats.errors;
  for (auto& [k, v] : put_stats.error_types) stats.error_types[k] += v;
  stats.late = sent_records > seen ? sent_records - seen : 0;  // acknowledged but never seen
  PrintResult(f, stats, f.duration_s,
              ",\"put_ok\":" + std::to_string(sent_records) + ",\"seen\":" + std::to_string(seen));
  return 0;
}

int RunLoad(const Flags& f) {
  asio::io_context io;
  auto streams = StreamNames(f);
  std::unique_ptr<Workload> w;
  if (f.mode == "put") {
    w = std::make_unique<PutWorkload>(f, streams, 1);
  } else if (f.mode == "puts") {
    w = std::make_unique<PutWorkload>(f, streams, f.records);
  } else if (f.mode == "firehose") {
    w = std::make_unique<FirehoseWorkload>(f, streams);
  } else {
    std::vector<std::string> iters;
    for (auto& s : streams) {
      for (int sh = 0; sh < f.shards; ++sh) iters.push_back(Iterator(f, s, sh, "LATEST"));
    }
    w = std::make_unique<MixedWorkload>(f, streams, std::move(iters));
  }
  auto conns = Connect(io, f, f.conns);
  Driver d(io, f, std::move(conns), w.get());
  double seconds = 0;
  Stats s = d.Run(&seconds);
  PrintResult(f, s, seconds > 0 ? seconds : f.duration_s);
  return 0;
}

}  // namespace
}  // namespace spate::bench

int main(int argc, char** argv) {
  using namespace spate::bench;
  Flags f;
  if (argc >= 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (!ParseFlags(argc, argv, &f)) {
    std::fputs(kHelp, stderr);
    return 2;
  }
  if (f.mode == "create") return CreateStreams(f);
  if (f.mode == "probe") return Probe(f);
  if (f.mode == "get") return Drain(f);
  if (f.mode == "prop") return Propagation(f);
  if (f.mode == "put" || f.mode == "puts" || f.mode == "mixed" || f.mode == "firehose") return RunLoad(f);
  std::fprintf(stderr, "unknown mode %s\n", f.mode.c_str());
  return 2;
}
