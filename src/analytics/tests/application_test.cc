#include "analytics/application.h"

#include <gtest/gtest.h>

namespace spate::analytics {
namespace {

using protocol::Value;

TEST(ApplicationMeta, RoundTripsThroughItsCatalogRecord) {
  ApplicationMeta m;
  m.account = "123456789012";
  m.region = "eu-west-1";
  m.name = "app";
  m.has_code = true;
  m.code = "CREATE OR REPLACE STREAM \"S\" (a INT);";
  m.status = AppStatus::kRunning;
  m.version_id = 7;
  m.create_ms = 1000;
  Value in = Value::MakeObject();
  in.Set("InputId", Value::String("1.1"));
  m.inputs.Append(in);
  m.tags = {{"k", "v"}};
  m.next_output_id = 4;
  m.instance = "ka-1";
  m.starting_position = "TRIM_HORIZON";
  auto back = DecodeApplicationMeta(EncodeApplicationMeta(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->Detail(), m.Detail());
  EXPECT_EQ(back->tags, m.tags);
  EXPECT_EQ(back->next_output_id, 4);
  EXPECT_EQ(back->instance, "ka-1");
  EXPECT_EQ(back->starting_position, "TRIM_HORIZON");
  EXPECT_FALSE(back->has_description);
}

TEST(ApplicationMeta, AnotherFormatVersionIsCorrupt) {
  EXPECT_EQ(DecodeApplicationMeta(R"({"v":2,"name":"a","status":"READY"})").status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(DecodeApplicationMeta("not json").status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(DecodeApplicationMeta(R"({"v":1,"name":"a","status":"BROKEN"})").status().code(), ErrorCode::kCorruption);
}

TEST(ApplicationMeta, StartingPositionIsDescribedOnlyWhileRunning) {
  ApplicationMeta m;
  m.name = "a";
  m.inputs.Append(Value::MakeObject());
  m.starting_position = "NOW";
  m.status = AppStatus::kReady;
  EXPECT_FALSE(m.Detail().Find("InputDescriptions")->as_array()[0].Has("InputStartingPositionConfiguration"));
  m.status = AppStatus::kRunning;
  EXPECT_EQ(m.Detail()
                .Find("InputDescriptions")
                ->as_array()[0]
                .Find("InputStartingPositionConfiguration")
                ->GetString("InputStartingPosition"),
            "NOW");
}

}  // namespace
}  // namespace spate::analytics
