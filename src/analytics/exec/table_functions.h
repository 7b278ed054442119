#pragma once

// The machine-learning table functions as operators: each is pushed the rows
// of its CURSOR(...) and emits every row, ROWTIME unchanged, with its result
// columns appended. Not thread-safe: one runner thread.
//
// A row whose used columns hold a NULL (or a NaN or infinity) is emitted
// with NULL results and does not enter the model: AWS does not document
// this case, and a missing value is no evidence about the stream.

#include <deque>
#include <vector>

#include "analytics/exec/hotspots.h"
#include "analytics/exec/operators.h"
#include "analytics/exec/random_cut_forest.h"

namespace spate::analytics::exec {

// RANDOM_CUT_FOREST and RANDOM_CUT_FOREST_WITH_EXPLANATION. A point is the
// used columns of the last shingleSize rows (oldest first); ANOMALY_SCORE is
// 0 until the forest has been offered subSampleSize points (the documented
// learning phase; also while the first shingle fills), then the point's
// score against the forest before the point enters it. The explanation is
// {"COLUMN":{"DIRECTION":"HIGH"|"LOW","STRENGTH":"0.0922","ATTRIBUTION_SCORE":"0.3792"},..}
// as in AWS's example (DIRECTION and STRENGTH only withDirectionality); a
// column's attribution sums its share over the shingle, so the attributions
// add up to ANOMALY_SCORE (up to the four printed decimals). DIRECTION is
// HIGH when more of the column's attribution comes from its value lying
// above what the trees hold than below; STRENGTH is the difference of the
// two (0 and LOW in the learning phase, as documented).
class AnomalyOperator : public Operator {
 public:
  explicit AnomalyOperator(const binder::BoundAnomaly* spec);
  void Push(Row row, Sink* sink) override;
  void Advance(int64_t now_ms, Sink* sink) override { AdvanceNext(now_ms, sink); }

  const RandomCutForest& forest() const { return forest_; }

 private:
  std::string Explanation(const Attribution* attribution) const;
  const binder::BoundAnomaly* spec_;
  RandomCutForest forest_;
  std::deque<std::vector<double>> shingle_;
};

// HOTSPOTS: HOTSPOTS_RESULT is the JSON of the hotspots in the window of the
// last windowSize rows, this one included (hotspots.h).
class HotspotsOperator : public Operator {
 public:
  explicit HotspotsOperator(const binder::BoundHotspots* spec);
  void Push(Row row, Sink* sink) override;
  void Advance(int64_t now_ms, Sink* sink) override { AdvanceNext(now_ms, sink); }

 private:
  const binder::BoundHotspots* spec_;
  HotspotDetector detector_;
};

}  // namespace spate::analytics::exec
