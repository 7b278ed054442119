#include "analytics/exec/random_cut_forest.h"

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "base/assert.h"

namespace spate::analytics::exec {

namespace {

// A uniform double in (0, 1), from 53 random bits (std's distributions are
// implementation-defined; this is the same on every platform).
double Uniform(std::mt19937_64& rng) { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }

// Score of a point isolated at `depth` (the root is depth 0).
double ScoreUnseen(size_t depth) { return 1.0 / (static_cast<double>(depth) + 1.0); }

}  // namespace

double Attribution::Total() const {
  double total = 0;
  for (double v : high) total += v;
  for (double v : low) total += v;
  return total;
}

// One random cut tree and its time-decayed sample. Nodes live in a pool
// (free list); a leaf's box is its point (min == max). A node's mass is the
// number of sampled points below it (a leaf counts its duplicates).
class RandomCutForest::Tree {
 public:
  Tree(int dimensions, int sample_size, int64_t time_decay)
      : dims_(static_cast<size_t>(dimensions)),
        sample_size_(static_cast<size_t>(sample_size)),
        time_decay_(static_cast<double>(time_decay)) {}

  // Offers point number `seq` to the sample.
  void Offer(const std::vector<double>& point, uint64_t seq, std::mt19937_64& rng) {
    double weight = -static_cast<double>(seq) / time_decay_ + std::log(-std::log(Uniform(rng)));
    if (by_seq_.size() >= sample_size_) {
      auto worst = std::prev(by_weight_.end());
      if (weight >= worst->first) return;
      auto entry = by_seq_.find(worst->second);
      Remove(entry->second.leaf);
      by_seq_.erase(entry);
      by_weight_.erase(worst);
    }
    int leaf = Insert(point, rng);
    by_seq_.emplace(seq, Entry{weight, leaf});
    by_weight_.emplace(weight, seq);
  }

  double Score(const std::vector<double>& q) const {
    if (root_ < 0) return 0;
    std::vector<int> path = PathTo(q);
    const Node& leaf = nodes_[static_cast<size_t>(path.back())];
    size_t depth = path.size() - 1;
    double score;
    if (SameAsLeaf(path.back(), q)) {
      double m = leaf.mass;
      score = (1.0 - m / (2.0 * Mass())) / (static_cast<double>(depth) + std::log2(1.0 + m));
    } else {
      score = ScoreUnseen(depth);
    }
    for (size_t i = path.size() - 1; i-- > 0;) {
      double prob = SeparationProbability(path[i], q, nullptr, nullptr);
      score = prob * ScoreUnseen(i) + (1.0 - prob) * score;
    }
    return score * std::log2(1.0 + Mass());
  }

  // Adds this tree's attribution of q to `out` (already sized).
  void Attribute(const std::vector<double>& q, Attribution* out) const {
    if (root_ < 0) return;
    std::vector<int> path = PathTo(q);
    const int leaf_id = path.back();
    const Node& leaf = nodes_[static_cast<size_t>(leaf_id)];
    size_t depth = path.size() - 1;
    std::vector<double> high(dims_, 0.0), low(dims_, 0.0);
    if (SameAsLeaf(leaf_id, q)) {
      double m = leaf.mass;
      double score = (1.0 - m / (2.0 * Mass())) / (static_cast<double>(depth) + std::log2(1.0 + m));
      for (size_t d = 0; d < dims_; ++d) high[d] = low[d] = score / (2.0 * static_cast<double>(dims_));
    } else {
      const double* p = Min(leaf_id);
      double sum = 0;
      for (size_t d = 0; d < dims_; ++d) sum += std::abs(q[d] - p[d]);
      for (size_t d = 0; d < dims_; ++d) {
        double share = ScoreUnseen(depth) * std::abs(q[d] - p[d]) / sum;
        (q[d] > p[d] ? high[d] : low[d]) = share;
      }
    }
    std::vector<double> gap_high(dims_), gap_low(dims_);
    for (size_t i = path.size() - 1; i-- > 0;) {
      double prob = SeparationProbability(path[i], q, &gap_high, &gap_low);
      for (size_t d = 0; d < dims_; ++d) {
        high[d] = gap_high[d] * ScoreUnseen(i) + (1.0 - prob) * high[d];
        low[d] = gap_low[d] * ScoreUnseen(i) + (1.0 - prob) * low[d];
      }
    }
    double scale = std::log2(1.0 + Mass());
    for (size_t d = 0; d < dims_; ++d) {
      out->high[d] += high[d] * scale;
      out->low[d] += low[d] * scale;
    }
  }

  size_t SampledPoints() const { return by_seq_.size(); }
  size_t AllocatedNodes() const { return nodes_.size(); }

 private:
  struct Node {
    int parent = -1;
    int left = -1;  // -1: a leaf
    int right = -1;
    int cut_dim = 0;
    double cut = 0;  // a point goes left when point[cut_dim] <= cut
    int mass = 0;
  };
  struct Entry {
    double weight = 0;
    int leaf = -1;
  };

  double Mass() const { return nodes_[static_cast<size_t>(root_)].mass; }
  double* Min(int n) { return &lo_[static_cast<size_t>(n) * dims_]; }
  double* Max(int n) { return &hi_[static_cast<size_t>(n) * dims_]; }
  const double* Min(int n) const { return &lo_[static_cast<size_t>(n) * dims_]; }
  const double* Max(int n) const { return &hi_[static_cast<size_t>(n) * dims_]; }
  bool IsLeaf(int n) const { return nodes_[static_cast<size_t>(n)].left < 0; }

  bool SameAsLeaf(int leaf, const std::vector<double>& q) const {
    const double* p = Min(leaf);
    for (size_t d = 0; d < dims_; ++d) {
      if (p[d] != q[d]) return false;
    }
    return true;
  }

  // Root to the leaf q falls into.
  std::vector<int> PathTo(const std::vector<double>& q) const {
    std::vector<int> path;
    int n = root_;
    while (true) {
      path.push_back(n);
      const Node& node = nodes_[static_cast<size_t>(n)];
      if (node.left < 0) return path;
      n = q[static_cast<size_t>(node.cut_dim)] <= node.cut ? node.left : node.right;
    }
  }

  // The probability that a random cut of (box(n) ∪ q) separates q from
  // box(n); per dimension, the parts from q lying above and below.
  double SeparationProbability(int n, const std::vector<double>& q, std::vector<double>* gap_high,
                               std::vector<double>* gap_low) const {
    const double* lo = Min(n);
    const double* hi = Max(n);
    double range = 0, gaps = 0;
    for (size_t d = 0; d < dims_; ++d) {
      double above = q[d] > hi[d] ? q[d] - hi[d] : 0.0;
      double below = q[d] < lo[d] ? lo[d] - q[d] : 0.0;
      range += hi[d] - lo[d] + above + below;
      gaps += above + below;
      if (gap_high) {
        (*gap_high)[d] = above;
        (*gap_low)[d] = below;
      }
    }
    if (gaps == 0) {
      if (gap_high) {
        std::fill(gap_high->begin(), gap_high->end(), 0.0);
        std::fill(gap_low->begin(), gap_low->end(), 0.0);
      }
      return 0;
    }
    if (gap_high) {
      for (size_t d = 0; d < dims_; ++d) {
        (*gap_high)[d] /= range;
        (*gap_low)[d] /= range;
      }
    }
    return gaps / range;
  }

  int NewNode() {
    int n;
    if (!free_.empty()) {
      n = free_.back();
      free_.pop_back();
      nodes_[static_cast<size_t>(n)] = Node{};
    } else {
      n = static_cast<int>(nodes_.size());
      nodes_.emplace_back();
      lo_.resize(lo_.size() + dims_);
      hi_.resize(hi_.size() + dims_);
    }
    return n;
  }

  int NewLeaf(const std::vector<double>& point) {
    int n = NewNode();
    nodes_[static_cast<size_t>(n)].mass = 1;
    std::copy(point.begin(), point.end(), Min(n));
    std::copy(point.begin(), point.end(), Max(n));
    return n;
  }

  void Replace(int old_child, int new_child) {
    int parent = nodes_[static_cast<size_t>(old_child)].parent;
    nodes_[static_cast<size_t>(new_child)].parent = parent;
    if (parent < 0) {
      root_ = new_child;
    } else if (nodes_[static_cast<size_t>(parent)].left == old_child) {
      nodes_[static_cast<size_t>(parent)].left = new_child;
    } else {
      nodes_[static_cast<size_t>(parent)].right = new_child;
    }
  }

  // Inserts q (the paper's InsertPoint); returns q's leaf.
  int Insert(const std::vector<double>& q, std::mt19937_64& rng) {
    if (root_ < 0) {
      root_ = NewLeaf(q);
      return root_;
    }
    int n = root_;
    while (true) {
      if (IsLeaf(n) && SameAsLeaf(n, q)) {
        for (int a = n; a >= 0; a = nodes_[static_cast<size_t>(a)].parent) ++nodes_[static_cast<size_t>(a)].mass;
        return n;
      }
      // A cut of box(n) ∪ q, uniform over the summed ranges.
      const double* lo = Min(n);
      const double* hi = Max(n);
      double total = 0;
      for (size_t d = 0; d < dims_; ++d) total += std::max(hi[d], q[d]) - std::min(lo[d], q[d]);
      double r = Uniform(rng) * total;
      size_t dim = 0;
      double cut = 0;
      for (size_t d = 0; d < dims_; ++d) {
        double low_end = std::min(lo[d], q[d]);
        double range = std::max(hi[d], q[d]) - low_end;
        if (range <= 0) continue;
        dim = d;
        if (r < range) {
          cut = low_end + r;
          break;
        }
        r -= range;
        cut = low_end + range;  // rounding left r at the end: the last dimension's top
      }
      double top = std::max(hi[dim], q[dim]);
      if (cut >= top) cut = std::nextafter(top, -std::numeric_limits<double>::infinity());
      bool separates = (q[dim] < lo[dim] && cut < lo[dim]) || (q[dim] > hi[dim] && cut >= hi[dim]);
      if (!separates && IsLeaf(n)) {
        // Rounding put the cut on the wrong side of a distinct leaf point:
        // cut at the lower of the two values in a dimension where they differ.
        for (size_t d = 0; d < dims_; ++d) {
          if (q[d] != lo[d]) {
            dim = d;
            cut = std::min(q[d], lo[d]);
            break;
          }
        }
        separates = true;
      }
      if (separates) {
        int leaf = NewLeaf(q);
        int inner = NewNode();
        Node& node = nodes_[static_cast<size_t>(inner)];
        node.cut_dim = static_cast<int>(dim);
        node.cut = cut;
        node.mass = nodes_[static_cast<size_t>(n)].mass + 1;
        for (size_t d = 0; d < dims_; ++d) {
          Min(inner)[d] = std::min(Min(n)[d], q[d]);
          Max(inner)[d] = std::max(Max(n)[d], q[d]);
        }
        Replace(n, inner);
        bool q_left = q[dim] <= cut;
        nodes_[static_cast<size_t>(inner)].left = q_left ? leaf : n;
        nodes_[static_cast<size_t>(inner)].right = q_left ? n : leaf;
        nodes_[static_cast<size_t>(leaf)].parent = inner;
        nodes_[static_cast<size_t>(n)].parent = inner;
        return leaf;
      }
      // No separation here: n's box grows to take q, and q goes down.
      SPATE_ASSERT(!IsLeaf(n), "an unseparated point reached a leaf");
      Node& node = nodes_[static_cast<size_t>(n)];
      ++node.mass;
      for (size_t d = 0; d < dims_; ++d) {
        Min(n)[d] = std::min(Min(n)[d], q[d]);
        Max(n)[d] = std::max(Max(n)[d], q[d]);
      }
      n = q[static_cast<size_t>(node.cut_dim)] <= node.cut ? node.left : node.right;
    }
  }

  // Removes one copy of the leaf's point (the paper's DeletePoint).
  void Remove(int leaf) {
    for (int a = leaf; a >= 0; a = nodes_[static_cast<size_t>(a)].parent) --nodes_[static_cast<size_t>(a)].mass;
    if (nodes_[static_cast<size_t>(leaf)].mass > 0) return;
    int parent = nodes_[static_cast<size_t>(leaf)].parent;
    free_.push_back(leaf);
    if (parent < 0) {
      root_ = -1;
      return;
    }
    const Node& p = nodes_[static_cast<size_t>(parent)];
    int sibling = p.left == leaf ? p.right : p.left;
    int grand = p.parent;
    Replace(parent, sibling);
    free_.push_back(parent);
    // The ancestors' boxes shrink to their children's.
    for (int a = grand; a >= 0; a = nodes_[static_cast<size_t>(a)].parent) {
      const Node& node = nodes_[static_cast<size_t>(a)];
      for (size_t d = 0; d < dims_; ++d) {
        Min(a)[d] = std::min(Min(node.left)[d], Min(node.right)[d]);
        Max(a)[d] = std::max(Max(node.left)[d], Max(node.right)[d]);
      }
    }
  }

  size_t dims_;
  size_t sample_size_;
  double time_decay_;
  std::vector<Node> nodes_;
  std::vector<double> lo_, hi_;  // per node, dims_ each
  std::vector<int> free_;
  int root_ = -1;
  std::map<uint64_t, Entry> by_seq_;                 // the sample, oldest first
  std::set<std::pair<double, uint64_t>> by_weight_;  // the sample by weight (the largest is evicted)
};

RandomCutForest::RandomCutForest(const ForestOptions& options) : options_(options), rng_(options.seed) {
  SPATE_ASSERT(options.dimensions > 0 && options.trees > 0 && options.sample_size > 0 && options.time_decay > 0,
               "forest options out of range");
  trees_.reserve(static_cast<size_t>(options.trees));
  for (int t = 0; t < options.trees; ++t)
    trees_.emplace_back(options.dimensions, options.sample_size, options.time_decay);
}

RandomCutForest::~RandomCutForest() = default;

double RandomCutForest::Score(const std::vector<double>& point) const {
  SPATE_ASSERT(point.size() == static_cast<size_t>(options_.dimensions), "point of the wrong dimension");
  double sum = 0;
  for (const Tree& t : trees_) sum += t.Score(point);
  return sum / static_cast<double>(trees_.size());
}

Attribution RandomCutForest::Attribute(const std::vector<double>& point) const {
  SPATE_ASSERT(point.size() == static_cast<size_t>(options_.dimensions), "point of the wrong dimension");
  Attribution a;
  a.high.assign(point.size(), 0.0);
  a.low.assign(point.size(), 0.0);
  for (const Tree& t : trees_) t.Attribute(point, &a);
  for (size_t d = 0; d < point.size(); ++d) {
    a.high[d] /= static_cast<double>(trees_.size());
    a.low[d] /= static_cast<double>(trees_.size());
  }
  return a;
}

void RandomCutForest::Update(const std::vector<double>& point) {
  SPATE_ASSERT(point.size() == static_cast<size_t>(options_.dimensions), "point of the wrong dimension");
  for (Tree& t : trees_) t.Offer(point, updates_, rng_);
  ++updates_;
}

size_t RandomCutForest::SampledPoints() const {
  size_t n = 0;
  for (const Tree& t : trees_) n += t.SampledPoints();
  return n;
}

size_t RandomCutForest::AllocatedNodes() const {
  size_t n = 0;
  for (const Tree& t : trees_) n += t.AllocatedNodes();
  return n;
}

}  // namespace spate::analytics::exec
