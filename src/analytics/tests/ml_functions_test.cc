// Properties of the models behind RANDOM_CUT_FOREST(_WITH_EXPLANATION) and
// HOTSPOTS. Both are randomized, so the tests check what must hold whatever
// the draws (outliers rank above typical points, the perturbed dimension gets
// the attribution, a dense cluster is found, noise has none), on streams from
// a seeded generator; exact scores are not asserted.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <regex>

#include "analytics/engine.h"
#include "analytics/exec/hotspots.h"
#include "analytics/exec/random_cut_forest.h"

namespace spate::analytics::exec {
namespace {

// Platform-independent draws (std's distributions are implementation-defined).
class Draws {
 public:
  explicit Draws(uint64_t seed) : rng_(seed) {}
  double Uniform() { return (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53; }
  double Normal() {
    double u = Uniform(), v = Uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * v);
  }

 private:
  std::mt19937_64 rng_;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(RandomCutForestTest, EmptyForestScoresZero) {
  RandomCutForest forest(ForestOptions{2, 10, 16, 1000, 1});
  EXPECT_EQ(forest.Score({1, 2}), 0);
  EXPECT_EQ(forest.Attribute({1, 2}).Total(), 0);
}

TEST(RandomCutForestTest, InjectedOutliersScoreClearlyAboveTheMedianPoint) {
  RandomCutForest forest(ForestOptions{2, 100, 256, 100000, 7});
  Draws draws(42);
  std::vector<double> normal_scores, outlier_scores;
  for (int i = 0; i < 3000; ++i) {
    bool outlier = i >= 500 && i % 250 == 0;
    std::vector<double> p{draws.Normal(), draws.Normal()};
    if (outlier) p = {6 + draws.Uniform(), -6 - draws.Uniform()};
    if (i >= 256) (outlier ? outlier_scores : normal_scores).push_back(forest.Score(p));
    forest.Update(p);
  }
  ASSERT_EQ(outlier_scores.size(), 10u);
  double median = Median(normal_scores);
  EXPECT_GT(median, 0.3);  // the documented scale: typical points near 1
  EXPECT_LT(median, 2.0);
  for (double s : outlier_scores) EXPECT_GT(s, 2.5 * median) << "median " << median;
  // An outlier outranks (nearly) every typical point.
  double top = *std::max_element(outlier_scores.begin(), outlier_scores.end());
  double low = *std::min_element(outlier_scores.begin(), outlier_scores.end());
  size_t above = std::count_if(normal_scores.begin(), normal_scores.end(), [&](double s) { return s >= low; });
  EXPECT_LT(above, normal_scores.size() / 100) << "top outlier " << top;
}

TEST(RandomCutForestTest, SameSeedSameScores) {
  RandomCutForest a(ForestOptions{3, 20, 32, 500, 9}), b(ForestOptions{3, 20, 32, 500, 9});
  Draws draws(5);
  for (int i = 0; i < 400; ++i) {
    std::vector<double> p{draws.Normal(), draws.Normal(), draws.Uniform()};
    ASSERT_EQ(a.Score(p), b.Score(p));
    a.Update(p);
    b.Update(p);
  }
}

TEST(RandomCutForestTest, AttributionSumsToTheScoreAndNamesThePerturbedDimension) {
  RandomCutForest forest(ForestOptions{3, 100, 256, 100000, 11});
  Draws draws(3);
  for (int i = 0; i < 1000; ++i) forest.Update({draws.Normal(), 10 + draws.Normal(), -5 + draws.Normal()});
  struct Case {
    std::vector<double> point;
    size_t dim;
    bool high;
  };
  for (const Case& c : {Case{{0, 18, -5}, 1, true}, Case{{-9, 10, -5}, 0, false}, Case{{0, 10, 4}, 2, true},
                        Case{{0, 10, -13}, 2, false}}) {
    Attribution a = forest.Attribute(c.point);
    EXPECT_NEAR(a.Total(), forest.Score(c.point), 1e-9);
    std::vector<double> per_dim(3);
    for (size_t d = 0; d < 3; ++d) per_dim[d] = a.high[d] + a.low[d];
    size_t top = std::max_element(per_dim.begin(), per_dim.end()) - per_dim.begin();
    EXPECT_EQ(top, c.dim);
    EXPECT_GT(per_dim[c.dim], 0.8 * a.Total());
    EXPECT_EQ(a.high[c.dim] > a.low[c.dim], c.high) << "dimension " << c.dim;
  }
}

TEST(RandomCutForestTest, DuplicatesOfSampledPointsScoreLow) {
  RandomCutForest forest(ForestOptions{1, 50, 64, 100000, 2});
  for (int i = 0; i < 500; ++i) forest.Update({static_cast<double>(i % 5)});
  // A value the trees hold many copies of scores below one between two held
  // values (isolated in a leaf's box), and far below one outside them all.
  EXPECT_LT(forest.Score({2}), forest.Score({2.5}));
  EXPECT_LT(forest.Score({2}), 1.5);
  EXPECT_GT(forest.Score({100}), 2 * forest.Score({2}));
}

TEST(RandomCutForestTest, MemoryIsBoundedByTreesTimesSampleSize) {
  const int trees = 10, sample = 32;
  RandomCutForest forest(ForestOptions{2, trees, sample, 100000, 4});
  Draws draws(8);
  for (int i = 0; i < 20000; ++i) {
    forest.Update({draws.Normal(), draws.Normal()});
    if (i % 1000 == 999) {
      EXPECT_EQ(forest.SampledPoints(), static_cast<size_t>(trees * sample));
      // sample leaves and sample - 1 internal nodes per tree, never more.
      EXPECT_LE(forest.AllocatedNodes(), static_cast<size_t>(trees * (2 * sample - 1)));
    }
  }
}

TEST(RandomCutForestTest, TimeDecayForgetsTheOldRegime) {
  // 1,000 points around 0, then 1,000 around 100: a short memory holds only
  // the new regime, so a point of the old one is anomalous again; a long
  // memory still samples both.
  auto score_of_old = [](int64_t time_decay) {
    RandomCutForest forest(ForestOptions{1, 50, 64, time_decay, 3});
    Draws draws(6);
    for (int i = 0; i < 1000; ++i) forest.Update({draws.Normal()});
    for (int i = 0; i < 1000; ++i) forest.Update({100 + draws.Normal()});
    return forest.Score({0.1});
  };
  double short_memory = score_of_old(200), long_memory = score_of_old(100000);
  EXPECT_GT(short_memory, 2 * long_memory) << short_memory << " vs " << long_memory;
}

TEST(HotspotsTest, DenseClusterAmongUniformNoiseIsFound) {
  // AWS's hotspots example: points in [0, 10)^2, 20% of them from a 1 x 1
  // square; window 1000, scanRadius 0.2, 17 points.
  HotspotDetector detector(HotspotsOptions{2, 1000, 0.2, 17});
  Draws draws(17);
  std::vector<Hotspot> found;
  for (int i = 0; i < 1500; ++i) {
    std::vector<double> p;
    if (draws.Uniform() < 0.2) {
      p = {3 + draws.Uniform(), 6 + draws.Uniform()};
    } else {
      p = {10 * draws.Uniform(), 10 * draws.Uniform()};
    }
    found = detector.Add(p);
  }
  EXPECT_EQ(detector.WindowPoints(), 1000u);
  ASSERT_FALSE(found.empty());
  const Hotspot& h = found[0];
  // The box covers the square (its edges are sparser, so allow a little)
  // and does not spread far beyond it.
  EXPECT_LT(h.min_values[0], 3.1);
  EXPECT_LT(h.min_values[1], 6.1);
  EXPECT_GT(h.max_values[0], 3.9);
  EXPECT_GT(h.max_values[1], 6.9);
  EXPECT_GT(h.min_values[0], 2.5);
  EXPECT_GT(h.min_values[1], 5.5);
  EXPECT_LT(h.max_values[0], 4.5);
  EXPECT_LT(h.max_values[1], 7.5);
  EXPECT_GT(h.points, 150);
  EXPECT_GT(h.density, 40);  // the density filter of AWS's viewer
  for (size_t i = 1; i < found.size(); ++i) EXPECT_LT(found[i].points, 40);
}

TEST(HotspotsTest, UniformNoiseHasNoHotspot) {
  HotspotDetector detector(HotspotsOptions{2, 1000, 0.2, 17});
  Draws draws(23);
  for (int i = 0; i < 1200; ++i) {
    auto found = detector.Add({10 * draws.Uniform(), 10 * draws.Uniform()});
    ASSERT_TRUE(found.empty()) << "at point " << i;
  }
}

TEST(HotspotsTest, OldPointsLeaveTheWindow) {
  HotspotDetector detector(HotspotsOptions{1, 100, 0.5, 5});
  for (int i = 0; i < 10; ++i) EXPECT_EQ(detector.Add({0}).size(), i >= 4 ? 1u : 0u);
  std::vector<Hotspot> found;
  for (int i = 0; i < 100; ++i) found = detector.Add({1000.0 + 10 * i});  // spread out: no hotspot
  EXPECT_TRUE(found.empty());
}

TEST(HotspotsTest, JsonShape) {
  Hotspot h;
  h.density = 250;
  h.points = 250;
  h.min_values = {3.5, -1};
  h.max_values = {4.25, 0};
  EXPECT_EQ(HotspotsJson({h}), R"({"hotspots":[{"density":250,"minValues":[3.5,-1],"maxValues":[4.25,0]}]})");
  EXPECT_EQ(HotspotsJson({}), R"({"hotspots":[]})");
}

// Through SQL: the learning phase, then an explained outlier.
TEST(MlSqlTest, ExplanationNamesTheColumnAndDirection) {
  InputStreamDecl in;
  in.name = "SOURCE_SQL_STREAM_001";
  in.columns = {{"Systolic", *SqlType::Parse("INTEGER")},
                {"Diastolic", *SqlType::Parse("INTEGER")},
                {"Level", *SqlType::Parse("VARCHAR(8)")}};
  in.with_kinesis_columns = false;
  auto r = Program::Compile(R"(
    CREATE OR REPLACE STREAM "OUT" ("Systolic" INTEGER, "Diastolic" INTEGER, ANOMALY_SCORE DOUBLE,
                                    ANOMALY_EXPLANATION VARCHAR(512));
    CREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT"
      SELECT STREAM "Systolic", "Diastolic", ANOMALY_SCORE, ANOMALY_EXPLANATION
      FROM TABLE(RANDOM_CUT_FOREST_WITH_EXPLANATION(
        CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 100, 256, 100000, 1, true));)",
                            {in}, {});
  auto* program = std::get_if<std::unique_ptr<Program>>(&r);
  ASSERT_NE(program, nullptr) << std::get<CodeError>(r).message;
  Draws draws(99);
  std::vector<EmittedRow> out;
  int64_t t = 1'700'000'000'000;
  for (int i = 0; i < 600; ++i) {
    int64_t sys = 110 + static_cast<int64_t>(std::lround(5 * draws.Normal()));
    int64_t dia = 70 + static_cast<int64_t>(std::lround(4 * draws.Normal()));
    (*program)->Push("SOURCE_SQL_STREAM_001", Row{t + i, {Value{sys}, Value{dia}, Value{std::string("NORMAL")}}}, &out);
  }
  (*program)->Push("SOURCE_SQL_STREAM_001", Row{t + 600, {Value{int64_t{112}}, Value{int64_t{130}}, Value{}}}, &out);
  (*program)->Push("SOURCE_SQL_STREAM_001", Row{t + 601, {Value{int64_t{60}}, Value{int64_t{69}}, Value{}}}, &out);
  ASSERT_EQ(out.size(), 602u);
  for (int i = 0; i < 256; ++i) {
    ASSERT_EQ(std::get<double>(out[i].row.values[2]), 0.0) << "row " << i;
    ASSERT_EQ(std::get<std::string>(out[i].row.values[3]),
              R"({"Systolic":{"DIRECTION":"LOW","STRENGTH":"0.0000","ATTRIBUTION_SCORE":"0.0000"},)"
              R"("Diastolic":{"DIRECTION":"LOW","STRENGTH":"0.0000","ATTRIBUTION_SCORE":"0.0000"}})");
  }
  std::vector<double> scores;
  for (int i = 256; i < 600; ++i) scores.push_back(std::get<double>(out[i].row.values[2]));
  double median = Median(scores);
  EXPECT_GT(median, 0);
  const std::regex attribution(
      R"re(\{"Systolic":\{"DIRECTION":"(HIGH|LOW)","STRENGTH":"([0-9.]+)","ATTRIBUTION_SCORE":"([0-9.]+)"\},)re"
      R"re("Diastolic":\{"DIRECTION":"(HIGH|LOW)","STRENGTH":"([0-9.]+)","ATTRIBUTION_SCORE":"([0-9.]+)"\}\})re");
  struct Expect {
    size_t row;
    bool systolic;  // the perturbed column
    const char* direction;
  };
  for (Expect e : {Expect{600, false, "HIGH"}, Expect{601, true, "LOW"}}) {
    double score = std::get<double>(out[e.row].row.values[2]);
    EXPECT_GT(score, 2.5 * median);
    std::smatch m;
    const std::string& json = std::get<std::string>(out[e.row].row.values[3]);
    ASSERT_TRUE(std::regex_match(json, m, attribution)) << json;
    double sys = std::stod(m[3]), dia = std::stod(m[6]);
    EXPECT_NEAR(sys + dia, score, 0.001);
    EXPECT_GT(e.systolic ? sys : dia, 3 * (e.systolic ? dia : sys)) << json;
    EXPECT_EQ(m[e.systolic ? 1 : 4], e.direction) << json;
  }
}

}  // namespace
}  // namespace spate::analytics::exec
