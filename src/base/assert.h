#pragma once

// SPATE_ASSERT(cond, msg): an invariant. Stays on in release builds, aborts
// the process with file/line and message. Never reachable from user input:
// expected failures are Status values (STYLE.md rule 5).
#define SPATE_ASSERT(cond, msg)                                       \
  do {                                                                \
    if (!(cond)) ::spate::AssertFail(__FILE__, __LINE__, #cond, msg); \
  } while (0)

namespace spate {
[[noreturn]] void AssertFail(const char* file, int line, const char* cond, const char* msg);
}  // namespace spate
