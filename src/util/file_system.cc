#include "util/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace spate::util {

Status ErrnoStatus(int err, std::string_view op, std::string_view path) {
  std::string msg;
  msg.append(op).append(" ").append(path).append(": ").append(std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) return Status(ErrorCode::kUnavailable, std::move(msg));
  if (err == ENOENT) return Status(ErrorCode::kNotFound, std::move(msg));
  return Status(ErrorCode::kIoError, std::move(msg));
}

namespace {

class PosixFile final : public File {
 public:
  PosixFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFile() override { ::close(fd_); }

  const std::string& path() const override { return path_; }

  Status WriteAt(uint64_t pos, std::span<const std::string_view> slices, size_t* written) override {
    size_t total = 0;
    size_t i = 0;     // first slice not fully written
    size_t skip = 0;  // bytes of slices[i] already written
    while (i < slices.size()) {
      iovec iov[IOV_MAX];
      int n = 0;
      for (size_t j = i; j < slices.size() && n < IOV_MAX; ++j) {
        size_t off = (j == i) ? skip : 0;
        if (slices[j].size() == off) continue;
        iov[n].iov_base = const_cast<char*>(slices[j].data() + off);
        iov[n].iov_len = slices[j].size() - off;
        ++n;
      }
      if (n == 0) break;
      ssize_t r = ::pwritev(fd_, iov, n, static_cast<off_t>(pos + total));
      if (r < 0) {
        if (errno == EINTR) continue;
        if (written != nullptr) *written = total;
        return ErrnoStatus(errno, "pwritev", path_);
      }
      if (r == 0) {
        if (written != nullptr) *written = total;
        return ErrnoStatus(ENOSPC, "pwritev (wrote 0 bytes)", path_);
      }
      total += static_cast<size_t>(r);
      size_t left = static_cast<size_t>(r);
      while (left > 0 && i < slices.size()) {
        size_t avail = slices[i].size() - skip;
        if (left >= avail) {
          left -= avail;
          ++i;
          skip = 0;
        } else {
          skip += left;
          left = 0;
        }
      }
      while (i < slices.size() && slices[i].size() == skip) {
        ++i;
        skip = 0;
      }
    }
    if (written != nullptr) *written = total;
    return Status::Ok();
  }

  Result<size_t> ReadAt(uint64_t pos, size_t n, char* scratch) const override {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, scratch + got, n - got, static_cast<off_t>(pos + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "pread", path_);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }

  Status DataSync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus(errno, "fdatasync", path_);
    return Status::Ok();
  }
  Status Sync() override {
    if (::fsync(fd_) != 0) return ErrnoStatus(errno, "fsync", path_);
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return ErrnoStatus(errno, "ftruncate", path_);
    return Status::Ok();
  }
  Status Allocate(uint64_t size) override {
    if (size == 0) return Status::Ok();
    int r = ::fallocate(fd_, 0, 0, static_cast<off_t>(size));
    if (r == 0) return Status::Ok();
    if (errno == EOPNOTSUPP || errno == ENOSYS) return Status::Ok();  // best effort
    return ErrnoStatus(errno, "fallocate", path_);
  }
  void StartWriteback(uint64_t pos, uint64_t len) override {
    // Without SYNC_FILE_RANGE_WAIT_* the call neither waits for the pages
    // nor checks the file's writeback error state, so an error stays for
    // the fdatasync that acknowledges the data.
    if (len == 0) return;
    (void)::sync_file_range(fd_, static_cast<off_t>(pos), static_cast<off_t>(len), SYNC_FILE_RANGE_WRITE);
  }
  void DropCache(uint64_t pos, uint64_t len) override {
    if (len == 0) return;
    (void)::posix_fadvise(fd_, static_cast<off_t>(pos), static_cast<off_t>(len), POSIX_FADV_DONTNEED);
  }
  Result<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, "fstat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixFileSystemImpl final : public FileSystem {
 public:
  Result<std::unique_ptr<File>> OpenFile(const std::string& path, OpenMode mode) override {
    int flags = O_CLOEXEC;
    switch (mode) {
      case OpenMode::kRead: flags |= O_RDONLY; break;
      case OpenMode::kReadWrite: flags |= O_RDWR; break;
      case OpenMode::kCreate: flags |= O_RDWR | O_CREAT | O_TRUNC; break;
    }
    int fd;
    do {
      fd = ::open(path.c_str(), flags, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return ErrnoStatus(errno, "open", path);
    return std::unique_ptr<File>(new PosixFile(path, fd));
  }

  Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus(errno, "mkdir", path);
    return Status::Ok();
  }

  Status SyncDir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open dir", path);
    Status s;
    if (::fsync(fd) != 0) s = ErrnoStatus(errno, "fsync dir", path);
    ::close(fd);
    return s;
  }

  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return ErrnoStatus(errno, "opendir", path);
    std::vector<std::string> out;
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      out.emplace_back(name);
    }
    ::closedir(d);
    return out;
  }

  Result<bool> IsDirectory(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", path);
    return S_ISDIR(st.st_mode);
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus(errno, "rename", from + " -> " + to);
    return Status::Ok();
  }

  Status Unlink(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "unlink", path);
    return Status::Ok();
  }

  Status RemoveAll(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);  // noexcept overload
    if (ec) return ErrnoStatus(ec.value(), "remove_all", path);
    return Status::Ok();
  }

  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", path);
    return static_cast<uint64_t>(st.st_size);
  }

  bool Exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }
};

}  // namespace

FileSystem* PosixFileSystem() {
  static PosixFileSystemImpl fs;
  return &fs;
}

Result<std::string> ReadFileToString(FileSystem* fs, const std::string& path) {
  SPATE_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs->OpenFile(path, OpenMode::kRead));
  SPATE_ASSIGN_OR_RETURN(uint64_t size, f->Size());
  std::string out(size, '\0');
  SPATE_ASSIGN_OR_RETURN(size_t n, f->ReadAt(0, size, out.data()));
  out.resize(n);
  return out;
}

Status WriteFileAtomically(FileSystem* fs, const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  {
    SPATE_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs->OpenFile(tmp, OpenMode::kCreate));
    SPATE_TRY(f->WriteAt(0, data));
  }
  return fs->Rename(tmp, path);
}

Status WriteZeros(File& file, uint64_t begin, uint64_t end) {
  static const std::string kZeros(1u << 20, '\0');
  for (uint64_t p = begin; p < end; p += kZeros.size()) {
    SPATE_TRY(file.WriteAt(p, std::string_view(kZeros).substr(0, std::min<uint64_t>(kZeros.size(), end - p))));
  }
  return Status::Ok();
}

}  // namespace spate::util
