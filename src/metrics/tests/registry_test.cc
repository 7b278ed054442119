#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace spate::metrics {
namespace {

TEST(ExpositionTest, CounterWithLabels) {
  Registry r;
  auto* f = r.AddCounter("spate_requests_total", "Requests served.", {"stream_name", "shard_id"});
  f->Get({"b", "shardId-000000000001"})->Add(2);
  f->Get({"a", "shardId-000000000000"})->Add(5);
  EXPECT_EQ(r.Scrape(),
            "# HELP spate_requests_total Requests served.\n"
            "# TYPE spate_requests_total counter\n"
            "spate_requests_total{stream_name=\"a\",shard_id=\"shardId-000000000000\"} 5\n"
            "spate_requests_total{stream_name=\"b\",shard_id=\"shardId-000000000001\"} 2\n");
}

TEST(ExpositionTest, SeriesWithoutLabelsHasNoBraces) {
  Registry r;
  r.AddGauge("spate_open_things", "Things open.")->Get({})->Set(-3);
  EXPECT_EQ(r.Scrape(),
            "# HELP spate_open_things Things open.\n"
            "# TYPE spate_open_things gauge\n"
            "spate_open_things -3\n");
}

TEST(ExpositionTest, FamiliesAreSortedByName) {
  Registry r;
  r.AddCounter("zeta_total", "z")->Get({})->Add();
  r.AddCounter("alpha_total", "a")->Get({})->Add();
  r.AddGauge("mid", "m")->Get({});
  std::string text = r.Scrape();
  size_t a = text.find("# HELP alpha_total");
  size_t m = text.find("# HELP mid");
  size_t z = text.find("# HELP zeta_total");
  ASSERT_NE(z, std::string::npos);
  EXPECT_LT(a, m);
  EXPECT_LT(m, z);
}

TEST(ExpositionTest, FamilyWithoutSeriesIsHeaderOnly) {
  Registry r;
  r.AddCounter("spate_nothing_total", "Nothing yet.", {"stream_name"});
  EXPECT_EQ(r.Scrape(), "# HELP spate_nothing_total Nothing yet.\n# TYPE spate_nothing_total counter\n");
}

TEST(ExpositionTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  auto* f = r.AddHistogram("spate_latency_seconds", "Latency.", Buckets{{500, 1000, 2500}, 1e6}, {"op"});
  auto h = f->Get({"put"});
  h->Observe(100);
  h->Observe(700);
  h->Observe(700);
  h->Observe(9000);
  EXPECT_EQ(r.Scrape(),
            "# HELP spate_latency_seconds Latency.\n"
            "# TYPE spate_latency_seconds histogram\n"
            "spate_latency_seconds_bucket{op=\"put\",le=\"0.0005\"} 1\n"
            "spate_latency_seconds_bucket{op=\"put\",le=\"0.001\"} 3\n"
            "spate_latency_seconds_bucket{op=\"put\",le=\"0.0025\"} 3\n"
            "spate_latency_seconds_bucket{op=\"put\",le=\"+Inf\"} 4\n"
            "spate_latency_seconds_sum{op=\"put\"} 0.0105\n"
            "spate_latency_seconds_count{op=\"put\"} 4\n");
}

TEST(ExpositionTest, HistogramWithoutLabelsPutsOnlyLeInBraces) {
  Registry r;
  r.AddHistogram("round_batches", "Batches per round.", Buckets{{1, 2}, 1})->Get({})->Observe(2);
  std::string text = r.Scrape();
  EXPECT_NE(text.find("round_batches_bucket{le=\"1\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("round_batches_bucket{le=\"2\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("round_batches_bucket{le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("round_batches_sum 2\n"), std::string::npos);
  EXPECT_NE(text.find("round_batches_count 1\n"), std::string::npos);
}

TEST(ExpositionTest, LabelValuesAndHelpAreEscaped) {
  Registry r;
  r.AddCounter("c_total", "Line one\nback\\slash \"quotes\" stay", {"v"})->Get({"a\"b\\c\nd"})->Add();
  EXPECT_EQ(r.Scrape(),
            "# HELP c_total Line one\\nback\\\\slash \"quotes\" stay\n"
            "# TYPE c_total counter\n"
            "c_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(ExpositionTest, CallbackIsReadAtScrapeTime) {
  Registry r;
  double v = 1.5;
  r.AddCallback("spate_bytes_on_disk", "Bytes.", Type::kGauge, [&v] { return v; });
  EXPECT_NE(r.Scrape().find("spate_bytes_on_disk 1.5\n"), std::string::npos);
  v = 4096;
  EXPECT_NE(r.Scrape().find("spate_bytes_on_disk 4096\n"), std::string::npos);
}

TEST(RegistryTest, RemovedFamilyLeavesTheExpositionAndCanComeBack) {
  Registry r;
  auto held = r.AddCounter("x_total", "x")->Get({});
  r.AddCallback("y", "y", Type::kGauge, [] { return 1.0; });
  r.Remove("y");
  r.Remove("x_total");
  r.Remove("never_registered");
  held->Add();  // still valid
  EXPECT_EQ(r.Scrape(), "");
  r.AddCallback("y", "y again", Type::kGauge, [] { return 2.0; });
  EXPECT_EQ(r.Scrape(), "# HELP y y again\n# TYPE y gauge\ny 2\n");
}

TEST(FamilyTest, GetReturnsTheSameSeriesForTheSameLabels) {
  Registry r;
  auto* f = r.AddCounter("x_total", "x", {"stream_name"});
  auto a = f->Get({"s"});
  auto b = f->Get({"s"});
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(f->Get({"t"}).get(), a.get());
  EXPECT_EQ(f->SeriesCount(), 2u);
}

// A removed series leaves the exposition; a handle still held keeps working
// (a request in flight when its stream was deleted), and a later Get makes
// a fresh series that does not inherit the old count.
TEST(FamilyTest, RemovedSeriesDisappearsButHandlesStayValid) {
  Registry r;
  auto* f = r.AddCounter("x_total", "x", {"stream_name"});
  auto held = f->Get({"s"});
  held->Add(7);
  f->Get({"t"})->Add(1);
  f->Remove({"s"});
  held->Add(1);
  EXPECT_EQ(held->Value(), 8u);
  std::string text = r.Scrape();
  EXPECT_EQ(text.find("stream_name=\"s\""), std::string::npos);
  EXPECT_NE(text.find("x_total{stream_name=\"t\"} 1\n"), std::string::npos);
  EXPECT_EQ(f->Get({"s"})->Value(), 0u);
}

TEST(FamilyTest, RemoveIfMatchesOnLabelValues) {
  Registry r;
  auto* f = r.AddCounter("x_total", "x", {"stream_name", "shard_id"});
  f->Get({"s", "0"});
  f->Get({"s", "1"});
  f->Get({"t", "0"});
  f->RemoveIf([](const LabelValues& v) { return v[0] == "s"; });
  EXPECT_EQ(f->SeriesCount(), 1u);
}

TEST(FormatValueTest, ShortestRoundTripAndSpecials) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(1), "1");
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(2.5), "2.5");
  EXPECT_EQ(FormatValue(604800), "604800");
  EXPECT_EQ(FormatValue(1e-5), "1e-05");
  EXPECT_EQ(FormatValue(-2), "-2");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(NamesTest, MetricAndLabelNames) {
  EXPECT_TRUE(ValidMetricName("spate_kinesis_incoming_bytes_total"));
  EXPECT_TRUE(ValidMetricName("ns:rule_total"));
  EXPECT_FALSE(ValidMetricName("9lives"));
  EXPECT_FALSE(ValidMetricName("has-dash"));
  EXPECT_FALSE(ValidMetricName(""));
  EXPECT_TRUE(ValidLabelName("stream_name"));
  EXPECT_FALSE(ValidLabelName("a:b"));
  EXPECT_FALSE(ValidLabelName("le"));  // reserved for histogram buckets
}

TEST(RegistryDeathTest, NameRegisteredTwice) {
  Registry r;
  r.AddCounter("x_total", "x");
  EXPECT_DEATH(r.AddGauge("x_total", "again"), "twice");
}

// Scrapes race with updates and with series coming and going; every scrape
// stays well-formed and the final count is exact.
TEST(RegistryTest, ScrapeWhileUpdating) {
  Registry r;
  auto* f = r.AddCounter("x_total", "x", {"stream_name"});
  auto* h = r.AddHistogram("y_seconds", "y", LatencyMicrosBuckets(), {"stream_name"});
  auto kept = f->Get({"kept"});
  std::vector<std::thread> writers;
  constexpr uint64_t kAdds = 20'000;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      auto hist = h->Get({"kept"});
      for (uint64_t i = 0; i < kAdds; ++i) {
        kept->Add();
        hist->Observe(i);
        if (i % 1000 == 0) {
          std::string name = "tmp" + std::to_string(t);
          f->Get({name})->Add();
          f->Remove({name});
        }
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    std::string text = r.Scrape();
    ASSERT_EQ(text.back(), '\n');
    ASSERT_NE(text.find("# TYPE y_seconds histogram\n"), std::string::npos);
  }
  for (auto& w : writers) w.join();
  EXPECT_NE(r.Scrape().find("x_total{stream_name=\"kept\"} " + std::to_string(4 * kAdds) + "\n"), std::string::npos);
  EXPECT_NE(r.Scrape().find("y_seconds_count{stream_name=\"kept\"} " + std::to_string(4 * kAdds) + "\n"),
            std::string::npos);
}

}  // namespace
}  // namespace spate::metrics
