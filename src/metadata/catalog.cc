#include "metadata/catalog.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

namespace spate::metadata {
namespace {

constexpr std::string_view kStreamPrefix = "stream/";
constexpr std::string_view kSettingPrefix = "setting/";
constexpr std::string_view kEntryPrefix = "svc/";

std::string EntryKey(std::string_view ns, std::string_view key) {
  std::string k(kEntryPrefix);
  k.append(ns).append("/").append(key);
  return k;
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  ErrorCode code = s.IsCorruption() ? ErrorCode::kCorruption : ErrorCode::kIoError;
  return Status(code, std::string("catalog ") + std::string(what) + ": " + s.ToString());
}

class RocksCatalog final : public Catalog {
 public:
  explicit RocksCatalog(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) { sync_.sync = true; }

  Status PutStream(const StreamMeta& meta) override {
    return FromRocks(db_->Put(sync_, meta.Key(), EncodeStreamMeta(meta)), "put");
  }

  Status DeleteStream(std::string_view key) override {
    return FromRocks(db_->Delete(sync_, rocksdb::Slice(key.data(), key.size())), "delete");
  }

  Result<std::vector<StreamMeta>> LoadStreams() override {
    std::vector<StreamMeta> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(rocksdb::Slice(kStreamPrefix.data(), kStreamPrefix.size())); it->Valid(); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      if (key.substr(0, kStreamPrefix.size()) != kStreamPrefix) break;
      auto meta = DecodeStreamMeta(std::string_view(it->value().data(), it->value().size()));
      if (!meta.ok()) return meta.status();
      out.push_back(std::move(meta).value());
    }
    SPATE_TRY(FromRocks(it->status(), "scan"));
    return out;
  }

  Status PutEntry(std::string_view ns, std::string_view key, std::string_view value) override {
    return FromRocks(db_->Put(sync_, EntryKey(ns, key), rocksdb::Slice(value.data(), value.size())), "put entry");
  }

  Status DeleteEntry(std::string_view ns, std::string_view key) override {
    return FromRocks(db_->Delete(sync_, EntryKey(ns, key)), "delete entry");
  }

  Result<std::vector<std::pair<std::string, std::string>>> LoadEntries(std::string_view ns) override {
    std::vector<std::pair<std::string, std::string>> out;
    std::string prefix = EntryKey(ns, "");
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      if (key.substr(0, prefix.size()) != prefix) break;
      out.emplace_back(std::string(key.substr(prefix.size())), it->value().ToString());
    }
    SPATE_TRY(FromRocks(it->status(), "scan"));
    return out;
  }

  Result<std::optional<std::string>> GetEntry(std::string_view ns, std::string_view key) override {
    return Get(EntryKey(ns, key));
  }

  Result<std::optional<std::string>> GetSetting(std::string_view name) override {
    return Get(std::string(kSettingPrefix) + std::string(name));
  }

  Status PutSetting(std::string_view name, std::string_view value) override {
    std::string key = std::string(kSettingPrefix) + std::string(name);
    return FromRocks(db_->Put(sync_, key, rocksdb::Slice(value.data(), value.size())), "put setting");
  }

 private:
  Result<std::optional<std::string>> Get(const std::string& key) {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    SPATE_TRY(FromRocks(s, "get"));
    return std::optional<std::string>(std::move(value));
  }

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions sync_;
};

}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  // The catalog is small; keep RocksDB's footprint small too.
  options.max_open_files = 64;
  options.keep_log_file_num = 2;
  options.write_buffer_size = 4 << 20;
  rocksdb::DB* raw = nullptr;
  SPATE_TRY(FromRocks(rocksdb::DB::Open(options, dir, &raw), "open"));
  return std::unique_ptr<Catalog>(new RocksCatalog(std::unique_ptr<rocksdb::DB>(raw)));
}

}  // namespace spate::metadata
