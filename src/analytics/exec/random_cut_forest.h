#pragma once

// A random cut forest over a stream of points (Guha, Mishra, Roy, Schrijvers,
// "Robust Random Cut Forest Based Anomaly Detection on Streams", ICML 2016),
// the model behind RANDOM_CUT_FOREST and RANDOM_CUT_FOREST_WITH_EXPLANATION.
//
// Each tree holds its own sample of at most `sample_size` recent points,
// kept by time-decayed reservoir sampling: point number t gets the weight
// -t / time_decay + log(-log(u)), u uniform in (0, 1), and a tree keeps the
// `sample_size` smallest weights: the importance of a point decays
// exponentially with its age in points (e-fold per `time_decay` points), as
// AWS documents timeDecay, so older points are evicted first. A tree is
// a random cut tree over its sample: each internal node cuts its points'
// bounding box at a value drawn uniformly over the box's ranges (a dimension
// chosen with probability proportional to its range); inserting and deleting
// a point change only the path to its leaf, as in the paper.
//
// The score of a point q in a tree is the expected inverse depth at which a
// random cut would isolate q from the tree's points: walking from q's leaf
// up, each node contributes the probability that a cut of (box ∪ q)
// separates q from the box, times 1 / (depth + 1), and passes the rest of the
// probability on (the displacement the paper's CoDisp measures, in the
// closed form AWS's RCF library computes). It is multiplied by log2(1 + the
// tree's mass) and averaged over the trees, so points typical of the sample
// score around 1 and outliers several times that: the scale of the scores in
// AWS's documented examples (0.7 for inliers, 3.9 for an outlier).
//
// The attribution splits each node's contribution over the dimensions in
// proportion to how far q lies above (high) or below (low) the box in each:
// per dimension, high + low summed over dimensions is exactly the score.
//
// Deterministic: all randomness comes from one seeded 64-bit Mersenne
// twister. Memory: trees x sample_size leaves and internal nodes, each with
// a point or a bounding box of `dimensions` doubles. Not thread-safe.

#include <cstdint>
#include <random>
#include <vector>

namespace spate::analytics::exec {

struct ForestOptions {
  int dimensions = 1;
  int trees = 100;
  int sample_size = 256;
  int64_t time_decay = 100000;  // in points; 1 / lambda of the exponential decay
  uint64_t seed = 0x5eed;
};

// Per dimension, how much of the score comes from the point lying above
// (high) and below (low) what the trees hold.
struct Attribution {
  std::vector<double> high;
  std::vector<double> low;
  double Total() const;
};

class RandomCutForest {
 public:
  explicit RandomCutForest(const ForestOptions& options);
  ~RandomCutForest();
  RandomCutForest(const RandomCutForest&) = delete;
  RandomCutForest& operator=(const RandomCutForest&) = delete;

  // The anomaly score of `point` (size `dimensions`) against the trees as
  // they are (0 while they are empty). Does not change the forest.
  double Score(const std::vector<double>& point) const;
  // The score split over the dimensions; Total() equals Score(point).
  Attribution Attribute(const std::vector<double>& point) const;
  // Offers `point` to every tree's sample (it enters some, evicting others).
  void Update(const std::vector<double>& point);

  // Points offered so far.
  uint64_t updates() const { return updates_; }
  // Points held by all trees together (at most trees x sample_size), and the
  // nodes allocated for them: the memory bound the tests check.
  size_t SampledPoints() const;
  size_t AllocatedNodes() const;

 private:
  class Tree;
  ForestOptions options_;
  std::mt19937_64 rng_;
  std::vector<Tree> trees_;
  uint64_t updates_ = 0;
};

}  // namespace spate::analytics::exec
