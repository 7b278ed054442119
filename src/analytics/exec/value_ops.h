#pragma once

// Operations on Values shared by the expression evaluator, the operators and
// the text coercions of engine.h: casts between SQL types, comparison,
// hashing for group keys, and the UTC date/time calendar.

#include <cstdint>
#include <string>
#include <string_view>

#include "analytics/engine.h"

namespace spate::analytics {

inline bool IsNull(const Value& v) { return std::holds_alternative<std::monostate>(v); }

bool IsNumericType(TypeId id);
bool IsIntegerType(TypeId id);
bool IsStringType(TypeId id);
bool IsTimeType(TypeId id);

// CAST(value AS type): NULL stays NULL; kInvalidArgument says why a value
// cannot be converted (bad text, out of range). CHAR/VARCHAR values longer
// than the type's length are truncated, as KDA does on insertion.
Result<Value> CastValue(const Value& value, const SqlType& type);

// The value as SQL renders it in a VARCHAR (booleans TRUE/FALSE).
std::string ValueToSqlText(const Value& value);

// Three-way comparison of two non-NULL values of comparable kinds (numbers
// with numbers, strings with strings, ...). Returns false in `*comparable`
// when they are not.
int CompareValues(const Value& a, const Value& b, bool* comparable);
// Equality as GROUP BY and PARTITION BY see it: NULLs equal each other.
bool GroupEqual(const Value& a, const Value& b);
size_t HashValue(const Value& v);

double ToDouble(const Value& v);  // numbers only
// Decimal helpers: 10^n (n <= 18) and rescaling (rounding half away from zero);
// false on overflow.
int64_t Pow10(int n);
bool Rescale(const Decimal& d, int scale, Decimal* out);

// Calendar (proleptic Gregorian, UTC).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);
int64_t FloorDiv(int64_t a, int64_t b);
// "2026-12-07 01:02:03.456" (millis always shown), "2026-12-07", "01:02:03".
std::string FormatTimestamp(int64_t millis);
std::string FormatDate(int64_t millis);
std::string FormatTime(int64_t millis);
// Accepts "YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z]"; false when malformed.
bool ParseTimestamp(std::string_view text, int64_t* millis);
bool ParseTime(std::string_view text, int64_t* millis);

}  // namespace spate::analytics
