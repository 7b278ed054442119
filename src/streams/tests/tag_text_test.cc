// The character rules of tag keys and values (api/common.h CheckTagText),
// with AWS's messages.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "metadata/stream_meta.h"
#include "streams/api/common.h"

namespace spate::streams::api {
namespace {

constexpr std::string_view kInvalidCharacters =
    "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :.";

metadata::StreamMeta Stream() {
  metadata::StreamMeta m;
  m.name = "orders";
  m.account = "123456789012";
  return m;
}

Status CheckKey(std::string_view key) { return CheckTagText("add tags to", Stream(), {key}, {}); }
Status CheckValue(std::string_view value) { return CheckTagText("add tags to", Stream(), {"k"}, {value}); }

TEST(TagText, LettersOfAnyScriptDigitsAndTheListedSymbolsPass) {
  for (std::string_view t : {"env", "Café", "Zürich", "ñandú", "東京", "Ελλάδα", "٣٤", "x_y.z:w/v=u+t-s@r", "", "a b",
                             "a\u00a0b", "a\u2003b", "a\u3000b"}) {
    EXPECT_TRUE(CheckValue(t).ok()) << t;
  }
}

TEST(TagText, ControlsPunctuationAndSymbolsAreRefused) {
  for (std::string_view t : {"a\tb", "a\nb", "a\rb", "a;b", "a,b", "a*b", "a#b", "a!b", "a\"b", "\U0001F680",
                             "rocket \U0001F680", "\u20ac5"}) {
    Status st = CheckValue(t);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << t;
    EXPECT_EQ(st.message(), kInvalidCharacters) << t;
    EXPECT_EQ(CheckKey(t).message(), kInvalidCharacters) << t;
  }
}

TEST(TagText, IllFormedUtf8IsRefused) {
  EXPECT_EQ(CheckValue("a\xff").message(), kInvalidCharacters);
  EXPECT_EQ(CheckValue("\xc3").message(), kInvalidCharacters);  // truncated sequence
}

TEST(TagText, PercentHasItsOwnMessage) {
  Status st = CheckValue("50%");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "Failed to add tags to stream orders under account 123456789012 because some tags contained illegal "
            "characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@',':'.");
  st = CheckTagText("remove tags from", Stream(), {"50%"}, {});
  EXPECT_EQ(st.message().rfind("Failed to remove tags from stream orders under account 123456789012 because", 0), 0u);
  // An invalid character anywhere wins over a '%'.
  EXPECT_EQ(CheckTagText("add tags to", Stream(), {"%"}, {";"}).message(), kInvalidCharacters);
}

TEST(TagText, KeysBeginningWithAwsAreReserved) {
  for (std::string_view k : {"aws:owner", "AWS:owner", "aWs:", "aws:"}) {
    Status st = CheckKey(k);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << k;
    EXPECT_NE(st.message().find("reserved"), std::string::npos) << k;
  }
  EXPECT_TRUE(CheckKey("aws").ok());
  EXPECT_TRUE(CheckKey("my-aws:key").ok());
  EXPECT_TRUE(CheckValue("aws:value").ok());
}

}  // namespace
}  // namespace spate::streams::api
