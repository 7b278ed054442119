// libFuzzer target: storage batch decoding and segment scanning
// (src/storage/format.h, segment.h). The input is a segment file: it is
// scanned batch by batch with the real BatchScanner over an in-memory file;
// each batch's CRC is first made to match (so the checks behind it are
// reached), then its records are decoded, decrypting encrypted batches with
// a fixed key store.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "storage/format.h"
#include "storage/key_store.h"
#include "storage/segment.h"
#include "util/crc32c.h"
#include "util/file_system.h"

namespace {

using namespace spate;

class MemFile final : public util::File {
 public:
  explicit MemFile(std::string bytes) : bytes_(std::move(bytes)) {}
  const std::string& path() const override { return path_; }
  Status WriteAt(uint64_t, std::span<const std::string_view>, size_t*) override { return Internal("read only"); }
  Result<size_t> ReadAt(uint64_t pos, size_t n, char* scratch) const override {
    if (pos >= bytes_.size()) return size_t{0};
    n = std::min<uint64_t>(n, bytes_.size() - pos);
    std::memcpy(scratch, bytes_.data() + pos, n);
    return n;
  }
  Status DataSync() override { return Status::Ok(); }
  Status Sync() override { return Status::Ok(); }
  Status Truncate(uint64_t) override { return Internal("read only"); }
  Status Allocate(uint64_t) override { return Internal("read only"); }
  Result<uint64_t> Size() const override { return uint64_t{bytes_.size()}; }
  std::string& bytes() { return bytes_; }

 private:
  std::string path_ = "fuzz.log";
  std::string bytes_;
};

const storage::KeyStore& Keys() {
  static std::unique_ptr<storage::KeyStore> keys = [] {
    char tmpl[] = "/tmp/spate_fuzz_keys_XXXXXX";
    char* dir = ::mkdtemp(tmpl);
    auto k = storage::KeyStore::Open(std::string(dir ? dir : "/tmp") + "/keys");
    if (!k.ok()) std::abort();
    (void)(*k)->RefFor("alias/aws/kinesis");  // ref 1
    return std::move(k).value();
  }();
  return *keys;
}

// Makes every plausible batch header's CRC match, so the fuzzer explores the
// framing and decryption checks rather than the CRC.
void FixCrcs(std::string* b) {
  size_t pos = 0;
  while (pos + storage::format::kBatchHeaderSize <= b->size()) {
    uint32_t len = storage::format::GetFixed32(b->data() + pos + storage::format::kLengthPos);
    if (len < storage::format::kBatchHeaderSize || len > b->size() - pos) return;
    storage::format::PutFixed32(
        b->data() + pos + storage::format::kCrcPos,
        util::Extend(0, b->data() + pos + storage::format::kCrcCoveredFrom, len - storage::format::kCrcCoveredFrom));
    pos += len;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool fix = (data[0] & 1) != 0;
  MemFile file(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  if (fix) FixCrcs(&file.bytes());
  storage::BatchScanner scanner(&file, storage::FilePos{0}, storage::FilePos{file.bytes().size()});
  for (int i = 0; i < 1000; ++i) {
    storage::format::BatchHeader h;
    const char* p = nullptr;
    auto o = scanner.Next(&h, &p);
    if (!o.ok() || *o != storage::BatchScanner::Outcome::kBatch) break;
    if (storage::format::VerifyBatch(p, h).ok()) {
      std::string scratch;
      auto recs = storage::format::BatchRecords(p, h, &Keys(), &scratch);
      if (recs.ok()) {
        size_t n = 0;
        storage::format::ForEachRecord(*recs, h, [&](storage::Offset, std::string_view k, std::string_view d) {
          n += k.size() + d.size();
          return true;
        });
        if (n > h.length) std::abort();
      }
    }
    scanner.Advance(h.length);
  }
  return 0;
}
