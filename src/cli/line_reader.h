#pragma once

// Lines from a file descriptor (stdin for `spate put`), with a wait that can
// time out, so that a caller reading a slow source (`tail -f log | spate put
// s`) can send what it has queued instead of holding it until more arrives.
// Not thread-safe; does not own the descriptor.

#include <string>

namespace spate::cli {

class LineReader {
 public:
  enum class Result { kLine, kEnd, kTimeout, kError };

  explicit LineReader(int fd) : fd_(fd) {}

  // The next line without its '\n' (a last line without one counts), waiting
  // at most timeout_ms for input (-1: no limit). kEnd at the end of input;
  // kTimeout when no whole line arrived in time (what did arrive is kept);
  // kError on a read error (errno says which).
  Result Next(std::string* line, int timeout_ms);

 private:
  int fd_;
  std::string buffer_;  // bytes read but not yet returned
  size_t scanned_ = 0;  // buffer_[0, scanned_) holds no '\n'
  bool eof_ = false;
};

}  // namespace spate::cli
