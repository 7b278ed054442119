#include "analytics/exec/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <unordered_map>

namespace spate::analytics::exec {

namespace {

// Patterns are almost always constants of the application's code, so a small
// per-thread cache keeps them compiled; it is emptied when full.
constexpr size_t kMaxCachedPatterns = 64;

struct CodeFree {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDataFree {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
using CodePtr = std::unique_ptr<pcre2_code, CodeFree>;

Result<pcre2_code*> Compile(std::string_view pattern) {
  thread_local std::unordered_map<std::string, CodePtr> cache;
  auto it = cache.find(std::string(pattern));
  if (it != cache.end()) return it->second.get();
  int err = 0;
  PCRE2_SIZE at = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF, &err, &at, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    return InvalidArgument("regular expression '" + std::string(pattern) + "' does not compile at offset " +
                           std::to_string(at) + ": " + reinterpret_cast<const char*>(msg));
  }
  if (cache.size() >= kMaxCachedPatterns) cache.clear();
  return cache.emplace(std::string(pattern), CodePtr(code)).first->second.get();
}

Status MatchError(int rc) {
  PCRE2_UCHAR msg[256];
  pcre2_get_error_message(rc, msg, sizeof msg);
  return InvalidArgument(std::string("regular expression match failed: ") + reinterpret_cast<const char*>(msg));
}

size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  return 4;
}

// Appends `replacement` with its group references expanded.
Status Expand(std::string_view replacement, std::string_view subject, const PCRE2_SIZE* ov, uint32_t groups,
              std::string* out) {
  for (size_t i = 0; i < replacement.size(); ++i) {
    char c = replacement[i];
    if (c == '\\') {
      if (++i >= replacement.size()) return InvalidArgument("character to be escaped is missing in the replacement");
      out->push_back(replacement[i]);
      continue;
    }
    if (c != '$') {
      out->push_back(c);
      continue;
    }
    if (++i >= replacement.size()) return InvalidArgument("illegal group reference: '$' ends the replacement");
    uint32_t g = 0;
    if (replacement[i] == '{') {
      size_t close = replacement.find('}', i);
      if (close == std::string_view::npos || close == i + 1) return InvalidArgument("illegal group reference '${'");
      for (size_t k = i + 1; k < close; ++k) {
        if (replacement[k] < '0' || replacement[k] > '9') {
          return InvalidArgument("named group references are not supported in the replacement");
        }
        g = g * 10 + static_cast<uint32_t>(replacement[k] - '0');
      }
      i = close;
    } else if (replacement[i] >= '0' && replacement[i] <= '9') {
      // As Java: take further digits while the group number stays valid.
      g = static_cast<uint32_t>(replacement[i] - '0');
      while (i + 1 < replacement.size() && replacement[i + 1] >= '0' && replacement[i + 1] <= '9') {
        uint32_t next = g * 10 + static_cast<uint32_t>(replacement[i + 1] - '0');
        if (next >= groups) break;
        g = next;
        ++i;
      }
    } else {
      return InvalidArgument("illegal group reference in the replacement");
    }
    if (g >= groups) return InvalidArgument("no group " + std::to_string(g) + " in the regular expression");
    if (ov[2 * g] != PCRE2_UNSET) out->append(subject.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> RegexReplace(std::string_view original, std::string_view pattern, std::string_view replacement,
                                 int64_t start, int64_t occurrence) {
  if (start < 1) return InvalidArgument("REGEX_REPLACE startPosition " + std::to_string(start) + " is below 1");
  if (occurrence < 0) return InvalidArgument("REGEX_REPLACE occurrence " + std::to_string(occurrence) + " is negative");
  SPATE_ASSIGN_OR_RETURN(pcre2_code * code, Compile(pattern));
  // The byte offset of the start'th code point.
  size_t from = 0;
  for (int64_t cp = 1; cp < start; ++cp) {
    if (from >= original.size()) return std::string(original);
    from += Utf8Length(static_cast<unsigned char>(original[from]));
  }
  if (from >= original.size() && start > 1) return std::string(original);
  std::unique_ptr<pcre2_match_data, MatchDataFree> md(pcre2_match_data_create_from_pattern(code, nullptr));
  uint32_t groups = pcre2_get_ovector_count(md.get());
  std::string out(original.substr(0, from));
  size_t pos = from;
  int64_t seen = 0;
  while (pos <= original.size()) {
    int rc =
        pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(original.data()), original.size(), pos, 0, md.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      return InvalidArgument(std::string("regular expression match failed: ") + reinterpret_cast<const char*>(msg));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    size_t mstart = ov[0], mend = ov[1];
    ++seen;
    out.append(original.substr(pos, mstart - pos));
    if (occurrence == 0 || seen == occurrence) {
      SPATE_TRY(Expand(replacement, original, ov, groups, &out));
    } else {
      out.append(original.substr(mstart, mend - mstart));
    }
    pos = mend;
    if (mend == mstart) {
      // An empty match: keep the next character and search after it.
      if (pos >= original.size()) break;
      size_t n = Utf8Length(static_cast<unsigned char>(original[pos]));
      out.append(original.substr(pos, n));
      pos += n;
    }
    if (occurrence != 0 && seen == occurrence) break;
  }
  if (pos < original.size()) out.append(original.substr(pos));
  return out;
}

Result<int> RegexGroupCount(std::string_view pattern) {
  SPATE_ASSIGN_OR_RETURN(pcre2_code * code, Compile(pattern));
  uint32_t count = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count);
  return static_cast<int>(count);
}

Result<bool> RegexFindGroups(std::string_view subject, std::string_view pattern,
                             std::vector<std::optional<std::string>>* groups) {
  SPATE_ASSIGN_OR_RETURN(pcre2_code * code, Compile(pattern));
  std::unique_ptr<pcre2_match_data, MatchDataFree> md(pcre2_match_data_create_from_pattern(code, nullptr));
  int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, md.get(), nullptr);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof msg);
    return InvalidArgument(std::string("regular expression match failed: ") + reinterpret_cast<const char*>(msg));
  }
  uint32_t count = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count);
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
  groups->clear();
  for (uint32_t g = 1; g <= count; ++g) {
    if (g >= static_cast<uint32_t>(rc) || ov[2 * g] == PCRE2_UNSET) {
      groups->emplace_back();
    } else {
      groups->emplace_back(std::string(subject.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g])));
    }
  }
  return true;
}

Result<bool> RegexMatchAt(std::string_view subject, size_t start, bool to_end, std::string_view pattern, size_t* end,
                          std::vector<std::pair<size_t, size_t>>* spans) {
  SPATE_ASSIGN_OR_RETURN(pcre2_code * code, Compile(pattern));
  std::unique_ptr<pcre2_match_data, MatchDataFree> md(pcre2_match_data_create_from_pattern(code, nullptr));
  int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), start,
                       PCRE2_ANCHORED | (to_end ? PCRE2_ENDANCHORED : 0), md.get(), nullptr);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) return MatchError(rc);
  uint32_t count = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count);
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
  *end = ov[1];
  spans->clear();
  for (uint32_t g = 1; g <= count; ++g) {
    if (g >= static_cast<uint32_t>(rc) || ov[2 * g] == PCRE2_UNSET) {
      spans->emplace_back(std::string_view::npos, std::string_view::npos);
    } else {
      spans->emplace_back(ov[2 * g], ov[2 * g + 1]);
    }
  }
  return true;
}

}  // namespace spate::analytics::exec
