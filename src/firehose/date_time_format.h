#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "firehose/time_zone.h"

namespace spate::firehose {

// A Java DateTimeFormatter pattern (java.time.format.DateTimeFormatter
// .ofPattern, Locale.US, ISO chronology), the value of a Firehose
// `!{timestamp:<pattern>}` expression. Compile once, format many times;
// immutable after Compile, so safe to share between threads.
//
// Supported, with Java's widths, limits and error messages (too many letters
// is an error, as in Java): G y u Y Q q M L w W d D F E e c a h K k H m s S A
// n N VV Z X x O,
// 'quoted literal', '' (one quote), [ ] (optional sections: always printed,
// every field being available). Week fields follow Locale.US (weeks start on
// Sunday; week 1 holds January 1). Refused where Java accepts them: the
// zone names z and v (they need Java's locale data). Checked against Java 17
// output in tests/testdata/java_date_time_format.tsv.
class DateTimePattern {
 public:
  // kInvalidArgument with a message naming what is wrong in `pattern`.
  static Result<DateTimePattern> Compile(std::string_view pattern);

  // Appends the instant `t`, broken down in `zone`, to `out`.
  void Format(const CivilTime& t, const TimeZone& zone, std::string* out) const;

  // True if it prints no field at all (only literals).
  bool LiteralOnly() const;

 private:
  struct Token {
    char letter = 0;  // 0: literal text
    int32_t count = 0;
    std::string text;
  };
  std::vector<Token> tokens_;
};

}  // namespace spate::firehose
