#include "cli/line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace spate::cli {
namespace {
constexpr size_t kReadChunk = 64 * 1024;
}  // namespace

LineReader::Result LineReader::Next(std::string* line, int timeout_ms) {
  while (true) {
    size_t nl = buffer_.find('\n', scanned_);
    if (nl != std::string::npos) {
      line->assign(buffer_, 0, nl);
      buffer_.erase(0, nl + 1);
      scanned_ = 0;
      return Result::kLine;
    }
    scanned_ = buffer_.size();
    if (eof_) {
      if (buffer_.empty()) return Result::kEnd;
      line->swap(buffer_);
      buffer_.clear();
      scanned_ = 0;
      return Result::kLine;
    }
    pollfd p{fd_, POLLIN, 0};
    int ready = poll(&p, 1, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Result::kError;
    }
    if (ready == 0) return Result::kTimeout;
    size_t old = buffer_.size();
    buffer_.resize(old + kReadChunk);
    ssize_t n = read(fd_, buffer_.data() + old, kReadChunk);
    if (n < 0) {
      buffer_.resize(old);
      if (errno == EINTR || errno == EAGAIN) continue;
      return Result::kError;
    }
    buffer_.resize(old + static_cast<size_t>(n));
    if (n == 0) eof_ = true;
  }
}

}  // namespace spate::cli
