// The embedded default object store: one directory per bucket.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "firehose/object_store.h"

namespace spate::firehose {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  int e = errno;
  ErrorCode code = (e == ENOSPC || e == EDQUOT) ? ErrorCode::kUnavailable : ErrorCode::kIoError;
  return Status(code, what + " " + path + ": " + std::strerror(e));
}

Status SyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  int rc = ::fsync(fd);
  Status st = rc == 0 ? Status::Ok() : Errno("fsync", path);
  ::close(fd);
  return st;
}

// mkdir -p, syncing each parent whose entry list changed so the object's
// path survives a crash once PutObject returns.
Status MakeDirs(const std::string& root, const std::string& rel) {
  std::string path = root;
  size_t pos = 0;
  while (pos < rel.size()) {
    size_t slash = rel.find('/', pos);
    if (slash == std::string::npos) break;
    std::string parent = path;
    path += "/" + rel.substr(pos, slash - pos);
    if (::mkdir(path.c_str(), 0755) == 0) {
      SPATE_TRY(SyncPath(parent));
    } else if (errno != EEXIST) {
      return Errno("mkdir", path);
    }
    pos = slash + 1;
  }
  return Status::Ok();
}

// S3 keys are free-form; a file path is not. Refuse what would escape the
// bucket's directory or name a directory instead of a file.
bool SafeKey(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.back() == '/') return false;
  size_t pos = 0;
  while (pos <= key.size()) {
    size_t slash = key.find('/', pos);
    std::string_view part = key.substr(pos, slash == std::string_view::npos ? key.size() - pos : slash - pos);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return key.find('\0') == std::string_view::npos;
}

bool SafeBucket(std::string_view bucket) {
  if (bucket.empty() || bucket.size() > 255 || bucket == "." || bucket == "..") return false;
  for (char c : bucket) {
    if (c == '/' || c == '\0') return false;
  }
  return true;
}

class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(std::string root) : root_(std::move(root)) {}

  // A local write is short and not interruptible: `cancel` is not read.
  Status PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                   const std::atomic<bool>* /*cancel*/) override {
    if (!SafeBucket(bucket)) return InvalidArgument("bucket name not usable as a directory: " + std::string(bucket));
    if (!SafeKey(key)) return InvalidArgument("object key not usable as a file path: " + std::string(key));
    std::string rel = std::string(bucket) + "/" + std::string(key);
    if (::mkdir(root_.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", root_);
    SPATE_TRY(MakeDirs(root_, rel));
    std::string path = root_ + "/" + rel;
    std::string dir = path.substr(0, path.rfind('/'));
    std::string tmp = dir + "/.tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter_.fetch_add(1));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("create", tmp);
    size_t done = 0;
    while (done < body.size()) {
      ssize_t n = ::write(fd, body.data() + done, body.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        Status st = Errno("write", tmp);
        ::close(fd);
        ::unlink(tmp.c_str());
        return st;
      }
      done += static_cast<size_t>(n);
    }
    if (::fdatasync(fd) != 0) {
      Status st = Errno("fdatasync", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      Status st = Errno("rename", path);
      ::unlink(tmp.c_str());
      return st;
    }
    return SyncPath(dir);
  }

  std::string Describe() const override { return "local directory " + root_; }

 private:
  std::string root_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace

std::unique_ptr<ObjectStore> NewLocalObjectStore(std::string root) {
  return std::make_unique<LocalObjectStore>(std::move(root));
}

}  // namespace spate::firehose
