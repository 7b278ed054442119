#include "storage/tests/fault_injection_file_system.h"

#include <algorithm>

namespace spate::storage::testing {

namespace {
std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}
}  // namespace

class FaultFile final : public util::File {
 public:
  FaultFile(FaultInjectionFileSystem* fs, std::unique_ptr<util::File> base) : fs_(fs), base_(std::move(base)) {}

  const std::string& path() const override { return base_->path(); }

  Status WriteAt(uint64_t pos, std::span<const std::string_view> slices, size_t* written) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    if (written != nullptr) *written = 0;
    SPATE_TRY(fs_->CheckActive("write " + path()));
    fs_->writing_threads_[path()].insert(std::this_thread::get_id());
    std::string data;
    for (std::string_view s : slices) data.append(s);
    bool partial = false;
    Status fault = fs_->MaybeFail(FaultInjectionFileSystem::Op::kWrite, path(), &partial);
    size_t n = data.size();
    if (!fault.ok()) {
      n = partial && !data.empty() ? static_cast<size_t>(fs_->rng_() % data.size()) : 0;
    }
    if (n > 0) {
      FaultInjectionFileSystem::Undo u;
      u.pos = pos;
      u.len = n;
      SPATE_ASSIGN_OR_RETURN(u.old_size, base_->Size());
      if (pos < u.old_size) {
        u.old.resize(std::min<uint64_t>(n, u.old_size - pos));
        SPATE_ASSIGN_OR_RETURN(size_t got, base_->ReadAt(pos, u.old.size(), u.old.data()));
        u.old.resize(got);
      }
      size_t w = 0;
      std::string_view part(data.data(), n);
      SPATE_TRY(base_->WriteAt(pos, std::span<const std::string_view>(&part, 1), &w));
      fs_->unsynced_[path()].push_back(std::move(u));
    }
    if (written != nullptr) *written = n;
    if (fs_->latency_clock_ != nullptr) fs_->latency_clock_->AdvanceMs(fs_->write_ms_);
    return fault;
  }

  Result<size_t> ReadAt(uint64_t pos, size_t n, char* scratch) const override { return base_->ReadAt(pos, n, scratch); }

  Status DataSync() override { return DoSync(); }
  Status Sync() override { return DoSync(); }

  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    SPATE_TRY(fs_->CheckActive("truncate " + path()));
    SPATE_TRY(base_->Truncate(size));
    auto it = fs_->unsynced_.find(path());
    if (it != fs_->unsynced_.end()) {
      auto& v = it->second;
      v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& u) { return u.pos >= size; }), v.end());
      for (auto& u : v) {
        u.len = std::min<uint64_t>(u.len, size - u.pos);
        if (u.old.size() > u.len) u.old.resize(u.len);
        u.old_size = std::min(u.old_size, size);
      }
    }
    return Status::Ok();
  }

  Status Allocate(uint64_t size) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    SPATE_TRY(fs_->CheckActive("allocate " + path()));
    bool partial = false;
    SPATE_TRY(fs_->MaybeFail(FaultInjectionFileSystem::Op::kAllocate, path(), &partial));
    return base_->Allocate(size);
  }

  Result<uint64_t> Size() const override { return base_->Size(); }

  void StartWriteback(uint64_t pos, uint64_t len) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    fs_->writeback_hints_.push_back(FaultInjectionFileSystem::WritebackHint{path(), pos, len});
  }

  void DropCache(uint64_t pos, uint64_t len) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    bool unsynced = false;
    if (auto it = fs_->unsynced_.find(path()); it != fs_->unsynced_.end()) {
      for (const auto& u : it->second) unsynced |= u.pos < pos + len && pos < u.pos + u.len;
    }
    const auto& writers = fs_->writing_threads_[path()];
    const bool by_writer = writers.count(std::this_thread::get_id()) > 0;
    fs_->cache_drops_.push_back(FaultInjectionFileSystem::CacheDrop{path(), pos, len, unsynced, by_writer});
    base_->DropCache(pos, len);
  }

 private:
  Status DoSync() {
    std::lock_guard<std::mutex> l(fs_->mu_);
    SPATE_TRY(fs_->CheckActive("sync " + path()));
    ++fs_->sync_calls_;
    bool partial = false;
    SPATE_TRY(fs_->MaybeFail(FaultInjectionFileSystem::Op::kSync, path(), &partial));
    fs_->unsynced_.erase(path());
    if (fs_->latency_clock_ != nullptr) fs_->latency_clock_->AdvanceMs(fs_->sync_ms_);
    return Status::Ok();
  }

  FaultInjectionFileSystem* const fs_;
  const std::unique_ptr<util::File> base_;
};

FaultInjectionFileSystem::FaultInjectionFileSystem(util::FileSystem* base, uint64_t seed) : base_(base), rng_(seed) {}

void FaultInjectionFileSystem::SetFault(Op op, FaultSpec spec) {
  std::lock_guard<std::mutex> l(mu_);
  faults_[op] = std::move(spec);
  seen_[op] = 0;
}

void FaultInjectionFileSystem::SetLatency(util::ManualClock* clock, int64_t write_ms, int64_t sync_ms) {
  std::lock_guard<std::mutex> l(mu_);
  latency_clock_ = clock;
  write_ms_ = write_ms;
  sync_ms_ = sync_ms;
}

void FaultInjectionFileSystem::ClearFaults() {
  std::lock_guard<std::mutex> l(mu_);
  faults_.clear();
  seen_.clear();
}

void FaultInjectionFileSystem::SetActive(bool active) {
  std::lock_guard<std::mutex> l(mu_);
  active_ = active;
}

uint64_t FaultInjectionFileSystem::UnsyncedBytes() {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t n = 0;
  for (const auto& [path, v] : unsynced_) {
    for (const auto& u : v) n += u.len;
  }
  return n;
}

std::vector<FaultInjectionFileSystem::WritebackHint> FaultInjectionFileSystem::WritebackHints() {
  std::lock_guard<std::mutex> l(mu_);
  return writeback_hints_;
}

std::vector<FaultInjectionFileSystem::CacheDrop> FaultInjectionFileSystem::CacheDrops() {
  std::lock_guard<std::mutex> l(mu_);
  return cache_drops_;
}

int FaultInjectionFileSystem::SyncCalls() {
  std::lock_guard<std::mutex> l(mu_);
  return sync_calls_;
}

Status FaultInjectionFileSystem::CheckActive(const std::string& what) {
  if (active_) return Status::Ok();
  return IoError(what + ": file system inactive (simulated crash)");
}

Status FaultInjectionFileSystem::FaultStatus(Fault f, const std::string& what, const std::string& path) {
  if (f == Fault::kNoSpace)
    return Status(ErrorCode::kUnavailable, what + " " + path + ": No space left on device (injected)");
  return IoError(what + " " + path + ": Input/output error (injected)");
}

Status FaultInjectionFileSystem::MaybeFail(Op op, const std::string& path, bool* partial) {
  auto it = faults_.find(op);
  if (it == faults_.end() || it->second.fault == Fault::kNone) return Status::Ok();
  const FaultSpec& spec = it->second;
  if (!spec.path_substr.empty() && path.find(spec.path_substr) == std::string::npos) return Status::Ok();
  int n = seen_[op]++;
  if (n < spec.skip || n >= spec.skip + spec.count) return Status::Ok();
  *partial = spec.partial;
  const char* what = op == Op::kWrite ? "write" : op == Op::kSync ? "sync" : "allocate";
  return FaultStatus(spec.fault, what, path);
}

// Undoes the bytes of `u` from relative position `keep` on.
void FaultInjectionFileSystem::RollBack(util::File* f, const Undo& u, uint64_t keep) {
  if (keep < u.old.size()) {
    f->WriteAt(u.pos + keep, std::string_view(u.old).substr(keep)).IgnoreError();
  }
  uint64_t size = f->Size().ok() ? *f->Size() : 0;
  uint64_t floor = std::max(u.old_size, u.pos + keep);
  if (size > floor) f->Truncate(floor).IgnoreError();
}

void FaultInjectionFileSystem::SimulateCrash(CrashMode mode) {
  std::lock_guard<std::mutex> l(mu_);
  active_ = false;
  for (auto& [path, undos] : unsynced_) {
    if (undos.empty() || created_.count(path) > 0) continue;  // nothing to undo / the file itself goes
    Result<std::unique_ptr<util::File>> f = base_->OpenFile(path, util::OpenMode::kReadWrite);
    if (!f.ok()) continue;
    size_t n = undos.size();
    size_t keep = 0;
    uint64_t torn_keep = 0;
    switch (mode) {
      case CrashMode::kDropUnsynced: keep = 0; break;
      case CrashMode::kKeepRandomPrefix: keep = static_cast<size_t>(rng_() % (n + 1)); break;
      case CrashMode::kTearLastWrite:
        keep = n - 1;
        torn_keep = undos.back().len == 0 ? 0 : rng_() % undos.back().len;
        break;
    }
    for (size_t i = n; i-- > keep;) {
      RollBack(f->get(), undos[i], i == keep && mode == CrashMode::kTearLastWrite ? torn_keep : 0);
    }
  }
  unsynced_.clear();
  for (const std::string& path : created_) base_->Unlink(path).IgnoreError();
  created_.clear();
}

Result<std::unique_ptr<util::File>> FaultInjectionFileSystem::OpenFile(const std::string& path, util::OpenMode mode) {
  std::lock_guard<std::mutex> l(mu_);
  if (mode == util::OpenMode::kCreate) {
    SPATE_TRY(CheckActive("create " + path));
    bool existed = base_->Exists(path);
    SPATE_ASSIGN_OR_RETURN(std::unique_ptr<util::File> f, base_->OpenFile(path, mode));
    unsynced_.erase(path);  // truncated to empty: treated as durable
    if (!existed) created_.insert(path);
    return std::unique_ptr<util::File>(new FaultFile(this, std::move(f)));
  }
  SPATE_ASSIGN_OR_RETURN(std::unique_ptr<util::File> f, base_->OpenFile(path, mode));
  return std::unique_ptr<util::File>(new FaultFile(this, std::move(f)));
}

Status FaultInjectionFileSystem::CreateDir(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  SPATE_TRY(CheckActive("mkdir " + path));
  return base_->CreateDir(path);
}

Status FaultInjectionFileSystem::SyncDir(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  SPATE_TRY(CheckActive("sync dir " + path));
  for (auto it = created_.begin(); it != created_.end();) {
    it = Parent(*it) == path ? created_.erase(it) : std::next(it);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> FaultInjectionFileSystem::ListDir(const std::string& path) {
  return base_->ListDir(path);
}
Result<bool> FaultInjectionFileSystem::IsDirectory(const std::string& path) { return base_->IsDirectory(path); }

Status FaultInjectionFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> l(mu_);
  SPATE_TRY(CheckActive("rename " + from));
  SPATE_TRY(base_->Rename(from, to));
  // Renaming a file is durable here, so its content is what it is now.
  unsynced_.erase(from);
  unsynced_.erase(to);
  created_.erase(from);
  created_.erase(to);
  return Status::Ok();
}

Status FaultInjectionFileSystem::Unlink(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  SPATE_TRY(CheckActive("unlink " + path));
  unsynced_.erase(path);
  created_.erase(path);
  return base_->Unlink(path);
}

Status FaultInjectionFileSystem::RemoveAll(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  SPATE_TRY(CheckActive("remove " + path));
  std::string prefix = path + "/";
  for (auto it = unsynced_.begin(); it != unsynced_.end();) {
    it = (it->first == path || it->first.compare(0, prefix.size(), prefix) == 0) ? unsynced_.erase(it) : std::next(it);
  }
  for (auto it = created_.begin(); it != created_.end();) {
    it = (*it == path || it->compare(0, prefix.size(), prefix) == 0) ? created_.erase(it) : std::next(it);
  }
  return base_->RemoveAll(path);
}

Result<uint64_t> FaultInjectionFileSystem::FileSize(const std::string& path) { return base_->FileSize(path); }
bool FaultInjectionFileSystem::Exists(const std::string& path) { return base_->Exists(path); }

}  // namespace spate::storage::testing
