#include "analytics/exec/log_parse.h"

#include <optional>
#include <string>
#include <string_view>

#include "analytics/exec/datetime_format.h"
#include "analytics/exec/fast_regex.h"
#include "analytics/exec/regex.h"
#include "analytics/exec/value_ops.h"

namespace spate::analytics::exec {

namespace {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A field's text as its type.
Status Convert(const binder::LogField& f, std::string_view text, Value* out) {
  if (IsStringType(f.type.id)) {
    SPATE_ASSIGN_OR_RETURN(*out, CastValue(Value{std::string(text)}, f.type));
    return Status::Ok();
  }
  text = TrimBlanks(text);
  if (text.empty()) {
    *out = Value{};
    return Status::Ok();
  }
  if (!f.format.empty()) {
    Result<int64_t> ms = ParseDateTime(f.format, text);
    if (!ms.ok()) return InvalidArgument("column " + f.name + ": " + ms.status().message());
    SPATE_ASSIGN_OR_RETURN(*out, CastValue(Value{Timestamp{ms.value()}}, f.type));
    return Status::Ok();
  }
  Result<Value> v = CoerceText(text, f.type);
  if (!v.ok()) {
    return InvalidArgument("column " + f.name + ": '" + std::string(text) + "' is not a " + f.type.ToString());
  }
  *out = std::move(v).value();
  return Status::Ok();
}

size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  return 4;
}

// Splits at `delimiter`; `escape` (if not empty) makes the next character
// literal; text between `open` and `close` (if set) keeps its delimiters.
std::vector<std::string> Split(std::string_view s, std::string_view delimiter, std::string_view escape,
                               std::optional<std::string> open, std::optional<std::string> close) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  size_t i = 0;
  while (i < s.size()) {
    size_t n = Utf8Length(static_cast<unsigned char>(s[i]));
    std::string_view c = s.substr(i, n);
    if (!escape.empty() && s.substr(i, escape.size()) == escape) {
      i += escape.size();
      if (i < s.size()) {
        size_t m = Utf8Length(static_cast<unsigned char>(s[i]));
        fields.back().append(s.substr(i, m));
        i += m;
      }
      continue;
    }
    if (quoted) {
      if (c == *close) {
        quoted = false;
      } else {
        fields.back().append(c);
      }
      i += n;
      continue;
    }
    if (open && c == *open) {
      quoted = true;
      i += n;
      continue;
    }
    if (s.substr(i, delimiter.size()) == delimiter) {
      fields.emplace_back();
      i += delimiter.size();
      continue;
    }
    fields.back().append(c);
    i += n;
  }
  return fields;
}

}  // namespace

Status ParseLog(const binder::LogParserSpec& spec, const std::vector<Value>& args, std::vector<Value>* fields) {
  fields->assign(spec.fields.size(), Value{});
  const std::string& input = std::get<std::string>(args[0]);
  if (spec.function == "REGEX_LOG_PARSE") {
    std::vector<std::optional<std::string>> groups;
    SPATE_ASSIGN_OR_RETURN(bool matched, RegexFindGroups(input, std::get<std::string>(args[1]), &groups));
    if (!matched) return Status::Ok();
    for (size_t i = 0; i < spec.fields.size() && i < groups.size(); ++i) {
      if (groups[i]) SPATE_TRY(Convert(spec.fields[i], *groups[i], &(*fields)[i]));
    }
    return Status::Ok();
  }
  if (spec.function == "FAST_REGEX_LOG_PARSE") {
    std::vector<std::optional<std::string>> columns;
    SPATE_ASSIGN_OR_RETURN(bool matched, FastRegexMatch(spec.fast_regex, input, &columns));
    if (!matched) return Status::Ok();
    for (size_t i = 0; i < spec.fields.size() && i < columns.size(); ++i) {
      if (columns[i]) SPATE_TRY(Convert(spec.fields[i], *columns[i], &(*fields)[i]));
    }
    return Status::Ok();
  }
  if (spec.function == "SYS_LOG_PARSE") {
    // No match: NULL fields. A timestamp that matches the shape but not the
    // calendar (Feb 30, 25:00:00) does not convert: a parse error.
    std::vector<std::optional<std::string>> groups;
    SPATE_ASSIGN_OR_RETURN(bool matched, RegexFindGroups(input, spec.pattern, &groups));
    if (!matched) return Status::Ok();
    for (size_t i = 0; i < spec.fields.size() && i < groups.size(); ++i) {
      if (groups[i]) SPATE_TRY(Convert(spec.fields[i], *groups[i], &(*fields)[i]));
    }
    return Status::Ok();
  }
  if (spec.function == "W3C_LOG_PARSE") {
    std::vector<std::optional<std::string>> groups;
    SPATE_ASSIGN_OR_RETURN(bool matched, RegexFindGroups(input, spec.pattern, &groups));
    if (!matched) return Status::Ok();
    for (size_t i = 0; i < spec.fields.size() && i < groups.size(); ++i) {
      // Apache writes '-' for a value it does not have.
      if (!groups[i] || (*groups[i] == "-" && !IsStringType(spec.fields[i].type.id))) continue;
      SPATE_TRY(Convert(spec.fields[i], *groups[i], &(*fields)[i]));
    }
    return Status::Ok();
  }
  if (spec.function == "VARIABLE_COLUMN_LOG_PARSE") {
    const std::string& delimiter = std::get<std::string>(args[2]);
    if (delimiter.empty()) return InvalidArgument("VARIABLE_COLUMN_LOG_PARSE's delimiter is empty");
    std::string escape = args.size() > 3 ? std::get<std::string>(args[3]) : std::string();
    std::optional<std::string> open, close;
    if (args.size() > 4) {
      const std::string& q = std::get<std::string>(args[4]);
      if (!q.empty()) {
        size_t n = Utf8Length(static_cast<unsigned char>(q[0]));
        open = q.substr(0, n);
        close = q.size() > n ? q.substr(n) : *open;
        if (close->size() != Utf8Length(static_cast<unsigned char>((*close)[0]))) {
          return InvalidArgument("VARIABLE_COLUMN_LOG_PARSE's quote string has more than two characters");
        }
      }
    }
    std::vector<std::string> parts = Split(input, delimiter, escape, open, close);
    for (size_t i = 0; i < spec.fields.size() && i < parts.size(); ++i) {
      SPATE_TRY(Convert(spec.fields[i], parts[i], &(*fields)[i]));
    }
    return Status::Ok();
  }
  // FIXED_COLUMN_LOG_PARSE: positions count code points from 0.
  std::vector<size_t> offsets;  // byte offset of each code point, and the end
  for (size_t i = 0; i < input.size(); i += Utf8Length(static_cast<unsigned char>(input[i]))) offsets.push_back(i);
  offsets.push_back(input.size());
  const size_t length = offsets.size() - 1;
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    const binder::LogField& f = spec.fields[i];
    size_t start = static_cast<size_t>(f.start);
    if (start >= length) continue;
    size_t end = f.width < 0 ? length : std::min(length, start + static_cast<size_t>(f.width));
    SPATE_TRY(Convert(f, std::string_view(input).substr(offsets[start], offsets[end] - offsets[start]), &(*fields)[i]));
  }
  return Status::Ok();
}

}  // namespace spate::analytics::exec
